import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, afterEach, before, describe, test } from 'node:test'
import { createClient as createClientV5 } from 'redis5'
import { StoreUnavailableError } from '../../src/errors.js'
import { RedisTokenStore, type RedisTokenStoreClient, type RedisTokenStoreOptions } from '../../src/store/redis.js'
import type { RefreshTokenUse, StoreErrorEvent } from '../../src/store/types.js'
import { contractClock, runTokenStoreContract, type ContractSubject } from './contract.js'
import {
  SHARED_REDIS_URL,
  connectClient,
  deleteKeys,
  eventually,
  freshPrefix,
  startPrivateRedis,
  type PrivateRedis,
  type TestRedisClient,
} from './redis-helpers.js'

const RUN = freshPrefix('redis-test')
const HOUR = 3_600_000
let resp3: TestRedisClient
let resp2: TestRedisClient
// the oldest node-redis the peer range allows (v5 speaks RESP2 by default)
let v5: ReturnType<typeof createClientV5>
let stores = 0

/** A store prefix of its own under this run's prefix. */
const storePrefix = (): string => `${RUN}${stores++}:`

before(async () => {
  resp3 = await connectClient(SHARED_REDIS_URL, { RESP: 3 })
  resp2 = await connectClient(SHARED_REDIS_URL, { RESP: 2 })
  v5 = createClientV5({ url: SHARED_REDIS_URL })
  v5.on('error', () => {})
  await v5.connect()
})

after(async () => {
  await deleteKeys(resp3, RUN)
  resp3.destroy()
  resp2.destroy()
  v5.destroy()
})

function contractFactory(client: () => RedisTokenStoreClient): () => Promise<ContractSubject> {
  return async () => {
    const clock = contractClock()
    const store = new RedisTokenStore({ client: client(), prefix: storePrefix(), clock: clock.now })
    return { store, clock, cleanup: () => store.close() }
  }
}

runTokenStoreContract('RedisTokenStore, RESP3 client', contractFactory(() => resp3))
runTokenStoreContract('RedisTokenStore, RESP2 client', contractFactory(() => resp2))
runTokenStoreContract('RedisTokenStore, node-redis 5.0.0 client', contractFactory(() => v5))

describe('RedisTokenStore', () => {
  const open: RedisTokenStore[] = []
  const make = (options: Partial<RedisTokenStoreOptions> = {}): RedisTokenStore => {
    const store = new RedisTokenStore({ client: resp3, prefix: storePrefix(), ...options })
    open.push(store)
    return store
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()))
  })

  test('refuses a missing or disconnected client and bad options, naming the option', async () => {
    const disconnected = resp3.duplicate() // never connected
    const bad: [Partial<RedisTokenStoreOptions>, RegExp][] = [
      [{ client: undefined }, /`client`/],
      [{ client: {} as RedisTokenStoreClient }, /`client`/],
      [{ client: disconnected }, /`client` must be connected/],
      [{ prefix: '' }, /`prefix`/],
      [{ commandTimeoutMs: 0 }, /`commandTimeoutMs`/],
      [{ retryMaxMs: Number.NaN }, /`retryMaxMs`/],
      [{ pruneIntervalMs: -1 }, /`pruneIntervalMs`/],
      [{ clockSkewMs: Number.POSITIVE_INFINITY }, /`clockSkewMs`/],
    ]
    for (const [options, message] of bad) {
      assert.throws(() => new RedisTokenStore({ client: resp3, ...options } as RedisTokenStoreOptions), (err: unknown) => err instanceof TypeError && message.test(err.message))
    }
  })

  test('ready() resolves with the mirror loaded; staleForMs is then 0', async () => {
    const store = make()
    assert.ok(store.staleForMs() > 0, 'out of sync before the first load')
    await store.ready()
    assert.equal(store.staleForMs(), 0)
    assert.equal(store.pendingRevocations, 0)
  })

  test('isRevoked makes no round trip to Redis, hit or miss; nor does a revoke the mirror holds', async () => {
    let commands = 0
    const counting: RedisTokenStoreClient = {
      get isOpen() { return resp3.isOpen },
      get isReady() { return resp3.isReady },
      sendCommand: (args, options) => {
        commands++
        return resp3.sendCommand(args, options)
      },
      duplicate: () => resp3.duplicate(),
      on: (event, listener) => resp3.on(event, listener),
      off: (event, listener) => resp3.off(event, listener),
    }
    const store = make({ client: counting })
    await store.ready()
    await store.revoke([{ jti: 'hit', until: Date.now() + HOUR }])
    const before = commands
    for (let i = 0; i < 1000; i++) {
      assert.equal(store.isRevoked('hit'), true)
      assert.equal(store.isRevoked(`miss-${i}`), false)
    }
    assert.equal(commands, before)
    await store.revoke([{ jti: 'hit', until: Date.now() + 60_000 }])
    assert.equal(commands, before, 'revoking again what the mirror holds (as the verifier does on each refusal) sends nothing')
    await store.revoke([{ jti: 'hit', until: Date.now() + 2 * HOUR }])
    assert.equal(commands, before + 1, 'a longer revocation is sent')
  })

  test('keeps the documented key layout: no value holds a token, every key but the revoked set expires', async () => {
    const store = make()
    await store.ready()
    const p = store.prefix
    const now = Date.now()
    await store.revoke([{ jti: 'jti-revoked', until: now + HOUR }])
    await store.addToFamily('fam-1', [{ jti: 'rt-1', until: now + HOUR, refresh: true }, { jti: 'at-1', until: now + 600_000, refresh: false }])
    await store.useRefreshToken({ jti: 'rt-1', until: now + HOUR, now, graceMs: 0, newFamily: 'unused' })
    await store.addToFamily('fam-2', [{ jti: 'rt-2', until: now + HOUR, refresh: true }])
    await store.revokeFamily('fam-2')
    await store.setRecord('code-hash', 'a-record', 60_000)

    const keys: string[] = []
    for await (const batch of resp3.scanIterator({ MATCH: `${p}*` })) keys.push(...batch)
    assert.deepEqual(keys.map((k) => k.slice(p.length)).sort(), [
      'family-revoked:fam-2', 'family:fam-1', 'family:fam-2', 'member:at-1', 'member:rt-1', 'member:rt-2', 'record:code-hash', 'revoked',
    ])
    assert.equal(await resp3.zScore(`${p}revoked`, 'jti-revoked'), now + HOUR)
    assert.equal(await resp3.zScore(`${p}revoked`, 'rt-2'), now + HOUR, 'the revoked family\'s member')
    assert.equal(await resp3.hGet(`${p}member:rt-1`, 'family'), 'fam-1')
    assert.equal(await resp3.hGet(`${p}member:rt-1`, 'used_at'), String(now))
    assert.equal(await resp3.hGet(`${p}member:at-1`, 'used_at'), null)
    assert.deepEqual(await resp3.zRange(`${p}family:fam-1`, 0, -1), ['at-1', 'rt-1'])
    for (const key of keys) {
      const ttl = await resp3.pTTL(key)
      if (key === `${p}revoked`) assert.equal(ttl, -1, 'the revoked set is pruned, not expired')
      else assert.ok(ttl > 0, `${key} expires`)
    }
    // member keys outlive their until by the clock-skew margin (60 s by default)
    const memberTtl = await resp3.pTTL(`${p}member:at-1`)
    assert.ok(memberTtl > 600_000 && memberTtl <= 660_000 + 1000, String(memberTtl))
  })

  test('close() leaves the caller\'s client open', async () => {
    const store = make()
    await store.ready()
    await store.close()
    assert.equal(resp3.isReady, true)
    assert.equal(await resp3.ping(), 'PONG')
  })

  test('a Redis error reply rejects StoreUnavailableError and reaches onStoreError', async () => {
    const events: StoreErrorEvent[] = []
    const store = make({ onStoreError: (e) => events.push(e) })
    await store.ready()
    await resp3.set(`${store.prefix}member:wrong-type`, 'x', { PX: 60_000 })
    await assert.rejects(store.familyOf('wrong-type'), StoreUnavailableError)
    await assert.rejects(
      store.useRefreshToken({ jti: 'wrong-type', until: Date.now() + HOUR, now: Date.now(), graceMs: 0, newFamily: 'f' }),
      StoreUnavailableError,
    )
    assert.deepEqual(events.map((e) => e.operation), ['family', 'exchange'])
    assert.match(String(events[0]?.error), /WRONGTYPE/)
  })

  test('a message on the channel from elsewhere reaches the mirror; a malformed one is ignored', async () => {
    const events: StoreErrorEvent[] = []
    const store = make({ onStoreError: (e) => events.push(e) })
    await store.ready()
    await resp3.publish(`${store.prefix}revocations`, 'not json')
    await resp3.publish(`${store.prefix}revocations`, JSON.stringify([{ jti: 7 }, null, { jti: 'from-elsewhere', until: Date.now() + HOUR }]))
    await eventually(() => store.isRevoked('from-elsewhere'), 1000, 'the published revocation')
    assert.deepEqual(events.map((e) => e.operation), ['message'])
  })

  test('revoke and useRefreshToken refuse ill-typed input with a TypeError', async () => {
    const store = make()
    await store.ready()
    await assert.rejects(store.revoke([{ jti: '', until: Date.now() + HOUR }]), TypeError)
    await assert.rejects(store.revoke([{ jti: 'j', until: Number.NaN }]), TypeError)
    await assert.rejects(store.useRefreshToken({ jti: 'j', until: Date.now() + HOUR, now: Date.now(), graceMs: -1, newFamily: 'f' }), TypeError)
    await assert.rejects(store.setRecord('k', 'v', 0), TypeError)
    assert.equal(store.isRevoked('j'), false, 'nothing was half-applied')
  })
})

describe('RedisTokenStore: two instances on one Redis', () => {
  let clientA: TestRedisClient
  let clientB: TestRedisClient
  let prefix: string
  let a: RedisTokenStore
  let b: RedisTokenStore
  const extra: RedisTokenStore[] = []

  before(async () => {
    clientA = await connectClient()
    clientB = await connectClient()
  })
  after(() => {
    clientA.destroy()
    clientB.destroy()
  })
  // a fresh prefix per test: each starts from an empty store
  const setUp = async (): Promise<void> => {
    prefix = storePrefix()
    a = new RedisTokenStore({ client: clientA, prefix })
    b = new RedisTokenStore({ client: clientB, prefix })
    await Promise.all([a.ready(), b.ready()])
  }
  afterEach(async () => {
    await Promise.all([a.close(), b.close(), ...extra.splice(0).map((s) => s.close())])
  })

  test('a revocation on A reaches B within 1 s', async () => {
    await setUp()
    const jti = randomUUID()
    await a.revoke([{ jti, until: Date.now() + HOUR }])
    const ms = await eventually(() => b.isRevoked(jti), 1000, 'B sees the revocation')
    assert.ok(ms < 1000)
  })

  test('a store created after the revocation sees it right after ready()', async () => {
    await setUp()
    const jti = randomUUID()
    await a.revoke([{ jti, until: Date.now() + HOUR }])
    const late = new RedisTokenStore({ client: clientB, prefix })
    extra.push(late)
    await late.ready()
    assert.equal(late.isRevoked(jti), true)
  })

  async function raceOneToken(graceMs: number): Promise<{ results: RefreshTokenUse[]; family: string; rt: string; at: string }> {
    const [family, rt, at] = [`fam-${randomUUID()}`, `rt-${randomUUID()}`, `at-${randomUUID()}`]
    const now = Date.now()
    await a.addToFamily(family, [{ jti: rt, until: now + HOUR, refresh: true }, { jti: at, until: now + HOUR, refresh: false }])
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).useRefreshToken({ jti: rt, until: now + HOUR, now: Date.now(), graceMs, newFamily: `unused-${i}` })),
    )
    return { results, family, rt, at }
  }

  test('20 concurrent uses of one refresh token over A and B, no grace: one first, the rest reused or revoked, the family revoked everywhere', async () => {
    await setUp()
    const { results, family, rt, at } = await raceOneToken(0)
    const counts = (r: string): number => results.filter((x) => x.result === r).length
    assert.equal(counts('first'), 1)
    assert.equal(counts('reused') + counts('revoked'), 19)
    assert.ok(counts('reused') >= 1)
    for (const r of results) assert.equal(r.family, family)
    for (const store of [a, b]) {
      await eventually(() => store.isRevoked(rt) && store.isRevoked(at), 1000, 'the family revoked on both')
    }
    const again = await b.useRefreshToken({ jti: rt, until: Date.now() + HOUR, now: Date.now(), graceMs: 0, newFamily: 'x' })
    assert.deepEqual(again, { result: 'revoked', family })
  })

  test('20 concurrent uses with a 10 s grace window: one first, the rest grace, nothing revoked', async () => {
    await setUp()
    const { results, family, rt, at } = await raceOneToken(10_000)
    assert.equal(results.filter((x) => x.result === 'first').length, 1)
    assert.equal(results.filter((x) => x.result === 'grace').length, 19)
    for (const r of results) assert.equal(r.family, family)
    for (const store of [a, b]) {
      assert.equal(store.isRevoked(rt), false)
      assert.equal(store.isRevoked(at), false)
    }
  })

  test('a family revoked on A is revoked in B\'s mirror', async () => {
    await setUp()
    const [family, rt] = [`fam-${randomUUID()}`, `rt-${randomUUID()}`]
    await b.addToFamily(family, [{ jti: rt, until: Date.now() + HOUR, refresh: true }])
    assert.equal(await a.revokeFamily(family), true)
    await eventually(() => b.isRevoked(rt), 1000, 'B sees the family revocation')
  })

  test('concurrent revocations from both sides all land, in both mirrors and in Redis', async () => {
    await setUp()
    const until = Date.now() + HOUR
    const fromA = Array.from({ length: 100 }, (_, i) => ({ jti: `a-${i}-${randomUUID()}`, until }))
    const fromB = Array.from({ length: 100 }, (_, i) => ({ jti: `b-${i}-${randomUUID()}`, until }))
    await Promise.all([
      ...fromA.map((e) => a.revoke([e])),
      ...fromB.map((e) => b.revoke([e])),
    ])
    const all = [...fromA, ...fromB]
    for (const store of [a, b]) await eventually(() => all.every((e) => store.isRevoked(e.jti)), 2000, 'every revocation in both mirrors')
    assert.equal(await clientA.zCard(`${prefix}revoked`), 200)
  })
})

describe('RedisTokenStore: Redis goes away and comes back', () => {
  let redis: PrivateRedis
  let clientA: TestRedisClient
  let clientB: TestRedisClient
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason)
  }

  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    redis = await startPrivateRedis()
    clientA = await connectClient(redis.url)
    clientB = await connectClient(redis.url)
  })
  after(async () => {
    process.off('unhandledRejection', onUnhandled)
    clientA?.destroy()
    clientB?.destroy()
    await redis?.kill()
  })

  test('the mirror answers during the outage; revocations made then reach the other instance once Redis returns', async () => {
    const TIMEOUT = 1000
    const eventsA: StoreErrorEvent[] = []
    const prefix = freshPrefix('outage')
    const a = new RedisTokenStore({
      client: clientA,
      prefix,
      commandTimeoutMs: TIMEOUT,
      onStoreError: (e) => {
        eventsA.push(e)
        throw new Error('a throwing hook changes nothing')
      },
    })
    const b = new RedisTokenStore({ client: clientB, prefix, commandTimeoutMs: TIMEOUT, onStoreError: () => Promise.reject(new Error('nor does a rejecting one')) })
    try {
      await Promise.all([a.ready(), b.ready()])
      const until = Date.now() + HOUR
      await a.revoke([{ jti: 'before-outage', until }])
      await eventually(() => b.isRevoked('before-outage'), 1000, 'B learns the first revocation')

      await redis.kill()
      await eventually(() => a.staleForMs() > 0 && b.staleForMs() > 0, 5000, 'both notice the outage')
      assert.equal(a.isRevoked('before-outage'), true, 'A answers from its mirror')
      assert.equal(b.isRevoked('before-outage'), true, 'B answers from its mirror')
      assert.equal(b.isRevoked('never-revoked'), false)

      const started = Date.now()
      await assert.rejects(a.revoke([{ jti: 'during-outage', until }]), StoreUnavailableError)
      assert.ok(Date.now() - started < TIMEOUT + 500, `revoke rejected after ${Date.now() - started} ms`)
      assert.equal(a.isRevoked('during-outage'), true, 'revoked here at once')
      assert.equal(a.pendingRevocations, 1)
      await assert.rejects(
        a.useRefreshToken({ jti: 'rt', until, now: Date.now(), graceMs: 0, newFamily: 'f' }),
        StoreUnavailableError,
      )
      await assert.rejects(b.getRecord('k'), StoreUnavailableError)
      assert.ok(eventsA.some((e) => e.operation === 'revoke'))
      assert.ok(eventsA.some((e) => e.operation === 'exchange'))

      await redis.start()
      await eventually(() => b.isRevoked('during-outage'), 10_000, 'the queued revocation reaches B')
      await eventually(() => a.pendingRevocations === 0 && a.staleForMs() === 0 && b.staleForMs() === 0, 10_000, 'both back in sync')

      // the restarted Redis kept nothing (no persistence): the instances gave it back what they knew
      const late = new RedisTokenStore({ client: clientB, prefix })
      try {
        await late.ready()
        assert.equal(late.isRevoked('during-outage'), true)
        assert.equal(late.isRevoked('before-outage'), true)
      } finally {
        await late.close()
      }
      assert.deepEqual(unhandled, [])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  test('a store started while Redis is down becomes ready once Redis is up', async () => {
    await redis.kill()
    const events: StoreErrorEvent[] = []
    const store = new RedisTokenStore({ client: clientA, prefix: freshPrefix('late-start'), commandTimeoutMs: 500, onStoreError: (e) => events.push(e) })
    try {
      let ready = false
      void store.ready().then(() => {
        ready = true
      })
      await eventually(() => events.length > 0, 5000, 'the failure reported')
      assert.equal(ready, false)
      assert.ok(store.staleForMs() > 0)
      await redis.start()
      await eventually(() => ready, 10_000, 'ready once Redis is back')
      assert.equal(store.staleForMs(), 0)
      assert.deepEqual(unhandled, [])
    } finally {
      await store.close()
    }
  })
})
