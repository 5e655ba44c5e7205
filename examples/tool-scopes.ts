// The README's per-tool scopes and scope hierarchy sections, on SDK v1's transport: the
// guard reads the parsed JSON-RPC body, so it works in front of any MCP SDK.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import express, { type RequestHandler } from 'express'
import { createFastMcpAuth } from '../src/index.js'

const auth = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!,
  issuer: 'https://mcp.example.com/',
  audience: 'https://mcp.example.com/mcp',
  // admin satisfies notes:write, which satisfies notes:read
  scopeHierarchy: { admin: ['notes:write'], 'notes:write': ['notes:read'] },
})
const app = express()

const mcpHandler: RequestHandler = async (req, res) => {
  const server = new McpServer({ name: 'notes', version: '1.0.0' })
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
  res.on('close', () => void transport.close())
  await server.connect(transport)
  await transport.handleRequest(req, res, req.body)
}

app.use('/mcp', auth.requireFastMcpToken)
app.post('/mcp', express.json(), auth.requireToolScopes({
  write_note: ['notes:write'], // 403 insufficient_scope, scope="notes:write", unless granted
  clear_notes: ['admin'],
  whoami: [], // needs nothing, whatever the default
}, { defaultScopes: ['notes:read'] }), mcpHandler)
