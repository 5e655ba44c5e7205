import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_MAX_TOKEN_LIFETIME, InvalidTokenError, JWTIssuer, RESERVED_CLAIMS, deriveJwtKey, type InvalidTokenReason } from '../src/index.js'
import { AUDIENCE, ISSUER, NOW, NOW_MS, VECTOR_KEY, claims, manualClock, signToken, vectors, vectors34, vector, type TokenVector, type Verdict34 } from './helpers.js'

const issuerFor = (v: { key: string; issuer: string; audience: string }, clock = () => NOW_MS) =>
  new JWTIssuer({ issuer: v.issuer, audience: v.audience, signingKey: v.key, clock })

const shared = (options: Partial<ConstructorParameters<typeof JWTIssuer>[0]> = {}) =>
  new JWTIssuer({ issuer: ISSUER, audience: AUDIENCE, signingKey: VECTOR_KEY, clock: () => NOW_MS, ...options })

async function reasonOf(promise: Promise<unknown>): Promise<InvalidTokenReason> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(err)}`)
    return err.reason
  }
  assert.fail('expected the token to be refused')
}

// FastMCP's reasons mapped to ours; exp_not_comparable is our ill-typed claim
const REASONS: Record<string, InvalidTokenReason> = {
  bad_signature: 'bad_signature',
  unsupported_algorithm: 'unsupported_algorithm',
  missing_algorithm: 'missing_algorithm',
  invalid_crit_header: 'invalid_crit_header',
  malformed: 'malformed',
  expired: 'expired',
  invalid_issuer: 'invalid_issuer',
  invalid_audience: 'invalid_audience',
  exp_not_comparable: 'invalid_claim',
}

describe('JWTIssuer with FastMCP vectors', () => {
  for (const v of vectors.tokens) {
    if (v.expect.verdict === 'valid') {
      const payload = v.expect.payload as { iat: number; exp: number }
      test(`verifies ${v.id} to exactly the expected payload`, async () => {
        // at the moment FastMCP minted it; the lifetime bound raised for the decade-long ones
        const issuer = new JWTIssuer({
          issuer: v.issuer, audience: v.audience, signingKey: v.key, clock: () => payload.iat * 1000,
          maxTokenLifetimeSeconds: Math.max(DEFAULT_MAX_TOKEN_LIFETIME, payload.exp - payload.iat),
        })
        assert.deepEqual(await issuer.verifyToken(v.token, { expectedTokenUse: 'any' }), payload)
      })
    } else {
      const reason = REASONS[v.expect.reason]
      test(`refuses ${v.id} as ${reason}`, async () => {
        assert.equal(await reasonOf(issuerFor(v).verifyToken(v.token)), reason)
      })
    }
  }

  for (const v of vectors.tokens.filter((t): t is TokenVector & { mint: NonNullable<TokenVector['mint']> } => t.mint !== undefined)) {
    test(`re-mints ${v.id} byte for byte with a fixed clock`, async () => {
      const m = v.mint
      // these vectors predate FastMCP 3.4: its header had alg first
      const issuer = new JWTIssuer({
        issuer: m.issuer, audience: m.audience, signingKey: m.key, clock: () => m.iat * 1000 + 999,
        legacyHeader: true, maxTokenLifetimeSeconds: Math.max(DEFAULT_MAX_TOKEN_LIFETIME, m.expires_in),
      })
      const input = { clientId: m.client_id, scopes: m.scopes, jti: m.jti, expiresIn: m.expires_in, upstreamClaims: m.upstream_claims as never }
      const token = m.kind === 'refresh' ? await issuer.issueRefreshToken(input) : await issuer.issueAccessToken(input)
      // tampered vectors started from this mint; the rest are the mint itself
      if (/tampered|truncated|two-segments/.test(v.id)) assert.notEqual(token, v.token)
      else assert.equal(token, v.token)
    })
  }

  test('the default lifetime bound refuses a decade-long FastMCP token as lifetime_exceeded', async () => {
    const v = vector('access-ten-year')
    const { iat } = v.expect.verdict === 'valid' ? (v.expect.payload as { iat: number }) : assert.fail()
    const issuer = new JWTIssuer({ issuer: v.issuer, audience: v.audience, signingKey: v.key, clock: () => iat * 1000 })
    assert.equal(await reasonOf(issuer.verifyToken(v.token)), 'lifetime_exceeded')
  })

  test('a token FastMCP minted with the other KDF is refused, and verifies with that key', async () => {
    const v = vector('fail-mode-confusion')
    const hkdfKey = Buffer.from(await deriveJwtKey({ highEntropyMaterial: v.key_material, salt: v.salt })).toString()
    assert.equal(hkdfKey, v.mint!.key)
    assert.equal((await issuerFor({ ...v, key: hkdfKey }).verifyToken(v.token)).jti, 'jti-mode-swap-public')
  })
})

describe('JWTIssuer with FastMCP 3.4+ vectors (joserfc)', () => {
  const at = (v: { key: string; issuer: string; audience: string }) =>
    new JWTIssuer({ issuer: v.issuer, audience: v.audience, signingKey: v.key, clock: () => vectors34.now * 1000 })
  // FastMCP says "Token type mismatch"; ours names which kind was wanted, or an unknown token_use
  const mismatch = (v: { token: string }, use: 'access' | 'refresh'): InvalidTokenReason => {
    const tokenUse = JSON.parse(Buffer.from(v.token.split('.')[1]!, 'base64url').toString()).token_use
    if (tokenUse !== undefined && tokenUse !== 'access' && tokenUse !== 'refresh') return 'invalid_claim'
    return use === 'access' ? 'refresh_token' : 'not_refresh_token'
  }
  for (const v of vectors34.tokens) {
    for (const use of ['access', 'refresh'] as const) {
      const verdict: Verdict34 = v.expect[use]
      if (verdict.verdict === 'valid') {
        test(`verifies ${v.id} as ${use} to exactly the expected payload`, async () => {
          // the access case through the default: verifyToken expects an access token, as FastMCP 3.x
          const claims = use === 'access' ? await at(v).verifyToken(v.token) : await at(v).verifyToken(v.token, { expectedTokenUse: 'refresh' })
          assert.deepEqual(claims, verdict.payload)
        })
      } else {
        test(`refuses ${v.id} as ${use} (${verdict.message.replace(/^: /, '')})`, async () => {
          const pending = use === 'access' ? at(v).verifyToken(v.token) : at(v).verifyToken(v.token, { expectedTokenUse: 'refresh' })
          assert.equal(await reasonOf(pending), mismatch(v, use))
        })
      }
    }
  }

  for (const v of vectors34.tokens) {
    const m = v.mint
    if (m === undefined) continue
    test(`re-mints ${v.id} byte for byte, FastMCP 3.4+ header by default`, async () => {
      const issuer = new JWTIssuer({ issuer: m.issuer, audience: m.audience, signingKey: m.key, clock: () => m.iat * 1000 + 500 })
      const input = {
        clientId: m.client_id, scopes: m.scopes, jti: m.jti, expiresIn: m.expires_in,
        upstreamClaims: m.upstream_claims as never, subject: m.subject, extraClaims: m.extra_claims as never,
      }
      const token = m.kind === 'refresh' ? await issuer.issueRefreshToken(input) : await issuer.issueAccessToken(input)
      assert.equal(token, v.token)
      assert.equal(Buffer.from(token.split('.')[0]!, 'base64url').toString(), v.header_text)
    })
  }

  test('both header generations verify, and a legacy-header issuer mints the pre-3.4 header', async () => {
    const v = vectors34.tokens.find((t) => t.id === 'v34-legacy-header')!
    assert.equal(Buffer.from(v.token.split('.')[0]!, 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}')
    assert.equal((await at(v).verifyToken(v.token)).jti, 'legacy-header')
    const legacy = new JWTIssuer({ issuer: ISSUER, audience: AUDIENCE, signingKey: VECTOR_KEY, clock: () => NOW_MS, legacyHeader: true })
    const token = await legacy.issueAccessToken({ clientId: 'c', scopes: [] })
    assert.equal(Buffer.from(token.split('.')[0]!, 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}')
  })

  test('extraClaims may not name a claim the package writes or checks', async () => {
    const issuer = shared()
    for (const name of RESERVED_CLAIMS) {
      await assert.rejects(issuer.issueAccessToken({ clientId: 'c', scopes: [], extraClaims: { [name]: 'x' } }), TypeError, name)
    }
    const token = await issuer.issueAccessToken({ clientId: 'c', scopes: [], subject: 'user-1', extraClaims: { tenant: 't1' } })
    const payload = await issuer.verifyToken(token)
    assert.deepEqual(Object.keys(payload), ['iss', 'aud', 'client_id', 'scope', 'exp', 'iat', 'jti', 'sub', 'tenant'])
  })
})

describe('JWTIssuer (FastMCP issuer scenarios)', () => {
  test('an access token carries the minimal FastMCP claim set, in FastMCP order', async () => {
    const token = await shared().issueAccessToken({ clientId: 'c1', scopes: ['read', 'write'], jti: 'j1' })
    const [header, payload] = token.split('.').map((s) => Buffer.from(s, 'base64url').toString())
    assert.equal(header, '{"typ":"JWT","alg":"HS256"}')
    assert.equal(payload, `{"iss":"${ISSUER}","aud":"${AUDIENCE}","client_id":"c1","scope":"read write","exp":${NOW + 3600},"iat":${NOW},"jti":"j1"}`)
  })

  test('a refresh token carries token_use "refresh" and its explicit lifetime', async () => {
    const issuer = shared()
    const claimsOf = await issuer.verifyToken(await issuer.issueRefreshToken({ clientId: 'c1', scopes: ['read'], expiresIn: 86400 }), { expectedTokenUse: 'refresh' })
    assert.equal(claimsOf.token_use, 'refresh')
    assert.equal(claimsOf.exp, NOW + 86400)
    await assert.rejects(issuer.issueRefreshToken({ clientId: 'c1', scopes: [] } as never), /expiresIn/)
  })

  test('jti defaults to a random UUID, different for every token', async () => {
    const issuer = shared()
    const a = await issuer.verifyToken(await issuer.issueAccessToken({ clientId: 'c', scopes: [] }))
    const b = await issuer.verifyToken(await issuer.issueAccessToken({ clientId: 'c', scopes: [] }))
    assert.match(a.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual(a.jti, b.jti)
  })

  test('upstream claims are present when given and absent when empty or missing', async () => {
    const issuer = shared()
    const withClaims = await issuer.verifyToken(await issuer.issueAccessToken({ clientId: 'c', scopes: [], upstreamClaims: { sub: 'u1', roles: ['a'] } }))
    assert.deepEqual(withClaims.upstream_claims, { sub: 'u1', roles: ['a'] })
    const empty = await issuer.verifyToken(await issuer.issueAccessToken({ clientId: 'c', scopes: [], upstreamClaims: {} }))
    assert.equal('upstream_claims' in empty, false)
    const none = await issuer.verifyToken(await issuer.issueAccessToken({ clientId: 'c', scopes: [] }))
    assert.equal('upstream_claims' in none, false)
  })

  test('refuses a token signed with another key, issuer or audience', async () => {
    const token = await shared().issueAccessToken({ clientId: 'c', scopes: [] })
    assert.equal(await reasonOf(shared({ signingKey: 'x'.repeat(44) }).verifyToken(token)), 'bad_signature')
    assert.equal(await reasonOf(shared({ issuer: 'https://other.example.com' }).verifyToken(token)), 'invalid_issuer')
    assert.equal(await reasonOf(shared({ audience: `${AUDIENCE}/x` }).verifyToken(token)), 'invalid_audience')
  })

  test('issuer and audience compare as exact strings: a trailing slash matters', async () => {
    const token = await shared().issueAccessToken({ clientId: 'c', scopes: [] })
    assert.equal(await reasonOf(shared({ issuer: `${ISSUER}/` }).verifyToken(token)), 'invalid_issuer')
    assert.equal(await reasonOf(shared({ audience: `${AUDIENCE}/` }).verifyToken(token)), 'invalid_audience')
  })

  test('refuses an expired token by the injected clock, honouring the tolerance', async () => {
    const clock = manualClock()
    const issuer = shared({ clock: clock.now })
    const token = await issuer.issueAccessToken({ clientId: 'c', scopes: [], expiresIn: 60 })
    clock.advance(59_000)
    assert.equal((await issuer.verifyToken(token)).client_id, 'c')
    clock.advance(1_000)
    assert.equal(await reasonOf(issuer.verifyToken(token)), 'expired')
    const tolerant = shared({ clock: clock.now, clockToleranceSeconds: 5 })
    assert.equal((await tolerant.verifyToken(token)).client_id, 'c')
    clock.advance(5_000)
    assert.equal(await reasonOf(tolerant.verifyToken(token)), 'expired')
  })

  test('refuses a token before its nbf', async () => {
    assert.equal(await reasonOf(shared().verifyToken(signToken(claims({ nbf: NOW + 10 })))), 'not_yet_valid')
    assert.equal((await shared({ clockToleranceSeconds: 10 }).verifyToken(signToken(claims({ nbf: NOW + 10 })))).nbf, NOW + 10)
  })

  test('refuses malformed tokens', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', '..', 'e30.e30', `${signToken(claims())}.x`, 'eyJ.e30.sig', 42 as never]) {
      assert.equal(await reasonOf(shared().verifyToken(token)), 'malformed', `token ${String(token).slice(0, 20)}`)
    }
  })

  test('refuses every algorithm but HS256, before any HMAC', async () => {
    for (const alg of ['none', 'HS512', 'HS384', 'RS256', 'ES256', 'hs256', 'Hs256']) {
      const token = signToken(claims(), { header: { alg, typ: 'JWT' } })
      assert.equal(await reasonOf(shared().verifyToken(token)), 'unsupported_algorithm', alg)
    }
    assert.equal(await reasonOf(shared().verifyToken(signToken(claims(), { header: { typ: 'JWT' } }))), 'missing_algorithm')
  })

  test('refuses missing or ill-typed claims', async () => {
    const cases: Record<string, unknown>[] = [
      { exp: undefined },
      { exp: String(NOW + 60) },
      { exp: null },
      { jti: undefined },
      { jti: 7 },
      { jti: '' },
      { client_id: undefined },
      { client_id: 1 },
      { scope: ['read'] },
      { iat: 'yesterday' },
      { nbf: 'soon' },
      { token_use: 'Refresh' },
      { token_use: 'access ' },
      { sub: 42 },
      { upstream_claims: ['x'] },
      { upstream_claims: null },
      { iss: 5 },
    ]
    for (const overrides of cases) {
      assert.equal(await reasonOf(shared().verifyToken(signToken(claims(overrides)))), 'invalid_claim', JSON.stringify(overrides))
    }
  })

  test('expectedTokenUse asks for an access or a refresh token; by default an access token, as FastMCP 3.x', async () => {
    const issuer = shared()
    const access = await issuer.issueAccessToken({ clientId: 'c', scopes: [] })
    const refresh = await issuer.issueRefreshToken({ clientId: 'c', scopes: [], expiresIn: 600 })
    assert.equal(await reasonOf(issuer.verifyToken(refresh)), 'refresh_token')
    assert.equal((await issuer.verifyToken(refresh, { expectedTokenUse: 'any' })).token_use, 'refresh')
    assert.equal((await issuer.verifyToken(signToken(claims({ token_use: 'access' })))).token_use, 'access')
    assert.equal(await reasonOf(issuer.verifyToken(signToken(claims({ token_use: 'refresh ' })), { expectedTokenUse: 'any' })), 'invalid_claim')
    assert.equal(await reasonOf(issuer.verifyToken(refresh, { expectedTokenUse: 'access' })), 'refresh_token')
    assert.equal(await reasonOf(issuer.verifyToken(access, { expectedTokenUse: 'refresh' })), 'not_refresh_token')
    assert.equal((await issuer.verifyToken(access, { expectedTokenUse: 'access' })).client_id, 'c')
  })

  test('previousSigningKeys verify old tokens; new tokens use the current key', async () => {
    const oldKey = 'o'.repeat(44)
    const oldToken = await shared({ signingKey: oldKey }).issueAccessToken({ clientId: 'old', scopes: [] })
    const rotated = shared({ signingKey: VECTOR_KEY, previousSigningKeys: [oldKey] })
    assert.equal((await rotated.verifyToken(oldToken)).client_id, 'old')
    const fresh = await rotated.issueAccessToken({ clientId: 'new', scopes: [] })
    assert.equal((await shared().verifyToken(fresh)).client_id, 'new')
    assert.equal(await reasonOf(shared().verifyToken(oldToken)), 'bad_signature')
  })

  test('takes the key as text or bytes alike', async () => {
    const fromBytes = shared({ signingKey: new Uint8Array(Buffer.from(VECTOR_KEY)) })
    const v = vector('access-basic')
    assert.equal((await fromBytes.verifyToken(v.token)).jti, 'jti-0001-public')
  })

  test('refuses bad options and inputs with a TypeError naming them', async () => {
    assert.throws(() => shared({ issuer: '' }), /issuer/)
    assert.throws(() => shared({ audience: 5 as never }), /audience/)
    assert.throws(() => shared({ signingKey: 'short' }), /signingKey/)
    assert.throws(() => shared({ previousSigningKeys: ['short'] }), /previousSigningKeys\[0\]/)
    assert.throws(() => shared({ clockToleranceSeconds: -1 }), /clockToleranceSeconds/)
    const issuer = shared()
    await assert.rejects(issuer.issueAccessToken({ clientId: 'c', scopes: ['a b'] }), /scopes\[0\]/)
    await assert.rejects(issuer.issueAccessToken({ clientId: 'c', scopes: 'read' as never }), /scopes/)
    await assert.rejects(issuer.issueAccessToken({ clientId: 'c', scopes: [], expiresIn: 0 }), /expiresIn/)
    await assert.rejects(issuer.issueAccessToken({ clientId: 'c', scopes: [], expiresIn: 1.5 }), /expiresIn/)
    await assert.rejects(issuer.issueAccessToken({ clientId: 3 as never, scopes: [] }), /clientId/)
  })
})
