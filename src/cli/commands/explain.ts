// `fastmcp-auth explain`: "works offline, fails live" in one command: every check the
// server makes, what it expected, what it found, and the likely cause (src/cli/explain.ts).
import { DEFAULT_MAX_TOKEN_LIFETIME } from '../../issuer.js'
import { explainToken, type ExplainKey } from '../explain.js'
import { readTokenArgument, type CliIo } from '../io.js'
import {
  describeKeySource,
  deriveSourceKey,
  KEY_HELP,
  CHECK_OPTIONS,
  keyAlternatives,
  MAX_PREVIOUS_SECRETS,
  PREVIOUS_SECRETS_ENV,
  readKeySource,
} from '../key-source.js'
import { renderReport } from '../render.js'
import { EXIT_OK, EXIT_REFUSED, flagOption, secondsOption, stringOption, type Command, type ParsedArgs } from '../usage.js'

const help = `Usage: fastmcp-auth explain TOKEN|- [--issuer I] [--audience A] [--refresh]
                               [--max-lifetime SECONDS] [--json]

Explains whether a server with these settings accepts the token, and why not: the
decoded header and claims (NOT VERIFIED), then each check with what was expected and
what was found: format, algorithm, signature (when it fails: which other derivation
signed it: the other entropy mode, the default salt, the 32 raw key bytes, the secret
itself, a previous secret), exp, nbf, iss and aud (trailing slash, case, scheme, path),
claim types, token use, and the lifetime bound. Exit 0 when the token would be
accepted, 1 otherwise (also when a check could not run for want of a setting).

  TOKEN | -                the token, or - to read it from stdin
  --issuer I               the server's issuer (without it, iss is shown, not checked)
  --audience A             the server's audience (without it, aud is shown, not checked)
  --refresh                the token is presented as a refresh token (default: as an
                           access token, on a resource route)
  --max-lifetime SECONDS   the server's maxTokenLifetimeSeconds: a token whose exp lies
                           further ahead is refused (lifetime_exceeded); default
                           ${DEFAULT_MAX_TOKEN_LIFETIME} (400 days)
  --json                   print the report as JSON

${KEY_HELP}
  ${PREVIOUS_SECRETS_ENV}
                           earlier secrets, comma- or newline-separated, tried when the
                           signature fails (the first ${MAX_PREVIOUS_SECRETS})

Without a key the signature is not checked. At most a handful of keys are derived, and
only when the signature fails (PBKDF2 takes about a third of a second each).
`

export const explainCommand: Command = {
  name: 'explain',
  summary: 'say why a server accepts or refuses a token, check by check',
  help,
  options: CHECK_OPTIONS,
  positionals: ['TOKEN|-'],
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const maxTokenLifetimeSeconds = secondsOption(args, 'max-lifetime', 'explain', DEFAULT_MAX_TOKEN_LIFETIME)
    const source = await readKeySource(args, io, 'explain', { previousSecrets: true })
    if (source?.kind === 'secret' && source.previousSecretCount > MAX_PREVIOUS_SECRETS) {
      io.stderr(`note: ${PREVIOUS_SECRETS_ENV} holds ${source.previousSecretCount} secrets; the first ${MAX_PREVIOUS_SECRETS} are tried\n`)
    }
    const token = await readTokenArgument(args.positionals[0]!, io, 'explain')
    let key: ExplainKey | undefined
    if (source !== undefined) {
      const bytes = await deriveSourceKey(source)
      key = { description: describeKeySource(source), key: bytes, alternatives: keyAlternatives(source, bytes) }
    }
    const report = await explainToken({
      token,
      issuer: stringOption(args, 'issuer'),
      audience: stringOption(args, 'audience'),
      expectedTokenUse: flagOption(args, 'refresh') ? 'refresh' : 'access',
      key,
      nowMs: io.now(),
      maxTokenLifetimeSeconds,
    })
    if (flagOption(args, 'json')) {
      const { header, claims, ...rest } = report
      io.stdout(`${JSON.stringify({ ...rest, unverified: { header: header ?? null, claims: claims ?? null } }, null, 2)}\n`)
    } else {
      io.stdout(renderReport(report))
    }
    return report.verdict === 'accepted' ? EXIT_OK : EXIT_REFUSED
  },
}
