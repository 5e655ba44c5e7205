// explain's diagnosis as a pure function: each check, its cause and hint, the verdict the
// server would give, and which other keys it derives, when, and in what order.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_MAX_TOKEN_LIFETIME, deriveJwtKey, InvalidTokenError, JWTIssuer } from '../src/index.js'
import {
  describeUrlDifference,
  explainToken,
  formatDuration,
  formatInstant,
  type ExplainInput,
  type ExplainKey,
  type ExplainReport,
} from '../src/cli/explain.js'
import { keyAlternatives, type KeyAlternative, type SecretKeySource } from '../src/cli/key-source.js'
import { renderReport } from '../src/cli/render.js'
import { AUDIENCE, claims, ISSUER, NOW, NOW_MS, signToken, vector, vectors, vectors34, VECTOR_KEY } from './helpers.js'

const KEY: ExplainKey = { description: 'the test key', key: Buffer.from(VECTOR_KEY), alternatives: [] }
const OTHER_KEY = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5PQ='

function explain(token: string, input: Partial<ExplainInput> = {}): Promise<ExplainReport> {
  return explainToken({ token, issuer: ISSUER, audience: AUDIENCE, key: KEY, nowMs: NOW_MS, ...input })
}

function check(report: ExplainReport, name: string) {
  const found = report.checks.find((c) => c.name === name)
  assert.ok(found, `no ${name} check`)
  return found
}

/** An alternative that counts how often its key is asked for. */
function counted(id: KeyAlternative['id'], key: string): KeyAlternative & { calls: number } {
  const alternative = {
    id,
    description: `alternative ${id}`,
    hint: `hint for ${id}`,
    calls: 0,
    key: async () => {
      alternative.calls++
      return new Uint8Array(Buffer.from(key))
    },
  }
  return alternative
}

describe('explainToken', () => {
  test('a valid token passes every check, in the server\'s order, and is accepted', async () => {
    const report = await explain(signToken(claims()))
    assert.equal(report.verdict, 'accepted')
    assert.equal(report.reason, undefined)
    assert.deepEqual(report.checks.map((c) => [c.name, c.status]), [
      ['format', 'pass'], ['algorithm', 'pass'], ['signature', 'pass'], ['exp', 'pass'], ['nbf', 'pass'],
      ['iss', 'pass'], ['aud', 'pass'], ['claims', 'pass'], ['lifetime', 'pass'], ['token_use', 'pass'],
    ])
    assert.deepEqual(report.claims, claims())
    assert.deepEqual(report.header, { alg: 'HS256', typ: 'JWT' })
  })

  test('an expired token says how long ago, and when', async () => {
    const report = await explain(signToken(claims({ exp: NOW - (3 * 3600 + 12 * 60) })))
    assert.equal(report.verdict, 'refused')
    assert.equal(report.reason, 'expired')
    assert.equal(report.description, 'The token has expired')
    assert.equal(check(report, 'exp').found, 'expired 3 h 12 min ago (2099-12-31T20:48:00Z)')
  })

  test('a token valid only later says when it becomes valid', async () => {
    const report = await explain(signToken(claims({ nbf: NOW + 300 })))
    assert.equal(report.reason, 'not_yet_valid')
    assert.equal(check(report, 'nbf').found, 'valid in 5 min (2100-01-01T00:05:00Z)')
  })

  test('a token without exp is refused as invalid_claim (this package requires exp)', async () => {
    const { exp: _exp, ...rest } = claims()
    const report = await explain(signToken(rest))
    assert.equal(report.reason, 'invalid_claim')
    assert.equal(check(report, 'exp').found, 'no exp')
  })

  test(`exp more than ${DEFAULT_MAX_TOKEN_LIFETIME / 86400} days ahead is lifetime_exceeded`, async () => {
    const far = await explain(signToken(claims({ exp: NOW + 401 * 86400 })))
    assert.equal(far.reason, 'lifetime_exceeded')
    assert.equal(check(far, 'lifetime').found, 'exp 401 d ahead')
    assert.equal((await explain(signToken(claims({ exp: NOW + 399 * 86400 })))).verdict, 'accepted')
    const bounded = await explain(signToken(claims({ exp: NOW + 7200 })), { maxTokenLifetimeSeconds: 3600 })
    assert.equal(bounded.reason, 'lifetime_exceeded')
  })

  test('a trailing slash on iss is named, with the value to set', async () => {
    const report = await explain(signToken(claims({ iss: `${ISSUER}/` })))
    assert.equal(report.reason, 'invalid_issuer')
    const iss = check(report, 'iss')
    assert.equal(iss.expected, JSON.stringify(ISSUER))
    assert.equal(iss.found, JSON.stringify(`${ISSUER}/`))
    assert.match(iss.hint!, /^trailing slash: the token's iss ends in "\/"/)
    assert.match(iss.hint!, /set issuer to "https:\/\/mcp\.example\.com\/"/)
  })

  test('a trailing slash the server has and the token lacks is named too', async () => {
    const report = await explain(signToken(claims()), { issuer: `${ISSUER}/` })
    assert.match(check(report, 'iss').hint!, /^trailing slash: the server's issuer ends in "\/"/)
  })

  test('the wrong audience is invalid_audience, and the base URL for the MCP URL is named', async () => {
    const report = await explain(signToken(claims({ aud: 'https://mcp.example.com/' })))
    assert.equal(report.reason, 'invalid_audience')
    assert.match(check(report, 'aud').hint!, /^the token's aud is the base URL; FastMCP's audience is the MCP resource URL/)
    const bare = await explain(signToken(claims({ aud: 'https://mcp.example.com/api' })))
    assert.equal(check(bare, 'aud').hint, 'another path (/api in the token, /mcp on the server)')
  })

  test('an aud array is refused with the reason', async () => {
    const report = await explain(signToken(claims({ aud: [AUDIENCE] })))
    assert.equal(report.reason, 'invalid_audience')
    assert.match(check(report, 'aud').hint!, /array/)
  })

  test('a refresh token presented as an access token is refresh_token; as a refresh token it passes', async () => {
    const token = signToken(claims({ token_use: 'refresh' }))
    const report = await explain(token)
    assert.equal(report.reason, 'refresh_token')
    assert.match(check(report, 'token_use').hint!, /refresh token presented as an access token/)
    assert.equal((await explain(token, { expectedTokenUse: 'refresh' })).verdict, 'accepted')
    assert.equal((await explain(signToken(claims()), { expectedTokenUse: 'refresh' })).reason, 'not_refresh_token')
  })

  test('ill-typed claims are listed together as invalid_claim', async () => {
    const { jti: _jti, ...rest } = claims({ client_id: 7 })
    const report = await explain(signToken(rest))
    assert.equal(report.reason, 'invalid_claim')
    assert.equal(check(report, 'claims').found, 'no jti; client_id is not a string')
  })

  test('every check runs: a token with several faults shows each, the verdict names the first', async () => {
    const report = await explain(signToken(claims({ iss: `${ISSUER}/`, exp: NOW - 60, token_use: 'refresh' }), { key: OTHER_KEY }))
    assert.deepEqual(report.checks.filter((c) => c.status === 'fail').map((c) => c.reason), ['bad_signature', 'expired', 'invalid_issuer', 'refresh_token'])
    assert.equal(report.reason, 'bad_signature')
  })

  for (const [id, reason] of [['fail-alg-none', 'unsupported_algorithm'], ['fail-hs512-right-key', 'unsupported_algorithm'], ['fail-crit-unknown', 'invalid_crit_header']] as const) {
    test(`FastMCP vector ${id}: ${reason}, and the signature is not checked`, async () => {
      const report = await explain(vector(id).token)
      assert.equal(report.reason, reason)
      assert.equal(check(report, 'signature').status, 'skip')
    })
  }

  test('a lower-case algorithm name is named as a case mistake', async () => {
    const report = await explain(signToken(claims(), { header: { alg: 'hs256', typ: 'JWT' } }))
    assert.equal(report.reason, 'unsupported_algorithm')
    assert.match(check(report, 'algorithm').hint!, /case-sensitive/)
  })

  test('a token in two segments is malformed, with nothing else checked', async () => {
    const report = await explain(vector('fail-two-segments').token)
    assert.equal(report.reason, 'malformed')
    assert.deepEqual(report.checks.map((c) => c.name), ['format'])
    assert.match(report.checks[0]!.hint!, /signature segment is missing/)
    assert.ok(report.claims, 'the payload still shows')
  })

  test('a token longer than the middleware reads is too_large', async () => {
    const report = await explain(signToken(claims({ upstream_claims: { blob: 'x'.repeat(9000) } })))
    assert.equal(report.reason, 'too_large')
  })

  test('without a key, issuer or audience nothing fails, and the verdict is undecided', async () => {
    const report = await explainToken({ token: signToken(claims()), nowMs: NOW_MS })
    assert.equal(report.verdict, 'undecided')
    assert.deepEqual(report.checks.filter((c) => c.status === 'skip').map((c) => c.name), ['signature', 'iss', 'aud'])
    assert.equal(check(report, 'iss').found, JSON.stringify(ISSUER))
  })

  test('names the header order of either FastMCP generation', async () => {
    const current = await explain(signToken(claims(), { header: '{"typ":"JWT","alg":"HS256"}' }))
    assert.match(check(current, 'algorithm').found, /FastMCP 3\.4\+/)
    const legacy = await explain(signToken(claims(), { header: '{"alg":"HS256","typ":"JWT"}' }))
    assert.match(check(legacy, 'algorithm').found, /before 3\.4/)
  })
})

describe('explainToken: other keys', () => {
  test('none is derived when the signature verifies', async () => {
    const alternative = counted('other_entropy', OTHER_KEY)
    const report = await explain(signToken(claims()), { key: { ...KEY, alternatives: [alternative] } })
    assert.equal(report.verdict, 'accepted')
    assert.equal(alternative.calls, 0)
  })

  test('on a failure they are tried in order, up to the first that verifies, which is named', async () => {
    const first = counted('raw_key_bytes', 'a'.repeat(44))
    const second = counted('default_salt', OTHER_KEY)
    const third = counted('previous_secret', 'b'.repeat(44))
    const report = await explain(signToken(claims(), { key: OTHER_KEY }), { key: { ...KEY, alternatives: [first, second, third] } })
    assert.equal(report.reason, 'bad_signature')
    assert.equal(report.signedWith, 'default_salt')
    assert.deepEqual([first.calls, second.calls, third.calls], [1, 1, 0])
    const signature = check(report, 'signature')
    assert.equal(signature.found, 'a signature by alternative default_salt')
    assert.equal(signature.hint, 'hint for default_salt')
  })

  test('when none verifies, the report says which were tried', async () => {
    const report = await explain(signToken(claims(), { key: OTHER_KEY }), { key: { ...KEY, alternatives: [counted('other_entropy', 'c'.repeat(44))] } })
    assert.equal(report.signedWith, undefined)
    assert.match(check(report, 'signature').hint!, /tried 1 other derivation\(s\): other_entropy/)
  })

  test('FastMCP vector fail-mode-confusion: signed with HKDF, the server derives with PBKDF2', async () => {
    const v = vector('fail-mode-confusion')
    const source = secretSource(v.key_material, 'low', v.salt)
    const key = await deriveJwtKey({ lowEntropyMaterial: v.key_material, salt: v.salt })
    const report = await explain(v.token, { key: { description: 'the configured key', key, alternatives: keyAlternatives(source, key) } })
    assert.equal(report.reason, 'bad_signature')
    assert.equal(report.signedWith, 'other_entropy')
    assert.match(check(report, 'signature').hint!, /the signer derived the key with HKDF \(entropy high\), you with PBKDF2 \(entropy low\)/)
  })

  test('FastMCP vector fail-raw-32-byte-key: the 32 raw bytes instead of the 44-character text', async () => {
    const v = vector('fail-raw-32-byte-key')
    const key = Buffer.from(v.key)
    const report = await explain(v.token, { key: { description: 'the ready key', key, alternatives: keyAlternatives({ kind: 'signing-key', origin: '--signing-key-file', key }, key) } })
    assert.equal(report.signedWith, 'raw_key_bytes')
    assert.match(check(report, 'signature').hint!, /32 raw bytes/)
  })

  test('keyAlternatives lists the free and HKDF keys before the PBKDF2 ones, previous secrets last', () => {
    const key = Buffer.from(VECTOR_KEY)
    const ids = (source: SecretKeySource) => keyAlternatives(source, key).map((a) => a.id)
    assert.deepEqual(ids(secretSource('s', 'low', 'custom', ['old'])), [
      'raw_key_bytes', 'secret_as_key', 'other_entropy', 'default_salt_other_entropy', 'default_salt', 'previous_secret',
    ])
    assert.deepEqual(ids(secretSource('s', 'high', 'custom')), [
      'raw_key_bytes', 'secret_as_key', 'default_salt', 'other_entropy', 'default_salt_other_entropy',
    ])
    assert.deepEqual(ids(secretSource('s', 'low', 'fastmcp-jwt-signing-key')), ['raw_key_bytes', 'secret_as_key', 'other_entropy'])
  })
})

describe('explainToken agrees with JWTIssuer.verifyToken', () => {
  const issuer = new JWTIssuer({ issuer: ISSUER, audience: AUDIENCE, signingKey: VECTOR_KEY, clock: () => NOW_MS })
  const cases: [string, string][] = [
    ...vectors.tokens.filter((v) => v.key === VECTOR_KEY && v.issuer === ISSUER && v.audience === AUDIENCE).map((v): [string, string] => [v.id, v.token]),
    ['expired', signToken(claims({ exp: NOW - 1 }))],
    ['nbf', signToken(claims({ nbf: NOW + 1 }))],
    ['refresh', signToken(claims({ token_use: 'refresh' }))],
    ['issuer', signToken(claims({ iss: `${ISSUER}/` }))],
    ['types', signToken(claims({ scope: ['read'] }))],
    ['sub', signToken(claims({ sub: 7 }))],
    ['explicit access', signToken(claims({ token_use: 'access' }))],
    ['lifetime', signToken(claims({ exp: NOW + DEFAULT_MAX_TOKEN_LIFETIME + 1 }))],
    ['lifetime and refresh', signToken(claims({ exp: NOW + DEFAULT_MAX_TOKEN_LIFETIME + 1, token_use: 'refresh' }))],
  ]
  for (const [name, token] of cases) {
    test(`same verdict for ${name}`, async () => {
      const server = await issuer.verifyToken(token, { expectedTokenUse: 'access' }).then(
        () => 'accepted',
        (err: unknown) => (err instanceof InvalidTokenError ? err.reason : 'threw'),
      )
      const report = await explain(token)
      assert.equal(report.verdict === 'accepted' ? 'accepted' : report.reason, server)
    })
  }
})

describe('explainToken agrees with FastMCP 3.4\'s verify_token on its vectors', () => {
  for (const v of vectors34.tokens) {
    for (const use of ['access', 'refresh'] as const) {
      test(`${v.id} as ${use}: ${v.expect[use].verdict}`, async () => {
        const report = await explainToken({
          token: v.token, issuer: v.issuer, audience: v.audience, expectedTokenUse: use, nowMs: vectors34.now * 1000,
          key: { description: 'the vector key', key: Buffer.from(v.key), alternatives: [] },
        })
        assert.equal(report.verdict, v.expect[use].verdict === 'valid' ? 'accepted' : 'refused')
      })
    }
  }
})

describe('renderReport', () => {
  test('marks the decoded token NOT VERIFIED and shows expected, found and cause per check', async () => {
    const text = renderReport(await explain(signToken(claims({ iss: `${ISSUER}/` }))))
    assert.match(text, /^Decoded, NOT VERIFIED/)
    assert.match(text, /\[FAIL\] iss {8}expected: "https:\/\/mcp\.example\.com"\n {20}found: {4}"https:\/\/mcp\.example\.com\/"\n {20}cause: {4}trailing slash/)
    assert.match(text, /\nVerdict: REFUSED \(invalid_issuer\): The token was issued by another issuer\n$/)
  })
})

describe('describeUrlDifference', () => {
  test('the same URL in another case is named as such', () => {
    assert.match(describeUrlDifference('iss', 'https://mcp.example.com/', 'HTTPS://MCP.Example.com/')!, /written differently/)
  })
  test('http for https is named, with the proxy hint', () => {
    assert.match(describeUrlDifference('aud', 'https://h.example/mcp', 'http://h.example/mcp')!, /the scheme differs \(http in the token, https on the server\)/)
  })
  test('another host', () => {
    assert.equal(describeUrlDifference('iss', 'https://a.example/', 'https://b.example/'), 'another host (b.example in the token, a.example on the server)')
  })
  test('not URLs: no hint', () => {
    assert.equal(describeUrlDifference('iss', 'issuer-a', 'issuer-b'), undefined)
  })
})

describe('formatDuration and formatInstant', () => {
  test('two largest units, zeros dropped', () => {
    assert.equal(formatDuration((3 * 3600 + 12 * 60 + 5) * 1000), '3 h 12 min')
    assert.equal(formatDuration(2 * 86400 * 1000), '2 d')
    assert.equal(formatDuration(45_900), '45 s')
    assert.equal(formatDuration(0), '0 s')
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'forever')
  })
  test('ISO 8601 UTC, milliseconds only when there are some', () => {
    assert.equal(formatInstant(NOW), '2100-01-01T00:00:00Z')
    assert.equal(formatInstant(NOW + 0.5), '2100-01-01T00:00:00.500Z')
  })
})

function secretSource(secret: string, entropy: 'low' | 'high', salt: string, previousSecrets: string[] = []): SecretKeySource {
  return { kind: 'secret', origin: 'FASTMCP_JWT_SECRET', secret, entropy, salt, previousSecrets, previousSecretCount: previousSecrets.length }
}
