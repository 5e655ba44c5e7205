// The local copy of live revocations a shared store keeps so the hot path never waits on
// the network: a Map of jti -> until, merged by maximum, forgotten once `until` passes.
import type { Clock } from '../issuer.js'
import type { RevocationEntry } from './types.js'

/**
 * Revoked jtis and until when each must be refused, in milliseconds since the epoch.
 * Revocations only ever grow: merging keeps the later `until`, so entries may arrive in
 * any order (a load, a message, a local revoke) with the same result. Memory is bounded
 * by expiry: `prune()` drops every entry whose `until` has passed.
 *
 * @example
 * const mirror = new RevocationMirror(Date.now)
 * mirror.add('jti-1', Date.now() + 60_000)
 * mirror.has('jti-1') // true
 */
export class RevocationMirror {
  readonly #until = new Map<string, number>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Whether `jti` is revoked now: its `until` is now or later. No I/O. */
  has(jti: string): boolean {
    // an empty mirror (the common case) costs one size check
    if (this.#until.size === 0) return false
    const until = this.#until.get(jti)
    return until !== undefined && until >= this.#clock()
  }

  /**
   * Records `jti` as revoked until `until` (ms since the epoch), never shortening an
   * earlier entry. An `until` already past is skipped.
   * @returns whether the mirror changed.
   */
  add(jti: string, until: number): boolean {
    if (!(until >= this.#clock())) return false
    const known = this.#until.get(jti)
    if (known !== undefined && known >= until) return false
    this.#until.set(jti, until)
    return true
  }

  /** `add` for each entry. */
  addAll(entries: Iterable<RevocationEntry>): void {
    for (const { jti, until } of entries) this.add(jti, until)
  }

  /** The live entries (`until` now or later). */
  *entries(): IterableIterator<RevocationEntry> {
    const now = this.#clock()
    for (const [jti, until] of this.#until) if (until >= now) yield { jti, until }
  }

  /** Forgets every entry whose `until` has passed. O(size). */
  prune(): void {
    const now = this.#clock()
    for (const [jti, until] of this.#until) if (until < now) this.#until.delete(jti)
  }

  /** Entries held, live or not yet pruned. */
  get size(): number {
    return this.#until.size
  }
}
