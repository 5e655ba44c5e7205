// The example: an Express app serving MCP over Streamable HTTP at /mcp, protected by
// requireFastMcpToken, with the authorization server MCP clients log in through (on a
// development login page) and a demo token endpoint that mints tokens in route handlers.
// examples/server.ts runs it; the end-to-end tests build it on port 0.
import { timingSafeEqual } from 'node:crypto'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type { IncomingMessage } from 'node:http'
import express, { type ErrorRequestHandler, type Express } from 'express'
import { z } from 'zod'
import { createFastMcpAuth, getFastMcpClaims, type AuthenticatedClient, type FastMcpAuth, type FastMcpAuthOptions, type OAuthParams } from '../src/index.js'
import {
  createAuthorizationServer,
  type AuthorizationServerOptions,
  type FastMcpAuthorizationServer,
} from '../src/authorization-server/index.js'
import { allowBrowserClients } from './cors.js'
import { DEMO_USER, createDevelopmentLogin } from './dev-login.js'

/** The demo client of the client-credentials grant. Never ship fixed credentials. */
export const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-client-secret' } as const
export const SCOPES = ['notes:read', 'notes:write'] as const

export interface ExampleConfig {
  secret?: string
  signingKey?: string
  salt?: string
  entropy?: 'low' | 'high'
  issuer: string
  audience: string
  /** Extra options for createFastMcpAuth, e.g. a test clock. */
  auth?: Partial<FastMcpAuthOptions>
  /** Extra options for the authorization server, e.g. `rateLimit: false` in tests. */
  authorizationServer?: Partial<AuthorizationServerOptions>
  /** The demo account's password on the development login page. @default "demo-password" */
  demoPassword?: string
}

/** The example app, the auth object behind it, and its authorization server. */
export interface ExampleApp {
  app: Express
  auth: FastMcpAuth
  authorizationServer: FastMcpAuthorizationServer
}

/** Builds the example app and the auth object behind it. */
export function createExampleApp(config: ExampleConfig): ExampleApp {
  const auth = createFastMcpAuth({
    ...(config.signingKey === undefined ? { secret: config.secret } : { signingKey: config.signingKey }),
    salt: config.salt,
    entropy: config.entropy,
    issuer: config.issuer,
    audience: config.audience,
    ...config.auth,
  })
  const notes: { author: string; text: string }[] = []
  const app = express()

  app.use(allowBrowserClients)
  // RFC 9728 metadata at /.well-known/oauth-protected-resource/mcp; 401s point at it
  app.use(auth.protectedResourceMetadata({ authorizationServers: [config.issuer], scopesSupported: [...SCOPES] }))

  // the authorization server those clients log in through: /authorize, /token, /register,
  // /revoke and /.well-known/oauth-authorization-server, issuing this auth object's tokens
  const authorizationServer = createAuthorizationServer({
    auth,
    scopesSupported: [...SCOPES],
    login: createDevelopmentLogin({ username: DEMO_USER.username, password: config.demoPassword ?? DEMO_USER.password }),
    ...config.authorizationServer,
  })
  app.use(authorizationServer.router)

  // RFC 6749 token endpoint: client_credentials for the demo client, refresh_token with
  // rotation and reuse detection; RFC 7009 revocation
  app.post('/oauth/token', auth.tokenEndpoint({ authenticateClient: authenticateDemoClient }))
  app.post('/oauth/revoke', auth.revocationEndpoint({ authenticateClient: authenticateDemoClient }))

  // authenticate before the body is parsed: unauthenticated bodies are never read
  app.use('/mcp', auth.requireFastMcpToken)
  app.post('/mcp', express.json({ limit: '1mb' }), async (req, res, next) => {
    try {
      // stateless: a server and transport per request, so any instance can answer
      const server = buildMcpServer(notes)
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
      res.on('close', () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res, req.body)
    } catch (err) {
      next(err)
    }
  })
  app.all('/mcp', (_req, res) => {
    res.status(405).set('allow', 'POST, OPTIONS').json({ error: 'method_not_allowed' })
  })
  app.use(answerErrors)
  return { app, auth, authorizationServer }
}

/**
 * The last handler: a body that does not parse (400), is too large (413) or anything else
 * (500) gets JSON without a stack; the log names the method, path and status, never the
 * body or the headers (a bearer token is one).
 */
const answerErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) return next(err)
  const status = (err as { status?: unknown } | null)?.status
  const code = Number.isInteger(status) && (status as number) >= 400 && (status as number) < 600 ? (status as number) : 500
  console.error(`${req.method} ${req.path} ${code}`)
  res.status(code).json(code < 500
    ? { error: 'invalid_request', error_description: 'The request body could not be read' }
    : { error: 'server_error', error_description: 'Internal Server Error' })
}

function buildMcpServer(notes: { author: string; text: string }[]): McpServer {
  const server = new McpServer({ name: 'fastmcp-auth-express-example', version: '1.0.0' })

  server.registerTool('whoami', {
    description: 'Who the caller is, from the verified token',
  }, (extra) => {
    const who = describeCaller(extra.authInfo)
    return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: who }
  })

  server.registerTool('write_note', {
    description: 'Stores a note; needs the notes:write scope',
    inputSchema: { text: z.string().min(1).max(1000) },
  }, ({ text }, extra) => {
    const caller = describeCaller(extra.authInfo)
    if (!caller.scopes.includes('notes:write')) {
      return { isError: true, content: [{ type: 'text', text: 'write_note needs the notes:write scope' }] }
    }
    notes.push({ author: caller.clientId, text })
    return { content: [{ type: 'text', text: `stored note ${notes.length}` }] }
  })

  server.registerTool('read_notes', {
    description: 'Lists the notes; needs the notes:read scope',
  }, (extra) => {
    if (!describeCaller(extra.authInfo).scopes.includes('notes:read')) {
      return { isError: true, content: [{ type: 'text', text: 'read_notes needs the notes:read scope' }] }
    }
    return { content: [{ type: 'text', text: JSON.stringify(notes) }] }
  })
  return server
}

/** What a tool knows of its caller: the SDK hands req.auth to tools as authInfo. */
function describeCaller(authInfo: AuthInfo | undefined): { clientId: string; scopes: string[]; jti: string; sub?: string } {
  const caller: { clientId: string; scopes: string[]; jti: string; sub?: string } = {
    clientId: authInfo?.clientId ?? '',
    scopes: authInfo?.scopes ?? [],
    jti: typeof authInfo?.extra?.jti === 'string' ? authInfo.extra.jti : '',
  }
  // the person who logged in at the authorization server; client-credentials tokens have none
  const sub = authInfo === undefined ? undefined : getFastMcpClaims({ auth: authInfo })?.sub
  if (typeof sub === 'string') caller.sub = sub
  return caller
}

/**
 * The demo client of the client-credentials grant, authenticated by HTTP Basic or by
 * `client_id` and `client_secret` in the body (RFC 6749 §2.3.1).
 */
function authenticateDemoClient(req: IncomingMessage, params: OAuthParams): AuthenticatedClient | undefined {
  const [id, secret] = clientCredentials(req, params)
  if (id !== DEMO_CLIENT.id || !sameSecret(secret, DEMO_CLIENT.secret)) return undefined
  return { clientId: id, scopes: [...SCOPES] }
}

function clientCredentials(req: IncomingMessage, params: OAuthParams): [string | undefined, string | undefined] {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '')
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return [decodeURIComponent(decoded.slice(0, colon)), decodeURIComponent(decoded.slice(colon + 1))]
  }
  return [params.client_id, params.client_secret]
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
