// The AuthInfo this package hands on: the SDK's shape for verified claims (verifier.ts),
// with the scope hierarchy applied (MCP 2026-07-28: servers MUST account for scope
// hierarchies) and the RFC 9728 metadata URL that SDK v2's scope challenges advertise.
import type { ScopeExpansion } from './scopes.js'
import type { AuthInfo, FastMcpAuthExtra, FastMcpClaims } from './types.js'
import { toAuthInfo } from './verifier.js'

/** Builds the AuthInfo for a verified token; runs once per token, not per request. */
export type AuthInfoBuilder = (token: string, claims: FastMcpClaims) => AuthInfo

/**
 * Makes the builder the verifier uses: `scopes` becomes the token's scopes plus everything
 * they imply (the token's own first), `extra.grantedScopes` keeps the token's own list, and
 * `resourceMetadataUrl` is whatever `metadataUrl()` says when the token is first seen.
 * The result is frozen, like `toAuthInfo`'s: cache hits share it.
 */
export function createAuthInfoBuilder(
  expansion: ScopeExpansion,
  metadataUrl: () => string | undefined,
): AuthInfoBuilder {
  return (token, claims) => {
    const base = toAuthInfo(token, claims)
    const granted = base.scopes
    const scopes = expansion.expand(granted)
    const extra: FastMcpAuthExtra = { ...(base.extra as FastMcpAuthExtra), grantedScopes: granted }
    const auth: AuthInfo = { ...base, scopes: (scopes === granted ? granted : Object.freeze(scopes)) as string[], extra: Object.freeze(extra) }
    const url = metadataUrl()
    if (url !== undefined) auth.resourceMetadataUrl = url
    return Object.freeze(auth)
  }
}
