import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { HEADER_MISMATCH_ERROR_CODE, HeaderMismatchError } from '../src/index.js'
import { checkMcpHeaders, readToolCalls } from '../src/jsonrpc.js'

const b64 = (value: string) => `=?base64?${Buffer.from(value).toString('base64')}?=`

describe('readToolCalls', () => {
  test('names every tools/call of a request or a batch, and nothing else', () => {
    assert.deepEqual(readToolCalls({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a' } }), ['a'])
    assert.deepEqual(readToolCalls([
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a' } },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'tools/call', params: { name: 'b' } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 7 } },
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: ['a'] },
      null,
      'tools/call',
    ]), ['a', 'b', undefined, undefined])
    for (const body of [{}, [], null, 'x', 3, { method: 'prompts/get', params: { name: 'a' } }]) assert.deepEqual(readToolCalls(body), [])
  })
})

describe('checkMcpHeaders', () => {
  const toolCall = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'write_note' } }

  test('no headers, or headers that agree with the body, pass', () => {
    assert.equal(checkMcpHeaders({}, toolCall), undefined)
    assert.equal(checkMcpHeaders({ 'mcp-method': ' tools/call\t', 'mcp-name': 'write_note' }, toolCall), undefined)
    assert.equal(checkMcpHeaders({ 'mcp-method': 'resources/read', 'mcp-name': b64('file:///a b') }, { id: 1, method: 'resources/read', params: { uri: 'file:///a b' } }), undefined)
    assert.equal(checkMcpHeaders({ 'mcp-name': 't-1' }, { id: 1, method: 'tasks/get', params: { taskId: 't-1' } }), undefined)
  })

  test('Mcp-Name on a method it does not mirror, or on a body without the field, is left to the SDK', () => {
    assert.equal(checkMcpHeaders({ 'mcp-name': 'anything' }, { id: 1, method: 'tools/list' }), undefined)
    assert.equal(checkMcpHeaders({ 'mcp-name': 'anything' }, { id: 1, method: 'tools/call', params: {} }), undefined)
  })

  test('disagreements are HeaderMismatchError with the request id and the header', () => {
    const cases: [Record<string, string | string[]>, unknown, 'Mcp-Method' | 'Mcp-Name', string | number | null][] = [
      [{ 'mcp-method': 'tools/list' }, toolCall, 'Mcp-Method', 1],
      [{ 'mcp-method': 'Tools/Call' }, toolCall, 'Mcp-Method', 1],
      [{ 'mcp-method': ['tools/call', 'tools/call'] }, toolCall, 'Mcp-Method', 1],
      [{ 'mcp-name': 'search' }, toolCall, 'Mcp-Name', 1],
      [{ 'mcp-name': b64('search') }, toolCall, 'Mcp-Name', 1],
      [{ 'mcp-name': '=?base64?***?=' }, toolCall, 'Mcp-Name', 1],
      [{ 'mcp-name': `=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=` }, toolCall, 'Mcp-Name', 1],
      [{ 'mcp-name': 'write_note' }, [toolCall], 'Mcp-Name', null],
      [{ 'mcp-method': 'tools/call' }, 'tools/call', 'Mcp-Method', null],
      [{ 'mcp-name': 'other' }, { id: 'x', method: 'prompts/get', params: { name: 'p' } }, 'Mcp-Name', 'x'],
    ]
    for (const [headers, body, header, id] of cases) {
      const error = checkMcpHeaders(headers, body)
      assert.ok(error instanceof HeaderMismatchError, JSON.stringify(headers))
      assert.equal(error.header, header)
      assert.equal(error.requestId, id)
      assert.equal(error.status, 400)
      assert.deepEqual(error.headers, {})
      assert.equal(error.toJsonRpc().error.code, HEADER_MISMATCH_ERROR_CODE)
    }
  })
})
