// Compile-only: the subpath's declarations, as a consumer sees them, with the SDK's own.
import express from 'express'
import { createFastMcpAuth } from 'fastmcp-auth-express'
import {
  createAuthorizationServer,
  type LoginHook,
  type LoginResult,
  type PendingAuthorization,
} from 'fastmcp-auth-express/authorization-server'

const auth = createFastMcpAuth({ secret: 'a-long-enough-secret', issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp' })
const login: LoginHook = async (req, res, pending: PendingAuthorization): Promise<LoginResult | undefined> => {
  if (req.headers.cookie) return { subject: 'user-1', scopes: pending.scopes, upstreamClaims: { email: 'a@example.com' } }
  res.redirect(`/login?pending=${pending.id}`)
  return undefined
}
const authorizationServer = createAuthorizationServer({ auth, login, scopesSupported: ['read'], rateLimit: false })
const app = express()
app.use(authorizationServer.router)
app.get('/callback', (req, res, next) => {
  authorizationServer.completeAuthorization(res, String(req.query.state), { subject: 'user-1' }).catch(next)
})
const issuer: string = authorizationServer.metadata.issuer
void issuer

// @ts-expect-error: a login result needs a subject
const noSubject: LoginResult = { scopes: ['read'] }
void noSubject
// @ts-expect-error: the server needs a login hook
createAuthorizationServer({ auth, scopesSupported: ['read'] })
