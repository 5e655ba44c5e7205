// RFC 6750 §2: where a bearer token may come from. Only the Authorization header
// (§2.1) is accepted; a token in the query string (§2.3, forbidden by the MCP spec) or
// in a form body (§2.2) is refused, alone or next to the header.
import { InvalidRequestError, InvalidTokenError, MissingTokenError } from './errors.js'

/** The parts of a request that can carry a token, read by the middleware. */
export interface BearerSources {
  /** The (first) Authorization header value. */
  authorization: string | undefined
  /** How many Authorization headers arrived (Node keeps only the first). */
  authorizationCount: number
  /** The request target, e.g. `/mcp?x=1`. */
  url: string | undefined
  /** A body some earlier middleware already parsed; never read from the stream here. */
  body: unknown
  /** The request's Content-Type: only a form body can carry a token (RFC 6750 §2.2). */
  contentType: string | undefined
}

/** Default cap on a token's length, in characters (8 KiB). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Returns the one bearer token of a request, or throws the error RFC 6750 §3.1 asks for:
 * no credentials -> MissingTokenError (401, plain challenge); a malformed header, several
 * headers or several methods -> InvalidRequestError (400); an oversized token ->
 * InvalidTokenError (401).
 */
export function readBearerToken(sources: BearerSources, maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): string {
  return checkBearerToken(readBearerCredential(sources, maxTokenLength))
}

/**
 * `readBearerToken` without its last step, the token's characters (`checkBearerToken`).
 * The middleware looks the token up first: a cache hit is byte-identical to a token that
 * passed that check when it was verified, so only a miss needs it.
 */
export function readBearerCredential(sources: BearerSources, maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH): string {
  if (sources.authorizationCount > 1) throw new InvalidRequestError('multiple_headers')
  const elsewhere = hasQueryToken(sources.url) || hasBodyToken(sources.body, sources.contentType)
  const header = trimSpaces(sources.authorization)
  if (!header) {
    if (elsewhere) throw new InvalidRequestError('unsupported_method')
    throw new MissingTokenError()
  }
  const space = header.indexOf(' ')
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') {
    // another scheme (Basic, DPoP...) is no Bearer credential at all
    if (elsewhere) throw new InvalidRequestError('unsupported_method')
    throw new MissingTokenError()
  }
  if (elsewhere) throw new InvalidRequestError('multiple_methods')
  const token = space === -1 ? '' : trimSpaces(header.slice(space + 1))
  // `Bearer` with nothing after it is no credential: a 401 starts a client's OAuth discovery
  if (token.length === 0) throw new MissingTokenError()
  if (token.length > maxTokenLength) throw new InvalidTokenError('too_large')
  return token
}

/** Returns `token` if it is an RFC 6750 b64token, or throws InvalidRequestError (400). */
export function checkBearerToken(token: string): string {
  if (!B64TOKEN.test(token)) throw new InvalidRequestError('malformed_header')
  return token
}

/** Trims HTTP's optional whitespace, SP and HTAB only (RFC 9110 §5.6.3), not String#trim's set. */
export function trimSpaces(value: string | undefined): string {
  if (value === undefined) return ''
  let start = 0
  let end = value.length
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

function hasQueryToken(url: string | undefined): boolean {
  const q = url === undefined ? -1 : url.indexOf('?')
  if (q === -1) return false
  const query = url!.slice(q + 1)
  // parse only when the name could be there, percent-encoded or not
  if (!query.includes('access_token') && !query.includes('%')) return false
  return new URLSearchParams(query).has('access_token')
}

// RFC 6750 §2.2: the body method exists only for application/x-www-form-urlencoded; a JSON
// member named access_token is an ordinary field
function hasBodyToken(body: unknown, contentType: string | undefined): boolean {
  return typeof body === 'object' && body !== null && Object.hasOwn(body, 'access_token') && isFormContentType(contentType)
}

function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const semicolon = contentType.indexOf(';')
  const mediaType = trimSpaces(semicolon === -1 ? contentType : contentType.slice(0, semicolon))
  return mediaType.toLowerCase() === 'application/x-www-form-urlencoded'
}
