// Nanoseconds per verification of one realistic FastMCP token: our paths, the libraries a
// user would otherwise pick, and two floors built from node:crypto and a Map. Each case is
// measured by mitata in every round, rounds interleaved; the figure is the median of the
// rounds' medians.
import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import { jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { do_not_optimize, measure } from 'mitata'
import { createFastMcpAuth, InvalidTokenError, MemoryTokenStore, type FastMcpMiddleware } from '../src/index.js'
import { TokenCache } from '../src/cache.js'
import { AccessTokenVerifier } from '../src/verifier.js'
import { AUDIENCE, ISSUER, QUICK, fixed, makeFixtures, median, ratio, report, table } from './common.js'
import { MockResponse, mockRequest } from './mock.js'

const ROUNDS = Number(process.env.BENCH_MICRO_ROUNDS ?? (QUICK ? 3 : 7))
const MIN_CPU_NS = QUICK ? 100e6 : 150e6

interface Case {
  id: string
  name: string
  fn: () => unknown
  /** Verifications per call: batches report per token. @default 1 */
  per?: number
}

// a server verifies many tokens at once: batches show throughput, where a single awaited
// call shows latency (mostly the wait for libuv's thread pool, where WebCrypto runs)
const BATCH = 32

async function main(): Promise<void> {
  const fx = await makeFixtures()
  const { token } = fx
  const keyObject = createSecretKey(Buffer.from(fx.key, 'latin1'))
  const cryptoKey = await crypto.subtle.importKey('raw', Buffer.from(fx.key, 'latin1'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string; exp: number }

  // ---- floors ----
  const hmacFloor = (t: string): boolean => {
    const dot = t.lastIndexOf('.')
    const mac = createHmac('sha256', keyObject).update(t.slice(0, dot)).digest()
    const sig = Buffer.from(t.slice(dot + 1), 'base64url')
    return sig.length === mac.length && timingSafeEqual(mac, sig)
  }
  const floorMap = new Map([[claims.jti, { token, exp: claims.exp }]])
  const mapFloor = (t: string): unknown => {
    const start = t.indexOf('.') + 1
    const jti = (JSON.parse(Buffer.from(t.slice(start, t.indexOf('.', start)), 'base64url').toString('utf8')) as { jti: string }).jti
    const entry = floorMap.get(jti)
    return entry !== undefined && entry.token === t && entry.exp * 1000 > Date.now() ? entry : undefined
  }

  // ---- ours ----
  const auth = createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE })
  const noCache = createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE, cache: false })
  // metrics published through a real OpenTelemetry SDK (collected hourly: never during a run)
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 })] })
  const withMetrics = createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE, metrics: { meterProvider } })
  await Promise.all([auth.ready, noCache.ready, withMetrics.ready])
  const verifier = new AccessTokenVerifier({
    issuer: auth.ready,
    cache: new TokenCache({ max: 5000, clock: Date.now, toleranceSeconds: 0 }),
    store: new MemoryTokenStore(),
    maxStalenessMs: undefined,
    clock: Date.now,
    toleranceSeconds: 0,
    keyWaitMs: 10_000,
  })
  await verifier.verify(token)
  const ownIssuer = await auth.ready

  const req = mockRequest(token)
  const forgedReq = mockRequest(fx.forged)
  const forgedCachedReq = mockRequest(fx.forgedCachedJti)
  const res = new MockResponse()
  const response = res.asServerResponse()
  let nexts = 0
  const next = (err?: unknown): void => {
    if (err !== undefined) throw new Error('bench: next(err) on a valid token')
    nexts++
  }
  // resolves when the middleware calls next() (accepted) or ends the response (refused)
  const through = (mw: FastMcpMiddleware, r: typeof req): Promise<void> =>
    new Promise((resolve) => {
      res.onEnd = resolve
      mw(r, response, () => resolve())
    })
  await through(auth.requireFastMcpToken, req) // warm the cache
  await through(withMetrics.requireFastMcpToken, req)
  // more tokens than the AuthInfo memo holds, taken in turn: every hit rebuilds its AuthInfo
  const coldReqs: (typeof req)[] = []
  for (let i = 0; i < 600; i++) {
    const r = mockRequest(await fx.issuer.issueAccessToken({ clientId: '3f1c2b9e-8d4a-4f6e-9b7c-1a2d3e4f5a6b', scopes: ['read', 'write'] }))
    await through(auth.requireFastMcpToken, r)
    coldReqs.push(r)
  }
  let turn = 0

  // ---- peers ----
  const joseOptions = { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'] }
  const jwtOptions: jsonwebtoken.VerifyOptions = { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }
  const fastJwt = createVerifier({ key: fx.key, cache: true, algorithms: ['HS256'], allowedIss: ISSUER, allowedAud: AUDIENCE })
  fastJwt(token) // warm its cache

  const cases: Case[] = [
    { id: 'hmacFloor', name: 'floor: node:crypto HMAC-SHA256 + timingSafeEqual', fn: () => hmacFloor(token) },
    { id: 'mapFloor', name: 'floor: jti decode + Map lookup + string compare + exp check', fn: () => mapFloor(token) },
    { id: 'hitMiddleware', name: 'ours: cache hit through requireFastMcpToken (mock req/res)', fn: () => auth.requireFastMcpToken(req, response, next) },
    { id: 'hitMetrics', name: 'ours: cache hit through the middleware, metrics on an OpenTelemetry SDK', fn: () => withMetrics.requireFastMcpToken(req, response, next) },
    { id: 'hitCold', name: 'ours: cache hit through the middleware, 600 tokens in turn (AuthInfo rebuilt)', fn: () => auth.requireFastMcpToken(coldReqs[turn++ % 600]!, response, next) },
    { id: 'hitLookup', name: 'ours: cache lookup alone (jti, compare, time, revocation)', fn: () => verifier.lookup(token) },
    { id: 'miss', name: 'ours: cache miss through requireFastMcpToken (cache off)', fn: () => through(noCache.requireFastMcpToken, req) },
    { id: 'issuerVerify', name: 'ours: JWTIssuer.verifyToken alone', fn: () => ownIssuer.verifyToken(token) },
    { id: 'jose', name: 'jose jwtVerify, pre-imported CryptoKey', fn: () => jwtVerify(token, cryptoKey, joseOptions) },
    { id: 'issuerVerifyBatch', name: `ours: JWTIssuer.verifyToken, ${BATCH} at once (per token)`, per: BATCH, fn: () => Promise.all(Array.from({ length: BATCH }, () => ownIssuer.verifyToken(token))) },
    { id: 'joseBatch', name: `jose jwtVerify, ${BATCH} at once (per token)`, per: BATCH, fn: () => Promise.all(Array.from({ length: BATCH }, () => jwtVerify(token, cryptoKey, joseOptions))) },
    { id: 'issue', name: 'ours: JWTIssuer.issueAccessToken (mint one token)', fn: () => ownIssuer.issueAccessToken({ clientId: '3f1c2b9e-8d4a-4f6e-9b7c-1a2d3e4f5a6b', scopes: ['read', 'write'] }) },
    { id: 'jwtString', name: 'jsonwebtoken verify, string secret (as express-jwt)', fn: () => jsonwebtoken.verify(token, fx.key, jwtOptions) },
    { id: 'jwtKeyObject', name: 'jsonwebtoken verify, KeyObject', fn: () => jsonwebtoken.verify(token, keyObject, jwtOptions) },
    { id: 'fastJwt', name: 'fast-jwt verifier, cache hit', fn: () => fastJwt(token) },
    { id: 'forgedDecision', name: 'ours: refuse forged token (new jti): lookup + signature check', fn: () => decide(fx.forged) },
    { id: 'forgedCachedDecision', name: 'ours: refuse forged token reusing a cached jti: lookup + signature check', fn: () => decide(fx.forgedCachedJti) },
    { id: 'forged', name: 'ours: refuse forged token (new jti) through the middleware, 401 written', fn: () => refuse(forgedReq) },
    { id: 'forgedCached', name: 'ours: refuse forged token reusing a cached jti through the middleware, 401 written', fn: () => refuse(forgedCachedReq) },
  ]

  // the verifier's own decision, as the middleware takes it: the cache, then the cheap checks
  // (awaited if they answer asynchronously, as they did before the middleware's fast path)
  const decideNow = (t: string): unknown => {
    try {
      return verifier.lookup(t) ?? verifier.verify(t)
    } catch (err) {
      return err
    }
  }
  const probe = decideNow(fx.forged)
  if (probe instanceof Promise) await probe.catch(() => {})
  const syncDecision = probe instanceof InvalidTokenError
  const decide = (t: string): unknown =>
    syncDecision ? decideNow(t) : Promise.resolve(t).then((x) => verifier.lookup(x) ?? verifier.verify(x)).catch((err: unknown) => err)
  // a refusal that answers before the middleware returns is timed as such; otherwise awaited
  let syncRefusal = false
  const refuse = (r: typeof req): unknown => (syncRefusal ? auth.requireFastMcpToken(r, response, next) : through(auth.requireFastMcpToken, r))

  // check each case does what its name says before timing it
  if (!hmacFloor(token) || hmacFloor(fx.forged) || mapFloor(token) === undefined) throw new Error('bench: floors are wrong')
  if (verifier.lookup(token) === undefined) throw new Error('bench: lookup missed')
  for (const r of [forgedReq, forgedCachedReq]) {
    res.statusCode = 200
    await through(auth.requireFastMcpToken, r)
    if (res.statusCode !== 401) throw new Error('bench: a forged token was not refused')
  }
  for (const t of [fx.forged, fx.forgedCachedJti]) {
    if (!(await decide(t) instanceof InvalidTokenError)) throw new Error('bench: a forged token was not refused')
  }
  res.statusCode = 200
  res.onEnd = () => {}
  auth.requireFastMcpToken(forgedReq, response, next)
  syncRefusal = res.statusCode === 401
  const before = nexts
  auth.requireFastMcpToken(req, response, next)
  if (nexts !== before + 1) throw new Error('bench: the cache hit did not answer synchronously')

  // mitata awaits a case only if it sees its promise
  const asyncCases = new Set<string>()
  for (const c of cases) {
    const result = c.fn()
    if (result instanceof Promise) {
      asyncCases.add(c.id)
      await result
    }
  }
  const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const { fn } = c
      const timed = asyncCases.has(c.id) ? async () => do_not_optimize(await fn()) : () => do_not_optimize(fn())
      const stats = await measure(timed, { min_cpu_time: MIN_CPU_NS })
      samples.get(c.id)!.push(stats.p50)
    }
    process.stderr.write(`micro: round ${round + 1}/${ROUNDS} done\n`)
  }

  const ns = Object.fromEntries(cases.map((c) => [c.id, median(samples.get(c.id)!) / (c.per ?? 1)]))
  const hmac = ns.hmacFloor!
  const rows = cases.map((c) => [c.name, fixed(ns[c.id]!, 0), ratio(ns[c.id]! / hmac), fixed(1e9 / ns[c.id]!, 0)])
  const markdown = [
    '## Micro: one verification (ns, median of rounds)',
    '',
    `${ROUNDS} rounds, cases interleaved; each figure is the median over rounds of mitata's per-round median (p50, wall ns per call; async cases include the wait for the thread pool). ` +
      `Refusals answer ${syncRefusal && syncDecision ? 'synchronously and are timed so' : 'asynchronously and are awaited'}.`,
    '',
    table(['case', 'ns/op', 'vs HMAC floor', 'ops/s'], rows),
  ].join('\n')
  report({ markdown, metrics: ns })
  await meterProvider.shutdown()
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
