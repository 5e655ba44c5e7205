// The README's MCP SDK v2 section: tools read the verified token as ctx.http.authInfo, and
// v2's own bearer gate can run on this package's decision.
import { requireBearerAuth } from '@modelcontextprotocol/express'
import { toNodeHandler } from '@modelcontextprotocol/node'
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server'
import express from 'express'
import { createFastMcpAuth } from '../src/index.js'
import { createBearerAuthOptions } from '../src/sdk-v2.js'

const auth = createFastMcpAuth({ secret: process.env.FASTMCP_JWT_SECRET!, issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp' })
const app = express()

app.use('/mcp', auth.requireFastMcpToken)
const handler = toNodeHandler(createMcpHandler(() => {
  const server = new McpServer({ name: 'notes', version: '1.0.0' })
  server.registerTool('whoami', { description: 'The caller' }, ({ http }) => ({
    content: [{ type: 'text', text: `${http?.authInfo?.clientId} may ${http?.authInfo?.scopes.join(', ')}` }],
  }))
  return server
}))
app.all('/mcp', express.json(), (req, res, next) => {
  handler(req, res, req.body).catch(next) // pass req.body: express.json() has read the stream
})

// or v2's own gate, deciding with this package's verifier
export const sdkGate = express()
sdkGate.use(auth.protectedResourceMetadata({ authorizationServers: ['https://mcp.example.com/'] }))
sdkGate.use('/mcp', requireBearerAuth(createBearerAuthOptions(auth, { requiredScopes: ['notes:read'] })))
