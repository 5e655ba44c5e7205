// The token store's cost where users feel it: a cache hit through requireFastMcpToken with a
// RedisTokenStore against the default MemoryTokenStore (both answer isRevoked from local
// memory), and refresh exchanges per second with each (Redis: one script per exchange, on
// the shared Redis at BENCH_REDIS_URL, under a fresh key prefix deleted afterwards).
import { do_not_optimize, measure } from 'mitata'
import { MemoryTokenStore, createFastMcpAuth, type FastMcpAuth, type TokenStore } from '../src/index.js'
import { RedisTokenStore } from '../src/store/redis.js'
import { AUDIENCE, ISSUER, QUICK, fixed, makeFixtures, median, ratio, report, table } from './common.js'
import { MockResponse, mockRequest } from './mock.js'
import { connectRedis, deleteKeys, freshPrefix } from './redis.js'

const ROUNDS = Number(process.env.BENCH_STORES_ROUNDS ?? (QUICK ? 3 : 7))
const EXCHANGES = Number(process.env.BENCH_STORES_EXCHANGES ?? (QUICK ? 200 : 1000))
const CONCURRENCY = 16
const MIN_CPU_NS = QUICK ? 100e6 : 150e6

/** Exchanges per second: `count` grants each refreshed once, `concurrency` at a time. */
async function exchangesPerSecond(auth: FastMcpAuth, count: number, concurrency: number): Promise<number> {
  const grants = await Promise.all(Array.from({ length: count }, () =>
    auth.issueTokenResponse({ clientId: 'bench', scopes: ['read'], refreshToken: true })))
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < grants.length) await auth.exchangeRefreshToken(grants[next++]!.refresh_token!)
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return count / ((performance.now() - start) / 1000)
}

async function main(): Promise<void> {
  const fx = await makeFixtures()
  const client = await connectRedis('stores')
  const prefix = freshPrefix()
  const redisStore = new RedisTokenStore({ client, prefix })
  const make = (store: TokenStore) => createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE, store, metrics: false })
  const onMemory = make(new MemoryTokenStore())
  const onRedis = make(redisStore)
  try {
    await Promise.all([onMemory.ready, onRedis.ready, redisStore.ready()])
    const req = mockRequest(fx.token)
    const res = new MockResponse().asServerResponse()
    let passed = 0
    const next = (err?: unknown): void => {
      if (err !== undefined) throw new Error('bench: next(err) on a valid token')
      passed++
    }
    for (const auth of [onMemory, onRedis]) {
      await new Promise<void>((resolve) => auth.requireFastMcpToken(req, res, () => resolve())) // warm the cache
      const before = passed
      auth.requireFastMcpToken(req, res, next)
      if (passed !== before + 1) throw new Error('bench: the cache hit did not answer synchronously')
    }
    const cases = [
      { id: 'hitMemory', name: 'cache hit through the middleware, MemoryTokenStore', fn: () => onMemory.requireFastMcpToken(req, res, next) },
      { id: 'hitRedis', name: 'cache hit through the middleware, RedisTokenStore', fn: () => onRedis.requireFastMcpToken(req, res, next) },
    ]
    const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]))
    const rates = new Map<string, number[]>([['memory1', []], ['redis1', []], ['memoryN', []], ['redisN', []]])
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const { fn } = c
        samples.get(c.id)!.push((await measure(() => do_not_optimize(fn()), { min_cpu_time: MIN_CPU_NS })).p50)
      }
      rates.get('memory1')!.push(await exchangesPerSecond(onMemory, EXCHANGES, 1))
      rates.get('redis1')!.push(await exchangesPerSecond(onRedis, EXCHANGES, 1))
      rates.get('memoryN')!.push(await exchangesPerSecond(onMemory, EXCHANGES, CONCURRENCY))
      rates.get('redisN')!.push(await exchangesPerSecond(onRedis, EXCHANGES, CONCURRENCY))
      process.stderr.write(`stores: round ${round + 1}/${ROUNDS} done\n`)
    }
    const ns = Object.fromEntries(cases.map((c) => [c.id, median(samples.get(c.id)!)]))
    const rps = Object.fromEntries([...rates].map(([id, values]) => [id, median(values)]))
    const metrics: Record<string, number> = {
      hitMemoryNs: ns.hitMemory!, hitRedisNs: ns.hitRedis!,
      exchangesMemory1: rps.memory1!, exchangesRedis1: rps.redis1!,
      exchangesMemoryN: rps.memoryN!, exchangesRedisN: rps.redisN!,
    }
    const markdown = [
      '## Stores: the cache hit and refresh exchanges, MemoryTokenStore vs RedisTokenStore',
      '',
      `${ROUNDS} rounds, interleaved; medians over rounds. Exchanges: ${EXCHANGES} grants each refreshed once (verify, the store's single-use step, mint a pair, record it in its family), one at a time and ${CONCURRENCY} at a time; Redis on loopback.`,
      '',
      table(['case', 'Memory', 'Redis', 'Redis vs Memory'], [
        ['cache hit through the middleware (ns)', fixed(ns.hitMemory!, 0), fixed(ns.hitRedis!, 0), ratio(ns.hitRedis! / ns.hitMemory!)],
        ['refresh exchanges/s, one at a time', fixed(rps.memory1!, 0), fixed(rps.redis1!, 0), ratio(rps.redis1! / rps.memory1!)],
        [`refresh exchanges/s, ${CONCURRENCY} at a time`, fixed(rps.memoryN!, 0), fixed(rps.redisN!, 0), ratio(rps.redisN! / rps.memoryN!)],
      ]),
    ].join('\n')
    report({ markdown, metrics })
  } finally {
    await redisStore.close()
    await deleteKeys(client, prefix)
    client.destroy()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
