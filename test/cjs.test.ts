import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

test('a CommonJS app can require() the built package by its name', () => {
  // a plain node process, no tsx: what a CJS app on Node 20.19+ gets
  const script = fileURLToPath(new URL('./fixtures/require-app.cjs', import.meta.url))
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout), { clientId: 'client-abc', types: ['function', 'function', 'function'] })
})

test('a CommonJS app can require() the authorization-server subpath by its name', () => {
  const script = fileURLToPath(new URL('./fixtures/require-authorization-server.cjs', import.meta.url))
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout), { issuer: 'https://as.example.com/', router: 'function' })
})
