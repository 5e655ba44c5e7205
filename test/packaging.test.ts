// The published package as a user gets it: `npm pack`, then publint and attw on the
// tarball, then an ESM and a CommonJS project install the tarball and serve a request.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { installTarball, packTarball, root } from './pack.js'

const run = promisify(execFile)
const attwBin = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown>; devDependencies: Record<string, string> }
// every subpath a consumer can import; ./package.json is data, not a module
const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json')

let work: string
let tarball: string

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'fastmcp-auth-pack-'))
  let files: string[]
  ;({ tarball, files } = await packTarball(work))
  const stray = files.filter((f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE)$/.test(f))
  assert.deepEqual(stray, [], 'the tarball holds only dist/, package.json, README and LICENSE')
})
after(() => rm(work, { recursive: true, force: true }))

describe('the packed tarball', () => {
  test('publint finds nothing, suggestions included', async () => {
    const bytes = await readFile(tarball)
    const packed = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    const { messages } = await publint({ pack: { tarball: packed }, level: 'suggestion' })
    assert.deepEqual(messages, [])
  })

  test('attw finds only the note of an ESM-only package: CommonJS gets ESM (require(esm) on the engines\' Nodes)', async () => {
    // attw exits 1 whenever it reports a problem; the JSON on stdout is the verdict
    const out = await run(process.execPath, [attwBin, tarball, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 })
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
    const report = JSON.parse(out.stdout) as { analysis: { problems: unknown[] } }
    const expected = subpaths.map((entrypoint) => ({ kind: 'CJSResolvesToESM', entrypoint, resolutionKind: 'node16-cjs' }))
    const order = (a: { entrypoint: string }, b: { entrypoint: string }) => a.entrypoint.localeCompare(b.entrypoint)
    assert.deepEqual([...report.analysis.problems as { entrypoint: string }[]].sort(order), expected.sort(order))
  })
})

// Both consumers: mint, verify, serve one protected request on node:http, then load every subpath.
const consumerBody = `
const results = {}
const auth = createFastMcpAuth({ secret: 'packaging-test-secret', entropy: 'high', issuer: 'http://127.0.0.1/', audience: 'http://127.0.0.1/mcp' })
const issued = await auth.issueAccessToken({ clientId: 'packed-client', scopes: ['notes:read'] })
results.verified = (await auth.verifyToken(issued.token)).client_id
const server = http.createServer((req, res) => auth.requireFastMcpToken(req, res, () => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ clientId: req.auth.clientId }))
}))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = 'http://127.0.0.1:' + server.address().port + '/mcp'
const ok = await fetch(url, { headers: { authorization: 'Bearer ' + issued.token } })
results.withToken = { status: ok.status, body: await ok.json() }
const refused = await fetch(url)
results.withoutToken = { status: refused.status, challenge: refused.headers.get('www-authenticate') }
await refused.arrayBuffer()
server.closeAllConnections()
server.close()
results.subpaths = {}
for (const subpath of SUBPATHS) {
  const id = NAME + subpath.slice(1)
  const mod = await load(id)
  results.subpaths[subpath] = { resolved: resolve(id), exports: Object.keys(mod).length }
}
process.stdout.write(JSON.stringify(results))
`

const consumers = {
  esm: {
    type: 'module',
    file: 'consumer.js',
    source: `import http from 'node:http'
import { createFastMcpAuth } from ${JSON.stringify(pkg.name)}
const NAME = ${JSON.stringify(pkg.name)}
const SUBPATHS = ${JSON.stringify(subpaths)}
const load = (id) => import(id)
const resolve = (id) => import.meta.resolve(id)
${consumerBody}`,
  },
  cjs: {
    type: 'commonjs',
    file: 'consumer.js',
    source: `const http = require('node:http')
const { createFastMcpAuth } = require(${JSON.stringify(pkg.name)})
const NAME = ${JSON.stringify(pkg.name)}
const SUBPATHS = ${JSON.stringify(subpaths)}
const load = async (id) => require(id)
const resolve = (id) => require.resolve(id)
;(async () => {
${consumerBody}
})().catch((err) => { console.error(err); process.exit(1) })`,
  },
} as const

for (const [kind, consumer] of Object.entries(consumers)) {
  describe(`a${kind === 'esm' ? 'n ESM' : ' CommonJS'} project with the tarball installed`, () => {
    let output: {
      verified: string
      withToken: { status: number; body: unknown }
      withoutToken: { status: number; challenge: string | null }
      subpaths: Record<string, { resolved: string; exports: number }>
    }
    let dir: string

    before(async () => {
      dir = join(work, kind)
      await mkdir(dir)
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `${kind}-consumer`, private: true, type: consumer.type }))
      await writeFile(join(dir, consumer.file), consumer.source)
      // each subpath with optional peers gets them at the tested versions: sdk-v2 SDK v2's
      // server package, authorization-server SDK v1 and Express (the root entry needs neither)
      const peers = ['@modelcontextprotocol/server', '@modelcontextprotocol/sdk', 'express'].map((name) => `${name}@${pkg.devDependencies[name]}`)
      await installTarball(dir, tarball, peers)
      const { stdout } = await run(process.execPath, [consumer.file], { cwd: dir, encoding: 'utf8' })
      output = JSON.parse(stdout) as typeof output
    })

    test('mints a token and verifies it', () => {
      assert.equal(output.verified, 'packed-client')
    })

    test('a node:http server behind requireFastMcpToken: 200 with the token, 401 without', () => {
      assert.deepEqual(output.withToken, { status: 200, body: { clientId: 'packed-client' } })
      assert.deepEqual(output.withoutToken, { status: 401, challenge: 'Bearer' })
    })

    test(`every exports subpath (${subpaths.join(', ')}) resolves inside the installed package and loads`, () => {
      const installed = join(dir, 'node_modules', pkg.name) + '/'
      assert.deepEqual(Object.keys(output.subpaths), subpaths)
      for (const [subpath, { resolved, exports }] of Object.entries(output.subpaths)) {
        const file = resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved
        assert.ok(file.startsWith(installed), `${subpath} resolved to ${file}`)
        assert.ok(exports > 0, `${subpath} exports nothing`)
      }
    })
  })
}
