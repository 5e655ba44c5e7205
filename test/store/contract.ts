// The TokenStore contract: what every store (one process or shared) must do, as tests any
// store can run. Store-agnostic: it sees only the TokenStore interface and a clock.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { RefreshTokenUse, TokenStore } from '../../src/store/types.js'

/** A clock the contract moves: pass `now` to the store as its `clock`. */
export interface ContractClock {
  /** Milliseconds since the epoch. */
  now: () => number
  advance: (ms: number) => void
}

/**
 * A manual clock starting at the real time (a shared store's keys expire by the server's
 * real clock, so the store's clock must not sit in the past).
 */
export function contractClock(startMs = Date.now()): ContractClock {
  let t = startMs
  return { now: () => t, advance: (ms) => { t += ms } }
}

export interface ContractSubject {
  store: TokenStore
  /**
   * The clock the store was given. Without one, the expiry tests wait in real time
   * (tens of milliseconds).
   */
  clock?: ContractClock
  /** Closes the store and whatever the factory opened. */
  cleanup: () => Promise<void>
}

const HOUR = 3_600_000
const MINUTE = 60_000

/**
 * Registers the contract's tests for one store. `makeStore` is called before each test
 * and must return a store with no state from earlier tests.
 */
export function runTokenStoreContract(name: string, makeStore: () => Promise<ContractSubject>): void {
  describe(`TokenStore contract: ${name}`, () => {
    let subject: ContractSubject
    let store: TokenStore
    const now = (): number => subject.clock?.now() ?? Date.now()
    /** Lets `ms` pass: the manual clock moves, or real time passes. */
    const pass = async (ms: number): Promise<void> => {
      if (subject.clock) subject.clock.advance(ms)
      else await new Promise((resolve) => setTimeout(resolve, ms))
    }
    // expiry tests use short lives when real time has to pass (with margins for slow timers)
    const life = (): number => (subject.clock ? HOUR : 400)
    /** Moves to just before a life of `ms` ends: the manual clock to 1 ms before; real time not at all. */
    const justBefore = (ms: number): Promise<void> => pass(subject.clock ? ms - 1 : 0)
    /** Moves past a life whose end `justBefore` approached. */
    const pastEnd = (ms: number): Promise<void> => pass(subject.clock ? 2 : ms + 100)
    const id = (kind: string): string => `${kind}-${randomUUID()}`

    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
      await store.ready()
    })
    afterEach(async () => {
      await subject.cleanup()
    })

    describe('revocations', () => {
      test('an unknown jti is not revoked', () => {
        assert.equal(store.isRevoked(id('jti')), false)
      })

      test('revoke() takes effect at once, for exactly the jtis given', async () => {
        const [a, b, other] = [id('a'), id('b'), id('other')]
        const revoking = store.revoke([{ jti: a, until: now() + HOUR }, { jti: b, until: now() + HOUR }])
        assert.equal(store.isRevoked(a), true, 'in effect before the promise settles')
        await revoking
        assert.equal(store.isRevoked(a), true)
        assert.equal(store.isRevoked(b), true)
        assert.equal(store.isRevoked(other), false)
      })

      test('revoke([]) resolves', async () => {
        await store.revoke([])
      })

      test('a revocation lasts until its until, then is forgotten', async () => {
        const jti = id('jti')
        const ms = life()
        await store.revoke([{ jti, until: now() + ms }])
        await justBefore(ms)
        assert.equal(store.isRevoked(jti), true, 'still revoked just before until')
        await pastEnd(ms)
        assert.equal(store.isRevoked(jti), false, 'forgotten once until has passed')
      })

      test('an entry whose until has passed is not recorded', async () => {
        const jti = id('jti')
        await store.revoke([{ jti, until: now() - 1000 }])
        assert.equal(store.isRevoked(jti), false)
      })

      test('a later revoke never shortens an earlier one, and may extend it', async () => {
        const [long, extended] = [id('long'), id('extended')]
        const ms = life()
        await store.revoke([{ jti: long, until: now() + 4 * ms }, { jti: extended, until: now() + ms }])
        await store.revoke([{ jti: long, until: now() + ms / 2 }, { jti: extended, until: now() + 4 * ms }])
        await pass(2 * ms)
        assert.equal(store.isRevoked(long), true, 'the shorter revoke did not shorten it')
        assert.equal(store.isRevoked(extended), true, 'the longer revoke extended it')
      })
    })

    describe('refresh families', () => {
      /** One exchange of `jti` at `at` (the clock's now by default). */
      const use = (jti: string, graceMs = 0, newFamily = id('family'), at = now()): Promise<RefreshTokenUse> =>
        store.useRefreshToken({ jti, until: at + HOUR, now: at, graceMs, newFamily })

      test('an unknown refresh jti starts newFamily on its first use', async () => {
        const [jti, family] = [id('rt'), id('family')]
        assert.deepEqual(await use(jti, 0, family), { result: 'first', family })
        assert.equal(await store.familyOf(jti), family)
      })

      test('a member added by addToFamily is unused: its first use is first; familyOf knows every member', async () => {
        const [family, rt, at] = [id('family'), id('rt'), id('at')]
        await store.addToFamily(family, [
          { jti: rt, until: now() + HOUR, refresh: true },
          { jti: at, until: now() + HOUR, refresh: false },
        ])
        assert.equal(await store.familyOf(rt), family)
        assert.equal(await store.familyOf(at), family)
        assert.deepEqual(await use(rt, 0, id('unused')), { result: 'first', family })
        assert.equal(store.isRevoked(rt), false)
        assert.equal(store.isRevoked(at), false)
      })

      test('familyOf an unknown jti is undefined', async () => {
        assert.equal(await store.familyOf(id('jti')), undefined)
      })

      test('a replay after the grace window is reused and revokes every member of the family', async () => {
        const [family, rt, at] = [id('family'), id('rt'), id('at')]
        const grace = subject.clock ? 1000 : 30
        await store.addToFamily(family, [
          { jti: rt, until: now() + HOUR, refresh: true },
          { jti: at, until: now() + HOUR, refresh: false },
        ])
        const firstUse = now()
        assert.equal((await use(rt, grace, id('unused'), firstUse)).result, 'first')
        // rotation: the successor pair joins the family
        const [rt2, at2] = [id('rt2'), id('at2')]
        await store.addToFamily(family, [
          { jti: rt2, until: now() + HOUR, refresh: true },
          { jti: at2, until: now() + HOUR, refresh: false },
        ])
        await pass(grace + 1)
        assert.deepEqual(await use(rt, grace), { result: 'reused', family, firstUsedAt: firstUse })
        for (const jti of [rt, at, rt2, at2]) assert.equal(store.isRevoked(jti), true, `${jti} revoked`)
        assert.deepEqual(await use(rt2, grace), { result: 'revoked', family }, 'the successor is refused too')
        assert.deepEqual(await use(rt, grace), { result: 'revoked', family })
      })

      test('a replay within the grace window is grace and revokes nothing', async () => {
        const [family, rt, at] = [id('family'), id('rt'), id('at')]
        await store.addToFamily(family, [
          { jti: rt, until: now() + HOUR, refresh: true },
          { jti: at, until: now() + HOUR, refresh: false },
        ])
        const firstUse = now()
        assert.equal((await use(rt, 10_000, id('unused'), firstUse)).result, 'first')
        await pass(subject.clock ? 10_000 : 20)
        assert.deepEqual(await use(rt, 10_000), { result: 'grace', family, firstUsedAt: firstUse })
        assert.equal(store.isRevoked(rt), false)
        assert.equal(store.isRevoked(at), false)
      })

      test('with graceMs 0 an immediate replay is reused', async () => {
        const [rt, family] = [id('rt'), id('family')]
        await use(rt, 0, family)
        const replay = await use(rt, 0)
        assert.equal(replay.result, 'reused')
        assert.equal(replay.family, family)
        assert.equal(store.isRevoked(rt), true)
      })

      test('the successor of a first use is itself first, in the same family', async () => {
        const [rt, family, rt2] = [id('rt'), id('family'), id('rt2')]
        assert.deepEqual(await use(rt, 0, family), { result: 'first', family })
        await store.addToFamily(family, [{ jti: rt2, until: now() + HOUR, refresh: true }])
        assert.deepEqual(await use(rt2, 0, id('unused')), { result: 'first', family })
      })

      test('reuse revokes its own family only', async () => {
        const [rtA, rtB, famA, famB] = [id('rtA'), id('rtB'), id('famA'), id('famB')]
        await use(rtA, 0, famA)
        await use(rtB, 0, famB)
        assert.equal((await use(rtA, 0)).result, 'reused')
        assert.equal(store.isRevoked(rtA), true)
        assert.equal(store.isRevoked(rtB), false)
        assert.equal((await use(id('rt'), 0, famB)).result, 'first', 'a new token can still start a family')
      })

      test('of concurrent uses of one jti exactly one is first', async () => {
        const [rt, family] = [id('rt'), id('family')]
        const results = await Promise.all(Array.from({ length: 10 }, () => use(rt, 0, family)))
        assert.equal(results.filter((r) => r.result === 'first').length, 1)
        for (const r of results) assert.ok(['first', 'reused', 'revoked'].includes(r.result), r.result)
        assert.equal(store.isRevoked(rt), true, 'the replays revoked the family')
      })

      test('revokeFamily revokes every member, and later uses are revoked', async () => {
        const [family, rt, at] = [id('family'), id('rt'), id('at')]
        await store.addToFamily(family, [
          { jti: rt, until: now() + HOUR, refresh: true },
          { jti: at, until: now() + 5 * MINUTE, refresh: false },
        ])
        assert.equal(await store.revokeFamily(family), true)
        assert.equal(store.isRevoked(rt), true)
        assert.equal(store.isRevoked(at), true)
        assert.deepEqual(await use(rt, 10_000), { result: 'revoked', family })
      })

      test('revokeFamily of an unknown family resolves false', async () => {
        assert.equal(await store.revokeFamily(id('family')), false)
      })

      test('revoking a family keeps each member only until its own until', async () => {
        const [family, short, long] = [id('family'), id('short'), id('long')]
        const ms = life()
        await store.addToFamily(family, [
          { jti: short, until: now() + ms, refresh: false },
          { jti: long, until: now() + 4 * ms, refresh: true },
        ])
        await store.revokeFamily(family)
        await pass(2 * ms)
        assert.equal(store.isRevoked(short), false)
        assert.equal(store.isRevoked(long), true)
      })

      test('addToFamily into a revoked family revokes the new members at once', async () => {
        const [family, rt, late] = [id('family'), id('rt'), id('late')]
        await store.addToFamily(family, [{ jti: rt, until: now() + HOUR, refresh: true }])
        await store.revokeFamily(family)
        await store.addToFamily(family, [{ jti: late, until: now() + HOUR, refresh: true }])
        assert.equal(store.isRevoked(late), true)
        assert.deepEqual(await use(late, 10_000), { result: 'revoked', family })
      })

      test('a family revoked by reuse refuses members added afterwards', async () => {
        const [rt, family, late] = [id('rt'), id('family'), id('late')]
        await use(rt, 0, family)
        assert.equal((await use(rt, 0)).result, 'reused')
        // an exchange that was in flight when the reuse was detected
        await store.addToFamily(family, [{ jti: late, until: now() + HOUR, refresh: true }])
        assert.equal(store.isRevoked(late), true)
      })
    })

    describe('records', () => {
      test('getRecord returns what setRecord stored; an unknown key is undefined', async () => {
        const key = id('key')
        await store.setRecord(key, '{"client_id":"c1","redirect_uris":["http://127.0.0.1/cb"]}', HOUR)
        assert.equal(await store.getRecord(key), '{"client_id":"c1","redirect_uris":["http://127.0.0.1/cb"]}')
        assert.equal(await store.getRecord(key), '{"client_id":"c1","redirect_uris":["http://127.0.0.1/cb"]}', 'reading does not consume')
        assert.equal(await store.getRecord(id('key')), undefined)
      })

      test('values round-trip exactly, colons, newlines and non-ASCII included', async () => {
        const key = id('key')
        const value = 'a:b:c\nd\u00e9\u{1F511}:'
        await store.setRecord(key, value, HOUR)
        assert.equal(await store.getRecord(key), value)
        await store.setRecord(key, '', HOUR)
        assert.equal(await store.getRecord(key), '')
      })

      test('takeRecord returns a record once, then undefined', async () => {
        const key = id('code')
        await store.setRecord(key, 'code-record', HOUR)
        assert.equal(await store.takeRecord(key), 'code-record')
        assert.equal(await store.takeRecord(key), undefined)
        assert.equal(await store.getRecord(key), undefined)
      })

      test('of concurrent takeRecord calls exactly one gets the record', async () => {
        const key = id('code')
        await store.setRecord(key, 'once', HOUR)
        const taken = await Promise.all(Array.from({ length: 10 }, () => store.takeRecord(key)))
        assert.deepEqual(taken.filter((v) => v !== undefined), ['once'])
      })

      test('a record expires after ttlMs', async () => {
        const key = id('key')
        const ms = life()
        await store.setRecord(key, 'short-lived', ms)
        await justBefore(ms)
        assert.equal(await store.getRecord(key), 'short-lived')
        await pastEnd(ms)
        assert.equal(await store.getRecord(key), undefined)
        assert.equal(await store.takeRecord(key), undefined)
      })

      test('setRecord replaces a record and its lifetime', async () => {
        const key = id('key')
        const ms = life()
        await store.setRecord(key, 'old', ms)
        await store.setRecord(key, 'new', 4 * ms)
        await pass(2 * ms)
        assert.equal(await store.getRecord(key), 'new')
      })
    })
  })
}
