// `npm run bench`: runs every bench in its own process, one after another, then writes
// their tables and the issue's targets (each with its same-run ratio) to bench/results/.
// BENCH_QUICK=1 makes a short smoke run, written to bench/results/quick.md (not committed).
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QUICK, machine, ratio, table, type BenchReport } from './common.js'

const BENCHES = ['micro', 'http', 'keys', 'memory', 'propagation', 'stores'] as const
type BenchName = (typeof BENCHES)[number]

const here = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv.slice(2).filter((a): a is BenchName => (BENCHES as readonly string[]).includes(a))

function runBench(name: BenchName): BenchReport | undefined {
  const out = join(tmpdir(), `fastmcp-bench-${process.pid}-${name}.json`)
  const started = Date.now()
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_OUT: out },
  })
  process.stderr.write(`bench ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${child.status}\n`)
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as BenchReport
  } catch {
    return undefined
  } finally {
    rmSync(out, { force: true })
  }
}

interface Target {
  text: string
  /** The measured figure, as shown. */
  measured: (m: Metrics) => number | undefined
  /** `undefined`: a figure reported beside the others, with no target to meet. */
  met: ((value: number) => boolean) | undefined
}
type Metrics = Partial<Record<BenchName, Record<string, number>>>

const get = (m: Metrics, bench: BenchName, key: string): number | undefined => m[bench]?.[key]
const div = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b

const TARGETS: Target[] = [
  { text: 'micro: cache hit through the middleware <= 1.5x the Map floor (jti decode + lookup + compare + exp)', measured: (m) => div(get(m, 'micro', 'hitMiddleware'), get(m, 'micro', 'mapFloor')), met: (v) => v <= 1.5 },
  { text: 'micro: cache hit with metrics on an OpenTelemetry SDK <= 1.05x the same without', measured: (m) => div(get(m, 'micro', 'hitMetrics'), get(m, 'micro', 'hitMiddleware')), met: (v) => v <= 1.05 },
  { text: 'micro: cache hit through the middleware faster than fast-jwt\'s cache hit (ratio < 1)', measured: (m) => div(get(m, 'micro', 'hitMiddleware'), get(m, 'micro', 'fastJwt')), met: (v) => v < 1 },
  { text: 'micro: cache miss <= 1.2x jose jwtVerify with a pre-imported key', measured: (m) => div(get(m, 'micro', 'miss'), get(m, 'micro', 'jose')), met: (v) => v <= 1.2 },
  { text: `micro: the same as throughput, JWTIssuer.verifyToken vs jose, 32 at once`, measured: (m) => div(get(m, 'micro', 'issuerVerifyBatch'), get(m, 'micro', 'joseBatch')), met: (v) => v <= 1.2 },
  { text: 'micro: refusing a forged token (new jti), lookup + signature check, <= 2x the HMAC floor', measured: (m) => div(get(m, 'micro', 'forgedDecision'), get(m, 'micro', 'hmacFloor')), met: (v) => v <= 2 },
  { text: 'micro: refusing a forged token reusing a cached jti, lookup + signature check, <= 2x the HMAC floor', measured: (m) => div(get(m, 'micro', 'forgedCachedDecision'), get(m, 'micro', 'hmacFloor')), met: (v) => v <= 2 },
  { text: 'micro: the same through the middleware with the 401 written (new jti), <= 2x the HMAC floor', measured: (m) => div(get(m, 'micro', 'forged'), get(m, 'micro', 'hmacFloor')), met: (v) => v <= 2 },
  { text: 'micro: the same through the middleware with the 401 written (cached jti), <= 2x the HMAC floor', measured: (m) => div(get(m, 'micro', 'forgedCached'), get(m, 'micro', 'hmacFloor')), met: (v) => v <= 2 },
  { text: 'http: warm cache req/s >= 0.97x the floor middleware\'s', measured: (m) => div(get(m, 'http', 'ours.rps'), get(m, 'http', 'floor.rps')), met: (v) => v >= 0.97 },
  { text: 'http: warm cache server CPU per request <= 1.03x the floor middleware\'s', measured: (m) => div(get(m, 'http', 'ours.cpuUs'), get(m, 'http', 'floor.cpuUs')), met: (v) => v <= 1.03 },
  { text: 'http: warm cache req/s >= 1.2x express-jwt\'s', measured: (m) => div(get(m, 'http', 'ours.rps'), get(m, 'http', 'expressJwt.rps')), met: (v) => v >= 1.2 },
  { text: 'http: warm cache req/s >= 1.2x the MCP SDK bearer middleware with jose', measured: (m) => div(get(m, 'http', 'ours.rps'), get(m, 'http', 'sdk.rps')), met: (v) => v >= 1.2 },
  { text: 'http: forged-token flood (cached jti) >= 0.8x the bare route\'s req/s', measured: (m) => div(get(m, 'http', 'oursForgedCached.rps'), get(m, 'http', 'bare.rps')), met: (v) => v >= 0.8 },
  { text: 'http: forged-token flood (new jti) >= 0.8x the bare route\'s req/s', measured: (m) => div(get(m, 'http', 'oursForged.rps'), get(m, 'http', 'bare.rps')), met: (v) => v >= 0.8 },
  { text: 'http: flood of distinct forged tokens (one HMAC each), vs the bare route', measured: (m) => div(get(m, 'http', 'oursForgedVaried.rps'), get(m, 'http', 'bare.rps')), met: undefined },
  { text: 'keys: PBKDF2 derivation <= 1.1x node:crypto pbkdf2', measured: (m) => div(get(m, 'keys', 'deriveMs'), get(m, 'keys', 'directMs')), met: (v) => v <= 1.1 },
  { text: 'keys: event loop never stalls over 20 ms during derivation (ms)', measured: (m) => get(m, 'keys', 'deriveMaxDelayMs'), met: (v) => v <= 20 },
  { text: 'propagation: RedisTokenStore.isRevoked hit (its mirror) <= 1.5x a plain Map lookup', measured: (m) => div(get(m, 'propagation', 'redisHitNs'), get(m, 'propagation', 'mapHitNs')), met: (v) => v <= 1.5 },
  { text: 'stores: cache hit through the middleware with RedisTokenStore <= 1.05x with MemoryTokenStore', measured: (m) => div(get(m, 'stores', 'hitRedisNs'), get(m, 'stores', 'hitMemoryNs')), met: (v) => v <= 1.05 },
  { text: 'propagation: a revocation reaches another instance\'s mirror within 1 s, p99 (ms)', measured: (m) => get(m, 'propagation', 'oursP99Ms'), met: (v) => v <= 1000 },
  // the 60 MB bound is on what the cache adds (next row); this one counts the tokens too
  { text: 'memory: 100k cached tokens, no upstream claims, the tokens themselves counted too, RSS over empty (MB)', measured: (m) => get(m, 'memory', 'plain.rssOverMB'), met: undefined },
  { text: 'memory: 100k cached tokens the caller already holds: what the cache adds, <= 60 MB RSS (MB)', measured: (m) => get(m, 'memory', 'held.rssOverMB'), met: (v) => v <= 60 },
]

/** The BENCH_* settings of this run, as they would be typed before the command. */
function settings(): string {
  return Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_') && name !== 'BENCH_OUT')
    .map(([name, value]) => `${name}=${value} `)
    .join('')
}

function main(): void {
  const header = machine()
  const date = new Date().toISOString()
  const reports: Partial<Record<BenchName, BenchReport>> = {}
  let failed = false
  for (const name of only.length > 0 ? only : BENCHES) {
    const report = runBench(name)
    if (report === undefined) failed = true
    else reports[name] = report
  }
  const metrics: Metrics = Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, r.metrics]))
  const targetRows = TARGETS.flatMap((t) => {
    const value = t.measured(metrics)
    if (value === undefined) return []
    const shown = t.text.endsWith('(ms)') || t.text.endsWith('(MB)') ? value.toFixed(1) : ratio(value)
    // a smoke run's figures are too short to judge a target by
    const verdict = t.met === undefined ? 'reported, no target' : QUICK ? 'not judged (quick run)' : t.met(value) ? 'met' : '**missed**'
    return [[t.text, shown, verdict]]
  })
  const markdown = [
    `# Benchmark results${QUICK ? ' (BENCH_QUICK smoke run: not quotable)' : ''}`,
    '',
    `- Date: ${date}`,
    `- Machine: ${header}`,
    `- Command: \`${settings()}npm run bench${only.length > 0 ? ` -- ${only.join(' ')}` : ''}\``,
    '- A shared, noisy machine: every figure is a median of interleaved rounds; compare ratios within one run only.',
    '',
    '## Targets (ratios from this run)',
    '',
    table(['target', 'measured', ''], targetRows),
    '',
    ...Object.values(reports).map((r) => `${r.markdown}\n`),
  ].join('\n')
  const dir = join(here, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, QUICK || only.length > 0 ? 'quick.md' : 'latest.md')
  writeFileSync(file, markdown)
  // each bench printed its own tables as it ran: print only what is new here
  console.log(`\n## Targets (ratios from this run)\n\n${table(['target', 'measured', ''], targetRows)}\n\nAll tables written to ${file}`)
  if (failed) process.exitCode = 1
}

main()
