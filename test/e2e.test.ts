// The example server end to end, driven by the real MCP SDK client.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { DEMO_CLIENT } from '../examples/app.js'
import { AUDIENCE, ISSUER, NOW_MS, VECTOR_KEY, claims, signToken, validPayload, vector } from './helpers.js'
import { startExample, type RunningExample } from './oauth-helpers.js'

const demoCredentials = { client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret }

async function connect(url: URL, token?: string): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' })
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` }
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }))
  return client
}

async function callTool(url: URL, token: string, name: string, args: Record<string, unknown> = {}) {
  const client = await connect(url, token)
  try {
    return await client.callTool({ name, arguments: args })
  } finally {
    await client.close()
  }
}

async function refusal(url: URL, token: string | undefined): Promise<{ status: number; challenge: string | null; body: { error?: string; error_description: string } }> {
  try {
    const client = await connect(url, token)
    await client.close()
  } catch (err) {
    assert.ok(err instanceof StreamableHTTPError, `expected the SDK's HTTP error, got ${String(err)}`)
    // the SDK saw the status; read the same answer raw for its challenge and body
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    assert.equal(err.code, res.status)
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.json() as never }
  }
  assert.fail('expected the connection to be refused')
}

async function tokenGrant(base: string, form: Record<string, string>) {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) })
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, string | number> }
}

describe('example server with the MCP SDK client', () => {
  let run: RunningExample
  before(async () => {
    run = await startExample((base) => ({ signingKey: VECTOR_KEY, issuer: `${base}/`, audience: `${base}/mcp` }))
  })
  after(() => run.close())

  const clientCredentials = (scope?: string) => tokenGrant(run.base, {
    grant_type: 'client_credentials', client_id: DEMO_CLIENT.id, client_secret: DEMO_CLIENT.secret, ...(scope ? { scope } : {}),
  })

  test('with an access token: connects, lists tools, and whoami carries the token\'s client id, scopes and jti', async () => {
    const issued = await run.auth.issueAccessToken({ clientId: 'e2e-client', scopes: ['notes:read'], jti: 'e2e-jti-1' })
    const client = await connect(run.mcp, issued.token)
    try {
      const { tools } = await client.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['read_notes', 'whoami', 'write_note'])
      const result = await client.callTool({ name: 'whoami', arguments: {} })
      assert.deepEqual(result.structuredContent, { clientId: 'e2e-client', scopes: ['notes:read'], jti: 'e2e-jti-1' })
    } finally {
      await client.close()
    }
  })

  test('no token: the SDK sees 401, and the challenge\'s resource_metadata resolves to the served document', async () => {
    const res = await refusal(run.mcp, undefined)
    assert.equal(res.status, 401)
    const metadataUrl = `${run.base}/.well-known/oauth-protected-resource/mcp`
    assert.equal(res.challenge, `Bearer resource_metadata="${metadataUrl}"`)
    const params = extractWWWAuthenticateParams(new Response(null, { headers: { 'www-authenticate': res.challenge! } }))
    assert.equal(params.resourceMetadataUrl?.href, metadataUrl)
    const doc = await discoverOAuthProtectedResourceMetadata(run.mcp, { resourceMetadataUrl: params.resourceMetadataUrl })
    assert.deepEqual(doc, {
      resource: `${run.base}/mcp`,
      authorization_servers: [`${run.base}/`],
      scopes_supported: ['notes:read', 'notes:write'],
      bearer_methods_supported: ['header'],
    })
    const root = await fetch(`${run.base}/.well-known/oauth-protected-resource`)
    assert.deepEqual(await root.json(), doc)
  })

  test('a refresh token as the bearer: 401', async () => {
    const refresh = await run.auth.issueRefreshToken({ clientId: 'e2e', scopes: ['notes:read'] })
    const res = await refusal(run.mcp, refresh.token)
    assert.equal(res.status, 401)
    assert.equal(res.body.error, 'invalid_token')
    assert.equal(res.body.error_description, 'A refresh token cannot be used as an access token')
  })

  test('an expired token: 401 with a description that says expired', async () => {
    const expired = signToken(claims({ iss: `${run.base}/`, aud: `${run.base}/mcp`, exp: Math.floor(Date.now() / 1000) - 10, jti: 'e2e-expired' }))
    const res = await refusal(run.mcp, expired)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token has expired')
    assert.match(res.challenge!, /error="invalid_token", error_description="The token has expired"/)
  })

  test('a token for another audience: 401', async () => {
    const other = signToken(claims({ iss: `${run.base}/`, aud: `${run.base}/other`, exp: Math.floor(Date.now() / 1000) + 600, jti: 'e2e-aud' }))
    const res = await refusal(run.mcp, other)
    assert.equal(res.status, 401)
    assert.equal(res.body.error_description, 'The token is for another audience')
  })

  test('write_note without notes:write is refused with an MCP error result; with it, it succeeds', async () => {
    const reader = (await clientCredentials('notes:read')).body.access_token as string
    const refused = await callTool(run.mcp, reader, 'write_note', { text: 'hello' })
    assert.equal(refused.isError, true)
    assert.match(JSON.stringify(refused.content), /notes:write/)
    const writer = (await clientCredentials()).body.access_token as string
    const stored = await callTool(run.mcp, writer, 'write_note', { text: 'hello' })
    assert.notEqual(stored.isError, true)
    assert.match(JSON.stringify(stored.content), /stored note/)
    assert.match(JSON.stringify((await callTool(run.mcp, writer, 'read_notes')).content), /hello/)
  })

  test('client credentials give a no-store token response without a refresh token (RFC 6749 §4.4.3)', async () => {
    const granted = await clientCredentials()
    assert.equal(granted.status, 200)
    assert.equal(granted.headers.get('cache-control'), 'no-store')
    assert.equal(granted.headers.get('pragma'), 'no-cache')
    assert.equal(granted.body.token_type, 'Bearer')
    assert.equal(granted.body.expires_in, 3600)
    assert.equal(granted.body.scope, 'notes:read notes:write')
    assert.equal(granted.body.refresh_token, undefined)
  })

  test('the refresh grant needs the client the token was issued to (RFC 6749 §6)', async () => {
    const login = await run.auth.issueTokenResponse({ clientId: DEMO_CLIENT.id, scopes: ['notes:read'], refreshToken: true })
    const anonymous = await tokenGrant(run.base, { grant_type: 'refresh_token', refresh_token: login.refresh_token! })
    assert.equal(anonymous.status, 401)
    assert.equal(anonymous.body.error, 'invalid_client')
  })

  test('the refresh grant rotates: a fresh pair that works, a concurrent retry within the grace window too', async () => {
    const login = await run.auth.issueTokenResponse({ clientId: DEMO_CLIENT.id, scopes: ['notes:read'], refreshToken: true })
    const refreshed = await tokenGrant(run.base, { grant_type: 'refresh_token', refresh_token: login.refresh_token!, ...demoCredentials })
    assert.equal(refreshed.status, 200)
    assert.equal(refreshed.headers.get('cache-control'), 'no-store')
    assert.notEqual(refreshed.body.access_token, login.access_token)
    assert.notEqual(refreshed.body.refresh_token, login.refresh_token)
    const who = await callTool(run.mcp, refreshed.body.access_token as string, 'whoami')
    assert.deepEqual((who.structuredContent as { clientId: string }).clientId, DEMO_CLIENT.id)
    // within the default 10 s grace window a replay is a client's retry, not a leak
    const retry = await tokenGrant(run.base, { grant_type: 'refresh_token', refresh_token: login.refresh_token!, ...demoCredentials })
    assert.equal(retry.status, 200)
  })

  test('the token endpoint refuses a wrong client secret and an access token as a refresh token', async () => {
    const wrong = await tokenGrant(run.base, { grant_type: 'client_credentials', client_id: DEMO_CLIENT.id, client_secret: 'nope' })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.body.error, 'invalid_client')
    const access = (await clientCredentials()).body.access_token as string
    const misuse = await tokenGrant(run.base, { grant_type: 'refresh_token', refresh_token: access, ...demoCredentials })
    assert.equal(misuse.status, 400)
    assert.equal(misuse.body.error, 'invalid_grant')
  })

  test('malformed JSON with a valid token: a clean 400 as JSON, no stack, and a log line without body or headers', async (t) => {
    const logged = t.mock.method(console, 'error', () => {})
    const { token } = await run.auth.issueAccessToken({ clientId: 'e2e-client', scopes: ['notes:read'] })
    const res = await fetch(run.mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"secret-body-text"',
    })
    const text = await res.text()
    assert.equal(res.status, 400)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.deepEqual(JSON.parse(text), { error: 'invalid_request', error_description: 'The request body could not be read' })
    assert.doesNotMatch(text, /node_modules|at |secret-body-text|<html/i)
    assert.deepEqual(logged.mock.calls.map((call) => call.arguments), [['POST /mcp 400']])
  })

  test('a CORS preflight passes without credentials and exposes WWW-Authenticate', async () => {
    const res = await fetch(run.mcp, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
    assert.equal(res.status, 204)
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/)
    const refused = await fetch(run.mcp, { method: 'POST', headers: { origin: 'https://app.example' } })
    assert.equal(refused.status, 401)
    assert.match(refused.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/)
  })
})

describe('example server with a token minted by FastMCP itself', () => {
  for (const id of ['access-basic', 'access-upstream-claims']) {
    test(`accepts FastMCP vector ${id} with that vector's secret, salt, issuer and audience`, async () => {
      const v = vector(id)
      // at the vectors' instant: FastMCP minted them for the year 2100
      const run = await startExample(() => ({ secret: v.key_material, salt: v.salt, entropy: v.mode, issuer: v.issuer, audience: v.audience, auth: { clock: () => NOW_MS } }))
      try {
        const who = await callTool(run.mcp, v.token, 'whoami')
        const payload = validPayload(id) as { client_id: string; scope: string; jti: string }
        assert.deepEqual(who.structuredContent, { clientId: payload.client_id, scopes: payload.scope.split(' '), jti: payload.jti })
      } finally {
        await run.close()
      }
    })
  }

  test('the same vector is refused by a server with another audience', async () => {
    const v = vector('access-basic')
    const run = await startExample(() => ({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: `${AUDIENCE}/other` }))
    try {
      assert.equal((await refusal(run.mcp, v.token)).status, 401)
    } finally {
      await run.close()
    }
  })
})
