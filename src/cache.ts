// The verified-token cache: lru-cache keyed by `jti`. It never changes a verdict: an entry
// answers only for the byte-identical token that was verified, and never past its `exp`.
import { LRUCache } from 'lru-cache'
import { acceptedUntilMs, type Clock } from './issuer.js'
import type { FastMcpClaims } from './types.js'

/** The verified claims an entry keeps: its key and what the time rule reads. */
export type CachedClaims = Pick<FastMcpClaims, 'jti' | 'exp' | 'nbf'>

/** What one verified token leaves behind: no more than a hit needs, so 100k entries stay small. */
export interface CachedToken {
  /** The exact token that was verified; a hit requires the same bytes. */
  readonly token: string
  readonly claims: CachedClaims
}

export interface TokenCacheOptions {
  /** Most entries kept; the least recently used go first. */
  max: number
  clock: Clock
  /** Clock tolerance in seconds: an entry lives until `exp` plus this, never longer. */
  toleranceSeconds: number
  /** Called when a live entry is evicted to make room (not on expiry or delete). */
  onEvict?: () => void
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
  readonly #toleranceSeconds: number

  constructor({ max, clock, toleranceSeconds, onEvict }: TokenCacheOptions) {
    this.#clock = clock
    this.#toleranceSeconds = toleranceSeconds
    // lru-cache measures TTL with `perf.now()`: the same clock as the verifier, read on every
    // check (resolution 0) so an injected clock is never stale
    this.#entries = new LRUCache({
      max,
      ttlResolution: 0,
      perf: { now: clock },
      ...(onEvict === undefined ? {} : { dispose: (_value: CachedToken, _key: string, reason: string) => { if (reason === 'evict') onEvict() } }),
    })
  }

  /** The entry for `jti` if it holds exactly `token` (compared in constant time). */
  get(jti: string, token: string): CachedToken | undefined {
    const entry = this.#entries.get(jti)
    return entry !== undefined && constantTimeEqual(entry.token, token) ? entry : undefined
  }

  /** Caches a verified token until its `exp` plus tolerance; one with no life left is skipped. */
  set({ token, claims: { jti, exp, nbf } }: CachedToken): void {
    const ttl = Math.min(acceptedUntilMs(exp, this.#toleranceSeconds) - this.#clock(), MAX_ENTRY_TTL_MS)
    // lru-cache reads a TTL of 0 as "forever": never store a token without life left
    if (ttl <= 0) return
    // the caller's string, not a copy: a slice of the Authorization header keeps only that
    // header (7 bytes more) alive, and a caller that holds its tokens shares them with us
    this.#entries.set(jti, { token, claims: { jti, exp, nbf } }, { ttl })
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

// Scratch space for constantTimeEqual: comparing 4 bytes at a time from typed arrays is
// several times faster than a charCodeAt loop. Tokens longer than this take the loop.
const SCRATCH_WORDS = 2048
const leftWords = new Uint32Array(SCRATCH_WORDS)
const rightWords = new Uint32Array(SCRATCH_WORDS)
const leftBytes = Buffer.from(leftWords.buffer)
const rightBytes = Buffer.from(rightWords.buffer)

/**
 * Compares two strings without an early exit, so the time taken does not reveal how
 * much of a cached token an attacker guessed right. Tokens are ASCII (RFC 6750 b64token).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const length = a.length
  if (length !== b.length) return false
  const words = (length + 3) >>> 2
  // strictly fewer words than the scratch holds, so a non-ASCII string (more bytes than
  // characters) is never cut short to exactly `length` bytes
  if (words < SCRATCH_WORDS) {
    leftWords[words - 1] = 0 // the last word's padding bytes must match
    rightWords[words - 1] = 0
    // one byte per character only when both are ASCII; anything else takes the loop below
    if (leftBytes.write(a, 'utf8') === length && rightBytes.write(b, 'utf8') === length) {
      let diff = 0
      for (let i = 0; i < words; i++) diff |= leftWords[i]! ^ rightWords[i]!
      return diff === 0
    }
  }
  let diff = 0
  for (let i = 0; i < length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
