// The child side of test/store/instances.ts: an instance app listens on a free loopback
// port once its store is ready, prints the port as one JSON line, and ends on SIGTERM.
import type { Server } from 'node:http'
import type { Express } from 'express'
import type { TokenStore } from '../../src/index.js'

export async function serveInstance(app: Express, store: TokenStore, client: { destroy(): void }): Promise<Server> {
  await store.ready()
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
  })
  process.on('SIGTERM', () => {
    server.close()
    server.closeAllConnections()
    void store.close().then(() => client.destroy())
  })
  return server
}
