import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createFastMcpAuth, type FastMcpAuth } from '../src/index.js'
import {
  AUDIENCE,
  ISSUER,
  NOW,
  METADATA_URL,
  SERVER_KINDS,
  VECTOR_SECRET,
  claims,
  createAuthContext,
  rawRequest,
  signToken,
  startServer,
  vector,
  NOW_MS,
  type AuthContext,
  type TestServer,
} from './helpers.js'

const challenge = (error?: string, description?: string, extra = '') =>
  error === undefined
    ? `Bearer resource_metadata="${METADATA_URL}"`
    : `Bearer error="${error}", error_description="${description}"${extra}, resource_metadata="${METADATA_URL}"`

const setup = createAuthContext

async function get(url: string, authorization?: string, init: RequestInit = {}) {
  const res = await fetch(url, { ...init, headers: { ...(authorization === undefined ? {} : { authorization }), ...init.headers } })
  const text = await res.text()
  return { status: res.status, challenge: res.headers.get('www-authenticate'), headers: res.headers, body: text ? JSON.parse(text) : undefined }
}

for (const kind of SERVER_KINDS) {
  describe(`requireFastMcpToken under ${kind}`, () => {
    let server: TestServer
    let ctx: AuthContext
    before(async () => {
      ctx = setup()
      server = await startServer(kind, [ctx.auth.requireFastMcpToken])
    })
    after(() => server.close())

    const expectRefusal = async (authorization: string | undefined, status: number, expectedChallenge: string, body: object, url = server.url) => {
      const before = server.handled()
      const res = await get(url, authorization)
      assert.equal(res.status, status)
      assert.equal(res.challenge, expectedChallenge)
      assert.deepEqual(res.body, body)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.equal(server.handled(), before, 'the protected handler must not run')
    }

    test('accepts a valid access token and hands the SDK\'s AuthInfo on as req.auth', async () => {
      const payload = claims({ jti: 'auth-shape', scope: 'openid  profile email', upstream_claims: { sub: 'user-123', roles: ['Admin'] } })
      const token = signToken(payload)
      const res = await get(server.url, `Bearer ${token}`)
      assert.equal(res.status, 200)
      assert.equal(res.challenge, null)
      assert.deepEqual(res.body.auth, {
        token,
        clientId: 'client-abc',
        scopes: ['openid', 'profile', 'email'],
        expiresAt: payload.exp,
        resource: AUDIENCE,
        resourceMetadataUrl: METADATA_URL,
        extra: { claims: payload, jti: 'auth-shape', iat: payload.iat, upstreamClaims: { sub: 'user-123', roles: ['Admin'] }, grantedScopes: ['openid', 'profile', 'email'] },
      })
      const auth = server.lastAuth() as { resource: URL; scopes: string[] }
      assert.ok(auth.resource instanceof URL)
      assert.ok(Object.isFrozen(auth) && Object.isFrozen(auth.scopes), 'req.auth is shared by cache hits, so it is frozen')
    })

    test('no Authorization header: 401 with a plain challenge and no error code', async () => {
      await expectRefusal(undefined, 401, challenge(), { error_description: 'Authorization with a Bearer token is required' })
    })

    test('another scheme (Basic): 401 with a plain challenge', async () => {
      await expectRefusal('Basic dXNlcjpwYXNz', 401, challenge(), { error_description: 'Authorization with a Bearer token is required' })
    })

    test('Bearer with no token: 401 with a plain challenge, as with no header', async () => {
      await expectRefusal('Bearer', 401, challenge(), { error_description: 'Authorization with a Bearer token is required' })
    })

    test('a token in the query string alone: 400 invalid_request', async () => {
      const d = 'Tokens are accepted only in the Authorization header'
      await expectRefusal(undefined, 400, challenge('invalid_request', d), { error: 'invalid_request', error_description: d },
        `${server.url}?access_token=${vector('access-basic').token}`)
    })

    test('a token in the query string and the header: 400 invalid_request', async () => {
      const d = 'The token was sent by more than one method'
      const token = vector('access-basic').token
      await expectRefusal(`Bearer ${token}`, 400, challenge('invalid_request', d), { error: 'invalid_request', error_description: d },
        `${server.url}?access_token=${token}`)
    })

    test('two Authorization headers: 400 invalid_request', async () => {
      const token = vector('access-basic').token
      const before = server.handled()
      const res = await rawRequest(server.port, `GET /mcp HTTP/1.1\nhost: x\nauthorization: Bearer ${token}\nauthorization: Bearer ${token}`)
      assert.equal(res.status, 400)
      assert.equal(res.headers['www-authenticate'], challenge('invalid_request', 'More than one Authorization header was sent'))
      assert.equal(server.handled(), before)
    })

    test('a token over 8 KiB: 401 invalid_token', async () => {
      const d = 'The token is too large'
      await expectRefusal(`Bearer ${'a'.repeat(8193)}`, 401, challenge('invalid_token', d), { error: 'invalid_token', error_description: d })
    })

    test('a refresh token used as an access token: 401 invalid_token', async () => {
      const d = 'A refresh token cannot be used as an access token'
      await expectRefusal(`Bearer ${vector('refresh-basic').token}`, 401, challenge('invalid_token', d), { error: 'invalid_token', error_description: d })
    })

    test('an expired token: 401 whose description says expired', async () => {
      const d = 'The token has expired'
      await expectRefusal(`Bearer ${vector('fail-expired').token}`, 401, challenge('invalid_token', d), { error: 'invalid_token', error_description: d })
    })

    test('a token of another audience: 401 invalid_token', async () => {
      const d = 'The token is for another audience'
      await expectRefusal(`Bearer ${vector('fail-wrong-audience').token}`, 401, challenge('invalid_token', d), { error: 'invalid_token', error_description: d })
    })

    test('a forged token: 401 invalid_token', async () => {
      const d = 'The token signature is invalid'
      await expectRefusal(`Bearer ${vector('fail-tampered-payload').token}`, 401, challenge('invalid_token', d), { error: 'invalid_token', error_description: d })
    })

    test('a CORS preflight passes untouched, without credentials', async () => {
      const before = server.handled()
      const res = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
      assert.equal(res.status, 200)
      assert.equal(server.handled(), before + 1)
    })

    test('any other OPTIONS is authenticated like GET (RFC 9110 §9.3.7)', async () => {
      const before = server.handled()
      const res = await fetch(server.url, { method: 'OPTIONS' })
      assert.equal(res.status, 401)
      assert.equal(server.handled(), before)
    })
  })
}

describe('requireFastMcpToken cache', () => {
  let server: TestServer
  let ctx: AuthContext
  before(async () => {
    ctx = setup({ clockToleranceSeconds: 0 })
    server = await startServer('express5', [ctx.auth.requireFastMcpToken])
  })
  after(() => server.close())

  test('a repeated token is answered from the cache', async () => {
    const token = signToken(claims({ jti: 'cache-repeat' }))
    ctx.verified.length = 0
    assert.equal((await get(server.url, `Bearer ${token}`)).status, 200)
    assert.equal((await get(server.url, `Bearer ${token}`)).status, 200)
    assert.deepEqual(ctx.verified.map((e) => e.cached), [false, true])
  })

  test('a forged token reusing a cached jti is refused', async () => {
    const jti = 'cache-forge'
    assert.equal((await get(server.url, `Bearer ${signToken(claims({ jti }))}`)).status, 200)
    const forged = signToken(claims({ jti, scope: 'admin' }), { key: 'k'.repeat(44) })
    const res = await get(server.url, `Bearer ${forged}`)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token signature is invalid')
    // and the forged token with the cached token's own signature
    const [h, , s] = signToken(claims({ jti })).split('.')
    const spliced = `${h}.${signToken(claims({ jti, scope: 'admin' })).split('.')[1]}.${s}`
    assert.equal((await get(server.url, `Bearer ${spliced}`)).status, 401)
  })

  test('a validly signed token with a cached jti but other claims gets its own claims', async () => {
    const jti = 'cache-same-jti'
    assert.equal((await get(server.url, `Bearer ${signToken(claims({ jti, scope: 'read' }))}`)).status, 200)
    const other = signToken(claims({ jti, scope: 'write', client_id: 'other-client' }))
    const res = await get(server.url, `Bearer ${other}`)
    assert.equal(res.status, 200)
    assert.equal(res.body.auth.clientId, 'other-client')
    assert.deepEqual(res.body.auth.scopes, ['write'])
    assert.equal(res.body.auth.token, other)
  })

  test('a cached token is refused one second after its exp, without sleeping', async () => {
    const token = signToken(claims({ jti: 'cache-expiry', exp: NOW + 60 }))
    assert.equal((await get(server.url, `Bearer ${token}`)).status, 200)
    ctx.clock.advance(59_000)
    ctx.verified.length = 0
    assert.equal((await get(server.url, `Bearer ${token}`)).status, 200)
    assert.deepEqual(ctx.verified.map((e) => e.cached), [true])
    ctx.clock.advance(2_000)
    const res = await get(server.url, `Bearer ${token}`)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token has expired')
    ctx.clock.set(ctx.clock.now() - 61_000)
  })

  test('a token revoked while cached is refused from the next request on', async () => {
    const token = signToken(claims({ jti: 'cache-revoke' }))
    assert.equal((await get(server.url, `Bearer ${token}`)).status, 200)
    await ctx.auth.revoke('cache-revoke')
    const res = await get(server.url, `Bearer ${token}`)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token has been revoked')
  })

  test('revoking a jti that is not cached refuses its token when it first arrives', async () => {
    await ctx.auth.revoke('never-seen', NOW + 3600)
    const res = await get(server.url, `Bearer ${signToken(claims({ jti: 'never-seen' }))}`)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token has been revoked')
  })

  test('a revocation lasts as long as the token is accepted, fractional exp and tolerance included', async () => {
    const fractional = createAuthContext({ clockToleranceSeconds: 0.5 })
    const s = await startServer('http', [fractional.auth.requireFastMcpToken])
    try {
      const exp = NOW + 60
      const token = signToken(claims({ jti: 'revoke-fraction', exp }))
      assert.equal((await get(s.url, `Bearer ${token}`)).status, 200)
      await fractional.auth.revoke('revoke-fraction', exp)
      // accepted, were it not revoked, until the whole second after exp + 0.5 s
      fractional.clock.set(exp * 1000 + 700)
      const res = await get(s.url, `Bearer ${token}`)
      assert.equal(res.status, 401)
      assert.equal(res.body.error_description, 'The token has been revoked')
    } finally {
      await s.close()
    }
  })

  test('a revocation without exp is stretched to the token\'s own exp when the token shows up', async () => {
    const ctx = createAuthContext({ accessTokenLifetimeSeconds: 60, refreshTokenLifetimeSeconds: 120 })
    const s = await startServer('http', [ctx.auth.requireFastMcpToken])
    try {
      // a token from elsewhere, living far longer than anything minted here
      const token = signToken(claims({ jti: 'revoke-long', exp: NOW + 86_400 }))
      await ctx.auth.revoke('revoke-long')
      assert.equal((await get(s.url, `Bearer ${token}`)).status, 401)
      ctx.clock.advance(3_600_000) // well past the 120 s the revocation first got
      const res = await get(s.url, `Bearer ${token}`)
      assert.equal(res.status, 401)
      assert.equal(res.body.error_description, 'The token has been revoked')
    } finally {
      await s.close()
    }
  })

  test('with the cache off every request is verified in full, same verdicts', async () => {
    const off = setup({ cache: false })
    const s = await startServer('http', [off.auth.requireFastMcpToken])
    try {
      const token = signToken(claims({ jti: 'no-cache' }))
      assert.equal((await get(s.url, `Bearer ${token}`)).status, 200)
      assert.equal((await get(s.url, `Bearer ${token}`)).status, 200)
      assert.deepEqual(off.verified.map((e) => e.cached), [false, false])
    } finally {
      await s.close()
    }
  })
})

describe('requireScopes', () => {
  test('403 insufficient_scope naming every required scope; passes when all are granted', async () => {
    const { auth } = setup()
    const s = await startServer('express5', [auth.requireFastMcpToken, auth.requireScopes('read', 'admin')])
    try {
      const res = await get(s.url, `Bearer ${signToken(claims({ scope: 'read write' }))}`)
      assert.equal(res.status, 403)
      assert.equal(res.challenge, challenge('insufficient_scope', 'The token lacks a required scope', ', scope="read admin"'))
      assert.deepEqual(res.body, { error: 'insufficient_scope', error_description: 'The token lacks a required scope' })
      assert.equal(s.handled(), 0)
      assert.equal((await get(s.url, `Bearer ${signToken(claims({ jti: 'admin', scope: 'admin read' }))}`)).status, 200)
      assert.equal(s.handled(), 1)
    } finally {
      await s.close()
    }
  })

  test('fails closed when chained without requireFastMcpToken', async () => {
    const { auth } = setup()
    const s = await startServer('http', [auth.requireScopes('read')])
    try {
      assert.equal((await get(s.url, `Bearer ${signToken(claims())}`)).status, 401)
      assert.equal(s.handled(), 0)
    } finally {
      await s.close()
    }
  })

  test('refuses to be built without scopes', () => {
    assert.throws(() => setup().auth.requireScopes(), TypeError)
    assert.throws(() => setup().auth.requireScopes('a b'), TypeError)
  })
})

describe('requireFastMcpToken hooks and error modes', () => {
  test('onRejected gets the reason and, for aud, expected vs actual; never the token', async () => {
    const ctx = setup()
    const s = await startServer('http', [ctx.auth.requireFastMcpToken])
    try {
      const token = vector('fail-wrong-audience').token
      await get(s.url, `Bearer ${token}`)
      const event = ctx.rejected.at(-1)!
      assert.equal(event.error.reason, 'invalid_audience')
      assert.deepEqual(event.error.mismatch, { claim: 'aud', expected: AUDIENCE, actual: 'https://mcp.example.com/mcp/other' })
      const { request, ...rest } = event
      assert.equal(typeof request.method, 'string')
      assert.ok(!JSON.stringify({ ...rest, error: { ...event.error, message: event.error.message, stack: event.error.stack } }).includes(token.split('.')[2]!))
    } finally {
      await s.close()
    }
  })

  test('a hook that throws changes no verdict', async () => {
    const boom = () => { throw new Error('hook failed') }
    const { auth } = setup({ onVerified: boom, onRejected: boom })
    const s = await startServer('http', [auth.requireFastMcpToken])
    try {
      assert.equal((await get(s.url, `Bearer ${signToken(claims())}`)).status, 200)
      assert.equal((await get(s.url, `Bearer ${vector('fail-wrong-key').token}`)).status, 401)
    } finally {
      await s.close()
    }
  })

  test('passErrorsToNext hands a typed error to the app\'s error handler', async () => {
    const { auth } = setup({ passErrorsToNext: true })
    const app = express()
    app.use('/mcp', auth.requireFastMcpToken, (_req, res) => { res.send('ok') })
    app.use((err: { status: number; headers: Record<string, string>; toJSON(): object }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status).set(err.headers).json({ handledBy: 'app', ...err.toJSON() })
    })
    const server = http.createServer(app).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    try {
      const res = await get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, `Bearer ${vector('fail-expired').token}`)
      assert.equal(res.status, 401)
      assert.equal(res.challenge, challenge('invalid_token', 'The token has expired'))
      assert.deepEqual(res.body, { handledBy: 'app', error: 'invalid_token', error_description: 'The token has expired' })
    } finally {
      server.close()
    }
  })
})

describe('requireFastMcpToken and key derivation', () => {
  test('requests that arrive before the key is derived wait for it', async () => {
    const auth = createFastMcpAuth({ secret: VECTOR_SECRET, issuer: ISSUER, audience: AUDIENCE, clock: () => NOW_MS })
    const s = await startServer('http', [auth.requireFastMcpToken])
    try {
      const res = await get(s.url, `Bearer ${vector('access-basic').token}`)
      assert.equal(res.status, 200)
      assert.equal(res.body.auth.clientId, 'client-abc')
    } finally {
      await s.close()
    }
  })

  test('a request that waits longer than keyWaitMs gets a clean 503', async () => {
    const auth = createFastMcpAuth({ secret: VECTOR_SECRET, issuer: ISSUER, audience: AUDIENCE, keyWaitMs: 1, clock: () => NOW_MS })
    const s = await startServer('http', [auth.requireFastMcpToken])
    try {
      const res = await get(s.url, `Bearer ${vector('access-basic').token}`)
      assert.equal(res.status, 503)
      assert.equal(res.headers.get('retry-after'), '5')
      assert.deepEqual(res.body, { error: 'temporarily_unavailable', error_description: 'The server cannot verify tokens yet' })
      assert.equal(s.handled(), 0)
      await auth.ready
      assert.equal((await get(s.url, `Bearer ${vector('access-basic').token}`)).status, 200)
    } finally {
      await s.close()
    }
  })
})

describe('mint helpers in a route handler', () => {
  let auth: FastMcpAuth
  let base: string
  let server: http.Server
  before(async () => {
    auth = setup().auth
    const app = express()
    app.post('/token', async (_req, res, next) => {
      try {
        await auth.sendTokenResponse(res, { clientId: 'demo', scopes: ['read', 'write'], refreshToken: true })
      } catch (err) {
        next(err)
      }
    })
    app.use('/mcp', auth.requireFastMcpToken, (req, res) => { res.json({ clientId: (req as { auth?: { clientId: string } }).auth?.clientId }) })
    server = http.createServer(app).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => { server.close() })

  test('sendTokenResponse answers RFC 6749 §5.1 with no-store, and the token works on a protected route', async () => {
    const res = await fetch(`${base}/token`, { method: 'POST' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.equal(res.headers.get('pragma'), 'no-cache')
    const body = await res.json() as Record<string, unknown>
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 3600)
    assert.equal(body.scope, 'read write')
    const ok = await get(`${base}/mcp`, `Bearer ${body.access_token as string}`)
    assert.equal(ok.status, 200)
    assert.equal(ok.body.clientId, 'demo')
    const refused = await get(`${base}/mcp`, `Bearer ${body.refresh_token as string}`)
    assert.equal(refused.status, 401)
    assert.equal((await auth.verifyToken(body.refresh_token as string, { expectedTokenUse: 'refresh' })).token_use, 'refresh')
  })

  test('issueAccessToken and issueRefreshToken return the token with its jti and expiry', async () => {
    const access = await auth.issueAccessToken({ clientId: 'c', scopes: ['read'] })
    assert.equal(access.expiresAt, NOW + 3600)
    assert.equal(access.expiresIn, 3600)
    assert.equal((await auth.verifyToken(access.token)).jti, access.jti)
    const refresh = await auth.issueRefreshToken({ clientId: 'c', scopes: ['read'], jti: 'r-1' })
    assert.equal(refresh.jti, 'r-1')
    assert.equal(refresh.expiresIn, 30 * 24 * 3600)
    assert.equal(refresh.expiresAt, NOW + 30 * 24 * 3600)
  })

  test('verifyToken honours revocations', async () => {
    const access = await auth.issueAccessToken({ clientId: 'c', scopes: [] })
    await auth.revoke(access.jti, access.expiresAt)
    await assert.rejects(auth.verifyToken(access.token), (err: { reason?: string }) => err.reason === 'revoked')
  })
})
