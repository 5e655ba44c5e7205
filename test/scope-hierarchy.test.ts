// Scope hierarchies (MCP 2026-07-28: servers MUST account for them): compiled once at
// set-up, applied to the AuthInfo every check reads.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { compileScopeHierarchy } from '../src/scopes.js'
import { METADATA_URL, SERVER_KINDS, claims, createAuthContext, signToken, startServer, type AuthContext, type TestServer } from './helpers.js'

const HIERARCHY = { admin: ['notes:write', 'users:read'], 'notes:write': ['notes:read'] }

async function get(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() as { auth?: { scopes: string[]; extra: { grantedScopes: string[] } } } }
}

describe('compileScopeHierarchy', () => {
  test('expands transitively: the token\'s own scopes first, then what they imply, each once', () => {
    const { expand } = compileScopeHierarchy(HIERARCHY, 'scopeHierarchy')
    assert.deepEqual(expand(['admin']), ['admin', 'notes:write', 'notes:read', 'users:read'])
    assert.deepEqual(expand(['notes:read', 'notes:write']), ['notes:read', 'notes:write'])
    assert.deepEqual(expand(['profile', 'notes:write']), ['profile', 'notes:write', 'notes:read'])
  })

  test('returns the very same array when nothing is implied', () => {
    const { expand } = compileScopeHierarchy(HIERARCHY, 'scopeHierarchy')
    const granted = ['notes:read', 'profile']
    assert.equal(expand(granted), granted)
    assert.equal(compileScopeHierarchy(undefined, 'scopeHierarchy').expand(granted), granted)
  })

  test('scopes named like Object.prototype members are ordinary scopes', () => {
    const { expand } = compileScopeHierarchy({ constructor: ['toString'] }, 'scopeHierarchy')
    assert.deepEqual(expand(['constructor']), ['constructor', 'toString'])
    assert.deepEqual(expand(['hasOwnProperty', '__proto__']), ['hasOwnProperty', '__proto__'])
  })

  for (const [name, hierarchy, cycle] of [
    ['a scope that implies itself', { admin: ['admin'] }, 'admin -> admin'],
    ['two scopes that imply each other', { a: ['b'], b: ['a'] }, 'a -> b -> a'],
    ['a longer loop behind a tail', { root: ['a'], a: ['b'], b: ['c'], c: ['a'] }, 'a -> b -> c -> a'],
  ] as const) {
    test(`a cycle is a set-up error that names the option and the cycle: ${name}`, () => {
      assert.throws(() => createAuthContext({ scopeHierarchy: hierarchy }), (err: unknown) => {
        assert.ok(err instanceof TypeError)
        assert.equal(err.message, `createFastMcpAuth: \`scopeHierarchy\` has a cycle: ${cycle}`)
        return true
      })
    })
  }

  test('malformed hierarchies are set-up errors naming the option', () => {
    for (const bad of [[], 'admin', { admin: 'notes:read' }, { admin: ['notes read'] }, { 'a b': ['c'] }, { admin: [''] }, { admin: ['é'] }]) {
      assert.throws(() => createAuthContext({ scopeHierarchy: bad as never }), (err: unknown) => err instanceof TypeError && err.message.includes('`scopeHierarchy`'), JSON.stringify(bad))
    }
  })
})

for (const kind of SERVER_KINDS) {
  describe(`scopeHierarchy through requireFastMcpToken and requireScopes under ${kind}`, () => {
    let ctx: AuthContext
    let reader: TestServer
    let writer: TestServer
    before(async () => {
      ctx = createAuthContext({ scopeHierarchy: HIERARCHY })
      reader = await startServer(kind, [ctx.auth.requireFastMcpToken, ctx.auth.requireScopes('notes:read')])
      writer = await startServer(kind, [ctx.auth.requireFastMcpToken, ctx.auth.requireScopes('notes:write')])
    })
    after(async () => {
      await reader.close()
      await writer.close()
    })

    test('req.auth.scopes is the expanded set and extra.grantedScopes the token\'s own, on a miss and on a cache hit', async () => {
      const token = signToken(claims({ jti: `h-admin-${kind}`, scope: 'admin profile' }))
      for (let i = 0; i < 2; i++) {
        const res = await get(reader.url, token)
        assert.equal(res.status, 200)
        assert.deepEqual(res.body.auth?.scopes, ['admin', 'profile', 'notes:write', 'notes:read', 'users:read'])
        assert.deepEqual(res.body.auth?.extra.grantedScopes, ['admin', 'profile'])
      }
      assert.deepEqual(ctx.verified.slice(-2).map((e) => e.cached), [false, true])
      const auth = reader.lastAuth() as { scopes: string[] }
      assert.ok(Object.isFrozen(auth.scopes))
    })

    test('a broader scope satisfies requireScopes for a narrower one', async () => {
      const res = await get(reader.url, signToken(claims({ jti: `h-write-${kind}`, scope: 'notes:write' })))
      assert.equal(res.status, 200)
    })

    test('a narrower scope does not satisfy a broader one: 403 naming the required scope', async () => {
      const before = writer.handled()
      const res = await get(writer.url, signToken(claims({ jti: `h-read-${kind}`, scope: 'notes:read' })))
      assert.equal(res.status, 403)
      assert.equal(res.challenge, `Bearer error="insufficient_scope", error_description="The token lacks a required scope", scope="notes:write", resource_metadata="${METADATA_URL}"`)
      assert.equal(writer.handled(), before)
    })
  })
}

describe('without a hierarchy', () => {
  test('scopes and grantedScopes are the token\'s scopes, one shared frozen array', async () => {
    const ctx = createAuthContext()
    const auth = await ctx.auth.verifyAccessToken(signToken(claims({ jti: 'no-hierarchy', scope: 'admin notes:read' })))
    assert.deepEqual(auth.scopes, ['admin', 'notes:read'])
    assert.equal(auth.extra?.grantedScopes, auth.scopes)
    assert.ok(Object.isFrozen(auth.scopes))
  })
})
