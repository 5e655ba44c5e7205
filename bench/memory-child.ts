// One memory measurement, in a fresh process started with --expose-gc: mints and verifies
// 100k distinct tokens through requireFastMcpToken, with the cache on (every token stays
// cached) or off (the same work, nothing kept), then reports memory after full GCs.
import type { IncomingMessage } from 'node:http'
import { createFastMcpAuth } from '../src/index.js'
import type { JsonValue } from '../src/index.js'
import { AUDIENCE, ISSUER, makeFixtures } from './common.js'
import { MockResponse, mockRequest } from './mock.js'

export interface MemoryResult {
  rss: number
  heapUsed: number
  external: number
  verified: number
  cachedHits: number
}

const COUNT = Number(process.env.BENCH_MEMORY_TOKENS ?? 100_000)
const BATCH = 500

/** About 1 KB of JSON, as an upstream identity provider's claims might be; distinct per user. */
function upstreamClaims(i: number): { [key: string]: JsonValue } {
  return {
    sub: `auth0|${String(i).padStart(24, '0')}`,
    email: `user.${i}@example.com`,
    email_verified: true,
    name: `Example User ${i}`,
    preferred_username: `user${i}`,
    given_name: 'Example',
    family_name: `User ${i}`,
    locale: 'en-US',
    zoneinfo: 'Europe/Paris',
    picture: `https://avatars.example.com/u/${i}?s=128&v=4`,
    org_id: 'org_9f8e7d6c5b4a3210',
    groups: ['engineering', 'mcp-users', 'on-call', 'platform', 'readers', 'writers', 'reviewers'],
    roles: ['member', 'tool-caller'],
    amr: ['pwd', 'mfa'],
    acr: 'urn:mace:incommon:iap:silver',
    auth_time: 1_900_000_000 + i,
    sid: `sid-${i}-0123456789abcdef0123456789abcdef`,
    'https://example.com/claims/tenant': { id: 'tenant-42', region: 'eu-west-1', plan: 'enterprise', seats: 250 },
    'https://example.com/claims/features': ['tools', 'resources', 'prompts', 'sampling', 'elicitation'],
  }
}

async function main(): Promise<void> {
  const [cacheMode, claimsMode] = process.argv.slice(2)
  const cacheOn = cacheMode === 'cache'
  const withUpstream = claimsMode === 'upstream'
  // the caller keeps every request (and so its token) alive in both modes: the difference
  // is then what the cache itself adds
  const callerHolds = claimsMode === 'held'
  const held: IncomingMessage[][] = []
  const fx = await makeFixtures()
  let verified = 0
  let cachedHits = 0
  const auth = createFastMcpAuth({
    signingKey: fx.key,
    issuer: ISSUER,
    audience: AUDIENCE,
    cache: cacheOn ? { max: COUNT } : false,
    onVerified: (event) => {
      if (event.cached) cachedHits++
      else verified++
    },
  })
  await auth.ready
  const res = new MockResponse().asServerResponse()
  const present = (req: IncomingMessage): Promise<void> =>
    new Promise((resolve, reject) => auth.requireFastMcpToken(req, res, (err) => (err === undefined ? resolve() : reject(err))))

  let last: IncomingMessage[] = []
  for (let start = 0; start < COUNT; start += BATCH) {
    const batch: IncomingMessage[] = []
    for (let i = start; i < Math.min(start + BATCH, COUNT); i++) {
      const { token } = await auth.issueAccessToken({
        clientId: '3f1c2b9e-8d4a-4f6e-9b7c-1a2d3e4f5a6b',
        scopes: ['read', 'write'],
        upstreamClaims: withUpstream ? upstreamClaims(i) : undefined,
      })
      batch.push(mockRequest(token))
    }
    await Promise.all(batch.map(present))
    last = batch // both modes keep the last batch, so both hold the same tokens
    if (callerHolds) held.push(batch)
  }
  // the last batch again: with the cache on, every one must be a hit
  await Promise.all(last.map(present))
  // full GCs, with pauses so V8 hands freed pages back to the system before RSS is read
  for (let i = 0; i < 4; i++) {
    globalThis.gc!()
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  const { rss, heapUsed, external } = process.memoryUsage()
  const result: MemoryResult = { rss, heapUsed, external, verified, cachedHits }
  process.send!(result)
  if (last.length + held.length === 0) console.error('unreachable') // keeps `last` and `held` alive until here
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
