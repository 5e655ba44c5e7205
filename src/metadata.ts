// RFC 9728 OAuth 2.0 Protected Resource Metadata: the document an MCP client fetches
// (from the `resource_metadata` of a 401 challenge) to learn where to get a token.
import type { FastMcpMiddleware } from './middleware.js'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

export interface ProtectedResourceMetadataOptions {
  /** Issuer URLs of the authorization servers that mint tokens for this resource. */
  authorizationServers?: readonly string[]
  /** Scopes a client may ask for. */
  scopesSupported?: readonly string[]
  /** A human-readable name. */
  resourceName?: string
  /** A page that documents the resource for developers. */
  resourceDocumentation?: string
}

/** The RFC 9728 §2 document. */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers?: string[]
  scopes_supported?: string[]
  bearer_methods_supported: ['header']
  resource_name?: string
  resource_documentation?: string
}

/**
 * RFC 9728 §3.1: the well-known path inserted between the resource's origin and path, a
 * terminating `/` of the path dropped and the query kept:
 * `https://host/mcp/?t=a` -> `https://host/.well-known/oauth-protected-resource/mcp?t=a`.
 *
 * @example
 * protectedResourceMetadataUrl('https://mcp.example.com/mcp')
 * // 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}${WELL_KNOWN}${insertedPath(url.pathname)}${url.search}`
}

// the resource path as RFC 9728 §3.1 inserts it: "/" is nothing, a terminating "/" goes
function insertedPath(pathname: string): string {
  return pathname.endsWith('/') ? pathname.slice(0, -1) : pathname
}

/** Builds the document, refusing option values that are not what RFC 9728 allows. */
export function buildProtectedResourceMetadata(
  resource: string,
  options: ProtectedResourceMetadataOptions = {},
): ProtectedResourceMetadata {
  const list = (value: readonly string[] | undefined, name: string): string[] | undefined => {
    if (value === undefined) return undefined
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
      throw new TypeError(`protectedResourceMetadata: \`${name}\` must be an array of non-empty strings`)
    }
    return [...value]
  }
  const doc: ProtectedResourceMetadata = { resource, bearer_methods_supported: ['header'] }
  const servers = list(options.authorizationServers, 'authorizationServers')
  if (servers?.some((s) => !URL.canParse(s))) {
    throw new TypeError('protectedResourceMetadata: `authorizationServers` must be absolute URLs')
  }
  if (servers !== undefined) doc.authorization_servers = servers
  const scopes = list(options.scopesSupported, 'scopesSupported')
  if (scopes !== undefined) doc.scopes_supported = scopes
  if (options.resourceName !== undefined) doc.resource_name = options.resourceName
  if (options.resourceDocumentation !== undefined) doc.resource_documentation = options.resourceDocumentation
  return doc
}

/**
 * Serves `doc` at the path-inserted well-known URL of its resource and at the root one,
 * for GET and HEAD, readable cross-origin (browser-based MCP clients fetch it). Mount it
 * at the application root; other requests pass on.
 */
export function createProtectedResourceMetadataHandler(doc: ProtectedResourceMetadata): FastMcpMiddleware {
  const servedPath = new URL(protectedResourceMetadataUrl(doc.resource)).pathname
  // the advertised URL, and the spelling with the resource's own terminating slash
  const paths = new Set([servedPath, `${WELL_KNOWN}${new URL(doc.resource).pathname}`, WELL_KNOWN])
  const body = JSON.stringify(doc)
  return function protectedResourceMetadata(req, res, next) {
    const url = req.url ?? ''
    const query = url.indexOf('?')
    if (!paths.has(query === -1 ? url : url.slice(0, query))) return next()
    res.setHeader('access-control-allow-origin', '*')
    if (req.method === 'OPTIONS') {
      res.statusCode = 204
      res.setHeader('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      res.end()
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return next()
    res.statusCode = 200
    res.setHeader('content-type', 'application/json; charset=utf-8')
    res.setHeader('cache-control', 'public, max-age=3600')
    res.setHeader('content-length', Buffer.byteLength(body))
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
