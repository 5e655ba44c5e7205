// Fuzzing requireFastMcpToken with fast-check: random headers, random strings in the
// token position, valid tokens with random byte mutations, claim sets re-signed under
// wrong keys, and random claim sets signed with the right key, judged by an independent
// oracle (oracle.ts). About a third of the requests go through live servers (Express 5,
// Express 4, node:http) over keep-alive connections; the rest drive the middleware
// directly on a stand-in req/res. Replay a failure with FUZZ_SEED=<seed>.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { deriveJwtKey } from '../../src/index.js'
import { AUDIENCE, ISSUER, NOW, NOW_MS, SERVER_KINDS, VECTOR_KEY, VECTOR_SECRET, claims, signToken, vector } from '../helpers.js'
import {
  Client,
  asReply,
  b64url,
  callMiddleware,
  createAuthContext,
  isWellFormedRefusal,
  runBounded,
  signRaw,
  startSecureServer,
  watchProcess,
  type AuthContext,
  type Reply,
  type SecureServer,
} from './harness.js'
import { tokenAllowed, type Rules } from './oracle.js'

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31)
console.log(`fuzz seed: ${SEED} (replay with FUZZ_SEED=${SEED})`)

const REVOKED_JTI = 'fz-revoked'
const HTTP_RULES: Rules = { issuer: ISSUER, audience: AUDIENCE, toleranceSeconds: 30, nowMs: NOW_MS, revoked: new Set([REVOKED_JTI]), maxTokenLength: 8192, maxTokenLifetimeSeconds: 400 * 86400 }
const DIRECT_RULES: Rules = { ...HTTP_RULES, toleranceSeconds: 0 }

// ---- bookkeeping ---------------------------------------------------------------------

const stats = {
  http: 0,
  direct: 0,
  accepted: 0,
  refused: 0,
  /** Accepted although the rules say refuse: forged, mutated, or a claim the rules forbid. */
  acceptedForgeries: 0,
  /** Refused although the rules say accept. */
  refusedValid: 0,
  serverErrors: 0,
  /** Requests and acceptances per category. */
  byCategory: {} as Record<string, { requests: number; accepted: number }>,
}
const processWatch = watchProcess()
let elapsedMs = 0

type Expect =
  | { verdict: 'accept'; token: string; clientId: string; jti: string }
  | { verdict: 'refuse'; status?: 400 | 401; code?: 'invalid_request' | 'invalid_token' }

interface FuzzCase {
  category: string
  method?: string
  /** Request target. @default '/mcp' */
  path?: string
  headers: [string, string][]
  /** What the presented token must never be echoed in. */
  token?: string
  expect: (rules: Rules) => Expect
}

const refuse = (status?: 400 | 401, code?: 'invalid_request' | 'invalid_token'): Expect => ({ verdict: 'refuse', status, code })
const REFUSE_ANY = (): Expect => refuse()
const REFUSE_TOKEN = (): Expect => refuse(401, 'invalid_token')

const show = (c: FuzzCase): string => JSON.stringify({ category: c.category, method: c.method, path: c.path, headers: c.headers })

/** Gives a case the short form fast-check prints in a counterexample. */
function printable(c: FuzzCase): FuzzCase {
  return Object.assign(c, { [fc.toStringMethod]: () => `${show(c).slice(0, 100)}…` })
}

/** Judges one answer; returns what went wrong, or undefined. */
function judge(c: FuzzCase, rules: Rules, reply: Reply, auth: unknown): string | undefined {
  const expected = c.expect(rules)
  const category = (stats.byCategory[c.category] ??= { requests: 0, accepted: 0 })
  category.requests++
  if (reply.status >= 500) {
    stats.serverErrors++
    return `5xx (${reply.status}) for ${show(c)}`
  }
  const accepted = reply.status === 200
  if (accepted) {
    stats.accepted++
    category.accepted++
  } else stats.refused++
  if (expected.verdict === 'refuse') {
    if (accepted) {
      stats.acceptedForgeries++
      return `ACCEPTED a request the rules refuse: ${show(c)}`
    }
    if (!isWellFormedRefusal(reply)) return `malformed refusal ${reply.status} ${JSON.stringify(reply.headers['www-authenticate'])} ${reply.body} for ${show(c)}`
    const body = JSON.parse(reply.body) as { error?: string }
    if (expected.status !== undefined && reply.status !== expected.status) return `status ${reply.status} (${body.error}), expected ${expected.status} for ${show(c)}`
    if (expected.code !== undefined && body.error !== expected.code) return `error ${body.error}, expected ${expected.code} for ${show(c)}`
    if (c.token !== undefined && c.token.length >= 16 && `${JSON.stringify(reply.headers)}${reply.body}`.includes(c.token)) {
      return `the token came back in a refusal: ${show(c)}`
    }
    return undefined
  }
  if (!accepted) {
    stats.refusedValid++
    return `refused (${reply.status} ${reply.body}) a request the rules accept: ${show(c)}`
  }
  const a = auth as { token?: unknown; clientId?: unknown; extra?: { jti?: unknown } } | undefined
  if (a?.token !== expected.token || a.clientId !== expected.clientId || a.extra?.jti !== expected.jti) {
    return `req.auth does not belong to the presented token: ${JSON.stringify(a)} for ${show(c)}`
  }
  return undefined
}

// ---- where the requests go -------------------------------------------------------------

let servers: SecureServer[]
let httpCtx: AuthContext
let directCtx: AuthContext
const httpClient = new Client(16)
let rotation = 0

async function viaHttp(c: FuzzCase): Promise<string | undefined> {
  const server = servers[rotation++ % servers.length]!
  let reply: Reply
  try {
    reply = await httpClient.send(server.port, { method: c.method, path: c.path, headers: c.headers })
  } catch (err) {
    return `request failed (${String(err)}) for ${show(c)}`
  }
  stats.http++
  let auth: unknown
  if (reply.status === 200) auth = (JSON.parse(reply.body) as { auth?: unknown }).auth
  return judge(c, HTTP_RULES, reply, auth)
}

async function viaDirect(c: FuzzCase): Promise<string | undefined> {
  const result = await callMiddleware(directCtx.auth.requireFastMcpToken, { method: c.method, url: c.path, rawHeaders: c.headers })
  stats.direct++
  if (result.error !== undefined) return `next(err) with ${String(result.error)} for ${show(c)}`
  return judge(c, DIRECT_RULES, asReply(result), result.auth)
}

/** Runs a batch of cases concurrently; a property fails with every wrong answer listed. */
function batchProperty(arb: fc.Arbitrary<FuzzCase>, size: number, via: 'http' | 'direct') {
  return fc.asyncProperty(fc.array(arb.map(printable), { minLength: size, maxLength: size }), async (cases) => {
    const run = via === 'http' ? viaHttp : viaDirect
    const failures = (await runBounded(cases.map((c) => () => run(c)), via === 'http' ? 24 : 64)).filter((f) => f !== undefined)
    if (failures.length > 0) {
      assert.fail(`${failures.length} wrong answers (replay with FUZZ_SEED=${SEED}):\n${failures.slice(0, 5).join('\n')}`)
    }
  })
}

async function fuzz(arb: fc.Arbitrary<FuzzCase>, requests: number, via: 'http' | 'direct'): Promise<void> {
  const size = via === 'http' ? 50 : 100
  const started = performance.now()
  // endOnFailure: every wrong answer in the failing batch is listed; the seed and path
  // fast-check prints replay it (every property runs on the same seed)
  await fc.assert(batchProperty(arb, size, via), { seed: SEED, numRuns: Math.ceil(requests / size), endOnFailure: true })
  elapsedMs += performance.now() - started
}

// ---- characters ----------------------------------------------------------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const b64char = fc.constantFrom(...B64URL)
const fromCode = (code: number): string => String.fromCharCode(code)
/** What node:http lets through in a header value: HTAB, SP-~, obs-text. */
const headerChar = fc.oneof(
  { weight: 6, arbitrary: b64char },
  { weight: 2, arbitrary: fc.constantFrom('.', '=', '+', '/', '~', ' ', '\t', ',', '"', '\\', '%', '\xa0') },
  { weight: 2, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map(fromCode) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map(fromCode) },
)
/** Anything at all: the middleware on its own must survive what node:http would refuse. */
const anyChar = fc.oneof(
  { weight: 6, arbitrary: headerChar },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map(fromCode) },
  { weight: 1, arbitrary: fc.integer({ min: 0x100, max: 0xffff }).map(fromCode) },
  { weight: 1, arbitrary: fc.constantFrom('\u2028', '\ufeff', '\x7f', '\r\n', '\0') },
)
const isHeaderSafe = (s: string): boolean => /^[\t\x20-\x7e\x80-\xff]*$/.test(s)

// ---- tokens ----------------------------------------------------------------------------

const J = (value: unknown): string => JSON.stringify(value)
const b64json = (value: unknown): string => b64url(J(value) ?? 'null')

/** Valid tokens for the fuzz servers' key, issuer, audience and clock. */
const VALID: { token: string; clientId: string; jti: string }[] = []
for (let i = 0; i < 8; i++) {
  const payload = claims({ jti: `fz-valid-${i}`, client_id: `client-${i}`, scope: i % 2 ? 'read write' : '', ...(i % 3 === 0 ? { upstream_claims: { sub: `u${i}`, roles: ['a'] } } : {}) })
  VALID.push({ token: signToken(payload), clientId: payload.client_id as string, jti: payload.jti as string })
}
VALID.push({ token: vector('access-basic').token, clientId: 'client-abc', jti: vector('access-basic').mint!.jti })
const VALID_BY_TOKEN = new Map(VALID.map((v) => [v.token, v]))
const validEntry = fc.constantFrom(...VALID)
const VALID_SIGNING_INPUT = VALID[0]!.token.slice(0, VALID[0]!.token.lastIndexOf('.'))

const accept = (v: { token: string; clientId: string; jti: string }) => (): Expect => ({ verdict: 'accept', ...v })

// ---- 1. random strings in the token position ------------------------------------------------

function tokenPosition(unit: fc.Arbitrary<string>): fc.Arbitrary<FuzzCase> {
  const candidate = fc.oneof(
    fc.string({ unit, maxLength: 120 }),
    fc.array(fc.string({ unit: b64char, maxLength: 60 }), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
    fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: b64char, maxLength: 60 }))
      .map(([h, p, s]) => `${b64json(h)}.${b64json(p)}.${s}`),
    fc.string({ unit: b64char, minLength: 43, maxLength: 43 }).map((s) => `${VALID_SIGNING_INPUT}.${s}`),
  )
  return candidate.map((token) => ({ category: 'token position', headers: [['Authorization', `Bearer ${token}`]], token, expect: REFUSE_ANY }))
}

// ---- 2. random headers, schemes and query strings --------------------------------------------

// headers that change framing or routing, and the credential itself
const RESERVED = new Set(['authorization', 'host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection'])
const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/).filter((n) => !RESERVED.has(n.toLowerCase()))
const queryChar = fc.oneof(
  { weight: 4, arbitrary: b64char },
  { weight: 2, arbitrary: fc.constantFrom('%5F', '%5f', '%61', '%20', '%00', '%FF', '%', '%G1', '+', '=', '&', ';', '/', '?', ':', '@', '!', '$', "'", '(', ')', '*', ',', '.', '~') },
)
const queryName = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('access_token', 'access%5Ftoken', '%61ccess_token', 'ACCESS_TOKEN', 'access_token%00', 'access_token[]', 'access-token', 'access+token', 'token') },
  { weight: 3, arbitrary: fc.string({ unit: queryChar, maxLength: 12 }) },
)
const query = fc.array(fc.tuple(queryName, fc.option(fc.string({ unit: queryChar, maxLength: 12 }))), { maxLength: 4 })
  .map((pairs) => pairs.map(([n, v]) => (v === null ? n : `${n}=${v}`)).join('&'))
// the WHATWG urlencoded parser is the definition of "a parameter named access_token"
const queryHasToken = (q: string): boolean => new URL(`http://x/mcp?${q}`).searchParams.has('access_token')

function randomHeaders(unit: fc.Arbitrary<string>): fc.Arbitrary<FuzzCase> {
  const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Bearer  ', 'Basic ', 'Digest ', 'DPoP ', 'Token ', '', 'Bearer\t', 'Bearer,', 'Bearer=')
  return fc.oneof(
    // a random credential: never accepted
    fc.tuple(scheme, fc.string({ unit, maxLength: 100 })).map(([s, rest]): FuzzCase => ({
      category: 'random headers', headers: [['Authorization', s + rest]], token: rest, expect: REFUSE_ANY,
    })),
    // a valid token among random other headers: accepted
    fc.tuple(validEntry, fc.array(fc.tuple(headerName, fc.string({ unit: headerChar, maxLength: 40 })), { maxLength: 8 }), fc.nat())
      .map(([v, extra, at]): FuzzCase => {
        const headers = [...extra]
        headers.splice(at % (headers.length + 1), 0, ['Authorization', `Bearer ${v.token}`])
        return { category: 'random headers', headers, expect: accept(v) }
      }),
    // a valid token with any scheme casing and spacing RFC 6750 allows: accepted
    fc.tuple(validEntry, fc.constantFrom('authorization', 'AUTHORIZATION', 'Authorization', 'aUtHoRiZaTiOn'), fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'),
      fc.constantFrom(' ', '  ', '   '), fc.constantFrom('', ' ', '\t', ' \t'))
      .map(([v, name, s, sp, trail]): FuzzCase => ({ category: 'random headers', headers: [[name, `${s}${sp}${v.token}${trail}`]], expect: accept(v) })),
    // a valid token and a random query string: refused only when the query carries access_token
    fc.tuple(validEntry, query).map(([v, q]): FuzzCase => ({
      category: 'random headers', path: `/mcp?${q}`, headers: [['Authorization', `Bearer ${v.token}`]],
      expect: queryHasToken(q) ? () => refuse(400, 'invalid_request') : accept(v),
    })),
    // a valid token and a second Authorization header of any value: 400
    fc.tuple(validEntry, fc.string({ unit, maxLength: 60 }), fc.boolean()).map(([v, other, first]): FuzzCase => {
      const pair: [string, string][] = [['Authorization', `Bearer ${v.token}`], ['authorization', other]]
      return { category: 'random headers', headers: first ? pair : pair.reverse(), token: v.token, expect: () => refuse(400, 'invalid_request') }
    }),
  )
}

// ---- 3. valid tokens with random byte mutations ---------------------------------------------

type Mutation =
  | { op: 'replace' | 'insert'; at: number; ch: string }
  | { op: 'delete' | 'truncate' | 'case'; at: number }
  | { op: 'swap'; at: number; to: number }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'segment'; segment: number; from: number }
  | { op: 'bitflip'; at: number; bit: number }

function mutationArb(unit: fc.Arbitrary<string>): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), ch: unit }),
    fc.record({ op: fc.constantFrom('delete' as const, 'truncate' as const, 'case' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ op: fc.constant('segment' as const), segment: fc.nat({ max: 2 }), from: fc.nat() }),
    fc.record({ op: fc.constant('bitflip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  )
}

function mutate(token: string, m: Mutation): string {
  const i = 'at' in m ? m.at % (token.length + 1) : 0
  switch (m.op) {
    case 'replace': return token.slice(0, i) + m.ch + token.slice(i + 1)
    case 'insert': return token.slice(0, i) + m.ch + token.slice(i)
    case 'delete': return token.slice(0, i) + token.slice(i + 1)
    case 'truncate': return token.slice(0, i)
    case 'case': {
      const c = token.charAt(i)
      return token.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + token.slice(i + 1)
    }
    case 'swap': {
      const j = m.to % (token.length + 1)
      const chars = [...token]
      if (i < chars.length && j < chars.length) [chars[i], chars[j]] = [chars[j]!, chars[i]!]
      return chars.join('')
    }
    case 'duplicate': return token.slice(0, i) + token.slice(i, i + m.length) + token.slice(i)
    case 'segment': {
      const parts = token.split('.')
      const donor = VALID[m.from % VALID.length]!.token.split('.')
      if (m.segment < parts.length) parts[m.segment] = donor[m.segment] ?? ''
      return parts.join('.')
    }
    case 'bitflip': {
      if (i >= token.length) return token
      return token.slice(0, i) + fromCode(token.charCodeAt(i) ^ (1 << m.bit)) + token.slice(i + 1)
    }
  }
}

function mutations(unit: fc.Arbitrary<string>, headerSafe: boolean): fc.Arbitrary<FuzzCase> {
  return fc.tuple(validEntry, fc.array(mutationArb(unit), { minLength: 1, maxLength: 3 })).map(([v, ms]): FuzzCase => {
    let token = ms.reduce(mutate, v.token)
    // node:http's client refuses other bytes in a header value; keep the mutation in its alphabet
    if (headerSafe && !isHeaderSafe(token)) token = token.replace(/[^\t\x20-\x7e\x80-\xff]/g, '.')
    // surrounding SP and HTAB (HTTP's optional whitespace, nothing else) are not part of the
    // token; segment swaps can rebuild another valid token
    const same = VALID_BY_TOKEN.get(token.replace(/^[ \t]+|[ \t]+$/g, ''))
    return { category: 'byte mutations', headers: [['Authorization', `Bearer ${token}`]], token, expect: same ? accept(same) : REFUSE_ANY }
  })
}

// ---- 4 and 5. claim sets, signed with wrong keys and with the right key ----------------------

const raw = (...texts: string[]) => fc.constantFrom(...texts)
const absent = fc.constant(undefined)
const around = (center: number) => fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((d) => J(center + d)),
  fc.double({ min: center - 2, max: center + 2, noNaN: true }).map(J),
)
const weirdNumber = raw('1e400', '-1e400', '0', '-0', '1e308', '-1e308', '9007199254740993', '1e-400', '0.5')
const weirdValue = raw('"1"', '"NaN"', '"Infinity"', 'null', 'true', 'false', '[]', '{}', J(String(NOW + 3600)), `[${NOW + 3600}]`, '""')
const someString = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 })).map(J)

const CLAIMS = {
  iss: fc.oneof({ weight: 12, arbitrary: fc.constant(J(ISSUER)) }, { weight: 1, arbitrary: raw(J(`${ISSUER}/`), J(ISSUER.toUpperCase()), J('https://attacker.example'), J([ISSUER]), 'null', '""') }, { weight: 1, arbitrary: someString }, { weight: 1, arbitrary: absent }),
  aud: fc.oneof({ weight: 12, arbitrary: fc.constant(J(AUDIENCE)) }, { weight: 1, arbitrary: raw(J(`${AUDIENCE}/`), J([AUDIENCE]), J([AUDIENCE, 'x']), J('https://attacker.example/mcp'), 'null', '""') }, { weight: 1, arbitrary: someString }, { weight: 1, arbitrary: absent }),
  client_id: fc.oneof({ weight: 8, arbitrary: fc.constant(J('client-abc')) }, { weight: 2, arbitrary: someString }, { weight: 1, arbitrary: raw('1', 'null', '["c"]', '{}') }, { weight: 1, arbitrary: absent }),
  scope: fc.oneof({ weight: 6, arbitrary: fc.constant(J('read write')) }, { weight: 3, arbitrary: absent }, { weight: 2, arbitrary: someString }, { weight: 1, arbitrary: raw('1', 'null', '["read"]', '{}') }),
  exp: fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 1, max: 86400 }).map((d) => J(NOW + d)) },
    { weight: 3, arbitrary: around(NOW) },
    { weight: 3, arbitrary: around(NOW - 30) },
    // at the lifetime bound, with and without the tolerance
    { weight: 1, arbitrary: around(NOW + 400 * 86400) },
    { weight: 1, arbitrary: around(NOW + 400 * 86400 + 30) },
    { weight: 1, arbitrary: fc.double({ noNaN: true }).map(J) },
    { weight: 1, arbitrary: weirdNumber },
    { weight: 1, arbitrary: weirdValue },
    { weight: 1, arbitrary: absent },
  ),
  iat: fc.oneof({ weight: 6, arbitrary: fc.constant(J(NOW)) }, { weight: 3, arbitrary: absent }, { weight: 1, arbitrary: fc.constant(J(NOW + 1e6)) }, { weight: 1, arbitrary: weirdNumber }, { weight: 1, arbitrary: weirdValue }),
  nbf: fc.oneof({ weight: 10, arbitrary: absent }, { weight: 2, arbitrary: around(NOW) }, { weight: 2, arbitrary: around(NOW + 30) }, { weight: 1, arbitrary: weirdNumber }, { weight: 1, arbitrary: weirdValue }),
  jti: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'fz-c', 'fz-valid-0', REVOKED_JTI).map(J) }, { weight: 2, arbitrary: someString }, { weight: 1, arbitrary: raw('""', '1', 'null', '["fz-a"]') }, { weight: 1, arbitrary: absent }),
  token_use: fc.oneof({ weight: 12, arbitrary: absent }, { weight: 1, arbitrary: raw(J('refresh'), J('access'), 'null', '""', '1') }),
  upstream_claims: fc.oneof(
    { weight: 8, arbitrary: absent },
    { weight: 2, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map(J) },
    { weight: 1, arbitrary: raw('[]', 'null', '"x"', '1', '{}') },
  ),
}
const extraKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'sub', ...Object.keys(CLAIMS)), fc.string({ maxLength: 10 }))
const extras = fc.oneof({ weight: 4, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, fc.jsonValue({ maxDepth: 2 }).map(J)), { minLength: 1, maxLength: 3 }) })

/** A payload as JSON text: FastMCP's claims in its order (some absent), then extras, repeats included. */
const payloadText = fc.tuple(fc.record(CLAIMS), extras).map(([c, more]) => {
  const entries: [string, string][] = []
  for (const [name, value] of Object.entries(c)) if (value !== undefined) entries.push([name, value])
  entries.push(...more)
  return `{${entries.map(([k, v]) => `${J(k)}:${v}`).join(',')}}`
})

const headerText = fc.oneof(
  { weight: 10, arbitrary: fc.constant('{"alg":"HS256","typ":"JWT"}') },
  { weight: 3, arbitrary: raw('{"typ":"JWT","alg":"HS256"}', '{"alg":"HS256"}', '{"alg":"HS256","typ":"JWT","kid":"k1"}', '{"alg":"HS256","typ":"at+jwt"}', '{"alg":"none","alg":"HS256"}', '{"alg":"HS256","jku":"https://attacker.example/jwks"}', ' {"alg":"HS256"} ') },
  { weight: 2, arbitrary: raw('{"alg":"HS256","crit":["exp"],"exp":1}', '{"alg":"HS256","crit":[]}', '{"alg":"hs256"}', '{"alg":"none"}', '{"typ":"JWT"}', '{"alg":"HS256","alg":"none"}', '{"alg":"HS512"}', '{"alg":["HS256"]}', '[]', '"HS256"', '{"alg":"HS256","crit":["b64"],"b64":true}') },
)

function rightKeyClaims(): fc.Arbitrary<FuzzCase> {
  return fc.tuple(headerText, payloadText).map(([header, payload]): FuzzCase => {
    const token = signRaw(header, payload)
    return {
      category: 'claim sets, right key',
      headers: [['Authorization', `Bearer ${token}`]],
      token,
      expect: (rules) => {
        if (!tokenAllowed(token, header, payload, rules)) return REFUSE_TOKEN()
        const c = JSON.parse(payload) as { client_id: string; jti: string }
        return { verdict: 'accept', token, clientId: c.client_id, jti: c.jti }
      },
    }
  })
}

let WRONG_KEYS: string[] = []
function wrongKeyClaims(): fc.Arbitrary<FuzzCase> {
  const key = fc.oneof(
    fc.string({ unit: b64char, minLength: 43, maxLength: 43 }).map((k) => `${k}=`),
    fc.constantFrom(...WRONG_KEYS),
  )
  const forge = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(headerText, payloadText, key).map(([h, p, k]) => signRaw(h, p, Buffer.from(k, 'latin1'))) },
    // the right key, but not HS256
    { weight: 1, arbitrary: fc.tuple(payloadText, fc.constantFrom(['HS384', 'sha384'] as const, ['HS512', 'sha512'] as const)).map(([p, [alg, hash]]) => signRaw(J({ alg, typ: 'JWT' }), p, VECTOR_KEY, hash)) },
    // no signature at all
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('none', 'None', 'HS256'), payloadText).map(([alg, p]) => `${b64json({ alg, typ: 'JWT' })}.${b64url(p)}.`) },
    // a valid claim set with a valid signature from another token
    { weight: 1, arbitrary: fc.tuple(payloadText, validEntry).map(([p, v]) => `${b64json({ alg: 'HS256', typ: 'JWT' })}.${b64url(p)}.${v.token.split('.')[2]}`) },
  )
  return forge.map((token) => ({ category: 'claim sets, wrong key', headers: [['Authorization', `Bearer ${token}`]], token, expect: REFUSE_TOKEN }))
}

// ---- the runs --------------------------------------------------------------------------

/** Requests per category and path: 120,000 in all, 50,000 of them over HTTP. */
const PLAN = {
  http: { tokenPosition: 7000, headers: 8000, mutations: 12000, wrongKey: 7000, rightKey: 16000 },
  direct: { tokenPosition: 15000, headers: 10000, mutations: 20000, wrongKey: 10000, rightKey: 15000 },
}

before(async () => {
  const noop = (): void => {}
  httpCtx = createAuthContext({ clockToleranceSeconds: HTTP_RULES.toleranceSeconds, cache: { max: 64 }, onVerified: noop, onRejected: noop })
  directCtx = createAuthContext({ clockToleranceSeconds: DIRECT_RULES.toleranceSeconds, onVerified: noop, onRejected: noop })
  for (const ctx of [httpCtx, directCtx]) await ctx.auth.revoke(REVOKED_JTI, NOW + 10 * 365 * 86400)
  servers = await Promise.all(SERVER_KINDS.map((kind) => startSecureServer(kind, [httpCtx.auth.requireFastMcpToken])))
  const hkdf = Buffer.from(await deriveJwtKey({ highEntropyMaterial: VECTOR_SECRET })).toString('latin1')
  WRONG_KEYS = [
    Buffer.from(VECTOR_KEY, 'base64url').toString('latin1'), // the raw 32 bytes
    hkdf, // the other KDF
    VECTOR_KEY.replace(/=+$/, ''),
    `${VECTOR_KEY}\n`,
    VECTOR_KEY.toLowerCase(),
    VECTOR_SECRET,
    vector('access-upstream-claims').key, // another FastMCP server's key
    '',
  ]
})

after(async () => {
  await Promise.all(servers.map((s) => s.close()))
  httpClient.close()
  processWatch.stop()
  console.log(`fuzz totals (seed ${SEED}): ${stats.http + stats.direct} generated requests ` +
    `(${stats.http} over HTTP, ${stats.direct} direct) in ${(elapsedMs / 1000).toFixed(1)} s; ` +
    `${stats.accepted} accepted, ${stats.refused} refused; accepted forgeries: ${stats.acceptedForgeries}; ` +
    `valid refused: ${stats.refusedValid}; 5xx: ${stats.serverErrors}`)
})

describe('fuzzing through the live servers', () => {
  test('random strings in the token position are refused', () => fuzz(tokenPosition(headerChar), PLAN.http.tokenPosition, 'http'))
  test('random headers, schemes and query strings get the verdict the rules give', () => fuzz(randomHeaders(headerChar), PLAN.http.headers, 'http'))
  test('valid tokens with random byte mutations are refused', () => fuzz(mutations(headerChar, true), PLAN.http.mutations, 'http'))
  test('claim sets signed with wrong keys, algorithms or signatures are refused', () => fuzz(wrongKeyClaims(), PLAN.http.wrongKey, 'http'))
  test('random claim sets signed with the right key pass or fail exactly as the claim rules say', () => fuzz(rightKeyClaims(), PLAN.http.rightKey, 'http'))

  test('the protected handler ran once per accepted request and no server answered 5xx', () => {
    const handled = servers.reduce((n, s) => n + s.handled(), 0)
    assert.ok(handled > 0)
    assert.equal(servers.reduce((n, s) => n + s.serverErrors(), 0), 0)
  })
})

describe('fuzzing the middleware directly', () => {
  test('random strings (any characters) in the token position are refused', () => fuzz(tokenPosition(anyChar), PLAN.direct.tokenPosition, 'direct'))
  test('random header values (any characters) get the verdict the rules give', () => fuzz(randomHeaders(anyChar), PLAN.direct.headers, 'direct'))
  test('valid tokens with random mutations (any characters) are refused', () => fuzz(mutations(anyChar, false), PLAN.direct.mutations, 'direct'))
  test('claim sets signed with wrong keys, algorithms or signatures are refused', () => fuzz(wrongKeyClaims(), PLAN.direct.wrongKey, 'direct'))
  test('random claim sets signed with the right key pass or fail exactly as the claim rules say', () => fuzz(rightKeyClaims(), PLAN.direct.rightKey, 'direct'))
})

describe('the fuzz run as a whole', () => {
  test('over 100,000 generated requests, no accepted forgery, no 5xx, no unhandled rejection or uncaught exception', (t) => {
    const total = stats.http + stats.direct
    t.diagnostic(`fuzz seed ${SEED}: ${total} generated requests (${stats.http} over HTTP, ${stats.direct} direct) in ${(elapsedMs / 1000).toFixed(1)} s`)
    t.diagnostic(`accepted ${stats.accepted}, refused ${stats.refused}; accepted forgeries ${stats.acceptedForgeries}; valid refused ${stats.refusedValid}; 5xx ${stats.serverErrors}`)
    t.diagnostic(`by category: ${JSON.stringify(stats.byCategory)}`)
    assert.ok(total >= 100_000, `only ${total} requests`)
    assert.ok(stats.http >= 20_000, `only ${stats.http} requests over HTTP`)
    assert.equal(stats.acceptedForgeries, 0)
    assert.equal(stats.serverErrors, 0)
    assert.deepEqual(processWatch.events, [])
    // both verdicts were exercised, so the oracle is not trivially one-sided
    assert.ok(stats.accepted > 5000 && stats.refused > 50_000, `accepted ${stats.accepted}, refused ${stats.refused}`)
  })
})
