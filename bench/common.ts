// Shared by every bench: one realistic FastMCP token set, medians, markdown tables, and
// where results go. The machine is noisy: every figure is a median, every ratio same-run.
import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { JWTIssuer, deriveJwtKey } from '../src/index.js'

/** FastMCP's shape: `iss` is the base URL as pydantic prints it, `aud` the MCP resource. */
export const ISSUER = 'https://mcp.example.com/'
export const AUDIENCE = 'https://mcp.example.com/mcp'

/** BENCH_QUICK=1: a short smoke run (fewer rounds, shorter runs); figures are not quotable. */
export const QUICK = process.env.BENCH_QUICK === '1'

export interface Fixtures {
  /** The 44-character key FastMCP derives (its text is the HMAC key). */
  key: string
  issuer: JWTIssuer
  /** A valid access token with FastMCP's claim set: iss, aud, client_id, scope, exp, iat, jti. */
  token: string
  /** Right shape, wrong signature, a jti never seen. */
  forged: string
  /** The valid token's header and payload (so its cached jti) with a wrong signature. */
  forgedCachedJti: string
}

/** Mints the bench tokens. HKDF keeps start-up fast; the key has the same 44-byte shape. */
export async function makeFixtures(): Promise<Fixtures> {
  const bytes = await deriveJwtKey({ highEntropyMaterial: 'bench-upstream-client-secret-0123456789', salt: 'fastmcp-jwt-signing-key' })
  const key = Buffer.from(bytes).toString('latin1')
  const issuer = new JWTIssuer({ issuer: ISSUER, audience: AUDIENCE, signingKey: key })
  const clientId = '3f1c2b9e-8d4a-4f6e-9b7c-1a2d3e4f5a6b'
  const token = await issuer.issueAccessToken({ clientId, scopes: ['read', 'write'] })
  const other = await issuer.issueAccessToken({ clientId, scopes: ['read', 'write'] })
  return {
    key,
    issuer,
    token,
    forged: resign(other, 'an-attacker-guess-of-the-key-0123456789abcd'),
    forgedCachedJti: resign(token, 'an-attacker-guess-of-the-key-0123456789abcd'),
  }
}

/** The same header and payload signed with another key: a 43-character, wrong signature. */
export function resign(token: string, wrongKey: string): string {
  const input = token.slice(0, token.lastIndexOf('.'))
  return `${input}.${createHmac('sha256', wrongKey).update(input).digest('base64url')}`
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A markdown table; numbers are printed as they are given (format them first). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n')
}

export const fixed = (value: number, digits = 0): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a'

export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a')

/** The machine line every results file opens with. */
export function machine(): string {
  const cpus = os.cpus()
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ')
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${os.type()} ${os.release()}; Node ${process.version}; load average at start ${load}`
}

/** One bench's outcome: its markdown section and the figures the targets are judged on. */
export interface BenchReport {
  markdown: string
  metrics: Record<string, number>
}

/**
 * Prints a bench's section, and when run by `bench/run.ts` (BENCH_OUT set) also hands
 * the section and its figures back as JSON.
 */
export function report(result: BenchReport): void {
  console.log(`\n${result.markdown}\n`)
  const out = process.env.BENCH_OUT
  if (out) writeFileSync(out, JSON.stringify(result))
}
