// Typed errors for RFC 6750 §3: each knows its HTTP status, its error code, a finer
// `reason`, a fixed description, and the WWW-Authenticate challenge that goes with it.

/** RFC 6750 §3.1 error codes, plus 503 for a server that cannot verify yet. */
export type FastMcpAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'

/** Why a request carried no usable credentials (401, no error code). */
export type MissingTokenReason = 'missing_token'

/** Why a request was malformed (400 `invalid_request`). */
export type InvalidRequestReason =
  | 'malformed_header'
  | 'multiple_headers'
  | 'multiple_methods'
  | 'unsupported_method'
  | 'header_mismatch'

/** Why a token was refused (401 `invalid_token`). */
export type InvalidTokenReason =
  | 'too_large'
  | 'malformed'
  | 'missing_algorithm'
  | 'unsupported_algorithm'
  | 'invalid_crit_header'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'invalid_claim'
  | 'refresh_token'
  | 'not_refresh_token'
  | 'revoked'
  | 'lifetime_exceeded'

export type InsufficientScopeReason = 'insufficient_scope'
export type UnavailableReason = 'key_unavailable' | 'store_unavailable'

export type FastMcpAuthErrorReason =
  | MissingTokenReason
  | InvalidRequestReason
  | InvalidTokenReason
  | InsufficientScopeReason
  | UnavailableReason

/**
 * Fixed descriptions: a response never carries library text, a claim value or the token.
 * Expired tokens say so, so clients know to refresh.
 */
const DESCRIPTIONS: Record<FastMcpAuthErrorReason, string> = {
  missing_token: 'Authorization with a Bearer token is required',
  malformed_header: 'The Authorization header is not a valid Bearer credential',
  multiple_headers: 'More than one Authorization header was sent',
  multiple_methods: 'The token was sent by more than one method',
  unsupported_method: 'Tokens are accepted only in the Authorization header',
  header_mismatch: 'The Mcp-Method or Mcp-Name header does not match the request body',
  too_large: 'The token is too large',
  malformed: 'The token is malformed',
  missing_algorithm: 'The token header names no algorithm',
  unsupported_algorithm: 'The token is signed with an unsupported algorithm',
  invalid_crit_header: 'The token has an unsupported critical header',
  bad_signature: 'The token signature is invalid',
  expired: 'The token has expired',
  not_yet_valid: 'The token is not valid yet',
  invalid_issuer: 'The token was issued by another issuer',
  invalid_audience: 'The token is for another audience',
  invalid_claim: 'The token has a missing or ill-typed claim',
  refresh_token: 'A refresh token cannot be used as an access token',
  not_refresh_token: 'The token is not a refresh token',
  revoked: 'The token has been revoked',
  lifetime_exceeded: 'The token expires further ahead than this server accepts',
  insufficient_scope: 'The token lacks a required scope',
  key_unavailable: 'The server cannot verify tokens yet',
  store_unavailable: 'The token store is unreachable; try again shortly',
}

/** Expected and actual values of a mismatched claim, for diagnostics only (never sent). */
export interface ClaimMismatch {
  claim: string
  expected: unknown
  actual: unknown
}

/** The JSON body of an error response (RFC 6750 §3, RFC 6749 §5.2). */
export interface FastMcpAuthErrorBody {
  error?: FastMcpAuthErrorCode
  error_description: string
}

// RFC 6750 §3: quoted values allow only %x20-21 / %x23-5B / %x5D-7E
const UNSAFE_QUOTED = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

/**
 * Formats a Bearer challenge, dropping undefined parameters and replacing any character
 * RFC 6750 §3 does not allow in a quoted value, so nothing can break the header.
 *
 * @example
 * formatChallenge({ error: 'invalid_token', error_description: 'The token has expired' })
 * // 'Bearer error="invalid_token", error_description="The token has expired"'
 */
export function formatChallenge(params: Record<string, string | undefined>): string {
  const attrs: string[] = []
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) attrs.push(`${name}="${value.replace(UNSAFE_QUOTED, ' ')}"`)
  }
  return attrs.length > 0 ? `Bearer ${attrs.join(', ')}` : 'Bearer'
}

// read-only under --frozen-intrinsics: then errors keep their stack
const STACK_LIMIT_WRITABLE = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true

/**
 * @internal
 * What `sendAuthError` writes for an error: its headers (the challenge or Retry-After,
 * then content-type, cache-control, content-length) and its JSON body.
 */
export interface ErrorResponse {
  readonly headers: readonly (readonly [name: string, value: string | number])[]
  readonly body: string
  /** What it was built for, beyond its key: the error's class and code. */
  readonly kind: Function
  readonly code: FastMcpAuthErrorCode | undefined
}

// refusals repeat: the same few responses (reason and required scopes, per metadata URL),
// each serialized once, so a flood of bad tokens costs no formatting; bounded all the same
const responses = new Map<string | undefined, Map<string, ErrorResponse>>()

// what a response is made of besides the key: overriding any of these on one error object
// makes its response its own
const RESPONSE_MEMBERS = ['headers', 'toJSON', 'description', 'scope'] as const

/**
 * The one base class. `status` and `statusCode` are the HTTP status, `code` the RFC 6750
 * error code, `reason` the finer cause; `expose` marks the message as safe to send, as
 * Express's default error handler and `http-errors` expect.
 */
export abstract class FastMcpAuthError extends Error {
  abstract readonly status: number
  abstract readonly code: FastMcpAuthErrorCode | undefined
  readonly reason: FastMcpAuthErrorReason
  readonly expose = true
  /** Set for iss/aud mismatches; for `onRejected` diagnostics, never sent to a client. */
  readonly mismatch: ClaimMismatch | undefined
  /** RFC 9728 metadata URL added to the challenge, when the middleware has one. */
  resourceMetadataUrl: string | undefined

  constructor(reason: FastMcpAuthErrorReason, mismatch?: ClaimMismatch) {
    // a refusal is an answer, not a fault: no stack, whose capture costs more than the
    // HMAC check that refused a forged token
    const limit = Error.stackTraceLimit
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = 0
    super(DESCRIPTIONS[reason])
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = limit
    this.reason = reason
    this.mismatch = mismatch
    this.resourceMetadataUrl = undefined
  }

  override get name(): string {
    return this.constructor.name
  }

  get statusCode(): number {
    return this.status
  }

  /** The fixed, client-safe description. */
  get description(): string {
    return DESCRIPTIONS[this.reason]
  }

  /** Scopes named in the challenge (`insufficient_scope` only). */
  get scope(): string | undefined {
    return undefined
  }

  /** Response headers, lower-case: the challenge for 4xx, Retry-After for 503. */
  get headers(): Record<string, string> {
    const challenge = formatChallenge({
      error: this.code,
      error_description: this.code === undefined ? undefined : this.description,
      scope: this.scope,
      resource_metadata: this.resourceMetadataUrl,
    })
    return { 'www-authenticate': challenge }
  }

  /**
   * @internal The response `sendAuthError` writes. This package's own errors share one,
   * built once per metadata URL, reason and required scopes; any other class (a user's
   * subclass may answer per instance), or an error with a member of the response
   * overridden on it, gets its own.
   */
  get response(): ErrorResponse {
    if (!SHARED_RESPONSE_CLASSES.has(this.constructor) || RESPONSE_MEMBERS.some((name) => Object.hasOwn(this, name))) {
      return buildResponse(this)
    }
    const metadata = this.resourceMetadataUrl
    let byKey = responses.get(metadata)
    if (byKey === undefined) {
      if (responses.size >= 16) responses.clear()
      responses.set(metadata, (byKey = new Map()))
    }
    const scope = this.scope
    // unambiguous: a reason holds no space
    const key = scope === undefined ? this.reason : `${this.reason} ${scope}`
    const cached = byKey.get(key)
    if (cached !== undefined && cached.kind === this.constructor && cached.code === this.code) return cached
    const response = buildResponse(this)
    if (byKey.size >= 256) byKey.clear()
    byKey.set(key, response)
    return response
  }

  toJSON(): FastMcpAuthErrorBody {
    return this.code === undefined
      ? { error_description: this.description }
      : { error: this.code, error_description: this.description }
  }
}

/** No Bearer credentials at all (RFC 6750 §3.1: no error code). 401. */
export class MissingTokenError extends FastMcpAuthError {
  readonly status = 401
  readonly code = undefined
  constructor() {
    super('missing_token')
  }
}

/** A malformed request: bad header, several headers, a token in the query or body. 400. */
export class InvalidRequestError extends FastMcpAuthError {
  readonly status = 400
  readonly code = 'invalid_request' as const
  declare readonly reason: InvalidRequestReason
  constructor(reason: InvalidRequestReason) {
    super(reason)
  }
}

/** A token that is forged, expired, for another audience, revoked, or of the wrong use. 401. */
export class InvalidTokenError extends FastMcpAuthError {
  readonly status = 401
  readonly code = 'invalid_token' as const
  declare readonly reason: InvalidTokenReason
  constructor(reason: InvalidTokenReason, mismatch?: ClaimMismatch) {
    super(reason, mismatch)
  }
}

/** A valid token without every required scope. 403, with the scopes in the challenge. */
export class InsufficientScopeError extends FastMcpAuthError {
  readonly status = 403
  readonly code = 'insufficient_scope' as const
  declare readonly reason: InsufficientScopeReason
  /** Every scope the route requires. */
  readonly requiredScopes: readonly string[]
  constructor(requiredScopes: readonly string[]) {
    super('insufficient_scope')
    this.requiredScopes = requiredScopes
  }

  override get scope(): string {
    return this.requiredScopes.join(' ')
  }
}

/** The server cannot decide now (no key yet, store unreachable). 503 with `Retry-After`. */
abstract class UnavailableError extends FastMcpAuthError {
  readonly status = 503
  readonly code = 'temporarily_unavailable' as const
  declare readonly reason: UnavailableReason

  override get headers(): Record<string, string> {
    return { 'retry-after': '5' }
  }
}

/** The signing key is not available (derivation failed or is still running). 503. */
export class KeyUnavailableError extends UnavailableError {
  constructor() {
    super('key_unavailable')
  }
}

/**
 * The shared token store is unreachable (or has been for longer than `maxStalenessMs`).
 * 503. A `revoke()` that rejects with it has taken effect locally and keeps retrying.
 */
export class StoreUnavailableError extends UnavailableError {
  constructor() {
    super('store_unavailable')
  }
}

// the classes whose response is a function of the metadata URL, reason and scopes alone
const SHARED_RESPONSE_CLASSES = new Set<Function>([
  MissingTokenError, InvalidRequestError, InvalidTokenError, InsufficientScopeError, KeyUnavailableError, StoreUnavailableError,
])

function buildResponse(error: FastMcpAuthError): ErrorResponse {
  const body = JSON.stringify(error.toJSON())
  const headers: (readonly [string, string | number])[] = Object.entries(error.headers).map(([name, value]) => Object.freeze([name, value] as const))
  headers.push(
    Object.freeze(['content-type', 'application/json; charset=utf-8'] as const),
    Object.freeze(['cache-control', 'no-store'] as const),
    Object.freeze(['content-length', Buffer.byteLength(body)] as const),
  )
  // shared by every request that gets it: nothing may change it
  return Object.freeze({ headers: Object.freeze(headers), body, kind: error.constructor, code: error.code })
}

/**
 * The RFC 6749 §5.2 form of a 503 (`temporarily_unavailable`), with the same fixed
 * description the middleware's 503 for `reason` carries.
 */
export function temporarilyUnavailable(reason: UnavailableReason = 'store_unavailable'): OAuthError {
  return new OAuthError('temporarily_unavailable', DESCRIPTIONS[reason])
}

/** RFC 6749 §5.2 error codes (and 503's), as a token or revocation endpoint answers them. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable'

const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  temporarily_unavailable: 503,
}

/**
 * An RFC 6749 §5.2 error from a grant (`exchangeRefreshToken`, `tokenEndpoint`): `error`
 * is the code, `status` the HTTP status (400; 401 for `invalid_client`, with
 * `WWW-Authenticate: Basic`; 503 for `temporarily_unavailable`, with `Retry-After`), and
 * `description` a fixed, client-safe text that never holds a token.
 */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode
  readonly status: number
  readonly expose = true

  constructor(error: OAuthErrorCode, description: string) {
    const limit = Error.stackTraceLimit
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = 0
    super(description)
    if (STACK_LIMIT_WRITABLE) Error.stackTraceLimit = limit
    this.error = error
    this.status = OAUTH_STATUS[error]
  }

  override get name(): string {
    return 'OAuthError'
  }

  get statusCode(): number {
    return this.status
  }

  get description(): string {
    return this.message
  }

  /** Response headers, lower-case. */
  get headers(): Record<string, string> {
    if (this.error === 'invalid_client') return { 'www-authenticate': 'Basic realm="token"' }
    if (this.error === 'temporarily_unavailable') return { 'retry-after': '5' }
    return {}
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message }
  }
}
