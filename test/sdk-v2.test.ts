// fastmcp-auth-express/sdk-v2: this package's decision behind MCP SDK v2's own bearer gates.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { requireBearerAuth } from '@modelcontextprotocol/express'
import { OAuthError, requireBearerAuth as requireBearerAuthFetch, type AuthInfo } from '@modelcontextprotocol/server'
import express from 'express'
import { createFastMcpAuth } from '../src/index.js'
import { createBearerAuthOptions, createFastMcpTokenVerifier } from '../src/sdk-v2.js'
import { AUDIENCE, ISSUER, METADATA_URL, claims, createAuthContext, listenLocal, signToken, type AuthContext } from './helpers.js'

// v2's gate checks expiresAt against the real clock: these tokens live in the real now
const now = Math.floor(Date.now() / 1000)
const live = (overrides: Record<string, unknown> = {}) => signToken(claims({ iat: now, exp: now + 600, ...overrides }))
const realClockAuth = (): AuthContext => createAuthContext({ clock: Date.now, scopeHierarchy: { 'notes:write': ['notes:read'] } })

describe('createFastMcpTokenVerifier', () => {
  test('resolves to the AuthInfo auth.verifyAccessToken gives', async () => {
    const { auth } = realClockAuth()
    const token = live({ jti: 'v2-ok', scope: 'notes:write' })
    const info = await createFastMcpTokenVerifier(auth).verifyAccessToken(token)
    assert.equal(info, await auth.verifyAccessToken(token))
    assert.deepEqual(info.scopes, ['notes:write', 'notes:read'])
  })

  for (const [name, token, description] of [
    ['an expired token', live({ jti: 'v2-exp', exp: now - 5 }), 'The token has expired'],
    ['a refresh token', live({ jti: 'v2-refresh', token_use: 'refresh' }), 'A refresh token cannot be used as an access token'],
    ['a token for another audience', live({ jti: 'v2-aud', aud: `${AUDIENCE}/other` }), 'The token is for another audience'],
  ] as const) {
    test(`refuses ${name} with v2's OAuthError invalid_token and the fixed description`, async () => {
      const { auth } = realClockAuth()
      await assert.rejects(createFastMcpTokenVerifier(auth).verifyAccessToken(token), (err: unknown) => {
        assert.ok(err instanceof OAuthError)
        assert.equal(err.code, 'invalid_token')
        assert.equal(err.message, description)
        return true
      })
    })
  }

  test('a server that cannot verify yet is server_error (v2 has no 503)', async () => {
    const auth = createFastMcpAuth({ secret: 'a-long-enough-secret-for-pbkdf2', issuer: ISSUER, audience: AUDIENCE, keyWaitMs: 1 })
    await assert.rejects(createFastMcpTokenVerifier(auth).verifyAccessToken(live()), (err: unknown) => err instanceof OAuthError && err.code === 'server_error')
    await auth.ready
  })
})

describe('v2 requireBearerAuth (@modelcontextprotocol/express) with createBearerAuthOptions', () => {
  let base: string
  let close: () => Promise<void>
  let seen: unknown
  before(async () => {
    const { auth } = realClockAuth()
    const app = express()
    app.use('/mcp', requireBearerAuth(createBearerAuthOptions(auth)))
    app.use('/notes', requireBearerAuth(createBearerAuthOptions(auth, { requiredScopes: ['notes:read'] })))
    app.all(['/mcp', '/notes'], (req, res) => {
      seen = req.auth
      res.json({ clientId: req.auth?.clientId })
    })
    ;({ base, close } = await listenLocal(app))
  })
  after(() => close())

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${base}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() as Record<string, string> }
  }

  test('a valid token: req.auth is this package\'s frozen AuthInfo, resourceMetadataUrl and all', async () => {
    const res = await get('/mcp', live({ jti: 'v2-gate-ok' }))
    assert.equal(res.status, 200)
    const auth = seen as AuthInfo
    assert.equal(auth.resourceMetadataUrl, METADATA_URL)
    assert.ok(Object.isFrozen(auth), 'v2 keeps the verifier-set AuthInfo as it is')
  })

  test('a refused token: v2\'s 401 with this package\'s description and metadata URL', async () => {
    const res = await get('/mcp', live({ jti: 'v2-gate-refresh', token_use: 'refresh' }))
    assert.equal(res.status, 401)
    assert.equal(res.challenge, `Bearer error="invalid_token", error_description="A refresh token cannot be used as an access token", resource_metadata="${METADATA_URL}"`)
    assert.deepEqual(res.body, { error: 'invalid_token', error_description: 'A refresh token cannot be used as an access token' })
  })

  test('what v2\'s gate does differently: no credentials get invalid_token and v2\'s own text', async () => {
    const res = await get('/mcp')
    assert.equal(res.status, 401)
    assert.equal(res.challenge, `Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="${METADATA_URL}"`)
  })

  test('v2\'s requiredScopes read the expanded scopes: notes:write satisfies notes:read; without it, v2\'s 403', async () => {
    assert.equal((await get('/notes', live({ jti: 'v2-gate-writer', scope: 'notes:write' }))).status, 200)
    const res = await get('/notes', live({ jti: 'v2-gate-profile', scope: 'profile' }))
    assert.equal(res.status, 403)
    assert.equal(res.challenge, `Bearer error="insufficient_scope", error_description="Insufficient scope", scope="notes:read", resource_metadata="${METADATA_URL}"`)
  })
})

describe('v2 requireBearerAuth (fetch-shaped, @modelcontextprotocol/server)', () => {
  test('resolves to the AuthInfo or answers with the challenge Response', async () => {
    const { auth } = realClockAuth()
    const gate = requireBearerAuthFetch(createBearerAuthOptions(auth))
    const ok = await gate(new Request('http://localhost/mcp', { headers: { authorization: `Bearer ${live({ jti: 'v2-fetch' })}` } }))
    assert.ok(!(ok instanceof Response))
    assert.equal(ok.clientId, 'client-abc')
    const refused = await gate(new Request('http://localhost/mcp', { headers: { authorization: `Bearer ${live({ jti: 'v2-fetch-exp', exp: now - 5 })}` } }))
    assert.ok(refused instanceof Response)
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="The token has expired", resource_metadata="${METADATA_URL}"`)
  })
})

describe('the fastmcp-auth-express/sdk-v2 subpath', () => {
  test('no top-level built module but sdk-v2.js loads an MCP SDK package (the root entry needs no optional peer)', () => {
    const dist = new URL('../dist/', import.meta.url)
    const loading = readdirSync(dist).filter((f) => f.endsWith('.js') && readFileSync(new URL(f, dist), 'utf8').includes('@modelcontextprotocol/'))
    assert.deepEqual(loading, ['sdk-v2.js'])
  })

  test('resolves through the exports map from ESM and require() alike (built package, plain node)', () => {
    const script = "const m = require('fastmcp-auth-express/sdk-v2'); import('fastmcp-auth-express/sdk-v2').then((e) => process.stdout.write(JSON.stringify([Object.keys(m).sort(), Object.keys(e).sort()])))"
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    assert.equal(run.status, 0, run.stderr)
    const names = ['createBearerAuthOptions', 'createFastMcpTokenVerifier']
    assert.deepEqual(JSON.parse(run.stdout), [names, names])
  })
})
