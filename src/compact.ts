// Strict reading of a compact JWS (RFC 7515 §7.1): three base64url segments, JSON objects
// inside. Nothing here verifies anything; it only refuses what cannot be a FastMCP token.
import { InvalidTokenError } from './errors.js'
import { isPlainObject } from './types.js'

/** Three base64url segments without padding (RFC 7515 §2), the last possibly empty. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** The three segments of a compact token, as they arrived. */
export interface CompactSegments {
  header: string
  payload: string
  signature: string
  /** `header.payload`: the bytes the signature covers. */
  signingInput: string
}

/**
 * Splits a compact token into exactly three segments; header and payload must be
 * non-empty base64url. The signature may be empty here (`alg: none`), so the header's
 * algorithm is judged first; the signature check refuses it later.
 */
export function splitCompact(token: string): CompactSegments {
  // one pass over the token: the shape and every character at once
  if (!COMPACT.test(token)) throw new InvalidTokenError('malformed')
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  return {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
    signingInput: token.slice(0, second),
  }
}

/**
 * Decodes one segment as a JSON object. Invalid UTF-8, non-JSON, and JSON that is not an
 * object (an array, a string, null) are all `malformed`.
 */
export function decodeJsonSegment(segment: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')))
  } catch {
    throw new InvalidTokenError('malformed')
  }
  if (!isPlainObject(value)) {
    throw new InvalidTokenError('malformed')
  }
  return value as Record<string, unknown>
}

// fatal: invalid UTF-8 is refused rather than silently replaced
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
