import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InvalidTokenError, JWTIssuer, type JsonValue } from '../src/index.js'
import { AUDIENCE, ISSUER, NOW_MS, VECTOR_KEY } from './helpers.js'

const issuer = new JWTIssuer({ issuer: ISSUER, audience: AUDIENCE, signingKey: VECTOR_KEY, clock: () => NOW_MS })

const scope = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !/[\s\x1c-\x1f\x85]/.test(s))
const upstream = fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })

describe('JWTIssuer properties', () => {
  test('issue then verify round-trips any client id, scope list and JSON upstream claims', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(scope, { maxLength: 6 }), upstream, fc.boolean(),
        async (clientId, scopes, upstreamClaims, refresh) => {
          const input = { clientId, scopes, upstreamClaims: upstreamClaims as { [k: string]: JsonValue } }
          const token = refresh
            ? await issuer.issueRefreshToken({ ...input, expiresIn: 600 })
            : await issuer.issueAccessToken(input)
          const claims = await issuer.verifyToken(token, { expectedTokenUse: 'any' })
          assert.equal(claims.client_id, clientId)
          assert.equal(claims.scope, scopes.join(' '))
          assert.equal(claims.token_use, refresh ? 'refresh' : undefined)
          if (Object.keys(upstreamClaims).length === 0) assert.equal(claims.upstream_claims, undefined)
          else assert.deepEqual(claims.upstream_claims, JSON.parse(JSON.stringify(upstreamClaims)))
        }),
      { numRuns: 300 },
    )
  })

  test('any single-character change to a valid token is refused', async () => {
    const token = await issuer.issueAccessToken({ clientId: 'client-abc', scopes: ['read', 'write'], upstreamClaims: { sub: 'u1' } })
    const anyChar = fc.oneof(
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '),
      fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    )
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: token.length - 1 }), anyChar, async (index, char) => {
        fc.pre(token[index] !== char)
        const mutated = token.slice(0, index) + char + token.slice(index + 1)
        await assert.rejects(issuer.verifyToken(mutated), InvalidTokenError)
      }),
      { numRuns: 2000 },
    )
  })
})
