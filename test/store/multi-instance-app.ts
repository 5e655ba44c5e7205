// One instance of a multi-instance app, run as its own process by multi-instance.test.ts:
// Express, createFastMcpAuth with a RedisTokenStore, /mcp behind requireFastMcpToken, and an
// admin route that revokes (guarded by a header only the test knows). Prints its port once
// the store is ready. Settings come from the environment.
import express from 'express'
import { createClient } from 'redis'
import { StoreUnavailableError, createFastMcpAuth } from '../../src/index.js'
import { RedisTokenStore } from '../../src/store/redis.js'
import { serveInstance } from './instance-main.js'

const { REDIS_URL, PREFIX, SECRET, SIGNING_KEY, ISSUER, AUDIENCE, ADMIN_KEY, GRACE, MAX_LIFETIME } = process.env
if (!REDIS_URL || !PREFIX || !(SECRET || SIGNING_KEY) || !ISSUER || !AUDIENCE || !ADMIN_KEY) throw new Error('multi-instance-app: settings missing')

// a crash or an unhandled rejection ends the process, which the test notices
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandledRejection: ${String(reason)}\n`)
  process.exit(70)
})

const client = createClient({ url: REDIS_URL })
client.on('error', () => {}) // reconnects are expected while the test has Redis down
await client.connect()
const store = new RedisTokenStore({ client, prefix: PREFIX, commandTimeoutMs: 1000 })
const auth = createFastMcpAuth({
  ...(SIGNING_KEY ? { signingKey: SIGNING_KEY } : { secret: SECRET!, entropy: 'high' as const }),
  issuer: ISSUER,
  audience: AUDIENCE,
  store,
  ...(GRACE === undefined ? {} : { refreshReuseGraceSeconds: Number(GRACE) }),
  ...(MAX_LIFETIME === undefined ? {} : { maxTokenLifetimeSeconds: Number(MAX_LIFETIME) }),
})

const app = express()
app.get('/mcp', auth.requireFastMcpToken, (req, res) => {
  res.json({ clientId: req.auth?.clientId })
})
app.post('/admin/revoke', express.json(), (req, res) => {
  if (req.get('x-test-admin') !== ADMIN_KEY) {
    res.status(403).end()
    return
  }
  const { jti, exp } = req.body as { jti: string; exp: number }
  auth.revoke(jti, exp).then(
    () => res.status(204).end(),
    // revoked here at once either way; 503: the other instances learn it once Redis is back
    (err: unknown) => res.status(err instanceof StoreUnavailableError ? 503 : 500).end(),
  )
})
// the refresh grant, rotating across instances
app.post('/oauth/token', auth.tokenEndpoint())
// a login's outcome: a first access and refresh token (a new family)
app.post('/admin/grant', express.json(), (req, res) => {
  if (req.get('x-test-admin') !== ADMIN_KEY) {
    res.status(403).end()
    return
  }
  auth.sendTokenResponse(res, { clientId: 'multi-client', scopes: ['read', 'write'], refreshToken: true }).catch(() => res.status(503).end())
})
app.get('/admin/health', (_req, res) => {
  res.json({ staleForMs: store.staleForMs(), pending: store.pendingRevocations })
})

await serveInstance(app, store, client)
