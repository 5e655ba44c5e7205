import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readBearerToken, type BearerSources } from '../src/bearer.js'
import { FastMcpAuthError } from '../src/index.js'

const sources = (over: Partial<BearerSources>): BearerSources => ({
  authorization: undefined, authorizationCount: over.authorization === undefined ? 0 : 1, url: '/mcp', body: undefined, ...over,
})

function outcome(over: Partial<BearerSources>, max?: number): string {
  try {
    return `token:${readBearerToken(sources(over), max)}`
  } catch (err) {
    assert.ok(err instanceof FastMcpAuthError)
    return `${err.status}:${err.reason}`
  }
}

describe('readBearerToken', () => {
  const table: [string, Partial<BearerSources>, string][] = [
    ['a Bearer token', { authorization: 'Bearer abc.def-_~+/=' }, 'token:abc.def-_~+/='],
    ['the scheme case-insensitively', { authorization: 'bEaReR abc' }, 'token:abc'],
    ['surrounding and separating spaces', { authorization: '  Bearer    abc  ' }, 'token:abc'],
    ['surrounding tabs (HTTP optional whitespace)', { authorization: '\tBearer abc\t' }, 'token:abc'],
    ['a no-break space after the token as part of it', { authorization: 'Bearer abc\u00a0' }, '400:malformed_header'],
    ['no header: 401 without a code', {}, '401:missing_token'],
    ['an empty header: 401 without a code', { authorization: '' }, '401:missing_token'],
    ['another scheme: 401 without a code', { authorization: 'Basic dXNlcjpwYXNz' }, '401:missing_token'],
    ['a scheme that only starts with Bearer', { authorization: 'Bearerabc' }, '401:missing_token'],
    ['Bearer with no token', { authorization: 'Bearer' }, '400:malformed_header'],
    ['Bearer with only spaces', { authorization: 'Bearer   ' }, '400:malformed_header'],
    ['two tokens', { authorization: 'Bearer abc def' }, '400:malformed_header'],
    ['characters outside token68', { authorization: 'Bearer abc"def' }, '400:malformed_header'],
    ['padding in the middle', { authorization: 'Bearer ab=c' }, '400:malformed_header'],
    ['a tab inside the token', { authorization: 'Bearer ab\tc' }, '400:malformed_header'],
    ['several Authorization headers', { authorization: 'Bearer abc', authorizationCount: 2 }, '400:multiple_headers'],
    ['a token in the query string alone', { url: '/mcp?access_token=abc' }, '400:unsupported_method'],
    ['a percent-encoded query token', { url: '/mcp?access%5Ftoken=abc' }, '400:unsupported_method'],
    ['a query token next to the header', { authorization: 'Bearer abc', url: '/mcp?access_token=abc' }, '400:multiple_methods'],
    ['a form-body token alone', { body: { access_token: 'abc' } }, '400:unsupported_method'],
    ['a form-body token next to the header', { authorization: 'Bearer abc', body: { access_token: 'abc' } }, '400:multiple_methods'],
    ['another query parameter', { authorization: 'Bearer abc', url: '/mcp?session=1&token=2' }, 'token:abc'],
    ['a parsed JSON-RPC body', { authorization: 'Bearer abc', body: { jsonrpc: '2.0', method: 'tools/list' } }, 'token:abc'],
  ]
  for (const [name, over, expected] of table) {
    test(`reads ${name} as ${expected}`, () => assert.equal(outcome(over), expected))
  }

  test('refuses a token over the length cap as invalid_token, before looking at its characters', () => {
    assert.equal(outcome({ authorization: `Bearer ${'a'.repeat(8193)}` }), '401:too_large')
    assert.equal(outcome({ authorization: `Bearer ${'a'.repeat(8192)}` }), `token:${'a'.repeat(8192)}`)
    assert.equal(outcome({ authorization: `Bearer ${'"'.repeat(101)}` }, 100), '401:too_large')
  })
})
