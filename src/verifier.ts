// The access-token decision without HTTP: cache first (same token, same time rule, not
// revoked), then full verification by JWTIssuer, then a frozen AuthInfo for `req.auth`.
import { TokenCache } from './cache.js'
import { InvalidTokenError, KeyUnavailableError, StoreUnavailableError } from './errors.js'
import { acceptedUntilMs, checkTimes, type Clock, type JWTIssuer, type VerifyTokenOptions } from './issuer.js'
import type { TokenStore } from './store/types.js'
import { parseScopes, type AuthInfo, type FastMcpAuthExtra, type FastMcpClaims } from './types.js'

export interface AccessTokenVerifierOptions {
  /** Resolves to the issuer once the key exists. */
  issuer: Promise<JWTIssuer>
  cache: TokenCache | undefined
  store: TokenStore
  clock: Clock
  toleranceSeconds: number
  /** How long a request may wait for the key (and the store's first load) before a 503, in milliseconds. */
  keyWaitMs: number
  /** Refuse every request (503) once the store has been unreachable this long, ms; undefined: never. */
  maxStalenessMs: number | undefined
  /** Builds the frozen AuthInfo of a verified token. @default toAuthInfo */
  toAuthInfo?: (token: string, claims: FastMcpClaims) => AuthInfo
}

/** A verified access token: what goes on `req.auth`, and whether the cache answered. */
export interface VerifiedAccessToken {
  auth: AuthInfo
  claims: FastMcpClaims
  cached: boolean
}

// how many tokens keep a ready AuthInfo (about 1.5 KB each)
const RECENT_MAX = 512
// how many forged tokens are remembered (at most maxTokenLength characters each)
const FORGED_MAX = 256
const FORGED_MAX_LENGTH = 8192

export class AccessTokenVerifier {
  readonly #options: AccessTokenVerifierOptions
  readonly #recent = new Map<string, VerifiedAccessToken>()
  /** Tokens whose signature failed, oldest first: forgeries an attacker replays. */
  readonly #forged = new Set<string>()
  readonly #toAuthInfo: (token: string, claims: FastMcpClaims) => AuthInfo
  #issuer: JWTIssuer | undefined
  #keyError: unknown
  /** Resolves once the key exists and the store holds every live revocation. */
  readonly #ready: Promise<JWTIssuer>

  constructor(options: AccessTokenVerifierOptions) {
    this.#options = options
    this.#toAuthInfo = options.toAuthInfo ?? toAuthInfo
    // no token is accepted before the store has loaded what is still revoked
    this.#ready = Promise.all([options.issuer, options.store.ready()]).then(([issuer]) => issuer)
    this.#ready.then(
      (issuer) => { this.#issuer = issuer },
      (err: unknown) => { this.#keyError = err },
    )
  }

  /**
   * The cache's answer, synchronously: a verified token for a hit, `undefined` for a
   * miss (verify it), or a throw when the hit is expired or revoked, exactly as full
   * verification would decide.
   */
  lookup(token: string): VerifiedAccessToken | undefined {
    const cache = this.#options.cache
    if (cache === undefined) return undefined
    const jti = readUnverifiedJti(token)
    if (jti === undefined) return undefined
    const entry = cache.get(jti, token)
    if (entry === undefined) return undefined
    this.#checkFresh()
    const reason = checkTimes(entry.claims.exp, entry.claims.nbf, this.#options.clock(), this.#options.toleranceSeconds)
    if (reason !== undefined) throw new InvalidTokenError(reason)
    if (this.#options.store.isRevoked(jti)) throw this.#refuseRevoked(entry.claims)
    const recent = this.#recent.get(entry.token)
    if (recent !== undefined) return recent
    // the very bytes jose verified, decoded as jose decodes them: these are the verified claims
    const claims = readUnverifiedPayload(entry.token) as FastMcpClaims | undefined
    if (claims === undefined) return undefined
    return this.#remember(entry.token, { auth: this.#toAuthInfo(entry.token, claims), claims, cached: true })
  }

  /**
   * A token whose signature already failed here: its refusal, returned, not thrown (on a
   * flood, throwing costs more than the lookup). `undefined` for any other token. Every
   * remembered token passed `splitCompact`, so it is a well-formed b64token too.
   * @throws StoreUnavailableError when the store is stale past `maxStalenessMs`, as `verify`.
   */
  knownForgery(token: string): InvalidTokenError | undefined {
    // a store stale past maxStalenessMs answers 503 for every token, this one too
    this.#checkFresh()
    return this.#remembersForgery(token) ? new InvalidTokenError('bad_signature') : undefined
  }

  /**
   * Full verification of an access token (a cache miss), then caching it. The cheap checks
   * run first and throw synchronously, so a forged token costs one HMAC and no promise.
   */
  verify(token: string): Promise<VerifiedAccessToken> {
    this.#checkFresh()
    const issuer = this.#issuer
    if (issuer === undefined) return this.#waitForIssuer().then((ready) => this.#verify(ready, token, this.#checkSignature(ready, token)))
    return this.#verify(issuer, token, this.#checkSignature(issuer, token))
  }

  /**
   * The HMAC check, remembering the last few tokens whose signature failed: the keys never
   * change, so such a token fails forever, and a flood replaying one forgery costs a Map
   * lookup instead of an HMAC. A flood of distinct forgeries still costs one HMAC each.
   */
  #checkSignature(issuer: JWTIssuer, token: string): number {
    if (this.#remembersForgery(token)) throw new InvalidTokenError('bad_signature')
    try {
      return issuer.checkSignature(token)
    } catch (err) {
      const forged = this.#forged
      if (err instanceof InvalidTokenError && err.reason === 'bad_signature' && token.length <= FORGED_MAX_LENGTH) {
        if (forged.size >= FORGED_MAX) forged.delete(forged.values().next().value!)
        forged.add(token)
      }
      throw err
    }
  }

  #remembersForgery(token: string): boolean {
    const forged = this.#forged
    return forged.size !== 0 && forged.has(token)
  }

  async #verify(issuer: JWTIssuer, token: string, key: number): Promise<VerifiedAccessToken> {
    const claims = this.#unlessRevoked(await issuer.verifyCheckedToken(token, key, { expectedTokenUse: 'access' }))
    const auth = this.#toAuthInfo(token, claims)
    const cache = this.#options.cache
    if (cache === undefined) return { auth, claims, cached: false }
    cache.set({ token, claims })
    this.#remember(token, { auth, claims, cached: true })
    return { auth, claims, cached: false }
  }

  /**
   * Keeps the frozen AuthInfo of the last few tokens hit, so a busy client's requests
   * share one instead of decoding and building it each time. It is a function of the
   * token's bytes, only read after a cache hit, and bounded, so cached entries stay small.
   */
  #remember(token: string, verified: VerifiedAccessToken): VerifiedAccessToken {
    const recent = this.#recent
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!)
    recent.set(token, verified)
    return verified
  }

  /** Forgets the shared AuthInfos, after a setting they carry (the metadata URL) changed. */
  forgetAuthInfos(): void {
    this.#recent.clear()
  }

  /** A FastMCP token (an access token unless told otherwise), revocations included: `auth.verifyToken`. */
  async verifyToken(token: string, options?: VerifyTokenOptions): Promise<FastMcpClaims> {
    const issuer = await this.issuer()
    return this.#unlessRevoked(await issuer.verifyToken(token, options))
  }

  #unlessRevoked(claims: FastMcpClaims): FastMcpClaims {
    if (this.#options.store.isRevoked(claims.jti)) throw this.#refuseRevoked(claims)
    return claims
  }

  /** With `maxStalenessMs`, fails closed once the store has been out of reach that long. */
  #checkFresh(): void {
    const max = this.#options.maxStalenessMs
    if (max !== undefined && this.#options.store.staleForMs(this.#options.clock()) > max) throw new StoreUnavailableError()
  }

  /**
   * The refusal for a verified token whose jti is revoked. Now that its `exp` is known, the
   * revocation is stretched to last as long as the token could be accepted.
   */
  #refuseRevoked(claims: { jti: string; exp: number }): InvalidTokenError {
    const until = acceptedUntilMs(claims.exp, this.#options.toleranceSeconds)
    // a full or unreachable store keeps the revocation it has; the refusal stands either way
    this.#options.store.revoke([{ jti: claims.jti, until }]).catch(() => {})
    return new InvalidTokenError('revoked')
  }

  /** The issuer, waiting at most `keyWaitMs` for the key; a 503 error otherwise. */
  async issuer(): Promise<JWTIssuer> {
    return this.#issuer ?? this.#waitForIssuer()
  }

  #waitForIssuer(): Promise<JWTIssuer> {
    if (this.#keyError !== undefined) return Promise.reject(new KeyUnavailableError())
    return new Promise((resolve, reject) => {
      let keyReady = false
      this.#options.issuer.then(() => { keyReady = true }, () => {})
      // which of the two kept the request waiting decides the 503's reason
      const timer = setTimeout(() => reject(keyReady ? new StoreUnavailableError() : new KeyUnavailableError()), this.#options.keyWaitMs)
      this.#ready.then(
        (issuer) => { clearTimeout(timer); resolve(issuer) },
        () => { clearTimeout(timer); reject(new KeyUnavailableError()) },
      )
    })
  }
}

/**
 * Reads `jti` from a token without verifying it: only a cache key. A hit still needs the
 * byte-identical token that was verified, so a lie here can only cause a miss.
 */
export function readUnverifiedJti(token: string): string | undefined {
  const start = token.indexOf('.') + 1
  const end = token.indexOf('.', start)
  if (start === 0 || end === -1) return undefined
  // FastMCP writes `"jti":"<ascii>"`: find it without parsing the whole payload
  const found = JTI.exec(Buffer.from(token.slice(start, end), 'base64url').toString('latin1'))
  if (found !== null) return found[1]
  const jti = readUnverifiedPayload(token)?.jti // spaces, escapes, non-ASCII: parse it
  return typeof jti === 'string' ? jti : undefined
}

// the first `"jti":"` is the top-level one in FastMCP's key order; quotes inside strings are escaped
const JTI = /"jti":"([\x20\x21\x23-\x5B\x5D-\x7E]*)"/

/**
 * Reads a token's payload without verifying it, decoded exactly as jose decodes it, so
 * for a cached token these are the claims jose verified.
 */
export function readUnverifiedPayload(token: string): Record<string, unknown> | undefined {
  const start = token.indexOf('.') + 1
  const end = token.indexOf('.', start)
  if (start === 0 || end === -1) return undefined
  try {
    const payload: unknown = JSON.parse(joseDecoder.decode(Buffer.from(token.slice(start, end), 'base64url')))
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

// what jose 6 decodes claims with: strict UTF-8, a leading BOM stripped
const joseDecoder = new TextDecoder('utf-8', { fatal: true })

/** The MCP SDK's AuthInfo for verified claims, frozen: cache hits share it. */
export function toAuthInfo(token: string, claims: FastMcpClaims): AuthInfo {
  const extra: FastMcpAuthExtra = { claims, jti: claims.jti }
  if (claims.iat !== undefined) extra.iat = claims.iat
  if (claims.upstream_claims !== undefined) extra.upstreamClaims = claims.upstream_claims
  if (typeof claims.sub === 'string') extra.sub = claims.sub
  const auth: AuthInfo = {
    token,
    clientId: claims.client_id,
    scopes: parseScopes(claims.scope),
    expiresAt: claims.exp,
    extra,
  }
  if (URL.canParse(claims.aud)) auth.resource = new URL(claims.aud)
  return deepFreeze(auth)
}

// iterative: claims nested deeper than the call stack still freeze (and verify)
function deepFreeze<T>(root: T): T {
  const pending: unknown[] = [root]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value !== 'object' || value === null || Object.isFrozen(value) || value instanceof URL) continue
    Object.freeze(value)
    for (const key of Object.keys(value)) pending.push((value as Record<string, unknown>)[key])
  }
  return root
}
