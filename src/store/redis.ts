// RedisTokenStore: the TokenStore that several instances share through one Redis. The hot
// path asks a local mirror (no I/O); revocations reach every mirror by pub/sub, and a start
// or a reconnect loads them all. Refresh families live in Redis, changed by Lua scripts.
// Entry point of `fastmcp-auth-express/redis`: the main entry never loads it.
import { StoreUnavailableError } from '../errors.js'
import { callHook } from '../hooks.js'
import type { Clock } from '../issuer.js'
import { RevocationMirror } from './mirror.js'
import { runScript, sendCommand, type RedisSubscriberClient, type RedisTokenStoreClient } from './redis-connection.js'
import type { FamilyMember, RefreshTokenUse, RevocationEntry, StoreErrorEvent, TokenStore, UseRefreshTokenInput } from './types.js'

export type { RedisSubscriberClient, RedisTokenStoreClient } from './redis-connection.js'

/** The default key prefix. */
export const DEFAULT_REDIS_PREFIX = 'fastmcp-auth:'

export interface RedisTokenStoreOptions {
  /**
   * A connected (or connecting) node-redis v5/v6 client: `createClient(...)` from `redis`.
   * The store sends its commands through it and opens one more connection for pub/sub
   * with `client.duplicate()`. It never closes this client. Attach your own `'error'`
   * listener to it: node-redis emits one per failed reconnect, and an `'error'` event with
   * no listener crashes the process.
   */
  client: RedisTokenStoreClient
  /**
   * Prepended to every key and to the channel; give each application (or test run) its own.
   * @default "fastmcp-auth:"
   */
  prefix?: string
  /**
   * Told of every failure the store handles itself: a lost connection, a failed load,
   * retry or command (the caller of that command also gets `StoreUnavailableError`).
   * Its own errors, and rejections of a promise it returns, are ignored.
   */
  onStoreError?: (event: StoreErrorEvent) => unknown
  /**
   * Longest wait for one Redis reply, in milliseconds. A command is refused at once while
   * the client is not ready, so no call waits longer than this. @default 2000
   */
  commandTimeoutMs?: number
  /** Longest pause between background retries (pending revocations, the load), in ms. @default 5000 */
  retryMaxMs?: number
  /** How often expired revocations leave the local mirror, in milliseconds. @default 60000 */
  pruneIntervalMs?: number
  /**
   * How long Redis keeps a key past its `until`, in milliseconds, so instances whose clocks
   * run behind (or a Redis clock running ahead) never lose state early. @default 60000
   */
  clockSkewMs?: number
  /** Milliseconds since the epoch: when revocations and records expire. @default Date.now */
  clock?: Clock
}

const RETRY_MIN_MS = 100
// jti/until pairs per revoke script call: bounded argument lists and script run time
const REVOKE_BATCH = 1000

/**
 * A `TokenStore` on Redis (6.2 or later; a single Redis or a primary with replicas, not
 * Cluster), for several instances of an app.
 *
 * - `isRevoked` answers from a local mirror, without I/O, also while Redis is unreachable.
 * - `revoke` changes the mirror at once, then Redis (ZADD GT: never shortened) and tells
 *   every instance (PUBLISH). With Redis unreachable it rejects `StoreUnavailableError` and
 *   keeps the revocation in a queue retried in the background until Redis has it.
 * - Each refresh-family operation is one Lua script, atomic across instances.
 * - After a reconnect it reloads every live revocation (messages sent meanwhile are lost),
 *   queues any live one it knows and Redis lacks (a restart without persistence), then
 *   sends its queue. `staleForMs()` says how long the mirror has been out of sync, so a
 *   caller can fail closed.
 *
 * Keys, with `p` the prefix (values hold jtis, family ids, times and records, never a token):
 * - `p + "revoked"`: sorted set, jti scored by `until` (ms); expired ones pruned on write.
 * - `p + "revocations"`: pub/sub channel; messages are JSON `[{"jti": ..., "until": ...}]`.
 * - `p + "member:" + jti`: hash `{ family, used_at? }` (`used_at`: first use of a refresh
 *   token, ms); expires at `until` + `clockSkewMs`.
 * - `p + "family:" + id`: sorted set of the family's jtis scored by `until`; expires with
 *   its latest member.
 * - `p + "family-revoked:" + id`: the family's revocation time; expires with the family.
 * - `p + "record:" + key`: `"<expiresAtMs>:<value>"`, with a PX expiry.
 *
 * @example
 * import { createClient } from 'redis'
 * import { RedisTokenStore } from 'fastmcp-auth-express/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL })
 * client.on('error', (err) => log.warn({ err }, 'redis'))
 * await client.connect()
 * const store = new RedisTokenStore({ client, prefix: 'my-app:auth:' })
 * await store.ready()
 */
export class RedisTokenStore implements TokenStore {
  /** The key prefix in use. */
  readonly prefix: string
  readonly #client: RedisTokenStoreClient
  readonly #mirror: RevocationMirror
  /** Revocations Redis may not have yet: jti -> until. */
  readonly #pending = new Map<string, number>()
  readonly #clock: Clock
  readonly #timeoutMs: number
  readonly #retryMaxMs: number
  readonly #skew: string
  readonly #onStoreError: ((event: StoreErrorEvent) => unknown) | undefined
  readonly #ready: Promise<void>
  #resolveReady: () => void = () => {}
  readonly #pruneTimer: NodeJS.Timeout
  readonly #onClientReady = (): void => this.#kick(0)

  #subscriber: RedisSubscriberClient | undefined
  #subscribed = false
  /** The mirror may miss revocations: not loaded since the subscriber (re)connected. */
  #needsLoad = true
  /** Since when (clock ms) the mirror has needed a load. */
  #lostAt: number
  /** Counts connection losses, so a load that overlapped one does not count as a sync. */
  #epoch = 0
  #retryTimer: NodeJS.Timeout | undefined
  #retryDue = Number.POSITIVE_INFINITY
  #retryDelay = RETRY_MIN_MS
  #running = false
  #runAgain = false
  #closed = false

  /** @throws TypeError naming the option, for a missing or disconnected client or a bad number. */
  constructor(options: RedisTokenStoreOptions) {
    const { client, prefix = DEFAULT_REDIS_PREFIX, onStoreError, clock = Date.now } = options
    if (typeof client?.sendCommand !== 'function' || typeof client.duplicate !== 'function') {
      throw new TypeError('RedisTokenStore: `client` must be a node-redis client (createClient from "redis")')
    }
    if (!client.isOpen) throw new TypeError('RedisTokenStore: `client` must be connected (await client.connect() first)')
    if (typeof prefix !== 'string' || prefix.length === 0) throw new TypeError('RedisTokenStore: `prefix` must be a non-empty string')
    if (onStoreError !== undefined && typeof onStoreError !== 'function') throw new TypeError('RedisTokenStore: `onStoreError` must be a function')
    if (typeof clock !== 'function') throw new TypeError('RedisTokenStore: `clock` must be a function')
    this.#timeoutMs = positive(options.commandTimeoutMs, 2000, 'commandTimeoutMs')
    this.#retryMaxMs = positive(options.retryMaxMs, 5000, 'retryMaxMs')
    const pruneIntervalMs = positive(options.pruneIntervalMs, 60_000, 'pruneIntervalMs')
    this.#skew = String(nonNegative(options.clockSkewMs, 60_000, 'clockSkewMs'))

    this.prefix = prefix
    this.#client = client
    this.#clock = clock
    this.#onStoreError = onStoreError
    this.#mirror = new RevocationMirror(clock)
    this.#lostAt = clock()
    this.#ready = new Promise((resolve) => {
      this.#resolveReady = resolve
    })
    this.#pruneTimer = setInterval(() => this.#prune(), pruneIntervalMs)
    this.#pruneTimer.unref()
    client.on('ready', this.#onClientReady)
    this.#openSubscriber()
  }

  /**
   * Resolves once subscribed and every live revocation is loaded. Never rejects: while
   * Redis is unreachable it keeps trying and reports each failure to `onStoreError`.
   */
  ready(): Promise<void> {
    return this.#ready
  }

  /** Whether `jti` is revoked now, from the local mirror: no I/O, also during an outage. */
  isRevoked(jti: string): boolean {
    return this.#mirror.has(jti)
  }

  /**
   * Revokes each jti until its `until` (ms since the epoch; entries already past are
   * skipped). Takes effect here at once; resolves once Redis has them and every instance
   * has been told. Entries the mirror holds already, as long or longer, cost no round trip.
   * @throws StoreUnavailableError (rejects) within `commandTimeoutMs` when Redis cannot be
   *   reached: the revocation holds here and is retried in the background until it lands.
   * @throws TypeError (rejects) for an entry without a string jti and a finite until.
   */
  async revoke(entries: readonly RevocationEntry[]): Promise<void> {
    for (const entry of entries) checkEntry(entry)
    const now = this.#clock()
    const live: [string, number][] = []
    for (const { jti, until: exact } of entries) {
      const until = Math.ceil(exact)
      if (until < now) continue
      // known here and not queued: Redis has it (a reload gives back what a restart lost), so a
      // revoked token replayed at every request costs no round trip
      if (!this.#mirror.add(jti, until) && !this.#pending.has(jti)) continue
      const queued = this.#pending.get(jti)
      if (queued === undefined || queued < until) this.#pending.set(jti, until)
      live.push([jti, until])
    }
    if (live.length === 0) return
    try {
      await this.#send(live)
    } catch (err) {
      this.#report('revoke', err)
      this.#kick(this.#retryDelay)
      throw new StoreUnavailableError()
    }
  }

  /**
   * Records tokens as members of `family`; a refresh token is unused until
   * `useRefreshToken`. If the family was revoked, the new members are revoked at once
   * (here and on every instance).
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   */
  async addToFamily(family: string, members: readonly FamilyMember[]): Promise<void> {
    checkId(family, 'family')
    for (const member of members) checkEntry(member)
    if (members.length === 0) return
    const argv = [this.prefix, this.#skew, family, String(this.#clock())]
    for (const { jti, until } of members) argv.push(jti, String(Math.ceil(until)))
    const reply = await this.#script('family', 'addToFamily', argv)
    this.#mirror.addAll(pairs(reply))
  }

  /**
   * Marks a refresh token used, atomically across instances, and says what that use
   * means (`first`, `grace`, `reused`, `revoked`: see `RefreshTokenUse`). `reused` has
   * revoked every live member of the family, here and on every instance.
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached: single use
   *   cannot be guaranteed. A timed-out call may still have marked the token used.
   */
  async useRefreshToken(input: UseRefreshTokenInput): Promise<RefreshTokenUse> {
    const { jti, until, now, graceMs, newFamily } = input
    checkEntry({ jti, until })
    checkId(newFamily, 'newFamily')
    if (!Number.isFinite(now)) throw new TypeError('useRefreshToken: `now` must be a finite number')
    if (!(graceMs >= 0 && Number.isFinite(graceMs))) throw new TypeError('useRefreshToken: `graceMs` must be a finite number >= 0')
    const reply = await this.#script('exchange', 'useRefreshToken', [
      this.prefix, this.#skew, jti, String(Math.ceil(until)), String(Math.floor(now)), String(graceMs), newFamily,
    ])
    const use = readUse(reply)
    if (use === undefined) {
      this.#report('exchange', new TypeError('unexpected reply from the useRefreshToken script'))
      throw new StoreUnavailableError()
    }
    if (use.use.result === 'reused') this.#mirror.addAll(pairs(use.revoked))
    return use.use
  }

  /**
   * Revokes every live member of `family` (here and on every instance) and marks the
   * family revoked, so later members are revoked as they are added.
   * @returns `false` when Redis knows no such family (never seen, or expired).
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   */
  async revokeFamily(family: string): Promise<boolean> {
    checkId(family, 'family')
    const reply = await this.#script('family', 'revokeFamily', [this.prefix, this.#skew, family, String(this.#clock())])
    if (!Array.isArray(reply)) return false
    this.#mirror.addAll(pairs(reply[1]))
    return reply[0] === 1
  }

  /**
   * The family of a refresh or access token jti, if Redis knows it.
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   */
  async familyOf(jti: string): Promise<string | undefined> {
    checkId(jti, 'jti')
    const reply = await this.#command('family', ['HGET', `${this.prefix}member:${jti}`, 'family'])
    return typeof reply === 'string' ? reply : undefined
  }

  /**
   * Stores `value` under `key` for `ttlMs` milliseconds (by the store's clock).
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   * @throws TypeError (rejects) for a `ttlMs` that is not a positive finite number.
   */
  async setRecord(key: string, value: string, ttlMs: number): Promise<void> {
    checkId(key, 'key')
    if (typeof value !== 'string') throw new TypeError('setRecord: `value` must be a string')
    if (!(ttlMs > 0 && Number.isFinite(ttlMs))) throw new TypeError('setRecord: `ttlMs` must be a positive finite number')
    const expiresAt = this.#clock() + ttlMs
    await this.#command('record', ['SET', `${this.prefix}record:${key}`, `${expiresAt}:${value}`, 'PX', String(Math.ceil(ttlMs))])
  }

  /**
   * The record under `key`, or `undefined` once it expired or was taken.
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   */
  async getRecord(key: string): Promise<string | undefined> {
    checkId(key, 'key')
    return this.#unwrapRecord(await this.#command('record', ['GET', `${this.prefix}record:${key}`]))
  }

  /**
   * Reads and deletes the record under `key` in one step (GETDEL): of concurrent takers
   * on every instance, exactly one gets it.
   * @throws StoreUnavailableError (rejects) when Redis cannot be reached.
   */
  async takeRecord(key: string): Promise<string | undefined> {
    checkId(key, 'key')
    return this.#unwrapRecord(await this.#command('record', ['GETDEL', `${this.prefix}record:${key}`]))
  }

  /**
   * How long the mirror has been out of sync with Redis, in milliseconds: 0 while
   * subscribed and loaded; otherwise the time since the connection was lost (or since
   * construction, before the first load), at least 1. A caller can refuse requests
   * (fail closed) once this exceeds its tolerance: revocations made elsewhere meanwhile
   * are unknown here.
   * @param now Milliseconds since the epoch. @default the store's clock
   */
  staleForMs(now: number = this.#clock()): number {
    return this.#needsLoad ? Math.max(1, now - this.#lostAt) : 0
  }

  /** Revocations made here that Redis may not have yet (being retried). */
  get pendingRevocations(): number {
    return this.#pending.size
  }

  /**
   * Stops the timers and closes the pub/sub connection the store opened, after one last
   * attempt to send pending revocations. The caller's client stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#pruneTimer)
    clearTimeout(this.#retryTimer)
    this.#client.off('ready', this.#onClientReady)
    if (this.#pending.size > 0) {
      await this.#send([...this.#pending]).catch((err: unknown) => this.#report('close', err))
    }
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    if (subscriber !== undefined) await closeConnection(subscriber, this.#timeoutMs)
  }

  // ---- connection and sync ---------------------------------------------------------

  #openSubscriber(): void {
    const subscriber = this.#client.duplicate()
    this.#subscriber = subscriber
    this.#subscribed = false
    subscriber.on('error', (err) => {
      this.#lost()
      this.#report('subscribe', err)
    })
    subscriber.on('reconnecting', () => this.#lost())
    subscriber.on('end', () => {
      if (this.#closed || this.#subscriber !== subscriber) return
      // closed for good (e.g. a client without reconnects): open another on the next retry
      this.#lost()
      this.#subscriber = undefined
      this.#kick(this.#retryDelay)
    })
    // after a reconnect node-redis has resubscribed before 'ready': reload what was missed
    subscriber.on('ready', () => {
      if (!this.#subscribed) return
      this.#lost()
      this.#kick(0)
    })
    // connect() waits out an outage: node-redis keeps reconnecting until it is destroyed
    subscriber
      .connect()
      .then(() => subscriber.subscribe(`${this.prefix}revocations`, (message) => this.#receive(message)))
      .then(
        () => {
          if (this.#subscriber !== subscriber) return
          this.#subscribed = true
          this.#kick(0)
        },
        (err: unknown) => {
          if (this.#closed || this.#subscriber !== subscriber) return
          this.#report('subscribe', err)
          this.#subscriber = undefined
          destroyQuietly(subscriber)
          this.#kick(this.#retryDelay)
        },
      )
  }

  /** The mirror may have missed messages: it needs a load before it counts as in sync. */
  #lost(): void {
    this.#epoch++
    if (!this.#needsLoad) {
      this.#needsLoad = true
      this.#lostAt = this.#clock()
    }
  }

  /** Runs `#tick` after `delayMs`, unless a run is due sooner already. */
  #kick(delayMs: number): void {
    if (this.#closed) return
    const due = Date.now() + delayMs
    if (this.#retryTimer !== undefined && this.#retryDue <= due) return
    clearTimeout(this.#retryTimer)
    this.#retryDue = due
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#retryDue = Number.POSITIVE_INFINITY
      void this.#tick()
    }, delayMs)
    this.#retryTimer.unref()
  }

  /** One background step: reopen, load if needed, send pending revocations. Never rejects. */
  async #tick(): Promise<void> {
    if (this.#closed) return
    if (this.#running) {
      this.#runAgain = true
      return
    }
    this.#running = true
    let failed = false
    if (this.#subscriber === undefined) this.#openSubscriber()
    if (this.#needsLoad) {
      if (this.#subscribed && this.#subscriber?.isReady === true) {
        try {
          await this.#load()
        } catch (err) {
          failed = true
          this.#report('load', err)
        }
      } else {
        failed = true // its 'ready' kicks again
      }
    }
    if (this.#pending.size > 0) {
      try {
        await this.#send([...this.#pending])
      } catch (err) {
        failed = true
        this.#report('retry', err)
      }
    }
    this.#running = false
    if (this.#runAgain) {
      this.#runAgain = false
      this.#kick(0)
    } else if (failed) {
      this.#kick(this.#retryDelay)
      this.#retryDelay = Math.min(this.#retryDelay * 2, this.#retryMaxMs)
    } else {
      this.#retryDelay = RETRY_MIN_MS
    }
  }

  /** Loads every live revocation into the mirror; in sync if no connection was lost meanwhile. */
  async #load(): Promise<void> {
    const epoch = this.#epoch
    const reply = await runScript(this.#client, 'load', [this.prefix, this.#skew, String(this.#clock())], this.#timeoutMs)
    const loaded = pairs(reply)
    const inRedis = new Map(loaded.map(({ jti, until }) => [jti, until]))
    // what this instance knows and Redis lacks (a restart without persistence lost it): send it again
    for (const { jti, until } of this.#mirror.entries()) {
      if ((inRedis.get(jti) ?? -1) < until && (this.#pending.get(jti) ?? -1) < until) this.#pending.set(jti, until)
    }
    this.#mirror.addAll(loaded)
    if (epoch !== this.#epoch || this.#subscriber?.isReady !== true) throw new Error('the pub/sub connection dropped during the load')
    this.#needsLoad = false
    this.#resolveReady()
  }

  /** Sends revocations to Redis and every instance; drops them from the queue once sent. */
  async #send(entries: readonly (readonly [string, number])[]): Promise<void> {
    for (let i = 0; i < entries.length; i += REVOKE_BATCH) {
      const batch = entries.slice(i, i + REVOKE_BATCH)
      const argv = [this.prefix, this.#skew, String(this.#clock())]
      for (const [jti, until] of batch) argv.push(jti, String(until))
      await runScript(this.#client, 'revoke', argv, this.#timeoutMs)
      // a later, longer revocation of the same jti stays queued
      for (const [jti, until] of batch) if (this.#pending.get(jti) === until) this.#pending.delete(jti)
    }
  }

  /** A message on the channel: `[{ jti, until }]` from any instance (this one too). */
  #receive(message: string): void {
    let parsed: unknown
    try {
      parsed = JSON.parse(message)
    } catch (err) {
      this.#report('message', err)
      return
    }
    if (!Array.isArray(parsed)) return
    for (const item of parsed as unknown[]) {
      if (typeof item !== 'object' || item === null) continue
      const { jti, until } = item as { jti?: unknown; until?: unknown }
      if (typeof jti === 'string' && typeof until === 'number') this.#mirror.add(jti, until)
    }
  }

  #prune(): void {
    this.#mirror.prune()
    const now = this.#clock()
    for (const [jti, until] of this.#pending) if (until < now) this.#pending.delete(jti)
  }

  // ---- commands ----------------------------------------------------------------------

  #script(operation: string, name: 'addToFamily' | 'useRefreshToken' | 'revokeFamily', argv: readonly string[]): Promise<unknown> {
    return this.#call(operation, runScript(this.#client, name, argv, this.#timeoutMs))
  }

  #command(operation: string, args: readonly string[]): Promise<unknown> {
    return this.#call(operation, sendCommand(this.#client, args, this.#timeoutMs))
  }

  /** A failed call is reported and becomes StoreUnavailableError. */
  async #call(operation: string, reply: Promise<unknown>): Promise<unknown> {
    try {
      return await reply
    } catch (err) {
      this.#report(operation, err)
      throw new StoreUnavailableError()
    }
  }

  #unwrapRecord(raw: unknown): string | undefined {
    if (typeof raw !== 'string') return undefined
    const colon = raw.indexOf(':')
    const expiresAt = Number(raw.slice(0, colon))
    return expiresAt > this.#clock() ? raw.slice(colon + 1) : undefined
  }

  #report(operation: string, error: unknown): void {
    // a throwing hook must not break the store or reach the caller
    callHook(this.#onStoreError, { operation, error })
  }
}

// ---- helpers -------------------------------------------------------------------------

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new TypeError(`RedisTokenStore: \`${name}\` must be a positive number of milliseconds`)
  }
  return value
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
    throw new TypeError(`RedisTokenStore: \`${name}\` must be a number of milliseconds >= 0`)
  }
  return Math.ceil(value)
}

function checkId(value: string, name: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`RedisTokenStore: \`${name}\` must be a non-empty string`)
}

function checkEntry(entry: RevocationEntry): void {
  checkId(entry?.jti, 'jti')
  if (typeof entry.until !== 'number' || !Number.isFinite(entry.until)) {
    throw new TypeError('RedisTokenStore: `until` must be a finite number of milliseconds since the epoch')
  }
}

/** A flat reply `[jti, until, jti, until, ...]` as entries; anything else reads as none. */
function pairs(reply: unknown): RevocationEntry[] {
  if (!Array.isArray(reply)) return []
  const entries: RevocationEntry[] = []
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const jti: unknown = reply[i]
    const until = Number(reply[i + 1])
    if (typeof jti === 'string' && Number.isFinite(until)) entries.push({ jti, until })
  }
  return entries
}

type ScriptUse = { use: RefreshTokenUse; revoked: unknown }

/** The useRefreshToken script's reply, or undefined if it has an unexpected shape. */
function readUse(reply: unknown): ScriptUse | undefined {
  if (!Array.isArray(reply)) return undefined
  const [result, family, usedAt, revoked] = reply as unknown[]
  if (typeof family !== 'string') return undefined
  const firstUsedAt = Number(usedAt)
  switch (result) {
    case 'first':
    case 'revoked':
      return { use: { result, family }, revoked: undefined }
    case 'grace':
    case 'reused':
      if (!Number.isFinite(firstUsedAt)) return undefined
      return { use: { result, family, firstUsedAt }, revoked }
    default:
      return undefined
  }
}

/** Closes a connection the store opened: gracefully if it can, within `timeoutMs`, else destroys it. */
async function closeConnection(connection: RedisSubscriberClient, timeoutMs: number): Promise<void> {
  if (!connection.isReady) {
    destroyQuietly(connection)
    return
  }
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
    timer.unref()
  })
  await Promise.race([connection.close().catch(() => {}), timedOut])
  clearTimeout(timer)
  destroyQuietly(connection)
}

function destroyQuietly(connection: RedisSubscriberClient): void {
  try {
    if (connection.isOpen) connection.destroy()
  } catch {
    // already closed
  }
}
