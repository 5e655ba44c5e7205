// What a guard reads from a parsed JSON-RPC 2.0 body (a request, or a batch: JSON-RPC 2.0
// §6), and the MCP 2026-07-28 standard request headers (SEP-2243: `Mcp-Method`, `Mcp-Name`)
// checked against it. The body decides; a header is only ever compared with it.
import type { IncomingHttpHeaders } from 'node:http'
import { trimSpaces } from './bearer.js'
import { InvalidRequestError } from './errors.js'
import { isPlainObject } from './types.js'

/** MCP 2026-07-28's `HeaderMismatch` JSON-RPC error code, answered with HTTP 400. */
export const HEADER_MISMATCH_ERROR_CODE = -32020

/** A JSON-RPC 2.0 error response (§5.1). */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0'
  id: string | number | null
  error: { code: number; message: string; data?: { [key: string]: unknown } }
}

/**
 * An `Mcp-Method` or `Mcp-Name` header that disagrees with the JSON-RPC body. 400
 * `invalid_request` for `onRejected` and `next(err)`; the response itself is the JSON-RPC
 * error `-32020` (`toJsonRpc()`), with no Bearer challenge: the token is not at fault.
 */
export class HeaderMismatchError extends InvalidRequestError {
  /** The JSON-RPC error code the response carries. */
  readonly jsonRpcCode = HEADER_MISMATCH_ERROR_CODE
  /** Which header disagreed with the body. */
  readonly header: 'Mcp-Method' | 'Mcp-Name'
  /** The id of the JSON-RPC request, echoed in the response (`null` when it has none). */
  readonly requestId: string | number | null

  constructor(header: 'Mcp-Method' | 'Mcp-Name', requestId: string | number | null) {
    super('header_mismatch')
    this.header = header
    this.requestId = requestId
  }

  override get headers(): Record<string, string> {
    return {}
  }

  /** The JSON-RPC error response body MCP 2026-07-28 asks for. */
  toJsonRpc(): JsonRpcErrorResponse {
    return {
      jsonrpc: '2.0',
      id: this.requestId,
      error: {
        code: HEADER_MISMATCH_ERROR_CODE,
        message: `Bad Request: the request headers and body disagree: the ${this.header} header does not match the body`,
        data: { header: this.header },
      },
    }
  }
}

/**
 * The tool names of every `tools/call` in a parsed body, in order: one entry for a single
 * request, one per call in a batch, none for other methods. A call whose `params.name` is
 * not a string yields `undefined` (the SDK will refuse it; a guard treats it as unlisted).
 */
export function readToolCalls(body: unknown): (string | undefined)[] {
  const calls: (string | undefined)[] = []
  for (const message of Array.isArray(body) ? body : [body]) {
    if (!isPlainObject(message) || message.method !== 'tools/call') continue
    const name = isPlainObject(message.params) ? message.params.name : undefined
    calls.push(typeof name === 'string' ? name : undefined)
  }
  return calls
}

// SEP-2243 and SEP-2663: which body field `Mcp-Name` mirrors, by method
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
}

/**
 * Compares the `Mcp-Method` and `Mcp-Name` headers, when present, with the body, as the
 * MCP 2026-07-28 Streamable HTTP transport requires: `Mcp-Method` must equal the body's
 * `method`; `Mcp-Name` (plain, or `=?base64?…?=` encoded) must equal the field its method
 * names (`params.name` for `tools/call`). A header next to a batch, a repeated header or an
 * undecodable `Mcp-Name` is a mismatch too. Absent headers are not checked here.
 *
 * @returns the error to answer with, or `undefined` when the headers agree
 */
export function checkMcpHeaders(headers: IncomingHttpHeaders, body: unknown): HeaderMismatchError | undefined {
  const methodHeader = headers['mcp-method']
  const nameHeader = headers['mcp-name']
  if (methodHeader === undefined && nameHeader === undefined) return undefined
  const message = isPlainObject(body) ? body : undefined
  const id = message !== undefined && (typeof message.id === 'string' || typeof message.id === 'number') ? message.id : null
  if (methodHeader !== undefined) {
    // Node joins a repeated unknown header with ", ", so a repeat cannot equal a method
    if (message === undefined || typeof methodHeader !== 'string' || trimSpaces(methodHeader) !== message.method) {
      return new HeaderMismatchError('Mcp-Method', id)
    }
  }
  if (nameHeader !== undefined) {
    if (message === undefined || typeof nameHeader !== 'string') return new HeaderMismatchError('Mcp-Name', id)
    const method = message.method
    const field = typeof method === 'string' && Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method]! : undefined
    if (field !== undefined) {
      const decoded = decodeMcpParamValue(trimSpaces(nameHeader))
      const value = isPlainObject(message.params) ? message.params[field] : undefined
      if (decoded === undefined || (typeof value === 'string' && value !== decoded)) return new HeaderMismatchError('Mcp-Name', id)
    }
  }
  return undefined
}

const SENTINEL_PREFIX = '=?base64?'
const SENTINEL_SUFFIX = '?='
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** SEP-2243 value encoding: `=?base64?<base64 of UTF-8>?=`, or the value itself. `undefined` when the sentinel is broken. */
function decodeMcpParamValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX))) return value
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length)
  if (!CANONICAL_BASE64.test(b64)) return undefined
  try {
    return strictUtf8.decode(Buffer.from(b64, 'base64'))
  } catch {
    return undefined
  }
}
