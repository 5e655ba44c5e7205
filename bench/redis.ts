// The shared Redis the store benches use (BENCH_REDIS_URL), each run under a fresh key
// prefix that it deletes afterwards: the Redis itself is never flushed.
import { randomUUID } from 'node:crypto'
import { createClient } from 'redis'

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

const newClient = () => createClient({ url: REDIS_URL })
export type BenchRedisClient = ReturnType<typeof newClient>

/** A connected node-redis client whose errors are printed with `label`. */
export async function connectRedis(label: string): Promise<BenchRedisClient> {
  const client = newClient()
  client.on('error', (err: unknown) => process.stderr.write(`${label}: redis error ${String(err)}\n`))
  await client.connect()
  return client
}

/** A key prefix no other run uses. */
export function freshPrefix(): string {
  return `fastmcp-auth-bench:${randomUUID()}:`
}

/** Deletes every key under `prefix`, and nothing else. */
export async function deleteKeys(client: BenchRedisClient, prefix: string): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await client.unlink(keys)
}
