import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

test('fastmcp-auth-express/redis is its own entry; neither entry loads the redis package', () => {
  // a plain node process on the build (npm test builds first), with `redis` made unloadable
  const script = fileURLToPath(new URL('../fixtures/redis-entry.mjs', import.meta.url))
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout), { main: 'function', store: 'function', prefix: 'fastmcp-auth:', inMain: false })
})
