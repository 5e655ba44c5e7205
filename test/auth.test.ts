import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { JWTIssuer, createFastMcpAuth, deriveJwtKey, type FastMcpAuthOptions } from '../src/index.js'
import { AUDIENCE, ISSUER, NOW_MS, VECTOR_KEY, VECTOR_SECRET, startServer, validPayload, vector } from './helpers.js'

// at the vectors' instant: FastMCP minted them for the year 2100
const base = { issuer: ISSUER, audience: AUDIENCE, clock: () => NOW_MS }
const create = (options: Partial<FastMcpAuthOptions>) => createFastMcpAuth({ ...base, ...options } as FastMcpAuthOptions)

describe('createFastMcpAuth options', () => {
  const bad: [string, Partial<FastMcpAuthOptions>, RegExp][] = [
    ['no secret and no key', {}, /`secret`/],
    ['an empty secret', { secret: '' }, /`secret`/],
    ['both a secret and a key', { secret: VECTOR_SECRET, signingKey: VECTOR_KEY }, /not both/],
    ['a secret shorter than 12 characters', { secret: 'hunter2' }, /allowShortSecret/],
    ['a missing issuer', { secret: VECTOR_SECRET, issuer: undefined }, /`issuer`/],
    ['a non-string audience', { secret: VECTOR_SECRET, audience: 5 as never }, /`audience`/],
    ['a negative tolerance', { secret: VECTOR_SECRET, clockToleranceSeconds: -1 }, /clockToleranceSeconds/],
    ['an unknown entropy', { secret: VECTOR_SECRET, entropy: 'medium' as never }, /entropy/],
    ['a zero cache size', { secret: VECTOR_SECRET, cache: { max: 0 } }, /cache\.max/],
    ['a relative metadata URL', { secret: VECTOR_SECRET, resourceMetadataUrl: '/.well-known/x' }, /resourceMetadataUrl/],
    ['a non-numeric token cap', { secret: VECTOR_SECRET, maxTokenLength: '8k' as never }, /maxTokenLength/],
    ['a short ready key', { signingKey: 'too-short' }, /signingKey/],
    ['a short previous secret', { secret: VECTOR_SECRET, previousSecrets: ['hunter2'] }, /previousSecrets\[0\]/],
    ['a token store without its methods', { secret: VECTOR_SECRET, store: {} as never }, /store/],
    ['the revocations option of old', { secret: VECTOR_SECRET, revocations: {} } as never, /revocations/],
    ['a negative refresh grace window', { secret: VECTOR_SECRET, refreshReuseGraceSeconds: -1 }, /refreshReuseGraceSeconds/],
    ['a fractional staleness bound', { secret: VECTOR_SECRET, maxStalenessMs: 0.5 }, /maxStalenessMs/],
    ['a key wait longer than a timer can wait', { secret: VECTOR_SECRET, keyWaitMs: 2 ** 31 }, /keyWaitMs/],
    ['previous secrets with a ready key', { signingKey: VECTOR_KEY, previousSecrets: ['old-secret-1234'] }, /previousSecrets/],
    ['a short previous key next to a secret (not a 503 after the derivation)', { secret: VECTOR_SECRET, previousSigningKeys: ['short'] }, /previousSigningKeys\[0\]/],
  ]
  for (const [name, options, message] of bad) {
    test(`throws a TypeError at once for ${name}`, () => {
      assert.throws(() => create(options), (err: Error) => err instanceof TypeError && message.test(err.message))
    })
  }

  test('serializes resourceMetadataUrl once, so the challenge carries it intact', async () => {
    const auth = create({ signingKey: VECTOR_KEY, resourceMetadataUrl: 'https://例え.jp/メタ' })
    const server = await startServer('http', [auth.requireFastMcpToken])
    try {
      const res = await fetch(server.url)
      assert.equal(res.headers.get('www-authenticate'), 'Bearer resource_metadata="https://xn--r8jz45g.jp/%E3%83%A1%E3%82%BF"')
    } finally {
      await server.close()
    }
  })

  test('requireScopes refuses what RFC 6749 does not allow in a scope-token', () => {
    const auth = create({ signingKey: VECTOR_KEY })
    for (const bad of ['a b', 'say"hi"', 'back\\slash', '', 'tab\t']) assert.throws(() => auth.requireScopes(bad), TypeError, bad)
    assert.equal(typeof auth.requireScopes('notes:write', '写'), 'function')
  })

  test('keeps its own copy of a ready key: wiping the caller\'s buffer changes nothing', async () => {
    const key = new Uint8Array(Buffer.from(VECTOR_KEY))
    const auth = create({ signingKey: key })
    key.fill(0)
    assert.equal((await auth.verifyToken(vector('access-basic').token)).jti, 'jti-0001-public')
  })

  test('accepts a short secret only with allowShortSecret', async () => {
    const auth = create({ secret: 'hunter2', allowShortSecret: true, entropy: 'high' })
    assert.ok((await auth.ready) instanceof JWTIssuer)
  })

  test('exposes its issuer and audience exactly as configured, before the key exists', () => {
    const auth = create({ secret: VECTOR_SECRET })
    assert.equal(auth.issuer, ISSUER)
    assert.equal(auth.audience, AUDIENCE)
  })

  test('ready resolves with the JWTIssuer built from the derived key', async () => {
    const auth = create({ secret: VECTOR_SECRET })
    const issuer = await auth.ready
    assert.deepEqual(await issuer.verifyToken(vector('access-basic').token), validPayload('access-basic'))
  })

  test('entropy "high" derives with HKDF, like FastMCP\'s key from an upstream client secret', async () => {
    const v = vector('fail-mode-confusion')
    const auth = create({ secret: v.key_material, entropy: 'high' })
    assert.equal((await auth.verifyToken(v.token)).jti, 'jti-mode-swap-public')
  })

  test('previousSecrets keep old tokens valid after a rotation', async () => {
    const auth = create({ secret: 'the-new-secret-2026', previousSecrets: [VECTOR_SECRET] })
    assert.equal((await auth.verifyToken(vector('access-basic').token)).client_id, 'client-abc')
    const fresh = await auth.issueAccessToken({ clientId: 'c', scopes: [] })
    const newKey = await deriveJwtKey({ lowEntropyMaterial: 'the-new-secret-2026' })
    assert.equal((await new JWTIssuer({ ...base, signingKey: newKey }).verifyToken(fresh.token)).client_id, 'c')
  })

  test('a custom salt changes the key', async () => {
    const v = vector('refresh-empty-salt-key')
    const auth = createFastMcpAuth({ secret: v.key_material, salt: v.salt, entropy: v.mode, issuer: v.issuer, audience: v.audience, clock: () => NOW_MS })
    assert.equal((await auth.verifyToken(v.token, { expectedTokenUse: 'refresh' })).token_use, 'refresh')
  })
})
