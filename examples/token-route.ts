// The README's minting section: tokens minted inside route handlers.
import express from 'express'
import { createFastMcpAuth, getFastMcpClaims, type AuthenticatedClient, type OAuthParams } from '../src/index.js'

const auth = createFastMcpAuth({ secret: process.env.FASTMCP_JWT_SECRET!, issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp' })
const app = express()

app.post('/token', express.urlencoded({ extended: false }), async (_req, res, next) => {
  try {
    // authenticate the client your own way first; then:
    await auth.sendTokenResponse(res, { clientId: 'client-1', scopes: ['notes:read'], refreshToken: true })
  } catch (err) {
    next(err)
  }
})

// an admin route: only tokens with the admin scope may revoke
app.post('/admin/revoke/:jti', auth.requireFastMcpToken, auth.requireScopes('admin'), async (req, res) => {
  await auth.revoke(req.params.jti) // refused from the next request on, cached or not
  res.sendStatus(204)
})

// scopes: 403 insufficient_scope unless the token has every one
app.post('/mcp/notes', auth.requireFastMcpToken, auth.requireScopes('notes:write'), (req, res) => {
  const claims = getFastMcpClaims(req) // the verified FastMCP claims, typed
  res.json({ jti: claims?.jti, user: claims?.upstream_claims?.sub })
})

// RFC 6749 token endpoint: refresh_token (rotating), and client_credentials through your hook
app.post('/oauth/token', auth.tokenEndpoint({ authenticateClient: (_req, params) => lookUpClient(params) }))
app.post('/oauth/revoke', auth.revocationEndpoint())

/** Your client registry: undefined refuses the client (401 invalid_client). */
function lookUpClient(params: OAuthParams): AuthenticatedClient | undefined {
  return params.client_id === 'reporting' && params.client_secret === process.env.REPORTING_SECRET
    ? { clientId: 'reporting', scopes: ['notes:read'] }
    : undefined
}

// a health endpoint: counters since start, and how stale the token store is
app.get('/healthz', (_req, res) => {
  const { requests, store } = auth.stats()
  res.status(store.staleForMs > 30_000 ? 503 : 200).json({ requests, store })
})
