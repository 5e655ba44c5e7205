// Key derivation, byte-compatible with FastMCP's `derive_jwt_key`
// (fastmcp.server.auth.jwt_issuer): HKDF-SHA256 or PBKDF2-HMAC-SHA256 -> 32 bytes ->
// padded urlsafe base64 text. Those 44 ASCII bytes are the HS256 key.
import { hkdf, pbkdf2 } from 'node:crypto'

/** FastMCP's default salt for the JWT signing key. */
export const DEFAULT_SALT = 'fastmcp-jwt-signing-key'

/** PBKDF2 rounds FastMCP uses for low-entropy material (a human-chosen secret). */
export const KDF_ITERATIONS = 1_000_000

/** Length in bytes of a derived key: the urlsafe base64 text of 32 bytes, with `=`. */
export const DERIVED_KEY_LENGTH = 44

const DERIVED_BYTES = 32
const HKDF_INFO = 'Fernet'

/** High-entropy material, e.g. an upstream OAuth client secret: HKDF-SHA256. */
export interface HighEntropyKeyInput {
  highEntropyMaterial: string
  lowEntropyMaterial?: undefined
  /** @default DEFAULT_SALT */
  salt?: string
}

/** Low-entropy material, e.g. FastMCP's `jwt_signing_key`: PBKDF2, 1,000,000 rounds. */
export interface LowEntropyKeyInput {
  lowEntropyMaterial: string
  highEntropyMaterial?: undefined
  /** @default DEFAULT_SALT */
  salt?: string
}

export type DeriveJwtKeyInput = HighEntropyKeyInput | LowEntropyKeyInput

/**
 * Derives the HS256 signing key exactly as FastMCP's `derive_jwt_key` does.
 * Runs on libuv's thread pool, so the event loop stays free during the
 * quarter-second (or more) of PBKDF2.
 *
 * @returns the 44 bytes of the key's urlsafe base64 text; they are the HMAC key.
 * @example
 * const key = await deriveJwtKey({ lowEntropyMaterial: process.env.JWT_SECRET!, salt: DEFAULT_SALT })
 */
export async function deriveJwtKey(input: DeriveJwtKeyInput): Promise<Uint8Array> {
  const { highEntropyMaterial: high, lowEntropyMaterial: low } = input ?? {}
  if ((high === undefined) === (low === undefined)) {
    throw new TypeError('deriveJwtKey: pass exactly one of `highEntropyMaterial` or `lowEntropyMaterial`')
  }
  const material = (high ?? low) as unknown
  if (typeof material !== 'string') {
    const name = high === undefined ? 'lowEntropyMaterial' : 'highEntropyMaterial'
    throw new TypeError(`deriveJwtKey: \`${name}\` must be a string`)
  }
  const salt: unknown = input.salt ?? DEFAULT_SALT
  if (typeof salt !== 'string') throw new TypeError('deriveJwtKey: `salt` must be a string')

  const raw = high !== undefined
    ? await hkdfSha256(material, salt)
    : await pbkdf2Sha256(material, salt)
  return new Uint8Array(Buffer.from(raw.toString('base64url') + '=', 'latin1'))
}

function hkdfSha256(material: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    hkdf('sha256', Buffer.from(material, 'utf8'), Buffer.from(salt, 'utf8'), HKDF_INFO, DERIVED_BYTES,
      (err, key) => (err ? reject(err) : resolve(Buffer.from(key))))
  })
}

function pbkdf2Sha256(material: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(material, 'utf8'), Buffer.from(salt, 'utf8'), KDF_ITERATIONS, DERIVED_BYTES, 'sha256',
      (err, key) => (err ? reject(err) : resolve(key)))
  })
}
