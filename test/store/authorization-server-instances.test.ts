// The authorization server on two instances in processes of their own, sharing a
// RedisTokenStore on the shared Redis (127.0.0.1:6379) under a fresh key prefix: every step
// of a login lands on the other instance from the step before.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { VECTOR_KEY } from '../helpers.js'
import { REDIRECT_URI, authorizeParams, authorizeRequest, payloadOf, pendingOf, pkcePair, postLogin, register, submitLoginPage, tokenRequest } from '../oauth-helpers.js'
import { startInstance, stopInstances, type Instance } from './instances.js'
import { SHARED_REDIS_URL, connectClient, deleteKeys, eventually, freshPrefix } from './redis-helpers.js'

const APP = fileURLToPath(new URL('./authorization-server-app.ts', import.meta.url))
// one deployment behind one public URL; each instance listens on a port of its own
const ISSUER = 'http://127.0.0.1/'
const AUDIENCE = 'http://127.0.0.1/mcp'

describe('the authorization server on two processes sharing a RedisTokenStore', () => {
  const prefix = freshPrefix('authz')
  const instances: Instance[] = []
  let a: Instance
  let b: Instance

  before(async () => {
    const env = { REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix, SIGNING_KEY: VECTOR_KEY, ISSUER, AUDIENCE }
    ;[a, b] = await Promise.all([startInstance('A', env, APP), startInstance('B', env, APP)])
    instances.push(a, b)
  })

  after(async () => {
    await stopInstances(instances)
    const client = await connectClient()
    try {
      await deleteKeys(client, prefix)
    } finally {
      client.destroy()
    }
  })

  const mcp = async (instance: Instance, token: string): Promise<{ status: number; body: Record<string, unknown> | undefined }> => {
    const res = await fetch(`${instance.url}/mcp`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, body: res.status === 200 ? await res.json() as Record<string, unknown> : (await res.arrayBuffer(), undefined) }
  }

  test('register on A, authorize on B, log in on A, exchange the code on B; the tokens work on both', async () => {
    const client = await register(a.url)
    const { verifier, challenge } = pkcePair()
    const page = await authorizeRequest(b.url, authorizeParams(client, { code_challenge: challenge, scope: 'read' }))
    assert.equal(page.status, 200, 'B knows the client A registered')
    const back = await postLogin(a.url, pendingOf(await page.text()))
    assert.equal(back.status, 303, 'A completes the login B began')
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const granted = await tokenRequest(b.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
    assert.equal(granted.status, 200, 'B redeems the code A issued')
    assert.equal(payloadOf(granted.body.access_token as string).sub, 'demo')
    for (const instance of [a, b]) {
      assert.deepEqual((await mcp(instance, granted.body.access_token as string)).body, { clientId: client.client_id, sub: 'demo', scopes: ['read'] })
    }

    // the code is single use across instances, and its replay on A ends the grant on both
    const replay = await tokenRequest(a.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
    assert.equal(replay.body.error, 'invalid_grant')
    for (const instance of [a, b]) {
      await eventually(async () => (await mcp(instance, granted.body.access_token as string)).status === 401, 1000, `${instance.name} refuses the grant's access token`)
    }
    const refresh = await tokenRequest(b.url, { grant_type: 'refresh_token', refresh_token: granted.body.refresh_token as string, client_id: client.client_id })
    assert.equal(refresh.body.error, 'invalid_grant')
  })

  test('the development login page, submitted on the other instance, and a refresh there', async () => {
    const client = await register(b.url)
    const { verifier, challenge } = pkcePair()
    const page = await authorizeRequest(a.url, authorizeParams(client, { code_challenge: challenge }))
    const back = await submitLoginPage(page)
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!
    const granted = await tokenRequest(a.url, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI })
    const rotated = await tokenRequest(b.url, { grant_type: 'refresh_token', refresh_token: granted.body.refresh_token as string, client_id: client.client_id })
    assert.equal(rotated.status, 200)
    assert.equal(payloadOf(rotated.body.access_token as string).sub, 'demo')
    assert.equal((await mcp(a, rotated.body.access_token as string)).status, 200)
  })
})
