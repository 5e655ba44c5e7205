// Shapes shared across modules: FastMCP's wire claims, the MCP SDK's AuthInfo, and typed
// accessors that read them back from a request.

/** JSON-compatible values, as FastMCP's upstream claims carry them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * The claims of a FastMCP token, as they travel (snake_case). Verification guarantees
 * every typed member below; other claims are passed through untouched.
 */
export interface FastMcpClaims {
  /** Issuer: FastMCP's base URL as pydantic prints it (a bare origin ends in `/`). */
  iss: string
  /** Audience: the MCP resource URL (base URL + MCP path). Always one string. */
  aud: string
  client_id: string
  /** Scopes joined by one space; may be empty or absent. */
  scope?: string
  /** Expiry, seconds since the epoch. Required here (FastMCP does not require it). */
  exp: number
  /** Issued-at, seconds since the epoch. */
  iat?: number
  /** Not-before, seconds since the epoch. */
  nbf?: number
  /** Token id: the cache and revocation key. */
  jti: string
  /** `"refresh"` on refresh tokens; absent (or `"access"`) on access tokens. */
  token_use?: 'refresh' | 'access'
  /** Subject (FastMCP 3.4+ `subject`), when minted with one. */
  sub?: string
  /** Claims FastMCP copied from the upstream identity provider. Signed, not encrypted. */
  upstream_claims?: { [key: string]: JsonValue }
  [claim: string]: unknown
}

/**
 * What the MCP TypeScript SDK calls `AuthInfo` (v1: `@modelcontextprotocol/sdk/server/auth/types`;
 * v2: `@modelcontextprotocol/server`), member for member. The SDK's Streamable HTTP
 * transports hand `req.auth` to tool handlers (v1: `extra.authInfo`, v2: `ctx.http.authInfo`).
 */
export interface AuthInfo {
  token: string
  clientId: string
  scopes: string[]
  /** Seconds since the epoch. */
  expiresAt?: number
  /** The token's `aud` when it parses as a URL. */
  resource?: URL
  /**
   * The RFC 9728 metadata URL (`resourceMetadataUrl`, or the one `protectedResourceMetadata()`
   * serves), so SDK v2's own `insufficient_scope` challenges point at the same document.
   */
  resourceMetadataUrl?: string
  extra?: Record<string, unknown>
}

/** What `requireFastMcpToken` puts in `AuthInfo.extra`. */
export interface FastMcpAuthExtra {
  [key: string]: unknown
  /** The whole verified payload. */
  claims: FastMcpClaims
  jti: string
  iat?: number
  /** The token's `sub` (FastMCP 3.4+ `subject`), when it has one. */
  sub?: string
  upstreamClaims?: { [key: string]: JsonValue }
  /** The token's own scopes; `AuthInfo.scopes` adds what `scopeHierarchy` says they imply. */
  grantedScopes?: readonly string[]
}

/** A request that may carry `auth`, as the SDK and this middleware set it. */
export interface RequestWithAuth {
  auth?: AuthInfo
}

/**
 * The verified FastMCP claims of a request that passed `requireFastMcpToken`, or
 * `undefined` when it did not pass through it.
 *
 * @example
 * app.get('/mcp/me', auth.requireFastMcpToken, (req, res) => {
 *   res.json({ sub: getFastMcpClaims(req)?.upstream_claims?.sub })
 * })
 */
export function getFastMcpClaims(req: object): FastMcpClaims | undefined {
  const extra = (req as RequestWithAuth).auth?.extra
  const claims = extra?.claims
  return typeof claims === 'object' && claims !== null && typeof (claims as FastMcpClaims).jti === 'string'
    ? (claims as FastMcpClaims)
    : undefined
}

/**
 * The `AuthInfo` a request carries (set by `requireFastMcpToken` or the SDK's own
 * bearer middleware), typed without augmenting Express's `Request`.
 *
 * @example
 * const scopes = getAuthInfo(req)?.scopes ?? []
 */
export function getAuthInfo(req: object): AuthInfo | undefined {
  return (req as RequestWithAuth).auth
}

/** Splits a `scope` claim on spaces, dropping empty items (`"a  b"` -> `["a", "b"]`). */
export function parseScopes(scope: string | undefined): string[] {
  if (!scope) return []
  return scope.split(' ').filter((s) => s.length > 0)
}

/** A JSON object: an object that is neither `null` nor an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
