// PBKDF2 key derivation (FastMCP's 1,000,000 rounds) through deriveJwtKey against
// node:crypto's pbkdf2 called directly, interleaved; and the event loop's largest delay
// while a derivation runs (it must stay on libuv's thread pool). HKDF, for scale.
import { hkdf, pbkdf2 } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { DEFAULT_SALT, KDF_ITERATIONS, deriveJwtKey } from '../src/index.js'
import { QUICK, fixed, median, ratio, report, table } from './common.js'

const ROUNDS = Number(process.env.BENCH_KEYS_ROUNDS ?? (QUICK ? 2 : 5))
const SECRET = 'correct horse battery staple, but longer'

function direct(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(SECRET), Buffer.from(DEFAULT_SALT), KDF_ITERATIONS, 32, 'sha256', (err, key) => (err ? reject(err) : resolve(key)))
  })
}

function directHkdf(): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    hkdf('sha256', SECRET, DEFAULT_SALT, 'Fernet', 32, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** Median milliseconds of `n` sequential calls of a fast derivation. */
async function perCall(fn: () => Promise<unknown>, n = 2000): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < n; i++) await fn()
  return (performance.now() - start) / n
}

/** Milliseconds taken by `fn`, and the event loop's largest delay meanwhile, in milliseconds. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; maxDelayMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const start = performance.now()
  await fn()
  const ms = performance.now() - start
  delay.disable()
  return { ms, maxDelayMs: delay.max / 1e6 }
}

async function main(): Promise<void> {
  // same bytes both ways, or the comparison means nothing
  const ours = Buffer.from(await deriveJwtKey({ lowEntropyMaterial: SECRET, salt: DEFAULT_SALT })).toString('latin1')
  if (ours !== (await direct()).toString('base64url') + '=') throw new Error('bench: deriveJwtKey and pbkdf2 disagree')

  const hkdfOurs: number[] = []
  const hkdfNode: number[] = []
  const derive = { ms: [] as number[], delay: [] as number[] }
  const node = { ms: [] as number[], delay: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    const a = await timed(() => deriveJwtKey({ lowEntropyMaterial: SECRET, salt: DEFAULT_SALT }))
    const b = await timed(direct)
    derive.ms.push(a.ms)
    derive.delay.push(a.maxDelayMs)
    node.ms.push(b.ms)
    node.delay.push(b.maxDelayMs)
    hkdfOurs.push(await perCall(() => deriveJwtKey({ highEntropyMaterial: SECRET, salt: DEFAULT_SALT })))
    hkdfNode.push(await perCall(directHkdf))
    process.stderr.write(`keys: round ${round + 1}/${ROUNDS} done\n`)
  }
  const metrics = {
    deriveMs: median(derive.ms),
    directMs: median(node.ms),
    deriveMaxDelayMs: Math.max(...derive.delay),
    directMaxDelayMs: Math.max(...node.delay),
    hkdfMs: median(hkdfOurs),
    hkdfDirectMs: median(hkdfNode),
  }
  const markdown = [
    '## Keys: PBKDF2-HMAC-SHA256, 1,000,000 rounds (ms, median of rounds)',
    '',
    `${ROUNDS} interleaved rounds. Event loop delay: the largest over all rounds (perf_hooks monitorEventLoopDelay, 1 ms resolution).`,
    '',
    table(['case', 'ms', 'vs node:crypto', 'largest event loop delay ms'], [
      ['deriveJwtKey (low entropy)', fixed(metrics.deriveMs, 1), ratio(metrics.deriveMs / metrics.directMs), fixed(metrics.deriveMaxDelayMs, 1)],
      ['node:crypto pbkdf2 directly', fixed(metrics.directMs, 1), ratio(1), fixed(metrics.directMaxDelayMs, 1)],
    ]),
    '',
    'HKDF-SHA256 (high entropy), for scale: sequential calls, median of rounds.',
    '',
    table(['case', 'µs per derivation', 'vs node:crypto'], [
      ['deriveJwtKey (high entropy)', fixed(metrics.hkdfMs * 1000, 1), ratio(metrics.hkdfMs / metrics.hkdfDirectMs)],
      ['node:crypto hkdf directly', fixed(metrics.hkdfDirectMs * 1000, 1), ratio(1)],
    ]),
  ].join('\n')
  report({ markdown, metrics })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
