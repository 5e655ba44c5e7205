// What the authorization server keeps in the TokenStore, and under which keys: pending
// authorizations and codes only under a SHA-256 of their value (RFC 6749 §10.5, RFC 9700
// §4.5: a leaked store holds nothing a client could redeem). Values are JSON, checked on read.
import { createHash, randomBytes } from 'node:crypto'
import { isPlainObject, type JsonValue } from '../types.js'

const PREFIX = 'authz:'

/** The store keys of the authorization server's records. */
export const recordKey = {
  client: (clientId: string): string => `${PREFIX}client:${clientId}`,
  pending: (id: string): string => `${PREFIX}pending:${sha256(id)}`,
  code: (code: string): string => `${PREFIX}code:${sha256(code)}`,
  /** Left behind by a code's exchange, so a second use can revoke what the first got. */
  usedCode: (code: string): string => `${PREFIX}used:${sha256(code)}`,
} as const

/** An unguessable value for codes and pending ids: 256 random bits, base64url (43 characters). */
export function newSecretValue(): string {
  return randomBytes(32).toString('base64url')
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

/** An authorization request the SDK validated, waiting for the person to log in. */
export interface PendingRecord {
  clientId: string
  /** The client's registered `client_name`, for the login page. */
  clientName?: string
  /** The redirect URI the request named (or the client's only one). */
  redirectUri: string
  /** Whether the request named it: then the token request must repeat it (OAuth 2.1 §4.1.3). */
  redirectUriGiven: boolean
  /** PKCE S256 challenge (RFC 7636 §4.2). */
  codeChallenge: string
  state?: string
  /** Requested scopes, all offered by the resource. */
  scopes: string[]
  /** RFC 8707 resource: the protected resource's URL (the tokens' `aud`). */
  resource: string
  /** Milliseconds since the epoch. */
  expiresAt: number
}

/** An issued authorization code: everything the token request is checked against. */
export interface CodeRecord extends Omit<PendingRecord, 'state' | 'clientName'> {
  /** Who logged in: the tokens' `sub`. */
  subject: string
  /** Granted scopes. */
  scopes: string[]
  upstreamClaims?: { [key: string]: JsonValue }
}

/** What a code's exchange issued: the jtis a second use of the code revokes (RFC 6749 §4.1.2). */
export interface UsedCodeRecord {
  accessJti: string
  refreshJti?: string
}

type Check = (value: Record<string, unknown>) => boolean

const isString = (v: unknown): v is string => typeof v === 'string'
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString)

const pendingShape: Check = (v) =>
  isString(v.clientId) && (v.clientName === undefined || isString(v.clientName)) && isString(v.redirectUri) && typeof v.redirectUriGiven === 'boolean' &&
  isString(v.codeChallenge) && (v.state === undefined || isString(v.state)) && isStrings(v.scopes) &&
  isString(v.resource) && Number.isFinite(v.expiresAt)

const codeShape: Check = (v) =>
  pendingShape(v) && isString(v.subject) && (v.upstreamClaims === undefined || isPlainObject(v.upstreamClaims))

const usedShape: Check = (v) =>
  isString(v.accessJti) && (v.refreshJti === undefined || isString(v.refreshJti))

// a record that does not parse is treated as absent: the flow fails closed, never half-read
function parse<T>(text: string | undefined, check: Check): T | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return isPlainObject(value) && check(value) ? (value as T) : undefined
}

export const parsePending = (text: string | undefined): PendingRecord | undefined => parse(text, pendingShape)
export const parseCode = (text: string | undefined): CodeRecord | undefined => parse(text, codeShape)
export const parseUsedCode = (text: string | undefined): UsedCodeRecord | undefined => parse(text, usedShape)
