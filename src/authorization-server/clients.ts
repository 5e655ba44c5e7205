// Registered OAuth clients (RFC 7591 dynamic registration) as TokenStore records, so every
// instance knows a client another registered. The MCP SDK's handler parses the metadata and
// generates the id and secret; this store applies our rules and keeps the result.
import { randomUUID } from 'node:crypto'
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js'
import { InvalidClientMetadataError } from '@modelcontextprotocol/sdk/server/auth/errors.js'
import { OAuthClientInformationFullSchema, type OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js'
import type { Clock } from '../issuer.js'
import type { TokenStore } from '../store/types.js'
import { recordKey } from './records.js'

/** Grant types this server offers (RFC 7591 §2 `grant_types`). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const
/** How clients authenticate at the token endpoint: the SDK's client authentication reads the body only. */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_post', 'none'] as const

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
// ids reach the store as part of a key: printable ASCII, bounded
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/

interface StoredClient {
  client: OAuthClientInformationFull
  /** Milliseconds since the epoch. */
  expiresAt: number
}

export interface StoreClientsStoreOptions {
  store: TokenStore
  /** How long a client is kept after its registration or its last tokens, in milliseconds. */
  lifetimeMs: number
  clock: Clock
}

/**
 * `OAuthRegisteredClientsStore` on TokenStore records. A client is forgotten `lifetimeMs`
 * after it last obtained tokens (`keepAlive`), so its refresh tokens never outlive it
 * while it is in use.
 */
export class StoreClientsStore implements OAuthRegisteredClientsStore {
  readonly #store: TokenStore
  readonly #lifetimeMs: number
  readonly #clock: Clock
  // when each client object read from the store expires, for keepAlive
  readonly #expiry = new WeakMap<OAuthClientInformationFull, number>()

  constructor(options: StoreClientsStoreOptions) {
    this.#store = options.store
    this.#lifetimeMs = options.lifetimeMs
    this.#clock = options.clock
  }

  async getClient(clientId: string): Promise<OAuthClientInformationFull | undefined> {
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return undefined
    const text = await this.#store.getRecord(recordKey.client(clientId))
    if (text === undefined) return undefined
    let stored: StoredClient
    try {
      stored = JSON.parse(text) as StoredClient
    } catch {
      return undefined
    }
    const parsed = OAuthClientInformationFullSchema.safeParse(stored?.client)
    if (!parsed.success || parsed.data.client_id !== clientId || !Number.isFinite(stored.expiresAt)) return undefined
    this.#expiry.set(parsed.data, stored.expiresAt)
    return parsed.data
  }

  /**
   * Applies this server's rules to what the SDK parsed, then keeps the client.
   * @throws InvalidClientMetadataError (RFC 7591 §3.2.2) for redirect URIs, grant types,
   *   response types or an authentication method this server cannot honour.
   */
  async registerClient(
    metadata: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'>,
  ): Promise<OAuthClientInformationFull> {
    checkRedirectUris(metadata.redirect_uris)
    const grantTypes = metadata.grant_types ?? ['authorization_code'] // RFC 7591 §2 default
    if (!grantTypes.includes('authorization_code') || grantTypes.some((g) => !(GRANT_TYPES as readonly string[]).includes(g))) {
      throw new InvalidClientMetadataError(`grant_types must include authorization_code and may add refresh_token`)
    }
    const responseTypes = metadata.response_types ?? ['code']
    if (responseTypes.length !== 1 || responseTypes[0] !== 'code') {
      throw new InvalidClientMetadataError('response_types must be ["code"]')
    }
    // RFC 7591 §3.2.1: the server may replace a value; basic (the RFC's default) becomes post,
    // which the SDK's token endpoint reads, and the client learns it from the response
    const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic'
    if (!['none', 'client_secret_post', 'client_secret_basic'].includes(method)) {
      throw new InvalidClientMetadataError(`token_endpoint_auth_method must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`)
    }
    const generated = (metadata as Partial<OAuthClientInformationFull>).client_id
    const client: OAuthClientInformationFull = {
      ...metadata,
      client_id: typeof generated === 'string' ? generated : randomUUID(),
      client_id_issued_at: (metadata as Partial<OAuthClientInformationFull>).client_id_issued_at ?? Math.floor(this.#clock() / 1000),
      grant_types: grantTypes,
      response_types: responseTypes,
      token_endpoint_auth_method: method === 'none' ? 'none' : 'client_secret_post',
    }
    await this.#save(client)
    return client
  }

  /** Extends the life of a client that just obtained tokens, once half of it is gone. */
  async keepAlive(client: OAuthClientInformationFull): Promise<void> {
    const expiresAt = this.#expiry.get(client)
    if (expiresAt !== undefined && expiresAt - this.#clock() > this.#lifetimeMs / 2) return
    await this.#save(client)
  }

  async #save(client: OAuthClientInformationFull): Promise<void> {
    const stored: StoredClient = { client, expiresAt: this.#clock() + this.#lifetimeMs }
    await this.#store.setRecord(recordKey.client(client.client_id), JSON.stringify(stored), this.#lifetimeMs)
    this.#expiry.set(client, stored.expiresAt)
  }
}

// schemes that run or read in the browser, or name a local file: never a client's endpoint
const REFUSED_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:', 'filesystem:'])

/**
 * RFC 9700 §4.1.3: the redirect URI of a request matches a registered one as a string, except
 * the port of a loopback http one (RFC 8252 §7.3). The SDK's own check compares parsed URLs
 * on loopback hosts, so it lets `#frag`, `user:pass@` and `HTTP://` variants through.
 */
export function redirectUriRegistered(requested: string, registered: readonly string[]): boolean {
  return registered.some((uri) => uri === requested || sameButLoopbackPort(requested, uri))
}

function sameButLoopbackPort(requested: string, registered: string): boolean {
  if (!URL.canParse(requested) || !URL.canParse(registered)) return false
  const asked = new URL(requested)
  const own = new URL(registered)
  if (own.protocol !== 'http:' || !LOOPBACK_HOSTS.has(own.hostname) || own.href !== registered) return false
  own.port = asked.port
  return own.href === requested
}

// RFC 6749 §3.1.2 and OAuth 2.1 §2.3.1, §8.4.2: no fragment, no userinfo; plain http only
// back to this machine (RFC 8252 §7.3); private-use schemes (RFC 8252 §7.1) are for native apps
function checkRedirectUris(uris: readonly string[]): void {
  if (uris.length === 0) throw new InvalidClientMetadataError('redirect_uris must name at least one URI')
  for (const uri of uris) {
    const url = new URL(uri) // the SDK's schema has parsed each one already
    if (url.hash !== '' || uri.includes('#')) {
      throw new InvalidClientMetadataError('A redirect URI must not have a fragment')
    }
    if (url.username !== '' || url.password !== '' || /^[^:]+:\/\/[^/?#]*@/.test(uri)) {
      throw new InvalidClientMetadataError('A redirect URI must not carry a username or password')
    }
    if (REFUSED_SCHEMES.has(url.protocol)) {
      throw new InvalidClientMetadataError(`A redirect URI must not use the ${url.protocol} scheme`)
    }
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new InvalidClientMetadataError('A redirect URI must use https, a loopback http address, or a private-use scheme')
    }
  }
}
