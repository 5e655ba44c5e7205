// Several instances of one app, each its own process, sharing a RedisTokenStore on a
// private redis-server this test kills and restarts.
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createFastMcpAuth, type IssuedToken } from '../../src/index.js'
import { startInstance, stopInstances, type Instance } from './instances.js'
import { eventually, freshPrefix, startPrivateRedis, type PrivateRedis } from './redis-helpers.js'

const ISSUER = 'http://127.0.0.1/'
const AUDIENCE = 'http://127.0.0.1/mcp'
const SECRET = randomBytes(32).toString('base64url')
const ADMIN_KEY = randomUUID()

describe('instances in separate processes sharing a RedisTokenStore', () => {
  let redis: PrivateRedis
  const prefix = freshPrefix('multi')
  const instances: Instance[] = []
  // the test mints with the same secret, as a token endpoint on any instance would
  const minter = createFastMcpAuth({ secret: SECRET, entropy: 'high', issuer: ISSUER, audience: AUDIENCE })

  async function start(name: string): Promise<Instance> {
    const instance = await startInstance(name, { REDIS_URL: redis.url, PREFIX: prefix, SECRET, ISSUER, AUDIENCE, ADMIN_KEY })
    instances.push(instance)
    return instance
  }

  const mint = (): Promise<IssuedToken> => minter.issueAccessToken({ clientId: 'multi-client', scopes: ['read'] })

  async function status(instance: Instance, token: IssuedToken): Promise<number> {
    const res = await fetch(`${instance.url}/mcp`, { headers: { authorization: `Bearer ${token.token}` } })
    await res.arrayBuffer()
    return res.status
  }

  async function revokeOn(instance: Instance, token: IssuedToken): Promise<number> {
    const res = await fetch(`${instance.url}/admin/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-admin': ADMIN_KEY },
      body: JSON.stringify({ jti: token.jti, exp: token.expiresAt }),
    })
    await res.arrayBuffer()
    return res.status
  }

  async function health(instance: Instance): Promise<{ staleForMs: number; pending: number }> {
    const res = await fetch(`${instance.url}/admin/health`)
    return (await res.json()) as { staleForMs: number; pending: number }
  }

  let a: Instance
  let b: Instance

  before(async () => {
    redis = await startPrivateRedis()
    await minter.ready
    ;[a, b] = await Promise.all([start('A'), start('B')])
  })

  after(async () => {
    await stopInstances(instances)
    await redis?.kill()
  })

  test('the admin route needs the test\'s key', async () => {
    const res = await fetch(`${a.url}/admin/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(res.status, 403)
  })

  test('a token revoked on A is refused by B within 1 s, though B had it cached', async () => {
    const token = await mint()
    assert.equal(await status(a, token), 200)
    assert.equal(await status(b, token), 200)
    assert.equal(await revokeOn(a, token), 204)
    assert.equal(await status(a, token), 401, 'A refuses at once')
    const ms = await eventually(async () => (await status(b, token)) === 401, 1000, 'B refuses the revoked token')
    assert.ok(ms <= 1000)
  })

  test('an instance started after the revocation refuses from its first request', async () => {
    const token = await mint()
    assert.equal(await revokeOn(b, token), 204)
    const c = await start('C')
    assert.equal(await status(c, token), 401)
    assert.equal(await status(c, await mint()), 200, 'and accepts a token never revoked')
  })

  test('concurrent revocations from A and B all land on every instance', async () => {
    const tokens = await Promise.all(Array.from({ length: 40 }, mint))
    const statuses = await Promise.all(tokens.map((t, i) => revokeOn(i % 2 === 0 ? a : b, t)))
    assert.deepEqual(new Set(statuses), new Set([204]))
    for (const instance of instances) {
      await eventually(async () => {
        const seen = await Promise.all(tokens.map((t) => status(instance, t)))
        return seen.every((s) => s === 401)
      }, 1000, `${instance.name} refuses all 40`)
    }
  })

  test('with Redis down A and B keep answering; a revocation made then reaches B once Redis is back', async () => {
    const valid = await mint()
    const revokedBefore = await mint()
    assert.equal(await revokeOn(a, revokedBefore), 204)
    await eventually(async () => (await status(b, revokedBefore)) === 401, 1000, 'B refuses before the outage')
    const duringOutage = await mint()
    assert.equal(await status(b, duringOutage), 200, 'B has it cached')

    await redis.kill()
    await eventually(async () => (await health(a)).staleForMs > 0 && (await health(b)).staleForMs > 0, 5000, 'both notice the outage')
    for (const instance of [a, b]) {
      assert.equal(await status(instance, valid), 200, `${instance.name} still accepts a valid token`)
      assert.equal(await status(instance, revokedBefore), 401, `${instance.name} still refuses a revoked one`)
    }

    assert.equal(await revokeOn(a, duringOutage), 503, 'A says the others may not know yet')
    assert.equal(await status(a, duringOutage), 401, 'A refuses it at once')
    assert.equal(await status(b, duringOutage), 200, 'B cannot know yet')
    assert.equal((await health(a)).pending, 1)

    await redis.start()
    await eventually(async () => (await status(b, duringOutage)) === 401, 10_000, 'B learns the revocation once Redis is back')
    await eventually(async () => (await health(a)).pending === 0 && (await health(b)).staleForMs === 0, 10_000, 'both back in sync')
    for (const instance of instances) {
      assert.equal(instance.child.exitCode, null, `${instance.name} is still running: ${instance.stderr.join('')}`)
    }
  })
})
