// Refresh-token rotation with reuse detection, the token endpoint and the revocation
// endpoint, on the in-memory store (test/store/ runs the same over Redis, across processes).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import {
  MemoryTokenStore,
  OAuthError,
  createFastMcpAuth,
  type FastMcpAuth,
  type FastMcpAuthOptions,
  type RefreshEvent,
  type TokenResponse,
} from '../src/index.js'
import { AUDIENCE, ISSUER, NOW_MS, VECTOR_KEY, listenLocal, manualClock, vector } from './helpers.js'

interface Context {
  auth: FastMcpAuth
  clock: ReturnType<typeof manualClock>
  events: RefreshEvent[]
}

function setup(options: Partial<FastMcpAuthOptions> = {}): Context {
  const clock = manualClock()
  const events: RefreshEvent[] = []
  const auth = createFastMcpAuth({
    signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: clock.now,
    onRefresh: (e) => events.push(e), ...options,
  })
  return { auth, clock, events }
}

const grant = (auth: FastMcpAuth, scopes = ['read', 'write']): Promise<TokenResponse> =>
  auth.issueTokenResponse({ clientId: 'client-1', scopes, subject: 'user-7', upstreamClaims: { email: 'u@example.com' }, refreshToken: true })

async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof OAuthError, `expected an OAuthError, got ${String(err)}`)
    return err.error
  }
  assert.fail('expected the exchange to fail')
}

const accepted = async (auth: FastMcpAuth, token: string): Promise<boolean> =>
  auth.verifyToken(token).then(() => true, () => false)

describe('auth.exchangeRefreshToken', () => {
  test('rotates: a new pair in the same grant, sub and upstream claims kept; the old token works once', async () => {
    const { auth, clock, events } = setup()
    const first = await grant(auth)
    const second = await auth.exchangeRefreshToken(first.refresh_token!)
    assert.notEqual(second.refresh_token, first.refresh_token)
    const claims = await auth.verifyToken(second.access_token)
    assert.equal(claims.sub, 'user-7')
    assert.deepEqual(claims.upstream_claims, { email: 'u@example.com' })
    assert.equal(claims.scope, 'read write')
    assert.deepEqual(events.map((e) => e.result), ['rotated'])
    // past the grace window, the old token is a leak: the whole grant is revoked
    clock.advance(10_001)
    assert.equal(await oauthError(auth.exchangeRefreshToken(first.refresh_token!)), 'invalid_grant')
    assert.equal(events.at(-1)!.result, 'reuse_detected')
    for (const token of [first.access_token, second.access_token]) assert.equal(await accepted(auth, token), false)
    assert.equal(await oauthError(auth.exchangeRefreshToken(second.refresh_token!)), 'invalid_grant')
  })

  test('a replay within the grace window gets a fresh pair in the same family, and says so', async () => {
    const { auth, clock, events } = setup({ refreshReuseGraceSeconds: 10 })
    const first = await grant(auth)
    const a = await auth.exchangeRefreshToken(first.refresh_token!)
    clock.advance(9_000)
    const b = await auth.exchangeRefreshToken(first.refresh_token!)
    assert.notEqual(a.access_token, b.access_token)
    assert.deepEqual(events.map((e) => e.result), ['rotated', 'grace'])
    assert.equal(events[0]!.family, events[1]!.family)
    assert.equal(await accepted(auth, a.access_token), true)
    assert.equal(await accepted(auth, b.access_token), true)
  })

  test('20 concurrent exchanges with grace 0: exactly one succeeds and the family ends revoked', async () => {
    const { auth } = setup({ refreshReuseGraceSeconds: 0 })
    const first = await grant(auth)
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => auth.exchangeRefreshToken(first.refresh_token!)))
    const won = results.filter((r): r is PromiseFulfilledResult<TokenResponse> => r.status === 'fulfilled')
    assert.equal(won.length, 1)
    assert.equal(await accepted(auth, won[0]!.value.access_token), false)
    assert.equal(await accepted(auth, first.access_token), false)
  })

  test('20 concurrent exchanges with grace 10: all succeed in one family and nothing is revoked', async () => {
    const { auth, events } = setup({ refreshReuseGraceSeconds: 10 })
    const first = await grant(auth)
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.exchangeRefreshToken(first.refresh_token!)))
    assert.equal(new Set(events.map((e) => e.family)).size, 1)
    for (const r of results) assert.equal(await accepted(auth, r.access_token), true)
    assert.equal(await accepted(auth, first.access_token), true)
  })

  test('RFC 6749 §6: narrower scopes narrow the access token only; broader ones are invalid_scope', async () => {
    const { auth } = setup()
    const first = await grant(auth)
    const narrow = await auth.exchangeRefreshToken(first.refresh_token!, { scopes: ['read'] })
    assert.equal(narrow.scope, 'read')
    assert.equal((await auth.verifyToken(narrow.refresh_token!, { expectedTokenUse: 'refresh' })).scope, 'read write')
    assert.equal(await oauthError(auth.exchangeRefreshToken(narrow.refresh_token!, { scopes: ['read', 'admin'] })), 'invalid_scope')
  })

  test('another client, an access token, an expired or garbage token: invalid_grant', async () => {
    const { auth, clock } = setup()
    const first = await grant(auth)
    assert.equal(await oauthError(auth.exchangeRefreshToken(first.refresh_token!, { clientId: 'client-2' })), 'invalid_grant')
    assert.equal(await oauthError(auth.exchangeRefreshToken(first.access_token)), 'invalid_grant')
    assert.equal(await oauthError(auth.exchangeRefreshToken('not.a.token')), 'invalid_grant')
    assert.equal(await oauthError(auth.exchangeRefreshToken('')), 'invalid_request')
    clock.advance(31 * 86_400_000)
    assert.equal(await oauthError(auth.exchangeRefreshToken(first.refresh_token!)), 'invalid_grant')
  })

  test('a refresh token minted by FastMCP starts a family at its first exchange', async () => {
    const v = vector('refresh-basic')
    const events: RefreshEvent[] = []
    const clock = manualClock(NOW_MS)
    const auth = createFastMcpAuth({ signingKey: v.key, issuer: v.issuer, audience: v.audience, clock: clock.now, onRefresh: (e) => events.push(e) })
    const next = await auth.exchangeRefreshToken(v.token)
    assert.equal((await auth.verifyToken(next.access_token)).client_id, 'client-abc')
    clock.advance(60_000)
    assert.equal(await oauthError(auth.exchangeRefreshToken(v.token)), 'invalid_grant')
    assert.deepEqual(events.map((e) => e.result), ['rotated', 'reuse_detected'])
    assert.equal(await accepted(auth, next.access_token), false)
  })

  test('a store that cannot guarantee single use: temporarily_unavailable, nothing issued', async () => {
    let down = false
    class FlakyStore extends MemoryTokenStore {
      override useRefreshToken(...args: Parameters<MemoryTokenStore['useRefreshToken']>) {
        return down ? Promise.reject(new Error('connection refused')) : super.useRefreshToken(...args)
      }
    }
    const { auth } = setup({ store: new FlakyStore() })
    const first = await grant(auth)
    down = true
    assert.equal(await oauthError(auth.exchangeRefreshToken(first.refresh_token!)), 'temporarily_unavailable')
    down = false
    assert.ok((await auth.exchangeRefreshToken(first.refresh_token!)).access_token)
  })
})

describe('auth.tokenEndpoint and auth.revocationEndpoint', () => {
  let ctx: Context
  let base: string
  let close: () => Promise<void>
  before(async () => {
    ctx = setup()
    const app = express()
    const authenticateClient = (_req: unknown, params: Readonly<Record<string, string>>) =>
      params.client_id === 'svc' && params.client_secret === 'svc-secret' ? { clientId: 'svc', scopes: ['read', 'write'] } : undefined
    // confidential clients authenticate for every grant; public clients' refresh tokens are bearer credentials
    app.post('/token', ctx.auth.tokenEndpoint({ authenticateClient }))
    app.post('/public/token', ctx.auth.tokenEndpoint())
    app.post('/revoke', ctx.auth.revocationEndpoint())
    app.post('/confidential/revoke', ctx.auth.revocationEndpoint({ authenticateClient }))
    app.use('/mcp', ctx.auth.requireFastMcpToken)
    app.get('/mcp', (_req, res) => { res.json({ ok: true }) })
    ;({ base, close } = await listenLocal(app))
  })
  after(() => close())

  const form = (path: string, body: string) =>
    fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
  const mcp = (token: string) => fetch(`${base}/mcp`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)

  test('refresh_token grant by form and by JSON, with no-store', async () => {
    const first = await grant(ctx.auth)
    const res = await form('/public/token', `grant_type=refresh_token&refresh_token=${first.refresh_token}`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const body = await res.json() as TokenResponse
    assert.equal(body.token_type, 'Bearer')
    const json = await fetch(`${base}/public/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: body.refresh_token }) })
    assert.equal(json.status, 200)
    assert.equal(await mcp((await json.json() as TokenResponse).access_token), 200)
  })

  test('RFC 6749 §6: with authenticateClient, a refresh needs the client it was issued to', async () => {
    const svc = await ctx.auth.issueTokenResponse({ clientId: 'svc', scopes: ['read'], refreshToken: true })
    const anonymous = await form('/token', `grant_type=refresh_token&refresh_token=${svc.refresh_token}`)
    assert.equal(anonymous.status, 401)
    assert.equal((await anonymous.json() as { error: string }).error, 'invalid_client')
    const other = await grant(ctx.auth) // issued to client-1
    const wrong = await form('/token', `grant_type=refresh_token&client_id=svc&client_secret=svc-secret&refresh_token=${other.refresh_token}`)
    assert.equal((await wrong.json() as { error: string }).error, 'invalid_grant')
    const ok = await form('/token', `grant_type=refresh_token&client_id=svc&client_secret=svc-secret&refresh_token=${svc.refresh_token}`)
    assert.equal(ok.status, 200)
  })

  test('RFC 7009 §2.1: with authenticateClient, revocation needs the client, and spares other clients\' tokens', async () => {
    const svc = await ctx.auth.issueTokenResponse({ clientId: 'svc', scopes: ['read'], refreshToken: true })
    const other = await grant(ctx.auth)
    assert.equal((await form('/confidential/revoke', `token=${svc.access_token}`)).status, 401)
    assert.equal((await form('/confidential/revoke', `client_id=svc&client_secret=svc-secret&token=${other.access_token}`)).status, 200)
    assert.equal(await mcp(other.access_token), 200)
    assert.equal((await form('/confidential/revoke', `client_id=svc&client_secret=svc-secret&token=${svc.access_token}`)).status, 200)
    assert.equal(await mcp(svc.access_token), 401)
  })

  test('client_credentials through authenticateClient; no refresh token; bad credentials are 401 invalid_client', async () => {
    const ok = await form('/token', 'grant_type=client_credentials&client_id=svc&client_secret=svc-secret&scope=read')
    const body = await ok.json() as TokenResponse
    assert.equal(ok.status, 200)
    assert.equal(body.scope, 'read')
    assert.equal(body.refresh_token, undefined)
    const bad = await form('/token', 'grant_type=client_credentials&client_id=svc&client_secret=wrong')
    assert.equal(bad.status, 401)
    assert.equal(bad.headers.get('www-authenticate'), 'Basic realm="token"')
    assert.deepEqual(await bad.json(), { error: 'invalid_client', error_description: 'Client authentication failed' })
    const wide = await form('/token', 'grant_type=client_credentials&client_id=svc&client_secret=svc-secret&scope=admin')
    assert.equal((await wide.json() as { error: string }).error, 'invalid_scope')
  })

  test('RFC 6749 §5.2 errors for malformed requests, never a 500', async () => {
    const cases: [string, number, string][] = [
      ['', 400, 'invalid_request'],
      ['grant_type=password&username=a&password=b', 400, 'unsupported_grant_type'],
      ['grant_type=refresh_token', 400, 'invalid_request'],
      ['grant_type=refresh_token&refresh_token=x.y.z', 400, 'invalid_grant'],
      ['grant_type=refresh_token&grant_type=refresh_token&refresh_token=a', 400, 'invalid_request'],
    ]
    for (const [body, status, error] of cases) {
      const res = await form('/public/token', body)
      assert.equal(res.status, status, body)
      assert.equal((await res.json() as { error: string }).error, error, body)
    }
    // a confidential endpoint authenticates the client before it reads the refresh token
    assert.equal((await (await form('/token', 'grant_type=refresh_token&refresh_token=x.y.z')).json() as { error: string }).error, 'invalid_client')
    const text = await fetch(`${base}/token`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=refresh_token' })
    assert.equal(text.status, 400)
    const big = await form('/token', `grant_type=refresh_token&refresh_token=${'a'.repeat(70_000)}`)
    assert.equal(big.status, 400)
  })

  test('revoking a refresh token revokes its grant; an access token only itself; garbage is 200', async () => {
    const first = await grant(ctx.auth)
    const other = await grant(ctx.auth)
    assert.equal((await form('/revoke', `token=${other.access_token}&token_type_hint=access_token`)).status, 200)
    assert.equal(await mcp(other.access_token), 401)
    assert.equal((await ctx.auth.exchangeRefreshToken(other.refresh_token!)).token_type, 'Bearer')
    const second = await ctx.auth.exchangeRefreshToken(first.refresh_token!)
    assert.equal((await form('/revoke', `token=${second.refresh_token}`)).status, 200)
    for (const token of [first.access_token, second.access_token]) assert.equal(await mcp(token), 401)
    assert.equal(await oauthError(ctx.auth.exchangeRefreshToken(second.refresh_token!)), 'invalid_grant')
    assert.equal((await form('/revoke', 'token=garbage')).status, 200)
    assert.equal((await form('/revoke', '')).status, 400)
  })
})
