// Redis for the store tests: the shared server on 127.0.0.1:6379 (each run under its own key
// prefix, its keys deleted afterwards, never a flush), and private redis-server children
// for tests that kill Redis, each ended by its own pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import net, { type AddressInfo } from 'node:net'
import { createClient } from 'redis'

/** The shared Redis every test may use (never flushed, never stopped). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379'

const newClient = (url: string, RESP: 2 | 3) => createClient({ url, RESP })
export type TestRedisClient = ReturnType<typeof newClient>

/** A fresh key prefix: one per test run (or per store), so runs never see each other. */
export function freshPrefix(label = 'run'): string {
  return `fastmcp-auth-test:${label}:${randomUUID()}:`
}

/**
 * A connected client. Its `'error'` events (one per failed reconnect while Redis is down)
 * are collected rather than crashing the test process.
 */
export async function connectClient(url = SHARED_REDIS_URL, options: { RESP?: 2 | 3 } = {}): Promise<TestRedisClient & { errors: unknown[] }> {
  const client = newClient(url, options.RESP ?? 3)
  const errors: unknown[] = []
  client.on('error', (err: unknown) => errors.push(err))
  await client.connect()
  return Object.assign(client, { errors })
}

/** Deletes every key under `prefix` (SCAN + UNLINK): a test run cleans up after itself. */
export async function deleteKeys(client: TestRedisClient, prefix: string): Promise<number> {
  let deleted = 0
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await client.unlink(keys)
  }
  return deleted
}

/** Polls `check` every few milliseconds until it holds, or fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await check()) return Date.now() - started
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A port nothing listens on right now (loopback). */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Whether a Redis answers PING on `port` (loopback). */
async function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let reply = ''
    socket.setTimeout(500, () => {
      socket.destroy()
      resolve(false)
    })
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1')
      if (reply.includes('\r\n')) {
        socket.destroy()
        resolve(reply.startsWith('+PONG'))
      }
    })
    socket.on('error', () => resolve(false))
  })
}

/** A private redis-server child on a free loopback port, without persistence. */
export interface PrivateRedis {
  port: number
  url: string
  /** The running child's pid, or undefined while stopped. */
  readonly pid: number | undefined
  /** SIGKILL by pid, and wait for the child to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port and waits until it answers PING. */
  start(): Promise<void>
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined
    },
    async start() {
      if (redis.pid !== undefined) return
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      const started = child
      await eventually(async () => {
        if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`)
        return pings(port)
      }, 10_000, `redis-server on port ${port}`)
    },
    async kill() {
      const running = child
      const pid = redis.pid
      if (running === undefined || pid === undefined) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      process.kill(pid, 'SIGKILL')
      await exited
    },
  }
  await redis.start()
  return redis
}
