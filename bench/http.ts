// Requests per second, latency and server CPU per request for one protected route, under
// autocannon on 127.0.0.1. The server runs in a child process (bench/http-server.ts); the
// cases run interleaved (A B C ..., A B C ...) so drift on a shared machine hits all alike,
// and every figure is the median over rounds. Each run's status codes are checked: valid
// tokens must get 100% 2xx, forged ones 100% 401.
import { fork, type ChildProcess } from 'node:child_process'
import autocannon, { type Options, type Result } from 'autocannon'
import { QUICK, fixed, median, ratio, report, resign, table } from './common.js'
import type { ServerCase, ToChild, ToParent } from './http-server.js'

const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? (QUICK ? 1 : 3))
const DURATION = Number(process.env.BENCH_HTTP_DURATION ?? (QUICK ? 2 : 8))
const WARMUP = Number(process.env.BENCH_HTTP_WARMUP ?? (QUICK ? 1 : 2))
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50)

type TokenKind = 'none' | 'valid' | 'forged' | 'forgedCachedJti' | 'forgedVaried'

interface Case {
  id: string
  name: string
  server: ServerCase
  token: TokenKind
  expect: 200 | 401
}

const CASES: Case[] = [
  { id: 'bare', name: 'bare route (no auth)', server: 'bare', token: 'none', expect: 200 },
  { id: 'floor', name: 'floor: read header + decode jti, verify nothing', server: 'floor', token: 'valid', expect: 200 },
  { id: 'ours', name: 'requireFastMcpToken, warm cache', server: 'ours', token: 'valid', expect: 200 },
  { id: 'oursNoCache', name: 'requireFastMcpToken, cache off', server: 'oursNoCache', token: 'valid', expect: 200 },
  { id: 'expressJwt', name: 'express-jwt 8 (jsonwebtoken)', server: 'expressJwt', token: 'valid', expect: 200 },
  { id: 'sdk', name: 'MCP SDK requireBearerAuth + jose', server: 'sdk', token: 'valid', expect: 200 },
  { id: 'refuseFloor', name: 'floor: write our 401 for a bad signature, verify nothing', server: 'refuseFloor', token: 'forged', expect: 401 },
  { id: 'oursForgedCached', name: 'requireFastMcpToken, forged token reusing the cached jti', server: 'ours', token: 'forgedCachedJti', expect: 401 },
  { id: 'oursForged', name: 'requireFastMcpToken, forged token (new jti)', server: 'ours', token: 'forged', expect: 401 },
  { id: 'oursForgedVaried', name: 'requireFastMcpToken, a different forged token every request', server: 'ours', token: 'forgedVaried', expect: 401 },
  { id: 'oursNoCacheForged', name: 'requireFastMcpToken cache off, forged token', server: 'oursNoCache', token: 'forged', expect: 401 },
  { id: 'expressJwtForged', name: 'express-jwt 8, forged token', server: 'expressJwt', token: 'forged', expect: 401 },
  { id: 'sdkForged', name: 'MCP SDK requireBearerAuth + jose, forged token', server: 'sdk', token: 'forged', expect: 401 },
]

interface Sample {
  rps: number
  p50: number
  p99: number
  /** Server CPU time per request, microseconds. */
  cpuUs: number
}

/** The server child, and a way to read its CPU time. */
class ServerProcess {
  readonly #child: ChildProcess
  readonly #waiting = new Map<number, (micros: number) => void>()
  #next = 0

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (message: ToParent) => {
      if (message.type === 'cpu') {
        this.#waiting.get(message.id)?.(message.micros)
        this.#waiting.delete(message.id)
      }
    })
  }

  static start(): Promise<{ server: ServerProcess; ready: Extract<ToParent, { type: 'ready' }> }> {
    const child = fork(new URL('./http-server.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    return new Promise((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)))
      child.once('message', (message: ToParent) => {
        if (message.type === 'ready') resolve({ server: new ServerProcess(child), ready: message })
      })
    })
  }

  /** The server's user + system CPU time so far, in microseconds. */
  cpu(): Promise<number> {
    const id = this.#next++
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve)
      this.#child.send({ type: 'cpu', id } satisfies ToChild)
    })
  }

  stop(): void {
    this.#child.removeAllListeners('exit')
    this.#child.disconnect()
  }
}

function checkStatuses(c: Case, result: Result): string | undefined {
  const total = result.requests.total
  const matching = result.statusCodeStats[String(c.expect)]?.count ?? 0
  if (total === 0) return `${c.id}: no request completed`
  if (matching !== total || result.errors > 0 || result.timeouts > 0) {
    return `${c.id}: expected 100% ${c.expect}, got ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`
  }
  return undefined
}

/** `count` forged tokens that differ from `forged` and from each other in their jti. */
function variedForgeries(forged: string, count: number): string[] {
  const [header, payload] = forged.split('.') as [string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  return Array.from({ length: count }, (_, i) => {
    return resign(`${header}.${Buffer.from(JSON.stringify({ ...claims, jti: `varied-${i}` })).toString('base64url')}.`, 'not-the-key-'.repeat(4))
  })
}

async function main(): Promise<void> {
  const { server, ready } = await ServerProcess.start()
  const tokens: Record<TokenKind, string | undefined> = {
    none: undefined,
    valid: ready.token,
    forged: ready.forged,
    forgedCachedJti: ready.forgedCachedJti,
    forgedVaried: ready.forged,
  }
  const varied = variedForgeries(ready.forged, 4096)
  let turn = 0
  const samples = new Map<string, Sample[]>(CASES.map((c) => [c.id, []]))
  const failures: string[] = []
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const token = tokens[c.token]
        const options: Options = {
          url: `http://127.0.0.1:${ready.ports[c.server]}/mcp`,
          connections: CONNECTIONS,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
          // more distinct forgeries than the verifier remembers: each one costs an HMAC
          ...(c.token === 'forgedVaried'
            ? { requests: [{ setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${varied[turn++ % varied.length]}` } }) }] }
            : {}),
        }
        await autocannon({ ...options, duration: WARMUP })
        const before = await server.cpu()
        const result = await autocannon({ ...options, duration: DURATION })
        const after = await server.cpu()
        const failure = checkStatuses(c, result)
        if (failure !== undefined) failures.push(`round ${round + 1}: ${failure}`)
        samples.get(c.id)!.push({
          rps: result.requests.total / DURATION,
          p50: result.latency.p50,
          p99: result.latency.p99,
          cpuUs: (after - before) / result.requests.total,
        })
        process.stderr.write(`http: round ${round + 1}/${ROUNDS} ${c.id}: ${fixed(result.requests.total / DURATION)} req/s\n`)
      }
    }
  } finally {
    server.stop()
  }

  const med = (id: string, pick: (s: Sample) => number): number => median(samples.get(id)!.map(pick))
  const metrics: Record<string, number> = {}
  for (const c of CASES) {
    metrics[`${c.id}.rps`] = med(c.id, (s) => s.rps)
    metrics[`${c.id}.cpuUs`] = med(c.id, (s) => s.cpuUs)
    metrics[`${c.id}.p50`] = med(c.id, (s) => s.p50)
    metrics[`${c.id}.p99`] = med(c.id, (s) => s.p99)
  }
  metrics.failures = failures.length
  const bare = metrics['bare.rps']!
  const floorRps = metrics['floor.rps']!
  const floorCpu = metrics['floor.cpuUs']!
  const rows = CASES.map((c) => [
    c.name,
    String(c.expect === 200 ? '100% 2xx' : '100% 401'),
    fixed(metrics[`${c.id}.rps`]!),
    fixed(metrics[`${c.id}.p50`]!, 1),
    fixed(metrics[`${c.id}.p99`]!, 1),
    ratio(metrics[`${c.id}.rps`]! / bare),
    ratio(metrics[`${c.id}.rps`]! / floorRps),
    fixed(metrics[`${c.id}.cpuUs`]!, 1),
    ratio(metrics[`${c.id}.cpuUs`]! / floorCpu),
  ])
  const markdown = [
    '## HTTP: one Express 5 route on 127.0.0.1 (medians of rounds)',
    '',
    `autocannon, ${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warm-up, ${ROUNDS} interleaved rounds; ` +
      'server in a child process; CPU per request is the server process\'s user + system time over the run divided by requests completed. ' +
      'Status codes were checked on every run.',
    '',
    table(['case', 'checked', 'req/s', 'p50 ms', 'p99 ms', 'vs bare', 'vs floor', 'server CPU µs/req', 'CPU vs floor'], rows),
    ...(failures.length > 0 ? ['', '**Status check failures:**', '', ...failures.map((f) => `- ${f}`)] : []),
  ].join('\n')
  report({ markdown, metrics })
  if (failures.length > 0) {
    console.error(failures.join('\n'))
    process.exitCode = 1
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
