// A clock that returns NaN or ±Infinity refuses every token, cached or not: checkTimes,
// which full verification and the cache share, fails closed on a time it cannot read.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFastMcpAuth } from '../../src/index.js'
import { AUDIENCE, ISSUER, NOW, NOW_MS, VECTOR_KEY, claims, signToken } from '../helpers.js'
import { authorization, client, startSecureServer } from './harness.js'

for (const broken of [NaN, -Infinity, Infinity]) {
  test(`a clock returning ${broken} makes the cache refuse, as full verification does`, async () => {
    let now = NOW_MS
    const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: () => now })
    const server = await startSecureServer('http', [auth.requireFastMcpToken])
    try {
      const cached = signToken(claims({ jti: 'clock-cached', exp: NOW + 60 }))
      const fresh = signToken(claims({ jti: 'clock-fresh', exp: NOW + 60 }))
      assert.equal((await client.send(server.port, { headers: authorization(`Bearer ${cached}`) })).status, 200)
      now = broken
      // full verification refuses
      assert.equal((await client.send(server.port, { headers: authorization(`Bearer ${fresh}`) })).status, 401)
      // the cache must not answer differently
      assert.equal((await client.send(server.port, { headers: authorization(`Bearer ${cached}`) })).status, 401)
    } finally {
      await server.close()
      client.close()
    }
  })
}
