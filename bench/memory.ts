// Resident memory of 100k distinct cached tokens, against a process that did the same
// work with the cache off. Each figure comes from a fresh child process (--expose-gc,
// full GCs before reading); the pairs alternate and the median of rounds is reported.
import { fork } from 'node:child_process'
import { fixed, median, report, table } from './common.js'
import type { MemoryResult } from './memory-child.js'

const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 1)
const COUNT = Number(process.env.BENCH_MEMORY_TOKENS ?? 100_000)
const MB = 2 ** 20

function measureChild(cache: 'cache' | 'nocache', claims: 'plain' | 'upstream' | 'held'): Promise<MemoryResult> {
  const child = fork(new URL('./memory-child.ts', import.meta.url), [cache, claims], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, BENCH_MEMORY_TOKENS: String(COUNT) },
    stdio: 'inherit',
  })
  return new Promise((resolve, reject) => {
    child.once('message', (result: MemoryResult) => {
      child.kill()
      resolve(result)
    })
    child.once('exit', (code) => reject(new Error(`memory child exited with ${code}`)))
  })
}

async function main(): Promise<void> {
  const variants = [
    { id: 'plain', name: `${COUNT.toLocaleString('en-US')} tokens, no upstream claims` },
    { id: 'upstream', name: `${COUNT.toLocaleString('en-US')} tokens, 1 KB upstream_claims each` },
    { id: 'held', name: `${COUNT.toLocaleString('en-US')} tokens the caller holds too (what the cache itself adds)` },
  ] as const
  const runs = new Map<string, MemoryResult[]>()
  const push = (key: string, r: MemoryResult): void => {
    runs.set(key, [...(runs.get(key) ?? []), r])
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const empty = await measureChild('nocache', v.id)
      const full = await measureChild('cache', v.id)
      if (full.cachedHits === 0 || empty.cachedHits !== 0) throw new Error('bench: the cache did not behave as configured')
      push(`${v.id}.empty`, empty)
      push(`${v.id}.full`, full)
    }
    process.stderr.write(`memory: round ${round + 1}/${ROUNDS} done\n`)
  }
  const metrics: Record<string, number> = {}
  const rows: string[][] = []
  for (const v of variants) {
    const pick = (key: string, f: (r: MemoryResult) => number): number => median(runs.get(key)!.map(f))
    const rssEmpty = pick(`${v.id}.empty`, (r) => r.rss)
    const rssFull = pick(`${v.id}.full`, (r) => r.rss)
    const heapEmpty = pick(`${v.id}.empty`, (r) => r.heapUsed)
    const heapFull = pick(`${v.id}.full`, (r) => r.heapUsed)
    metrics[`${v.id}.rssOverMB`] = (rssFull - rssEmpty) / MB
    metrics[`${v.id}.heapOverMB`] = (heapFull - heapEmpty) / MB
    rows.push([
      v.name,
      fixed(rssEmpty / MB, 1),
      fixed(rssFull / MB, 1),
      fixed((rssFull - rssEmpty) / MB, 1),
      fixed((heapFull - heapEmpty) / MB, 1),
      fixed((heapFull - heapEmpty) / COUNT, 0),
    ])
  }
  const markdown = [
    '## Memory: cached tokens (MB, median of rounds)',
    '',
    `Each figure from a fresh process (--expose-gc, full GCs before reading). "Empty" did the same work, minting and verifying the same number of tokens through requireFastMcpToken, with the cache off. ${ROUNDS} rounds.`,
    '',
    table(['case', 'RSS empty', 'RSS cached', 'RSS over empty', 'heap over empty', 'heap bytes/entry'], rows),
  ].join('\n')
  report({ markdown, metrics })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
