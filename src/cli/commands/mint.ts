// `fastmcp-auth mint`: mints an access or refresh token exactly as FastMCP does, for
// trying a server by hand; `--json` adds its jti and expiry.
import { randomUUID } from 'node:crypto'
import { DEFAULT_REFRESH_TOKEN_LIFETIME } from '../../auth.js'
import { decodeJsonSegment, splitCompact } from '../../compact.js'
import { DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_MAX_TOKEN_LIFETIME, JWTIssuer } from '../../issuer.js'
import type { JsonValue } from '../../types.js'
import type { CliIo } from '../io.js'
import { deriveSourceKey, KEY_HELP, KEY_OPTIONS, requireKeySource, shortSecretWarning } from '../key-source.js'
import { EXIT_OK, flagOption, requireOption, secondsOption, stringOption, UsageError, type Command, type ParsedArgs } from '../usage.js'

const help = `Usage: fastmcp-auth mint --issuer I --audience A --client-id C [--scope "a b"]
                         [--refresh] [--expires-in SECONDS] [--jti J] [--subject S]
                         [--upstream-claims JSON] [--legacy-header] [--json]

Mints a token exactly as FastMCP does and prints it.

  --issuer I               iss: the server's issuer, exactly (FastMCP: its base URL,
                           "/" included for a bare origin)
  --audience A             aud: the server's audience, exactly (base URL + MCP path)
  --client-id C            client_id
  --scope "a b"            scopes, separated by spaces (default: none)
  --refresh                a refresh token (token_use "refresh") instead of an access token
  --expires-in SECONDS     lifetime (default ${DEFAULT_ACCESS_TOKEN_LIFETIME}; ${DEFAULT_REFRESH_TOKEN_LIFETIME}, 30 days, with --refresh;
                           at most ${DEFAULT_MAX_TOKEN_LIFETIME}, 400 days, the server's default bound)
  --jti J                  token id (default: a random UUID)
  --subject S              sub (FastMCP 3.4+ subject)
  --upstream-claims JSON   a JSON object, signed into upstream_claims (not encrypted)
  --legacy-header          the header FastMCP wrote before 3.4, {"alg":"HS256","typ":"JWT"},
                           instead of 3.4+'s {"typ":"JWT","alg":"HS256"} (both verify)
  --json                   print { "token", "jti", "expires_at" } (expires_at: seconds since the epoch)

${KEY_HELP}

Example:
  FASTMCP_JWT_SECRET=... fastmcp-auth mint --issuer https://mcp.example.com/ \\
    --audience https://mcp.example.com/mcp --client-id cli --scope "notes:read"
`

const OPTIONS = {
  ...KEY_OPTIONS,
  issuer: { type: 'string' },
  audience: { type: 'string' },
  'client-id': { type: 'string' },
  scope: { type: 'string' },
  refresh: { type: 'boolean' },
  'expires-in': { type: 'string' },
  jti: { type: 'string' },
  subject: { type: 'string' },
  'upstream-claims': { type: 'string' },
  'legacy-header': { type: 'boolean' },
  json: { type: 'boolean' },
} as const

export const mintCommand: Command = {
  name: 'mint',
  summary: 'mint an access or refresh token as FastMCP does',
  help,
  options: OPTIONS,
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const issuer = requireOption(args, 'issuer', 'mint')
    const audience = requireOption(args, 'audience', 'mint')
    const clientId = requireOption(args, 'client-id', 'mint')
    const refresh = flagOption(args, 'refresh')
    const lifetime = refresh ? DEFAULT_REFRESH_TOKEN_LIFETIME : DEFAULT_ACCESS_TOKEN_LIFETIME
    const expiresIn = secondsOption(args, 'expires-in', 'mint', lifetime, DEFAULT_MAX_TOKEN_LIFETIME)
    const scopes = (stringOption(args, 'scope') ?? '').split(/\s+/).filter((s) => s.length > 0)
    const jti = stringOption(args, 'jti') ?? randomUUID()
    if (jti.length === 0) throw new UsageError('mint: --jti must not be empty')
    const subject = stringOption(args, 'subject')
    if (subject?.length === 0) throw new UsageError('mint: --subject must not be empty')
    const upstreamClaims = readUpstreamClaims(stringOption(args, 'upstream-claims'))
    const source = await requireKeySource(args, io, 'mint')
    const warning = shortSecretWarning(source)
    if (warning !== undefined) io.stderr(warning)

    const signingKey = await deriveSourceKey(source)
    const signer = new JWTIssuer({ issuer, audience, signingKey, legacyHeader: flagOption(args, 'legacy-header') })
    const input = { clientId, scopes, jti, expiresIn, subject, upstreamClaims }
    const token = refresh ? await signer.issueRefreshToken(input) : await signer.issueAccessToken(input)
    if (flagOption(args, 'json')) {
      const { exp } = decodeJsonSegment(splitCompact(token).payload)
      io.stdout(`${JSON.stringify({ token, jti, expires_at: exp }, null, 2)}\n`)
    } else {
      io.stdout(`${token}\n`)
    }
    return EXIT_OK
  },
}

function readUpstreamClaims(value: string | undefined): { [key: string]: JsonValue } | undefined {
  if (value === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new UsageError('mint: --upstream-claims is not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('mint: --upstream-claims must be a JSON object')
  }
  return parsed as { [key: string]: JsonValue }
}
