// A browser-based MCP client in headless Chromium: a page on another origin reaches the
// example server through CORS, reads its 401 challenge and metadata, and calls a tool with
// the MCP SDK's client, bundled for the browser with esbuild.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js'
import type { Browser, Page } from 'playwright-core'
import { createExampleApp } from '../examples/app.js'
import type { FastMcpAuth } from '../src/index.js'
import { bundleForBrowser, close, executablePath, launchChromium, listen } from './browser-helpers.js'
import { VECTOR_KEY } from './helpers.js'

/** What the bundle puts on the page's globalThis.sdk. */
interface BrowserSdk {
  Client: typeof Client
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport
  discoverOAuthProtectedResourceMetadata: typeof discoverOAuthProtectedResourceMetadata
  extractWWWAuthenticateParams: typeof extractWWWAuthenticateParams
}

// What a 2026-07-28 client sends besides the body: a CORS preflight must allow all of these
const CLIENT_HEADERS_2026 = ['Authorization', 'Content-Type', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name']

interface Preflight { path: string; origin: string | undefined; requestHeaders: string[] }

function bundleSdk(): Promise<string> {
  return bundleForBrowser({ contents: `
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js'
globalThis.sdk = { Client, StreamableHTTPClientTransport, discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams }
` })
}

describe('a browser MCP client on another origin (headless Chromium)', () => {
  const api = http.createServer()
  const site = http.createServer()
  const preflights: Preflight[] = []
  const pageErrors: string[] = []
  let base: string // the MCP server's origin
  let origin: string // the page's origin
  let auth: FastMcpAuth
  let browser: Browser | undefined
  let page: Page

  before(async () => {
    assert.ok(executablePath, 'no chromium: install Debian\'s chromium package (.ci/run does), or set CHROMIUM_PATH')
    // listen first, so the audience can name the real port; http://127.0.0.1:p1
    base = `http://127.0.0.1:${await listen(api)}`
    const example = createExampleApp({ signingKey: VECTOR_KEY, issuer: `${base}/`, audience: `${base}/mcp` })
    auth = example.auth
    api.on('request', (req, res) => {
      if (req.method === 'OPTIONS') {
        const asked = req.headers['access-control-request-headers'] ?? ''
        preflights.push({ path: req.url ?? '', origin: req.headers.origin, requestHeaders: asked.split(',').map((h) => h.trim()).filter(Boolean) })
      }
      example.app(req, res)
    })

    // the page's server: another origin, http://localhost:p2
    const sdk = await bundleSdk()
    site.on('request', (req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end('<!doctype html><meta charset="utf-8"><title>MCP browser client</title><script type="module" src="/sdk.js"></script>')
      } else if (req.url === '/sdk.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
        res.end(sdk)
      } else {
        res.writeHead(404).end()
      }
    })
    origin = `http://localhost:${await listen(site)}`

    browser = await launchChromium()
    page = await browser.newPage()
    page.on('pageerror', (err) => pageErrors.push(String(err)))
    await page.goto(`${origin}/`)
    await page.waitForFunction(() => 'sdk' in globalThis)
  })

  /** A page in a new browser context: its own preflight cache, so each preflight is sent. */
  async function freshPage(): Promise<Page> {
    const context = await browser!.newContext()
    const fresh = await context.newPage()
    fresh.on('pageerror', (err) => pageErrors.push(String(err)))
    await fresh.goto(`${origin}/`)
    return fresh
  }

  after(async () => {
    await browser?.close()
    await Promise.all([close(api), close(site)])
  })

  test('the page and the server are different origins', async () => {
    assert.equal(await page.evaluate(() => (globalThis as unknown as { location: { origin: string } }).location.origin), origin)
    assert.notEqual(new URL(origin).origin, new URL(base).origin)
  })

  /** A ping POSTed from a fresh page with `headers` (a preflight first): its status and body, or the fetch error. */
  async function pingFromPage(clientId: string, headers: Record<string, string>): Promise<{ status: number; body: unknown } | string> {
    const token = (await auth.issueAccessToken({ clientId, scopes: ['notes:read'] })).token
    const preflighted = await freshPage()
    try {
      return await preflighted.evaluate(async ({ mcp, token, headers }) => {
        const res = await fetch(mcp, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        }).catch((err: unknown) => String(err))
        return typeof res === 'string' ? res : { status: res.status, body: await res.json() as unknown }
      }, { mcp: `${base}/mcp`, token, headers })
    } finally {
      await preflighted.context().close()
    }
  }

  test('a preflight for Authorization, Content-Type and Mcp-Protocol-Version passes, and the POST follows with its answer readable', async () => {
    preflights.length = 0
    const answer = await pingFromPage('browser-preflight', { 'Mcp-Protocol-Version': '2025-11-25' })
    assert.deepEqual(answer, { status: 200, body: { jsonrpc: '2.0', id: 1, result: {} } })
    assert.equal(preflights.length, 1)
    assert.equal(preflights[0]!.origin, origin)
    assert.deepEqual(preflights[0]!.requestHeaders.sort(), ['authorization', 'content-type', 'mcp-protocol-version'])
  })

  test('a preflight with all the headers a 2026-07-28 client sends (Mcp-Method, Mcp-Name too) passes', async () => {
    preflights.length = 0
    const answer = await pingFromPage('browser-2026', { 'Mcp-Protocol-Version': '2026-07-28', 'Mcp-Method': 'ping', 'Mcp-Name': 'ping' })
    assert.deepEqual(preflights.map((p) => p.requestHeaders.sort()), [CLIENT_HEADERS_2026.map((h) => h.toLowerCase()).sort()])
    assert.notEqual(answer, 'TypeError: Failed to fetch', 'the browser refused the preflight')
  })

  test('without a token the page reads the 401 and its WWW-Authenticate challenge (an exposed header)', async () => {
    const refusal = await page.evaluate(async (mcp) => {
      const res = await fetch(mcp, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      const { extractWWWAuthenticateParams } = (globalThis as unknown as { sdk: BrowserSdk }).sdk
      return { status: res.status, challenge: res.headers.get('www-authenticate'), metadata: extractWWWAuthenticateParams(res).resourceMetadataUrl?.href }
    }, `${base}/mcp`)
    const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`
    assert.deepEqual(refusal, { status: 401, challenge: `Bearer resource_metadata="${metadataUrl}"`, metadata: metadataUrl })
  })

  test('the protected-resource metadata is readable cross-origin, by fetch and by the SDK\'s discovery', async () => {
    const docs = await page.evaluate(async ({ mcp, metadataUrl }) => {
      const { discoverOAuthProtectedResourceMetadata } = (globalThis as unknown as { sdk: BrowserSdk }).sdk
      const plain = await (await fetch(metadataUrl)).json() as unknown
      // the SDK's discovery sends MCP-Protocol-Version, so this one is preflighted
      const discovered = await discoverOAuthProtectedResourceMetadata(mcp, { resourceMetadataUrl: new URL(metadataUrl) })
      return { plain, discovered: discovered as unknown }
    }, { mcp: `${base}/mcp`, metadataUrl: `${base}/.well-known/oauth-protected-resource/mcp` })
    const expected = {
      resource: `${base}/mcp`,
      authorization_servers: [`${base}/`],
      scopes_supported: ['notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
    }
    assert.deepEqual(docs, { plain: expected, discovered: expected })
  })

  test('with a token minted by the server\'s auth, the SDK client in the page calls whoami and gets its client id back', async () => {
    const issued = await auth.issueAccessToken({ clientId: 'browser-client', scopes: ['notes:read'] })
    const who = await page.evaluate(async ({ mcp, token }) => {
      const { Client, StreamableHTTPClientTransport } = (globalThis as unknown as { sdk: BrowserSdk }).sdk
      const client = new Client({ name: 'browser-test', version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }))
      try {
        return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent
      } finally {
        await client.close()
      }
    }, { mcp: `${base}/mcp`, token: issued.token })
    assert.deepEqual(who, { clientId: 'browser-client', scopes: ['notes:read'], jti: issued.jti })
  })

  test('no uncaught error in the page', () => {
    assert.deepEqual(pageErrors, [])
  })
})
