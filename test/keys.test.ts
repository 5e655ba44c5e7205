import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { DEFAULT_SALT, KDF_ITERATIONS, deriveJwtKey } from '../src/index.js'
import { vectors } from './helpers.js'

const text = (key: Uint8Array): string => Buffer.from(key).toString('latin1')

describe('deriveJwtKey', () => {
  for (const v of vectors.derive) {
    test(`reproduces FastMCP's key for vector ${v.id} (${v.mode} entropy)`, async () => {
      const key = await deriveJwtKey(v.mode === 'high'
        ? { highEntropyMaterial: v.material, salt: v.salt }
        : { lowEntropyMaterial: v.material, salt: v.salt })
      assert.equal(text(key), v.key)
    })
  }

  test('returns the 44 ASCII bytes of padded urlsafe base64 text, which are the key', async () => {
    const key = await deriveJwtKey({ highEntropyMaterial: 'upstream-client-secret', salt: DEFAULT_SALT })
    assert.ok(key instanceof Uint8Array)
    assert.equal(key.length, 44)
    assert.match(text(key), /^[A-Za-z0-9_-]{43}=$/)
    assert.equal(Buffer.from(text(key), 'base64url').length, 32)
  })

  test('uses FastMCP\'s default salt when none is given', async () => {
    const v = vectors.derive.find((d) => d.id === 'derive-2-high')!
    assert.equal(text(await deriveJwtKey({ highEntropyMaterial: v.material })), v.key)
  })

  test('is deterministic, and different secrets, salts or modes give different keys', async () => {
    const a = text(await deriveJwtKey({ highEntropyMaterial: 'secret-one', salt: 's' }))
    assert.equal(text(await deriveJwtKey({ highEntropyMaterial: 'secret-one', salt: 's' })), a)
    assert.notEqual(text(await deriveJwtKey({ highEntropyMaterial: 'secret-two', salt: 's' })), a)
    assert.notEqual(text(await deriveJwtKey({ highEntropyMaterial: 'secret-one', salt: 't' })), a)
    assert.notEqual(text(await deriveJwtKey({ lowEntropyMaterial: 'secret-one', salt: 's' })), a)
  })

  test('refuses both materials, and neither, naming the options', async () => {
    await assert.rejects(
      deriveJwtKey({ highEntropyMaterial: 'a', lowEntropyMaterial: 'b' } as never),
      (err: Error) => err instanceof TypeError && /highEntropyMaterial/.test(err.message) && /lowEntropyMaterial/.test(err.message),
    )
    await assert.rejects(deriveJwtKey({} as never), TypeError)
    await assert.rejects(deriveJwtKey({ lowEntropyMaterial: 42 } as never), /lowEntropyMaterial/)
    await assert.rejects(deriveJwtKey({ highEntropyMaterial: 'x', salt: 7 } as never), /salt/)
  })

  test('exports FastMCP\'s constants', () => {
    assert.equal(DEFAULT_SALT, 'fastmcp-jwt-signing-key')
    assert.equal(KDF_ITERATIONS, 1_000_000)
  })

  test('keeps the event loop free during a PBKDF2 derivation', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    const started = performance.now()
    await deriveJwtKey({ lowEntropyMaterial: 'a human chosen secret', salt: DEFAULT_SALT })
    const took = performance.now() - started
    histogram.disable()
    const maxDelayMs = histogram.max / 1e6
    // a blocking derivation would stall the loop for its whole duration; a busy machine may
    // delay a timer by some tens of ms, never by half of it (speed itself is benched, not here)
    const limit = took / 2
    assert.ok(maxDelayMs < limit, `event loop stalled ${maxDelayMs.toFixed(1)} ms during a ${took.toFixed(0)} ms derivation`)
  })
})
