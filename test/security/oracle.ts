// An oracle for the verdict on a token signed with the right key, written from the rules
// (DESIGN.md, the issue) and not from src/: what must pass requireFastMcpToken and what
// must not. The fuzz tests hold the live middleware to it.

export interface Rules {
  issuer: string
  audience: string
  toleranceSeconds: number
  /** The server's clock, milliseconds since the epoch. */
  nowMs: number
  /** jtis revoked on the server. */
  revoked: ReadonlySet<string>
  /** The server's token cap, in characters. */
  maxTokenLength: number
  /** The server's bound on a token's remaining life, in seconds (default 400 days). */
  maxTokenLifetimeSeconds: number
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key)
const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The JOSE header: a JSON object whose alg is exactly "HS256", with no crit. */
export function headerAllowed(headerJson: string): boolean {
  let header: unknown
  try {
    header = JSON.parse(headerJson)
  } catch {
    return false
  }
  return isPlainObject(header) && (header as { alg?: unknown }).alg === 'HS256' && !has(header as object, 'crit')
}

/**
 * The claim rules for an access token on a resource route. JSON semantics are the
 * standard ones (a repeated key keeps its last value; 1e400 is Infinity).
 */
export function claimsAllowed(payloadJson: string, rules: Rules): boolean {
  let payload: unknown
  try {
    payload = JSON.parse(payloadJson)
  } catch {
    return false
  }
  if (!isPlainObject(payload)) return false
  const c = payload as Record<string, unknown>
  const now = Math.floor(rules.nowMs / 1000)
  // exp: required, a finite number, later than now minus the tolerance
  if (!has(c, 'exp') || !isFiniteNumber(c.exp) || !(c.exp > now - rules.toleranceSeconds)) return false
  // nbf: optional, a finite number, not later than now plus the tolerance
  if (has(c, 'nbf') && (!isFiniteNumber(c.nbf) || c.nbf > now + rules.toleranceSeconds)) return false
  // iat: optional, a finite number; not time-checked (FastMCP does not)
  if (has(c, 'iat') && !isFiniteNumber(c.iat)) return false
  if (c.iss !== rules.issuer) return false
  if (c.aud !== rules.audience) return false
  if (typeof c.jti !== 'string' || c.jti.length === 0) return false
  if (typeof c.client_id !== 'string') return false
  if (has(c, 'scope') && typeof c.scope !== 'string') return false
  // token_use: absent or "access" for an access token; "refresh" is refused on resource
  // routes, anything else is ill-typed
  if (has(c, 'token_use') && c.token_use !== 'access') return false
  if (has(c, 'upstream_claims') && !isPlainObject(c.upstream_claims)) return false
  // sub: optional, a string (FastMCP 3.4+ subject)
  if (has(c, 'sub') && typeof c.sub !== 'string') return false
  // exp no further ahead than the lifetime bound (plus the tolerance)
  if ((c.exp as number) > now + rules.maxTokenLifetimeSeconds + rules.toleranceSeconds) return false
  if (rules.revoked.has(c.jti)) return false
  return true
}

/** The whole verdict for `header.payload` signed with the right key into `token`. */
export function tokenAllowed(token: string, headerJson: string, payloadJson: string, rules: Rules): boolean {
  return token.length <= rules.maxTokenLength && headerAllowed(headerJson) && claimsAllowed(payloadJson, rules)
}
