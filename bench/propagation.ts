// RedisTokenStore: how long a revocation takes to reach another instance's mirror, against
// a bare node-redis PUBLISH -> message on the same Redis (interleaved, one sample of each
// per revocation); and what `isRevoked` costs on the hot path against a plain local Map.
// Both instances live in this process (their own clients, one event loop) on the shared
// Redis (BENCH_REDIS_URL), under a fresh key prefix deleted afterwards.
import { randomUUID } from 'node:crypto'
import { do_not_optimize, measure } from 'mitata'
import { MemoryTokenStore } from '../src/index.js'
import { RedisTokenStore } from '../src/store/redis.js'
import { QUICK, fixed, median, ratio, report, table } from './common.js'
import { connectRedis, deleteKeys, freshPrefix } from './redis.js'

const REVOCATIONS = Number(process.env.BENCH_PROPAGATION_N ?? (QUICK ? 200 : 1000))
const ROUNDS = Number(process.env.BENCH_PROPAGATION_ROUNDS ?? (QUICK ? 3 : 7))
const MIN_CPU_NS = QUICK ? 100e6 : 150e6
// revocations in every mirror while isRevoked is timed: a busy server's worth
const MIRROR_SIZE = 10_000

/** Resolves once `check()` holds, testing it once per event-loop turn (I/O runs in between). */
function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (check()) resolve()
      else setImmediate(poll)
    }
    poll()
  })
}

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

async function main(): Promise<void> {
  const prefix = freshPrefix()
  const [clientA, clientB, publisher, subscriber] = await Promise.all([
    connectRedis('propagation'), connectRedis('propagation'), connectRedis('propagation'), connectRedis('propagation'),
  ])
  const a = new RedisTokenStore({ client: clientA, prefix })
  const b = new RedisTokenStore({ client: clientB, prefix })
  try {
    await Promise.all([a.ready(), b.ready()])

    // ---- propagation: A.revoke() -> B.isRevoked(), next to a bare PUBLISH -> message ----
    const rawChannel = `${prefix}raw`
    let rawSeen = -1
    await subscriber.subscribe(rawChannel, (message) => {
      rawSeen = Number(message)
    })
    const ours: number[] = []
    const acked: number[] = []
    const raw: number[] = []
    for (let i = 0; i < REVOCATIONS; i++) {
      const jti = `bench-${i}-${randomUUID()}`
      const start = performance.now()
      let ackMs = -1
      const revoking = a.revoke([{ jti, until: Date.now() + 600_000 }]).then(() => {
        ackMs = performance.now() - start
      })
      await until(() => b.isRevoked(jti))
      ours.push(performance.now() - start)
      await revoking
      acked.push(ackMs)

      const rawStart = performance.now()
      await publisher.publish(rawChannel, String(i))
      await until(() => rawSeen === i)
      raw.push(performance.now() - rawStart)
      if ((i + 1) % 250 === 0) process.stderr.write(`propagation: ${i + 1}/${REVOCATIONS} revocations\n`)
    }

    // ---- isRevoked: the mirror against a plain Map, hit and miss ----
    const now = Date.now()
    const entries = Array.from({ length: MIRROR_SIZE }, (_, i) => ({ jti: `mirror-${i}-${randomUUID()}`, until: now + 600_000 }))
    await a.revoke(entries)
    const memory = new MemoryTokenStore()
    await memory.revoke(entries)
    const map = new Map(entries.map((e) => [e.jti, e.until]))
    const hitJti = entries[MIRROR_SIZE >> 1]!.jti
    const missJti = randomUUID()
    if (!a.isRevoked(hitJti) || a.isRevoked(missJti) || !memory.isRevoked(hitJti)) throw new Error('bench: the stores disagree')
    const mapLookup = (jti: string): boolean => {
      const u = map.get(jti)
      return u !== undefined && u >= Date.now()
    }
    const cases = [
      { id: 'mapHit', name: 'floor: plain Map get + until >= Date.now(), hit', fn: () => mapLookup(hitJti) },
      { id: 'mapMiss', name: 'floor: plain Map get, miss', fn: () => mapLookup(missJti) },
      { id: 'redisHit', name: 'RedisTokenStore.isRevoked, hit (mirror)', fn: () => a.isRevoked(hitJti) },
      { id: 'redisMiss', name: 'RedisTokenStore.isRevoked, miss (mirror)', fn: () => a.isRevoked(missJti) },
      { id: 'memoryHit', name: 'MemoryTokenStore.isRevoked, hit', fn: () => memory.isRevoked(hitJti) },
    ]
    const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const { fn } = c
        const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: MIN_CPU_NS })
        samples.get(c.id)!.push(stats.p50)
      }
      process.stderr.write(`propagation: isRevoked round ${round + 1}/${ROUNDS} done\n`)
    }
    const ns = Object.fromEntries(cases.map((c) => [c.id, median(samples.get(c.id)!)]))

    const metrics: Record<string, number> = {
      oursP50Ms: quantile(ours, 0.5),
      oursP99Ms: quantile(ours, 0.99),
      oursMaxMs: Math.max(...ours),
      ackP50Ms: quantile(acked, 0.5),
      ackP99Ms: quantile(acked, 0.99),
      rawP50Ms: quantile(raw, 0.5),
      rawP99Ms: quantile(raw, 0.99),
      rawMaxMs: Math.max(...raw),
      ...Object.fromEntries(Object.entries(ns).map(([id, v]) => [`${id}Ns`, v])),
    }
    const ms = (v: number): string => fixed(v, 3)
    const markdown = [
      `## Propagation: a revocation from one RedisTokenStore to another (ms, ${REVOCATIONS} revocations)`,
      '',
      'One after another: A.revoke() (mirror, then one EVALSHA: ZADD GT + PUBLISH), then B\'s `isRevoked` is polled once per event-loop turn until true. ' +
        'Interleaved with each: a bare node-redis PUBLISH awaited and then its message seen by a subscriber. Both ends in one process, on one Redis over loopback.',
      '',
      table(['path', 'p50 ms', 'p99 ms', 'max ms', 'p50 vs bare pub/sub'], [
        ['revoke on A -> isRevoked true on B', ms(metrics.oursP50Ms!), ms(metrics.oursP99Ms!), ms(metrics.oursMaxMs!), ratio(metrics.oursP50Ms! / metrics.rawP50Ms!)],
        ['revoke on A resolves (Redis has it)', ms(metrics.ackP50Ms!), ms(metrics.ackP99Ms!), '', ratio(metrics.ackP50Ms! / metrics.rawP50Ms!)],
        ['bare PUBLISH -> message (floor)', ms(metrics.rawP50Ms!), ms(metrics.rawP99Ms!), ms(metrics.rawMaxMs!), ratio(1)],
      ]),
      '',
      `## isRevoked on the hot path (ns, median of ${ROUNDS} rounds; ${MIRROR_SIZE.toLocaleString('en-US')} revocations held)`,
      '',
      'No I/O on either side: RedisTokenStore answers from its mirror. mitata p50 per round, cases interleaved.',
      '',
      table(['case', 'ns/op', 'vs Map floor (hit)'], cases.map((c) => [c.name, fixed(ns[c.id]!, 1), ratio(ns[c.id]! / ns.mapHit!)])),
    ].join('\n')
    report({ markdown, metrics })
  } finally {
    await Promise.all([a.close(), b.close()])
    await deleteKeys(clientA, prefix)
    for (const client of [clientA, clientB, publisher, subscriber]) client.destroy()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
