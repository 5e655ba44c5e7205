// createAuthorizationServer: an OAuth 2.1 authorization server for MCP clients, mounted in an
// Express app, on the MCP SDK v1's handlers (RFC 8414 metadata, RFC 7591 registration, the
// authorization and token endpoints with PKCE, RFC 7009 revocation). It issues FastMCP tokens
// and keeps its state in the TokenStore. Express only: the SDK's handlers are Express routers.
import type { ServerResponse } from 'node:http'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { authorizationHandler, type AuthorizationHandlerOptions } from '@modelcontextprotocol/sdk/server/auth/handlers/authorize.js'
import { metadataHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/metadata.js'
import { clientRegistrationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/register.js'
import { revocationHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/revoke.js'
import { tokenHandler } from '@modelcontextprotocol/sdk/server/auth/handlers/token.js'
import { createOAuthMetadata } from '@modelcontextprotocol/sdk/server/auth/router.js'
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js'
import type { FastMcpAuth } from '../auth.js'
import type { Clock } from '../issuer.js'
import { readScopeList } from '../scopes.js'
import type { TokenStore } from '../store/types.js'
import { Authorizations, type LoginHook, type LoginResult } from './authorizations.js'
import { StoreClientsStore, TOKEN_ENDPOINT_AUTH_METHODS } from './clients.js'
import { FastMcpOAuthProvider } from './provider.js'

/** Default lifetime of an authorization code: 60 seconds. */
export const DEFAULT_CODE_LIFETIME = 60
/** Default time a person has to log in: 10 minutes, in seconds. */
export const DEFAULT_PENDING_LIFETIME = 600
/** Default time a registered client is kept after it last obtained tokens: 90 days, in seconds. */
export const DEFAULT_CLIENT_LIFETIME = 90 * 24 * 3600
/** Default path the login form posts to. */
export const DEFAULT_LOGIN_PATH = '/authorize/login'

/** The SDK's per-endpoint rate limit: `false` for none, or express-rate-limit options. */
export type RateLimitSetting = AuthorizationHandlerOptions['rateLimit']

export interface AuthorizationServerOptions {
  /**
   * Mints the tokens, exchanges refresh tokens and revokes. Its `issuer` is this server's
   * issuer identifier, published as written (RFC 8414; https, or http on a loopback host),
   * and its `audience` the one resource (RFC 8707) tokens are issued for.
   */
  auth: FastMcpAuth
  /** Finds out who the person is. See `LoginHook`. */
  login: LoginHook
  /** Scopes the protected resource offers; requests for others are `invalid_scope`. */
  scopesSupported: readonly string[]
  /** Granted when a client asks for no scope. @default scopesSupported */
  defaultScopes?: readonly string[]
  /** Where clients, pending authorizations and codes live. @default auth.store */
  store?: TokenStore
  /** Lifetime of an authorization code, in seconds. @default 60 */
  codeLifetimeSeconds?: number
  /** Time a person has to log in, in seconds. @default 600 */
  pendingLifetimeSeconds?: number
  /** How long a registered client is kept after it last obtained tokens, in seconds. @default 7776000 (90 days) */
  clientLifetimeSeconds?: number
  /** Path the login form posts to, with the `pending` id. @default "/authorize/login" */
  loginPath?: string
  /**
   * Rate limit of each endpoint, per client IP, in this process. `false` turns it off
   * (behind a limiting proxy, or in tests). Behind a proxy, set Express's `trust proxy`.
   * @default the SDK's: 100 authorization, 50 token and 50 revocation requests per 15 minutes, 20 registrations per hour
   */
  rateLimit?: RateLimitSetting
  /** A page for developers, published as `service_documentation`. */
  serviceDocumentationUrl?: string
  /** Clock for tests, in milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

export interface FastMcpAuthorizationServer {
  /** Mount at the application root: `app.use(authorizationServer.router)`. */
  router: RequestHandler
  /** The RFC 8414 document served at `/.well-known/oauth-authorization-server`. */
  metadata: OAuthMetadata
  /**
   * Approves a pending authorization from a route of your own (an upstream identity
   * provider's callback): redirects `res` to the client with a code.
   * @throws TypeError for a result without a subject, or with scopes that were not asked for.
   */
  completeAuthorization(res: ServerResponse, pendingId: string, result: LoginResult): Promise<void>
  /** Refuses a pending authorization: redirects `res` to the client with `access_denied`. */
  denyAuthorization(res: ServerResponse, pendingId: string, description?: string): Promise<void>
}

/**
 * Builds the authorization server MCP clients log in through. Mount its router at the root
 * of the app that serves the MCP endpoint, and name `auth.issuer` in the protected-resource
 * metadata's `authorization_servers`.
 *
 * @throws TypeError at once for an option this server cannot work with.
 * @example
 * const authorizationServer = createAuthorizationServer({
 *   auth,
 *   scopesSupported: ['notes:read', 'notes:write'],
 *   login: async (req, res, pending) => {
 *     const user = await sessionUser(req) // your own login
 *     if (user) return { subject: user.id }
 *     res.redirect(`/login?pending=${pending.id}`)
 *     return undefined
 *   },
 * })
 * app.use(authorizationServer.router)
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): FastMcpAuthorizationServer {
  const config = readOptions(options)
  const { auth, store, clock } = config
  const clients = new StoreClientsStore({ store, clock, lifetimeMs: config.clientLifetimeSeconds * 1000 })
  const authorizations = new Authorizations({
    store,
    login: options.login,
    issuer: auth.issuer,
    pendingLifetimeMs: config.pendingLifetimeSeconds * 1000,
    codeLifetimeMs: config.codeLifetimeSeconds * 1000,
    clock,
  })
  const provider = new FastMcpOAuthProvider({
    auth,
    store,
    clients,
    authorizations,
    scopesSupported: config.scopesSupported,
    defaultScopes: config.defaultScopes,
    codeLifetimeMs: config.codeLifetimeSeconds * 1000,
    clock,
  })
  const metadata = buildMetadata(config, provider)

  const rateLimit = options.rateLimit
  const path = (url: string | undefined): string => new URL(url!).pathname
  const router = express.Router()
  const ownOrigin = new URL(auth.issuer).origin
  router.post(config.loginPath, refuseCrossOrigin(ownOrigin), express.urlencoded({ extended: false, limit: '16kb' }), (req, res, next) => {
    authorizations.continue(req, res).catch(next)
  })
  router.use(path(metadata.authorization_endpoint), authorizationHandler({ provider, rateLimit }))
  router.use(path(metadata.token_endpoint), tokenHandler({ provider, rateLimit }))
  // client metadata is small: parsed here, so the SDK's 100 kb parser never reads a larger body
  router.post(path(metadata.registration_endpoint), express.json({ limit: '16kb' }))
  router.use(path(metadata.registration_endpoint), clientRegistrationHandler({ clientsStore: clients, rateLimit }))
  router.use(path(metadata.revocation_endpoint), revocationHandler({ provider, rateLimit }))
  router.use(wellKnownPath(metadata.issuer), metadataHandler(metadata))
  router.use(answerErrors)

  return {
    router,
    metadata,
    completeAuthorization: (res, pendingId, result) => authorizations.complete(res, pendingId, result),
    denyAuthorization: (res, pendingId, description = 'The person did not approve the request') =>
      authorizations.deny(res, pendingId, description),
  }
}

/**
 * A login form posted from another site is refused before its body is read (CSRF, RFC 6749
 * §10.12; a browser names the page's origin in `Origin`), so a pending id can be completed
 * only from this server's own page. Clients without `Origin` (not browsers) go through.
 */
function refuseCrossOrigin(ownOrigin: string): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin
    if (origin === undefined || origin === ownOrigin) return next()
    res.status(403).set('cache-control', 'no-store').json({
      error: 'invalid_request',
      error_description: 'A login form must be posted from the authorization server\'s own page',
    })
  }
}

// body-parser's error types: a fixed description each, never its message (it may quote the body)
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The request body could not be parsed',
  'entity.too.large': 'The request body is too large',
  'entity.verify.failed': 'The request body could not be verified',
  'charset.unsupported': 'The request body\'s charset is not supported',
  'encoding.unsupported': 'The request body\'s content encoding is not supported',
  'request.aborted': 'The request body was not received in full',
  'request.size.invalid': 'The request body is not the size announced',
  'stream.encoding.set': 'The request body could not be read',
  'stream.not.readable': 'The request body could not be read',
  'parameters.too.many': 'The request body has too many parameters',
}

/**
 * An error that reached the router (a body the parsers refused, a hook that failed): RFC 6749
 * §5.2 JSON, never Express's HTML page with its stack, never the body, nothing logged.
 */
const answerErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  if (res.headersSent) return next(err)
  const { status, type } = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; type?: unknown }
  const clientFault = Number.isInteger(status) && (status as number) >= 400 && (status as number) < 500
  res.status(clientFault ? (status as number) : 500).set('cache-control', 'no-store').json(clientFault
    ? { error: 'invalid_request', error_description: BODY_ERRORS[String(type)] ?? 'The request could not be read' }
    : { error: 'server_error', error_description: 'Internal Server Error' })
}

/** RFC 8414 §3.1: the well-known segment goes between the issuer's host and its path. */
function wellKnownPath(issuer: string): string {
  const { pathname } = new URL(issuer)
  return `/.well-known/oauth-authorization-server${pathname === '/' ? '' : pathname.replace(/\/$/, '')}`
}

function buildMetadata(config: ResolvedConfig, provider: FastMcpOAuthProvider): OAuthMetadata {
  let metadata: OAuthMetadata
  try {
    metadata = createOAuthMetadata({
      provider,
      issuerUrl: new URL(config.auth.issuer),
      scopesSupported: [...config.scopesSupported],
      ...(config.serviceDocumentationUrl === undefined ? {} : { serviceDocumentationUrl: new URL(config.serviceDocumentationUrl) }),
    })
  } catch (err) {
    throw new TypeError(`createAuthorizationServer: \`auth.issuer\` cannot name an authorization server: ${(err as Error).message}`)
  }
  return {
    ...metadata,
    // RFC 8414 §3.3: exactly the identifier clients were given (the tokens' iss, the
    // resource's authorization_servers), not URL's rewriting of it
    issuer: config.auth.issuer,
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    // the SDK's revocation endpoint authenticates clients as its token endpoint does
    revocation_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    // RFC 9207: every authorization response carries `iss`
    authorization_response_iss_parameter_supported: true,
  }
}

interface ResolvedConfig {
  auth: FastMcpAuth
  store: TokenStore
  scopesSupported: readonly string[]
  defaultScopes: readonly string[]
  codeLifetimeSeconds: number
  pendingLifetimeSeconds: number
  clientLifetimeSeconds: number
  loginPath: string
  serviceDocumentationUrl: string | undefined
  clock: Clock
}

function readOptions(options: AuthorizationServerOptions): ResolvedConfig {
  const fail = (message: string): never => {
    throw new TypeError(`createAuthorizationServer: ${message}`)
  }
  if (typeof options !== 'object' || options === null) fail('options are required')
  const { auth } = options
  if (typeof auth?.issueTokenResponse !== 'function') fail('`auth` must be the object createFastMcpAuth returned')
  if (typeof auth.issuer !== 'string' || !URL.canParse(auth.issuer)) fail('`auth.issuer` must be an absolute URL')
  if (!URL.canParse(auth.audience)) fail('`auth.audience` must be an absolute URL: it is the resource (RFC 8707) tokens are issued for')
  if (typeof options.login !== 'function') fail('`login` must be a function')
  const store = options.store ?? auth.store
  if (typeof store?.setRecord !== 'function' || typeof store.takeRecord !== 'function') {
    fail('`store` must be a TokenStore (setRecord, getRecord, takeRecord)')
  }
  const scopesSupported = readScopeList(options.scopesSupported, 'createAuthorizationServer: `scopesSupported`')
  const defaultScopes = options.defaultScopes === undefined ? scopesSupported : readScopeList(options.defaultScopes, 'createAuthorizationServer: `defaultScopes`')
  if (defaultScopes.some((s) => !scopesSupported.includes(s))) fail('`defaultScopes` must be among `scopesSupported`')
  const seconds = (value: number | undefined, name: string, fallback: number): number => {
    const v = value ?? fallback
    if (!Number.isSafeInteger(v) || v <= 0) fail(`\`${name}\` must be a whole number of seconds, 1 or more`)
    return v
  }
  const loginPath = options.loginPath ?? DEFAULT_LOGIN_PATH
  if (typeof loginPath !== 'string' || !/^\/[\x21-\x7e]*$/.test(loginPath)) fail('`loginPath` must be a path starting with "/"')
  if (options.serviceDocumentationUrl !== undefined && !URL.canParse(options.serviceDocumentationUrl)) {
    fail('`serviceDocumentationUrl` must be an absolute URL')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') fail('`clock` must be a function')
  return {
    auth,
    store: store!,
    scopesSupported,
    defaultScopes,
    codeLifetimeSeconds: seconds(options.codeLifetimeSeconds, 'codeLifetimeSeconds', DEFAULT_CODE_LIFETIME),
    pendingLifetimeSeconds: seconds(options.pendingLifetimeSeconds, 'pendingLifetimeSeconds', DEFAULT_PENDING_LIFETIME),
    clientLifetimeSeconds: seconds(options.clientLifetimeSeconds, 'clientLifetimeSeconds', DEFAULT_CLIENT_LIFETIME),
    loginPath,
    serviceDocumentationUrl: options.serviceDocumentationUrl,
    clock: options.clock ?? Date.now,
  }
}
