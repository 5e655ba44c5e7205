// Refresh-token rotation with reuse detection (OAuth 2.1 §4.3.1, RFC 9700 §4.14): a refresh
// token works once; a replay after the grace window means it leaked, and the whole family
// (grant) is revoked. The store decides first use atomically across instances.
import { randomUUID } from 'node:crypto'
import { FastMcpAuthError, InvalidTokenError, OAuthError, temporarilyUnavailable } from './errors.js'
import { callHook } from './hooks.js'
import { acceptedUntilMs, type Clock } from './issuer.js'
import type { TokenStore } from './store/types.js'
import { parseScopes, type FastMcpClaims, type JsonValue } from './types.js'

/** What a refresh exchange came to, for `onRefresh`. */
export type RefreshResult = 'rotated' | 'grace' | 'reuse_detected' | 'refused'

/** What `onRefresh` receives. Never the token. */
export interface RefreshEvent {
  result: RefreshResult
  /** The refresh token's `client_id`, once it verified. */
  clientId?: string
  /** The refresh family (grant) id, once the store answered. */
  family?: string
  /** Why it was refused: the OAuth error code. */
  error?: OAuthError['error']
}

export interface ExchangeRefreshTokenOptions {
  /** The authenticated client, if any: must be the token's `client_id` (else `invalid_grant`). */
  clientId?: string
  /** Narrower scopes for the new access token; a subset of the grant (RFC 6749 §6). */
  scopes?: readonly string[]
}

/** The new pair a successful exchange mints, in the family of the token it replaces. */
export interface SuccessorPair {
  clientId: string
  /** The access token's scopes (the request's, or the grant's). */
  scopes: readonly string[]
  /** The refresh token keeps the whole grant. */
  grantedScopes: readonly string[]
  subject: string | undefined
  upstreamClaims: { [key: string]: JsonValue } | undefined
  family: string
}

export interface RefreshExchangeSettings<R> {
  store: TokenStore
  clock: Clock
  toleranceSeconds: number
  /** Replays this long after the first use get a pair too, in milliseconds; 0: none. */
  graceMs: number
  /** Verifies a refresh token (signature, exp, token use, revocation). */
  verifyRefreshToken: (token: string) => Promise<FastMcpClaims>
  /** Mints the successor pair and records it in its family. */
  mintPair: (pair: SuccessorPair) => Promise<R>
  onRefresh: ((event: RefreshEvent) => void) | undefined
}

/**
 * Builds `exchangeRefreshToken(token, options)`.
 * @throws OAuthError: `invalid_request` (no token), `invalid_grant` (invalid, expired,
 *   revoked, reused, another client's), `invalid_scope`, `temporarily_unavailable` (the
 *   key or the store is unavailable: single use cannot be guaranteed, nothing is issued).
 */
export function createRefreshExchange<R>(settings: RefreshExchangeSettings<R>) {
  const emit = (event: RefreshEvent): void => callHook(settings.onRefresh, event)
  const refuse = (error: OAuthError, event: Omit<RefreshEvent, 'result' | 'error'> = {}): never => {
    emit({ result: 'refused', error: error.error, ...event })
    throw error
  }

  return async function exchangeRefreshToken(refreshToken: string, options: ExchangeRefreshTokenOptions = {}): Promise<R> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0) refuse(new OAuthError('invalid_request', 'refresh_token is required'))
    let claims: FastMcpClaims
    try {
      claims = await settings.verifyRefreshToken(refreshToken)
    } catch (err) {
      if (err instanceof FastMcpAuthError && err.status === 503) return refuse(temporarilyUnavailable())
      return refuse(new OAuthError('invalid_grant', err instanceof InvalidTokenError && err.reason === 'expired'
        ? 'The refresh token has expired'
        : 'The refresh token is invalid or revoked'))
    }
    const clientId = claims.client_id
    if (options.clientId !== undefined && options.clientId !== clientId) {
      refuse(new OAuthError('invalid_grant', 'The refresh token was issued to another client'), { clientId })
    }
    const granted = parseScopes(claims.scope)
    const scopes = options.scopes ?? granted
    if (scopes.some((scope) => !granted.includes(scope))) {
      refuse(new OAuthError('invalid_scope', 'The requested scope exceeds the scope granted'), { clientId })
    }
    let use
    try {
      use = await settings.store.useRefreshToken({
        jti: claims.jti,
        until: acceptedUntilMs(claims.exp, settings.toleranceSeconds),
        now: settings.clock(),
        graceMs: settings.graceMs,
        newFamily: randomUUID(),
      })
    } catch {
      return refuse(temporarilyUnavailable(), { clientId })
    }
    const { family } = use
    if (use.result === 'reused') {
      emit({ result: 'reuse_detected', clientId, family })
      throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked')
    }
    if (use.result === 'revoked') refuse(new OAuthError('invalid_grant', 'The refresh token is invalid or revoked'), { clientId, family })
    let pair: R
    try {
      pair = await settings.mintPair({
        clientId,
        scopes,
        grantedScopes: granted,
        subject: typeof claims.sub === 'string' ? claims.sub : undefined,
        upstreamClaims: claims.upstream_claims,
        family,
      })
    } catch {
      // minted but not recorded in the family: never hand out a pair reuse detection cannot revoke
      return refuse(temporarilyUnavailable(), { clientId, family })
    }
    emit({ result: use.result === 'first' ? 'rotated' : 'grace', clientId, family })
    return pair
  }
}
