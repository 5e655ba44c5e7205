// The README's quick start: protect an existing Express app's MCP route.
import express from 'express'
import { createFastMcpAuth, getAuthInfo } from '../src/index.js'

const auth = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!, // FastMCP's jwt_signing_key
  issuer: 'https://mcp.example.com/', // FastMCP's base URL, trailing slash and all
  audience: 'https://mcp.example.com/mcp', // base URL + MCP path
})

const app = express()
app.use(auth.protectedResourceMetadata({ authorizationServers: ['https://mcp.example.com/'] }))
app.use('/mcp', auth.requireFastMcpToken)
app.post('/mcp', express.json(), (req, res) => {
  res.json({ hello: getAuthInfo(req)?.clientId })
})
app.listen(3000)
