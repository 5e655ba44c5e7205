import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { readBearerToken, type BearerSources } from '../src/bearer.js'
import { FastMcpAuthError } from '../src/index.js'

const sources = (over: Partial<BearerSources>): BearerSources => ({
  authorization: undefined, authorizationCount: over.authorization === undefined ? 0 : 1, url: '/mcp', body: undefined, contentType: undefined, ...over,
})
const FORM = 'application/x-www-form-urlencoded'

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
    // an empty credential is no credential: a 401 is what starts an MCP client's OAuth discovery
    ['Bearer with no token: 401 without a code', { authorization: 'Bearer' }, '401:missing_token'],
    ['Bearer and one space: 401 without a code', { authorization: 'Bearer ' }, '401:missing_token'],
    ['Bearer with only spaces and tabs: 401 without a code', { authorization: 'Bearer \t  ' }, '401:missing_token'],
    ['two tokens', { authorization: 'Bearer abc def' }, '400:malformed_header'],
    ['characters outside token68', { authorization: 'Bearer abc"def' }, '400:malformed_header'],
    ['padding in the middle', { authorization: 'Bearer ab=c' }, '400:malformed_header'],
    ['a tab inside the token', { authorization: 'Bearer ab\tc' }, '400:malformed_header'],
    ['several Authorization headers', { authorization: 'Bearer abc', authorizationCount: 2 }, '400:multiple_headers'],
    ['a token in the query string alone', { url: '/mcp?access_token=abc' }, '400:unsupported_method'],
    ['a percent-encoded query token', { url: '/mcp?access%5Ftoken=abc' }, '400:unsupported_method'],
    ['a query token next to the header', { authorization: 'Bearer abc', url: '/mcp?access_token=abc' }, '400:multiple_methods'],
    ['a form-body token alone', { body: { access_token: 'abc' }, contentType: FORM }, '400:unsupported_method'],
    ['a form-body token next to the header', { authorization: 'Bearer abc', body: { access_token: 'abc' }, contentType: FORM }, '400:multiple_methods'],
    ['a form-body token with a charset parameter', { authorization: 'Bearer abc', body: { access_token: 'abc' }, contentType: 'Application/X-WWW-Form-URLEncoded ; charset=UTF-8' }, '400:multiple_methods'],
    // RFC 6750 §2.2: only a form body carries a token; a JSON member of that name is data
    ['a JSON body with an access_token member', { authorization: 'Bearer abc', body: { access_token: 'x' }, contentType: 'application/json' }, 'token:abc'],
    ['a JSON body with an access_token member and no header', { body: { access_token: 'x' }, contentType: 'application/json; charset=utf-8' }, '401:missing_token'],
    ['a parsed body of unknown type with an access_token member', { authorization: 'Bearer abc', body: { access_token: 'x' } }, 'token:abc'],
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
