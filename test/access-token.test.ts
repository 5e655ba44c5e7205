// auth.verifyAccessToken: the middleware's decision on a bare token.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { InvalidTokenError, KeyUnavailableError, createFastMcpAuth } from '../src/index.js'
import { AUDIENCE, ISSUER, METADATA_URL, NOW, claims, createAuthContext, signToken, startServer } from './helpers.js'

const refusal = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (err) {
    return err
  }
  assert.fail('expected a refusal')
}

describe('auth.verifyAccessToken', () => {
  test('resolves to the very AuthInfo requireFastMcpToken puts on req.auth, cached or not', async () => {
    const ctx = createAuthContext({ scopeHierarchy: { 'notes:write': ['notes:read'] } })
    const server = await startServer('http', [ctx.auth.requireFastMcpToken])
    try {
      const token = signToken(claims({ jti: 'vat-1', scope: 'notes:write' }))
      const direct = await ctx.auth.verifyAccessToken(token)
      assert.deepEqual(direct.scopes, ['notes:write', 'notes:read'])
      assert.equal(direct.resourceMetadataUrl, METADATA_URL)
      assert.equal(await ctx.auth.verifyAccessToken(token), direct, 'a cache hit shares the frozen AuthInfo')
      const res = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 200)
      assert.equal(server.lastAuth(), direct)
      assert.ok(Object.isFrozen(direct))
    } finally {
      await server.close()
    }
  })

  for (const [name, token, reason] of [
    ['a refresh token', signToken(claims({ jti: 'vat-r', token_use: 'refresh' })), 'refresh_token'],
    ['an expired token', signToken(claims({ jti: 'vat-e', exp: NOW - 1 })), 'expired'],
    ['a forged token', signToken(claims({ jti: 'vat-f' }), { key: 'another-key-another-key-another-key-another' }), 'bad_signature'],
    ['characters outside b64token', 'not a token!', 'malformed'],
    ['an empty string', '', 'malformed'],
    ['a token over maxTokenLength', 'a'.repeat(8193), 'too_large'],
  ] as const) {
    test(`refuses ${name} with the middleware's typed error, challenge included`, async () => {
      const ctx = createAuthContext()
      const err = await refusal(ctx.auth.verifyAccessToken(token))
      assert.ok(err instanceof InvalidTokenError)
      assert.equal(err.reason, reason)
      assert.match(err.headers['www-authenticate']!, new RegExp(`^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="${METADATA_URL}"$`))
    })
  }

  test('refuses a revoked token, cached or not', async () => {
    const ctx = createAuthContext()
    const token = signToken(claims({ jti: 'vat-revoked' }))
    await ctx.auth.verifyAccessToken(token)
    await ctx.auth.revoke('vat-revoked')
    const err = await refusal(ctx.auth.verifyAccessToken(token))
    assert.ok(err instanceof InvalidTokenError && err.reason === 'revoked')
  })

  test('waits for the key at most keyWaitMs, then rejects with KeyUnavailableError (503)', async () => {
    const auth = createFastMcpAuth({ secret: 'a-long-enough-secret-for-pbkdf2', issuer: ISSUER, audience: AUDIENCE, keyWaitMs: 1 })
    const err = await refusal(auth.verifyAccessToken(signToken(claims())))
    assert.ok(err instanceof KeyUnavailableError)
    assert.equal(err.status, 503)
    await auth.ready
  })
})
