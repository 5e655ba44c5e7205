// Ready Connect handlers for the token endpoint (RFC 6749 §3.2, §4.4, §6) and the
// revocation endpoint (RFC 7009). Form or JSON bodies, parsed here unless a body parser ran.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { OAuthError } from './errors.js'
import type { FastMcpMiddleware } from './middleware.js'
import { isPlainObject } from './types.js'

/** The request parameters of a token or revocation request, one value each. */
export type OAuthParams = Readonly<Record<string, string>>

/** A client authenticated for the client-credentials grant, and what it may be granted. */
export interface AuthenticatedClient {
  clientId: string
  /** Every scope the client may ask for; a request without `scope` gets them all. */
  scopes: readonly string[]
}

export interface TokenEndpointOptions {
  /**
   * Authenticates the client your own way (HTTP Basic, a form `client_secret`, mTLS...).
   * Return `undefined` (or throw) to refuse: 401 `invalid_client` with
   * `WWW-Authenticate: Basic`. With it, every grant authenticates the client, and a refresh
   * token must have been issued to that client (RFC 6749 §6: a confidential client must
   * authenticate to refresh); `client_credentials` (RFC 6749 §4.4) is offered. Without it,
   * refresh tokens are bearer credentials of public clients and `client_credentials` is
   * `unsupported_grant_type`.
   */
  authenticateClient?: (req: IncomingMessage, params: OAuthParams) => AuthenticatedClient | undefined | Promise<AuthenticatedClient | undefined>
}

/** What the endpoints need from the auth object. */
export interface EndpointGrants<R> {
  exchangeRefreshToken(token: string, options: { clientId?: string; scopes?: readonly string[] }): Promise<R>
  issueClientCredentials(client: AuthenticatedClient, scopes: readonly string[]): Promise<R>
  revokeToken(token: string, options?: { clientId?: string }): Promise<void>
}

/** Options of the revocation endpoint. */
export interface RevocationEndpointOptions {
  /**
   * Authenticates the client, as for the token endpoint. With it, an unauthenticated request
   * is 401 `invalid_client`, and a token issued to another client is left alone (RFC 7009
   * §2.1). Without it, whoever holds a token may revoke it.
   */
  authenticateClient?: TokenEndpointOptions['authenticateClient']
}

// RFC 6749 requests are small; a larger body is refused unread
const MAX_BODY_BYTES = 64 * 1024

/** Builds the token endpoint handler: `refresh_token`, and `client_credentials` with a hook. */
export function createTokenEndpoint<R>(grants: EndpointGrants<R>, options: TokenEndpointOptions = {}): FastMcpMiddleware {
  return function tokenEndpoint(req, res, next) {
    handle(req, res, async (params) => {
      const grantType = params.grant_type
      if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required')
      const scopes = params.scope === undefined ? undefined : params.scope.split(' ').filter((s) => s.length > 0)
      let body: R
      if (grantType === 'refresh_token') {
        const clientId = options.authenticateClient === undefined ? params.client_id : (await authenticate(options.authenticateClient, req, params)).clientId
        body = await grants.exchangeRefreshToken(params.refresh_token ?? '', { clientId, scopes })
      } else if (grantType === 'client_credentials' && options.authenticateClient !== undefined) {
        const client = await authenticate(options.authenticateClient, req, params)
        const granted = client.scopes
        if (scopes?.some((s) => !granted.includes(s))) throw new OAuthError('invalid_scope', 'The requested scope exceeds what the client may be granted')
        body = await grants.issueClientCredentials(client, scopes ?? granted)
      } else {
        throw new OAuthError('unsupported_grant_type', 'This grant type is not supported here')
      }
      sendJson(res, 200, body)
    }, next)
  }
}

/** Builds the RFC 7009 revocation endpoint: 200 for every well-formed request. */
export function createRevocationEndpoint<R>(grants: EndpointGrants<R>, options: RevocationEndpointOptions = {}): FastMcpMiddleware {
  return function revocationEndpoint(req, res, next) {
    handle(req, res, async (params) => {
      if (params.token === undefined) throw new OAuthError('invalid_request', 'token is required')
      const clientId = options.authenticateClient === undefined ? undefined : (await authenticate(options.authenticateClient, req, params)).clientId
      // RFC 7009 §2.2: an invalid or unknown token is no error; the hint only speeds a lookup
      await grants.revokeToken(params.token, { clientId })
      res.statusCode = 200
      res.setHeader('cache-control', 'no-store')
      res.setHeader('content-length', 0)
      res.end()
    }, next)
  }
}

async function authenticate(hook: NonNullable<TokenEndpointOptions['authenticateClient']>, req: IncomingMessage, params: OAuthParams): Promise<AuthenticatedClient> {
  let client: AuthenticatedClient | undefined
  try {
    client = await hook(req, params)
  } catch {
    client = undefined
  }
  if (client === undefined) throw new OAuthError('invalid_client', 'Client authentication failed')
  return client
}

function handle(req: IncomingMessage, res: ServerResponse, run: (params: OAuthParams) => Promise<void>, next: (err?: unknown) => void): void {
  const answer = async (): Promise<void> => {
    // RFC 6749 §3.2: the token endpoint takes POST only
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' })
    }
    await run(await readParams(req))
  }
  answer().catch((err: unknown) => {
    if (!(err instanceof OAuthError) || res.headersSent) return next(err)
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value)
    sendJson(res, err.status, err)
  })
}

/** The request's parameters from a parsed body, or read here: form or JSON, each name once. */
async function readParams(req: IncomingMessage): Promise<OAuthParams> {
  const parsed = (req as { body?: unknown }).body
  if (typeof parsed === 'object' && parsed !== null && !Buffer.isBuffer(parsed)) return fromObject(parsed as Record<string, unknown>)
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  const text = typeof parsed === 'string' ? parsed : Buffer.isBuffer(parsed) ? parsed.toString('utf8') : await readBody(req)
  if (type === 'application/json') {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new OAuthError('invalid_request', 'The body is not valid JSON')
    }
    if (!isPlainObject(value)) throw new OAuthError('invalid_request', 'The body must be a JSON object')
    return fromObject(value as Record<string, unknown>)
  }
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'Send application/x-www-form-urlencoded or JSON')
  const params: Record<string, string> = {}
  for (const [name, value] of new URLSearchParams(text)) {
    // RFC 6749 §3.2: a parameter sent twice is an invalid request
    if (Object.hasOwn(params, name)) throw new OAuthError('invalid_request', `${safeName(name)} is repeated`)
    params[name] = value
  }
  return params
}

function fromObject(body: Record<string, unknown>): OAuthParams {
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') params[name] = value
    else if (typeof value === 'number' || typeof value === 'boolean') params[name] = String(value)
    else if (value !== undefined && value !== null) throw new OAuthError('invalid_request', `${safeName(name)} must be a string`)
  }
  return params
}

// a name echoed in a description: letters, digits and _ only
function safeName(name: string): string {
  return /^[A-Za-z0-9_]{1,40}$/.test(name) ? name : 'a parameter'
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume()
        reject(new OAuthError('invalid_request', 'The body is too large'))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => reject(new OAuthError('invalid_request', 'The body could not be read')))
  })
}

/** Sends `body` as JSON with RFC 6749 §5.1's `Cache-Control: no-store` and `Pragma: no-cache`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  // RFC 6749 §5.1: token responses (and their errors) must not be cached
  res.setHeader('cache-control', 'no-store')
  res.setHeader('pragma', 'no-cache')
  res.setHeader('content-length', Buffer.byteLength(json))
  res.end(json)
}
