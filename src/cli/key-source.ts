// Where the command line's HS256 key comes from: FASTMCP_JWT_SECRET, --secret-file or
// --signing-key-file, never an argument. Also the other keys `explain` tries when a
// signature fails: each a common way two sides end up with different keys.
import { DEFAULT_SALT, DERIVED_KEY_LENGTH, deriveJwtKey } from '../keys.js'
import { MIN_SECRET_LENGTH } from '../auth.js'
import { signingKeyBytes } from '../issuer.js'
import { readTextFile, type CliIo } from './io.js'
import { stringOption, UsageError, type OptionsConfig, type ParsedArgs } from './usage.js'

/** The environment variable holding the secret. */
export const SECRET_ENV = 'FASTMCP_JWT_SECRET'
/** Earlier secrets, comma- or newline-separated; `explain` tries them. */
export const PREVIOUS_SECRETS_ENV = 'FASTMCP_JWT_PREVIOUS_SECRETS'
/** At most this many previous secrets are tried: each costs a derivation (~0.3 s for PBKDF2). */
export const MAX_PREVIOUS_SECRETS = 5

/** `low`: PBKDF2-SHA256, 1,000,000 rounds (FastMCP's `jwt_signing_key`); `high`: HKDF-SHA256. */
export type Entropy = 'low' | 'high'

/** A secret the key is derived from. */
export interface SecretKeySource {
  kind: 'secret'
  origin: typeof SECRET_ENV | '--secret-file'
  secret: string
  entropy: Entropy
  salt: string
  /** From FASTMCP_JWT_PREVIOUS_SECRETS, when asked for; at most MAX_PREVIOUS_SECRETS. */
  previousSecrets: readonly string[]
  /** How many FASTMCP_JWT_PREVIOUS_SECRETS held, before the cap. */
  previousSecretCount: number
}

/** A ready key: the 44-character text `deriveJwtKey` returns. */
export interface ReadyKeySource {
  kind: 'signing-key'
  origin: '--signing-key-file'
  key: Uint8Array
}

export type KeySource = SecretKeySource | ReadyKeySource

/** The options every key-using command accepts. */
export const KEY_OPTIONS = {
  'secret-file': { type: 'string' },
  'signing-key-file': { type: 'string' },
  entropy: { type: 'string' },
  salt: { type: 'string' },
} as const satisfies OptionsConfig

/** The options `verify` and `explain` share: a key, the server's settings, the output form. */
export const CHECK_OPTIONS = {
  ...KEY_OPTIONS,
  issuer: { type: 'string' },
  audience: { type: 'string' },
  refresh: { type: 'boolean' },
  'max-lifetime': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionsConfig

/** The help lines for KEY_OPTIONS. */
export const KEY_HELP = `Key (never an argument: it would sit in shell history and ps):
  FASTMCP_JWT_SECRET       the secret, from the environment (FastMCP's jwt_signing_key)
  --secret-file PATH       the secret from a file (trailing newlines dropped)
  --signing-key-file PATH  a ready 44-character key (derive-key's output) instead
  --entropy low|high       low: PBKDF2-SHA256, 1,000,000 rounds (default, FastMCP's
                           jwt_signing_key); high: HKDF-SHA256 (FastMCP's key from an
                           upstream client secret)
  --salt S                 derivation salt (default "${DEFAULT_SALT}")`

/**
 * Reads the key source from the flags and the environment; a flag wins over the
 * environment. Returns `undefined` when there is none.
 *
 * @throws UsageError naming the flag: both files, a bad `--entropy`, `--salt` or
 * `--entropy` with a ready key, an unreadable or empty file, an empty secret.
 */
export async function readKeySource(
  args: ParsedArgs,
  io: CliIo,
  command: string,
  options: { previousSecrets?: boolean } = {},
): Promise<KeySource | undefined> {
  const secretFile = stringOption(args, 'secret-file')
  const keyFile = stringOption(args, 'signing-key-file')
  const entropyFlag = stringOption(args, 'entropy')
  const saltFlag = stringOption(args, 'salt')
  if (secretFile !== undefined && keyFile !== undefined) {
    throw new UsageError(`${command}: pass --secret-file or --signing-key-file, not both`)
  }
  if (entropyFlag !== undefined && entropyFlag !== 'low' && entropyFlag !== 'high') {
    throw new UsageError(`${command}: --entropy must be low or high`)
  }
  if (keyFile !== undefined) {
    if (entropyFlag !== undefined || saltFlag !== undefined) {
      throw new UsageError(`${command}: --entropy and --salt derive a key from a secret; --signing-key-file is a ready key`)
    }
    const text = await readTextFile(keyFile, io, '--signing-key-file')
    let key: Uint8Array
    try {
      key = signingKeyBytes(text, 'signing-key-file')
    } catch {
      throw new UsageError(`${command}: --signing-key-file must hold a key of at least 32 bytes (derive-key's 44 characters)`)
    }
    return { kind: 'signing-key', origin: '--signing-key-file', key }
  }
  let secret: string | undefined
  let origin: SecretKeySource['origin']
  if (secretFile !== undefined) {
    secret = await readTextFile(secretFile, io, '--secret-file')
    origin = '--secret-file'
    if (secret.length === 0) throw new UsageError(`${command}: --secret-file is empty`)
  } else {
    secret = io.env[SECRET_ENV]
    origin = SECRET_ENV
    if (secret === undefined) return undefined
    if (secret.length === 0) throw new UsageError(`${command}: ${SECRET_ENV} is set but empty`)
  }
  const previous = options.previousSecrets === true ? splitSecrets(io.env[PREVIOUS_SECRETS_ENV]) : []
  return {
    kind: 'secret',
    origin,
    secret,
    entropy: entropyFlag ?? 'low',
    salt: saltFlag ?? DEFAULT_SALT,
    previousSecrets: previous.slice(0, MAX_PREVIOUS_SECRETS),
    previousSecretCount: previous.length,
  }
}

/** Like `readKeySource`, but a key is required. @throws UsageError when there is none */
export async function requireKeySource(args: ParsedArgs, io: CliIo, command: string): Promise<KeySource> {
  const source = await readKeySource(args, io, command)
  if (source === undefined) {
    throw new UsageError(`${command}: no key: set ${SECRET_ENV}, or pass --secret-file PATH or --signing-key-file PATH`)
  }
  return source
}

/** A warning line for a secret FastMCP would warn about, or `undefined`. Names no secret. */
export function shortSecretWarning(source: KeySource): string | undefined {
  if (source.kind !== 'secret' || source.secret.length >= MIN_SECRET_LENGTH) return undefined
  return `warning: the secret from ${source.origin} is shorter than ${MIN_SECRET_LENGTH} characters, ` +
    'guessable offline from any token; createFastMcpAuth refuses it unless allowShortSecret\n'
}

/** The HS256 key of a source: derived from the secret, or the ready key. */
export function deriveSourceKey(source: KeySource): Promise<Uint8Array> {
  return source.kind === 'signing-key' ? Promise.resolve(source.key) : derive(source.secret, source.entropy, source.salt)
}

/** A key description for people: where it comes from and how it is derived, never its value. */
export function describeKeySource(source: KeySource): string {
  if (source.kind === 'signing-key') return 'the ready key in --signing-key-file'
  return `the key derived from ${source.origin} with ${describeDerivation(source.entropy, source.salt)}`
}

const KDF: Record<Entropy, string> = { low: 'PBKDF2', high: 'HKDF' }

function describeDerivation(entropy: Entropy, salt: string): string {
  const kdf = entropy === 'low' ? 'PBKDF2-SHA256 (--entropy low)' : 'HKDF-SHA256 (--entropy high)'
  return `${kdf}, salt ${JSON.stringify(salt)}`
}

/** Which other key verified a token, in `explain`'s report. */
export type KeyAlternativeId =
  | 'raw_key_bytes'
  | 'other_entropy'
  | 'secret_as_key'
  | 'default_salt'
  | 'default_salt_other_entropy'
  | 'previous_secret'

/** Another key a signature may have been made with, derived only when asked. */
export interface KeyAlternative {
  id: KeyAlternativeId
  /** What the key is, for people; never its value. */
  description: string
  /** The cause and the fix, in one line, when the token verifies with this key. */
  hint: string
  key(): Promise<Uint8Array>
}

/**
 * The other keys a signer commonly used, cheapest first (no derivation, then HKDF, then
 * PBKDF2): the 32 raw bytes the key text encodes, the secret used as the key itself, the
 * other entropy mode, FastMCP's default salt, then the previous secrets. Nothing is
 * derived here: each `key()` derives when `explain` asks, after a failed signature.
 */
export function keyAlternatives(source: KeySource, key: Uint8Array): KeyAlternative[] {
  const alternatives: KeyAlternative[] = []
  const text = Buffer.from(key).toString('latin1')
  if (key.length === DERIVED_KEY_LENGTH && /^[A-Za-z0-9_-]{43}=$/.test(text)) {
    alternatives.push({
      id: 'raw_key_bytes',
      description: 'the 32 raw bytes the 44-character key encodes',
      hint: 'the signer used the 32 raw bytes the key encodes; FastMCP\'s HMAC key is the 44-character text itself (deriveJwtKey\'s output as is, not base64-decoded)',
      key: () => Promise.resolve(new Uint8Array(Buffer.from(text, 'base64url'))),
    })
  }
  if (source.kind !== 'secret') return alternatives
  const { secret, entropy, salt } = source
  const other: Entropy = entropy === 'low' ? 'high' : 'low'
  alternatives.push({
    id: 'secret_as_key',
    description: 'the secret itself, not derived',
    hint: 'the signer used the secret itself as the HMAC key; FastMCP derives the key from it (deriveJwtKey, or derive-key here)',
    key: () => Promise.resolve(new Uint8Array(Buffer.from(secret, 'utf8'))),
  })
  const derived: [Entropy, KeyAlternative][] = [
    [other, {
      id: 'other_entropy',
      description: `the key derived from the same secret with ${describeDerivation(other, salt)}`,
      hint: `the signer derived the key with ${KDF[other]} (entropy ${other}), you with ${KDF[entropy]} (entropy ${entropy}): ` +
        `use --entropy ${other}, entropy: '${other}' in createFastMcpAuth (FastMCP: PBKDF2 for jwt_signing_key, HKDF for the upstream client secret)`,
      key: () => derive(secret, other, salt),
    }],
  ]
  if (salt !== DEFAULT_SALT) {
    derived.push(
      [entropy, {
        id: 'default_salt',
        description: `the key derived from the same secret with ${describeDerivation(entropy, DEFAULT_SALT)}`,
        hint: `the signer used FastMCP's default salt ${JSON.stringify(DEFAULT_SALT)}, you ${JSON.stringify(salt)}: drop --salt (salt: DEFAULT_SALT)`,
        key: () => derive(secret, entropy, DEFAULT_SALT),
      }],
      [other, {
        id: 'default_salt_other_entropy',
        description: `the key derived from the same secret with ${describeDerivation(other, DEFAULT_SALT)}`,
        hint: `the signer used ${KDF[other]} (entropy ${other}) and the default salt ${JSON.stringify(DEFAULT_SALT)}, ` +
          `you ${KDF[entropy]} and ${JSON.stringify(salt)}: use --entropy ${other} and drop --salt`,
        key: () => derive(secret, other, DEFAULT_SALT),
      }],
    )
  }
  // HKDF costs microseconds, PBKDF2 a third of a second: the cheap ones first (sort is stable)
  derived.sort(([a], [b]) => (a === 'high' ? 0 : 1) - (b === 'high' ? 0 : 1))
  alternatives.push(...derived.map(([, alternative]) => alternative))
  source.previousSecrets.forEach((previous, i) => {
    alternatives.push({
      id: 'previous_secret',
      description: `the key derived from previous secret #${i + 1} of ${PREVIOUS_SECRETS_ENV}`,
      hint: `signed with previous secret #${i + 1} of ${PREVIOUS_SECRETS_ENV}: a server that lists it in previousSecrets accepts the token, ` +
        'one that does not refuses it; mint new tokens with the current secret',
      key: () => derive(previous, entropy, salt),
    })
  })
  return alternatives
}

function derive(material: string, entropy: Entropy, salt: string): Promise<Uint8Array> {
  return deriveJwtKey(entropy === 'high' ? { highEntropyMaterial: material, salt } : { lowEntropyMaterial: material, salt })
}

function splitSecrets(value: string | undefined): string[] {
  if (value === undefined) return []
  return value.split(/[,\n]/).map((s) => s.trim()).filter((s) => s.length > 0)
}
