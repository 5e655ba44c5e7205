// `npm start` as a newcomer runs it: examples/server.ts in its own process.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const serverScript = fileURLToPath(new URL('../examples/server.ts', import.meta.url))

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs the example server until it prints its curl line (then stops it) or exits by itself. */
function runExample(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', serverScript], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
      if (stdout.includes('SDK client:')) child.kill('SIGTERM')
    })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk })
    child.on('error', reject)
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

test('npm start with the port taken exits non-zero with a clear message and prints no token', async () => {
  const blocker = net.createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  const { port } = blocker.address() as AddressInfo
  try {
    const run = await runExample({ PORT: String(port) })
    assert.equal(run.code, 1)
    assert.match(run.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is already in use`))
    assert.doesNotMatch(run.stdout + run.stderr, /eyJ/)
  } finally {
    blocker.close()
  }
})

test('npm start prints the metadata URL derived from the configured audience', async () => {
  // port 0: the system picks a free one, with no window for another process to take it
  const run = await runExample({ PORT: '0', FASTMCP_AUDIENCE: 'https://mcp.example.com/tenant/mcp/' })
  assert.match(run.stdout, /audience https:\/\/mcp\.example\.com\/tenant\/mcp\/; metadata: https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/tenant\/mcp\)/)
})
