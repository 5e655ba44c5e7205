// auth.verifyAccessToken: requireFastMcpToken's decision on a bare token (RFC 6750 §3.1
// errors, the same length bound, cache, full verification, refresh tokens refused,
// revocations), for code that holds a token but is no middleware: SDK v2's
// OAuthTokenVerifier, a WebSocket upgrade, a queue consumer.
import { checkBearerToken } from './bearer.js'
import { FastMcpAuthError, InvalidRequestError, InvalidTokenError } from './errors.js'
import type { AuthInfo } from './types.js'
import type { AccessTokenVerifier } from './verifier.js'

/**
 * Builds `verifyAccessToken(token)`: resolves to the same frozen AuthInfo the middleware
 * would put on `req.auth`, or rejects with the same typed error (its `resourceMetadataUrl`
 * set, so `error.headers` is the challenge the middleware would send). A token with
 * characters outside RFC 6750's b64token is `invalid_token` (`malformed`) here: there is
 * no header to be malformed. No hook runs: there is no request.
 */
export function createVerifyAccessToken(
  verifier: AccessTokenVerifier,
  maxTokenLength: number,
  metadataUrl: () => string | undefined,
): (token: string) => Promise<AuthInfo> {
  return async function verifyAccessToken(token) {
    try {
      if (typeof token !== 'string' || token.length === 0) throw new InvalidTokenError('malformed')
      if (token.length > maxTokenLength) throw new InvalidTokenError('too_large')
      // as in the middleware: a hit is byte-identical to a token whose characters passed
      const hit = verifier.lookup(token)
      if (hit !== undefined) return hit.auth
      return (await verifier.verify(checkBearerToken(token))).auth
    } catch (err) {
      const error = err instanceof InvalidRequestError || !(err instanceof FastMcpAuthError) ? new InvalidTokenError('malformed') : err
      if (error.status !== 503) error.resourceMetadataUrl = metadataUrl()
      throw error
    }
  }
}
