// The README's several-instances set-up: every instance shares revocations and refresh
// families through Redis. Run two of these on different PORTs against one REDIS_URL.
import express from 'express'
import { createClient } from 'redis'
import { createFastMcpAuth } from '../src/index.js'
import { RedisTokenStore } from '../src/store/redis.js'

const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
// node-redis emits 'error' on every failed reconnect: unheard, it would crash the process
client.on('error', (err: Error) => console.warn('redis:', err.message))
await client.connect()

const store = new RedisTokenStore({
  client, // yours: the store never closes it, and opens one more connection for pub/sub
  prefix: 'my-app:auth:',
  onStoreError: ({ operation, error }) => console.warn(`token store ${operation}:`, error),
})
const auth = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!,
  issuer: 'https://mcp.example.com/',
  audience: 'https://mcp.example.com/mcp',
  store,
  maxStalenessMs: 60_000, // out of touch with Redis for a minute: 503 rather than guess
})

const app = express()
app.use('/mcp', auth.requireFastMcpToken)
app.post('/mcp', express.json(), (req, res) => {
  res.json({ clientId: req.auth?.clientId })
})
const server = app.listen(Number(process.env.PORT ?? 3000))

process.on('SIGTERM', () => {
  server.close()
  void store.close().then(() => client.close())
})
