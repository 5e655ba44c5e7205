// Refresh-token rotation across instances in separate processes sharing a RedisTokenStore
// on a private redis-server (killed and restarted here): single use is decided atomically
// in Redis, and a detected reuse revokes the family on every instance.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { vector } from '../helpers.js'
import { startInstance, stopInstances, type Instance } from './instances.js'
import { eventually, freshPrefix, startPrivateRedis, type PrivateRedis } from './redis-helpers.js'

// the FastMCP vectors' key, issuer and audience: their refresh token must start a family here.
// They were minted for the year 2100, so the instances accept a lifetime that long.
const fastmcp = vector('refresh-basic')
const ADMIN_KEY = randomUUID()
const CENTURY = 100 * 365 * 86_400

interface Pair { access_token: string; refresh_token?: string }
interface Reply { status: number; body: Pair & { error?: string }; retryAfter: string | null }

describe('refresh rotation across instances sharing a RedisTokenStore', () => {
  let redis: PrivateRedis
  const instances: Instance[] = []
  let strictA: Instance // grace 0
  let strictB: Instance
  let lenientA: Instance // grace 10 s
  let lenientB: Instance
  // one prefix for all four: they share their token state
  const prefix = freshPrefix('rotation')

  const start = async (name: string, grace: number): Promise<Instance> => {
    const instance = await startInstance(name, {
      REDIS_URL: redis.url, PREFIX: prefix, SIGNING_KEY: fastmcp.key, ISSUER: fastmcp.issuer,
      AUDIENCE: fastmcp.audience, ADMIN_KEY, GRACE: String(grace), MAX_LIFETIME: String(CENTURY),
    })
    instances.push(instance)
    return instance
  }

  before(async () => {
    redis = await startPrivateRedis()
    ;[strictA, strictB, lenientA, lenientB] = await Promise.all([start('A0', 0), start('B0', 0), start('A10', 10), start('B10', 10)])
  })
  after(async () => {
    await stopInstances(instances)
    await redis?.kill()
  })

  async function grant(on: Instance): Promise<Pair> {
    const res = await fetch(`${on.url}/admin/grant`, { method: 'POST', headers: { 'x-test-admin': ADMIN_KEY } })
    assert.equal(res.status, 200)
    return (await res.json()) as Pair
  }

  async function exchange(on: Instance, refreshToken: string): Promise<Reply> {
    const res = await fetch(`${on.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    })
    return { status: res.status, body: (await res.json()) as Reply['body'], retryAfter: res.headers.get('retry-after') }
  }

  async function mcp(on: Instance, token: string): Promise<number> {
    const res = await fetch(`${on.url}/mcp`, { headers: { authorization: `Bearer ${token}` } })
    await res.arrayBuffer()
    return res.status
  }

  const refusedEverywhere = (tokens: string[], on: Instance[]) =>
    eventually(async () => (await Promise.all(on.flatMap((i) => tokens.map((t) => mcp(i, t))))).every((s) => s === 401), 1000, 'the family refused on every instance')

  test('rotation: the new pair works on every instance; the old refresh token is refused after the window', async () => {
    const first = await grant(strictA)
    const next = await exchange(strictA, first.refresh_token!)
    assert.equal(next.status, 200)
    for (const on of [strictA, strictB]) assert.equal(await mcp(on, next.body.access_token), 200)
    const replay = await exchange(strictB, first.refresh_token!)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
  })

  test('reuse after the window: every token of the family, access tokens handed out before included, refused on both within 1 s', async () => {
    const first = await grant(strictA)
    const second = (await exchange(strictB, first.refresh_token!)).body
    for (const on of [strictA, strictB]) assert.equal(await mcp(on, second.access_token), 200)
    assert.equal((await exchange(strictA, first.refresh_token!)).body.error, 'invalid_grant')
    const ms = await refusedEverywhere([first.access_token, second.access_token], [strictA, strictB])
    assert.ok(ms <= 1000)
    assert.equal((await exchange(strictB, second.refresh_token!)).body.error, 'invalid_grant')
  })

  test('20 concurrent exchanges over two instances, grace 0: exactly one succeeds and the family ends revoked', async () => {
    const first = await grant(strictA)
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(i % 2 === 0 ? strictA : strictB, first.refresh_token!)))
    const won = replies.filter((r) => r.status === 200)
    assert.equal(won.length, 1)
    assert.deepEqual(new Set(replies.filter((r) => r.status !== 200).map((r) => r.body.error)), new Set(['invalid_grant']))
    await refusedEverywhere([first.access_token, won[0]!.body.access_token], [strictA, strictB])
  })

  test('20 concurrent exchanges over two instances, grace 10: all succeed in one family and nothing is revoked', async () => {
    const first = await grant(lenientA)
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(i % 2 === 0 ? lenientA : lenientB, first.refresh_token!)))
    assert.deepEqual(replies.map((r) => r.status), Array(20).fill(200))
    for (const token of [first.access_token, ...replies.map((r) => r.body.access_token)]) {
      for (const on of [lenientA, lenientB]) assert.equal(await mcp(on, token), 200)
    }
  })

  test('a refresh token FastMCP minted starts a family at its first exchange', async () => {
    const next = await exchange(strictA, fastmcp.token)
    assert.equal(next.status, 200)
    assert.equal(await mcp(strictB, next.body.access_token), 200)
    assert.equal((await exchange(strictB, fastmcp.token)).body.error, 'invalid_grant')
    await refusedEverywhere([next.body.access_token], [strictA, strictB])
  })

  test('Redis down: an exchange is 503 temporarily_unavailable and issues nothing; Redis back: it works again', async () => {
    const first = await grant(strictA)
    await redis.kill()
    try {
      const down = await exchange(strictB, first.refresh_token!)
      assert.equal(down.status, 503)
      assert.equal(down.body.error, 'temporarily_unavailable')
      assert.equal(down.retryAfter, '5')
      assert.equal(down.body.access_token, undefined)
    } finally {
      await redis.start()
    }
    let back: Reply | undefined
    await eventually(async () => (back = await exchange(strictB, first.refresh_token!)).status === 200, 10_000, 'the exchange works once Redis is back')
    assert.equal(await mcp(strictA, back!.body.access_token), 200)
    for (const instance of instances) assert.equal(instance.child.exitCode, null, `${instance.name} is still running: ${instance.stderr.join('')}`)
  })
})
