// What an operator reads without writing hooks: `auth.stats()`, a plain snapshot, and the
// same numbers through OpenTelemetry's metrics API when `@opentelemetry/api` (an optional
// peer) is installed. Requests only bump integers here; OpenTelemetry reads them at
// collection time (asynchronous instruments), so metrics cost the hot path nothing more.
import { createRequire } from 'node:module'
import type { RefreshResult } from './rotation.js'

/** Instrument names, all under `fastmcp_auth.`; see the README's Metrics section. */
export const METRIC_NAMES = {
  requests: 'fastmcp_auth.requests',
  verificationDuration: 'fastmcp_auth.verification.duration',
  cacheEntries: 'fastmcp_auth.cache.entries',
  cacheEvictions: 'fastmcp_auth.cache.evictions',
  revocations: 'fastmcp_auth.revocations',
  refreshExchanges: 'fastmcp_auth.refresh.exchanges',
  storeErrors: 'fastmcp_auth.store.errors',
} as const

/** A plain snapshot of the package's counters, e.g. for a health endpoint. Counts since start. */
export interface FastMcpAuthStats {
  requests: {
    accepted: number
    /** Accepted from the cache (no signature check ran). */
    cacheHits: number
    refused: number
    /** Refusals by `reason` (`expired`, `bad_signature`, `insufficient_scope`, ...). */
    refusedByReason: Record<string, number>
  }
  cache: { entries: number; max: number; evictions: number }
  /** Revocations made through this instance (`revoke`, `revokeToken`). */
  revocations: number
  /** Refresh exchanges by result. */
  refreshExchanges: Record<RefreshResult, number>
  store: {
    /** Store operations that failed here (a revocation, an exchange, a family record). */
    errors: number
    /** How long the store has been unreachable, in milliseconds; 0 while it is reachable. */
    staleForMs: number
  }
}

// The few members of @opentelemetry/api this module uses, typed here so that the public
// declarations never import an optional peer.
interface Attributes { [key: string]: string | boolean }
interface ObservableResult { observe(value: number, attributes?: Attributes): void }
interface Observable { addCallback(callback: (result: ObservableResult) => void): void }
interface Histogram { record(value: number, attributes?: Attributes): void }
interface InstrumentOptions { description?: string; unit?: string }
interface Meter {
  createHistogram(name: string, options?: InstrumentOptions): Histogram
  createObservableCounter(name: string, options?: InstrumentOptions): Observable
  createObservableGauge(name: string, options?: InstrumentOptions): Observable
}

/** An OpenTelemetry `MeterProvider` (from `@opentelemetry/api` or `@opentelemetry/sdk-metrics`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): unknown
}

/** What `stats()` reads from outside the recorder. */
export interface StatsSources {
  cacheEntries: () => number
  cacheMax: number
  staleForMs: () => number
}

const REFRESH_RESULTS: readonly RefreshResult[] = ['rotated', 'grace', 'reuse_detected', 'refused']

/** Counts what the middleware, the cache and the grants did. */
export class MetricsRecorder {
  #accepted = 0
  #cacheHits = 0
  #refused = 0
  readonly #refusedByReason = new Map<string, number>()
  #evictions = 0
  #revocations = 0
  readonly #refresh = new Map<RefreshResult, number>(REFRESH_RESULTS.map((r) => [r, 0]))
  #storeErrors = 0
  #histogram: Histogram | undefined
  readonly #sources: StatsSources

  constructor(sources: StatsSources) {
    this.#sources = sources
  }

  accepted(cached: boolean): void {
    this.#accepted++
    if (cached) this.#cacheHits++
  }

  refused(reason: string): void {
    this.#refused++
    this.#refusedByReason.set(reason, (this.#refusedByReason.get(reason) ?? 0) + 1)
  }

  /** A cache miss's full verification took `ms` milliseconds. */
  verified(ms: number, accepted: boolean): void {
    this.#histogram?.record(ms / 1000, { outcome: accepted ? 'accepted' : 'refused' })
  }

  evicted(): void {
    this.#evictions++
  }

  revoked(): void {
    this.#revocations++
  }

  refresh(result: RefreshResult): void {
    this.#refresh.set(result, this.#refresh.get(result)! + 1)
  }

  storeError(): void {
    this.#storeErrors++
  }

  stats(): FastMcpAuthStats {
    return {
      requests: {
        accepted: this.#accepted,
        cacheHits: this.#cacheHits,
        refused: this.#refused,
        refusedByReason: Object.fromEntries(this.#refusedByReason),
      },
      cache: { entries: this.#sources.cacheEntries(), max: this.#sources.cacheMax, evictions: this.#evictions },
      revocations: this.#revocations,
      refreshExchanges: Object.fromEntries(this.#refresh) as Record<RefreshResult, number>,
      store: { errors: this.#storeErrors, staleForMs: this.#sources.staleForMs() },
    }
  }

  /**
   * Publishes the counters through `provider`, or the global MeterProvider of
   * `@opentelemetry/api` when it is installed; does nothing when it is not.
   */
  bindOpenTelemetry(provider: MeterProviderLike | undefined): void {
    const meterProvider = provider ?? globalMeterProvider()
    if (meterProvider === undefined) return
    const meter = meterProvider.getMeter('fastmcp-auth-express') as Meter
    this.#histogram = meter.createHistogram(METRIC_NAMES.verificationDuration, {
      description: 'Full verification of a token the cache did not answer', unit: 's',
    })
    meter.createObservableCounter(METRIC_NAMES.requests, { description: 'Requests by outcome, refusal reason and whether the cache answered', unit: '{request}' })
      .addCallback((result) => {
        result.observe(this.#accepted - this.#cacheHits, { outcome: 'accepted', cached: false })
        result.observe(this.#cacheHits, { outcome: 'accepted', cached: true })
        for (const [reason, count] of this.#refusedByReason) result.observe(count, { outcome: 'refused', reason })
      })
    meter.createObservableGauge(METRIC_NAMES.cacheEntries, { description: 'Tokens in the verified-token cache', unit: '{entry}' })
      .addCallback((result) => result.observe(this.#sources.cacheEntries()))
    meter.createObservableCounter(METRIC_NAMES.cacheEvictions, { description: 'Cache entries evicted to make room', unit: '{entry}' })
      .addCallback((result) => result.observe(this.#evictions))
    meter.createObservableCounter(METRIC_NAMES.revocations, { description: 'Tokens revoked through this instance', unit: '{token}' })
      .addCallback((result) => result.observe(this.#revocations))
    meter.createObservableCounter(METRIC_NAMES.refreshExchanges, { description: 'Refresh exchanges by result', unit: '{exchange}' })
      .addCallback((result) => { for (const [r, count] of this.#refresh) result.observe(count, { result: r }) })
    meter.createObservableCounter(METRIC_NAMES.storeErrors, { description: 'Token-store operations that failed', unit: '{error}' })
      .addCallback((result) => result.observe(this.#storeErrors))
  }
}

// The optional peer, loaded synchronously if present. Its global registry lives on
// globalThis, so this copy sees the provider the app registered with its own import.
function globalMeterProvider(): MeterProviderLike | undefined {
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as { metrics?: { getMeterProvider(): MeterProviderLike } }
    return api.metrics?.getMeterProvider()
  } catch {
    return undefined
  }
}
