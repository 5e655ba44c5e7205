// requireToolScopes: per-tool scopes for any MCP SDK (typescript-sdk #1151), read from the
// parsed JSON-RPC body. A `tools/call` whose tool needs scopes the token lacks is refused
// with 403 `insufficient_scope` naming the operation's scopes (RFC 6750 §3.1, SEP-2350);
// `Mcp-Method`/`Mcp-Name` headers that disagree with the body get 400 `-32020` (MCP 2026-07-28).
import type { ServerResponse } from 'node:http'
import { InsufficientScopeError, InvalidTokenError, type FastMcpAuthError } from './errors.js'
import { HeaderMismatchError, checkMcpHeaders, readToolCalls, type JsonRpcErrorResponse } from './jsonrpc.js'
import { isCorsPreflight, rejectRequest, sendAuthError, type FastMcpMiddleware, type MiddlewareSettings } from './middleware.js'
import { readScopeList } from './scopes.js'
import { isPlainObject, type RequestWithAuth } from './types.js'

/** Tool name -> the scopes a `tools/call` of it needs (all of them). `[]`: none, even with `defaultScopes`. */
export type ToolScopes = Readonly<Record<string, readonly string[]>>

export interface RequireToolScopesOptions {
  /** Scopes a call of a tool that is not in the map needs. @default [] (unlisted tools pass) */
  defaultScopes?: readonly string[]
}

/**
 * Builds `requireToolScopes(map, options?)`. Put it after `requireFastMcpToken` and a JSON
 * body parser. For a POST it reads `req.body`: every `tools/call` in it (one request or a
 * batch) whose tool needs a scope missing from `req.auth.scopes` gets one 403 whose `scope`
 * lists every scope those calls need; other methods and other tools pass. Headers never
 * decide: `Mcp-Method`/`Mcp-Name`, when sent, must agree with the body (400, `-32020`).
 *
 * @throws {TypeError} at set-up, naming the argument, for a map or scopes that are not
 *   RFC 6749 §3.3 scope-tokens
 */
export function createRequireToolScopes(
  settings: MiddlewareSettings,
  map: ToolScopes,
  options: RequireToolScopesOptions = {},
): FastMcpMiddleware {
  const fail = (message: string): never => {
    throw new TypeError(`requireToolScopes: ${message}`)
  }
  if (!isPlainObject(map)) fail('pass an object mapping tool names to scope lists')
  if (typeof options !== 'object' || options === null) fail('`options` must be an object')
  // a Map, not the object: a tool named "constructor" must not reach Object.prototype
  const tools = new Map<string, readonly string[]>()
  for (const [name, scopes] of Object.entries(map)) {
    if (name.length === 0) fail('tool names must be non-empty')
    tools.set(name, readScopeList(scopes, `requireToolScopes: the scopes of tool ${JSON.stringify(name)}`))
  }
  const defaults = options.defaultScopes === undefined ? [] : readScopeList(options.defaultScopes, 'requireToolScopes: `defaultScopes`')
  const scopesFor = (name: string | undefined): readonly string[] => (name === undefined ? undefined : tools.get(name)) ?? defaults

  return function requireToolScopes(req, res, next) {
    if (isCorsPreflight(req)) return next()
    const granted = (req as RequestWithAuth).auth?.scopes
    // chained without requireFastMcpToken before it: fail closed, as requireScopes does
    if (granted === undefined) return rejectRequest(settings, req, res, next, new InvalidTokenError('malformed'))
    // GET (the SSE stream) and DELETE (ending a session) carry no call
    if (req.method !== 'POST') return next()
    const body = (req as { body?: unknown }).body
    if (body === undefined) return refuseUnparsed(req.headers['content-type'], res, next)
    const mismatch = checkMcpHeaders(req.headers, body)
    if (mismatch !== undefined) return rejectRequest(settings, req, res, next, mismatch, sendRefusal)
    // one challenge for the whole body: every scope the guarded calls need, first seen first
    let needed: string[] | undefined
    let short = false
    for (const name of readToolCalls(body)) {
      for (const scope of scopesFor(name)) {
        needed ??= []
        if (!needed.includes(scope)) needed.push(scope)
        if (!granted.includes(scope)) short = true
      }
    }
    if (short) return rejectRequest(settings, req, res, next, new InsufficientScopeError(needed!))
    next()
  }
}

// the -32020 answer is a JSON-RPC error; every other refusal is the usual Bearer one
function sendRefusal(res: ServerResponse, error: FastMcpAuthError): void {
  if (error instanceof HeaderMismatchError) sendJsonRpcError(res, error.status, error.toJsonRpc())
  else sendAuthError(res, error)
}

/**
 * A POST whose body no parser read: the guard cannot see the call, so it never lets it on.
 * A JSON body left unparsed is a set-up error (no body parser in front): `next(TypeError)`.
 * Any other media type gets the 415 both MCP SDKs answer for it.
 */
function refuseUnparsed(contentType: string | undefined, res: ServerResponse, next: (err?: unknown) => void): void {
  if (contentType !== undefined && /^\s*application\/(?:[^;\s]*\+)?json\s*(?:;|$)/i.test(contentType)) {
    return next(new TypeError('requireToolScopes: the JSON body was not parsed; put a JSON body parser (e.g. express.json()) before it'))
  }
  sendJsonRpcError(res, 415, {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' },
  })
}

function sendJsonRpcError(res: ServerResponse, status: number, body: JsonRpcErrorResponse): void {
  const json = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('content-length', Buffer.byteLength(json))
  res.end(json)
}
