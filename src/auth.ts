// createFastMcpAuth: wires key derivation, JWTIssuer, the jti cache, the token store and the
// middleware, and offers the mint helpers, the refresh grant and the revocations route
// handlers use.
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { DEFAULT_CACHE_MAX, TokenCache } from './cache.js'
import { decodeJsonSegment } from './compact.js'
import { DEFAULT_MAX_TOKEN_LENGTH } from './bearer.js'
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME,
  DEFAULT_MAX_TOKEN_LIFETIME,
  JWTIssuer,
  acceptedUntilMs,
  signingKeyBytes,
  type Clock,
  type IssueTokenInput,
  type SigningKey,
  type VerifyTokenOptions,
} from './issuer.js'
import { DEFAULT_SALT, deriveJwtKey } from './keys.js'
import {
  createRequireFastMcpToken,
  createRequireScopes,
  type FastMcpMiddleware,
  type MiddlewareSettings,
  type RejectedEvent,
  type VerifiedEvent,
} from './middleware.js'
import {
  buildProtectedResourceMetadata,
  createProtectedResourceMetadataHandler,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadataOptions,
} from './metadata.js'
import {
  createRevocationEndpoint,
  createTokenEndpoint,
  sendJson,
  type AuthenticatedClient,
  type EndpointGrants,
  type RevocationEndpointOptions,
  type TokenEndpointOptions,
} from './endpoints.js'
import { InvalidTokenError, temporarilyUnavailable } from './errors.js'
import { MetricsRecorder, type FastMcpAuthStats, type MeterProviderLike } from './metrics.js'
import { createRefreshExchange, type ExchangeRefreshTokenOptions, type RefreshEvent } from './rotation.js'
import { MemoryTokenStore } from './store/memory.js'
import type { FamilyMember, TokenStore } from './store/types.js'
import type { AuthInfo, FastMcpClaims } from './types.js'
import { AccessTokenVerifier } from './verifier.js'
import { createVerifyAccessToken } from './access-token.js'
import { createAuthInfoBuilder } from './auth-info.js'
import { compileScopeHierarchy, type ScopeHierarchy } from './scopes.js'
import { createRequireToolScopes, type RequireToolScopesOptions, type ToolScopes } from './tool-scopes.js'

/** Default refresh-token lifetime: 30 days, in seconds. */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600

/** FastMCP warns below this many characters; we refuse unless `allowShortSecret`. */
export const MIN_SECRET_LENGTH = 12

export interface FastMcpAuthOptions {
  /**
   * The shared secret the key is derived from, as FastMCP's `jwt_signing_key` (with
   * `entropy: "low"`) or an upstream client secret (with `entropy: "high"`).
   * Pass either this or `signingKey`.
   */
  secret?: string
  /** Salt for the derivation. @default "fastmcp-jwt-signing-key" */
  salt?: string
  /** `"low"`: PBKDF2, 1,000,000 rounds; `"high"`: HKDF-SHA256. @default "low" */
  entropy?: 'low' | 'high'
  /** A ready 44-byte key (the output of `deriveJwtKey`), instead of `secret`. */
  signingKey?: SigningKey
  /** Accept a `secret` shorter than 12 characters. @default false */
  allowShortSecret?: boolean
  /** Earlier secrets, derived with the same salt and entropy: verify only, for rotation. */
  previousSecrets?: readonly string[]
  /** Earlier ready keys: verify only, for rotation. */
  previousSigningKeys?: readonly SigningKey[]
  /** `iss` to mint and require, exactly. FastMCP's ends in `/` for a bare origin. */
  issuer: string
  /** `aud` to mint and require, exactly: the MCP resource URL (base URL + MCP path). */
  audience: string
  /** Leeway for `exp` and `nbf`, in seconds. @default 0 */
  clockToleranceSeconds?: number
  /**
   * Longest life a token may have left, in seconds: a token whose `exp` lies further ahead
   * is refused (401 `invalid_token`, reason `lifetime_exceeded`), and a revocation of an
   * unknown token lasts this long, so it covers every token the package can still accept.
   * FastMCP mints year-long access tokens when the upstream gives no expiry.
   * @default 34560000 (400 days)
   */
  maxTokenLifetimeSeconds?: number
  /** Mint with FastMCP's pre-3.4 header `{"alg":"HS256","typ":"JWT"}`. @default false (3.4+'s `{"typ":"JWT","alg":"HS256"}`) */
  legacyHeader?: boolean
  /** The verified-token cache: `{ max }` entries, or `false` for none. @default { max: 5000 } */
  cache?: { max?: number } | false
  /** Longest token accepted, in characters; longer is 401 `invalid_token`. @default 8192 */
  maxTokenLength?: number
  /** RFC 9728 metadata URL, sent as `resource_metadata` in every challenge. */
  resourceMetadataUrl?: string
  /** Lifetime of minted access tokens, in seconds. @default 3600 */
  accessTokenLifetimeSeconds?: number
  /** Lifetime of minted refresh tokens, in seconds. @default 2592000 (30 days) */
  refreshTokenLifetimeSeconds?: number
  /** Hand errors to `next(err)` instead of answering. @default false */
  passErrorsToNext?: boolean
  /** How long a request waits for the key before a 503, in milliseconds. @default 10000 */
  keyWaitMs?: number
  /**
   * Where token state lives: revocations, refresh families, the authorization server's
   * records. Several instances share one (`RedisTokenStore` from
   * `fastmcp-auth-express/redis`). @default a new `MemoryTokenStore` (this process only)
   */
  store?: TokenStore
  /**
   * Refuse every request with 503 `temporarily_unavailable` once the store has been
   * unreachable this long, in milliseconds. Unset, requests go on from the local mirror
   * (which may miss revocations made elsewhere meanwhile): availability over freshness.
   * @default undefined (keep serving)
   */
  maxStalenessMs?: number
  /**
   * A used refresh token presented again within this many seconds of its first use gets a
   * fresh pair in the same family (a client's concurrent retry) instead of revoking the
   * grant; 0 disables the window. See FastMCP #4901, #4265. @default 10
   */
  refreshReuseGraceSeconds?: number
  /** Called for each refresh exchange: rotated, within grace, reuse detected, refused. Errors it throws are ignored. */
  onRefresh?: (event: RefreshEvent) => void
  /** Called for each accepted request. Errors it throws are ignored. */
  onVerified?: (event: VerifiedEvent) => void
  /** Called for each refused request, with the precise reason. Log fields, not the request: its headers hold the token. */
  onRejected?: (event: RejectedEvent) => void
  /**
   * OpenTelemetry metrics (names in the README): published through `meterProvider`, or the
   * global MeterProvider of `@opentelemetry/api` (an optional peer; register yours before
   * this call) when it is installed; without it nothing is recorded there. `false` turns
   * publishing off; `auth.stats()` counts either way. @default {}
   */
  metrics?: false | { meterProvider?: MeterProviderLike }
  /** Clock for tests, in milliseconds since the epoch. @default Date.now */
  clock?: Clock
  /**
   * Which scopes each scope implies, transitively (MCP 2026-07-28: servers MUST account for
   * scope hierarchies), e.g. `{ 'notes:write': ['notes:read'], admin: ['notes:write'] }`.
   * `AuthInfo.scopes` then holds the token's scopes followed by everything they imply, so
   * `requireScopes`, `requireToolScopes` and SDK v2's scope checks all honour it;
   * `extra.grantedScopes` keeps the token's own. A cycle throws a TypeError at set-up.
   * @default no hierarchy
   */
  scopeHierarchy?: ScopeHierarchy
}

/** A minted token with what a route handler needs to answer with it. */
export interface IssuedToken {
  token: string
  jti: string
  /** Seconds since the epoch. */
  expiresAt: number
  /** Lifetime in seconds. */
  expiresIn: number
}

export interface MintInput extends IssueTokenInput {
  /** Lifetime in seconds. @default the factory's lifetime for this kind of token */
  expiresIn?: number
}

export interface TokenResponseInput extends MintInput {
  /** Add a refresh token: `true`, or its own lifetime and jti. */
  refreshToken?: boolean | { expiresIn?: number; jti?: string }
}

/** The RFC 6749 §5.1 successful token response. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
  refresh_token?: string
}

export interface FastMcpAuth {
  /** The `iss` this object mints and requires, exactly as configured. */
  readonly issuer: string
  /** The `aud` this object mints and requires: the protected resource, exactly as configured. */
  readonly audience: string
  /** Verifies the bearer token and sets `req.auth`: `app.use('/mcp', auth.requireFastMcpToken)`. */
  requireFastMcpToken: FastMcpMiddleware
  /** Chain after `requireFastMcpToken`: 403 `insufficient_scope` unless every scope is granted. */
  requireScopes(...scopes: string[]): FastMcpMiddleware
  /**
   * Chain after `requireFastMcpToken` and a JSON body parser: a `tools/call` (or a batch
   * holding one) for a tool whose scopes the token lacks gets 403 `insufficient_scope`
   * naming them; `Mcp-Method`/`Mcp-Name` headers that disagree with the body get 400 with
   * JSON-RPC error -32020. Other tools (unless `defaultScopes`) and methods pass.
   */
  requireToolScopes(map: ToolScopes, options?: RequireToolScopesOptions): FastMcpMiddleware
  /**
   * The middleware's decision for a bare access token (cache, revocations, refresh tokens
   * refused): the AuthInfo it would set as `req.auth`, or its typed error. For SDK v2's
   * `OAuthTokenVerifier` (see `fastmcp-auth-express/sdk-v2`) and other non-middleware code.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>
  /** The RFC 9728 metadata URL challenges carry: configured, or served by `protectedResourceMetadata()`. */
  readonly resourceMetadataUrl: string | undefined
  /** Mints an access token; jti defaults to a random UUID. */
  issueAccessToken(input: MintInput): Promise<IssuedToken>
  /** Mints a refresh token (`token_use: "refresh"`). */
  issueRefreshToken(input: MintInput): Promise<IssuedToken>
  /** The RFC 6749 §5.1 body for a new access token (and a refresh token when asked). */
  issueTokenResponse(input: TokenResponseInput): Promise<TokenResponse>
  /** Sends that body with `Cache-Control: no-store` and `Pragma: no-cache`. */
  sendTokenResponse(res: ServerResponse, input: TokenResponseInput): Promise<TokenResponse>
  /**
   * The refresh-token grant (RFC 6749 §6) with rotation and reuse detection (OAuth 2.1
   * §4.3.1, RFC 9700 §4.14): verifies the refresh token (signature, exp, `token_use`, not
   * revoked), consumes it atomically in the store, and returns a new pair in the token's
   * family. A used token presented again after `refreshReuseGraceSeconds` revokes the
   * whole family on every instance. A validly signed token the store never saw (FastMCP's)
   * starts a family. `scopes` may narrow the new access token's scopes.
   * @throws OAuthError `invalid_request`, `invalid_grant`, `invalid_scope`,
   *   `temporarily_unavailable` (key or store unavailable: nothing is issued)
   */
  exchangeRefreshToken(refreshToken: string, options?: ExchangeRefreshTokenOptions): Promise<TokenResponse>
  /**
   * RFC 7009 revocation by token: a refresh token revokes its whole family, an access token
   * itself. An invalid, expired or foreign token is ignored (resolves), as §2.2 asks; so is
   * a token issued to another client than `clientId`, when given (§2.1).
   * @throws OAuthError `temporarily_unavailable` when the key or the store is unavailable
   *   (the revocation holds in this process and is retried in the background)
   */
  revokeToken(token: string, options?: { clientId?: string }): Promise<void>
  /**
   * A ready token endpoint (RFC 6749 §3.2): `refresh_token`, and `client_credentials` when
   * `authenticateClient` is given; form or JSON bodies; RFC 6749 §5.2 errors;
   * `Cache-Control: no-store`. Mount it with `app.post('/token', auth.tokenEndpoint(...))`.
   */
  tokenEndpoint(options?: TokenEndpointOptions): FastMcpMiddleware
  /** A ready RFC 7009 revocation endpoint: `app.post('/revoke', auth.revocationEndpoint())`. */
  revocationEndpoint(options?: RevocationEndpointOptions): FastMcpMiddleware
  /** The token store in use (the one passed as `store`, or the in-memory default). */
  readonly store: TokenStore
  /** A plain snapshot of the counters (requests by outcome and reason, cache, revocations, refresh exchanges, store errors), e.g. for a health endpoint. */
  stats(): FastMcpAuthStats
  /**
   * Verifies a FastMCP token, revocations included: an access token unless
   * `expectedTokenUse` says `'refresh'` or `'any'` (FastMCP's `verify_token` default).
   * @throws InvalidTokenError, KeyUnavailableError
   */
  verifyToken(token: string, options?: VerifyTokenOptions): Promise<FastMcpClaims>
  /**
   * Revokes a jti from the next request on, cached or not, until its token would have
   * expired. Pass `expiresAt` (the token's `exp`, seconds) when you have it. Without it the
   * cached `exp` is used, or else `maxTokenLifetimeSeconds` from now, which outlasts every
   * token the package still accepts.
   */
  revoke(jti: string, expiresAt?: number): Promise<void>
  /**
   * Serves the RFC 9728 metadata document for `audience` at
   * `/.well-known/oauth-protected-resource<audience path>` and at the root well-known
   * path; mount it at the application root. Unless `resourceMetadataUrl` was set, every
   * challenge from then on carries `resource_metadata` pointing at the served URL.
   */
  protectedResourceMetadata(options?: ProtectedResourceMetadataOptions): FastMcpMiddleware
  /** Resolves with the JWTIssuer once the key exists; rejects if derivation failed. */
  ready: Promise<JWTIssuer>
}

/**
 * Builds FastMCP-compatible auth for an Express or Connect app. Synchronous: the key is
 * derived in the background and requests wait for it.
 *
 * @example
 * const auth = createFastMcpAuth({
 *   secret: process.env.FASTMCP_JWT_SECRET!,
 *   issuer: 'https://mcp.example.com/',
 *   audience: 'https://mcp.example.com/mcp',
 * })
 * app.use('/mcp', auth.requireFastMcpToken)
 */
export function createFastMcpAuth(options: FastMcpAuthOptions): FastMcpAuth {
  const config = readOptions(options)
  const { clock } = config
  const scopeExpansion = compileScopeHierarchy(options.scopeHierarchy, 'createFastMcpAuth: `scopeHierarchy`')
  const ready = buildIssuer(config)
  const store = options.store ?? new MemoryTokenStore({ clock })
  let cache: TokenCache | undefined
  const metrics = new MetricsRecorder({ cacheEntries: () => cache?.size ?? 0, cacheMax: config.cacheMax, staleForMs: () => store.staleForMs(clock()) })
  if (options.metrics !== false) metrics.bindOpenTelemetry(options.metrics?.meterProvider)
  if (config.cacheMax !== 0) {
    cache = new TokenCache({ max: config.cacheMax, clock, toleranceSeconds: config.clockToleranceSeconds, onEvict: () => metrics.evicted() })
  }
  const verifier = new AccessTokenVerifier({
    issuer: ready,
    cache,
    store,
    clock,
    toleranceSeconds: config.clockToleranceSeconds,
    keyWaitMs: config.keyWaitMs,
    maxStalenessMs: config.maxStalenessMs,
    toAuthInfo: createAuthInfoBuilder(scopeExpansion, () => settings.resourceMetadataUrl),
  })
  const settings: MiddlewareSettings = {
    verifier,
    maxTokenLength: config.maxTokenLength,
    resourceMetadataUrl: config.resourceMetadataUrl,
    passErrorsToNext: options.passErrorsToNext === true,
    onVerified: options.onVerified,
    onRejected: options.onRejected,
    metrics,
  }

  const mint = async (input: MintInput, refresh: boolean): Promise<IssuedToken> => {
    const issuer = await verifier.issuer()
    const expiresIn = input.expiresIn ?? (refresh ? config.refreshLifetime : config.accessLifetime)
    const token = refresh
      ? await issuer.issueRefreshToken({ ...input, expiresIn })
      : await issuer.issueAccessToken({ ...input, expiresIn })
    const claims = decodeJsonSegment(token.split('.')[1]!) as FastMcpClaims
    return { token, jti: claims.jti, expiresAt: claims.exp, expiresIn }
  }

  const untilOf = (token: IssuedToken): number => acceptedUntilMs(token.expiresAt, config.clockToleranceSeconds)

  // the refresh token carries `refreshScopes` (the whole grant) and joins `family`
  const respond = async (input: TokenResponseInput, family: string, refreshScopes = input.scopes): Promise<TokenResponse> => {
    const { refreshToken, ...accessInput } = input
    const access = await mint(accessInput, false)
    const body: TokenResponse = {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope: input.scopes.filter((s) => s.length > 0).join(' '),
    }
    if (refreshToken) {
      const own = typeof refreshToken === 'object' ? refreshToken : {}
      const refresh = await mint({ ...accessInput, scopes: refreshScopes, jti: own.jti, expiresIn: own.expiresIn }, true)
      const members: FamilyMember[] = [
        { jti: access.jti, until: untilOf(access), refresh: false },
        { jti: refresh.jti, until: untilOf(refresh), refresh: true },
      ]
      // a pair the store cannot record is never handed out: reuse detection could not revoke it
      await store.addToFamily(family, members)
      body.refresh_token = refresh.token
    }
    return body
  }
  const issueTokenResponse = (input: TokenResponseInput): Promise<TokenResponse> => respond(input, randomUUID())

  const exchangeRefreshToken = createRefreshExchange<TokenResponse>({
    store,
    clock,
    toleranceSeconds: config.clockToleranceSeconds,
    graceMs: config.refreshGraceSeconds * 1000,
    verifyRefreshToken: (token) => verifier.verifyToken(token, { expectedTokenUse: 'refresh' }),
    mintPair: (pair) => respond(
      { clientId: pair.clientId, scopes: pair.scopes, subject: pair.subject, upstreamClaims: pair.upstreamClaims, refreshToken: true },
      pair.family,
      pair.grantedScopes,
    ),
    onRefresh: (event) => {
      metrics.refresh(event.result)
      if (event.error === 'temporarily_unavailable') metrics.storeError()
      options.onRefresh?.(event)
    },
  })

  // the one place a jti is revoked: this instance's cache at once, then the store, which
  // holds it here at once and tells the other instances (rejecting if it cannot yet)
  const revokeJti = async (jti: string, exp: number): Promise<void> => {
    cache?.delete(jti)
    metrics.revoked()
    await store.revoke([{ jti, until: acceptedUntilMs(exp, config.clockToleranceSeconds) }]).catch((err: unknown) => {
      metrics.storeError()
      throw err
    })
  }

  const revokeToken = async (token: string, revokeOptions: { clientId?: string } = {}): Promise<void> => {
    if (typeof token !== 'string') return
    let claims: FastMcpClaims
    try {
      claims = await (await verifier.issuer()).verifyToken(token, { expectedTokenUse: 'any' })
    } catch (err) {
      // RFC 7009 §2.2: an invalid token needs no revoking
      if (err instanceof InvalidTokenError) return
      throw temporarilyUnavailable('key_unavailable')
    }
    if (revokeOptions.clientId !== undefined && revokeOptions.clientId !== claims.client_id) return
    await revokeJti(claims.jti, claims.exp).catch(() => { throw temporarilyUnavailable() })
    try {
      const family = claims.token_use === 'refresh' ? await store.familyOf(claims.jti) : undefined
      if (family !== undefined) await store.revokeFamily(family)
    } catch {
      metrics.storeError()
      throw temporarilyUnavailable()
    }
  }

  const grants: EndpointGrants<TokenResponse> = {
    exchangeRefreshToken,
    revokeToken,
    // RFC 6749 §4.4.3: no refresh token for the client-credentials grant
    issueClientCredentials: (client: AuthenticatedClient, scopes) => issueTokenResponse({ clientId: client.clientId, scopes }),
  }

  return {
    issuer: config.issuer,
    audience: config.audience,
    requireFastMcpToken: createRequireFastMcpToken(settings),
    requireScopes: (...scopes) => {
      // RFC 6749 §3.3 scope-token: no space, quote or backslash (nor control characters)
      if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !/^[^\s"\\\x00-\x1f\x7f]+$/.test(s))) {
        throw new TypeError('requireScopes: pass one or more scopes, each a non-empty scope-token (no spaces, quotes or backslashes)')
      }
      return createRequireScopes(settings, scopes)
    },
    requireToolScopes: (map, toolOptions) => createRequireToolScopes(settings, map, toolOptions),
    verifyAccessToken: createVerifyAccessToken(verifier, config.maxTokenLength, () => settings.resourceMetadataUrl),
    get resourceMetadataUrl() {
      return settings.resourceMetadataUrl
    },
    issueAccessToken: (input) => mint(input, false),
    issueRefreshToken: (input) => mint(input, true),
    issueTokenResponse,
    exchangeRefreshToken,
    revokeToken,
    tokenEndpoint: (endpointOptions) => createTokenEndpoint(grants, endpointOptions),
    revocationEndpoint: (endpointOptions) => createRevocationEndpoint(grants, endpointOptions),
    store,
    stats: () => metrics.stats(),
    sendTokenResponse: async (res, input) => {
      const body = await issueTokenResponse(input)
      sendJson(res, 200, body)
      return body
    },
    verifyToken: (token, verifyOptions) => verifier.verifyToken(token, verifyOptions),
    revoke: async (jti, expiresAt) => {
      if (typeof jti !== 'string' || jti.length === 0) throw new TypeError('revoke: `jti` must be a non-empty string')
      if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
        throw new TypeError('revoke: `expiresAt` must be a number of seconds since the epoch')
      }
      // unknown exp: as long as any token the package still accepts; a sighting stretches it to its own exp
      const exp = expiresAt ?? cache?.expiresAt(jti) ?? Math.floor(clock() / 1000) + config.maxTokenLifetime
      // rejects with StoreUnavailableError if the other instances may not know yet
      await revokeJti(jti, exp)
    },
    protectedResourceMetadata: (metadataOptions) => {
      if (!URL.canParse(config.audience)) {
        throw new TypeError('protectedResourceMetadata: `audience` must be an absolute URL to publish metadata for it')
      }
      const handler = createProtectedResourceMetadataHandler(buildProtectedResourceMetadata(config.audience, metadataOptions))
      if (settings.resourceMetadataUrl === undefined) {
        settings.resourceMetadataUrl = protectedResourceMetadataUrl(config.audience)
        verifier.forgetAuthInfos() // AuthInfos built before now lack the URL
      }
      return handler
    },
    ready,
  }
}

interface ResolvedConfig {
  secret: string | undefined
  signingKey: SigningKey | undefined
  salt: string
  entropy: 'low' | 'high'
  previousSecrets: readonly string[]
  previousSigningKeys: readonly SigningKey[]
  resourceMetadataUrl: string | undefined
  issuer: string
  audience: string
  clockToleranceSeconds: number
  cacheMax: number
  maxTokenLength: number
  accessLifetime: number
  refreshLifetime: number
  maxTokenLifetime: number
  legacyHeader: boolean
  maxStalenessMs: number | undefined
  refreshGraceSeconds: number
  keyWaitMs: number
  clock: Clock
}

// every bad option throws here, at set-up time, naming the option
function readOptions(options: FastMcpAuthOptions): ResolvedConfig {
  const fail = (message: string): never => {
    throw new TypeError(`createFastMcpAuth: ${message}`)
  }
  if (typeof options !== 'object' || options === null) fail('options are required')
  const { secret, signingKey } = options
  if (secret !== undefined && signingKey !== undefined) fail('pass `secret` or `signingKey`, not both')
  if (secret === undefined && signingKey === undefined) fail('`secret` (or `signingKey`) is required')
  if (secret !== undefined) {
    if (typeof secret !== 'string' || secret.length === 0) fail('`secret` must be a non-empty string')
  }
  const tooShort = (value: string, name: string): void => {
    if (value.length < MIN_SECRET_LENGTH && options.allowShortSecret !== true) {
      fail(`\`${name}\` is shorter than ${MIN_SECRET_LENGTH} characters, which is guessable offline from any token; ` +
        'use a long random secret, or set `allowShortSecret: true` to accept it')
    }
  }
  if (typeof secret === 'string') tooShort(secret, 'secret')
  if (options.salt !== undefined && typeof options.salt !== 'string') fail('`salt` must be a string')
  const entropy = options.entropy ?? 'low'
  if (entropy !== 'low' && entropy !== 'high') fail('`entropy` must be "low" or "high"')
  const previousSecrets = options.previousSecrets ?? []
  if (!Array.isArray(previousSecrets) || previousSecrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    fail('`previousSecrets` must be an array of non-empty strings')
  }
  previousSecrets.forEach((old, i) => tooShort(old, `previousSecrets[${i}]`))
  if (previousSecrets.length > 0 && secret === undefined) fail('`previousSecrets` needs `secret` (use `previousSigningKeys` with `signingKey`)')
  const previousSigningKeys = options.previousSigningKeys ?? []
  if (!Array.isArray(previousSigningKeys)) fail('`previousSigningKeys` must be an array')
  // checked now, not after the derivation: a bad key must not surface as a 503 later
  if (signingKey !== undefined) signingKeyBytes(signingKey, 'signingKey')
  previousSigningKeys.forEach((key, i) => signingKeyBytes(key, `previousSigningKeys[${i}]`))
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) fail(`\`${name}\` must be a non-empty string`)
  }
  const tolerance = options.clockToleranceSeconds ?? 0
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    fail('`clockToleranceSeconds` must be a number of seconds, 0 or more')
  }
  let cacheMax = DEFAULT_CACHE_MAX
  if (options.cache === false) cacheMax = 0
  else if (options.cache !== undefined) {
    if (typeof options.cache !== 'object' || options.cache === null) fail('`cache` must be `{ max }` or `false`')
    cacheMax = options.cache.max ?? DEFAULT_CACHE_MAX
    if (!Number.isSafeInteger(cacheMax) || cacheMax < 1) fail('`cache.max` must be a whole number, 1 or more')
  }
  const positive = (value: number | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = value ?? fallback
    if (!Number.isSafeInteger(v) || v <= 0 || v > max) fail(`\`${name}\` must be a whole number from 1 to ${max}`)
    return v
  }
  const store = options.store
  const storeMethods = ['ready', 'isRevoked', 'staleForMs', 'revoke', 'addToFamily', 'useRefreshToken', 'revokeFamily', 'familyOf', 'setRecord', 'getRecord', 'takeRecord'] as const
  if (store !== undefined && (typeof store !== 'object' || store === null || storeMethods.some((m) => typeof store[m] !== 'function'))) {
    fail('`store` must be a TokenStore (e.g. MemoryTokenStore or RedisTokenStore)')
  }
  if ('revocations' in options) fail('`revocations` is gone: pass a TokenStore as `store`')
  if (options.resourceMetadataUrl !== undefined && !URL.canParse(options.resourceMetadataUrl)) {
    fail('`resourceMetadataUrl` must be an absolute URL')
  }
  // serialized (punycode, percent-encoding) so the challenge carries it intact
  const resourceMetadataUrl = options.resourceMetadataUrl === undefined ? undefined : new URL(options.resourceMetadataUrl).href
  if (options.metrics !== undefined && options.metrics !== false && (typeof options.metrics !== 'object' || options.metrics === null)) {
    fail('`metrics` must be `false` or `{ meterProvider? }`')
  }
  for (const name of ['onVerified', 'onRejected', 'onRefresh', 'clock'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(`\`${name}\` must be a function`)
  }
  const maxTokenLifetime = positive(options.maxTokenLifetimeSeconds, 'maxTokenLifetimeSeconds', DEFAULT_MAX_TOKEN_LIFETIME)
  const lifetime = (value: number | undefined, name: string, fallback: number): number =>
    positive(value, name, Math.min(fallback, maxTokenLifetime), maxTokenLifetime)
  if (options.legacyHeader !== undefined && typeof options.legacyHeader !== 'boolean') fail('`legacyHeader` must be a boolean')
  return {
    secret,
    signingKey,
    salt: options.salt ?? DEFAULT_SALT,
    entropy,
    previousSecrets,
    previousSigningKeys,
    resourceMetadataUrl,
    issuer: options.issuer,
    audience: options.audience,
    clockToleranceSeconds: tolerance,
    cacheMax,
    maxTokenLength: positive(options.maxTokenLength, 'maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH),
    accessLifetime: lifetime(options.accessTokenLifetimeSeconds, 'accessTokenLifetimeSeconds', DEFAULT_ACCESS_TOKEN_LIFETIME),
    refreshLifetime: lifetime(options.refreshTokenLifetimeSeconds, 'refreshTokenLifetimeSeconds', DEFAULT_REFRESH_TOKEN_LIFETIME),
    maxTokenLifetime,
    legacyHeader: options.legacyHeader === true,
    refreshGraceSeconds: readGrace(options.refreshReuseGraceSeconds, fail),
    maxStalenessMs: options.maxStalenessMs === undefined ? undefined : positive(options.maxStalenessMs, 'maxStalenessMs', 1),
    // setTimeout's longest delay: a longer one would fire at once
    keyWaitMs: positive(options.keyWaitMs, 'keyWaitMs', 10_000, 2 ** 31 - 1),
    clock: options.clock ?? Date.now,
  }
}

function readGrace(value: number | undefined, fail: (message: string) => never): number {
  if (value === undefined) return 10
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3600) {
    fail('`refreshReuseGraceSeconds` must be a number of seconds from 0 to 3600')
  }
  return value
}

function buildIssuer(config: ResolvedConfig): Promise<JWTIssuer> {
  const construct = (signingKey: SigningKey, previousSigningKeys: readonly SigningKey[]) =>
    new JWTIssuer({
      issuer: config.issuer,
      audience: config.audience,
      signingKey,
      previousSigningKeys,
      clockToleranceSeconds: config.clockToleranceSeconds,
      maxTokenLifetimeSeconds: config.maxTokenLifetime,
      legacyHeader: config.legacyHeader,
      clock: config.clock,
    })
  if (config.signingKey !== undefined) {
    // a ready key is checked now, so a bad one throws at set-up time like any option
    return Promise.resolve(construct(config.signingKey, config.previousSigningKeys))
  }
  const derive = (material: string) =>
    deriveJwtKey(config.entropy === 'high'
      ? { highEntropyMaterial: material, salt: config.salt }
      : { lowEntropyMaterial: material, salt: config.salt })
  return Promise.all([config.secret!, ...config.previousSecrets].map(derive))
    .then(([key, ...previous]) => construct(key!, [...previous, ...config.previousSigningKeys]))
}
