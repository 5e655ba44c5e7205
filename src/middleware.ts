// requireFastMcpToken and requireScopes: the only module that touches req/res. Uses
// node:http's request and response alone, so Express 4, Express 5, Connect and a bare
// http.createServer all work. Errors flow to one place that writes the response.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkBearerToken, readBearerCredential, type BearerSources } from './bearer.js'
import { FastMcpAuthError, InsufficientScopeError, InvalidTokenError } from './errors.js'
import { callHook } from './hooks.js'
import type { MetricsRecorder } from './metrics.js'
import type { AuthInfo, FastMcpClaims, RequestWithAuth } from './types.js'
import type { AccessTokenVerifier, VerifiedAccessToken } from './verifier.js'

/** Connect-style `next`: no argument to go on, an error to hand over. */
export type NextFunction = (err?: unknown) => void

/** A Connect-style middleware over node:http's request and response. */
export type FastMcpMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void

/** What `onVerified` receives. */
export interface VerifiedEvent {
  request: IncomingMessage
  auth: AuthInfo
  claims: FastMcpClaims
  /** Whether the cache answered (no signature check ran). */
  cached: boolean
}

/**
 * What `onRejected` receives: the precise reason (the error never holds the token). The
 * request is the request itself: its Authorization header holds the token, so log fields.
 */
export interface RejectedEvent {
  request: IncomingMessage
  error: FastMcpAuthError
}

export interface MiddlewareSettings {
  verifier: AccessTokenVerifier
  maxTokenLength: number
  resourceMetadataUrl: string | undefined
  passErrorsToNext: boolean
  onVerified: ((event: VerifiedEvent) => void) | undefined
  onRejected: ((event: RejectedEvent) => void) | undefined
  metrics: MetricsRecorder
}

/** Builds `requireFastMcpToken`. */
export function createRequireFastMcpToken(settings: MiddlewareSettings): FastMcpMiddleware {
  const { verifier, maxTokenLength } = settings
  const accept = (req: IncomingMessage, next: NextFunction, verified: VerifiedAccessToken): void => {
    ;(req as RequestWithAuth).auth = verified.auth
    settings.metrics.accepted(verified.cached)
    if (settings.onVerified !== undefined) {
      callHook(settings.onVerified, { request: req, auth: verified.auth, claims: verified.claims, cached: verified.cached })
    }
    next()
  }
  const refuse = (req: IncomingMessage, res: ServerResponse, next: NextFunction, err: unknown): void => {
    rejectRequest(settings, req, res, next, err)
  }

  return function requireFastMcpToken(req, res, next) {
    // CORS preflights carry no credentials; a 401 there breaks browser-based MCP clients
    if (isCorsPreflight(req)) return next()
    let hit: VerifiedAccessToken | undefined
    let forgery: FastMcpAuthError | undefined
    let pending: Promise<VerifiedAccessToken> | undefined
    let started: number | undefined
    try {
      const token = readBearerCredential(readSources(req), maxTokenLength)
      // a hit is byte-identical to a token whose characters were checked: only a miss checks them
      hit = verifier.lookup(token)
      // a replayed forgery is answered without an HMAC or a throw: a flood of them stays cheap
      if (hit === undefined) forgery = verifier.knownForgery(token)
      if (hit === undefined && forgery === undefined) {
        started = performance.now()
        // a new forgery throws here, synchronously, after one HMAC
        pending = verifier.verify(checkBearerToken(token))
      }
    } catch (err) {
      if (started !== undefined) settings.metrics.verified(performance.now() - started, false)
      return refuse(req, res, next, err)
    }
    // next() runs outside any try: a later handler's error is never taken for ours
    if (hit !== undefined) return accept(req, next, hit)
    if (forgery !== undefined) return refuse(req, res, next, forgery)
    pending!.then(
      (verified) => {
        settings.metrics.verified(performance.now() - started!, true)
        accept(req, next, verified)
      },
      (err: unknown) => {
        settings.metrics.verified(performance.now() - started!, false)
        refuse(req, res, next, err)
      },
    )
  }
}

/** Builds `requireScopes(...scopes)`: 403 `insufficient_scope` unless `req.auth` has them all. */
export function createRequireScopes(
  settings: MiddlewareSettings,
  scopes: readonly string[],
): FastMcpMiddleware {
  return function requireScopes(req, res, next) {
    if (isCorsPreflight(req)) return next()
    const granted = (req as RequestWithAuth).auth?.scopes
    if (granted === undefined) {
      // chained without requireFastMcpToken before it: fail closed
      return rejectRequest(settings, req, res, next, new InvalidTokenError('malformed'))
    }
    for (const scope of scopes) {
      if (!granted.includes(scope)) return rejectRequest(settings, req, res, next, new InsufficientScopeError(scopes))
    }
    next()
  }
}

/**
 * Writes an error response: status, `WWW-Authenticate` (or `Retry-After` for a 503),
 * `Cache-Control: no-store`, and a JSON body of `{ error, error_description }`. The one
 * place responses for refusals are made. The responses of this package's own errors are
 * serialized once per metadata URL, reason and required scopes and reused; any other
 * error (a subclass of yours, an error with `headers` overridden) gets one built for it.
 */
export function sendAuthError(res: ServerResponse, error: FastMcpAuthError): void {
  const { headers, body } = error.response
  res.statusCode = error.status
  for (const [name, value] of headers) res.setHeader(name, value)
  res.end(body)
}

/** Refuses a request: `onRejected`, then `next(err)` or `send` (the one refusal path). */
export function rejectRequest(
  settings: MiddlewareSettings,
  req: IncomingMessage,
  res: ServerResponse,
  next: NextFunction,
  err: unknown,
  send: (res: ServerResponse, error: FastMcpAuthError) => void = sendAuthError,
): void {
  // anything unexpected is still a refusal: fail closed, never a 500 for a bad token
  const error = err instanceof FastMcpAuthError ? err : new InvalidTokenError('malformed')
  if (error.status !== 503) error.resourceMetadataUrl = settings.resourceMetadataUrl
  settings.metrics.refused(error.reason)
  if (settings.onRejected !== undefined) callHook(settings.onRejected, { request: req, error })
  if (settings.passErrorsToNext || res.headersSent) return next(error)
  send(res, error)
}

/**
 * A CORS preflight (Fetch standard): an OPTIONS with both `Origin` and
 * `Access-Control-Request-Method`. It carries no credentials by design; any other OPTIONS
 * is an ordinary request to the resource (RFC 9110 §9.3.7) and is authenticated.
 */
export function isCorsPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined
}

function readSources(req: IncomingMessage): BearerSources {
  return {
    authorization: req.headers.authorization,
    authorizationCount: countAuthorizationHeaders(req.rawHeaders),
    url: req.url,
    body: (req as { body?: unknown }).body,
    contentType: req.headers['content-type'],
  }
}

// Node keeps only the first Authorization header in req.headers; rawHeaders has them all
function countAuthorizationHeaders(raw: string[]): number {
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++
  }
  return count
}
