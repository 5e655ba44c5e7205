import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { TokenCache, constantTimeEqual } from '../src/cache.js'
import { MemoryTokenStore, type FastMcpClaims } from '../src/index.js'
import { toAuthInfo } from '../src/verifier.js'
import { NOW, manualClock } from './helpers.js'

function entry(jti: string, token: string, exp = NOW + 60) {
  const claims = { iss: 'i', aud: 'a', client_id: 'c', scope: 'read', exp, jti } as FastMcpClaims
  return { token, claims, auth: toAuthInfo(token, claims) }
}

describe('TokenCache', () => {
  test('answers only for the byte-identical token', () => {
    const cache = new TokenCache({ max: 10, clock: manualClock().now, toleranceSeconds: 0 })
    cache.set(entry('j1', 'aaa.bbb.ccc'))
    assert.equal(cache.get('j1', 'aaa.bbb.ccc')?.claims.jti, 'j1')
    assert.equal(cache.get('j1', 'aaa.bbb.ccd'), undefined)
    assert.equal(cache.get('j1', 'aaa.bbb.cc'), undefined)
    assert.equal(cache.get('j2', 'aaa.bbb.ccc'), undefined)
  })

  test('forgets an entry at exp plus the tolerance, by the injected clock', () => {
    const clock = manualClock()
    const cache = new TokenCache({ max: 10, clock: clock.now, toleranceSeconds: 5 })
    cache.set(entry('j1', 't1', NOW + 60))
    clock.advance(64_999)
    assert.ok(cache.get('j1', 't1'))
    clock.advance(2)
    assert.equal(cache.get('j1', 't1'), undefined)
  })

  test('never stores a token with no life left (lru-cache would keep ttl 0 forever)', () => {
    const cache = new TokenCache({ max: 10, clock: manualClock().now, toleranceSeconds: 0 })
    cache.set(entry('dead', 't', NOW))
    cache.set(entry('past', 't', NOW - 100))
    assert.equal(cache.size, 0)
  })

  test('stays bounded by max, dropping the least recently used', () => {
    const cache = new TokenCache({ max: 3, clock: manualClock().now, toleranceSeconds: 0 })
    for (let i = 0; i < 10; i++) cache.set(entry(`j${i}`, `t${i}`))
    assert.equal(cache.size, 3)
    assert.equal(cache.get('j0', 't0'), undefined)
    assert.ok(cache.get('j9', 't9'))
  })
})

describe('toAuthInfo', () => {
  test('freezes claims nested deeper than the call stack (iteratively)', () => {
    let nested: unknown[] = []
    const root = nested
    for (let i = 0; i < 200_000; i++) {
      const next: unknown[] = []
      nested.push(next)
      nested = next
    }
    const claims = { iss: 'i', aud: 'https://a.example/mcp', client_id: 'c', exp: NOW + 60, jti: 'deep', upstream_claims: { root } } as unknown as FastMcpClaims
    const auth = toAuthInfo('t', claims)
    assert.ok(Object.isFrozen(auth.extra) && Object.isFrozen(nested), 'the innermost array is frozen too')
    assert.equal(auth.resource?.href, 'https://a.example/mcp')
  })
})

describe('constantTimeEqual', () => {
  test('is plain equality for strings', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true)
    assert.equal(constantTimeEqual('abc', 'abd'), false)
    assert.equal(constantTimeEqual('abc', 'ab'), false)
    assert.equal(constantTimeEqual('', ''), true)
  })
})

describe('MemoryTokenStore revocations', () => {
  test('remembers a revocation until the given time, then forgets it', async () => {
    const clock = manualClock()
    const store = new MemoryTokenStore({ clock: clock.now })
    await store.revoke([{ jti: 'j1', until: clock.now() + 1000 }])
    assert.equal(store.isRevoked('j1'), true)
    assert.equal(store.isRevoked('j2'), false)
    clock.advance(1001)
    assert.equal(store.isRevoked('j1'), false)
  })

  test('a later revocation of the same jti can only extend it', async () => {
    const clock = manualClock()
    const store = new MemoryTokenStore({ clock: clock.now })
    await store.revoke([{ jti: 'j1', until: clock.now() + 5000 }])
    await store.revoke([{ jti: 'j1', until: clock.now() + 1000 }])
    clock.advance(2000)
    assert.equal(store.isRevoked('j1'), true)
  })

  test('when full of live revocations, refuses a new one rather than forget an old one', async () => {
    const clock = manualClock()
    const store = new MemoryTokenStore({ clock: clock.now, maxRevocations: 2 })
    await store.revoke([{ jti: 'a', until: clock.now() + 1000 }])
    await store.revoke([{ jti: 'b', until: clock.now() + 5000 }])
    await assert.rejects(store.revoke([{ jti: 'c', until: clock.now() + 1000 }]), RangeError)
    assert.equal(store.isRevoked('a'), true)
    clock.advance(1500)
    await store.revoke([{ jti: 'c', until: clock.now() + 1000 }])
    assert.equal(store.isRevoked('c'), true)
    assert.equal(store.isRevoked('b'), true)
  })
})
