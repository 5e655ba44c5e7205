// Compile-only: an app that loads the MCP SDK's bearer middleware (which declares
// `Request.auth?: AuthInfo`) and this package together must type-check: no TS2717/TS2430.
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js'
import type { AuthInfo as SdkAuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import express from 'express'
import {
  createFastMcpAuth,
  getAuthInfo,
  getFastMcpClaims,
  type AuthInfo,
  type FastMcpClaims,
} from 'fastmcp-auth-express'

const auth = createFastMcpAuth({ secret: 'a-long-enough-secret', issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp' })
const app = express()
app.use('/mcp', auth.requireFastMcpToken, auth.requireScopes('read'))
app.use('/tools', auth.requireFastMcpToken, express.json(), auth.requireToolScopes({ write_note: ['write'] }))
app.use('/sdk', requireBearerAuth({ verifier: { verifyAccessToken: async (token) => ({ token, clientId: 'c', scopes: [] }) } }))

app.get('/mcp', (req, res) => {
  // the SDK's declaration of req.auth, filled by our middleware
  const fromSdk: SdkAuthInfo | undefined = req.auth
  const ours: AuthInfo | undefined = getAuthInfo(req)
  const claims: FastMcpClaims | undefined = getFastMcpClaims(req)
  res.json({ fromSdk, ours, jti: claims?.jti, sub: claims?.upstream_claims?.sub })
})

// the two AuthInfo shapes are the same, both ways
const toSdk = (a: AuthInfo): SdkAuthInfo => a
const fromSdk = (a: SdkAuthInfo): AuthInfo => a
void toSdk
void fromSdk

// misuse does not compile
// @ts-expect-error issuer and audience are required
createFastMcpAuth({ secret: 'a-long-enough-secret' })
// @ts-expect-error entropy is "low" or "high"
createFastMcpAuth({ secret: 'a-long-enough-secret', issuer: 'i', audience: 'a', entropy: 'medium' })
// @ts-expect-error scopes is a list
void auth.issueAccessToken({ clientId: 'c', scopes: 'read' })
// @ts-expect-error expectedTokenUse is access, refresh or any
void auth.verifyToken('t', { expectedTokenUse: 'id' })
