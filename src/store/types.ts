// TokenStore: the token state every instance of an app shares: revocations, refresh-token
// families (OAuth 2.1 §4.3.1, RFC 9700 §4.14) and the authorization server's records.
// The hot path asks one synchronous question (`isRevoked`) of a local mirror; everything
// else is asynchronous and may go over the network.

/** A jti and the moment, in milliseconds since the epoch, after which nothing needs remembering. */
export interface RevocationEntry {
  jti: string
  /** Milliseconds since the epoch: when the token would be refused anyway. */
  until: number
}

/** A token that belongs to a refresh family (one grant). */
export interface FamilyMember extends RevocationEntry {
  /** A refresh token: its first use is recorded, a later one detected. */
  refresh: boolean
}

/**
 * What `useRefreshToken` found, atomically across every instance:
 * - `first`: the token's first use; mint its successor pair in `family`.
 * - `grace`: used before, within the grace window (a client's concurrent retry); mint a
 *   pair in `family` too.
 * - `reused`: used before, after the grace window: the token leaked. The store has
 *   revoked every member of `family`.
 * - `revoked`: the family was revoked already.
 */
export type RefreshTokenUse =
  | { result: 'first'; family: string }
  | { result: 'grace'; family: string; firstUsedAt: number }
  | { result: 'reused'; family: string; firstUsedAt: number }
  | { result: 'revoked'; family: string }

export interface UseRefreshTokenInput {
  /** The refresh token's jti (verified before this call). */
  jti: string
  /** Milliseconds since the epoch after which the token is refused anyway. */
  until: number
  /** Now, milliseconds since the epoch, from the caller's clock. */
  now: number
  /** A replay this many milliseconds after the first use or less is `grace`; 0: none. */
  graceMs: number
  /**
   * The family to start when the store has no record of this token (minted by FastMCP, or
   * before the store existed): its first exchange starts a family.
   */
  newFamily: string
}

/** Why the store answers `StoreUnavailableError`: what a caller or an `onStoreError` hook sees. */
export interface StoreErrorEvent {
  /** What was being done: `revoke`, `load`, `subscribe`, `retry`, `exchange`, ... */
  operation: string
  error: unknown
}

/**
 * Shared token state. `MemoryTokenStore` (one process) and `RedisTokenStore` (several
 * instances) implement it; so may any other shared store.
 *
 * Times are milliseconds since the epoch. No method receives a token, only jtis, family
 * ids, times and the authorization server's records (keyed by hashes of codes).
 */
export interface TokenStore {
  /**
   * Resolves once the local mirror holds every live revocation (a shared store: loaded and
   * subscribed). Requests wait for it as they wait for the key. Never rejects: a store
   * that cannot load keeps trying and reports through its own error hook.
   */
  ready(): Promise<void>
  /** Whether `jti` is revoked now, from local memory: called on every request. */
  isRevoked(jti: string): boolean
  /**
   * How long, in milliseconds, this process has been unable to reach the shared store at
   * `now` (milliseconds since the epoch): 0 while it is reachable (always, in memory). With
   * `maxStalenessMs` set, requests fail closed once this exceeds it.
   */
  staleForMs(now: number): number
  /**
   * Revokes each jti until its `until`. Takes effect in this process at once; resolves
   * once every instance can learn it.
   * @throws StoreUnavailableError (rejects) when the shared store is unreachable: the
   *   revocation holds here and is retried in the background until it lands.
   */
  revoke(entries: readonly RevocationEntry[]): Promise<void>
  /**
   * Records tokens as members of `family`, refresh tokens as not yet used. If the family
   * was revoked meanwhile, the new members are revoked at once.
   */
  addToFamily(family: string, members: readonly FamilyMember[]): Promise<void>
  /**
   * Marks a refresh token used, atomically across instances, and says what its use means
   * (see `RefreshTokenUse`). A `reused` answer has revoked the whole family already.
   * @throws StoreUnavailableError when single use cannot be guaranteed.
   */
  useRefreshToken(input: UseRefreshTokenInput): Promise<RefreshTokenUse>
  /**
   * Revokes every member of `family` (RFC 7009 §2.1: revoking a refresh token may revoke
   * the grant). Resolves `false` when the store knows no such family.
   */
  revokeFamily(family: string): Promise<boolean>
  /** The family of a refresh or access token jti, if the store knows it. */
  familyOf(jti: string): Promise<string | undefined>
  /** Stores a record (the authorization server's clients, requests, codes) for `ttlMs`. */
  setRecord(key: string, value: string, ttlMs: number): Promise<void>
  /** A record, or `undefined` once it expired or was taken. */
  getRecord(key: string): Promise<string | undefined>
  /** Reads and deletes a record in one atomic step: single-use codes. */
  takeRecord(key: string): Promise<string | undefined>
  /** Stops timers and subscriptions the store opened itself. Not the caller's client. */
  close(): Promise<void>
}
