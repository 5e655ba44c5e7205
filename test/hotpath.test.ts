// The fast paths the benchmarks asked for keep the same answers as the plain ones.
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, test } from 'node:test'
import { constantTimeEqual } from '../src/cache.js'
import {
  InsufficientScopeError, InvalidTokenError, MemoryTokenStore, MissingTokenError, StoreUnavailableError, createFastMcpAuth,
  sendAuthError, type FastMcpAuth, type FastMcpAuthError,
} from '../src/index.js'
import { readUnverifiedJti } from '../src/verifier.js'
import { AUDIENCE, ISSUER, NOW, NOW_MS, VECTOR_KEY, claims, manualClock, signToken } from './helpers.js'

describe('constantTimeEqual', () => {
  test('agrees with === for ASCII strings of every length around a word', () => {
    for (let n = 0; n <= 9; n++) {
      const a = 'x'.repeat(n)
      assert.equal(constantTimeEqual(a, a.split('').join('')), true)
      for (let i = 0; i < n; i++) assert.equal(constantTimeEqual(a, `${a.slice(0, i)}y${a.slice(i + 1)}`), false)
    }
  })

  test('compares non-ASCII and very long strings by character, not by their low bytes', () => {
    assert.equal(constantTimeEqual('\u0100', '\u0000'), false)
    assert.equal(constantTimeEqual('é', 'é'), true)
    assert.equal(constantTimeEqual('aé', 'ae'), false)
    const long = 'a'.repeat(20_000)
    assert.equal(constantTimeEqual(long, `${long.slice(0, -1)}a`), true)
    assert.equal(constantTimeEqual(long, `${long.slice(0, -1)}b`), false)
  })
})

describe('readUnverifiedJti', () => {
  const token = (payload: string) => `e30.${Buffer.from(payload).toString('base64url')}.sig`

  test('reads FastMCP\'s compact form, and parses any other form', () => {
    assert.equal(readUnverifiedJti(token('{"exp":1,"jti":"abc-123"}')), 'abc-123')
    assert.equal(readUnverifiedJti(token('{"exp":1, "jti" : "spaced"}')), 'spaced')
    assert.equal(readUnverifiedJti(token('{"jti":"a\\"b"}')), 'a"b')
    assert.equal(readUnverifiedJti(token('{"jti":"\u00e9t\u00e9"}')), '\u00e9t\u00e9')
    assert.equal(readUnverifiedJti(token('{"jti":7}')), undefined)
    assert.equal(readUnverifiedJti(token('not json')), undefined)
    assert.equal(readUnverifiedJti('no-dots'), undefined)
  })
})

describe('requireFastMcpToken fast paths', () => {
  const setup = () => createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: manualClock().now })
  type Auth = ReturnType<typeof setup>
  const request = (token: string) =>
    ({ method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`] }) as unknown as IncomingMessage
  const response = (onEnd = () => {}) => {
    const res = { statusCode: 200, headersSent: false, ended: false, setHeader: () => res, end: () => { res.ended = true; onEnd() } }
    return res
  }
  /** Runs the middleware; resolves with `req.auth` when it passes, `undefined` when it answers. */
  const run = (auth: Auth, token: string) =>
    new Promise<unknown>((resolve) => {
      const req = request(token)
      const res = response(() => resolve(undefined))
      auth.requireFastMcpToken(req, res as unknown as ServerResponse, () => resolve((req as { auth?: unknown }).auth))
    })

  test('refuses a forged token before returning: no promise, one HMAC', async () => {
    const auth = setup()
    await auth.ready
    assert.ok(await run(auth, signToken(claims({ jti: 'hot-1' }))))
    const wrongKey = 'w'.repeat(44)
    for (const forged of [signToken(claims({ jti: 'hot-1' }), { key: wrongKey }), signToken(claims({ jti: 'hot-2' }), { key: wrongKey })]) {
      const res = response()
      let nextCalled = false
      auth.requireFastMcpToken(request(forged), res as unknown as ServerResponse, () => { nextCalled = true })
      assert.equal(res.ended, true)
      assert.equal(res.statusCode, 401)
      assert.equal(nextCalled, false)
    }
  })

  test('cache hits share one frozen AuthInfo equal to the one full verification built', async () => {
    const auth = setup()
    const valid = signToken(claims({ jti: 'hot-3', upstream_claims: { sub: 'u1' } }))
    const first = await run(auth, valid)
    const second = await run(auth, valid)
    const third = await run(auth, valid)
    assert.ok(first)
    assert.deepEqual(second, first)
    assert.equal(third, second)
    assert.ok(Object.isFrozen(third))
  })

  test('a token revoked elsewhere, or expired, is refused while its AuthInfo is remembered', async () => {
    const clock = manualClock()
    const revoked = new Set<string>()
    // a shared store: another instance revoked the jti, so this cache still holds the entry
    class SharedStore extends MemoryTokenStore {
      override isRevoked(jti: string): boolean {
        return revoked.has(jti)
      }
    }
    const auth = createFastMcpAuth({ signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: clock.now, store: new SharedStore() })
    const valid = signToken(claims({ jti: 'hot-4', exp: NOW + 60 }))
    assert.ok(await run(auth, valid))
    assert.ok(await run(auth, valid))
    revoked.add('hot-4')
    assert.equal(await run(auth, valid), undefined)
    revoked.delete('hot-4')
    assert.ok(await run(auth, valid))
    clock.advance(60_000)
    assert.equal(await run(auth, valid), undefined)
  })

  test('the token\'s characters are still checked on a miss, after the cache lookup', async () => {
    const auth = setup()
    const valid = signToken(claims({ jti: 'hot-5' }))
    assert.ok(await run(auth, valid))
    for (const bad of [`${valid}"`, `${valid.slice(0, 20)}!${valid.slice(21)}`, 'a\tb']) {
      const res = response()
      auth.requireFastMcpToken(request(bad), res as unknown as ServerResponse, () => assert.fail('passed'))
      assert.equal(res.statusCode, 400)
    }
  })

  test('refusal errors carry no stack frames', () => {
    const err = new InvalidTokenError('bad_signature')
    assert.equal(err.stack?.includes('\n    at '), false)
  })
})

describe('replayed forgeries', () => {
  // the status requireFastMcpToken answers a GET carrying `token` with (200: it called next)
  const statusFor = (auth: FastMcpAuth, token: string) => new Promise<number>((resolve) => {
    const req = { method: 'GET', url: '/mcp', headers: { authorization: `Bearer ${token}` }, rawHeaders: ['Authorization', `Bearer ${token}`] } as unknown as IncomingMessage
    const res = { statusCode: 200, headersSent: false, setHeader: () => res, end: () => resolve(res.statusCode) }
    auth.requireFastMcpToken(req, res as unknown as ServerResponse, () => resolve(200))
  })

  test('a forged token replayed is refused as bad_signature every time; a valid token with its jti is untouched', async () => {
    const reasons: string[] = []
    const auth = createFastMcpAuth({
      signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: () => NOW_MS,
      onRejected: (e) => reasons.push(e.error.reason),
    })
    await auth.ready
    const send = (token: string) => statusFor(auth, token)
    const forged = signToken(claims({ jti: 'replayed' }), { key: 'k'.repeat(44) })
    for (let i = 0; i < 3; i++) assert.equal(await send(forged), 401)
    assert.deepEqual(reasons, ['bad_signature', 'bad_signature', 'bad_signature'])
    assert.equal(await send(signToken(claims({ jti: 'replayed' }))), 200)
    assert.equal(await send(forged), 401)
  })

  test('a store stale past maxStalenessMs answers 503 for a replayed forgery too, as for any token', async () => {
    let stale = 0
    class StaleStore extends MemoryTokenStore {
      override staleForMs(): number {
        return stale
      }
    }
    const auth = createFastMcpAuth({
      signingKey: VECTOR_KEY, issuer: ISSUER, audience: AUDIENCE, clock: () => NOW_MS,
      store: new StaleStore({ clock: () => NOW_MS }), maxStalenessMs: 60_000,
    })
    await auth.ready
    const send = (token: string) => statusFor(auth, token)
    const forged = signToken(claims({ jti: 'replayed' }), { key: 'k'.repeat(44) })
    assert.equal(await send(forged), 401)
    stale = 120_000
    assert.equal(await send(forged), 503)
    assert.equal(await send(signToken(claims({ jti: 'other' }), { key: 'k'.repeat(44) })), 503)
    assert.equal(auth.stats().requests.refusedByReason.store_unavailable, 2)
  })
})

describe('refusal responses', () => {
  // what sendAuthError writes, against what the error's own headers and toJSON say
  const written = (error: FastMcpAuthError) => {
    const headers: Record<string, string | number> = {}
    const res = { statusCode: 0, body: '', setHeader: (name: string, value: string | number) => { headers[name] = value }, end: (body: string) => { res.body = body } }
    sendAuthError(res as unknown as ServerResponse, error)
    return { status: res.statusCode, headers, body: res.body }
  }
  const expected = (error: FastMcpAuthError) => {
    const body = JSON.stringify(error)
    return {
      status: error.status,
      headers: { ...error.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) },
      body,
    }
  }
  const withMetadata = <E extends FastMcpAuthError>(error: E, url: string | undefined): E => {
    error.resourceMetadataUrl = url
    return error
  }

  test('each refusal is written exactly, whatever was written before it: reason, scopes, metadata URL, class', () => {
    class RealmError extends InvalidTokenError {
      override get headers(): Record<string, string> {
        return { 'www-authenticate': 'Bearer realm="tools"' }
      }
    }
    const a = 'https://a.example/.well-known/oauth-protected-resource/mcp'
    const b = 'https://b.example/.well-known/oauth-protected-resource/mcp'
    const errors = [
      () => withMetadata(new InvalidTokenError('expired'), undefined),
      () => withMetadata(new InvalidTokenError('expired'), a),
      () => withMetadata(new InvalidTokenError('expired'), b),
      () => withMetadata(new InvalidTokenError('bad_signature'), a),
      () => withMetadata(new MissingTokenError(), a),
      () => withMetadata(new InsufficientScopeError(['notes:read']), a),
      () => withMetadata(new InsufficientScopeError(['notes:read', 'notes:write']), a),
      () => withMetadata(new RealmError('expired'), a),
      () => new StoreUnavailableError(),
    ]
    // twice over, forwards then backwards: the second writing of each comes from the cache
    for (const make of [...errors, ...errors.slice().reverse(), ...errors]) {
      const error = make()
      assert.deepEqual(written(error), expected(error))
    }
    const challenge = (error: FastMcpAuthError) => String(written(error).headers['www-authenticate'])
    assert.match(challenge(withMetadata(new InvalidTokenError('expired'), b)), /resource_metadata="https:\/\/b\.example\//)
    assert.equal(challenge(withMetadata(new RealmError('expired'), a)), 'Bearer realm="tools"')
    assert.match(challenge(withMetadata(new InvalidTokenError('expired'), a)), /^Bearer error="invalid_token"/)
    assert.match(challenge(withMetadata(new InsufficientScopeError(['notes:read', 'notes:write']), a)), /scope="notes:read notes:write"/)
  })

  test('a subclass answering per instance, or one error with its headers overridden, never lends its answer to another', () => {
    class TenantError extends InvalidTokenError {
      constructor(readonly tenant: string) {
        super('expired')
      }
      override get headers(): Record<string, string> {
        return { 'www-authenticate': `Bearer realm="${this.tenant}", error="invalid_token"` }
      }
    }
    assert.equal(written(new TenantError('alice')).headers['www-authenticate'], 'Bearer realm="alice", error="invalid_token"')
    assert.equal(written(new TenantError('bob')).headers['www-authenticate'], 'Bearer realm="bob", error="invalid_token"')

    const plain = () => written(new InvalidTokenError('revoked')).headers['www-authenticate']
    const before = plain()
    const overridden = new InvalidTokenError('revoked')
    Object.defineProperty(overridden, 'headers', { value: { 'www-authenticate': 'Bearer realm="one-request"' } })
    assert.equal(written(overridden).headers['www-authenticate'], 'Bearer realm="one-request"')
    assert.equal(plain(), before)
  })

  test('the shared response cannot be changed by what receives it', () => {
    const headers: [string, unknown][] = []
    const res = { statusCode: 0, setHeader: (name: string, value: unknown) => headers.push([name, value]), end: () => {} }
    sendAuthError(res as unknown as ServerResponse, new InvalidTokenError('expired'))
    const shared = (new InvalidTokenError('expired') as unknown as { response: { headers: unknown[][] } }).response
    assert.throws(() => shared.headers.push(['set-cookie', 'x=1']), TypeError)
    assert.throws(() => { shared.headers[0]![1] = 'Bearer realm="evil"' }, TypeError)
    // as before the cache: content-length as a number
    assert.deepEqual(headers.find(([name]) => name === 'content-length'), ['content-length', Buffer.byteLength(JSON.stringify(new InvalidTokenError('expired')))])
  })
})
