// The authorization server over real HTTP: metadata, registration, the authorization and
// token endpoints, the login hook, and each way a request must be refused.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import { MemoryTokenStore, StoreUnavailableError, createFastMcpAuth, type FastMcpAuth, type TokenStore } from '../src/index.js'
import {
  createAuthorizationServer,
  type AuthorizationServerOptions,
  type FastMcpAuthorizationServer,
  type LoginHook,
  type PendingAuthorization,
} from '../src/authorization-server/index.js'
import { SCOPES } from '../examples/app.js'
import { NOW_MS, VECTOR_KEY, listenLocal, manualClock } from './helpers.js'
import {
  REDIRECT_URI,
  authorizeParams,
  authorizeRequest,
  getCode,
  payloadOf,
  pendingOf,
  pkcePair,
  postJson,
  postLogin,
  register,
  startExample,
  submitLoginPage,
  tokenRequest,
  type RunningExample,
} from './oauth-helpers.js'

const newStore = (clock?: () => number): TokenStore => new MemoryTokenStore(clock === undefined ? {} : { clock })

interface Setup {
  run: RunningExample
  clock: ReturnType<typeof manualClock>
  store: TokenStore
}

interface SetupOptions {
  clock?: ReturnType<typeof manualClock>
  store?: TokenStore
  /** Another instance of the same deployment: the first one's base URL. */
  publicBase?: string
}

/** The example app (development login) on a hand-moved clock, without rate limits. */
async function startSetup(options: SetupOptions = {}): Promise<Setup> {
  const clock = options.clock ?? manualClock()
  const store = options.store ?? newStore(clock.now)
  const { publicBase } = options
  const run = await startExample((base) => ({
    signingKey: VECTOR_KEY,
    issuer: `${publicBase ?? base}/`,
    audience: `${publicBase ?? base}/mcp`,
    auth: { clock: clock.now, store },
    authorizationServer: { clock: clock.now, rateLimit: false },
  }))
  return { run, clock, store }
}

async function mcpStatus(run: RunningExample, token: string): Promise<number> {
  const res = await fetch(run.mcp, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  })
  await res.arrayBuffer()
  return res.status
}

describe('createAuthorizationServer: discovery and registration', () => {
  let s: Setup
  before(async () => { s = await startSetup() })
  after(() => s.run.close())

  test('serves RFC 8414 metadata naming its endpoints, S256 only, and the RFC 9207 iss parameter', async () => {
    const res = await fetch(`${s.run.base}/.well-known/oauth-authorization-server`)
    assert.equal(res.status, 200)
    const base = s.run.base
    assert.deepEqual(await res.json(), {
      issuer: `${base}/`,
      authorization_endpoint: `${base}/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint: `${base}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      scopes_supported: [...SCOPES],
      revocation_endpoint: `${base}/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
      registration_endpoint: `${base}/register`,
      authorization_response_iss_parameter_supported: true,
    })
  })

  test('the protected-resource metadata names this server', async () => {
    const doc = await (await fetch(`${s.run.base}/.well-known/oauth-protected-resource/mcp`)).json() as { authorization_servers: string[] }
    assert.deepEqual(doc.authorization_servers, [`${s.run.base}/`])
  })

  test('registers a public client (RFC 7591) and answers 201 with its id and no secret', async () => {
    const client = await register(s.run.base)
    assert.match(client.client_id, /^[0-9a-f-]{36}$/)
    assert.equal(client.client_secret, undefined)
    assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token'])
    assert.equal(client.token_endpoint_auth_method, 'none')
  })

  test('registers a confidential client with a secret, authenticated by client_secret_post', async () => {
    const client = await register(s.run.base, { token_endpoint_auth_method: 'client_secret_basic' })
    assert.equal(typeof client.client_secret, 'string')
    assert.equal(client.token_endpoint_auth_method, 'client_secret_post')
    const { code, verifier } = await getCode(s.run.base, client)
    const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }
    assert.equal((await tokenRequest(s.run.base, form)).body.error, 'invalid_client')
    assert.equal((await tokenRequest(s.run.base, { ...form, client_secret: client.client_secret! })).status, 200)
  })

  for (const [name, metadata] of [
    ['a plain-http redirect URI off this machine', { redirect_uris: ['http://client.example/cb'] }],
    ['a redirect URI with a fragment', { redirect_uris: ['https://client.example/cb#x'] }],
    ['a redirect URI with an empty fragment', { redirect_uris: ['https://client.example/cb#'] }],
    ['a redirect URI with a username and password', { redirect_uris: ['https://user:pass@client.example/cb'] }],
    ['a loopback redirect URI with a username', { redirect_uris: ['http://user@127.0.0.1/cb'] }],
    ['a file: redirect URI', { redirect_uris: ['file:///etc/passwd'] }],
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }],
    ['a data: redirect URI', { redirect_uris: ['data:text/html,hi'] }],
    ['no redirect URI', { redirect_uris: [] }],
    ['the implicit grant', { grant_types: ['implicit'] }],
    ['client authentication by private_key_jwt', { token_endpoint_auth_method: 'private_key_jwt' }],
  ] as const) {
    test(`refuses to register ${name}: 400 invalid_client_metadata`, async () => {
      const res = await postJson(`${s.run.base}/register`, Object.assign({ redirect_uris: [REDIRECT_URI] }, metadata))
      assert.equal(res.status, 400)
      assert.equal(res.body.error, 'invalid_client_metadata')
    })
  }
})

describe('createAuthorizationServer: authorization code with PKCE', () => {
  let s: Setup
  before(async () => { s = await startSetup() })
  after(() => s.run.close())

  test('login page, then a 303 to the client with the code, state and iss; the code buys FastMCP tokens naming the person', async () => {
    const client = await register(s.run.base)
    const { verifier, challenge } = pkcePair()
    const page = await authorizeRequest(s.run.base, authorizeParams(client, { code_challenge: challenge, state: 'st-1', resource: `${s.run.base}/mcp`, scope: 'notes:read' }))
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('cache-control'), 'no-store')
    assert.equal(page.headers.get('x-frame-options'), 'DENY')
    const back = await submitLoginPage(page)
    assert.equal(back.status, 303)
    const location = new URL(back.headers.get('location')!)
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI)
    assert.equal(location.searchParams.get('state'), 'st-1')
    assert.equal(location.searchParams.get('iss'), `${s.run.base}/`)
    const code = location.searchParams.get('code')!
    assert.match(code, /^[A-Za-z0-9_-]{43}$/)

    const granted = await tokenRequest(s.run.base, {
      grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id, resource: `${s.run.base}/mcp`,
    })
    assert.equal(granted.status, 200)
    assert.equal(granted.headers.get('cache-control'), 'no-store')
    assert.equal(granted.body.token_type, 'Bearer')
    assert.equal(granted.body.scope, 'notes:read')
    assert.equal(granted.body.expires_in, 3600)
    const claims = payloadOf(granted.body.access_token as string)
    assert.equal(claims.iss, `${s.run.base}/`)
    assert.equal(claims.aud, `${s.run.base}/mcp`)
    assert.equal(claims.client_id, client.client_id)
    assert.equal(claims.sub, 'demo')
    assert.equal(claims.scope, 'notes:read')
    assert.equal(claims.exp, NOW_MS / 1000 + 3600)
    assert.equal(payloadOf(granted.body.refresh_token as string).token_use, 'refresh')
    assert.equal(await mcpStatus(s.run, granted.body.access_token as string), 200)
  })

  test('a client that asks for no scope gets every scope the resource offers', async () => {
    const client = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, client)
    const granted = await tokenRequest(s.run.base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
    assert.equal(granted.body.scope, SCOPES.join(' '))
  })

  test('a client without the refresh_token grant gets no refresh token', async () => {
    const client = await register(s.run.base, { grant_types: ['authorization_code'] })
    const { code, verifier } = await getCode(s.run.base, client)
    const granted = await tokenRequest(s.run.base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
    assert.equal(granted.status, 200)
    assert.equal(granted.body.refresh_token, undefined)
  })

  test('a wrong password shows the page again (403) and sends nothing to the client; the right one then works', async () => {
    const client = await register(s.run.base)
    const page = await authorizeRequest(s.run.base, authorizeParams(client))
    const wrong = await submitLoginPage(page, { username: 'demo', password: 'guess' })
    assert.equal(wrong.status, 403)
    assert.equal(wrong.headers.get('location'), null)
    const right = await submitLoginPage(wrong)
    assert.equal(right.status, 303)
    assert.ok(new URL(right.headers.get('location')!).searchParams.get('code'))
  })

  test('a login form submitted twice approves once: the second post is 400 and issues no code', async () => {
    const client = await register(s.run.base)
    const pending = pendingOf(await (await authorizeRequest(s.run.base, authorizeParams(client))).text())
    const post = () => postLogin(s.run.base, pending)
    assert.equal((await post()).status, 303)
    const again = await post()
    assert.equal(again.status, 400)
    assert.equal((await again.json() as { error: string }).error, 'invalid_request')
  })

  test('login CSRF: a login form posted from another origin is 403 and approves nothing; the page itself still can', async () => {
    const client = await register(s.run.base)
    const pending = pendingOf(await (await authorizeRequest(s.run.base, authorizeParams(client))).text())
    const post = (origin: string) => postLogin(s.run.base, pending, undefined, { origin })
    for (const origin of ['https://attacker.example', 'null', `${s.run.base}.attacker.example`]) {
      const res = await post(origin)
      assert.equal(res.status, 403, origin)
      assert.equal(res.headers.get('location'), null)
      assert.equal((await res.json() as { error: string }).error, 'invalid_request')
    }
    const own = await post(s.run.base)
    assert.equal(own.status, 303)
    assert.ok(new URL(own.headers.get('location')!).searchParams.get('code'))
  })

  test('a client name with bidi overrides and control characters: the login page shows U+FFFD in their place, escaped', async () => {
    const name = 'Notes\u202Egpj.exe\u2066\u200F\u0007\u001b[31m\u0085<b>'
    const client = await register(s.run.base, { client_name: name })
    const html = await (await authorizeRequest(s.run.base, authorizeParams(client))).text()
    assert.doesNotMatch(html, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/)
    assert.ok(html.includes('Notes\uFFFDgpj.exe\uFFFD\uFFFD\uFFFD\uFFFD[31m\uFFFD&#60;b&#62;'), html)
  })

  test('a scope the resource does not offer: redirected back with invalid_scope', async () => {
    const client = await register(s.run.base)
    const res = await authorizeRequest(s.run.base, authorizeParams(client, { scope: 'notes:read admin', state: 's' }))
    assert.equal(res.status, 302)
    const back = new URL(res.headers.get('location')!)
    assert.equal(back.searchParams.get('error'), 'invalid_scope')
    assert.equal(back.searchParams.get('state'), 's')
  })

  test('PKCE is required: no challenge, or the plain method, is redirected back with invalid_request', async () => {
    const client = await register(s.run.base)
    for (const params of [{ code_challenge: undefined }, { code_challenge: 'abc', code_challenge_method: 'plain' }]) {
      const res = await authorizeRequest(s.run.base, authorizeParams(client, params))
      assert.equal(res.status, 302)
      assert.equal(new URL(res.headers.get('location')!).searchParams.get('error'), 'invalid_request')
    }
  })
})

describe('createAuthorizationServer: refusals', () => {
  let s: Setup
  before(async () => { s = await startSetup() })
  after(() => s.run.close())

  const exchange = (client: { client_id: string }, code: string, verifier: string, extra: Record<string, string> = {}) =>
    tokenRequest(s.run.base, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id, ...extra })

  test('a wrong PKCE verifier: 400 invalid_grant, no tokens', async () => {
    const client = await register(s.run.base)
    const { code } = await getCode(s.run.base, client)
    const res = await exchange(client, code, pkcePair().verifier)
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'invalid_grant')
    assert.equal(res.body.access_token, undefined)
  })

  test('a reused code: 400 invalid_grant, and the tokens its first use bought are revoked (RFC 6749 §4.1.2)', async () => {
    const client = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, client)
    const first = await exchange(client, code, verifier)
    assert.equal(first.status, 200)
    assert.equal(await mcpStatus(s.run, first.body.access_token as string), 200)
    const second = await exchange(client, code, verifier)
    assert.equal(second.status, 400)
    assert.equal(second.body.error, 'invalid_grant')
    assert.equal(await mcpStatus(s.run, first.body.access_token as string), 401)
    const refresh = await tokenRequest(s.run.base, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, client_id: client.client_id })
    assert.equal(refresh.body.error, 'invalid_grant')
  })

  test('a redirect URI the client did not register: 400 invalid_request from the server itself, no redirect, no login', async () => {
    const client = await register(s.run.base)
    const res = await authorizeRequest(s.run.base, authorizeParams(client, { redirect_uri: 'https://attacker.example/cb' }))
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('location'), null)
    assert.equal((await res.json() as { error: string }).error, 'invalid_request')
  })

  for (const variant of [`${REDIRECT_URI}#frag`, REDIRECT_URI.replace('http://', 'http://user:pass@'), REDIRECT_URI.replace('http:', 'HTTP:'), `${REDIRECT_URI}/`, REDIRECT_URI.replace('127.0.0.1', 'localhost')]) {
    test(`a variant of the registered loopback redirect URI (${variant}): 400 invalid_request, no redirect, no login`, async () => {
      const client = await register(s.run.base)
      const res = await authorizeRequest(s.run.base, authorizeParams(client, { redirect_uri: variant, state: 'v' }))
      assert.equal(res.status, 400)
      assert.equal(res.headers.get('location'), null)
      assert.equal((await res.json() as { error: string }).error, 'invalid_request')
    })
  }

  test('the registered loopback redirect URI on another port (RFC 8252 §7.3): the login, and the code is bound to that URI', async () => {
    const client = await register(s.run.base)
    const onPort = REDIRECT_URI.replace(':1/', ':4567/')
    const { code, verifier } = await getCode(s.run.base, client, { redirect_uri: onPort })
    assert.equal((await exchange(client, code, verifier, { redirect_uri: onPort })).status, 200)
  })

  test('a redirect URI at the token endpoint other than the one authorized: 400 invalid_grant', async () => {
    const client = await register(s.run.base, { redirect_uris: [REDIRECT_URI, 'http://127.0.0.1:1/other'] })
    const { code, verifier } = await getCode(s.run.base, client)
    const res = await exchange(client, code, verifier, { redirect_uri: 'http://127.0.0.1:1/other' })
    assert.equal(res.body.error, 'invalid_grant')
  })

  test('a resource of another server (RFC 8707): redirected back with invalid_target, and no login page', async () => {
    const client = await register(s.run.base)
    const res = await authorizeRequest(s.run.base, authorizeParams(client, { resource: 'https://other.example/mcp', state: 'st' }))
    assert.equal(res.status, 302)
    const back = new URL(res.headers.get('location')!)
    assert.equal(back.searchParams.get('error'), 'invalid_target')
    assert.equal(back.searchParams.get('state'), 'st')
  })

  test('a resource of another server at the token endpoint: 400 invalid_target', async () => {
    const client = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, client)
    const res = await exchange(client, code, verifier, { resource: 'https://other.example/mcp' })
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'invalid_target')
  })

  test('an unknown client: 400 invalid_client at the authorization endpoint (no redirect) and at the token endpoint', async () => {
    const res = await authorizeRequest(s.run.base, authorizeParams({ client_id: 'no-such-client' }))
    assert.equal(res.status, 400)
    assert.equal(res.headers.get('location'), null)
    assert.equal((await res.json() as { error: string }).error, 'invalid_client')
    const token = await tokenRequest(s.run.base, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y', client_id: 'no-such-client' })
    assert.equal(token.status, 400)
    assert.equal(token.body.error, 'invalid_client')
  })

  test('a code presented by another client: 400 invalid_grant', async () => {
    const owner = await register(s.run.base)
    const thief = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, owner)
    assert.equal((await exchange(thief, code, verifier)).body.error, 'invalid_grant')
  })

  test('an expired code (61 s after the login, the default lifetime being 60 s): 400 invalid_grant', async () => {
    const client = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, client)
    s.clock.advance(61_000)
    const res = await exchange(client, code, verifier)
    assert.equal(res.status, 400)
    assert.equal(res.body.error, 'invalid_grant')
  })

  test('codes and login ids never reach the store, only their SHA-256', async () => {
    const written: string[] = []
    const clock = manualClock()
    const store = newStore(clock.now)
    // the store as it is, except that every record written is kept for inspection
    const recording = new Proxy(store, {
      get(target, name: keyof TokenStore) {
        if (name === 'setRecord') {
          return (key: string, value: string, ttl: number) => {
            written.push(key, value)
            return target.setRecord(key, value, ttl)
          }
        }
        const member = target[name]
        return typeof member === 'function' ? member.bind(target) : member
      },
    })
    const t = await startSetup({ clock, store: recording })
    try {
      const client = await register(t.run.base)
      const page = await authorizeRequest(t.run.base, authorizeParams(client))
      const pending = pendingOf(await page.clone().text())
      const back = new URL((await submitLoginPage(page)).headers.get('location')!)
      const code = back.searchParams.get('code')!
      assert.ok(written.length >= 6)
      for (const text of written) {
        assert.ok(!text.includes(code), 'the code reached the store')
        assert.ok(!text.includes(pending), 'the pending id reached the store')
      }
    } finally {
      await t.run.close()
    }
  })
})

describe('createAuthorizationServer: refresh and revocation, through the auth object', () => {
  let s: Setup
  before(async () => { s = await startSetup() })
  after(() => s.run.close())

  const grant = async () => {
    const client = await register(s.run.base)
    const { code, verifier } = await getCode(s.run.base, client)
    const tokens = await tokenRequest(s.run.base, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id })
    return { client, access: tokens.body.access_token as string, refresh: tokens.body.refresh_token as string }
  }
  const revoke = async (clientId: string, token: string) => {
    const res = await fetch(`${s.run.base}/revoke`, { method: 'POST', body: new URLSearchParams({ token, client_id: clientId }) })
    return { status: res.status, body: await res.json() as Record<string, string> }
  }

  test('the refresh grant rotates: a new pair for the same person, narrower scopes on request', async () => {
    const { client, refresh } = await grant()
    const next = await tokenRequest(s.run.base, { grant_type: 'refresh_token', refresh_token: refresh, client_id: client.client_id, scope: 'notes:read', resource: `${s.run.base}/mcp` })
    assert.equal(next.status, 200)
    assert.equal(next.headers.get('cache-control'), 'no-store')
    assert.equal(next.body.scope, 'notes:read')
    assert.equal(payloadOf(next.body.access_token as string).sub, 'demo')
    assert.notEqual(next.body.refresh_token, refresh)
  })

  test('a refresh token presented by another client, or for another resource: refused, nothing issued', async () => {
    const { refresh } = await grant()
    const other = await register(s.run.base)
    const stolen = await tokenRequest(s.run.base, { grant_type: 'refresh_token', refresh_token: refresh, client_id: other.client_id })
    assert.equal(stolen.body.error, 'invalid_grant')
    const { client, refresh: mine } = await grant()
    const elsewhere = await tokenRequest(s.run.base, { grant_type: 'refresh_token', refresh_token: mine, client_id: client.client_id, resource: 'https://other.example/mcp' })
    assert.equal(elsewhere.body.error, 'invalid_target')
  })

  test('revoking the refresh token (RFC 7009) ends the grant: its access token is refused too', async () => {
    const { client, access, refresh } = await grant()
    assert.deepEqual(await revoke(client.client_id, refresh), { status: 200, body: {} })
    assert.equal(await mcpStatus(s.run, access), 401)
    const after = await tokenRequest(s.run.base, { grant_type: 'refresh_token', refresh_token: refresh, client_id: client.client_id })
    assert.equal(after.body.error, 'invalid_grant')
  })

  test('revoking a token of another client is refused and revokes nothing; an unknown token is a 200', async () => {
    const { access } = await grant()
    const other = await register(s.run.base)
    const refused = await revoke(other.client_id, access)
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error, 'unauthorized_client')
    assert.equal(await mcpStatus(s.run, access), 200)
    assert.deepEqual(await revoke(other.client_id, 'not-a-token'), { status: 200, body: {} })
  })
})

// ---- the login hook, on a minimal app ------------------------------------------------

interface Custom {
  base: string
  auth: FastMcpAuth
  server: FastMcpAuthorizationServer
  seen: PendingAuthorization[]
  close: () => Promise<void>
}

async function startCustom(login: LoginHook, options: Partial<AuthorizationServerOptions> = {}, store?: TokenStore): Promise<Custom> {
  const { server: listener, base, close } = await listenLocal()
  const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: `${base}/`, audience: `${base}/mcp`, ...(store === undefined ? {} : { store }) })
  const seen: PendingAuthorization[] = []
  const server = createAuthorizationServer({
    auth,
    scopesSupported: ['read', 'write'],
    rateLimit: false,
    login: (req, res, pending) => {
      seen.push(pending)
      return login(req, res, pending)
    },
    ...options,
  })
  const app = express()
  app.use(server.router)
  // an upstream identity provider's callback, approving or refusing by its query
  app.get('/idp/callback', (req, res, next) => {
    const pending = String(req.query.state)
    const work = req.query.deny === '1'
      ? server.denyAuthorization(res, pending)
      : server.completeAuthorization(res, pending, { subject: 'upstream-user-7', scopes: ['read'], upstreamClaims: { email: 'u7@example.com' } })
    work.catch(next)
  })
  listener.on('request', app)
  return { base, auth, server, seen, close }
}

describe('createAuthorizationServer: the login hook', () => {
  test('a token store failing while a code buys its tokens answers temporarily_unavailable, never a 500', async () => {
    const store = new MemoryTokenStore()
    let down = false
    const addToFamily = store.addToFamily.bind(store)
    store.addToFamily = (family, members) => (down ? Promise.reject(new StoreUnavailableError()) : addToFamily(family, members))
    const c = await startCustom(() => ({ subject: 'user-1', scopes: ['read'] }), {}, store)
    try {
      const client = await register(c.base)
      const { verifier, challenge } = pkcePair()
      const res = await authorizeRequest(c.base, authorizeParams(client, { code_challenge: challenge }))
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!
      down = true
      const granted = await tokenRequest(c.base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
      // the SDK's token handler answers every OAuth error but server_error with 400
      assert.equal(granted.status, 400)
      assert.equal(granted.body.error, 'temporarily_unavailable')
      assert.equal(granted.body.access_token, undefined)
    } finally {
      await c.close()
    }
  })

  test('sees the pending request (client name, scopes, resource) and may approve at once, with fewer scopes', async () => {
    const c = await startCustom(() => ({ subject: 'user-1', scopes: ['read'] }))
    try {
      const client = await register(c.base, { client_name: 'Hook Test' })
      const { verifier, challenge } = pkcePair()
      const res = await authorizeRequest(c.base, authorizeParams(client, { code_challenge: challenge, scope: 'read write' }))
      assert.equal(res.status, 302)
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!
      const [pending] = c.seen
      assert.equal(pending!.clientName, 'Hook Test')
      assert.deepEqual(pending!.scopes, ['read', 'write'])
      assert.equal(pending!.resource, `${c.base}/mcp`)
      assert.equal(pending!.redirectUri, REDIRECT_URI)
      const granted = await tokenRequest(c.base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
      assert.equal(granted.body.scope, 'read')
      assert.equal(payloadOf(granted.body.access_token as string).sub, 'user-1')
    } finally {
      await c.close()
    }
  })

  test('an upstream identity provider flow: the hook redirects away, the callback completes with upstream claims', async () => {
    const c = await startCustom((_req, res, pending) => {
      res.redirect(`https://idp.example/authorize?state=${pending.id}`)
      return undefined
    })
    try {
      const client = await register(c.base)
      const { verifier, challenge } = pkcePair()
      const away = await authorizeRequest(c.base, authorizeParams(client, { code_challenge: challenge, state: 'client-state' }))
      const upstreamState = new URL(away.headers.get('location')!).searchParams.get('state')!
      const back = await fetch(`${c.base}/idp/callback?state=${upstreamState}`, { redirect: 'manual' })
      const location = new URL(back.headers.get('location')!)
      assert.equal(location.searchParams.get('state'), 'client-state')
      const granted = await tokenRequest(c.base, {
        grant_type: 'authorization_code', code: location.searchParams.get('code')!, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI,
      })
      const claims = payloadOf(granted.body.access_token as string)
      assert.equal(claims.sub, 'upstream-user-7')
      assert.deepEqual(claims.upstream_claims, { email: 'u7@example.com' })
    } finally {
      await c.close()
    }
  })

  test('denyAuthorization sends the client access_denied with its state', async () => {
    const c = await startCustom((_req, res) => {
      res.status(200).send('go to the IdP')
      return undefined
    })
    try {
      const client = await register(c.base)
      await (await authorizeRequest(c.base, authorizeParams(client, { state: 'z' }))).text()
      const back = await fetch(`${c.base}/idp/callback?state=${c.seen[0]!.id}&deny=1`, { redirect: 'manual' })
      const location = new URL(back.headers.get('location')!)
      assert.equal(location.searchParams.get('error'), 'access_denied')
      assert.equal(location.searchParams.get('state'), 'z')
    } finally {
      await c.close()
    }
  })

  test('a hook that throws: the client hears server_error, the browser sees no detail', async () => {
    const c = await startCustom(() => { throw new Error('database down: secret detail') })
    try {
      const client = await register(c.base)
      const res = await authorizeRequest(c.base, authorizeParams(client))
      assert.equal(res.status, 302)
      const location = res.headers.get('location')!
      assert.equal(new URL(location).searchParams.get('error'), 'server_error')
      assert.doesNotMatch(location, /secret detail/)
    } finally {
      await c.close()
    }
  })

  test('a hook that grants a scope nobody asked for: server_error, no code', async () => {
    const c = await startCustom(() => ({ subject: 'u', scopes: ['admin'] }))
    try {
      const client = await register(c.base)
      const res = await authorizeRequest(c.base, authorizeParams(client, { scope: 'read' }))
      const location = new URL(res.headers.get('location')!)
      assert.equal(location.searchParams.get('error'), 'server_error')
      assert.equal(location.searchParams.get('code'), null)
    } finally {
      await c.close()
    }
  })
})

describe('examples/authorization-server.ts: the documented login hook', () => {
  let base: string
  let close: () => Promise<void>
  before(async () => {
    process.env.FASTMCP_JWT_SECRET ??= 'test-secret-for-the-authorization-server-example'
    const example = await import('../examples/authorization-server.js')
    example.addUser('alice', 'alice-password', 'alice@example.com')
    ;({ base, close } = await listenLocal(example.app))
  })
  after(() => close())

  const begin = (client: { client_id: string }, cookie?: string) =>
    authorizeRequest(base, authorizeParams(client, { scope: 'notes:read' }), cookie === undefined ? {} : { cookie })
  const approve = (pending: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    postLogin(base, pending, { decision: 'allow', ...form }, headers)

  test('an attacker\'s client sent to /authorize with a signed-in person\'s session: a consent page naming it, no code', async () => {
    const evil = await register(base, { client_name: 'Evil Notes' })
    // the person logs in once, through the consent page with login fields
    const first = await begin(evil)
    const loginPage = await first.text()
    assert.equal(first.status, 200)
    assert.match(loginPage, /name="password"/)
    const loggedIn = await approve(pendingOf(loginPage), { username: 'alice', password: 'alice-password' })
    assert.equal(loggedIn.status, 303)
    const setCookie = loggedIn.headers.get('set-cookie')!
    assert.match(setCookie, /HttpOnly/i)
    assert.match(setCookie, /SameSite=Lax/i)
    const cookie = setCookie.split(';')[0]!

    // later, the attacker's link: a session exists, yet the GET approves nothing
    const attack = await begin(evil, cookie)
    const consent = await attack.text()
    assert.equal(attack.status, 200)
    assert.equal(attack.headers.get('location'), null)
    assert.match(consent, /Evil Notes/)
    assert.match(consent, /127\.0\.0\.1:1/)
    assert.match(consent, /notes:read/)
    assert.doesNotMatch(consent, /name="password"/)

    // a page on the attacker's site posting the consent form: 403, nothing approved
    const forged = await approve(pendingOf(consent), {}, { cookie, origin: 'https://attacker.example' })
    assert.equal(forged.status, 403)
    assert.equal(forged.headers.get('location'), null)
    // the person's own click on the consent page (the issuer's origin) approves
    const allowed = await approve(pendingOf(consent), {}, { cookie, origin: 'https://mcp.example.com' })
    assert.equal(allowed.status, 303)
    assert.ok(new URL(allowed.headers.get('location')!).searchParams.get('code'))
  })
})

describe('createAuthorizationServer: bodies the parsers refuse', () => {
  let c: Custom
  before(async () => { c = await startCustom(() => undefined) })
  after(() => c.close())

  const SECRET_BODY = 'password=hunter2-in-the-body'
  for (const [name, path, status, init] of [
    ['a login form in an unknown charset', '/authorize/login', 415, { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=foo' }, body: SECRET_BODY }],
    ['a 20 KB registration', '/register', 413, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT_URI], client_name: 'x'.repeat(20_000) }) }],
    ['a registration that is not JSON', '/register', 400, { headers: { 'content-type': 'application/json' }, body: '{' }],
    ['a token request in an unknown charset', '/token', 415, { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=foo' }, body: SECRET_BODY }],
    ['a revocation that claims gzip but is not', '/revoke', 400, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, body: SECRET_BODY }],
  ] as const) {
    test(`${name}: ${status} invalid_request as JSON, no stack, nothing of the body, nothing logged`, async (t) => {
      const logged = t.mock.method(console, 'error', () => {})
      const res = await fetch(`${c.base}${path}`, { method: 'POST', ...init })
      const text = await res.text()
      assert.equal(res.status, status)
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const body = JSON.parse(text) as Record<string, unknown>
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'])
      assert.equal(body.error, 'invalid_request')
      assert.doesNotMatch(text, /node_modules|at |hunter2|<html|<pre/i)
      assert.equal(logged.mock.callCount(), 0)
    })
  }
})

describe('createAuthorizationServer: two instances sharing one store', () => {
  test('register and authorize on one instance, log in and exchange the code on the other', async () => {
    const clock = manualClock()
    const store = newStore(clock.now)
    const a = await startSetup({ clock, store })
    // the second instance of the same deployment: same issuer and audience
    const b = await startSetup({ clock, store, publicBase: a.run.base })
    try {
      const client = await register(a.run.base)
      const { verifier, challenge } = pkcePair()
      const page = await authorizeRequest(a.run.base, authorizeParams(client, { code_challenge: challenge }))
      const back = await postLogin(b.run.base, pendingOf(await page.text()))
      assert.equal(back.status, 303)
      const code = new URL(back.headers.get('location')!).searchParams.get('code')!
      const granted = await tokenRequest(b.run.base, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
      assert.equal(granted.status, 200)
      assert.equal(payloadOf(granted.body.access_token as string).sub, 'demo')
    } finally {
      await a.run.close()
      await b.run.close()
    }
  })
})

describe('createAuthorizationServer options', () => {
  const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: 'https://as.example/', audience: 'https://as.example/mcp' })
  const base = { auth, login: () => undefined, scopesSupported: ['read'] }
  const bad: [string, Partial<AuthorizationServerOptions>, RegExp][] = [
    ['a plain-http issuer off this machine', { auth: createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: 'http://as.example/', audience: 'http://as.example/mcp' }) }, /auth\.issuer/],
    ['an audience that is not a URL', { auth: createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: 'https://as.example/', audience: 'mcp' }) }, /auth\.audience/],
    ['no login hook', { login: undefined as never }, /login/],
    ['a scope with a space', { scopesSupported: ['a b'] }, /scopesSupported/],
    ['default scopes the resource does not offer', { defaultScopes: ['write'] }, /defaultScopes/],
    ['a zero code lifetime', { codeLifetimeSeconds: 0 }, /codeLifetimeSeconds/],
    ['a relative login path', { loginPath: 'login' }, /loginPath/],
  ]
  for (const [name, options, message] of bad) {
    test(`throws a TypeError at once for ${name}`, () => {
      assert.throws(() => createAuthorizationServer({ ...base, ...options } as AuthorizationServerOptions), (err: Error) => err instanceof TypeError && message.test(err.message))
    })
  }

  test('publishes the issuer exactly as the tokens carry it (FastMCP issuers may lack the trailing slash)', () => {
    const bare = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: 'https://as.example', audience: 'https://as.example/mcp' })
    const { metadata } = createAuthorizationServer({ ...base, auth: bare })
    assert.equal(metadata.issuer, 'https://as.example')
    assert.equal(metadata.token_endpoint, 'https://as.example/token')
  })
})
