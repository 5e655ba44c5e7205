// The README's FastMCP section: verify tokens a FastMCP server minted, and the reverse.
import { createFastMcpAuth, DEFAULT_SALT } from '../src/index.js'

// FastMCP: OAuthProxy(..., base_url="https://mcp.example.com", jwt_signing_key=SECRET), MCP path /mcp
export const withSigningKey = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!, // the same jwt_signing_key string
  salt: DEFAULT_SALT, // "fastmcp-jwt-signing-key", FastMCP's
  entropy: 'low', // PBKDF2, 1,000,000 rounds: FastMCP's for jwt_signing_key
  issuer: 'https://mcp.example.com/', // str(base_url): pydantic adds the "/"
  audience: 'https://mcp.example.com/mcp', // base_url + MCP path, no "/" added
})

// FastMCP without jwt_signing_key derives the key from the upstream client secret
export const withClientSecret = createFastMcpAuth({
  secret: process.env.UPSTREAM_CLIENT_SECRET!,
  entropy: 'high', // HKDF-SHA256
  issuer: 'https://mcp.example.com/',
  audience: 'https://mcp.example.com/mcp',
})
