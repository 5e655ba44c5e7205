// Every TypeScript snippet in README.md must stand, line for line, in a file under
// examples/, which `npm test` type-checks: the README cannot drift from working code.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { test } from 'node:test'

const root = new URL('../', import.meta.url)
const readme = readFileSync(new URL('README.md', root), 'utf8')
const examples = readdirSync(new URL('examples/', root))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ name: f, text: readFileSync(new URL(`examples/${f}`, root), 'utf8') }))

const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.trim())

test('README has TypeScript snippets', () => {
  assert.ok(snippets.length >= 5, `found ${snippets.length}`)
})

for (const [i, snippet] of snippets.entries()) {
  test(`README snippet ${i + 1} is part of a type-checked example (${snippet.split('\n')[0]!.slice(0, 50)})`, () => {
    // the README imports the package by name; examples import its source
    const asInExamples = snippet
      .replaceAll("'fastmcp-auth-express'", "'../src/index.js'")
      .replaceAll("'fastmcp-auth-express/sdk-v2'", "'../src/sdk-v2.js'")
      .replaceAll("'fastmcp-auth-express/redis'", "'../src/store/redis.js'")
      .replaceAll("'fastmcp-auth-express/authorization-server'", "'../src/authorization-server/index.js'")
    const home = examples.find((e) => e.text.includes(asInExamples))
    assert.ok(home, `README snippet ${i + 1} is in no file of examples/:\n${snippet}`)
  })
}

test('README opens with the two commands', () => {
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!
  assert.match(firstBlock, /^npm ci && npm start\b/m)
  assert.match(firstBlock, /^npm ci && npm test\b/m)
})

test('no README snippet mounts a revocation route without authentication', () => {
  for (const snippet of snippets.filter((s) => s.includes('auth.revoke('))) {
    const route = /app\.(post|delete|get|all)\([^\n]*revoke[^\n]*/.exec(snippet)?.[0]
    assert.ok(route === undefined || route.includes('requireFastMcpToken'), `an unguarded revocation route:\n${route}`)
  }
})

test('the package names its licence and where it lives, so relative README links work on the registry', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as Record<string, unknown>
  assert.equal(pkg.license, 'MIT')
  assert.match(readFileSync(new URL('LICENSE', root), 'utf8'), /^MIT License/)
  assert.ok(typeof pkg.homepage === 'string' && typeof pkg.bugs === 'object' && typeof pkg.repository === 'object')
})
