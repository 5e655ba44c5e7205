// Helpers for the authorization-server tests: the example app on port 0, PKCE by hand, a
// browser that logs in over HTTP, and the MCP SDK client's OAuthClientProvider on top of it
// (both from examples/oauth-client-provider.ts).
import { createHash, randomBytes } from 'node:crypto'
import type http from 'node:http'
import { createExampleApp, type ExampleApp, type ExampleConfig } from '../examples/app.js'
import { DEMO_USER } from '../examples/dev-login.js'
import { DEMO_REDIRECT_URI, submitLoginPage } from '../examples/oauth-client-provider.js'
import { listenLocal } from './helpers.js'

// the example's provider and browser, shared with the tests
export { DevelopmentLoginClientProvider as TestOAuthClientProvider, submitLoginPage } from '../examples/oauth-client-provider.js'

export interface RunningExample extends ExampleApp {
  /** The HTTP server the app listens on, e.g. to watch its requests. */
  server: http.Server
  base: string
  mcp: URL
  close: () => Promise<void>
}

/** Listens first, so the issuer and audience can name the real port, then mounts the example app. */
export async function startExample(config: (base: string) => ExampleConfig): Promise<RunningExample> {
  const { server, base, close } = await listenLocal()
  const example = createExampleApp(config(base))
  server.on('request', example.app)
  return { ...example, server, base, mcp: new URL(`${base}/mcp`), close }
}

/** A PKCE verifier and its S256 challenge (RFC 7636 §4.1-§4.2). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export const REDIRECT_URI = DEMO_REDIRECT_URI

export interface Registered {
  client_id: string
  client_secret?: string
  redirect_uris: string[]
  grant_types?: string[]
  token_endpoint_auth_method?: string
}

/** RFC 7591 registration of a public client that may refresh; throws unless 201. */
export async function register(base: string, metadata: Record<string, unknown> = {}): Promise<Registered> {
  const res = await postJson(`${base}/register`, {
    client_name: 'test client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    ...metadata,
  })
  if (res.status !== 201) throw new Error(`registration: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body as unknown as Registered
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

export interface AuthorizeParams {
  client_id: string
  redirect_uri?: string
  code_challenge?: string
  code_challenge_method?: string
  scope?: string
  state?: string
  resource?: string
  response_type?: string
}

/**
 * What most authorization requests send for `client`: REDIRECT_URI and a fresh S256 challenge
 * (whose verifier is thrown away: pass `code_challenge` in `extra` to redeem the code), then `extra`.
 */
export function authorizeParams(client: { client_id: string }, extra: Partial<AuthorizeParams> = {}): AuthorizeParams {
  return { client_id: client.client_id, redirect_uri: REDIRECT_URI, code_challenge: pkcePair().challenge, ...extra }
}

/** GET /authorize without following redirects; an undefined parameter is left out. */
export function authorizeRequest(base: string, params: AuthorizeParams, headers: Record<string, string> = {}): Promise<Response> {
  const url = new URL('/authorize', base)
  for (const [name, value] of Object.entries({ response_type: 'code', code_challenge_method: 'S256', ...params })) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  return fetch(url, { redirect: 'manual', headers })
}

/** The pending-authorization id in a login or consent page's form. */
export function pendingOf(html: string): string {
  const pending = /name="pending" value="([^"]+)"/.exec(html)?.[1]
  if (pending === undefined) throw new Error(`no pending id in ${html.slice(0, 200)}`)
  return pending
}

/**
 * Posts the login form by hand, without following redirects: `pending` and `form` (the demo
 * user's credentials unless given), with `headers` (e.g. an Origin).
 */
export function postLogin(base: string, pending: string, form: Record<string, string> = DEMO_USER, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/authorize/login`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ pending, ...form }) })
}

/** Starts an authorization and logs in as the demo user: the redirect to the client, parsed. */
export async function authorizeAndLogIn(base: string, params: AuthorizeParams): Promise<URL> {
  const page = await authorizeRequest(base, params)
  if (page.status !== 200) throw new Error(`authorize: ${page.status} ${page.headers.get('location') ?? await page.text()}`)
  const done = await submitLoginPage(page)
  const location = done.headers.get('location')
  if (done.status !== 303 || location === null) throw new Error(`login: ${done.status} ${await done.text()}`)
  return new URL(location)
}

/** A code for `client`, with its verifier. */
export async function getCode(base: string, client: Registered, extra: Partial<AuthorizeParams> = {}): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkcePair()
  const back = await authorizeAndLogIn(base, authorizeParams(client, { code_challenge: challenge, ...extra }))
  const code = back.searchParams.get('code')
  if (code === null) throw new Error(`no code in ${back.href}`)
  return { code, verifier }
}

export interface TokenResult {
  status: number
  headers: Headers
  body: Record<string, string | number | undefined>
}

/** POST /token with a form body. */
export async function tokenRequest(base: string, form: Record<string, string>): Promise<TokenResult> {
  const res = await fetch(`${base}/token`, { method: 'POST', body: new URLSearchParams(form) })
  return { status: res.status, headers: res.headers, body: await res.json() as TokenResult['body'] }
}

/** A token's payload, read without verifying it (the test checks what was minted). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}
