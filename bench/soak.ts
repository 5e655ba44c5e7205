// The soak: 60 s at 100 connections of mixed traffic against requireFastMcpToken, every
// response checked against what it must be. The server (Express 5, a secret derived with
// PBKDF2 as FastMCP does, the default cache) runs in a child process so autocannon's CPU
// is not in its event loop; it reports memory after a forced GC and its event-loop delay.
//
//   npm run soak                                  # 60 s, 100 connections
//   SOAK_SECONDS=10 SOAK_CONNECTIONS=20 npm run soak
//
// Exits non-zero on any wrong answer, any error or timeout, or memory that keeps growing.
import { fork, type ChildProcess } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 100)
const WARMUP_SECONDS = Math.min(10, Math.floor(SECONDS / 4))
const SAMPLE_EVERY_MS = 5000

const SECRET = 'soak-test-jwt-signing-key-0123456789'
const ISSUER = 'https://mcp.example.com/'
const AUDIENCE = 'https://mcp.example.com/mcp'

// ---- messages between the two processes ---------------------------------------------------

interface Sample {
  atMs: number
  heapUsed: number
  rss: number
  external: number
  /** Event-loop delay since the last reset, milliseconds. */
  eld: { p50: number; p99: number; max: number; mean: number }
  verified: { cached: number; full: number }
  rejected: Record<string, number>
}
type ToParent = { type: 'ready'; port: number } | { type: 'sample'; sample: Sample }
type ToChild = { type: 'sample'; resetEld: boolean } | { type: 'stop' }

// ---- the server ---------------------------------------------------------------------------

async function serve(): Promise<void> {
  const { default: express } = await import('express')
  const { createFastMcpAuth, getAuthInfo } = await import('../src/index.js')
  const verified = { cached: 0, full: 0 }
  const rejected: Record<string, number> = {}
  const auth = createFastMcpAuth({
    secret: SECRET,
    issuer: ISSUER,
    audience: AUDIENCE,
    onVerified: (e) => { if (e.cached) verified.cached++; else verified.full++ },
    onRejected: (e) => { rejected[e.error.reason] = (rejected[e.error.reason] ?? 0) + 1 },
  })
  await auth.ready
  const app = express()
  app.use('/mcp', auth.requireFastMcpToken, (req, res) => {
    const info = getAuthInfo(req)!
    res.json({ jti: info.extra?.jti, clientId: info.clientId })
  })
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const eld = monitorEventLoopDelay({ resolution: 10 })
  eld.enable()
  const started = Date.now()
  const send = (message: ToParent): void => { process.send!(message) }
  process.on('message', (message: ToChild) => {
    if (message.type === 'stop') {
      server.closeAllConnections()
      server.close(() => process.exit(0))
      return
    }
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const memory = process.memoryUsage()
    const ms = (ns: number): number => ns / 1e6
    send({
      type: 'sample',
      sample: {
        atMs: Date.now() - started,
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        external: memory.external,
        eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) },
        verified: { ...verified },
        rejected: { ...rejected },
      },
    })
    if (message.resetEld) eld.reset()
  })
  send({ type: 'ready', port: (server.address() as AddressInfo).port })
}

// ---- the load -------------------------------------------------------------------------------

/** What autocannon needs here (it ships no types). */
interface LoadRequest {
  method: string
  path: string
  headers?: Record<string, string>
  setupRequest: (request: LoadRequest, context: Context) => LoadRequest
  onResponse: (status: number, body: string, context: Context, headers: Record<string, string>) => void
}
interface LoadOptions { url: string; connections: number; duration: number; requests: LoadRequest[] }
interface LoadResult {
  requests: { total: number; average: number }
  latency: { p50: number; p99: number; max: number }
  errors: number
  timeouts: number
  statusCodeStats: Record<string, { count: number }>
}
type Autocannon = (options: LoadOptions) => Promise<LoadResult>

const KINDS = ['valid cached', 'valid new', 'expired', 'forged', 'refresh as access', 'missing'] as const
type Kind = (typeof KINDS)[number]
interface Context { kind?: Kind; jti?: string; clientId?: string }

/** What every kind must get back: the status and, for refusals, the error and a word of the description. */
const EXPECTED: Record<Kind, { status: number; error?: string; description?: RegExp }> = {
  'valid cached': { status: 200 },
  'valid new': { status: 200 },
  expired: { status: 401, error: 'invalid_token', description: /expired/i },
  forged: { status: 401, error: 'invalid_token', description: /signature/i },
  'refresh as access': { status: 401, error: 'invalid_token', description: /refresh/i },
  missing: { status: 401 },
}

function deriveKey(): Promise<string> {
  // FastMCP's low-entropy derivation, done here independently of the package
  return import('node:crypto').then(({ pbkdf2 }) => new Promise((resolve, reject) => {
    pbkdf2(SECRET, 'fastmcp-jwt-signing-key', 1_000_000, 32, 'sha256', (err, raw) => (err ? reject(err) : resolve(`${raw.toString('base64url')}=`)))
  }))
}

function mint(key: string, claims: Record<string, unknown>): string {
  const input = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

interface Pooled { token: string; jti: string; clientId: string }

function header(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v
  return undefined
}

async function load(): Promise<void> {
  const key = await deriveKey()
  const now = Math.floor(Date.now() / 1000)
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: ISSUER, aud: AUDIENCE, client_id: 'soak-client', scope: 'read write', exp: now + 3600, iat: now, jti: randomUUID(), ...overrides,
  })
  const pool = (n: number, make: (i: number) => Record<string, unknown>, signingKey = key): Pooled[] =>
    Array.from({ length: n }, (_, i) => {
      const c = make(i)
      return { token: mint(signingKey, c), jti: c.jti as string, clientId: c.client_id as string }
    })
  const cached = pool(200, (i) => claims({ client_id: `cached-${i}` }))
  const expired = pool(200, () => claims({ exp: now - 120, iat: now - 3720 }))
  const forged = pool(200, () => claims({ scope: 'admin' }), 'f'.repeat(43) + '=')
  const refresh = pool(200, () => claims({ token_use: 'refresh', exp: now + 86400 }))

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx', '--expose-gc'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: ToParent) => { if (m.type === 'ready') resolve(m.port) })
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const samples: Sample[] = []
  const pending: ((s: Sample) => void)[] = []
  child.on('message', (m: ToParent) => { if (m.type === 'sample') { samples.push(m.sample); pending.shift()?.(m.sample) } })
  const sample = (resetEld: boolean): Promise<Sample> => new Promise((resolve) => {
    pending.push(resolve)
    child.send({ type: 'sample', resetEld } satisfies ToChild)
  })

  const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
  const wrong: string[] = []
  let wrongCount = 0
  let pick = 0
  const fail = (message: string): void => {
    wrongCount++
    if (wrong.length < 10) wrong.push(message)
  }

  const request: LoadRequest = {
    method: 'GET',
    path: '/mcp',
    setupRequest(req, context) {
      const kind = KINDS[pick++ % KINDS.length]!
      let entry: Pooled | undefined
      if (kind === 'valid cached') entry = cached[(pick * 7919) % cached.length]
      else if (kind === 'valid new') {
        const c = claims({ client_id: `new-${pick}` })
        entry = { token: mint(key, c), jti: c.jti as string, clientId: c.client_id as string }
      } else if (kind === 'expired') entry = expired[pick % expired.length]
      else if (kind === 'forged') entry = forged[pick % forged.length]
      else if (kind === 'refresh as access') entry = refresh[pick % refresh.length]
      context.kind = kind
      context.jti = entry?.jti
      context.clientId = entry?.clientId
      const headers: Record<string, string> = entry === undefined ? {} : { authorization: `Bearer ${entry.token}` }
      return { ...req, headers }
    },
    onResponse(status, body, context, headers) {
      const kind = context.kind
      if (kind === undefined) return fail(`a response with no request kind: ${status}`)
      counts[kind]++
      const expected = EXPECTED[kind]
      if (status !== expected.status) return fail(`${kind}: status ${status}, expected ${expected.status}: ${body.slice(0, 120)}`)
      if (status === 200) {
        const got = JSON.parse(body) as { jti?: string; clientId?: string }
        if (got.jti !== context.jti || got.clientId !== context.clientId) fail(`${kind}: req.auth of another token: ${body}`)
        return
      }
      const challenge = header(headers, 'www-authenticate') ?? ''
      const parsed = JSON.parse(body) as { error?: string; error_description?: string }
      if (expected.error === undefined) {
        if (challenge !== 'Bearer' || parsed.error !== undefined) fail(`${kind}: ${challenge} ${body}`)
        return
      }
      if (parsed.error !== expected.error || !expected.description!.test(parsed.error_description ?? '')
        || challenge !== `Bearer error="${expected.error}", error_description="${parsed.error_description}"`) {
        fail(`${kind}: ${challenge} ${body}`)
      }
    },
  }

  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
  console.log(`soak: ${SECONDS} s at ${CONNECTIONS} connections against 127.0.0.1:${port}; warm-up ${WARMUP_SECONDS} s; kinds: ${KINDS.join(', ')}`)
  const sampler = (async () => {
    await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000))
    await sample(true) // the end of warm-up: event-loop delay counts from here
    for (let t = WARMUP_SECONDS * 1000 + SAMPLE_EVERY_MS; t < SECONDS * 1000; t += SAMPLE_EVERY_MS) {
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS))
      await sample(false)
    }
  })()
  const result = await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, requests: [request] })
  await sampler
  const last = await sample(false)
  child.send({ type: 'stop' } satisfies ToChild)

  const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
  const afterWarmup = samples.slice(0, -1) // the last one is taken after the load stopped
  const heap = afterWarmup.map((s) => s.heapUsed)
  const growth = heap.length > 1 ? heap.at(-1)! - heap[0]! : 0
  // flat: the post-GC heap after warm-up ends within 5 MB of where it started
  const flat = growth < 5 * 1024 * 1024
  const checked = Object.values(counts).reduce((a, b) => a + b, 0)
  const errors = result.errors + result.timeouts

  console.log('')
  console.log(`requests: ${result.requests.total} in ${SECONDS} s (${Math.round(result.requests.average)} req/s), every response checked: ${checked}`)
  console.log(`by kind: ${KINDS.map((k) => `${k} ${counts[k]}`).join(', ')}`)
  console.log(`status codes: ${JSON.stringify(Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])))}`)
  console.log(`wrong answers: ${wrongCount}; errors: ${result.errors}; timeouts: ${result.timeouts}`)
  console.log(`latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`)
  // monitorEventLoopDelay's figures include its own 10 ms timer interval
  const excess = (ms: number): string => Math.max(0, ms - 10).toFixed(2)
  console.log(`server event-loop delay after warm-up, beyond the 10 ms timer: p50 ${excess(last.eld.p50)} ms, p99 ${excess(last.eld.p99)} ms, ` +
    `max ${excess(last.eld.max)} ms (raw p99 ${last.eld.p99.toFixed(2)} ms)`)
  console.log(`server heap after GC, every ${SAMPLE_EVERY_MS / 1000} s after warm-up (MB): ${afterWarmup.map((s) => mb(s.heapUsed)).join(', ')}; growth ${mb(growth)} MB -> ${flat ? 'flat' : 'GROWING'}`)
  console.log(`server rss (MB): ${afterWarmup.map((s) => mb(s.rss)).join(', ')}`)
  console.log(`server verdicts: verified ${last.verified.full} in full, ${last.verified.cached} from the cache; refused ${JSON.stringify(last.rejected)}`)
  for (const w of wrong) console.log(`  wrong: ${w}`)
  if (wrongCount > 0 || errors > 0 || !flat || checked === 0) process.exitCode = 1
}

const main = process.argv.includes('--server') ? serve : load
main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
