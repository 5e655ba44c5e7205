// The README's MCP SDK section: tools read the verified token as `authInfo`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import express from 'express'
import { createFastMcpAuth } from '../src/index.js'

const auth = createFastMcpAuth({ secret: process.env.FASTMCP_JWT_SECRET!, issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp' })
const app = express()

app.use('/mcp', auth.requireFastMcpToken)
app.post('/mcp', express.json(), async (req, res) => {
  const server = new McpServer({ name: 'notes', version: '1.0.0' })
  server.registerTool('whoami', { description: 'The caller' }, ({ authInfo }) => ({
    content: [{ type: 'text', text: `${authInfo?.clientId} may ${authInfo?.scopes.join(', ')}` }],
  }))
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
  res.on('close', () => void transport.close())
  await server.connect(transport)
  await transport.handleRequest(req, res, req.body) // req.auth reaches the tool as authInfo
})
