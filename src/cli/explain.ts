// `explain`'s diagnosis, as a pure function of the token, the expected settings, the key
// and the clock: every check the server makes, in its order, with what was expected, what
// was found and, on a failure, the likely cause. Rendering lives in render.ts.
import { DEFAULT_MAX_TOKEN_LENGTH } from '../bearer.js'
import { decodeJsonSegment, splitCompact } from '../compact.js'
import { InvalidTokenError, type InvalidTokenReason } from '../errors.js'
import {
  checkTimes,
  DEFAULT_MAX_TOKEN_LIFETIME,
  FASTMCP_HEADER_JSON,
  FASTMCP_LEGACY_HEADER_JSON,
  hmacSignatureMatches,
  SIGNATURE_LENGTH,
} from '../issuer.js'
import type { KeyAlternative, KeyAlternativeId } from './key-source.js'

/** The key `explain` checks the signature with, and the others it tries when that fails. */
export interface ExplainKey {
  /** What the key is, for people; never its value. */
  description: string
  key: Uint8Array
  /** Tried in order, only when the signature fails; the first that verifies is named. */
  alternatives: readonly KeyAlternative[]
}

export interface ExplainInput {
  token: string
  /** The server's `issuer`; without it `iss` is shown, not checked. */
  issuer?: string | undefined
  /** The server's `audience`; without it `aud` is shown, not checked. */
  audience?: string | undefined
  /** What the token is presented as. @default 'access' (a resource route) */
  expectedTokenUse?: 'access' | 'refresh'
  /** Without it the signature is not checked. */
  key?: ExplainKey | undefined
  /** Milliseconds since the epoch. */
  nowMs: number
  /** The server's `maxTokenLifetimeSeconds`: how far ahead `exp` may be. @default DEFAULT_MAX_TOKEN_LIFETIME (400 days) */
  maxTokenLifetimeSeconds?: number
}

/** The checks, in the order the server makes them. */
export type CheckName = 'format' | 'algorithm' | 'signature' | 'exp' | 'nbf' | 'iss' | 'aud' | 'claims' | 'lifetime' | 'token_use'

/** `skip`: not checked, for want of a setting (or because an earlier check made it moot). */
export type CheckStatus = 'pass' | 'fail' | 'skip'

export interface ExplainCheck {
  name: CheckName
  status: CheckStatus
  /** The server's refusal reason, on `fail`. */
  reason?: InvalidTokenReason
  expected: string
  found: string
  /** The likely cause and its fix, or why the check was skipped. */
  hint?: string
}

/**
 * `accepted`: every check passed. `refused`: one failed (`reason` is the server's, the
 * first in its order). `undecided`: none failed but some could not run (no key, issuer or
 * audience given).
 */
export type ExplainVerdict = 'accepted' | 'refused' | 'undecided'

export interface ExplainReport {
  verdict: ExplainVerdict
  reason?: InvalidTokenReason
  /** The server's fixed description of `reason`. */
  description?: string
  /** The decoded header, NOT VERIFIED; absent when it does not decode. */
  header?: Record<string, unknown>
  /** The decoded claims, NOT VERIFIED; absent when they do not decode. */
  claims?: Record<string, unknown>
  checks: ExplainCheck[]
  /** The other key that verified the signature, when the configured one did not. */
  signedWith?: KeyAlternativeId
}

/**
 * Explains whether a server with these settings accepts the token, check by check.
 * Derives a key only through `key.alternatives`, and only when the signature fails.
 *
 * @example
 * const report = await explainToken({ token, issuer: 'https://mcp.example.com/', audience: 'https://mcp.example.com/mcp', key, nowMs: Date.now() })
 * report.verdict // 'refused'
 * report.reason // 'bad_signature'
 */
export async function explainToken(input: ExplainInput): Promise<ExplainReport> {
  const { token, nowMs } = input
  const checks: ExplainCheck[] = []
  const report: ExplainReport = { verdict: 'undecided', checks }
  const parts = token.split('.')
  const header = tryDecode(parts[0])
  const claims = parts.length >= 2 ? tryDecode(parts[1]) : undefined
  if (header !== undefined) report.header = header
  if (claims !== undefined) report.claims = claims

  const format = checkFormat(token, header, claims, parts.length)
  checks.push(format)
  // nothing else is meaningful for a token the server cannot even read
  if (format.status === 'fail' || header === undefined || claims === undefined) return conclude(report)
  const algorithm = checkAlgorithm(header, parts[0]!)
  checks.push(algorithm)
  const signature = algorithm.status === 'fail'
    ? skipped('signature', 'an HMAC-SHA256 signature', 'not checked: the algorithm is refused first')
    : await checkSignature(splitCompact(token), input.key)
  checks.push(signature.check)
  if (signature.signedWith !== undefined) report.signedWith = signature.signedWith

  checks.push(checkExp(claims.exp, nowMs))
  checks.push(checkNbf(claims.nbf, nowMs))
  checks.push(checkUrlClaim('iss', claims.iss, input.issuer, '--issuer'))
  checks.push(checkUrlClaim('aud', claims.aud, input.audience, '--audience'))
  checks.push(checkClaimTypes(claims))
  checks.push(checkLifetime(claims.exp, nowMs, input.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME))
  checks.push(checkTokenUse(claims.token_use, input.expectedTokenUse ?? 'access'))
  return conclude(report)
}

function conclude(report: ExplainReport): ExplainReport {
  const failed = report.checks.find((c) => c.status === 'fail')
  if (failed !== undefined) {
    report.verdict = 'refused'
    report.reason = failed.reason!
    report.description = new InvalidTokenError(failed.reason!).description
  } else {
    report.verdict = report.checks.some((c) => c.status === 'skip') ? 'undecided' : 'accepted'
  }
  return report
}

function skipped(name: CheckName, expected: string, hint: string): { check: ExplainCheck; signedWith?: undefined } {
  return { check: { name, status: 'skip', expected, found: 'not checked', hint } }
}

function tryDecode(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined || segment.length === 0) return undefined
  try {
    // lenient on purpose: a padded or oddly split token still shows what it carries
    return decodeJsonSegment(segment.replace(/=+$/, ''))
  } catch {
    return undefined
  }
}

function checkFormat(token: string, header: unknown, claims: unknown, parts: number): ExplainCheck {
  const expected = `header.payload.signature, base64url JSON objects, at most ${DEFAULT_MAX_TOKEN_LENGTH} characters`
  const fail = (found: string, reason: InvalidTokenReason, hint?: string): ExplainCheck =>
    ({ name: 'format', status: 'fail', reason, expected, found, ...(hint === undefined ? {} : { hint }) })
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH) {
    return fail(`${token.length} characters`, 'too_large', 'the middleware refuses longer tokens unread (maxTokenLength); large upstream_claims are the usual cause')
  }
  if (parts !== 3) return fail(`${parts} segment(s)`, 'malformed', parts === 2 ? 'the signature segment is missing: the token was cut or never signed' : undefined)
  if (header === undefined) return fail('a header that is not a base64url JSON object', 'malformed')
  if (claims === undefined) return fail('a payload that is not a base64url JSON object', 'malformed')
  try {
    splitCompact(token)
  } catch {
    return fail('characters outside base64url, or "=" padding', 'malformed', 'JWTs use base64url without padding (RFC 7515 §2); copy the token whole, without quotes')
  }
  return { name: 'format', status: 'pass', expected, found: `a compact JWS of ${token.length} characters` }
}

function checkAlgorithm(header: Record<string, unknown>, segment: string): ExplainCheck {
  const expected = 'alg "HS256" (exactly), no crit'
  const order = headerStyle(segment)
  const found = `alg ${JSON.stringify(header.alg)}${order === undefined ? '' : `, ${order}`}`
  const fail = (reason: InvalidTokenReason, hint: string): ExplainCheck => ({ name: 'algorithm', status: 'fail', reason, expected, found, hint })
  if (!('alg' in header)) return fail('missing_algorithm', 'the header names no algorithm')
  if (header.alg !== 'HS256') {
    const hint = typeof header.alg === 'string' && header.alg.toUpperCase() === 'HS256'
      ? 'the algorithm name is case-sensitive: "HS256"'
      : header.alg === 'none'
        ? 'an unsigned token (alg "none") is never accepted'
        : 'FastMCP tokens are HS256 only; this one comes from another issuer, or a library was told another algorithm'
    return fail('unsupported_algorithm', hint)
  }
  if ('crit' in header) return fail('invalid_crit_header', 'the header marks extensions critical (crit) that the server does not understand')
  return { name: 'algorithm', status: 'pass', expected, found }
}

/** Which FastMCP wrote the header, when it is one of its two byte-exact headers. */
function headerStyle(segment: string): string | undefined {
  const text = Buffer.from(segment, 'base64url').toString('utf8')
  if (text === FASTMCP_HEADER_JSON) return 'FastMCP 3.4+ header order (typ first)'
  if (text === FASTMCP_LEGACY_HEADER_JSON) return 'FastMCP before 3.4 header order (alg first)'
  return undefined
}

async function checkSignature(
  segments: { signingInput: string; signature: string },
  key: ExplainKey | undefined,
): Promise<{ check: ExplainCheck; signedWith?: KeyAlternativeId }> {
  if (key === undefined) {
    return skipped('signature', 'an HMAC-SHA256 signature', 'no key: set FASTMCP_JWT_SECRET, or pass --secret-file PATH or --signing-key-file PATH')
  }
  const expected = `HMAC-SHA256 by ${key.description}`
  const { signingInput, signature } = segments
  if (signature.length !== SIGNATURE_LENGTH) {
    return {
      check: {
        name: 'signature', status: 'fail', reason: 'bad_signature', expected,
        found: `a signature of ${signature.length} characters (HS256 gives ${SIGNATURE_LENGTH})`,
        hint: signature.length < SIGNATURE_LENGTH ? 'the token was cut short: copy it whole' : 'not an HS256 signature',
      },
    }
  }
  if (hmacSignatureMatches(key.key, signingInput, signature)) {
    return { check: { name: 'signature', status: 'pass', expected, found: 'a signature by that key' } }
  }
  for (const alternative of key.alternatives) {
    if (hmacSignatureMatches(await alternative.key(), signingInput, signature)) {
      return {
        check: {
          name: 'signature', status: 'fail', reason: 'bad_signature', expected,
          found: `a signature by ${alternative.description}`, hint: alternative.hint,
        },
        signedWith: alternative.id,
      }
    }
  }
  return {
    check: {
      name: 'signature', status: 'fail', reason: 'bad_signature', expected,
      found: 'a signature by another key',
      hint: `another secret, or the payload was changed after signing (tried ${key.alternatives.length} other derivation(s): ` +
        `${key.alternatives.map((a) => a.id).join(', ') || 'none'})`,
    },
  }
}

function checkExp(exp: unknown, nowMs: number): ExplainCheck {
  const expected = `a number, later than now (${formatInstant(Math.floor(nowMs / 1000))})`
  if (exp === undefined) {
    return { name: 'exp', status: 'fail', reason: 'invalid_claim', expected, found: 'no exp', hint: 'this package requires exp (FastMCP does not); mint with an expiry' }
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return { name: 'exp', status: 'fail', reason: 'invalid_claim', expected, found: JSON.stringify(exp), hint: 'exp must be a number of seconds since the epoch' }
  }
  const found = `${describeFromNow(exp, nowMs, 'expires', 'expired')} (${formatInstant(exp)})`
  if (checkTimes(exp, undefined, nowMs, 0) === 'expired') {
    const hint = exp > 1e11 ? 'exp looks like milliseconds; JWT times are seconds since the epoch' : 'mint a new token (or use the refresh token); if it just expired, compare the clocks of both hosts'
    return { name: 'exp', status: 'fail', reason: 'expired', expected, found, hint }
  }
  return { name: 'exp', status: 'pass', expected, found }
}

function checkNbf(nbf: unknown, nowMs: number): ExplainCheck {
  const expected = `absent, or a number not later than now (${formatInstant(Math.floor(nowMs / 1000))})`
  if (nbf === undefined) return { name: 'nbf', status: 'pass', expected, found: 'absent' }
  if (typeof nbf !== 'number' || !Number.isFinite(nbf)) {
    return { name: 'nbf', status: 'fail', reason: 'invalid_claim', expected, found: JSON.stringify(nbf), hint: 'nbf must be a number of seconds since the epoch' }
  }
  const found = `${describeFromNow(nbf, nowMs, 'valid', 'valid since')} (${formatInstant(nbf)})`
  if (checkTimes(Number.MAX_SAFE_INTEGER, nbf, nowMs, 0) === 'not_yet_valid') {
    return { name: 'nbf', status: 'fail', reason: 'not_yet_valid', expected, found, hint: "the signer's clock may be ahead of this host's: compare them (clockToleranceSeconds allows a few seconds)" }
  }
  return { name: 'nbf', status: 'pass', expected, found }
}

function checkUrlClaim(name: 'iss' | 'aud', value: unknown, expected: string | undefined, flag: string): ExplainCheck {
  const reason: InvalidTokenReason = name === 'iss' ? 'invalid_issuer' : 'invalid_audience'
  const found = value === undefined ? `no ${name}` : JSON.stringify(value)
  if (expected === undefined) {
    return { name, status: 'skip', expected: 'not given', found, hint: `pass ${flag} with the server's value to compare` }
  }
  const wanted = JSON.stringify(expected)
  if (name === 'iss' && typeof value !== 'string') {
    return { name, status: 'fail', reason: 'invalid_claim', expected: wanted, found, hint: 'iss must be a string' }
  }
  if (value === expected) return { name, status: 'pass', expected: wanted, found }
  let hint: string | undefined
  if (Array.isArray(value)) {
    hint = 'aud is an array; FastMCP and this package require one string'
  } else if (typeof value === 'string') {
    hint = describeUrlDifference(name, expected, value)
  }
  return { name, status: 'fail', reason, expected: wanted, found, ...(hint === undefined ? {} : { hint }) }
}

/**
 * One line on how two URLs differ, for the usual mistakes: a trailing slash, the case of
 * the scheme or host, the scheme, a default port, the path (base URL vs MCP path).
 */
export function describeUrlDifference(name: 'iss' | 'aud', expected: string, found: string): string | undefined {
  const what = name === 'iss' ? 'issuer' : 'audience'
  if (found === `${expected}/` || expected === `${found}/`) {
    const [has, lacks] = found.length > expected.length ? [`the token's ${name}`, `the server's ${what}`] : [`the server's ${what}`, `the token's ${name}`]
    const pydantic = name === 'iss' ? ' (FastMCP writes its base URL as pydantic prints it: a bare origin gets "/")' : ''
    return `trailing slash: ${has} ends in "/", ${lacks} does not, and the comparison is exact${pydantic}; ` +
      `set ${what} to ${JSON.stringify(found)} to accept this token`
  }
  const a = tryUrl(expected)
  const b = tryUrl(found)
  if (a === undefined || b === undefined) return undefined
  if (a.href === b.href) {
    return `the same URL written differently (case of the scheme or host, or a default port); the comparison is exact, character by character`
  }
  if (a.protocol !== b.protocol && a.host.toLowerCase() === b.host.toLowerCase() && a.pathname === b.pathname) {
    return `the scheme differs (${b.protocol.slice(0, -1)} in the token, ${a.protocol.slice(0, -1)} on the server): behind a TLS proxy, set the public https URL`
  }
  if (a.host !== b.host) return `another host (${b.host} in the token, ${a.host} on the server)`
  if (name === 'aud' && b.pathname.replace(/\/$/, '') === '' && a.pathname !== b.pathname) {
    return `the token's aud is the base URL; FastMCP's audience is the MCP resource URL (base URL + MCP path, ${a.pathname})`
  }
  if (a.pathname !== b.pathname) return `another path (${b.pathname} in the token, ${a.pathname} on the server)`
  return undefined
}

function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

function checkClaimTypes(claims: Record<string, unknown>): ExplainCheck {
  const problems: string[] = []
  const { jti, client_id: clientId, scope, iat, upstream_claims: upstream } = claims
  if (typeof jti !== 'string' || jti.length === 0) problems.push(jti === undefined ? 'no jti' : 'jti is not a non-empty string')
  if (typeof clientId !== 'string') problems.push(clientId === undefined ? 'no client_id' : 'client_id is not a string')
  if (scope !== undefined && typeof scope !== 'string') problems.push('scope is not a string')
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) problems.push('iat is not a number')
  if (claims.token_use !== undefined && claims.token_use !== 'refresh' && claims.token_use !== 'access') {
    problems.push('token_use is neither "access" nor "refresh"')
  }
  if (upstream !== undefined && (typeof upstream !== 'object' || upstream === null || Array.isArray(upstream))) {
    problems.push('upstream_claims is not an object')
  }
  if (claims.sub !== undefined && typeof claims.sub !== 'string') problems.push('sub is not a string')
  const expected = 'jti and client_id strings; when present: scope and sub strings, iat a number, token_use "access" or "refresh", upstream_claims an object'
  if (problems.length === 0) return { name: 'claims', status: 'pass', expected, found: 'all well-typed' }
  return { name: 'claims', status: 'fail', reason: 'invalid_claim', expected, found: problems.join('; '), hint: 'not a token FastMCP or this package mints' }
}

function checkTokenUse(tokenUse: unknown, expected: 'access' | 'refresh'): ExplainCheck {
  // a missing token_use reads as "access", as in FastMCP
  const use = tokenUse === 'refresh' ? 'refresh' : 'access'
  const found = tokenUse === undefined ? 'an access token (no token_use)' : `token_use ${JSON.stringify(tokenUse)}`
  const access = 'an access token (token_use absent or "access")'
  if (expected === 'access') {
    if (use === 'refresh') {
      return {
        name: 'token_use', status: 'fail', reason: 'refresh_token', expected: access, found,
        hint: 'a refresh token presented as an access token: resource routes refuse it; send it to the token endpoint (grant_type=refresh_token) for an access token',
      }
    }
    return { name: 'token_use', status: 'pass', expected: access, found }
  }
  if (use !== 'refresh') {
    return { name: 'token_use', status: 'fail', reason: 'not_refresh_token', expected: 'a refresh token (token_use "refresh")', found, hint: 'an access token presented as a refresh token' }
  }
  return { name: 'token_use', status: 'pass', expected: 'a refresh token (token_use "refresh")', found }
}

function checkLifetime(exp: unknown, nowMs: number, maxSeconds: number): ExplainCheck {
  const limit = formatDuration(maxSeconds * 1000)
  const expected = `exp at most ${limit} ahead (maxTokenLifetimeSeconds)`
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return { name: 'lifetime', status: 'skip', expected, found: 'not checked', hint: 'not checked: exp is not a number' }
  }
  // the server's arithmetic: whole seconds of now, no tolerance here
  const ahead = exp - Math.floor(nowMs / 1000)
  const found = ahead <= 0 ? 'exp is past' : `exp ${formatDuration(ahead * 1000)} ahead`
  if (ahead > maxSeconds) {
    return {
      name: 'lifetime', status: 'fail', reason: 'lifetime_exceeded', expected, found,
      hint: 'the server refuses tokens that expire further ahead than it would ever mint: mint a shorter lifetime, or raise maxTokenLifetimeSeconds (--max-lifetime here)',
    }
  }
  return { name: 'lifetime', status: 'pass', expected, found }
}

/** "expired 3 h 12 min ago" / "expires in 52 min", relative to now. */
function describeFromNow(seconds: number, nowMs: number, future: string, past: string): string {
  // whole seconds of now, as the server counts them
  const deltaMs = seconds * 1000 - Math.floor(nowMs / 1000) * 1000
  return deltaMs > 0 ? `${future} in ${formatDuration(deltaMs)}` : `${past} ${formatDuration(-deltaMs)} ago`
}

/**
 * A duration for people, in its two largest units: "3 h 12 min", "2 d 4 h", "45 s".
 * @param ms milliseconds, 0 or more
 */
export function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000)
  if (!Number.isFinite(total)) return 'forever'
  const units: [string, number][] = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]]
  const parts: string[] = []
  let rest = total
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`)
    if (parts.length === 2) break
  }
  const shown = parts.filter((p, i) => i === 0 || !p.startsWith('0 '))
  return shown.length === 0 ? '0 s' : shown.join(' ')
}

/** An instant in seconds since the epoch as ISO 8601 UTC, without ".000" for whole seconds. */
export function formatInstant(seconds: number): string {
  const date = new Date(seconds * 1000)
  if (Number.isNaN(date.getTime())) return 'not a date'
  return date.toISOString().replace('.000Z', 'Z')
}
