// Security-test harness: live servers running requireFastMcpToken that count what reached
// the protected handler and every 5xx, a keep-alive client that sends any header bytes
// node:http allows, a raw-socket client for the rest, a strict RFC 6750 §3 challenge
// parser, a mock req/res for driving the middleware directly, and process-hook watchers.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import type { FastMcpMiddleware } from '../../src/index.js'

import { METADATA_URL, VECTOR_KEY } from '../helpers.js'

// the shared servers and auth context, under the names these suites use
export { METADATA_URL, createAuthContext, startServer as startSecureServer } from '../helpers.js'
export type { AuthContext, ServerOptions, TestServer as SecureServer } from '../helpers.js'

// ---- clients -----------------------------------------------------------------------

export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface SendOptions {
  method?: string
  /** Request target. @default '/mcp' */
  path?: string
  /** Header lines in order, names as sent; repeats are sent as repeats. */
  headers?: [string, string][]
  body?: string
}

/** A keep-alive client: at most `maxSockets` connections, reused across requests. */
export class Client {
  readonly agent: http.Agent
  constructor(maxSockets = 16) {
    // fifo: every pooled socket stays in use, none sits idle long enough to be closed
    this.agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'fifo' })
  }

  send(port: number, options: SendOptions = {}): Promise<Reply> {
    const raw: string[] = ['Host', `127.0.0.1:${port}`]
    for (const [name, value] of options.headers ?? []) raw.push(name, value)
    if (options.body !== undefined) raw.push('Content-Length', String(Buffer.byteLength(options.body)))
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        agent: this.agent,
        method: options.method ?? 'GET',
        path: options.path ?? '/mcp',
        // rawHeaders form: repeats stay repeats, values go out as latin1 bytes
        headers: raw as unknown as http.OutgoingHttpHeaders,
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(options.body)
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

/** One shared client for simple calls. */
export const client = new Client()

/** `Authorization: <value>` as a header list. */
export const authorization = (value: string): [string, string][] => [['Authorization', value]]

export interface RawReply {
  /** 0 when the server closed the connection without answering. */
  status: number
  head: string
  body: string
}

/**
 * Writes `bytes` to a fresh connection and reads whatever comes back until the server
 * closes it (send `Connection: close`). Survives the server cutting the upload short (a
 * 431 before the head ends).
 */
export function rawSend(port: number, bytes: Buffer | string): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      const data = Buffer.concat(chunks).toString('latin1')
      const split = data.indexOf('\r\n\r\n')
      const head = split === -1 ? data : data.slice(0, split)
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head)
      resolve({ status: match ? Number(match[1]) : 0, head, body: split === -1 ? '' : data.slice(split + 4) })
    }
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('end', finish)
    socket.on('close', finish)
    // EPIPE/ECONNRESET when the server answers and hangs up mid-upload: read what came
    socket.on('error', () => { socket.destroy() })
    // no half-close: node:http drops a pending answer when the client ends its side first;
    // requests carry `Connection: close`, and a stuck server is cut off after 10 s
    socket.setTimeout(10_000, () => socket.destroy())
    socket.write(bytes)
  })
}

// ---- what a refusal must look like -----------------------------------------------

// RFC 6750 §3 with RFC 7235 auth-params: Bearer, then name="quoted value" pairs whose
// values use only %x20-21 / %x23-5B / %x5D-7E
const CHALLENGE = /^Bearer(?: ([a-z_]+="[\x20\x21\x23-\x5B\x5D-\x7E]*"(?:, [a-z_]+="[\x20\x21\x23-\x5B\x5D-\x7E]*")*))?$/
const PARAM = /([a-z_]+)="([\x20\x21\x23-\x5B\x5D-\x7E]*)"/g

/** Parses a Bearer challenge strictly; throws if it is not one. */
export function parseChallenge(value: unknown): Record<string, string> {
  assert.equal(typeof value, 'string', 'a refusal carries exactly one WWW-Authenticate header')
  const text = value as string
  assert.match(text, CHALLENGE, `not a well-formed Bearer challenge: ${JSON.stringify(text)}`)
  const params: Record<string, string> = {}
  for (const [, name, v] of text.matchAll(PARAM)) {
    assert.equal(params[name!], undefined, `parameter ${name} appears twice`)
    params[name!] = v!
  }
  return params
}

export interface Refusal {
  status: 400 | 401 | 403
  /** The RFC 6750 error code; undefined for a plain `Bearer` challenge. */
  code: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined
}

/**
 * Asserts the response is exactly that refusal: status, a well-formed challenge with that
 * error code and the metadata URL, a JSON body with the same code and description, no-store.
 */
export function assertRefusal(reply: Reply, expected: Refusal, metadataUrl: string | undefined = METADATA_URL): void {
  assert.equal(reply.status, expected.status, `status (body: ${reply.body.slice(0, 200)})`)
  const params = parseChallenge(reply.headers['www-authenticate'])
  assert.equal(params.error, expected.code, 'WWW-Authenticate error code')
  assert.equal(params.resource_metadata, metadataUrl, 'resource_metadata')
  const body = JSON.parse(reply.body) as { error?: string; error_description?: unknown }
  assert.equal(body.error, expected.code, 'body error code')
  assert.equal(typeof body.error_description, 'string')
  if (expected.code !== undefined) assert.equal(params.error_description, body.error_description)
  assert.equal(reply.headers['cache-control'], 'no-store')
}

/** The refusal a status implies, for fuzzing where any refusal is right. */
export function isWellFormedRefusal(reply: Reply, metadataUrl: string | undefined = METADATA_URL): boolean {
  try {
    const body = JSON.parse(reply.body) as { error?: string }
    const params = parseChallenge(reply.headers['www-authenticate'])
    if (params.resource_metadata !== metadataUrl || params.error !== body.error) return false
    if (reply.status === 400) return body.error === 'invalid_request'
    if (reply.status === 401) return body.error === 'invalid_token' || body.error === undefined
    return false
  } catch {
    return false
  }
}

// ---- tokens ---------------------------------------------------------------------------

export const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url')

/** Signs raw header and payload bytes (not re-encoded JSON) with an HMAC. */
export function signRaw(
  header: string | Buffer,
  payload: string | Buffer,
  key: string | Buffer = VECTOR_KEY,
  hash: 'sha256' | 'sha384' | 'sha512' = 'sha256',
): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`
}

// ---- the middleware without a socket -----------------------------------------------

export interface DirectResult {
  /** The middleware called next() with no error: the request would reach the handler. */
  passed: boolean
  status: number
  headers: Record<string, string>
  body: string
  /** next(err) was called. */
  error: unknown
  /** `req.auth` as the middleware left it. */
  auth: unknown
}

export interface DirectRequest {
  method?: string
  url?: string
  /** Header lines in order, as node:http's rawHeaders. */
  rawHeaders?: [string, string][]
  body?: unknown
}

/**
 * Runs a middleware on a minimal stand-in for node:http's req and res: what it reads
 * (method, url, headers, rawHeaders, body) and what it writes (statusCode, setHeader, end).
 * `headers` is built the way node:http builds it (first Authorization wins).
 */
export function callMiddleware(mw: FastMcpMiddleware, request: DirectRequest): Promise<DirectResult> {
  const rawHeaders: string[] = []
  const headers: Record<string, string> = {}
  for (const [name, value] of request.rawHeaders ?? []) {
    rawHeaders.push(name, value)
    const lower = name.toLowerCase()
    if (headers[lower] === undefined) headers[lower] = value
    else if (lower !== 'authorization') headers[lower] += `, ${value}`
  }
  return new Promise((resolve) => {
    const out: Record<string, string> = {}
    const res = {
      statusCode: 200,
      headersSent: false,
      setHeader(name: string, value: string | number) { out[name.toLowerCase()] = String(value) },
      end(body?: string) {
        res.headersSent = true
        resolve({ passed: false, status: res.statusCode, headers: out, body: body ?? '', error: undefined, auth: req.auth })
      },
    }
    const req: { method: string; url: string; headers: Record<string, string>; rawHeaders: string[]; body: unknown; auth?: unknown } =
      { method: request.method ?? 'GET', url: request.url ?? '/mcp', headers, rawHeaders, body: request.body }
    mw(req as unknown as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
      resolve({ passed: err === undefined, status: err === undefined ? 200 : 0, headers: out, body: '', error: err, auth: req.auth })
    })
  })
}

/** A DirectResult seen as a Reply, so the same refusal checks apply. */
export function asReply(result: DirectResult): Reply {
  return { status: result.status, headers: result.headers as http.IncomingHttpHeaders, body: result.body }
}

// ---- process hooks -------------------------------------------------------------------

/** Records unhandled rejections and uncaught exceptions from now until `stop()`. */
export function watchProcess(): { events: string[]; stop: () => void } {
  const events: string[] = []
  const onRejection = (reason: unknown): void => { events.push(`unhandledRejection: ${String(reason)}`) }
  const onException = (err: unknown): void => { events.push(`uncaughtException: ${String(err)}`) }
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    events,
    stop: () => {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}

/** Runs `tasks` with at most `limit` in flight. */
export async function runBounded<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]!()
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker))
  return results
}
