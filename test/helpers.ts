// Test helpers: the FastMCP vectors, one way to make test tokens, and servers on port 0.
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import express from 'express'
import express4 from 'express4'
import { createFastMcpAuth, type FastMcpAuth, type FastMcpAuthOptions, type FastMcpMiddleware, type RejectedEvent, type VerifiedEvent } from '../src/index.js'

// ---- FastMCP's own vectors, read as they are --------------------------------------

export interface VectorMint {
  kind: 'access' | 'refresh'
  key: string
  issuer: string
  audience: string
  client_id: string
  scopes: string[]
  jti: string
  expires_in: number
  iat: number
  upstream_claims?: Record<string, unknown>
}

/** What every token vector names: the key it was made with, and the issuer and audience. */
export interface VectorSetting {
  id: string
  description: string
  key_material: string
  mode: 'low' | 'high'
  salt: string
  key: string
  issuer: string
  audience: string
}

export interface TokenVector extends VectorSetting {
  token: string
  header: Record<string, unknown>
  mint?: VectorMint
  expect: { verdict: 'valid'; payload: Record<string, unknown> } | { verdict: 'invalid'; reason: string }
}

export interface DeriveVector {
  id: string
  mode: 'low' | 'high'
  material: string
  salt: string
  key: string
}

export interface Vectors {
  derive: DeriveVector[]
  tokens: TokenVector[]
  fastmcp_quirks: TokenVector[]
}

export const vectors: Vectors = JSON.parse(
  readFileSync(new URL('./fixtures/fastmcp-vectors.json', import.meta.url), 'utf8'),
) as Vectors

/** A vector by id; throws if the fixture lacks it. */
export function vector(id: string): TokenVector {
  const found = [...vectors.tokens, ...vectors.fastmcp_quirks].find((v) => v.id === id)
  if (!found) throw new Error(`no vector ${id}`)
  return found
}

/** A verdict in the FastMCP 3.4+ vectors, for one `expected_token_use`. */
export type Verdict34 = { verdict: 'valid'; payload: Record<string, unknown> } | { verdict: 'invalid'; message: string }

export interface TokenVector34 extends VectorSetting {
  header_text: string
  token: string
  construction?: string
  mint?: VectorMint & { subject?: string; extra_claims?: Record<string, unknown> }
  expect: { access: Verdict34; refresh: Verdict34 }
}

/** Keys, tokens and verdicts made by FastMCP 3.4+'s own module (joserfc). */
export const vectors34: { now: number; notes: string[]; tokens: TokenVector34[] } = JSON.parse(
  readFileSync(new URL('./fixtures/fastmcp-3.4-vectors.json', import.meta.url), 'utf8'),
) as { now: number; notes: string[]; tokens: TokenVector34[] }

/** The payload a valid vector must verify to. */
export function validPayload(id: string): Record<string, unknown> {
  const { expect } = vector(id)
  if (expect.verdict !== 'valid') throw new Error(`vector ${id} is not a valid token`)
  return expect.payload
}

/** The key, issuer and audience most vectors share. */
export const VECTOR_KEY = vector('access-basic').key
export const VECTOR_SECRET = vector('access-basic').key_material
export const ISSUER = vector('access-basic').issuer
export const AUDIENCE = vector('access-basic').audience

/**
 * A fixed instant inside every valid vector's life, 2100-01-01T00:00:00Z, when FastMCP
 * minted the first of them: each is within the default lifetime bound but the two that
 * live for decades (`access-ten-year`, `refresh-upstream-unicode`).
 */
export const NOW_MS = Date.UTC(2100, 0, 1)
export const NOW = NOW_MS / 1000

// ---- test tokens: one helper signs anything -----------------------------------------

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url')

/**
 * Signs any header and payload with HS256 (or the named HMAC), so tests can make tokens
 * FastMCP would never mint. Strings are used as they are, objects are JSON-encoded.
 */
export function signToken(
  payload: Record<string, unknown> | string,
  options: { key?: string | Buffer; header?: Record<string, unknown> | string; hash?: 'sha256' | 'sha384' | 'sha512' } = {},
): string {
  const header = options.header ?? { alg: 'HS256', typ: 'JWT' }
  const input = `${b64(typeof header === 'string' ? header : JSON.stringify(header))}.${b64(typeof payload === 'string' ? payload : JSON.stringify(payload))}`
  const sig = createHmac(options.hash ?? 'sha256', options.key ?? VECTOR_KEY).update(input).digest('base64url')
  return `${input}.${sig}`
}

/** A valid FastMCP-shaped access-token payload for the shared key, issuer and audience. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    client_id: 'client-abc',
    scope: 'read write',
    exp: NOW + 3600,
    iat: NOW,
    jti: 'jti-test-1',
    ...overrides,
  }
}

/** A clock the test moves by hand: never sleep. */
export function manualClock(startMs = NOW_MS): { now: () => number; set: (ms: number) => void; advance: (ms: number) => void } {
  let t = startMs
  return { now: () => t, set: (ms) => { t = ms }, advance: (ms) => { t += ms } }
}

// ---- servers -----------------------------------------------------------------------

export type ServerKind = 'express5' | 'express4' | 'http'
export const SERVER_KINDS: ServerKind[] = ['express5', 'express4', 'http']

export interface TestServer {
  kind: ServerKind
  url: string
  port: number
  /** How many times the protected handler ran. */
  handled: () => number
  /** `req.auth` the protected handler last saw. */
  lastAuth: () => unknown
  /** Responses with a 5xx status, whoever wrote them. */
  serverErrors: () => number
  close: () => Promise<void>
}

export interface ServerOptions {
  /** Put a urlencoded body parser in front of the middleware (Express kinds only). */
  parseBody?: boolean
  /** node:http's cap on the request head, in bytes. @default 16384 */
  maxHeaderSize?: number
}

/**
 * A real server on 127.0.0.1:0 with `chain` in front of a handler that answers 200 with
 * `req.auth`. The same behaviour table runs under Express 5, Express 4 and node:http;
 * under `http` a next(err) becomes a 500, so it shows up as a 5xx.
 */
export async function startServer(kind: ServerKind, chain: FastMcpMiddleware[], options: ServerOptions = {}): Promise<TestServer> {
  let handled = 0
  let lastAuth: unknown
  let serverErrors = 0
  const final = (req: IncomingMessage, res: ServerResponse): void => {
    handled++
    lastAuth = (req as { auth?: unknown }).auth
    res.setHeader('content-type', 'application/json')
    let body: string
    try {
      body = JSON.stringify({ ok: true, auth: lastAuth })
    } catch {
      // claims nested past JSON.stringify's stack: the handler still ran, say so without them
      body = JSON.stringify({ ok: true, auth: 'not serializable' })
    }
    res.end(body)
  }
  let listener: RequestListener
  if (kind === 'http') {
    listener = (req, res) => {
      // origin-form or absolute-form targets alike, as Express routes them
      if (!new URL(req.url ?? '/', 'http://localhost').pathname.startsWith('/mcp')) {
        res.statusCode = 404
        res.end()
        return
      }
      let i = 0
      const next = (err?: unknown): void => {
        if (err !== undefined) {
          res.statusCode = 500
          res.end('next(err)')
          return
        }
        const mw = chain[i++]
        if (mw) mw(req, res, next)
        else final(req, res)
      }
      next()
    }
  } else {
    const app = kind === 'express5' ? express() : express4()
    if (options.parseBody) app.use((kind === 'express5' ? express : express4).urlencoded({ extended: false }))
    app.use('/mcp', ...(chain as never[]))
    app.all('/mcp', final as never)
    listener = app as unknown as RequestListener
  }
  const server = http.createServer({ maxHeaderSize: options.maxHeaderSize ?? 16384 }, listener)
  // an idle keep-alive socket closed by the server just as the client reuses it is a reset
  // that no middleware could cause: the server never idles sockets out during a run
  server.keepAliveTimeout = 10 * 60_000
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => { if (res.statusCode >= 500) serverErrors++ })
  })
  // no 'clientError' listener: one would replace node:http's own 400/431 answers under test
  const { base, port, close } = await listenLocal(server)
  return {
    kind,
    url: `${base}/mcp`,
    port,
    handled: () => handled,
    lastAuth: () => lastAuth,
    serverErrors: () => serverErrors,
    close,
  }
}

export interface LocalServer {
  server: http.Server
  port: number
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  base: string
  /** {@link closeServer} on it. */
  close: () => Promise<void>
}

/**
 * Listens on 127.0.0.1, port 0: a new server for `handler`, or the server given. Without a
 * handler, attach one once the port is known (e.g. to name it in an issuer).
 */
export async function listenLocal(handler?: RequestListener | http.Server): Promise<LocalServer> {
  const server = handler instanceof http.Server ? handler : http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  }
}

/** Ends every connection, idle keep-alive ones included, and stops listening. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

// ---- auth under test ----------------------------------------------------------------

export const METADATA_URL = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'

export interface AuthContext {
  auth: FastMcpAuth
  clock: ReturnType<typeof manualClock>
  verified: VerifiedEvent[]
  rejected: RejectedEvent[]
}

/** createFastMcpAuth on the vectors' key, issuer and audience, with a hand-moved clock and recorded hooks. */
export function createAuthContext(options: Partial<FastMcpAuthOptions> = {}): AuthContext {
  const clock = manualClock()
  const verified: VerifiedEvent[] = []
  const rejected: RejectedEvent[] = []
  const auth = createFastMcpAuth({
    signingKey: VECTOR_KEY,
    issuer: ISSUER,
    audience: AUDIENCE,
    resourceMetadataUrl: METADATA_URL,
    clock: clock.now,
    onVerified: (e) => { verified.push(e) },
    onRejected: (e) => { rejected.push(e) },
    ...options,
  } as FastMcpAuthOptions)
  return { auth, clock, verified, rejected }
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Sends a request byte for byte (duplicate headers, odd framing) and reads the answer. */
export function rawRequest(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk) => { data += chunk })
    socket.on('error', reject)
    socket.on('end', () => {
      const [headPart = '', ...rest] = data.split('\r\n\r\n')
      const [statusLine = '', ...lines] = headPart.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
    socket.write(`${head.replace(/\n/g, '\r\n')}\r\nconnection: close\r\n\r\n${body}`)
  })
}
