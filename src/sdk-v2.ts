// `fastmcp-auth-express/sdk-v2`: this package's token decision as MCP TypeScript SDK v2's
// `OAuthTokenVerifier`, for v2's own bearer gates (`requireBearerAuth` from
// `@modelcontextprotocol/express`, or the fetch-shaped one from `@modelcontextprotocol/server`).
// The only module that loads the v2 server package, which is an optional peer dependency.
import { OAuthError, OAuthErrorCode, type OAuthTokenVerifier, type VerifyBearerTokenOptions } from '@modelcontextprotocol/server'
import type { FastMcpAuth } from './auth.js'
import { FastMcpAuthError } from './errors.js'

/**
 * Wraps `auth.verifyAccessToken` as SDK v2's `OAuthTokenVerifier`. Refusals become the
 * `OAuthError` v2 maps to status codes: every refused token is `invalid_token` (401) with
 * this package's fixed description; a server that cannot verify yet (no key, store
 * unreachable) is `server_error`, which v2 answers with 500 (v2 has no 503 path).
 *
 * @example
 * import { requireBearerAuth } from '@modelcontextprotocol/express'
 * app.use('/mcp', requireBearerAuth({ verifier: createFastMcpTokenVerifier(auth), resourceMetadataUrl: auth.resourceMetadataUrl }))
 */
export function createFastMcpTokenVerifier(auth: Pick<FastMcpAuth, 'verifyAccessToken'>): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token) {
      try {
        return await auth.verifyAccessToken(token)
      } catch (err) {
        throw toOAuthError(err)
      }
    },
  }
}

/**
 * The options for v2's `requireBearerAuth` that use this package's decision and send its
 * metadata URL in v2's challenges. Call it after `auth.protectedResourceMetadata()` when
 * the URL comes from there. `requiredScopes` are checked by v2 against the AuthInfo this
 * package builds, so `scopeHierarchy` applies.
 *
 * @example
 * app.use('/mcp', requireBearerAuth(createBearerAuthOptions(auth, { requiredScopes: ['notes:read'] })))
 */
export function createBearerAuthOptions(
  auth: Pick<FastMcpAuth, 'verifyAccessToken' | 'resourceMetadataUrl'>,
  options: { requiredScopes?: string[] } = {},
): VerifyBearerTokenOptions {
  const result: VerifyBearerTokenOptions = { verifier: createFastMcpTokenVerifier(auth) }
  if (auth.resourceMetadataUrl !== undefined) result.resourceMetadataUrl = auth.resourceMetadataUrl
  if (options.requiredScopes !== undefined) result.requiredScopes = [...options.requiredScopes]
  return result
}

function toOAuthError(err: unknown): OAuthError {
  if (err instanceof FastMcpAuthError && err.status === 503) return new OAuthError(OAuthErrorCode.ServerError, err.description)
  // a refusal's description comes from the fixed table: never library text or the token
  const description = err instanceof FastMcpAuthError ? err.description : 'The token is malformed'
  return new OAuthError(OAuthErrorCode.InvalidToken, description)
}
