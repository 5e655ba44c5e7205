// The example on MCP TypeScript SDK v2: one server factory, served at /mcp by
// createMcpHandler through toNodeHandler (2026-07-28 clients, and 2025-era ones statelessly)
// or by NodeStreamableHTTPServerTransport, behind requireFastMcpToken or v2's own
// requireBearerAuth fed by this package's verifier. Per-tool scopes both ways: the package's
// requireToolScopes in front of the SDK, and v2's scopeChallenge on a tool; one scope
// hierarchy behind both. test/e2e-v2.test.ts builds it on port 0.
import { requireBearerAuth } from '@modelcontextprotocol/express'
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node'
import { McpServer, createMcpHandler, requireScopes, type AuthInfo } from '@modelcontextprotocol/server'
import express, { type Express, type RequestHandler } from 'express'
import { z } from 'zod'
import { createFastMcpAuth, type FastMcpAuth, type FastMcpAuthOptions } from '../src/index.js'
import { createBearerAuthOptions } from '../src/sdk-v2.js'
import { allowBrowserClients } from './cors.js'

export const SCOPES_V2 = ['notes:read', 'notes:write', 'admin'] as const

export interface ExampleV2Config {
  signingKey: string
  issuer: string
  audience: string
  /** `handler`: createMcpHandler + toNodeHandler; `transport`: NodeStreamableHTTPServerTransport. @default 'handler' */
  serving?: 'handler' | 'transport'
  /** `package`: requireFastMcpToken; `sdk`: v2's requireBearerAuth with createBearerAuthOptions. @default 'package' */
  gate?: 'package' | 'sdk'
  /** Extra options for createFastMcpAuth, e.g. a test clock. */
  auth?: Partial<FastMcpAuthOptions>
}

/** What whoami answers: the AuthInfo the tool was handed, minus the token. */
export interface Caller {
  clientId: string
  scopes: string[]
  grantedScopes: string[]
  jti: string
  resourceMetadataUrl: string | null
}

/** Builds the v2 example app and the auth object behind it. */
export function createExampleAppV2(config: ExampleV2Config): { app: Express; auth: FastMcpAuth } {
  // broader scopes satisfy narrower ones, in requireToolScopes and in v2's scopeChallenge alike
  const auth = createFastMcpAuth({
    signingKey: config.signingKey,
    issuer: config.issuer,
    audience: config.audience,
    scopeHierarchy: { admin: ['notes:write'], 'notes:write': ['notes:read'] },
    ...config.auth,
  })
  const notes: { author: string; text: string }[] = []
  const app = express()

  app.use(allowBrowserClients)
  app.use(auth.protectedResourceMetadata({ authorizationServers: [config.issuer], scopesSupported: [...SCOPES_V2] }))

  // after protectedResourceMetadata(): v2's gate sends the served metadata URL too
  const gate: RequestHandler = config.gate === 'sdk' ? requireBearerAuth(createBearerAuthOptions(auth)) : auth.requireFastMcpToken
  app.use('/mcp', gate)
  const serve = config.serving === 'transport' ? serveWithTransport(notes) : serveWithHandler(notes)
  // per-tool scopes on any SDK: decided from the parsed body before the SDK runs anything
  app.all('/mcp', express.json({ limit: '1mb' }), auth.requireToolScopes({ write_note: ['notes:write'], clear_notes: ['admin'] }), serve)
  return { app, auth }
}

// createMcpHandler: modern (2026-07-28) requests, and legacy ones served statelessly
function serveWithHandler(notes: { author: string; text: string }[]): RequestHandler {
  const handler = toNodeHandler(createMcpHandler(() => buildMcpServer(notes)))
  return (req, res, next) => {
    handler(req, res, req.body).catch(next) // req.auth reaches tools as ctx.http.authInfo
  }
}

// NodeStreamableHTTPServerTransport: v1's transport, renamed; stateless, one per request
function serveWithTransport(notes: { author: string; text: string }[]): RequestHandler {
  return (req, res, next) => {
    const server = buildMcpServer(notes)
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    server.connect(transport)
      .then(() => transport.handleRequest(req, res, req.body))
      .catch(next)
  }
}

function buildMcpServer(notes: { author: string; text: string }[]): McpServer {
  const server = new McpServer({ name: 'fastmcp-auth-express-example-v2', version: '1.0.0' })

  server.registerTool('whoami', {
    description: 'Who the caller is, from the verified token',
  }, (ctx) => {
    const who = describeCaller(ctx.http?.authInfo)
    return { content: [{ type: 'text', text: JSON.stringify(who) }], structuredContent: { ...who } }
  })

  // guarded by requireToolScopes (notes:write): this handler runs only for tokens that have it
  server.registerTool('write_note', {
    description: 'Stores a note; needs notes:write',
    inputSchema: z.object({ text: z.string().min(1).max(1000) }),
  }, ({ text }, ctx) => {
    notes.push({ author: ctx.http?.authInfo?.clientId ?? '', text })
    return { content: [{ type: 'text', text: `stored note ${notes.length}` }] }
  })

  // guarded by v2 itself: its 403 names notes:read and this package's metadata URL
  server.registerTool('read_notes', {
    description: 'Lists the notes; needs notes:read',
    scopeChallenge: requireScopes('notes:read'),
  }, () => ({ content: [{ type: 'text', text: JSON.stringify(notes) }] }))

  server.registerTool('clear_notes', {
    description: 'Deletes every note; needs admin',
  }, () => {
    notes.length = 0
    return { content: [{ type: 'text', text: 'cleared' }] }
  })
  return server
}

function describeCaller(authInfo: AuthInfo | undefined): Caller {
  const granted = authInfo?.extra?.grantedScopes
  return {
    clientId: authInfo?.clientId ?? '',
    scopes: authInfo?.scopes ?? [],
    grantedScopes: Array.isArray(granted) ? granted.filter((s): s is string => typeof s === 'string') : [],
    jti: typeof authInfo?.extra?.jti === 'string' ? authInfo.extra.jti : '',
    resourceMetadataUrl: authInfo?.resourceMetadataUrl ?? null,
  }
}
