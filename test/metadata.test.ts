import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildProtectedResourceMetadata, createFastMcpAuth, protectedResourceMetadataUrl } from '../src/index.js'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastMcpMiddleware } from '../src/index.js'
import { AUDIENCE, ISSUER, VECTOR_KEY } from './helpers.js'

/** The metadata handler at the root, then the protected route: as an app mounts them. */
async function startRoot(metadata: FastMcpMiddleware, protect: FastMcpMiddleware) {
  let handled = 0
  const server = http.createServer((req, res) => {
    metadata(req, res, () => protect(req, res, () => {
      handled++
      res.end('ok')
    }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    url: `${origin}/mcp`,
    handled: () => handled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('protectedResourceMetadataUrl', () => {
  test('inserts the well-known path between origin and resource path (RFC 9728 §3.1)', () => {
    assert.equal(protectedResourceMetadataUrl('https://mcp.example.com/mcp'), 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp')
    assert.equal(protectedResourceMetadataUrl('https://mcp.example.com/'), 'https://mcp.example.com/.well-known/oauth-protected-resource')
    assert.equal(protectedResourceMetadataUrl('http://127.0.0.1:3000/a/mcp'), 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/a/mcp')
  })
})

describe('buildProtectedResourceMetadata', () => {
  test('refuses option values RFC 9728 does not allow', () => {
    assert.throws(() => buildProtectedResourceMetadata(AUDIENCE, { authorizationServers: ['not a url'] }), /authorizationServers/)
    assert.throws(() => buildProtectedResourceMetadata(AUDIENCE, { scopesSupported: [''] }), /scopesSupported/)
  })
})

describe('auth.protectedResourceMetadata', () => {
  test('serves the document at both well-known paths, and challenges point at it', async () => {
    const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE })
    const metadata = auth.protectedResourceMetadata({ authorizationServers: [ISSUER], scopesSupported: ['read'], resourceName: 'Notes' })
    const server = await startRoot(metadata, auth.requireFastMcpToken)
    const { origin } = server
    try {
      const expected = {
        resource: AUDIENCE,
        bearer_methods_supported: ['header'],
        authorization_servers: [ISSUER],
        scopes_supported: ['read'],
        resource_name: 'Notes',
      }
      for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp?x=1']) {
        const res = await fetch(origin + path)
        assert.equal(res.status, 200, path)
        assert.equal(res.headers.get('access-control-allow-origin'), '*')
        assert.deepEqual(await res.json(), expected)
      }
      const head = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`, { method: 'HEAD' })
      assert.equal(head.status, 200)
      const refused = await fetch(server.url)
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"')
      assert.equal(server.handled(), 0)
    } finally {
      await server.close()
    }
  })

  test('an explicit resourceMetadataUrl wins over the served one', async () => {
    const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, resourceMetadataUrl: 'https://meta.example.com/prm' })
    const server = await startRoot(auth.protectedResourceMetadata(), auth.requireFastMcpToken)
    try {
      assert.equal((await fetch(server.url)).headers.get('www-authenticate'), 'Bearer resource_metadata="https://meta.example.com/prm"')
    } finally {
      await server.close()
    }
  })

  test('needs an audience that is a URL', () => {
    const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: 'mcp-notes' })
    assert.throws(() => auth.protectedResourceMetadata(), /audience/)
  })
})
