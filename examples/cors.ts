// CORS for browser-based MCP clients, on the `cors` package: preflights end here (they carry
// no credentials, and requireFastMcpToken lets them through anyway), and the headers a
// 2026-07-28 client sends are allowed, the challenge and session id readable.
import cors from 'cors'

export const allowBrowserClients = cors({
  origin: '*',
  methods: ['GET', 'POST', 'DELETE'],
  // 2026-07-28 clients send Mcp-Method, Mcp-Name and Mcp-Protocol-Version on every request;
  // list any Mcp-Param-* header your tools declare too (Authorization is never covered by "*")
  allowedHeaders: ['Authorization', 'Content-Type', 'Mcp-Method', 'Mcp-Name', 'Mcp-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID'],
  exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id'],
  maxAge: 600,
})
