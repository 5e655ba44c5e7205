// MemoryTokenStore: the TokenStore of one process, with nothing to set up. Everything is
// forgotten when the token it covers would have expired, so memory stays bounded.
import type { Clock } from '../issuer.js'
import type { FamilyMember, RefreshTokenUse, RevocationEntry, TokenStore, UseRefreshTokenInput } from './types.js'

export interface MemoryTokenStoreOptions {
  /** Most live revocations kept; past it `revoke` throws rather than forget one. @default 100000 */
  maxRevocations?: number
  /** Clock, in milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

interface RefreshRecord {
  family: string
  /** When the token was first exchanged, ms since the epoch; undefined while unused. */
  usedAt: number | undefined
}

interface Family {
  members: Map<string, number>
  revoked: boolean
}

/**
 * A map whose entries lapse at their own `until` (ms since the epoch). Lapsed entries are
 * invisible at once and swept out in batches as writes arrive.
 */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; until: number }>()
  readonly #clock: Clock
  #writesSinceSweep = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.until <= this.#clock()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** Sets `key` until `until`, never shortening a later `until` already there. */
  set(key: string, value: V, until: number): void {
    const old = this.#entries.get(key)
    // the same value already held as long: nothing to write (a revoked token replayed)
    if (old !== undefined && old.value === value && old.until >= until) return
    this.#entries.set(key, { value, until: old === undefined ? until : Math.max(old.until, until) })
    // amortised: one sweep per as many writes as there are entries
    if (++this.#writesSinceSweep >= Math.max(1024, this.#entries.size)) this.sweep()
  }

  delete(key: string): V | undefined {
    const value = this.get(key)
    this.#entries.delete(key)
    return value
  }

  sweep(): void {
    this.#writesSinceSweep = 0
    const now = this.#clock()
    for (const [key, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }
}

/**
 * The default store: revocations, refresh families and the authorization server's records
 * of one process. For several instances, use a shared store (`RedisTokenStore`).
 *
 * @example
 * const auth = createFastMcpAuth({ secret, issuer, audience, store: new MemoryTokenStore() })
 */
export class MemoryTokenStore implements TokenStore {
  readonly #clock: Clock
  readonly #maxRevocations: number
  readonly #revoked: ExpiringMap<true>
  readonly #refresh: ExpiringMap<RefreshRecord>
  readonly #families: ExpiringMap<Family>
  readonly #familyOf: ExpiringMap<string>
  readonly #records: ExpiringMap<string>

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now
    this.#maxRevocations = options.maxRevocations ?? 100_000
    if (!Number.isSafeInteger(this.#maxRevocations) || this.#maxRevocations < 1) {
      throw new TypeError('MemoryTokenStore: `maxRevocations` must be a whole number, 1 or more')
    }
    this.#revoked = new ExpiringMap(this.#clock)
    this.#refresh = new ExpiringMap(this.#clock)
    this.#families = new ExpiringMap(this.#clock)
    this.#familyOf = new ExpiringMap(this.#clock)
    this.#records = new ExpiringMap(this.#clock)
  }

  async ready(): Promise<void> {}

  isRevoked(jti: string): boolean {
    return this.#revoked.size !== 0 && this.#revoked.get(jti) !== undefined
  }

  staleForMs(): number {
    return 0
  }

  /** @throws RangeError when `maxRevocations` live revocations are kept already. */
  async revoke(entries: readonly RevocationEntry[]): Promise<void> {
    this.#revokeNow(entries)
  }

  #revokeNow(entries: Iterable<RevocationEntry>): void {
    const now = this.#clock()
    for (const { jti, until } of entries) {
      if (until <= now) continue // expired already: every verification refuses it anyway
      if (this.#revoked.size >= this.#maxRevocations && this.#revoked.get(jti) === undefined) {
        this.#revoked.sweep()
        // forgetting a live revocation would let a revoked token back in: refuse instead
        if (this.#revoked.size >= this.#maxRevocations) {
          throw new RangeError(`MemoryTokenStore: ${this.#maxRevocations} live revocations already; raise \`maxRevocations\``)
        }
      }
      this.#revoked.set(jti, true, until)
    }
  }

  async addToFamily(family: string, members: readonly FamilyMember[]): Promise<void> {
    this.#join(family, members)
  }

  #join(family: string, members: readonly FamilyMember[]): void {
    let record = this.#families.get(family)
    const until = Math.max(...members.map((m) => m.until))
    if (record === undefined) record = { members: new Map(), revoked: false }
    this.#families.set(family, record, until)
    for (const member of members) {
      record.members.set(member.jti, member.until)
      this.#familyOf.set(member.jti, family, member.until)
      if (member.refresh && this.#refresh.get(member.jti) === undefined) {
        this.#refresh.set(member.jti, { family, usedAt: undefined }, member.until)
      }
    }
    // joining a family revoked meanwhile (a concurrent reuse): born revoked
    if (record.revoked) this.#revokeNow(members)
  }

  async useRefreshToken({ jti, until, now, graceMs, newFamily }: UseRefreshTokenInput): Promise<RefreshTokenUse> {
    let record = this.#refresh.get(jti)
    if (record === undefined) {
      // a token the store never saw (FastMCP's, or older than the store) starts a family
      this.#join(newFamily, [{ jti, until, refresh: true }])
      record = this.#refresh.get(jti)!
    }
    const family = this.#families.get(record.family)
    if (family?.revoked === true) return { result: 'revoked', family: record.family }
    if (record.usedAt === undefined) {
      record.usedAt = now
      return { result: 'first', family: record.family }
    }
    const firstUsedAt = record.usedAt
    if (graceMs > 0 && now - firstUsedAt <= graceMs) return { result: 'grace', family: record.family, firstUsedAt }
    this.#revokeFamilyNow(record.family)
    return { result: 'reused', family: record.family, firstUsedAt }
  }

  async revokeFamily(family: string): Promise<boolean> {
    return this.#revokeFamilyNow(family)
  }

  #revokeFamilyNow(id: string): boolean {
    const family = this.#families.get(id)
    if (family === undefined) return false
    family.revoked = true
    this.#revokeNow([...family.members].map(([jti, until]) => ({ jti, until })))
    return true
  }

  async familyOf(jti: string): Promise<string | undefined> {
    return this.#familyOf.get(jti)
  }

  async setRecord(key: string, value: string, ttlMs: number): Promise<void> {
    this.#records.delete(key)
    this.#records.set(key, value, this.#clock() + ttlMs)
  }

  async getRecord(key: string): Promise<string | undefined> {
    return this.#records.get(key)
  }

  async takeRecord(key: string): Promise<string | undefined> {
    return this.#records.delete(key)
  }

  async close(): Promise<void> {}
}
