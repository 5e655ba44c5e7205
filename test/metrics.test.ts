// Metrics: auth.stats() and the same numbers read back through OpenTelemetry's SDK.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics'
import { METRIC_NAMES, createFastMcpAuth, type FastMcpAuthOptions } from '../src/index.js'
import { AUDIENCE, ISSUER, VECTOR_KEY, claims, manualClock, signToken, startServer } from './helpers.js'

function otel() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const read = async (name: string): Promise<DataPoint<unknown>[]> => {
    exporter.reset()
    await reader.forceFlush()
    const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics)
    return metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[])
  }
  return { meterProvider, read, close: () => meterProvider.shutdown() }
}

const point = (points: DataPoint<unknown>[], attributes: Record<string, unknown>): unknown =>
  points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))?.value

async function scenario(options: Partial<FastMcpAuthOptions>) {
  const clock = manualClock()
  const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: clock.now, cache: { max: 2 }, ...options })
  const server = await startServer('express5', [auth.requireFastMcpToken, auth.requireScopes('write')])
  const get = (token?: string) => fetch(server.url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  try {
    const valid = signToken(claims({ jti: 'm-1' }))
    await get(valid) // miss, accepted
    await get(valid) // hit, accepted
    await get() // missing_token
    await get(signToken(claims({ jti: 'm-2' }), { key: 'k'.repeat(44) })) // bad_signature
    await get(signToken(claims({ jti: 'm-3', scope: 'read' }))) // accepted, then insufficient_scope
    await get(signToken(claims({ jti: 'm-4' }))) // third entry: evicts one of two
    await auth.revoke('m-1')
    const grant = await auth.issueTokenResponse({ clientId: 'c', scopes: ['read'], refreshToken: true })
    await auth.exchangeRefreshToken(grant.refresh_token!)
    clock.advance(60_000)
    await auth.exchangeRefreshToken(grant.refresh_token!).catch(() => {})
  } finally {
    await server.close()
  }
  return auth
}

describe('auth.stats()', () => {
  test('counts requests by outcome and reason, the cache, revocations and refresh exchanges', async () => {
    const auth = await scenario({ metrics: false })
    const stats = auth.stats()
    assert.deepEqual(stats.requests, {
      accepted: 4, cacheHits: 1, refused: 3,
      refusedByReason: { missing_token: 1, bad_signature: 1, insufficient_scope: 1 },
    })
    assert.deepEqual(stats.cache, { entries: 2, max: 2, evictions: 1 })
    assert.equal(stats.revocations, 1)
    assert.deepEqual(stats.refreshExchanges, { rotated: 1, grace: 0, reuse_detected: 1, refused: 0 })
    assert.deepEqual(stats.store, { errors: 0, staleForMs: 0 })
  })
})

describe('OpenTelemetry metrics', () => {
  test('the same numbers, read back through the SDK; a histogram of verification time on cache misses', async () => {
    const o = otel()
    try {
      await scenario({ metrics: { meterProvider: o.meterProvider } })
      const requests = await o.read(METRIC_NAMES.requests)
      assert.equal(point(requests, { outcome: 'accepted', cached: true }), 1)
      assert.equal(point(requests, { outcome: 'accepted', cached: false }), 3)
      assert.equal(point(requests, { outcome: 'refused', reason: 'bad_signature' }), 1)
      assert.equal(point(requests, { outcome: 'refused', reason: 'insufficient_scope' }), 1)
      assert.equal(point(await o.read(METRIC_NAMES.cacheEvictions), {}), 1)
      assert.equal(point(await o.read(METRIC_NAMES.cacheEntries), {}), 2)
      assert.equal(point(await o.read(METRIC_NAMES.revocations), {}), 1)
      const refresh = await o.read(METRIC_NAMES.refreshExchanges)
      assert.equal(point(refresh, { result: 'rotated' }), 1)
      assert.equal(point(refresh, { result: 'reuse_detected' }), 1)
      assert.equal(point(await o.read(METRIC_NAMES.storeErrors), {}), 0)
      const durations = await o.read(METRIC_NAMES.verificationDuration)
      const accepted = point(durations, { outcome: 'accepted' }) as Histogram
      const refused = point(durations, { outcome: 'refused' }) as Histogram
      // three misses verified in full (m-1, m-3, m-4), one forged refused; seconds, and small
      assert.equal(accepted.count, 3)
      assert.equal(refused.count, 1)
      assert.ok(accepted.sum! > 0 && accepted.sum! < 5)
    } finally {
      await o.close()
    }
  })

  test('metrics: false publishes nothing', async () => {
    const o = otel()
    try {
      createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, metrics: false })
      assert.deepEqual(await o.read(METRIC_NAMES.requests), [])
    } finally {
      await o.close()
    }
  })
})
