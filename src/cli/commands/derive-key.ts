// `fastmcp-auth derive-key`: prints the 44-character HS256 key FastMCP derives from the
// secret, for `signingKey` or --signing-key-file. The one output that holds a key.
import { DEFAULT_SALT } from '../../keys.js'
import type { CliIo } from '../io.js'
import { deriveSourceKey, KEY_OPTIONS, readKeySource, shortSecretWarning, SECRET_ENV } from '../key-source.js'
import { EXIT_OK, UsageError, type Command, type ParsedArgs } from '../usage.js'

const help = `Usage: fastmcp-auth derive-key [--entropy low|high] [--salt S]

Prints the 44-character key FastMCP derives from the secret in ${SECRET_ENV}
(or --secret-file): the padded urlsafe base64 text of 32 bytes, whose 44 bytes are the
HS256 key. Treat it as the secret itself.

  --entropy low|high       low (default): PBKDF2-SHA256, 1,000,000 rounds; high: HKDF-SHA256
  --salt S                 derivation salt (default "${DEFAULT_SALT}")
  --secret-file PATH       read the secret from a file instead (trailing newlines dropped)

Example:
  FASTMCP_JWT_SECRET=... fastmcp-auth derive-key > signing.key
`

export const deriveKeyCommand: Command = {
  name: 'derive-key',
  summary: 'print the 44-character key derived from the secret',
  help,
  // no --signing-key-file: a ready key has nothing left to derive
  options: { 'secret-file': KEY_OPTIONS['secret-file'], entropy: KEY_OPTIONS.entropy, salt: KEY_OPTIONS.salt },
  async run(args: ParsedArgs, io: CliIo): Promise<number> {
    const source = await readKeySource(args, io, 'derive-key')
    if (source === undefined) throw new UsageError(`derive-key: no secret: set ${SECRET_ENV}, or pass --secret-file PATH`)
    const warning = shortSecretWarning(source)
    if (warning !== undefined) io.stderr(warning)
    io.stdout(`${Buffer.from(await deriveSourceKey(source)).toString('latin1')}\n`)
    return EXIT_OK
  },
}
