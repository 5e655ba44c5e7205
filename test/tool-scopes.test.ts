// requireToolScopes: per-tool scopes decided from the parsed JSON-RPC body, on any SDK,
// through live servers (Express 5, Express 4, node:http).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { FastMcpAuthError, HeaderMismatchError, InsufficientScopeError, type FastMcpMiddleware } from '../src/index.js'
import { METADATA_URL, SERVER_KINDS, claims, createAuthContext, signToken, startServer, type AuthContext, type TestServer } from './helpers.js'

/** A JSON body parser for every server kind, as express.json() would set req.body. */
const parseJson: FastMcpMiddleware = (req, res, next) => {
  if (!/\bjson\b/.test(req.headers['content-type'] ?? '')) return next()
  let text = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => { text += chunk })
  req.on('end', () => {
    try {
      ;(req as { body?: unknown }).body = JSON.parse(text)
    } catch {
      res.statusCode = 400
      res.end()
      return
    }
    next()
  })
}

const MAP = { write_note: ['notes:write'], delete_note: ['notes:write', 'notes:admin'], ping_tool: [] }
const TOKENS = {
  reader: signToken(claims({ jti: 'ts-reader', scope: 'notes:read' })),
  writer: signToken(claims({ jti: 'ts-writer', scope: 'notes:read notes:write' })),
}
const call = (name: unknown, id: number | string = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })
const scopeChallenge = (scope: string) =>
  `Bearer error="insufficient_scope", error_description="The token lacks a required scope", scope="${scope}", resource_metadata="${METADATA_URL}"`

async function post(url: string, body: unknown, token: string | undefined, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) as Record<string, unknown> : text }
}

for (const kind of SERVER_KINDS) {
  describe(`requireToolScopes under ${kind}`, () => {
    let ctx: AuthContext
    let server: TestServer
    let withDefaults: TestServer
    before(async () => {
      ctx = createAuthContext()
      server = await startServer(kind, [ctx.auth.requireFastMcpToken, parseJson, ctx.auth.requireToolScopes(MAP)])
      withDefaults = await startServer(kind, [ctx.auth.requireFastMcpToken, parseJson, ctx.auth.requireToolScopes(MAP, { defaultScopes: ['tools:any'] })])
    })
    after(async () => {
      await server.close()
      await withDefaults.close()
    })

    const expectRefused = async (target: TestServer, body: unknown, token: string, scope: string, headers?: Record<string, string>) => {
      const before = target.handled()
      const res = await post(target.url, body, token, headers)
      assert.equal(res.status, 403)
      assert.equal(res.challenge, scopeChallenge(scope))
      assert.deepEqual(res.body, { error: 'insufficient_scope', error_description: 'The token lacks a required scope' })
      assert.equal(target.handled(), before, 'the handler must not run')
    }

    test('a tools/call for a mapped tool without its scope: 403 insufficient_scope naming the scope, handler never runs', async () => {
      await expectRefused(server, call('write_note'), TOKENS.reader, 'notes:write')
    })

    test('the challenge names every scope the operation needs, granted ones included', async () => {
      await expectRefused(server, call('delete_note'), TOKENS.writer, 'notes:write notes:admin')
    })

    test('with the tool\'s scopes the call passes', async () => {
      const res = await post(server.url, call('write_note'), TOKENS.writer)
      assert.equal(res.status, 200)
    })

    test('tools not in the map, a tool mapped to [], and other methods pass', async () => {
      for (const body of [call('search'), call('ping_tool'), { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { jsonrpc: '2.0', method: 'notifications/initialized' }]) {
        assert.equal((await post(server.url, body, TOKENS.reader)).status, 200, JSON.stringify(body))
      }
    })

    test('tool names that are Object.prototype members are just unlisted tools', async () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        assert.equal((await post(server.url, call(name), TOKENS.reader)).status, 200, name)
      }
    })

    test('defaultScopes guard unlisted tools (and calls without a usable name); a tool mapped to [] still passes', async () => {
      await expectRefused(withDefaults, call('search'), TOKENS.writer, 'tools:any')
      await expectRefused(withDefaults, call(42), TOKENS.writer, 'tools:any')
      await expectRefused(withDefaults, { jsonrpc: '2.0', id: 1, method: 'tools/call' }, TOKENS.writer, 'tools:any')
      assert.equal((await post(withDefaults.url, call('ping_tool'), TOKENS.reader)).status, 200)
      assert.equal((await post(withDefaults.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, TOKENS.reader)).status, 200)
    })

    test('a batch with one call the token lacks scopes for: one 403 naming every scope the batch\'s calls need', async () => {
      const batch = [call('search', 1), call('write_note', 2), { jsonrpc: '2.0', id: 3, method: 'tools/list' }, call('delete_note', 4)]
      await expectRefused(server, batch, TOKENS.reader, 'notes:write notes:admin')
      await expectRefused(server, [call('write_note', 1), call('delete_note', 2)], TOKENS.writer, 'notes:write notes:admin')
      assert.equal((await post(server.url, [call('write_note', 1), call('search', 2)], TOKENS.writer)).status, 200)
    })

    test('matching Mcp-Method and Mcp-Name headers (plain or base64-encoded) change nothing', async () => {
      const headers = { 'mcp-method': 'tools/call', 'mcp-name': 'write_note', 'mcp-protocol-version': '2026-07-28' }
      assert.equal((await post(server.url, call('write_note'), TOKENS.writer, headers)).status, 200)
      await expectRefused(server, call('write_note'), TOKENS.reader, 'notes:write', headers)
      const encoded = { 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from('write_note').toString('base64')}?=` }
      await expectRefused(server, call('write_note'), TOKENS.reader, 'notes:write', encoded)
      const spaced = `=?base64?${Buffer.from(' résumé ').toString('base64')}?=`
      assert.equal((await post(server.url, call(' résumé '), TOKENS.reader, { 'mcp-method': 'tools/call', 'mcp-name': spaced })).status, 200)
    })

    for (const [name, body, headers, header, id] of [
      ['Mcp-Method names another method', call('write_note', 7), { 'mcp-method': 'tools/list' }, 'Mcp-Method', 7],
      ['Mcp-Name names an unguarded tool while the body calls a guarded one', call('write_note', 'req-8'), { 'mcp-method': 'tools/call', 'mcp-name': 'search' }, 'Mcp-Name', 'req-8'],
      ['Mcp-Name alone disagrees', call('write_note', 9), { 'mcp-name': 'search' }, 'Mcp-Name', 9],
      ['Mcp-Name carries a broken base64 sentinel', call('write_note', 10), { 'mcp-name': '=?base64?d3JpdGVfbm90ZQ?=' }, 'Mcp-Name', 10],
      ['Mcp-Method next to a batch', [call('write_note', 1)], { 'mcp-method': 'tools/call' }, 'Mcp-Method', null],
      ['Mcp-Method on a JSON-RPC response', { jsonrpc: '2.0', id: 5, result: {} }, { 'mcp-method': 'tools/call' }, 'Mcp-Method', 5],
      ['Mcp-Method sent twice', call('write_note', 11), { 'mcp-method': 'tools/call, tools/call' }, 'Mcp-Method', 11],
    ] as const) {
      test(`header mismatch, ${name}: 400 with JSON-RPC error -32020, no challenge, handler never runs`, async () => {
        const before = server.handled()
        const res = await post(server.url, body, TOKENS.writer, headers)
        assert.equal(res.status, 400)
        assert.equal(res.challenge, null)
        assert.deepEqual(res.body, {
          jsonrpc: '2.0',
          id,
          error: { code: -32020, message: `Bad Request: the request headers and body disagree: the ${header} header does not match the body`, data: { header } },
        })
        assert.equal(server.handled(), before)
        const event = ctx.rejected.at(-1)!
        assert.ok(event.error instanceof HeaderMismatchError)
        assert.equal(event.error.reason, 'header_mismatch')
        assert.equal(event.error.code, 'invalid_request')
      })
    }

    test('onRejected sees the 403 with the required scopes', async () => {
      await post(server.url, call('delete_note'), TOKENS.reader)
      const { error } = ctx.rejected.at(-1)!
      assert.ok(error instanceof InsufficientScopeError)
      assert.deepEqual(error.requiredScopes, ['notes:write', 'notes:admin'])
    })

    test('GET and DELETE carry no call and pass; a CORS preflight passes without credentials', async () => {
      for (const method of ['GET', 'DELETE']) {
        const res = await fetch(server.url, { method, headers: { authorization: `Bearer ${TOKENS.reader}` } })
        assert.equal(res.status, 200, method)
      }
      const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
      assert.equal(preflight.status, 200, 'reached the handler')
    })
  })
}

describe('requireToolScopes, fail-closed paths', () => {
  let ctx: AuthContext
  const servers: TestServer[] = []
  after(() => Promise.all(servers.map((s) => s.close())))
  before(() => { ctx = createAuthContext() })

  test('chained without requireFastMcpToken (no req.auth): 401 invalid_token, like requireScopes', async () => {
    const server = await startServer('express5', [parseJson, ctx.auth.requireToolScopes(MAP)])
    servers.push(server)
    const res = await post(server.url, call('search'), undefined)
    assert.equal(res.status, 401)
    assert.equal(res.challenge, `Bearer error="invalid_token", error_description="The token is malformed", resource_metadata="${METADATA_URL}"`)
    assert.equal(server.handled(), 0)
  })

  test('a JSON POST no parser read: a set-up error handed to next(err), never the handler', async () => {
    const server = await startServer('http', [ctx.auth.requireFastMcpToken, ctx.auth.requireToolScopes(MAP)])
    servers.push(server)
    const res = await post(server.url, call('write_note'), TOKENS.reader)
    assert.equal(res.status, 500)
    assert.equal(res.body, 'next(err)')
    assert.equal(server.handled(), 0)
  })

  test('a POST of another media type: 415 with the JSON-RPC error both SDKs answer', async () => {
    const server = await startServer('http', [ctx.auth.requireFastMcpToken, parseJson, ctx.auth.requireToolScopes(MAP)])
    servers.push(server)
    const res = await post(server.url, JSON.stringify(call('write_note')), TOKENS.reader, { 'content-type': 'text/plain' })
    assert.equal(res.status, 415)
    assert.deepEqual(res.body, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' } })
    assert.equal(server.handled(), 0)
  })

  test('passErrorsToNext: the 403 and the 400 go to next(err) as typed errors', async () => {
    const passing = createAuthContext({ passErrorsToNext: true })
    const seen: unknown[] = []
    const server = await startServer('http', [passing.auth.requireFastMcpToken, parseJson, (req, res, next) => {
      passing.auth.requireToolScopes(MAP)(req, res, (err?: unknown) => {
        if (err !== undefined) seen.push(err)
        next(err)
      })
    }])
    servers.push(server)
    assert.equal((await post(server.url, call('write_note'), TOKENS.reader)).status, 500)
    assert.equal((await post(server.url, call('write_note'), TOKENS.writer, { 'mcp-method': 'tools/list' })).status, 500)
    assert.equal(server.handled(), 0)
    assert.ok(seen[0] instanceof InsufficientScopeError && seen[0].status === 403)
    assert.ok(seen[1] instanceof HeaderMismatchError && seen[1].status === 400)
    assert.deepEqual(seen[1].toJsonRpc().error.code, -32020)
    assert.ok(seen.every((e) => e instanceof FastMcpAuthError))
  })

  test('bad maps and options are set-up errors naming requireToolScopes', () => {
    for (const [map, options] of [
      [null, undefined],
      [[], undefined],
      [{ write_note: 'notes:write' }, undefined],
      [{ write_note: ['notes write'] }, undefined],
      [{ '': ['x'] }, undefined],
      [MAP, { defaultScopes: 'x' }],
      [MAP, { defaultScopes: ['a"b'] }],
    ] as const) {
      assert.throws(() => ctx.auth.requireToolScopes(map as never, options as never), (err: unknown) => err instanceof TypeError && err.message.startsWith('requireToolScopes: '), JSON.stringify([map, options]))
    }
  })
})
