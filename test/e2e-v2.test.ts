// The v2 example end to end: MCP SDK v2's client in its legacy, auto and 2026-07-28 modes
// (and the v1 client) against createMcpHandler + toNodeHandler and against
// NodeStreamableHTTPServerTransport, behind requireFastMcpToken or v2's requireBearerAuth.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Client, InsufficientScopeError, StreamableHTTPClientTransport, type VersionNegotiationOptions } from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createExampleAppV2, type Caller, type ExampleV2Config } from '../examples/app-v2.js'
import type { FastMcpAuth, RejectedEvent } from '../src/index.js'
import { VECTOR_KEY, listenLocal } from './helpers.js'

type Mode = NonNullable<VersionNegotiationOptions['mode']>
const MODES: [string, Mode, 'legacy' | 'modern'][] = [
  ['legacy', 'legacy', 'legacy'],
  ['auto', 'auto', 'modern'],
  ['2026-07-28', { pin: '2026-07-28' }, 'modern'],
]

interface Running {
  base: string
  mcp: URL
  metadataUrl: string
  auth: FastMcpAuth
  rejected: RejectedEvent[]
  close: () => Promise<void>
}

async function startExample(config: Omit<ExampleV2Config, 'signingKey' | 'issuer' | 'audience'> = {}): Promise<Running> {
  const { server, base, close } = await listenLocal()
  const rejected: RejectedEvent[] = []
  const { app, auth } = createExampleAppV2({
    signingKey: VECTOR_KEY,
    issuer: `${base}/`,
    audience: `${base}/mcp`,
    ...config,
    auth: { onRejected: (e) => { rejected.push(e) } },
  })
  server.on('request', app)
  return {
    base,
    mcp: new URL(`${base}/mcp`),
    metadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`,
    auth,
    rejected,
    close,
  }
}

async function connect(url: URL, token: string, mode: Mode): Promise<Client> {
  const client = new Client({ name: 'e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode } })
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }))
  return client
}

async function withClient<T>(url: URL, token: string, mode: Mode, use: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(url, token, mode)
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}

/** The AuthInfo a tool sees, as whoami reports it, next to what the package decided for the token. */
async function expectedCaller(auth: FastMcpAuth, token: string): Promise<Caller> {
  const info = await auth.verifyAccessToken(token)
  return {
    clientId: info.clientId,
    scopes: [...info.scopes],
    grantedScopes: [...(info.extra?.grantedScopes as string[])],
    jti: info.extra?.jti as string,
    resourceMetadataUrl: info.resourceMetadataUrl ?? null,
  }
}

async function insufficientScope(promise: Promise<unknown>): Promise<InsufficientScopeError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof InsufficientScopeError, `expected the client's InsufficientScopeError, got ${String(err)}`)
    return err
  }
  assert.fail('expected a 403 insufficient_scope')
}

for (const gate of ['package', 'sdk'] as const) {
  describe(`v2 example, createMcpHandler + toNodeHandler behind ${gate === 'package' ? 'requireFastMcpToken' : 'v2 requireBearerAuth + createBearerAuthOptions'}`, () => {
    let run: Running
    before(async () => { run = await startExample({ gate }) })
    after(() => run.close())

    for (const [label, mode, era] of MODES) {
      test(`the v2 client in ${label} mode connects (${era} era); whoami sees the AuthInfo the package built`, async () => {
        const { token } = await run.auth.issueAccessToken({ clientId: `v2-${label}`, scopes: ['notes:write'] })
        await withClient(run.mcp, token, mode, async (client) => {
          assert.equal(client.getProtocolEra(), era)
          const { tools } = await client.listTools()
          assert.deepEqual(tools.map((t) => t.name).sort(), ['clear_notes', 'read_notes', 'whoami', 'write_note'])
          const who = await client.callTool({ name: 'whoami', arguments: {} })
          const expected = await expectedCaller(run.auth, token)
          assert.deepEqual(who.structuredContent, expected)
          assert.deepEqual(expected.scopes, ['notes:write', 'notes:read'])
          assert.equal(expected.resourceMetadataUrl, run.metadataUrl)
        })
      })

      test(`${label} mode: requireToolScopes refuses write_note without notes:write before the SDK runs (403 naming it, our metadata URL)`, async () => {
        const { token } = await run.auth.issueAccessToken({ clientId: 'reader', scopes: ['notes:read'] })
        await withClient(run.mcp, token, mode, async (client) => {
          const err = await insufficientScope(client.callTool({ name: 'write_note', arguments: { text: 'hi' } }))
          assert.equal(err.requiredScope, 'notes:write')
          assert.equal(err.resourceMetadataUrl?.href, run.metadataUrl)
          assert.equal(err.errorDescription, 'The token lacks a required scope')
        })
      })

      test(`${label} mode: v2's own scopeChallenge on read_notes points at the same metadata document; notes:write satisfies it through the hierarchy`, async () => {
        const profile = (await run.auth.issueAccessToken({ clientId: 'profile', scopes: ['profile'] })).token
        await withClient(run.mcp, profile, mode, async (client) => {
          const err = await insufficientScope(client.callTool({ name: 'read_notes', arguments: {} }))
          assert.equal(err.requiredScope, 'notes:read')
          assert.equal(err.resourceMetadataUrl?.href, run.metadataUrl, 'v2 reads AuthInfo.resourceMetadataUrl')
        })
        const writer = (await run.auth.issueAccessToken({ clientId: 'writer', scopes: ['notes:write'] })).token
        await withClient(run.mcp, writer, mode, async (client) => {
          const stored = await client.callTool({ name: 'write_note', arguments: { text: `from ${label}` } })
          assert.notEqual(stored.isError, true)
          const read = await client.callTool({ name: 'read_notes', arguments: {} })
          assert.notEqual(read.isError, true)
          assert.match(JSON.stringify(read.content), new RegExp(`from ${label}`))
        })
      })
    }

    test('admin implies notes:write and notes:read: clear_notes and both guarded tools pass', async () => {
      const { token } = await run.auth.issueAccessToken({ clientId: 'admin', scopes: ['admin'] })
      await withClient(run.mcp, token, { pin: '2026-07-28' }, async (client) => {
        for (const name of ['write_note', 'read_notes', 'clear_notes']) {
          const result = await client.callTool({ name, arguments: name === 'write_note' ? { text: 'x' } : {} })
          assert.notEqual(result.isError, true, name)
        }
      })
    })

    test('the v1 client (2025 era) gets the same per-tool refusal from the same server', async () => {
      const { token } = await run.auth.issueAccessToken({ clientId: 'v1', scopes: ['notes:read'] })
      const client = new ClientV1({ name: 'e2e-v1', version: '1.0.0' })
      await client.connect(new TransportV1(run.mcp, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }))
      try {
        await assert.rejects(client.callTool({ name: 'clear_notes', arguments: {} }), /403|insufficient_scope|admin/i)
        assert.notEqual((await client.callTool({ name: 'read_notes', arguments: {} })).isError, true)
      } finally {
        await client.close()
      }
    })
  })
}

describe('v2 example, requireFastMcpToken in front', () => {
  let run: Running
  before(async () => { run = await startExample() })
  after(() => run.close())

  test('a 2026-07-28 request whose Mcp-Name header names another tool than the body: 400 with JSON-RPC -32020, the tool never runs', async () => {
    const { token } = await run.auth.issueAccessToken({ clientId: 'smuggler', scopes: ['notes:read'] })
    const res = await fetch(run.mcp, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'whoami',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'x1', method: 'tools/call', params: { name: 'clear_notes', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }),
    })
    assert.equal(res.status, 400)
    const body = await res.json() as { id: string; error: { code: number } }
    assert.equal(body.id, 'x1')
    assert.equal(body.error.code, -32020)
    assert.equal(run.rejected.at(-1)?.error.reason, 'header_mismatch')
  })

  test('no token: 401 whose resource_metadata is the served document', async () => {
    const res = await fetch(run.mcp, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${run.metadataUrl}"`)
  })

  test('CORS: a preflight from a 2026-07-28 browser client is allowed every header it sends; a refusal exposes the challenge', async () => {
    const preflight = await fetch(run.mcp, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-method, mcp-name, mcp-protocol-version' },
    })
    assert.equal(preflight.status, 204)
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',').map((h) => h.trim())
    for (const header of ['authorization', 'content-type', 'mcp-method', 'mcp-name', 'mcp-protocol-version']) assert.ok(allowed.includes(header), header)
    const refused = await fetch(run.mcp, { method: 'POST', headers: { origin: 'https://app.example' } })
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('access-control-allow-origin'), '*')
    assert.equal(refused.headers.get('access-control-expose-headers'), 'WWW-Authenticate,Mcp-Session-Id')
  })
})

describe('v2 example, NodeStreamableHTTPServerTransport behind requireFastMcpToken', () => {
  let run: Running
  before(async () => { run = await startExample({ serving: 'transport' }) })
  after(() => run.close())

  test('the legacy-mode client connects and whoami sees the AuthInfo the package built', async () => {
    const { token } = await run.auth.issueAccessToken({ clientId: 'transport', scopes: ['admin'] })
    await withClient(run.mcp, token, 'legacy', async (client) => {
      assert.equal(client.getProtocolEra(), 'legacy')
      const who = await client.callTool({ name: 'whoami', arguments: {} })
      assert.deepEqual(who.structuredContent, await expectedCaller(run.auth, token))
    })
  })

  test('auto mode falls back to the 2025 handshake: this transport serves no 2026-07-28 requests', async () => {
    const { token } = await run.auth.issueAccessToken({ clientId: 'transport-auto', scopes: ['notes:read'] })
    await withClient(run.mcp, token, 'auto', async (client) => {
      assert.equal(client.getProtocolEra(), 'legacy')
      const err = await insufficientScope(client.callTool({ name: 'write_note', arguments: { text: 'x' } }))
      assert.equal(err.requiredScope, 'notes:write')
      const read = await client.callTool({ name: 'read_notes', arguments: {} })
      assert.notEqual(read.isError, true, 'v2 scopeChallenge passes notes:read')
    })
  })
})
