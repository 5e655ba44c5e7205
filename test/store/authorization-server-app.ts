// One instance of an app with the authorization server, run as its own process by
// authorization-server-instances.test.ts: createFastMcpAuth on a RedisTokenStore, the
// authorization server with the example's development login, and /mcp behind
// requireFastMcpToken answering who the token speaks for. Prints its port once the store is
// ready. Settings come from the environment.
import express from 'express'
import { createClient } from 'redis'
import { createFastMcpAuth, getFastMcpClaims } from '../../src/index.js'
import { createAuthorizationServer } from '../../src/authorization-server/index.js'
import { RedisTokenStore } from '../../src/store/redis.js'
import { DEMO_USER, createDevelopmentLogin } from '../../examples/dev-login.js'
import { serveInstance } from './instance-main.js'

const { REDIS_URL, PREFIX, SIGNING_KEY, ISSUER, AUDIENCE } = process.env
if (!REDIS_URL || !PREFIX || !SIGNING_KEY || !ISSUER || !AUDIENCE) throw new Error('authorization-server-app: settings missing')

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandledRejection: ${String(reason)}\n`)
  process.exit(70)
})

const client = createClient({ url: REDIS_URL })
client.on('error', () => {})
await client.connect()
const store = new RedisTokenStore({ client, prefix: PREFIX })
const auth = createFastMcpAuth({ signingKey: SIGNING_KEY, issuer: ISSUER, audience: AUDIENCE, store })
const authorizationServer = createAuthorizationServer({
  auth,
  scopesSupported: ['read', 'write'],
  rateLimit: false,
  login: createDevelopmentLogin({ username: DEMO_USER.username, password: DEMO_USER.password }),
})

const app = express()
app.use(authorizationServer.router)
app.get('/mcp', auth.requireFastMcpToken, (req, res) => {
  res.json({ clientId: req.auth?.clientId, sub: getFastMcpClaims(req)?.sub, scopes: req.auth?.scopes })
})

await serveInstance(app, store, client)
