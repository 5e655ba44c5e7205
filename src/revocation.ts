// Revoked `jti`s. A small interface so a shared store (e.g. Redis with a local mirror)
// can replace the in-memory one without touching the middleware: the hot path asks a
// synchronous question, and revoking may be asynchronous.
import { LRUCache } from 'lru-cache'
import type { Clock } from './issuer.js'

export interface RevocationStore {
  /** Whether `jti` is revoked now. Called on every request, so keep it local and cheap. */
  isRevoked(jti: string): boolean
  /**
   * Revokes `jti` until `until` (milliseconds since the epoch): the moment its token would
   * have expired anyway, after which nothing needs remembering.
   */
  revoke(jti: string, until: number): void | Promise<void>
}

export interface MemoryRevocationStoreOptions {
  /** Most revocations remembered at once. @default 100000 */
  max?: number
  clock?: Clock
}

/**
 * In-process revocations, each forgotten when its token would have expired. When full of
 * live revocations it refuses a new one (throws) rather than forget an older one: a
 * forgotten revocation would let a revoked token back in.
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #revoked: LRUCache<string, true>
  readonly #clock: Clock
  readonly #max: number

  constructor(options: MemoryRevocationStoreOptions = {}) {
    this.#max = options.max ?? 100_000
    this.#clock = options.clock ?? Date.now
    this.#revoked = new LRUCache({ max: this.#max, ttlResolution: 0, perf: { now: this.#clock } })
  }

  isRevoked(jti: string): boolean {
    return this.#revoked.size !== 0 && this.#revoked.has(jti)
  }

  revoke(jti: string, until: number): void {
    const ttl = Math.ceil(until - this.#clock())
    if (ttl <= 0) return // already expired: every verification refuses it anyway
    const remaining = this.#revoked.getRemainingTTL(jti)
    if (remaining >= ttl) return
    if (remaining === 0 && this.#revoked.size >= this.#max) {
      this.#revoked.purgeStale()
      if (this.#revoked.size >= this.#max) {
        throw new RangeError(`MemoryRevocationStore: ${this.#max} live revocations already; raise \`max\``)
      }
    }
    this.#revoked.set(jti, true, { ttl })
  }

  get size(): number {
    return this.#revoked.size
  }
}
