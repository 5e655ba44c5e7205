// `npm run example:oauth-client`: the MCP SDK v1 client logging in by itself against a
// running `npm start`: it finds the authorization server from the 401, registers, sends the
// person to the login page (here: fills the DEVELOPMENT login form as demo), takes the code
// from the redirect, calls finishAuth, connects and calls whoami.
// MCP_URL (default http://127.0.0.1:3000/mcp) and DEMO_PASSWORD configure it.
import { pathToFileURL } from 'node:url'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { DEMO_USER } from './dev-login.js'
import { DevelopmentLoginClientProvider, type Credentials } from './oauth-client-provider.js'

/** Logs in through the authorization server, then returns whoami's answer. */
export async function logInAndCallWhoami(mcpUrl: URL, credentials: Credentials = DEMO_USER): Promise<unknown> {
  const provider = new DevelopmentLoginClientProvider(credentials)
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })
  try {
    // the first connect meets the 401: the SDK registers and calls redirectToAuthorization
    await new Client({ name: 'fastmcp-auth-express-oauth-client', version: '1.0.0' }).connect(transport)
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || provider.code === undefined) throw err
    await transport.finishAuth(provider.code) // the code and the PKCE verifier buy the tokens
  }
  const client = new Client({ name: 'fastmcp-auth-express-oauth-client', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }))
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent
  } finally {
    await client.close()
  }
}

// run as a script (not when a test imports it)
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = new URL(process.env.MCP_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}/mcp`)
  const password = process.env.DEMO_PASSWORD || DEMO_USER.password
  logInAndCallWhoami(url, { username: DEMO_USER.username, password }).then(
    (who) => console.log('whoami:', JSON.stringify(who)),
    (err: unknown) => {
      console.error(`oauth-client: ${err instanceof Error ? err.message : String(err)}`)
      process.exitCode = 1
    },
  )
}
