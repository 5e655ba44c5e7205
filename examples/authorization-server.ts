// The authorization server in an app that has a login of its own: the hook approves a
// person who is signed in, sends anyone else to the app's login page with the pending id,
// and that page's POST handler completes the authorization. The README quotes this file.
import { scryptSync, timingSafeEqual } from 'node:crypto'
import express from 'express'
import { createFastMcpAuth } from '../src/index.js'
import { createAuthorizationServer } from '../src/authorization-server/index.js'

const auth = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!,
  issuer: 'https://mcp.example.com/',
  audience: 'https://mcp.example.com/mcp',
})
const authorizationServer = createAuthorizationServer({
  auth,
  scopesSupported: ['notes:read', 'notes:write'],
  // who is this? your own login decides; the package never does
  login: async (req, res, pending) => {
    const user = await currentUser(req)
    if (user) return { subject: user.id, upstreamClaims: { email: user.email } }
    res.redirect(`/login?pending=${encodeURIComponent(pending.id)}`)
    return undefined
  },
})

const app = express()
app.use(auth.protectedResourceMetadata({ authorizationServers: [auth.issuer], scopesSupported: ['notes:read', 'notes:write'] }))
app.use(authorizationServer.router) // /authorize, /token, /register, /revoke, /.well-known/oauth-authorization-server
app.use('/mcp', auth.requireFastMcpToken)

// your login form (with the pending id in a hidden field) posts here
app.post('/login', express.urlencoded({ extended: false }), async (req, res, next) => {
  try {
    const user = await checkPassword(String(req.body.username), String(req.body.password))
    if (!user) return void res.status(403).send('Wrong username or password')
    await authorizationServer.completeAuthorization(res, String(req.body.pending), { subject: user.id })
  } catch (err) {
    next(err)
  }
})

app.get('/login', (req, res) => {
  res.type('html').send(`<form method="post" action="/login">
<input type="hidden" name="pending" value="${String(req.query.pending).replace(/[^A-Za-z0-9_-]/g, '')}">
<input name="username"> <input name="password" type="password"> <button>Log in</button></form>`)
})

// ---- stand-ins for the app's own user store and sessions --------------------------------

interface User { id: string; email: string }
const users = new Map<string, User & { passwordHash: Buffer; salt: string }>()

const sessions = new Map<string, User>()

async function currentUser(req: express.Request): Promise<User | undefined> {
  const session = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  return session === undefined ? undefined : sessions.get(session)
}

async function checkPassword(username: string, password: string): Promise<User | undefined> {
  const user = users.get(username)
  if (!user) return undefined
  const hash = scryptSync(password, user.salt, 32)
  return timingSafeEqual(hash, user.passwordHash) ? { id: user.id, email: user.email } : undefined
}

export { app }
