// The verified-token cache: lru-cache keyed by `jti`. It never changes a verdict: an entry
// answers only for the byte-identical token that was verified, and never past its `exp`.
import { LRUCache } from 'lru-cache'
import type { Clock } from './issuer.js'
import type { AuthInfo, FastMcpClaims } from './types.js'

/** What one verified token leaves behind. */
export interface CachedToken {
  /** The exact token that was verified; a hit requires the same bytes. */
  readonly token: string
  readonly claims: FastMcpClaims
  /** The frozen `req.auth` for this token, built once. */
  readonly auth: AuthInfo
}

export interface TokenCacheOptions {
  /** Most entries kept; the least recently used go first. */
  max: number
  clock: Clock
  /** Clock tolerance in seconds: an entry lives until `exp` plus this, never longer. */
  toleranceSeconds: number
}

/** Default number of cached tokens. */
export const DEFAULT_CACHE_MAX = 5000

// no entry lives longer than this, whatever its exp: long-lived tokens re-verify hourly
const MAX_ENTRY_TTL_MS = 3_600_000

/**
 * Verified tokens by `jti`. The caller re-applies the time rule on every hit (the same
 * `checkTimes` a full verification uses); the TTL here only bounds memory.
 */
export class TokenCache {
  readonly #entries: LRUCache<string, CachedToken>
  readonly #clock: Clock
  readonly #toleranceMs: number

  constructor({ max, clock, toleranceSeconds }: TokenCacheOptions) {
    this.#clock = clock
    this.#toleranceMs = toleranceSeconds * 1000
    // lru-cache measures TTL with `perf.now()`: the same clock as the verifier, read on every
    // check (resolution 0) so an injected clock is never stale
    this.#entries = new LRUCache({ max, ttlResolution: 0, perf: { now: clock } })
  }

  /** The entry for `jti` if it holds exactly `token` (compared in constant time). */
  get(jti: string, token: string): CachedToken | undefined {
    const entry = this.#entries.get(jti)
    return entry !== undefined && constantTimeEqual(entry.token, token) ? entry : undefined
  }

  /** Caches a verified token until its `exp` plus tolerance; one with no life left is skipped. */
  set(entry: CachedToken): void {
    const ttl = Math.min(Math.floor(entry.claims.exp * 1000 + this.#toleranceMs - this.#clock()), MAX_ENTRY_TTL_MS)
    // lru-cache reads a TTL of 0 as "forever": never store a token without life left
    if (ttl > 0) this.#entries.set(entry.claims.jti, entry, { ttl })
  }

  delete(jti: string): void {
    this.#entries.delete(jti)
  }

  /** The cached `exp` for `jti`, if any (seconds). */
  expiresAt(jti: string): number | undefined {
    return this.#entries.get(jti)?.claims.exp
  }

  get size(): number {
    return this.#entries.size
  }
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal how
 * much of a cached token an attacker guessed right. Tokens are ASCII (RFC 6750 b64token).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
