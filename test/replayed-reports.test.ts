// Kinds of fault found by replaying public bug reports of bearer middlewares, MCP SDKs and
// JWT libraries against real Express 5 servers. Each test is named after the kind of
// report and asserts the right behaviour.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import { createFastMcpAuth, protectedResourceMetadataUrl, type FastMcpAuth } from '../src/index.js'
import { AUDIENCE, ISSUER, NOW, NOW_MS, VECTOR_KEY, claims, listenLocal, manualClock, signToken } from './helpers.js'

const METADATA = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'

interface App {
  url: string
  origin: string
  handled: () => number
  lastAuth: () => unknown
  close: () => Promise<void>
}

/** Express 5 as a user writes it: the middleware on `app.use('/mcp')`, then an `app.all` handler. */
async function startApp(build: (app: express.Express) => void): Promise<App> {
  let handled = 0
  let lastAuth: unknown
  const app = express()
  build(app)
  app.all('/mcp', (req, res) => {
    handled++
    lastAuth = (req as { auth?: unknown }).auth
    res.json({ ok: true })
  })
  const { base: origin, close } = await listenLocal(app)
  return {
    url: `${origin}/mcp`,
    origin,
    handled: () => handled,
    lastAuth: () => lastAuth,
    close,
  }
}

const newAuth = (options: Partial<Parameters<typeof createFastMcpAuth>[0]> = {}): FastMcpAuth =>
  createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, resourceMetadataUrl: METADATA, clock: () => NOW_MS, ...options })

describe('authentication bypass by OPTIONS method', () => {
  let app: App
  let scoped: App
  before(async () => {
    const auth = newAuth()
    app = await startApp((a) => a.use('/mcp', auth.requireFastMcpToken))
    // requireScopes alone on a route: it must not wave OPTIONS through either
    scoped = await startApp((a) => a.use('/mcp', auth.requireScopes('read')))
  })
  after(async () => { await app.close(); await scoped.close() })

  test('OPTIONS with no headers is authenticated like GET: 401 plain Bearer, handler not run', async () => {
    const res = await fetch(app.url, { method: 'OPTIONS' })
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${METADATA}"`)
    assert.equal(app.handled(), 0)
  })

  test('OPTIONS with a malformed token: 401 invalid_token', async () => {
    const res = await fetch(app.url, { method: 'OPTIONS', headers: { authorization: 'Bearer not.a.token' } })
    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate')!, /^Bearer error="invalid_token"/)
    assert.equal(app.handled(), 0)
  })

  test('OPTIONS with a valid token reaches the handler with req.auth', async () => {
    const res = await fetch(app.url, { method: 'OPTIONS', headers: { authorization: `Bearer ${signToken(claims({ jti: 'opt-valid' }))}` } })
    assert.equal(res.status, 200)
    assert.equal((app.lastAuth() as { clientId: string }).clientId, 'client-abc')
  })

  test('a CORS preflight (Origin + Access-Control-Request-Method) still passes untouched', async () => {
    const before = app.handled()
    const res = await fetch(app.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    assert.equal(res.status, 200)
    assert.equal(app.handled(), before + 1)
    assert.equal(app.lastAuth(), undefined)
  })

  test('an OPTIONS with Origin alone, or the request method alone, is no preflight', async () => {
    for (const headers of [{ origin: 'https://app.example' }, { 'access-control-request-method': 'POST' }] as Record<string, string>[]) {
      const res = await fetch(app.url, { method: 'OPTIONS', headers })
      assert.equal(res.status, 401, JSON.stringify(headers))
    }
  })

  test('requireScopes behaves the same way', async () => {
    const before = scoped.handled()
    assert.equal((await fetch(scoped.url, { method: 'OPTIONS' })).status, 401)
    assert.equal(scoped.handled(), before)
    const preflight = await fetch(scoped.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.status, 200)
    assert.equal(scoped.handled(), before + 1)
  })
})

describe('empty Bearer credential answered as a malformed request (client never starts OAuth)', () => {
  let app: App
  before(async () => {
    const auth = newAuth()
    app = await startApp((a) => a.use('/mcp', auth.requireFastMcpToken))
  })
  after(() => app.close())

  for (const value of ['Bearer', 'Bearer ', 'Bearer    ', 'bearer \t ']) {
    test(`Authorization: ${JSON.stringify(value)} gets exactly the no-token answer`, async () => {
      const none = await fetch(app.url)
      const empty = await fetch(app.url, { headers: { authorization: value } })
      assert.equal(empty.status, 401)
      assert.equal(empty.headers.get('www-authenticate'), `Bearer resource_metadata="${METADATA}"`)
      assert.equal(empty.headers.get('www-authenticate'), none.headers.get('www-authenticate'))
      assert.deepEqual(await empty.json(), await none.json())
      assert.equal(app.handled(), 0)
    })
  }
})

describe('RFC 9728 well-known URL for a resource with a trailing slash or a query', () => {
  test('drops the terminating slash and keeps the query', () => {
    assert.equal(protectedResourceMetadataUrl('https://mcp.example.com/mcp/'), 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp')
    assert.equal(protectedResourceMetadataUrl('https://mcp.example.com/mcp?tenant=a'), 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a')
    assert.equal(protectedResourceMetadataUrl('https://mcp.example.com/a/mcp/?t=1'), 'https://mcp.example.com/.well-known/oauth-protected-resource/a/mcp?t=1')
  })

  for (const [audience, advertised] of [
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'],
    ['https://mcp.example.com/mcp?tenant=a', 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp?tenant=a'],
  ] as const) {
    test(`audience ${audience}: the challenge advertises ${advertised}, and it is served`, async () => {
      const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience, clock: () => NOW_MS })
      const app = await startApp((a) => {
        a.use(auth.protectedResourceMetadata())
        a.use('/mcp', auth.requireFastMcpToken)
      })
      try {
        const refused = await fetch(app.url)
        assert.equal(refused.headers.get('www-authenticate'), `Bearer resource_metadata="${advertised}"`)
        const served = new URL(advertised)
        for (const path of [served.pathname + served.search, `/.well-known/oauth-protected-resource${new URL(audience).pathname}`]) {
          const res = await fetch(app.origin + path)
          assert.equal(res.status, 200, path)
          assert.equal((await res.json() as { resource: string }).resource, audience)
        }
      } finally {
        await app.close()
      }
    })
  }
})

describe('JSON body member named access_token taken for a second token', () => {
  let app: App
  before(async () => {
    const auth = newAuth()
    app = await startApp((a) => {
      a.use(express.json(), express.urlencoded({ extended: false }))
      a.use('/mcp', auth.requireFastMcpToken)
    })
  })
  after(() => app.close())
  const bearer = () => ({ authorization: `Bearer ${signToken(claims({ jti: 'json-body' }))}` })

  test('a JSON request with an access_token member and a valid Bearer header is ordinary', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' }, access_token: 'data' }),
    })
    assert.equal(res.status, 200)
  })

  test('a form body with access_token next to the header: 400 multiple_methods, whatever the parameters', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8']) {
      const res = await fetch(app.url, { method: 'POST', headers: { ...bearer(), 'content-type': type }, body: 'access_token=abc' })
      assert.equal(res.status, 400, type)
      assert.equal((await res.json() as { error_description: string }).error_description, 'The token was sent by more than one method')
    }
  })

  test('a form body token alone: 400 unsupported_method', async () => {
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: 'access_token=abc' })
    assert.equal(res.status, 400)
    assert.equal((await res.json() as { error_description: string }).error_description, 'Tokens are accepted only in the Authorization header')
  })
})

describe('revocation forgotten while a long-lived token is still accepted', () => {
  const DAY = 86_400

  test('a token whose exp lies beyond maxTokenLifetimeSeconds is refused as lifetime_exceeded', async () => {
    const auth = newAuth()
    const year = signToken(claims({ jti: 'year', exp: NOW + 365 * DAY }))
    assert.equal((await auth.verifyToken(year)).jti, 'year')
    const tooLong = signToken(claims({ jti: 'long', exp: NOW + 401 * DAY }))
    await assert.rejects(auth.verifyToken(tooLong), { reason: 'lifetime_exceeded', status: 401 })
    const tight = newAuth({ maxTokenLifetimeSeconds: 3600, clockToleranceSeconds: 5 })
    assert.equal((await tight.verifyToken(signToken(claims({ jti: 'edge', exp: NOW + 3605 })))).jti, 'edge')
    await assert.rejects(tight.verifyToken(signToken(claims({ jti: 'over', exp: NOW + 3606 }))), { reason: 'lifetime_exceeded' })
  })

  test('revoke(jti) of a never-seen token outlasts a year-long FastMCP access token', async () => {
    const clock = manualClock()
    const auth = newAuth({ clock: clock.now })
    const token = signToken(claims({ jti: 'year-long', exp: NOW + 365 * DAY }))
    await auth.revoke('year-long')
    clock.advance(31 * DAY * 1000)
    await assert.rejects(auth.verifyToken(token), { reason: 'revoked' })
    clock.advance(300 * DAY * 1000)
    await assert.rejects(auth.verifyToken(token), { reason: 'revoked' })
  })

  test('minting beyond the bound, or lifetimes above it, is refused at once', async () => {
    assert.throws(() => newAuth({ maxTokenLifetimeSeconds: 3600, refreshTokenLifetimeSeconds: 7200 }), /refreshTokenLifetimeSeconds/)
    const auth = newAuth({ maxTokenLifetimeSeconds: 3600 })
    await assert.rejects(auth.issueAccessToken({ clientId: 'c', scopes: [], expiresIn: 3601 }), TypeError)
  })
})

describe('FastMCP 3.4+ subject reaches req.auth', () => {
  test('sub minted by issueAccessToken({ subject }) is on req.auth.extra.sub', async () => {
    const auth = newAuth()
    const app = await startApp((a) => a.use('/mcp', auth.requireFastMcpToken))
    try {
      const { token } = await auth.issueAccessToken({ clientId: 'c', scopes: ['read'], subject: 'user-42', extraClaims: { tenant: 't' } })
      const res = await fetch(app.url, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 200)
      const extra = (app.lastAuth() as { extra: { sub: string; claims: Record<string, unknown> } }).extra
      assert.equal(extra.sub, 'user-42')
      assert.equal(extra.claims.tenant, 't')
    } finally {
      await app.close()
    }
  })

  test('auth.verifyToken refuses a refresh token unless asked', async () => {
    const auth = newAuth()
    const { token } = await auth.issueRefreshToken({ clientId: 'c', scopes: [] })
    await assert.rejects(auth.verifyToken(token), { reason: 'refresh_token' })
    assert.equal((await auth.verifyToken(token, { expectedTokenUse: 'refresh' })).token_use, 'refresh')
  })
})
