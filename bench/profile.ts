// Where a protected route's time goes: the bench server (bench/http-server.ts) runs under
// `node --cpu-prof` while autocannon sends one kind of request to one of its routes, then
// the profile's samples are summed by function (self time) and by module. Look here before
// changing anything for speed.
//
//   npm run bench:profile -- [token] [server] [seconds]
//   token:  valid | forged | forgedCachedJti | none   (default forged: a replayed forgery)
//   server: ours | oursNoCache | refuseFloor | bare | floor | sdk | expressJwt   (default ours)
import { fork } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import type { ServerCase, ToParent } from './http-server.js'

const [token = 'forged', server = 'ours', seconds = '10'] = process.argv.slice(2)
const TOKENS = ['valid', 'forged', 'forgedCachedJti', 'none'] as const
if (!(TOKENS as readonly string[]).includes(token)) throw new Error(`token must be one of ${TOKENS.join(', ')}`)

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fastmcp-auth-profile-'))
  const child = fork(new URL('./http-server.ts', import.meta.url), {
    execArgv: ['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', dir],
    stdio: 'inherit',
  })
  const ready = await new Promise<Extract<ToParent, { type: 'ready' }>>((resolve) => {
    child.on('message', (message: ToParent) => {
      if (message.type === 'ready') resolve(message)
    })
  })
  const port = ready.ports[server as ServerCase]
  if (port === undefined) throw new Error(`no bench server named ${server}`)
  const headers: Record<string, string> = token === 'valid' ? { authorization: `Bearer ${ready.token}` }
    : token === 'none' ? {}
    : { authorization: `Bearer ${ready[token as 'forged' | 'forgedCachedJti']}` }
  const result = await autocannon({ url: `http://127.0.0.1:${port}/mcp`, connections: 50, duration: Number(seconds), headers })
  const statuses = `${result['2xx']} 2xx, ${result.non2xx} other`
  // the server exits when its channel closes, and --cpu-prof writes the profile on exit
  await new Promise((resolve) => {
    child.once('exit', resolve)
    child.disconnect()
  })

  // the main thread's profile is the largest (a loader thread writes one too)
  const files = readdirSync(dir).map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)
  const profile = JSON.parse(readFileSync(files[0]!, 'utf8')) as Profile
  rmSync(dir, { recursive: true, force: true })

  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfByFunction = new Map<string, number>()
  const selfByModule = new Map<string, number>()
  let total = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    // shares are of the time the server was busy
    if (functionName === '(idle)') return void (idle += micros)
    const module = moduleOf(url)
    // tsx's transpiled src reports line 0
    const name = `${functionName || '(anonymous)'}  ${module}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + micros)
    selfByModule.set(module, (selfByModule.get(module) ?? 0) + micros)
    total += micros
  })
  const share = (micros: number) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`
  const top = (map: Map<string, number>, count: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, micros]) => `${share(micros)}  ${name}`).join('\n')

  console.log(`${server} with ${token} tokens: ${Math.round(result.requests.average)} req/s (${statuses})`)
  console.log(`${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle (start-up included)`)
  console.log('\nself time by module, of the busy time (this package is src)\n' + top(selfByModule, 12))
  console.log('\nself time by function, of the busy time\n' + top(selfByFunction, 25))
}

/** `src`, a package name, `node` for Node's own code, or V8's bracketed names. */
function moduleOf(url: string): string {
  if (url === '') return '(v8)'
  if (url.startsWith('node:')) return 'node'
  const packages = url.split('/node_modules/')
  if (packages.length > 1) {
    const parts = packages.at(-1)!.split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  return url.includes('/src/') ? 'src' : url.includes('/bench/') ? 'bench' : url
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
