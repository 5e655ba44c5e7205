// The MCP SDK's OAuthServerProvider, on FastMCP tokens: the SDK's handlers validate requests
// (RFC 6749, PKCE per RFC 7636, client authentication) and call this for what is ours:
// the resource and scope rules, codes in the TokenStore, minting, refresh and revocation.
import { randomUUID } from 'node:crypto'
import type { Response } from 'express'
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js'
import {
  InvalidGrantError,
  InvalidScopeError,
  InvalidTargetError,
  OAUTH_ERRORS,
  OAuthError as SdkOAuthError,
  ServerError,
  TemporarilyUnavailableError,
  UnauthorizedClientError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import type {
  OAuthClientInformationFull,
  OAuthTokenRevocationRequest,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js'
import type { FastMcpAuth } from '../auth.js'
import { OAuthError, StoreUnavailableError } from '../errors.js'
import type { Clock } from '../issuer.js'
import type { TokenStore } from '../store/types.js'
import { toAuthInfo } from '../verifier.js'
import type { Authorizations } from './authorizations.js'
import { redirectUriRegistered, type StoreClientsStore } from './clients.js'
import { parseCode, parseUsedCode, recordKey, type CodeRecord, type UsedCodeRecord } from './records.js'

export interface FastMcpOAuthProviderOptions {
  auth: FastMcpAuth
  store: TokenStore
  clients: StoreClientsStore
  authorizations: Authorizations
  /** Scopes the resource offers; a request for any other is `invalid_scope`. */
  scopesSupported: readonly string[]
  /** Granted when a client asks for none. */
  defaultScopes: readonly string[]
  codeLifetimeMs: number
  clock: Clock
}

/**
 * Issues FastMCP tokens through the auth object: `aud` is always `auth.audience`, the only
 * resource (RFC 8707) this server issues for.
 */
export class FastMcpOAuthProvider implements OAuthServerProvider {
  readonly clientsStore: StoreClientsStore
  // PKCE is verified by the SDK's token handler, from the challenge we keep with the code
  readonly skipLocalPkceValidation = false
  readonly #options: FastMcpOAuthProviderOptions
  readonly #resource: string

  constructor(options: FastMcpOAuthProviderOptions) {
    this.#options = options
    this.clientsStore = options.clients
    this.#resource = new URL(options.auth.audience).href
  }

  /** Checks the resource and scopes, then hands the request to the login (RFC 6749 §4.1.1). */
  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    // before anything goes to it: a URI that is not registered gets no redirect (RFC 6749 §4.1.2.1)
    if (!redirectUriRegistered(params.redirectUri, client.redirect_uris)) {
      res.status(400).set('cache-control', 'no-store').json({ error: 'invalid_request', error_description: 'Unregistered redirect_uri' })
      return
    }
    this.#checkResource(params.resource)
    const asked = (params.scopes ?? []).filter((s) => s.length > 0)
    const scopes = asked.length > 0 ? [...new Set(asked)] : [...this.#options.defaultScopes]
    const unknown = scopes.filter((s) => !this.#options.scopesSupported.includes(s))
    if (unknown.length > 0) throw new InvalidScopeError(`Scopes offered: ${this.#options.scopesSupported.join(' ')}`)
    const req = res.req
    const raw: unknown = req.method === 'POST' ? req.body : req.query
    const redirectUriGiven = typeof raw === 'object' && raw !== null && typeof (raw as Record<string, unknown>).redirect_uri === 'string'
    await withSdkErrors(this.#options.authorizations.begin(req, res, {
      clientId: client.client_id,
      ...(client.client_name === undefined ? {} : { clientName: client.client_name }),
      redirectUri: params.redirectUri,
      redirectUriGiven,
      codeChallenge: params.codeChallenge,
      ...(params.state === undefined ? {} : { state: params.state }),
      scopes,
      resource: this.#resource,
    }))
  }

  /** The PKCE challenge kept with the code; the SDK verifies the verifier against it. */
  async challengeForAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string): Promise<string> {
    const record = parseCode(await withSdkErrors(this.#options.store.getRecord(recordKey.code(authorizationCode))))
    return this.#usable(record, client, authorizationCode).then((r) => r.codeChallenge)
  }

  /**
   * Redeems a code once (RFC 6749 §4.1.3): bound to its client, redirect URI and resource,
   * and short-lived. A second use revokes what the first obtained (§4.1.2).
   */
  async exchangeAuthorizationCode(
    client: OAuthClientInformationFull,
    authorizationCode: string,
    _codeVerifier?: string,
    redirectUri?: string,
    resource?: URL,
  ): Promise<OAuthTokens> {
    const { store, auth, codeLifetimeMs } = this.#options
    const taken = parseCode(await withSdkErrors(store.takeRecord(recordKey.code(authorizationCode))))
    const record = await this.#usable(taken, client, authorizationCode)
    if (redirectUri !== undefined ? redirectUri !== record.redirectUri : record.redirectUriGiven) {
      throw new InvalidGrantError('redirect_uri does not match the authorization request')
    }
    if (resource !== undefined && resource.href !== record.resource) {
      throw new InvalidTargetError('The code was issued for another resource')
    }
    const refresh = client.grant_types?.includes('refresh_token') === true
    const used: UsedCodeRecord = { accessJti: randomUUID(), ...(refresh ? { refreshJti: randomUUID() } : {}) }
    // remembered before minting, so even a concurrent second use finds what to revoke
    await withSdkErrors(store.setRecord(recordKey.usedCode(authorizationCode), JSON.stringify(used), codeLifetimeMs))
    // a family the store cannot record is a 503-class answer, not a fault
    const tokens = await withSdkErrors(auth.issueTokenResponse({
      clientId: client.client_id,
      scopes: record.scopes,
      subject: record.subject,
      jti: used.accessJti,
      ...(record.upstreamClaims === undefined ? {} : { upstreamClaims: record.upstreamClaims }),
      refreshToken: used.refreshJti === undefined ? false : { jti: used.refreshJti },
    }))
    await this.#options.clients.keepAlive(client)
    return tokens
  }

  /** Delegates to `auth.exchangeRefreshToken`: rotation, reuse detection and grace are its own. */
  async exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    this.#checkResource(resource)
    if (client.grant_types?.includes('refresh_token') !== true) {
      throw new UnauthorizedClientError('This client did not register the refresh_token grant')
    }
    const tokens = await withSdkErrors(this.#options.auth.exchangeRefreshToken(refreshToken, {
      clientId: client.client_id,
      ...(scopes === undefined ? {} : { scopes: scopes.filter((s) => s.length > 0) }),
    }))
    await this.#options.clients.keepAlive(client)
    return tokens
  }

  /**
   * RFC 7009: revokes a token this client holds (a refresh token takes its whole grant).
   * Invalid, expired or already revoked tokens are not an error (§2.2).
   * @throws UnauthorizedClientError for a valid token issued to another client (§2.1).
   */
  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    const { auth } = this.#options
    let owner: string
    try {
      owner = (await auth.verifyToken(request.token, { expectedTokenUse: 'any' })).client_id
    } catch {
      return
    }
    if (owner !== client.client_id) throw new UnauthorizedClientError('The token was issued to another client')
    // the hint only speeds a lookup (§2.1); the token says what it is
    await withSdkErrors(auth.revokeToken(request.token))
  }

  /** The SDK's AuthInfo for one of our access tokens (refresh tokens are refused). */
  async verifyAccessToken(token: string): Promise<AuthInfo> {
    return toAuthInfo(token, await this.#options.auth.verifyToken(token, { expectedTokenUse: 'access' }))
  }

  // RFC 8707 §2: one resource, the protected resource these tokens are for
  #checkResource(resource: URL | undefined): void {
    if (resource !== undefined && resource.href !== this.#resource) {
      throw new InvalidTargetError(`This server issues tokens for ${this.#resource} only`)
    }
  }

  // a missing code may be a used one: then what its first use got is revoked
  async #usable(record: CodeRecord | undefined, client: OAuthClientInformationFull, code: string): Promise<CodeRecord> {
    if (record === undefined) {
      await this.#revokeReused(code)
      throw new InvalidGrantError('The authorization code is invalid, expired or already used')
    }
    if (record.expiresAt <= this.#options.clock()) throw new InvalidGrantError('The authorization code has expired')
    if (record.clientId !== client.client_id) throw new InvalidGrantError('The authorization code was issued to another client')
    return record
  }

  async #revokeReused(code: string): Promise<void> {
    const { store, auth } = this.#options
    const used = parseUsedCode(await withSdkErrors(store.getRecord(recordKey.usedCode(code))))
    if (used === undefined) return
    const family = used.refreshJti === undefined ? undefined : await store.familyOf(used.refreshJti)
    if (family !== undefined) await store.revokeFamily(family)
    // without its exp, the revocation lasts as long as any token minted here
    await auth.revoke(used.accessJti)
  }
}

// the auth object's OAuthError (and the store's) as the SDK's, which its handlers render
function toSdkError(err: unknown): SdkOAuthError {
  if (err instanceof SdkOAuthError) return err
  if (err instanceof OAuthError) {
    const Known = OAUTH_ERRORS[err.error]
    if (Known) return new Known(err.description)
  }
  if (err instanceof StoreUnavailableError) return new TemporarilyUnavailableError(err.description)
  return new ServerError('Internal Server Error')
}

async function withSdkErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (err) {
    throw toSdkError(err)
  }
}
