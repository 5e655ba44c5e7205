// `fastmcp-auth verify`: the server's verdict on one token: exit 0 and its claims, or exit 1
// and the refusal reason (`expired`, `invalid_audience`, ...), as JWTIssuer decides it.
import { InvalidTokenError } from '../../errors.js'
import { DEFAULT_MAX_TOKEN_LIFETIME, JWTIssuer } from '../../issuer.js'
import { readTokenArgument, type CliIo } from '../io.js'
import { deriveSourceKey, KEY_HELP, CHECK_OPTIONS, requireKeySource } from '../key-source.js'
import { EXIT_OK, EXIT_REFUSED, flagOption, requireOption, secondsOption, type Command, type ParsedArgs } from '../usage.js'

const help = `Usage: fastmcp-auth verify TOKEN|- --issuer I --audience A [--refresh]
                              [--max-lifetime SECONDS] [--json]

Verifies a token as the server does: HS256 only, signature, exp (required), nbf, iss
and aud as exact strings, claim types, the lifetime bound, token use. Exit 0 and the
claims as JSON when it is accepted; exit 1 and the reason on stderr when it is refused.

  TOKEN | -                the token, or - to read it from stdin
  --issuer I               the server's issuer, exactly
  --audience A             the server's audience, exactly
  --refresh                expect a refresh token (as a token endpoint does); without it a
                           refresh token is refused (refresh_token), as on resource routes
  --max-lifetime SECONDS   the server's maxTokenLifetimeSeconds: a token whose exp lies
                           further ahead is refused (lifetime_exceeded); default
                           ${DEFAULT_MAX_TOKEN_LIFETIME} (400 days)
  --json                   print { "valid": true, "claims" } or
                           { "valid": false, "reason", "description" } on stdout

${KEY_HELP}

For why a token is refused, and what would fix it: fastmcp-auth explain.
`

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a token as the server does (exit 0 accepted, 1 refused)',
  help,
  options: CHECK_OPTIONS,
  positionals: ['TOKEN|-'],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const issuer = requireOption(args, 'issuer', 'verify')
    const audience = requireOption(args, 'audience', 'verify')
    const maxTokenLifetimeSeconds = secondsOption(args, 'max-lifetime', 'verify', DEFAULT_MAX_TOKEN_LIFETIME)
    const source = await requireKeySource(args, io, 'verify')
    const token = await readTokenArgument(args.positionals[0]!, io, 'verify')
    const json = flagOption(args, 'json')
    const signingKey = await deriveSourceKey(source)
    const verifier = new JWTIssuer({ issuer, audience, signingKey, maxTokenLifetimeSeconds, clock: io.now })
    try {
      const claims = await verifier.verifyToken(token, { expectedTokenUse: flagOption(args, 'refresh') ? 'refresh' : 'access' })
      io.stdout(`${JSON.stringify(json ? { valid: true, claims } : claims, null, 2)}\n`)
      return EXIT_OK
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err
      const { reason, description, mismatch } = err
      if (json) {
        io.stdout(`${JSON.stringify({ valid: false, reason, description, ...(mismatch === undefined ? {} : { expected: mismatch.expected, found: mismatch.actual }) }, null, 2)}\n`)
      } else {
        const detail = mismatch === undefined ? '' : ` (expected ${JSON.stringify(mismatch.expected)}, found ${JSON.stringify(mismatch.actual)})`
        io.stderr(`refused: ${reason}: ${description}${detail}; fastmcp-auth explain says why\n`)
      }
      return EXIT_REFUSED
    }
  },
}
