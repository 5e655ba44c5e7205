// Compile-only: the `fastmcp-auth-express/redis` entry, as an app sees its built
// declarations, takes the clients node-redis makes (RESP3 default, RESP2, with modules).
import { RedisTokenStore, DEFAULT_REDIS_PREFIX, type RedisTokenStoreOptions } from 'fastmcp-auth-express/redis'
import { createClient } from 'redis'

const client = createClient({ url: 'redis://127.0.0.1:6379' })
client.on('error', () => {})
const store = new RedisTokenStore({ client, prefix: `${DEFAULT_REDIS_PREFIX}app:` })
const resp2: RedisTokenStoreOptions = { client: createClient({ RESP: 2 }), onStoreError: ({ operation, error }) => ({ operation, error }) }
void new RedisTokenStore(resp2)

const isRevoked: boolean = store.isRevoked('jti')
const staleFor: number = store.staleForMs(Date.now())
const ready: Promise<void> = store.ready()
void [isRevoked, staleFor, ready]

// @ts-expect-error a URL is not a client
void new RedisTokenStore({ client: 'redis://127.0.0.1:6379' })
// @ts-expect-error the client is required
void new RedisTokenStore({ prefix: 'app:' })
