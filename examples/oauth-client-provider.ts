// The MCP SDK v1 client's OAuthClientProvider for the example server, in memory: it keeps
// what the SDK hands it, and its `redirectToAuthorization` plays the person's browser on the
// DEVELOPMENT login page (it fills the form over HTTP). A real client opens the URL in a
// browser instead and takes the code from its redirect URI. examples/oauth-client.ts and the
// end-to-end tests both use it.
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import { DEMO_USER } from './dev-login.js'

/**
 * Where the code goes. Nothing listens there: the provider reads the code from the login's
 * redirect without following it (a loopback URI, RFC 8252 §7.3).
 */
export const DEMO_REDIRECT_URI = 'http://127.0.0.1:1/callback'

export interface Credentials {
  username: string
  password: string
}

/** What a browser does with the development login page: read the form, fill it in, post it. */
export async function submitLoginPage(page: Response, credentials: Credentials = DEMO_USER): Promise<Response> {
  const html = await page.text()
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html)
  if (!form) throw new Error(`no login form in ${page.status} ${html.slice(0, 200)}`)
  const fields = new URLSearchParams()
  for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(name!, unescapeHtml(value!))
  }
  fields.set('username', credentials.username)
  fields.set('password', credentials.password)
  // no Origin header, as for any non-browser client; a browser's is the page's own origin
  return fetch(new URL(unescapeHtml(form[1]!), page.url), { method: 'POST', body: fields, redirect: 'manual' })
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
}

/**
 * One user of the MCP SDK client: client information, tokens and the PKCE verifier in
 * memory; the login is the development login page filled in with `credentials`.
 */
export class DevelopmentLoginClientProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined
  saved: OAuthTokens | undefined
  verifier = ''
  /** The code the last login brought back; hand it to `transport.finishAuth`. */
  code: string | undefined
  /** All the last login's callback parameters (`code`, `state`, `iss`): SDK v2's `finishAuth` takes them and checks `iss` (RFC 9207). */
  callback: URLSearchParams | undefined
  /** Every authorization URL the SDK sent the "browser" to. */
  readonly authorizationUrls: URL[] = []

  constructor(
    private readonly credentials: Credentials = DEMO_USER,
    private readonly clientName = 'MCP SDK example client',
  ) {}

  get redirectUrl(): string {
    return DEMO_REDIRECT_URI
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.clientName,
      redirect_uris: [DEMO_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.information
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.information = information
  }

  tokens(): OAuthTokens | undefined {
    return this.saved
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens
  }

  // the person's browser: open the login page, log in, and read the code from the redirect
  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl)
    const page = await fetch(authorizationUrl, { redirect: 'manual' })
    const back = await submitLoginPage(page, this.credentials)
    const location = back.headers.get('location')
    if (location === null) throw new Error(`the login answered ${back.status}: ${(await back.text()).slice(0, 200)}`)
    const redirect = new URL(location)
    const error = redirect.searchParams.get('error')
    if (error !== null) throw new Error(`the authorization server refused: ${error}`)
    this.code = redirect.searchParams.get('code') ?? undefined
    this.callback = redirect.searchParams
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier
  }

  codeVerifier(): string {
    return this.verifier
  }
}
