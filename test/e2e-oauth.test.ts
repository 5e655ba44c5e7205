// The example server end to end with the MCP SDK client doing OAuth by itself: discovery
// from the 401, registration, authorization with PKCE through the login page, the token
// request, a tool call as the person who logged in, refresh, and a replayed refresh token.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2, UnauthorizedError as UnauthorizedErrorV2 } from '@modelcontextprotocol/client'
import { VECTOR_KEY, manualClock } from './helpers.js'
import { TestOAuthClientProvider, payloadOf, startExample, tokenRequest, type RunningExample } from './oauth-helpers.js'

interface Who {
  clientId: string
  scopes: string[]
  jti: string
  sub?: string
}

describe('the MCP SDK client logs in through the example authorization server', () => {
  let run: RunningExample
  const clock = manualClock()
  before(async () => {
    run = await startExample((base) => ({
      signingKey: VECTOR_KEY,
      issuer: `${base}/`,
      audience: `${base}/mcp`,
      auth: { clock: clock.now },
      authorizationServer: { clock: clock.now, rateLimit: false },
    }))
  })
  after(() => run.close())

  const connect = async (provider: TestOAuthClientProvider): Promise<Client> => {
    const client = new Client({ name: 'e2e-oauth', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(run.mcp, { authProvider: provider }))
    return client
  }

  /** What a real client does: connect, get sent to log in, finish with the code, connect again. */
  const logIn = async (provider: TestOAuthClientProvider): Promise<Client> => {
    const transport = new StreamableHTTPClientTransport(run.mcp, { authProvider: provider })
    await assert.rejects(new Client({ name: 'e2e-oauth', version: '1.0.0' }).connect(transport), UnauthorizedError)
    assert.ok(provider.code, 'the login brought a code back')
    await transport.finishAuth(provider.code)
    return connect(provider)
  }

  const whoami = async (client: Client): Promise<Who> =>
    (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as unknown as Who

  test('discovery, registration, PKCE, login, token: whoami shows the person, then a refresh after expiry', async () => {
    const provider = new TestOAuthClientProvider()
    const client = await logIn(provider)
    try {
      // the SDK found the server from the 401 and asked for this resource, S256
      const [authorizationUrl] = provider.authorizationUrls
      assert.equal(authorizationUrl!.origin + authorizationUrl!.pathname, `${run.base}/authorize`)
      assert.equal(authorizationUrl!.searchParams.get('resource'), `${run.base}/mcp`)
      assert.equal(authorizationUrl!.searchParams.get('code_challenge_method'), 'S256')
      assert.equal(authorizationUrl!.searchParams.get('scope'), 'notes:read notes:write')

      const first = await whoami(client)
      assert.equal(first.sub, 'demo')
      assert.equal(first.clientId, provider.information!.client_id)
      assert.deepEqual(first.scopes, ['notes:read', 'notes:write'])
      const firstRefresh = provider.saved!.refresh_token!

      // an hour later the access token has expired: the SDK refreshes on the 401 and retries
      clock.advance(3601_000)
      const second = await whoami(client)
      assert.equal(second.sub, 'demo')
      assert.notEqual(second.jti, first.jti)
      assert.notEqual(provider.saved!.refresh_token, firstRefresh, 'the refresh token rotated')
      assert.equal(provider.authorizationUrls.length, 1, 'no second login')
    } finally {
      await client.close()
    }
  })

  test('npm run example:oauth-client: registers, logs in as demo on the login page, and prints whoami', async () => {
    const script = fileURLToPath(new URL('../examples/oauth-client.ts', import.meta.url))
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, MCP_URL: run.mcp.href, DEMO_PASSWORD: '' }, timeout: 30_000 },
        (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr })))
    })
    assert.equal(stderr, '')
    const printed = /^whoami: (.+)$/m.exec(stdout)
    assert.ok(printed, stdout)
    const who = JSON.parse(printed[1]!) as Who
    assert.equal(who.sub, 'demo')
    assert.deepEqual(who.scopes, ['notes:read', 'notes:write'])
  })

  test('the SDK v2 client logs in the same way: registration, PKCE, login; whoami shows the person; refresh after expiry', async () => {
    const provider = new TestOAuthClientProvider()
    const transport = new TransportV2(run.mcp, { authProvider: provider })
    await assert.rejects(new ClientV2({ name: 'e2e-oauth-v2', version: '1.0.0' }).connect(transport), UnauthorizedErrorV2)
    const callback = provider.callback
    assert.ok(callback, 'the login came back')
    assert.ok(callback.get('code'), 'the login brought a code back')
    assert.equal(provider.authorizationUrls[0]!.searchParams.get('code_challenge_method'), 'S256')
    // v2 checks the callback's iss against the server's metadata (RFC 9207)
    assert.equal(callback.get('iss'), `${run.base}/`)
    await transport.finishAuth(callback)
    const client = new ClientV2({ name: 'e2e-oauth-v2', version: '1.0.0' })
    await client.connect(new TransportV2(run.mcp, { authProvider: provider }))
    try {
      const first = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as unknown as Who
      assert.equal(first.sub, 'demo')
      assert.equal(first.clientId, provider.information!.client_id)
      clock.advance(3601_000)
      const second = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as unknown as Who
      assert.equal(second.sub, 'demo')
      assert.notEqual(second.jti, first.jti)
      assert.equal(provider.authorizationUrls.length, 1, 'no second login')
    } finally {
      await client.close()
    }
  })

  test('a refresh token replayed after the grace window is refused, and the whole grant is revoked', async () => {
    const provider = new TestOAuthClientProvider()
    const client = await logIn(provider)
    try {
      const stolen = provider.saved!.refresh_token!
      clock.advance(3601_000)
      await whoami(client) // the client refreshes: `stolen` is used
      const current = provider.saved!
      clock.advance(120_000)
      const replay = await tokenRequest(run.base, { grant_type: 'refresh_token', refresh_token: stolen, client_id: provider.information!.client_id })
      assert.equal(replay.status, 400)
      assert.equal(replay.body.error, 'invalid_grant')
      // the tokens the honest client holds now die with the grant
      const still = await tokenRequest(run.base, { grant_type: 'refresh_token', refresh_token: current.refresh_token!, client_id: provider.information!.client_id })
      assert.equal(still.body.error, 'invalid_grant')
      const res = await fetch(run.mcp, {
        method: 'POST',
        headers: { authorization: `Bearer ${current.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      })
      assert.equal(res.status, 401)
      assert.equal(payloadOf(current.access_token).sub, 'demo')
    } finally {
      await client.close()
    }
  })
})
