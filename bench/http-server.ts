// The HTTP bench's server, run as a child process so autocannon's own CPU is never counted:
// one Express 5 app per case on 127.0.0.1, the same route and handler behind each
// middleware. The parent asks for process.cpuUsage() around each run over IPC.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import { expressjwt } from 'express-jwt'
import { jwtVerify } from 'jose'
import { InvalidTokenError as SdkInvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js'
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js'
import { createFastMcpAuth } from '../src/index.js'
import { AUDIENCE, ISSUER, makeFixtures } from './common.js'

/** The servers a run can target, by name. */
const SERVER_CASES = ['bare', 'floor', 'refuseFloor', 'ours', 'oursNoCache', 'expressJwt', 'sdk'] as const
export type ServerCase = (typeof SERVER_CASES)[number]

export type ToParent =
  | { type: 'ready'; ports: Record<ServerCase, number>; token: string; forged: string; forgedCachedJti: string }
  | { type: 'cpu'; id: number; micros: number }
export type ToChild = { type: 'cpu'; id: number }

// every case answers with the same tiny body, so only the middleware differs
const handler = (_req: IncomingMessage, res: ServerResponse): void => {
  res.setHeader('content-type', 'application/json')
  res.end('{"ok":true}')
}

/** The floor: reads the header and decodes the jti; verifies nothing. */
const floor: RequestHandler = (req, res, next) => {
  const header = req.headers.authorization
  if (header === undefined || !header.startsWith('Bearer ')) {
    res.statusCode = 401
    res.end()
    return
  }
  const start = header.indexOf('.', 7) + 1
  const payload = Buffer.from(header.slice(start, header.indexOf('.', start)), 'base64url').toString('utf8')
  ;(req as { jti?: unknown }).jti = (JSON.parse(payload) as { jti?: unknown }).jti
  next()
}

// the refusal floor: the 401 our middleware writes for a bad signature, byte for byte, with
// no verification at all (what a flood costs before any HMAC)
const REFUSAL_BODY = '{"error":"invalid_token","error_description":"The token signature is invalid"}'
const refuseFloor: RequestHandler = (_req, res) => {
  res.statusCode = 401
  res.setHeader('www-authenticate', 'Bearer error="invalid_token", error_description="The token signature is invalid"')
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.setHeader('content-length', Buffer.byteLength(REFUSAL_BODY))
  res.end(REFUSAL_BODY)
}

async function main(): Promise<void> {
  const fx = await makeFixtures()
  const cryptoKey = await crypto.subtle.importKey('raw', Buffer.from(fx.key, 'latin1'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  const ours = createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE })
  const oursNoCache = createFastMcpAuth({ signingKey: fx.key, issuer: ISSUER, audience: AUDIENCE, cache: false })
  await Promise.all([ours.ready, oursNoCache.ready])

  // the MCP SDK's bearer middleware with a jose verifier, as its docs suggest
  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token) {
      try {
        const { payload } = await jwtVerify<{ client_id: string; scope?: string }>(token, cryptoKey, {
          algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'],
        })
        return { token, clientId: payload.client_id, scopes: payload.scope?.split(' ') ?? [], expiresAt: payload.exp }
      } catch {
        throw new SdkInvalidTokenError('Invalid token')
      }
    },
  }
  // express-jwt hands its UnauthorizedError to next(err): answer it as a 401 like the others
  const jwtErrors: ErrorRequestHandler = (err: { status?: number; code?: string }, _req, res, _next) => {
    res.statusCode = err.status ?? 500
    res.setHeader('www-authenticate', `Bearer error="invalid_token"`)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ error: err.code ?? 'server_error' }))
  }

  const chains: Record<ServerCase, (RequestHandler | ErrorRequestHandler)[]> = {
    bare: [],
    floor: [floor],
    refuseFloor: [refuseFloor],
    ours: [ours.requireFastMcpToken as RequestHandler],
    oursNoCache: [oursNoCache.requireFastMcpToken as RequestHandler],
    expressJwt: [expressjwt({ secret: fx.key, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }) as unknown as RequestHandler],
    sdk: [requireBearerAuth({ verifier })],
  }
  const ports = {} as Record<ServerCase, number>
  for (const name of SERVER_CASES) {
    const app = express()
    app.get('/mcp', ...(chains[name] as RequestHandler[]), handler)
    if (name === 'expressJwt') app.use(jwtErrors)
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s))
    })
    ports[name] = (server.address() as AddressInfo).port
  }

  const send = (message: ToParent): void => {
    process.send!(message)
  }
  process.on('message', (message: ToChild) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage()
      send({ type: 'cpu', id: message.id, micros: user + system })
    }
  })
  process.on('disconnect', () => process.exit(0))
  send({ type: 'ready', ports, token: fx.token, forged: fx.forged, forgedCachedJti: fx.forgedCachedJti })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
