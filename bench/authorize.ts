// `npm run bench:authorize`: what one token request of the authorization server costs (an
// authorization_code exchange over HTTP: client lookup, PKCE, the code taken from the store,
// two tokens minted, a refresh family started), next to minting the same token response
// alone and to an HTTP floor (a route that parses the same form and answers a JSON body of
// the same size). Interleaved rounds in one process; medians per request, ratios same-run.
// BENCH_AUTHORIZE_ROUNDS (default 10) rounds of BENCH_AUTHORIZE_BATCH (default 200) each.
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createFastMcpAuth, type TokenResponse } from '../src/index.js'
import { createAuthorizationServer } from '../src/authorization-server/index.js'
import { QUICK, fixed, machine, makeFixtures, median, ratio, report, table } from './common.js'

const ROUNDS = Number(process.env.BENCH_AUTHORIZE_ROUNDS ?? (QUICK ? 2 : 10))
const BATCH = Number(process.env.BENCH_AUTHORIZE_BATCH ?? (QUICK ? 50 : 200))
const REDIRECT_URI = 'http://127.0.0.1:1/callback'

const { key } = await makeFixtures()
const listener = http.createServer()
await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
const auth = createFastMcpAuth({ signingKey: key, issuer: `${base}/`, audience: `${base}/mcp` })
const authorizationServer = createAuthorizationServer({
  auth,
  scopesSupported: ['notes:read', 'notes:write'],
  rateLimit: false,
  login: () => ({ subject: 'bench-user' }), // approves at once: the bench times the token request
})
const app = express()
app.use(authorizationServer.router)
let floorBody = ''
app.post('/floor', express.urlencoded({ extended: false }), (_req, res) => {
  res.setHeader('cache-control', 'no-store')
  res.status(200).type('json').send(floorBody)
})
listener.on('request', app)

const registered = await fetch(`${base}/register`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }),
})
const clientId = ((await registered.json()) as { client_id: string }).client_id
const mintInput = { clientId, scopes: ['notes:read', 'notes:write'], subject: 'bench-user', refreshToken: true } as const

/** A fresh code and its verifier, through /authorize (untimed). */
async function newCode(): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url')
  const url = new URL('/authorize', base)
  url.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: REDIRECT_URI,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString()
  const res = await fetch(url, { redirect: 'manual' })
  const code = new URL(res.headers.get('location')!).searchParams.get('code')
  if (code === null) throw new Error(`no code: ${res.status} ${res.headers.get('location')}`)
  return { code, verifier }
}

const form = (code: string, verifier: string) => new URLSearchParams({
  grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: clientId,
})

const exchangeMs: number[] = []
const mintMs: number[] = []
const floorMs: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  const codes = []
  for (let i = 0; i < BATCH; i++) codes.push(await newCode())
  for (const { code, verifier } of codes) {
    const start = performance.now()
    const res = await fetch(`${base}/token`, { method: 'POST', body: form(code, verifier) })
    const body = await res.text()
    exchangeMs.push(performance.now() - start)
    if (res.status !== 200) throw new Error(`token: ${res.status} ${body}`)
    floorBody = body
  }
  for (let i = 0; i < BATCH; i++) {
    const start = performance.now()
    const body: TokenResponse = await auth.issueTokenResponse(mintInput)
    mintMs.push(performance.now() - start)
    if (body.refresh_token === undefined) throw new Error('no refresh token')
  }
  for (const { code, verifier } of codes) {
    const start = performance.now()
    const res = await fetch(`${base}/floor`, { method: 'POST', body: form(code, verifier) })
    await res.text()
    floorMs.push(performance.now() - start)
  }
}

const exchange = median(exchangeMs)
const mint = median(mintMs)
const floor = median(floorMs)
const rows = [
  ['token request: authorization_code exchange over HTTP', fixed(exchange * 1000), ratio(exchange / mint)],
  ['minting the same token response alone (issueTokenResponse, refresh family)', fixed(mint * 1000), ratio(1)],
  ['HTTP floor: same form parsed, same-size JSON answered', fixed(floor * 1000), ratio(floor / mint)],
  ['exchange minus the floor (the server\'s own work)', fixed((exchange - floor) * 1000), ratio((exchange - floor) / mint)],
]
report({
  markdown: [
    `### bench:authorize (${ROUNDS} rounds x ${BATCH} requests; ${machine()})`,
    '',
    table(['what', 'median µs', 'x minting alone'], rows),
  ].join('\n'),
  metrics: { exchange, mint, floor },
})
listener.closeAllConnections()
listener.close()
await auth.store.close()
