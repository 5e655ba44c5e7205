// The authorization server in an app that has a login of its own: the hook shows a consent
// page (who asks, where the code goes, which scopes), with the login fields when nobody is
// signed in, and approves only on that page's POST. The README quotes this file.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto'
import express from 'express'
import { createFastMcpAuth } from '../src/index.js'
import { createAuthorizationServer, type PendingAuthorization } from '../src/authorization-server/index.js'

const auth = createFastMcpAuth({
  secret: process.env.FASTMCP_JWT_SECRET!,
  issuer: 'https://mcp.example.com/',
  audience: 'https://mcp.example.com/mcp',
})
const authorizationServer = createAuthorizationServer({
  auth,
  scopesSupported: ['notes:read', 'notes:write'],
  // who is this, and do they agree? your own login decides; the package never does.
  // Approve only on the POST of your consent page, never on the GET of /authorize: anyone
  // can register a client and send a signed-in person's browser there.
  login: async (req, res, pending) => {
    const form = (req.method === 'POST' ? req.body : {}) as Record<string, string | undefined>
    const user = (await currentUser(req)) ?? (await logIn(res, form.username, form.password))
    if (user && form.decision === 'allow') return { subject: user.id, upstreamClaims: { email: user.email } }
    sendConsentPage(res, pending, user === undefined)
    return undefined
  },
})

const app = express()
app.use(auth.protectedResourceMetadata({ authorizationServers: [auth.issuer], scopesSupported: ['notes:read', 'notes:write'] }))
app.use(authorizationServer.router) // /authorize, /token, /register, /revoke, /.well-known/oauth-authorization-server
app.use('/mcp', auth.requireFastMcpToken)

// the consent page: who asks, where the code goes, what for; it posts to the login path
function sendConsentPage(res: express.Response, pending: PendingAuthorization, askLogin: boolean): void {
  const who = escapeHtml(pending.clientName ?? pending.clientId)
  const host = escapeHtml(new URL(pending.redirectUri).host || pending.redirectUri)
  res.type('html').send(`<h1>${who} wants to use your notes</h1>
<p>Scopes: ${pending.scopes.map(escapeHtml).join(', ')}. The code goes to ${host}.</p>
<form method="post" action="/authorize/login"><input type="hidden" name="pending" value="${escapeHtml(pending.id)}">
${askLogin ? '<input name="username"> <input name="password" type="password">' : ''}
<button name="decision" value="allow">Allow</button></form>`)
}

// ---- stand-ins for the app's own user store and sessions --------------------------------

interface User { id: string; email: string }
const users = new Map<string, User & { passwordHash: Buffer; salt: string }>()

const sessions = new Map<string, User>()

async function currentUser(req: express.Request): Promise<User | undefined> {
  const session = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  return session === undefined ? undefined : sessions.get(session)
}

// a right password starts a session: HttpOnly, and SameSite=Lax so no other site's POST carries it
async function logIn(res: express.Response, username: string | undefined, password: string | undefined): Promise<User | undefined> {
  const user = await checkPassword(String(username), String(password))
  if (!user) return undefined
  const session = randomBytes(32).toString('base64url')
  sessions.set(session, user)
  res.cookie('session', session, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' })
  return user
}

async function checkPassword(username: string, password: string): Promise<User | undefined> {
  const user = users.get(username)
  if (!user) return undefined
  const hash = scryptSync(password, user.salt, 32)
  return timingSafeEqual(hash, user.passwordHash) ? { id: user.id, email: user.email } : undefined
}

/** A stand-in account, for the tests. */
function addUser(username: string, password: string, email: string): void {
  const salt = randomBytes(16).toString('base64url')
  users.set(username, { id: `user-${users.size + 1}`, email, salt, passwordHash: scryptSync(password, salt, 32) })
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export { addUser, app, auth }
