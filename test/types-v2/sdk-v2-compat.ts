// Compile-only: an app on MCP SDK v2 (its Express adapter declares `Request.auth?: AuthInfo`,
// v2's AuthInfo with `resourceMetadataUrl`) and this package together must type-check.
import { requireBearerAuth } from '@modelcontextprotocol/express'
import { toNodeHandler } from '@modelcontextprotocol/node'
import { McpServer, createMcpHandler, type AuthInfo as SdkAuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server'
import express from 'express'
import {
  HeaderMismatchError,
  createFastMcpAuth,
  getAuthInfo,
  type AuthInfo,
  type ScopeHierarchy,
  type ToolScopes,
} from 'fastmcp-auth-express'
import { createBearerAuthOptions, createFastMcpTokenVerifier } from 'fastmcp-auth-express/sdk-v2'

const scopeHierarchy: ScopeHierarchy = { admin: ['notes:write'], 'notes:write': ['notes:read'] }
const auth = createFastMcpAuth({ secret: 'a-long-enough-secret', issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp', scopeHierarchy })
const tools: ToolScopes = { write_note: ['notes:write'] }
const handler = toNodeHandler(createMcpHandler(() => new McpServer({ name: 'n', version: '1' })))
const app = express()
app.use('/mcp', auth.requireFastMcpToken, express.json(), auth.requireToolScopes(tools, { defaultScopes: ['notes:read'] }))
app.post('/mcp', (req, res) => {
  // v2's declaration of req.auth, filled by our middleware; toNodeHandler takes the request as it is
  const fromSdk: SdkAuthInfo | undefined = req.auth
  const metadata: string | undefined = req.auth?.resourceMetadataUrl
  const ours: AuthInfo | undefined = getAuthInfo(req)
  void fromSdk
  void metadata
  void ours
  void handler(req, res, req.body)
})

// v2's own gate, fed by this package's decision
const verifier: OAuthTokenVerifier = createFastMcpTokenVerifier(auth)
void verifier
app.use('/sdk', requireBearerAuth(createBearerAuthOptions(auth, { requiredScopes: ['notes:read'] })))
const direct: Promise<SdkAuthInfo> = auth.verifyAccessToken('token')
void direct

// the two AuthInfo shapes are the same, both ways
const toSdk = (a: AuthInfo): SdkAuthInfo => a
const fromSdk = (a: SdkAuthInfo): AuthInfo => a
void toSdk
void fromSdk
const code: -32020 = new HeaderMismatchError('Mcp-Method', 1).jsonRpcCode
void code

// misuse does not compile
// @ts-expect-error a tool's scopes are a list
auth.requireToolScopes({ write_note: 'notes:write' })
// @ts-expect-error a hierarchy maps scopes to lists
createFastMcpAuth({ secret: 'a-long-enough-secret', issuer: 'i', audience: 'a', scopeHierarchy: { admin: 'notes:write' } })
// @ts-expect-error the adapter needs verifyAccessToken
createFastMcpTokenVerifier({})
