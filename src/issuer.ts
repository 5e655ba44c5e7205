// JWTIssuer: mints FastMCP's HS256 access and refresh tokens byte for byte, and verifies
// them with FastMCP's meaning plus stricter claim rules (exp required, typed claims, nbf).
import { createHmac, createSecretKey, randomUUID, type KeyObject } from 'node:crypto'
import { errors as joseErrors, jwtVerify, type CryptoKey } from 'jose'
import { constantTimeEqual } from './cache.js'
import { decodeJsonSegment, splitCompact, type CompactSegments } from './compact.js'
import { InvalidTokenError, type InvalidTokenReason } from './errors.js'
import { isPlainObject, type FastMcpClaims, type JsonValue } from './types.js'

/** A signing key: the 44 bytes FastMCP derives, as bytes or as their text. */
export type SigningKey = Uint8Array | string

/** Milliseconds since the epoch, like `Date.now`. */
export type Clock = () => number

export interface JWTIssuerOptions {
  /** `iss` to mint and to require; compared as an exact string. */
  issuer: string
  /** `aud` to mint and to require; compared as an exact string (an array is refused). */
  audience: string
  /** The HS256 key: the 44-byte output of `deriveJwtKey`, as bytes or text. */
  signingKey: SigningKey
  /** Older keys tried for verification only, in order, so a secret can rotate. */
  previousSigningKeys?: readonly SigningKey[]
  /** Leeway for the `exp` and `nbf` checks, in seconds. @default 0 */
  clockToleranceSeconds?: number
  /**
   * Longest life a token may have left, in seconds: one whose `exp` lies further ahead than
   * now plus this (plus the tolerance) is refused as `lifetime_exceeded`, and minting longer
   * tokens throws. It bounds how long a revocation must be remembered.
   * @default 34560000 (400 days)
   */
  maxTokenLifetimeSeconds?: number
  /**
   * Mint with the header FastMCP wrote before 3.4 (authlib), `{"alg":"HS256","typ":"JWT"}`,
   * instead of 3.4+'s (joserfc) `{"typ":"JWT","alg":"HS256"}`. Both verify either way.
   * @default false
   */
  legacyHeader?: boolean
  /** Clock for tests, in milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

export interface IssueTokenInput {
  clientId: string
  scopes: readonly string[]
  /** @default a random UUID */
  jti?: string
  /** Copied into `upstream_claims` when non-empty. Signed, not encrypted. */
  upstreamClaims?: { [key: string]: JsonValue } | undefined
  /** The `sub` claim (FastMCP 3.4+ `subject`): who the token speaks for. */
  subject?: string | undefined
  /**
   * Extra top-level claims, written after `sub` (FastMCP 3.4+ `extra_claims`). They may
   * not name a claim this package writes or checks (`RESERVED_CLAIMS`): FastMCP would let
   * them overwrite it; this throws a TypeError instead.
   */
  extraClaims?: { [claim: string]: JsonValue } | undefined
}

export interface IssueAccessTokenInput extends IssueTokenInput {
  /** Lifetime in seconds. @default 3600 */
  expiresIn?: number
}

export interface IssueRefreshTokenInput extends IssueTokenInput {
  /** Lifetime in seconds; refresh tokens always get an explicit lifetime, as in FastMCP. */
  expiresIn: number
}

/**
 * `access` refuses refresh tokens, `refresh` requires one (FastMCP 3.x `expected_token_use`;
 * a missing `token_use` reads as "access"); `any` accepts both.
 */
export type ExpectedTokenUse = 'access' | 'refresh' | 'any'

export interface VerifyTokenOptions {
  /** @default 'access', as FastMCP's `verify_token` since 3.x */
  expectedTokenUse?: ExpectedTokenUse
}

/** Claims the package writes or checks: `extraClaims` may not name them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'aud', 'client_id', 'scope', 'exp', 'iat', 'nbf', 'jti', 'sub', 'token_use', 'upstream_claims',
])

/** Default bound on a token's remaining life, seconds: 400 days. */
export const DEFAULT_MAX_TOKEN_LIFETIME = 400 * 24 * 3600

/** Default lifetime of an access token, seconds (FastMCP's). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME = 3600

/** The header FastMCP 3.4+ (joserfc) writes, and the one FastMCP before 3.4 (authlib) wrote. */
export const FASTMCP_HEADER_JSON = '{"typ":"JWT","alg":"HS256"}'
export const FASTMCP_LEGACY_HEADER_JSON = '{"alg":"HS256","typ":"JWT"}'
const FASTMCP_HEADER = Buffer.from(FASTMCP_HEADER_JSON).toString('base64url')
const FASTMCP_LEGACY_HEADER = Buffer.from(FASTMCP_LEGACY_HEADER_JSON).toString('base64url')
/** An HS256 signature's length: base64url of 32 bytes, no padding. */
export const SIGNATURE_LENGTH = 43

/**
 * Mints and verifies FastMCP's HS256 tokens. Each key is imported once, as a node:crypto
 * KeyObject (for the cheap signature check) and a WebCrypto CryptoKey (for jose).
 *
 * @example
 * const key = await deriveJwtKey({ lowEntropyMaterial: secret, salt: DEFAULT_SALT })
 * const issuer = new JWTIssuer({ issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp', signingKey: key })
 * const token = await issuer.issueAccessToken({ clientId: 'c1', scopes: ['read'] })
 * const claims = await issuer.verifyToken(token)
 */
export class JWTIssuer {
  readonly issuer: string
  readonly audience: string
  readonly clockToleranceSeconds: number
  /** Seconds; see `JWTIssuerOptions.maxTokenLifetimeSeconds`. */
  readonly maxTokenLifetimeSeconds: number
  readonly #header: string
  readonly #clock: Clock
  readonly #keyMaterial: Uint8Array[]
  /** node:crypto keys, signing key first: minting and the cheap signature check. */
  readonly #hmacKeys: KeyObject[]
  /** WebCrypto keys for jose, imported once on first use. */
  #joseKeys: Promise<CryptoKey[]> | undefined
  #joseKeysReady: CryptoKey[] | undefined

  constructor(options: JWTIssuerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('JWTIssuer: options are required')
    this.issuer = requireString(options.issuer, 'issuer')
    this.audience = requireString(options.audience, 'audience')
    this.clockToleranceSeconds = checkTolerance(options.clockToleranceSeconds)
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new TypeError('JWTIssuer: `clock` must be a function returning milliseconds')
    }
    this.#clock = options.clock ?? Date.now
    this.maxTokenLifetimeSeconds = checkLifetimeBound(options.maxTokenLifetimeSeconds)
    this.#header = options.legacyHeader === true ? FASTMCP_LEGACY_HEADER : FASTMCP_HEADER
    const previous = options.previousSigningKeys ?? []
    if (!Array.isArray(previous)) throw new TypeError('JWTIssuer: `previousSigningKeys` must be an array')
    this.#keyMaterial = [
      signingKeyBytes(options.signingKey, 'signingKey'),
      ...previous.map((k, i) => signingKeyBytes(k, `previousSigningKeys[${i}]`)),
    ]
    this.#hmacKeys = this.#keyMaterial.map((k) => createSecretKey(k))
  }

  /**
   * Mints an access token exactly as FastMCP's `issue_access_token` does.
   * @example
   * await issuer.issueAccessToken({ clientId: 'c1', scopes: ['read', 'write'], expiresIn: 600 })
   */
  async issueAccessToken(input: IssueAccessTokenInput): Promise<string> {
    return this.#mint(input, input.expiresIn ?? DEFAULT_ACCESS_TOKEN_LIFETIME, false)
  }

  /**
   * Mints a refresh token (`token_use: "refresh"`) exactly as FastMCP's `issue_refresh_token` does.
   * @example
   * await issuer.issueRefreshToken({ clientId: 'c1', scopes: ['read'], expiresIn: 30 * 86400 })
   */
  async issueRefreshToken(input: IssueRefreshTokenInput): Promise<string> {
    if (input?.expiresIn === undefined) throw new TypeError('issueRefreshToken: `expiresIn` is required')
    return this.#mint(input, input.expiresIn, true)
  }

  /**
   * Verifies a token: HS256 only, signature, `exp` (required), `nbf`, `iss` and `aud`
   * as exact strings, the types of FastMCP's claims, the lifetime bound, and the token use:
   * an access token unless `expectedTokenUse` says otherwise, as FastMCP's `verify_token`.
   *
   * @throws InvalidTokenError whose `reason` says why.
   * @example
   * const claims = await issuer.verifyToken(refreshToken, { expectedTokenUse: 'refresh' })
   */
  async verifyToken(token: string, options?: VerifyTokenOptions): Promise<FastMcpClaims> {
    return this.verifyCheckedToken(token, this.checkSignature(token), options)
  }

  /**
   * @internal
   * The cheap half of `verifyToken`, synchronously: the token's shape, its header, and its
   * HMAC by node:crypto, so a forged token is refused for the price of one HMAC. Verifies
   * no claim: finish with `verifyCheckedToken`.
   *
   * @returns the index of the key that signed it (0: `signingKey`, then `previousSigningKeys`).
   * @throws InvalidTokenError whose `reason` says why.
   */
  checkSignature(token: string): number {
    if (typeof token !== 'string') throw new InvalidTokenError('malformed')
    const segments = splitCompact(token)
    checkHeader(segments.header)
    return this.#matchSignature(segments)
  }

  /**
   * @internal
   * `verifyToken` after `checkSignature` returned `key`: jose verifies the token with that
   * key (jose stays the authority), then the claim rules apply.
   */
  async verifyCheckedToken(token: string, key: number, options?: VerifyTokenOptions): Promise<FastMcpClaims> {
    const keys = this.#joseKeysReady ?? (await this.#importJoseKeys())
    const joseKey = keys[key]
    if (joseKey === undefined) throw new InvalidTokenError('bad_signature')
    const nowMs = this.#clock()
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, joseKey, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        clockTolerance: this.clockToleranceSeconds,
        currentDate: new Date(nowMs),
      }))
    } catch (err) {
      throw new InvalidTokenError(joseReason(err))
    }
    return this.#checkClaims(payload, nowMs, options?.expectedTokenUse ?? 'access')
  }

  /**
   * The claim rules alone, for a payload whose signature is already verified: types,
   * time (the same rule the middleware's cache applies), issuer, audience, token use.
   */
  #checkClaims(payload: Record<string, unknown>, nowMs: number, expectedTokenUse: ExpectedTokenUse): FastMcpClaims {
    const { iss, aud, exp, jti, client_id: clientId, scope, iat, nbf, token_use: tokenUse, upstream_claims: upstream } = payload
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new InvalidTokenError('invalid_claim')
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw new InvalidTokenError('invalid_claim')
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw new InvalidTokenError('invalid_claim')
    const timeReason = checkTimes(exp, nbf as number | undefined, nowMs, this.clockToleranceSeconds)
    if (timeReason !== undefined) throw new InvalidTokenError(timeReason)
    if (typeof iss !== 'string') throw new InvalidTokenError('invalid_claim')
    if (iss !== this.issuer) {
      throw new InvalidTokenError('invalid_issuer', { claim: 'iss', expected: this.issuer, actual: iss })
    }
    if (aud !== this.audience) {
      throw new InvalidTokenError('invalid_audience', { claim: 'aud', expected: this.audience, actual: aud })
    }
    if (typeof jti !== 'string' || jti.length === 0) throw new InvalidTokenError('invalid_claim')
    if (typeof clientId !== 'string') throw new InvalidTokenError('invalid_claim')
    if (scope !== undefined && typeof scope !== 'string') throw new InvalidTokenError('invalid_claim')
    // FastMCP reads a missing token_use as "access"; any other value is neither kind
    if (tokenUse !== undefined && tokenUse !== 'refresh' && tokenUse !== 'access') throw new InvalidTokenError('invalid_claim')
    if (upstream !== undefined && !isPlainObject(upstream)) throw new InvalidTokenError('invalid_claim')
    if (payload.sub !== undefined && typeof payload.sub !== 'string') throw new InvalidTokenError('invalid_claim')
    // last, so a token refused for its issuer or audience keeps FastMCP's reason
    if (exp > Math.floor(nowMs / 1000) + this.maxTokenLifetimeSeconds + this.clockToleranceSeconds) {
      throw new InvalidTokenError('lifetime_exceeded')
    }
    if (expectedTokenUse === 'access' && tokenUse === 'refresh') throw new InvalidTokenError('refresh_token')
    if (expectedTokenUse === 'refresh' && tokenUse !== 'refresh') throw new InvalidTokenError('not_refresh_token')
    return payload as FastMcpClaims
  }

  /** Milliseconds since the epoch, from the configured clock. */
  now(): number {
    return this.#clock()
  }

  #mint(input: IssueTokenInput, expiresIn: number, refresh: boolean): string {
    if (typeof input !== 'object' || input === null) throw new TypeError('issue: input is required')
    const clientId = requireString(input.clientId, 'clientId', true)
    const scopes = checkScopes(input.scopes)
    const jti = input.jti === undefined ? randomUUID() : requireString(input.jti, 'jti')
    if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0 || expiresIn > this.maxTokenLifetimeSeconds) {
      throw new TypeError(`issue: \`expiresIn\` must be a whole number of seconds from 1 to maxTokenLifetimeSeconds (${this.maxTokenLifetimeSeconds})`)
    }
    const upstream = input.upstreamClaims
    if (upstream !== undefined && !isPlainObject(upstream)) throw new TypeError('issue: `upstreamClaims` must be a plain object')
    const subject = input.subject === undefined ? undefined : requireString(input.subject, 'subject')
    const extra = input.extraClaims
    if (extra !== undefined) {
      if (!isPlainObject(extra)) throw new TypeError('issue: `extraClaims` must be a plain object')
      const reserved = Object.keys(extra).find((name) => RESERVED_CLAIMS.has(name))
      if (reserved !== undefined) throw new TypeError(`issue: \`extraClaims\` may not set \`${reserved}\`, a claim this package writes or checks`)
    }
    const iat = Math.floor(this.#clock() / 1000)
    // key order is FastMCP's: iss, aud, client_id, scope, exp, iat, jti, sub, extra claims,
    // token_use, upstream_claims
    const payload: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.audience,
      client_id: clientId,
      scope: scopes.join(' '),
      exp: iat + expiresIn,
      iat,
      jti,
    }
    if (subject !== undefined) payload.sub = subject
    if (extra !== undefined) Object.assign(payload, extra)
    if (refresh) payload.token_use = 'refresh'
    if (upstream !== undefined && Object.keys(upstream).length > 0) payload.upstream_claims = upstream
    const signingInput = `${this.#header}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`
    return `${signingInput}.${createHmac('sha256', this.#hmacKeys[0]!).update(signingInput).digest('base64url')}`
  }

  /**
   * A cheap HMAC check with node:crypto before jose runs, so a flood of forged tokens
   * costs one HMAC each. Returns the index of the key that signed the token.
   */
  #matchSignature({ signingInput, signature }: CompactSegments): number {
    if (signature.length !== SIGNATURE_LENGTH) throw new InvalidTokenError('bad_signature')
    const keys = this.#hmacKeys
    for (let i = 0; i < keys.length; i++) {
      if (hmacSignatureMatches(keys[i]!, signingInput, signature)) return i
    }
    throw new InvalidTokenError('bad_signature')
  }

  #importJoseKeys(): Promise<CryptoKey[]> {
    this.#joseKeys ??= Promise.all(
      this.#keyMaterial.map((k) => crypto.subtle.importKey('raw', k, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])),
    ).then((keys) => (this.#joseKeysReady = keys))
    return this.#joseKeys
  }
}

/**
 * The time rule, shared by full verification and the middleware's cache so a cache hit
 * can never outlive what verification would accept. Same arithmetic as jose: whole
 * seconds, `exp` must be later than now minus the tolerance.
 */
export function checkTimes(
  exp: number,
  nbf: number | undefined,
  nowMs: number,
  toleranceSeconds: number,
): InvalidTokenReason | undefined {
  const now = Math.floor(nowMs / 1000)
  // a broken clock (NaN, ±Infinity) refuses every token: fail closed
  if (!Number.isFinite(now) || exp <= now - toleranceSeconds) return 'expired'
  if (nbf !== undefined && nbf > now + toleranceSeconds) return 'not_yet_valid'
  return undefined
}

/**
 * The first moment, in milliseconds, at which `checkTimes` refuses a token for `exp`:
 * whole seconds, so a fractional `exp` or tolerance is accepted until the next full second.
 * Caches and revocations that must outlive acceptance end here, not earlier.
 */
export function acceptedUntilMs(exp: number, toleranceSeconds: number): number {
  return Math.ceil(exp + toleranceSeconds) * 1000
}

/**
 * Whether `signature` is the HS256 signature of `signingInput` by `key`, compared in
 * constant time as text: a non-canonical base64url signature is refused, not decoded to
 * the same bytes.
 */
export function hmacSignatureMatches(key: KeyObject | Uint8Array, signingInput: string, signature: string): boolean {
  return constantTimeEqual(createHmac('sha256', key).update(signingInput).digest('base64url'), signature)
}

function checkHeader(segment: string): void {
  // both generations of FastMCP's header skip the decode
  if (segment === FASTMCP_HEADER || segment === FASTMCP_LEGACY_HEADER) return
  const header = decodeJsonSegment(segment)
  if (!('alg' in header)) throw new InvalidTokenError('missing_algorithm')
  // exact, case-sensitive: "hs256", "none", "HS512", "RS256" are all refused before any HMAC
  if (header.alg !== 'HS256') throw new InvalidTokenError('unsupported_algorithm')
  if ('crit' in header) throw new InvalidTokenError('invalid_crit_header')
}

function joseReason(err: unknown): InvalidTokenReason {
  if (err instanceof joseErrors.JWTExpired) return 'expired'
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return err.reason === 'check_failed' && err.claim === 'nbf' ? 'not_yet_valid' : 'invalid_claim'
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature'
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'unsupported_algorithm'
  if (err instanceof joseErrors.JOSENotSupported || err instanceof joseErrors.JWSInvalid) {
    return err.message.includes('crit') ? 'invalid_crit_header' : 'malformed'
  }
  return 'malformed'
}

/** The bytes of a signing key, or a TypeError naming the option. */
export function signingKeyBytes(key: SigningKey, name: string): Uint8Array {
  // a copy: a caller that wipes its buffer afterwards must not change the key under us
  const bytes = typeof key === 'string' ? new Uint8Array(Buffer.from(key, 'utf8')) : key instanceof Uint8Array ? new Uint8Array(key) : undefined
  if (bytes === undefined) throw new TypeError(`\`${name}\` must be a string or a Uint8Array`)
  // HMAC keys shorter than the hash output weaken HS256 (RFC 7518 §3.2); FastMCP's are 44 bytes
  if (bytes.length < 32) throw new TypeError(`\`${name}\` must be at least 32 bytes (use deriveJwtKey)`)
  return bytes
}

function requireString(value: unknown, name: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new TypeError(`\`${name}\` must be a non-empty string`)
  }
  return value
}

function checkTolerance(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError('`clockToleranceSeconds` must be a number of seconds, 0 or more')
  }
  return value
}

function checkLifetimeBound(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_TOKEN_LIFETIME
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError('`maxTokenLifetimeSeconds` must be a whole number of seconds, 1 or more')
  }
  return value
}

function checkScopes(scopes: unknown): readonly string[] {
  if (!Array.isArray(scopes)) throw new TypeError('issue: `scopes` must be an array of strings')
  scopes.forEach((scope, i) => {
    if (typeof scope !== 'string') throw new TypeError(`issue: \`scopes[${i}]\` must be a string`)
    // the claim joins scopes with one space, and FastMCP splits it with Python's str.split(),
    // which also splits on Unicode whitespace and \x1c-\x1f: any of them would grant two scopes
    if (/[\s\x1c-\x1f\x85]/.test(scope)) throw new TypeError(`issue: \`scopes[${i}]\` contains whitespace; pass each scope as its own item`)
  })
  return scopes as readonly string[]
}
