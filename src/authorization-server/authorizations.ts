// The login half of the authorization endpoint (RFC 6749 §4.1.1-§4.1.2): a validated request
// waits in the store under an opaque id while the app's login hook finds out who the person
// is; approval turns it into a single-use, short-lived code and redirects to the client.
import type { ServerResponse } from 'node:http'
import type { Request, Response } from 'express'
import type { Clock } from '../issuer.js'
import type { TokenStore } from '../store/types.js'
import { isPlainObject, type JsonValue } from '../types.js'
import { newSecretValue, parsePending, recordKey, type CodeRecord, type PendingRecord } from './records.js'

/** An authorization request waiting for the person to log in: what a login page shows. */
export interface PendingAuthorization {
  /**
   * Opaque id of this request, valid until `expiresAt`. Send it back to complete it: as the
   * `pending` field of a form posted to the login path, or through an upstream identity
   * provider's `state` to `completeAuthorization`.
   */
  readonly id: string
  readonly clientId: string
  /** The client's registered name: show it, so the person knows who asks. */
  readonly clientName: string | undefined
  /** Where the code will go. */
  readonly redirectUri: string
  /** The scopes asked for, all offered by the resource. */
  readonly scopes: readonly string[]
  /** The protected resource the tokens are for (their `aud`). */
  readonly resource: string
  /** Milliseconds since the epoch. */
  readonly expiresAt: number
}

/** Who logged in and what they grant: it goes into the tokens. */
export interface LoginResult {
  /** The person's stable identifier: the tokens' `sub`. Non-empty. */
  subject: string
  /** Granted scopes: `pending.scopes` or fewer. @default pending.scopes */
  scopes?: readonly string[]
  /** Claims to carry in the tokens' `upstream_claims` (signed, not encrypted). */
  upstreamClaims?: { [key: string]: JsonValue }
}

/**
 * The app's login. Called for a new authorization request and again for each POST to the
 * login path that names its `pending` id. Return a `LoginResult` to approve (the server
 * redirects to the client with a code), or answer `res` yourself and return `undefined`
 * (a login page, a page saying the password was wrong, a redirect to an upstream identity
 * provider whose callback calls `completeAuthorization`). Throwing sends the client
 * `server_error`.
 */
export type LoginHook = (
  req: Request,
  res: Response,
  pending: PendingAuthorization,
) => LoginResult | undefined | Promise<LoginResult | undefined>

export interface AuthorizationsOptions {
  store: TokenStore
  login: LoginHook
  /** The authorization server's issuer, sent as `iss` with every response (RFC 9207). */
  issuer: string
  pendingLifetimeMs: number
  codeLifetimeMs: number
  clock: Clock
}

// RFC 9700 §4.11: after a POST, 303 makes the browser GET the client, never re-POST credentials
const AFTER_POST = 303
const AFTER_GET = 302

/** Pending authorizations and the codes they become. */
export class Authorizations {
  readonly #options: AuthorizationsOptions

  constructor(options: AuthorizationsOptions) {
    this.#options = options
  }

  /** Keeps a validated authorization request and hands it to the login hook. */
  async begin(req: Request, res: Response, request: Omit<PendingRecord, 'expiresAt'>): Promise<void> {
    const { store, clock, pendingLifetimeMs } = this.#options
    const id = newSecretValue()
    const record: PendingRecord = { ...request, expiresAt: clock() + pendingLifetimeMs }
    await store.setRecord(recordKey.pending(id), JSON.stringify(record), pendingLifetimeMs)
    await this.#runLogin(req, res, id, record, AFTER_GET)
  }

  /** A POST to the login path: the hook again, with the form the person submitted. */
  async continue(req: Request, res: Response): Promise<void> {
    const body: unknown = req.body
    const id = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).pending : undefined
    const record = typeof id === 'string' ? await this.#read(id) : undefined
    if (typeof id !== 'string' || record === undefined) return sendGone(res)
    await this.#runLogin(req, res, id, record, AFTER_POST)
  }

  /**
   * Approves a pending authorization: a single-use code goes to the client's redirect URI.
   * @throws TypeError for a result without a subject, or with scopes that were not asked for.
   */
  async complete(res: ServerResponse, id: string, result: LoginResult, status = AFTER_POST): Promise<void> {
    const { store, clock, codeLifetimeMs } = this.#options
    const pending = typeof id === 'string' ? await this.#read(id) : undefined
    if (pending === undefined) return sendGone(res)
    const granted = grantedScopes(result, pending)
    // single use across instances: a double submit finds nothing
    const taken = parsePending(await store.takeRecord(recordKey.pending(id)))
    if (taken === undefined || taken.expiresAt <= clock()) return sendGone(res)
    const code = newSecretValue()
    const record: CodeRecord = {
      clientId: taken.clientId,
      redirectUri: taken.redirectUri,
      redirectUriGiven: taken.redirectUriGiven,
      codeChallenge: taken.codeChallenge,
      resource: taken.resource,
      scopes: granted,
      subject: result.subject,
      expiresAt: clock() + codeLifetimeMs,
    }
    if (result.upstreamClaims !== undefined) record.upstreamClaims = result.upstreamClaims
    await store.setRecord(recordKey.code(code), JSON.stringify(record), codeLifetimeMs)
    this.#redirect(res, taken, { code }, status)
  }

  /** Refuses a pending authorization: the client gets `access_denied` (RFC 6749 §4.1.2.1). */
  async deny(res: ServerResponse, id: string, description: string, status = AFTER_POST): Promise<void> {
    const taken = typeof id === 'string' ? parsePending(await this.#options.store.takeRecord(recordKey.pending(id))) : undefined
    if (taken === undefined || taken.expiresAt <= this.#options.clock()) return sendGone(res)
    this.#redirect(res, taken, { error: 'access_denied', error_description: description }, status)
  }

  async #read(id: string): Promise<PendingRecord | undefined> {
    const record = parsePending(await this.#options.store.getRecord(recordKey.pending(id)))
    return record !== undefined && record.expiresAt > this.#options.clock() ? record : undefined
  }

  async #runLogin(req: Request, res: Response, id: string, record: PendingRecord, status: number): Promise<void> {
    // RFC 9700 §4.16: a login page must not be framed by another site
    res.setHeader('x-frame-options', 'DENY')
    res.setHeader('content-security-policy', "frame-ancestors 'none'")
    res.setHeader('cache-control', 'no-store')
    let result: LoginResult | undefined
    try {
      result = await this.#options.login(req, res, toView(id, record))
      if (result !== undefined && !res.headersSent) return await this.complete(res, id, result, status)
    } catch {
      // the hook's or the result's fault: the client hears server_error, the person no detail
      result = undefined
    }
    if (res.headersSent) return
    // the hook neither answered nor approved: end the request for the client
    const taken = parsePending(await this.#options.store.takeRecord(recordKey.pending(id)))
    if (taken === undefined) return sendGone(res)
    this.#redirect(res, taken, { error: 'server_error', error_description: 'The login could not be completed' }, status)
  }

  #redirect(res: ServerResponse, pending: PendingRecord, params: Record<string, string>, status: number): void {
    const url = new URL(pending.redirectUri)
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    if (pending.state !== undefined) url.searchParams.set('state', pending.state)
    url.searchParams.set('iss', this.#options.issuer)
    res.statusCode = status
    res.setHeader('location', url.href)
    res.setHeader('cache-control', 'no-store')
    res.end()
  }
}

function toView(id: string, record: PendingRecord): PendingAuthorization {
  return Object.freeze({
    id,
    clientId: record.clientId,
    clientName: record.clientName,
    redirectUri: record.redirectUri,
    scopes: Object.freeze([...record.scopes]),
    resource: record.resource,
    expiresAt: record.expiresAt,
  })
}

function grantedScopes(result: LoginResult, pending: PendingRecord): string[] {
  if (typeof result !== 'object' || result === null || typeof result.subject !== 'string' || result.subject.length === 0) {
    throw new TypeError('completeAuthorization: the result needs a non-empty `subject`')
  }
  if (result.upstreamClaims !== undefined && !isPlainObject(result.upstreamClaims)) {
    throw new TypeError('completeAuthorization: `upstreamClaims` must be an object')
  }
  const scopes = result.scopes ?? pending.scopes
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !pending.scopes.includes(s))) {
    throw new TypeError('completeAuthorization: `scopes` must be among the scopes the client asked for')
  }
  return [...new Set(scopes)]
}

// the redirect URI is unknown or no longer ours to use: answer the browser directly
function sendGone(res: ServerResponse): void {
  const body = JSON.stringify({
    error: 'invalid_request',
    error_description: 'This authorization request has expired or was already completed; start again from the application',
  })
  res.statusCode = 400
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(body)
}
