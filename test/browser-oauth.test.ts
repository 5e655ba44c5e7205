// A browser app logs in to the example by redirect, in headless Chromium: a page on another
// origin runs the MCP SDK v1 client with its own OAuthClientProvider (test/fixtures/
// browser-oauth-client.js); the SDK registers the page and sends the tab to the development
// login page, a person fills it in, and back on the page the code is exchanged (PKCE S256)
// and whoami answers as the person who logged in.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { DEMO_USER } from '../examples/dev-login.js'
import { bundleForBrowser, close, launchChromium, listen } from './browser-helpers.js'
import { VECTOR_KEY } from './helpers.js'
import { payloadOf, startExample, type RunningExample } from './oauth-helpers.js'

/** A request the example server answered. */
interface Answered {
  method: string
  path: string
  origin: string | undefined
  status: number
  allowOrigin: unknown
}

/** What the page keeps, as the provider wrote it. */
interface Kept {
  session: Record<string, string>
  local: Record<string, string>
}

describe('a browser app on another origin logs in through the authorization server by redirect (headless Chromium)', () => {
  const site = http.createServer()
  const answered: Answered[] = []
  const pageErrors: string[] = []
  /** Requests the page made to the example server, as Chromium sent them. */
  const sent: { method: string; url: URL; body: string | null }[] = []
  let run: RunningExample
  let origin: string // the page's origin
  let browser: Browser | undefined
  let page: Page
  let authorizationUrl: URL
  let callbackUrl: URL

  const from = (method: string, path: string) => answered.filter((r) => r.method === method && r.path === path)
  const kept = async (): Promise<Kept> => JSON.parse(await page.evaluate<string>(
    'JSON.stringify({ session: { ...sessionStorage }, local: { ...localStorage } })',
  )) as Kept
  const storageKey = (name: string) => `mcp-oauth:${run.mcp.href}:${name}`
  /** Waits until the page shows whoami's answer or an error; returns both. */
  const outcome = async () => {
    await page.locator('#whoami:not(:empty), #error:not(:empty)').first().waitFor()
    return { whoami: await page.textContent('#whoami'), error: await page.textContent('#error') }
  }

  before(async () => {
    // the example on http://127.0.0.1:p1, with the SDK's own rate limits
    run = await startExample((base) => ({ signingKey: VECTOR_KEY, issuer: `${base}/`, audience: `${base}/mcp` }))
    run.server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const path = new URL(req.url ?? '/', run.base).pathname // before Express's mounted routers rewrite req.url
      res.on('finish', () => answered.push({
        method: req.method ?? '',
        path,
        origin: req.headers.origin,
        status: res.statusCode,
        allowOrigin: res.getHeader('access-control-allow-origin'),
      }))
    })

    // the app's server: another origin, http://localhost:p2; its redirect URI is /callback
    const script = await bundleForBrowser({ file: new URL('./fixtures/browser-oauth-client.js', import.meta.url) })
    const html = `<!doctype html><meta charset="utf-8"><title>MCP browser app</title>
<meta name="mcp-server" content="${run.mcp.href}">
<button id="connect" type="button">Connect</button>
<pre id="whoami"></pre><p id="error" role="alert"></p>
<script type="module" src="/client.js"></script>`
    site.on('request', (req, res) => {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost')
      if (pathname === '/' || pathname === '/callback') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
      } else if (pathname === '/client.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script)
      } else {
        res.writeHead(404).end()
      }
    })
    origin = `http://localhost:${await listen(site)}`

    browser = await launchChromium()
    page = await browser.newPage()
    page.setDefaultTimeout(10_000) // a broken step fails fast, not after Playwright's 30 s
    page.on('pageerror', (err) => pageErrors.push(String(err)))
    page.on('request', (req) => {
      const url = new URL(req.url())
      if (url.origin === run.base) sent.push({ method: req.method(), url, body: req.postData() })
    })
    await page.goto(`${origin}/`)
  })

  after(async () => {
    await browser?.close()
    await Promise.all([run?.close(), close(site)])
  })

  test('a click on Connect registers the page from its origin and sends the tab to the login page (code, S256, state)', async () => {
    assert.notEqual(new URL(origin).origin, run.base)
    const loginPage = page.waitForURL((url) => url.href.startsWith(`${run.base}/authorize?`))
    await page.click('#connect')
    await loginPage
    authorizationUrl = new URL(page.url())

    // RFC 7591 registration, sent by the page: a cross-origin POST the server let it read
    const registrations = from('POST', '/register')
    assert.equal(registrations.length, 1)
    assert.deepEqual(registrations[0], { method: 'POST', path: '/register', origin, status: 201, allowOrigin: '*' })
    // the SDK found the authorization server from the 401, through its metadata, in the page
    assert.ok(from('GET', '/.well-known/oauth-authorization-server').some((r) => r.origin === origin && r.status === 200))

    const params = Object.fromEntries(authorizationUrl.searchParams)
    assert.equal(params.response_type, 'code')
    assert.equal(params.code_challenge_method, 'S256')
    assert.match(params.code_challenge ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.equal(params.redirect_uri, `${origin}/callback`)
    assert.equal(params.resource, run.mcp.href)
    assert.equal(params.scope, 'notes:read notes:write')
    assert.ok(params.state, 'the page sent a state')
    assert.ok(params.client_id, 'the page sent its client id')

    // the development login page: a real form
    assert.equal(await page.getAttribute('form', 'method'), 'post')
    assert.equal(await page.locator('form input[name="username"]').count(), 1)
    assert.equal(await page.locator('form input[name="password"][type="password"]').count(), 1)
  })

  test('a wrong password keeps the person on the login page', async () => {
    await page.fill('input[name="username"]', DEMO_USER.username)
    await page.fill('input[name="password"]', 'not-the-password')
    await Promise.all([page.waitForURL(`${run.base}/authorize/login`), page.click('button[type="submit"]')])
    assert.equal(await page.textContent('[role="alert"]'), 'Wrong username or password.')
    assert.equal(from('POST', '/authorize/login').at(-1)?.status, 403)
  })

  test('demo and its password send the tab back to the page\'s redirect_uri with code, state and iss', async () => {
    const back = page.waitForRequest((req) => req.url().startsWith(`${origin}/callback?`))
    await page.fill('input[name="username"]', DEMO_USER.username)
    await page.fill('input[name="password"]', DEMO_USER.password)
    await page.click('button[type="submit"]')
    callbackUrl = new URL((await back).url())
    assert.equal(from('POST', '/authorize/login').at(-1)?.status, 303)
    assert.equal(callbackUrl.origin + callbackUrl.pathname, `${origin}/callback`)
    assert.match(callbackUrl.searchParams.get('code') ?? '', /^[A-Za-z0-9_-]{43}$/)
    assert.equal(callbackUrl.searchParams.get('state'), authorizationUrl.searchParams.get('state'))
    assert.equal(callbackUrl.searchParams.get('iss'), `${run.base}/`)
  })

  test('the page exchanges the code from its origin with its PKCE verifier, and whoami answers as demo', async () => {
    const { whoami, error } = await outcome()
    assert.equal(error, '')

    // the token request, as Chromium sent it: the code, the redirect URI, the verifier
    const tokenRequests = sent.filter((r) => r.method === 'POST' && r.url.pathname === '/token')
    assert.equal(tokenRequests.length, 1)
    const form = Object.fromEntries(new URLSearchParams(tokenRequests[0]!.body ?? ''))
    assert.equal(form.grant_type, 'authorization_code')
    assert.equal(form.code, callbackUrl.searchParams.get('code'))
    assert.equal(form.redirect_uri, `${origin}/callback`)
    assert.equal(form.client_id, authorizationUrl.searchParams.get('client_id'))
    assert.equal(form.resource, run.mcp.href)
    const challenge = createHash('sha256').update(form.code_verifier ?? '').digest('base64url')
    assert.equal(challenge, authorizationUrl.searchParams.get('code_challenge'), 'S256 of the verifier is the challenge')
    assert.deepEqual(from('POST', '/token'), [{ method: 'POST', path: '/token', origin, status: 200, allowOrigin: '*' }])

    // what the provider kept: the client in localStorage, the tokens in sessionStorage
    const { session, local } = await kept()
    const client = JSON.parse(local[storageKey('client')] ?? '{}') as { client_id?: string }
    assert.equal(client.client_id, authorizationUrl.searchParams.get('client_id'))
    const tokens = JSON.parse(session[storageKey('tokens')] ?? '{}') as { access_token: string; refresh_token?: string }
    const claims = payloadOf(tokens.access_token)
    assert.equal(claims.sub, DEMO_USER.username)
    assert.equal(claims.client_id, client.client_id)
    assert.equal(claims.aud, run.mcp.href)
    assert.equal(typeof tokens.refresh_token, 'string')
    assert.equal(session[storageKey('verifier')], undefined, 'the verifier is gone once used')
    assert.equal(session[storageKey('state')], undefined, 'the state is gone once checked')
    assert.equal(page.url(), `${origin}/`, 'the code left the address bar')

    // the tool call went from the page with the bearer token, and answered as the person
    assert.ok(from('POST', '/mcp').some((r) => r.origin === origin && r.status === 200))
    assert.deepEqual(JSON.parse(whoami ?? ''), {
      clientId: client.client_id,
      scopes: ['notes:read', 'notes:write'],
      jti: claims.jti,
      sub: DEMO_USER.username,
    })
  })

  test('after a reload the tab still holds its tokens: Connect calls whoami without a second login', async () => {
    const mark = sent.length
    await page.reload()
    await page.click('#connect')
    const { whoami, error } = await outcome()
    assert.equal(error, '')
    assert.equal((JSON.parse(whoami ?? '{}') as { sub?: string }).sub, DEMO_USER.username)
    const since = sent.slice(mark).map((r) => r.url.pathname)
    assert.ok(!since.includes('/authorize') && !since.includes('/token') && !since.includes('/register'), since.join(' '))
  })

  test('every answer to the page was readable cross-origin, and no uncaught error in the page', () => {
    const toPage = answered.filter((r) => r.origin === origin)
    assert.ok(toPage.length > 0)
    assert.deepEqual(toPage.filter((r) => r.allowOrigin !== '*'), [])
    assert.deepEqual(pageErrors, [])
  })
})
