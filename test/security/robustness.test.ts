// Robustness: a key that is slow to derive or never derives, hooks that throw, broken
// collaborators, clients that vanish mid-request, and no error path that writes the
// token, the secret or the key anywhere (stdout, stderr, console, warnings, responses).
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import http from 'node:http'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import { after, describe, test } from 'node:test'
import { inspect } from 'node:util'
import express from 'express'
import express4 from 'express4'
import { createFastMcpAuth, KeyUnavailableError, type FastMcpAuthOptions, type RejectedEvent, MemoryTokenStore } from '../../src/index.js'
import { AUDIENCE, ISSUER, NOW, SERVER_KINDS, VECTOR_KEY, VECTOR_SECRET, claims, manualClock, signToken, vector } from '../helpers.js'
import {
  METADATA_URL,
  assertRefusal,
  authorization,
  client,
  createAuthContext,
  parseChallenge,
  startSecureServer,
  watchProcess,
  type SendOptions,
} from './harness.js'

const processWatch = watchProcess()
after(() => {
  client.close()
  processWatch.stop()
})

const bearer = (token: string): SendOptions => ({ headers: authorization(`Bearer ${token}`) })
const WRONG_KEY = 'k'.repeat(44)
/** The 32 bytes PBKDF2 yields for VECTOR_SECRET: their base64url text plus '=' is VECTOR_KEY. */
const RAW_KEY = Buffer.from(VECTOR_KEY, 'base64url')

// ---- key derivation under control ---------------------------------------------------------

type Kdf = 'pbkdf2' | 'hkdf'
type KdfCallback = (err: Error | null, key?: Buffer | ArrayBuffer) => void

/**
 * Replaces node:crypto's KDF while `fn` runs (createFastMcpAuth starts the derivation
 * synchronously), so a test decides when, and whether, the key arrives.
 */
function withKdf<T>(name: Kdf, replacement: (...args: unknown[]) => void, fn: () => T): T {
  const target = crypto as unknown as Record<string, unknown>
  const original = target[name]
  target[name] = replacement
  syncBuiltinESMExports()
  try {
    return fn()
  } finally {
    target[name] = original
    syncBuiltinESMExports()
  }
}

/** A KDF that answers only when released: with the real key, or with an error. */
function gatedKdf() {
  let calls = 0
  let release!: (outcome: Error | Buffer) => void
  const outcome = new Promise<Error | Buffer>((resolve) => { release = resolve })
  const fake = (...args: unknown[]): void => {
    calls++
    const callback = args.at(-1) as KdfCallback
    void outcome.then((o) => (o instanceof Error ? callback(o) : callback(null, o)))
  }
  return { fake, release, calls: () => calls }
}

const secretOptions = (options: Partial<FastMcpAuthOptions> = {}): FastMcpAuthOptions => ({
  secret: VECTOR_SECRET,
  issuer: ISSUER,
  audience: AUDIENCE,
  resourceMetadataUrl: METADATA_URL,
  clock: manualClock().now,
  ...options,
})

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('key derivation that is slow or fails', () => {
  test('requests that arrive before the key exists wait for it, then get the right verdict', async () => {
    const kdf = gatedKdf()
    const auth = withKdf('pbkdf2', kdf.fake, () => createFastMcpAuth(secretOptions()))
    assert.equal(kdf.calls(), 1, 'the derivation went through node:crypto\'s pbkdf2')
    const server = await startSecureServer('express5', [auth.requireFastMcpToken])
    try {
      const valid = signToken(claims({ jti: 'slow-valid' }))
      let answered = 0
      const pending = [
        bearer(valid),
        bearer(signToken(claims({ jti: 'slow-forged' }), { key: WRONG_KEY })),
        bearer(vector('fail-expired').token),
      ].map((request) => client.send(server.port, request).then((reply) => { answered++; return reply }))
      await tick(50)
      assert.equal(answered, 0, 'nothing is answered while the key is being derived')
      assert.equal(server.handled(), 0)
      kdf.release(RAW_KEY)
      const [ok, forged, expired] = await Promise.all(pending)
      assert.equal(ok!.status, 200)
      assertRefusal(forged!, { status: 401, code: 'invalid_token' })
      assertRefusal(expired!, { status: 401, code: 'invalid_token' })
      assert.equal(server.handled(), 1)
    } finally {
      await server.close()
    }
  })

  test('a request that waits longer than keyWaitMs gets a 503, never an accepted token', async () => {
    const kdf = gatedKdf()
    const auth = withKdf('pbkdf2', kdf.fake, () => createFastMcpAuth(secretOptions({ keyWaitMs: 30 })))
    const servers = await Promise.all(SERVER_KINDS.map((kind) => startSecureServer(kind, [auth.requireFastMcpToken])))
    try {
      for (const server of servers) {
        for (const token of [signToken(claims({ jti: 'wait-valid' })), signToken(claims({ jti: 'wait-forged' }), { key: WRONG_KEY })]) {
          const reply = await client.send(server.port, bearer(token))
          assert.equal(reply.status, 503, server.kind)
          assert.equal(reply.headers['retry-after'], '5')
          assert.equal(reply.headers['cache-control'], 'no-store')
          assert.deepEqual(JSON.parse(reply.body), { error: 'temporarily_unavailable', error_description: 'The server cannot verify tokens yet' })
          assert.ok(!reply.body.includes(token))
        }
        // no credentials needs no key: still the plain 401
        assertRefusal(await client.send(server.port, {}), { status: 401, code: undefined })
        assert.equal(server.handled(), 0)
      }
      kdf.release(RAW_KEY)
      await auth.ready
      for (const server of servers) {
        assert.equal((await client.send(server.port, bearer(signToken(claims({ jti: 'wait-valid' }))))).status, 200)
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  })

  for (const [name, kdf, entropy] of [['PBKDF2', 'pbkdf2', 'low'], ['HKDF', 'hkdf', 'high']] as const) {
    test(`${name} failing gives a 503 to every request, a rejected ready, and no unhandled rejection`, async () => {
      const gate = gatedKdf()
      const auth = withKdf(kdf, gate.fake, () => createFastMcpAuth(secretOptions({ entropy, keyWaitMs: 200 })))
      const server = await startSecureServer('express4', [auth.requireFastMcpToken])
      try {
        const early = client.send(server.port, bearer(signToken(claims({ jti: 'fail-early' }))))
        gate.release(new Error(`${kdf} exploded`))
        await assert.rejects(auth.ready, /exploded/)
        assert.equal((await early).status, 503)
        for (let i = 0; i < 3; i++) {
          const reply = await client.send(server.port, bearer(signToken(claims({ jti: `fail-${i}` }))))
          assert.equal(reply.status, 503)
        }
        assert.equal(server.handled(), 0)
        await assert.rejects(auth.issueAccessToken({ clientId: 'c', scopes: [] }), KeyUnavailableError)
        await assert.rejects(auth.verifyToken(signToken(claims())), KeyUnavailableError)
        await tick(10)
        assert.deepEqual(processWatch.events, [])
      } finally {
        await server.close()
      }
    })
  }

  test('a KDF that throws synchronously is a failed derivation, not a crash at set-up', async () => {
    const auth = withKdf('pbkdf2', () => { throw new Error('pbkdf2 threw') }, () => createFastMcpAuth(secretOptions({ keyWaitMs: 50 })))
    await assert.rejects(auth.ready, /pbkdf2 threw/)
    const server = await startSecureServer('http', [auth.requireFastMcpToken])
    try {
      assert.equal((await client.send(server.port, bearer(signToken(claims())))).status, 503)
      assert.equal(server.handled(), 0)
    } finally {
      await server.close()
    }
  })

  test('a key that was never derived is never taken from a previous successful instance', async () => {
    // a working instance first, its token cached there
    const good = createAuthContext()
    const goodServer = await startSecureServer('express5', [good.auth.requireFastMcpToken])
    const token = signToken(claims({ jti: 'cross-instance' }))
    assert.equal((await client.send(goodServer.port, bearer(token))).status, 200)
    const gate = gatedKdf()
    const broken = withKdf('pbkdf2', gate.fake, () => createFastMcpAuth(secretOptions({ keyWaitMs: 20 })))
    const brokenServer = await startSecureServer('express5', [broken.requireFastMcpToken])
    try {
      assert.equal((await client.send(brokenServer.port, bearer(token))).status, 503)
    } finally {
      gate.release(new Error('never'))
      await assert.rejects(broken.ready)
      await Promise.all([goodServer.close(), brokenServer.close()])
    }
  })
})

describe('hooks that throw', () => {
  const throwers: [string, () => unknown][] = [
    ['throws an Error', () => { throw new Error('hook failed') }],
    ['throws a non-Error value', () => { throw 'a string' }], // eslint-disable-line no-throw-literal
    ['returns a rejected promise', () => Promise.reject(new Error('async hook failed'))],
    ['is an async function that throws', async () => { throw new Error('async hook threw') }],
  ]
  for (const [name, hook] of throwers) {
    test(`an onVerified and onRejected hook that ${name} changes no verdict and crashes nothing`, async () => {
      const ctx = createAuthContext({ onVerified: hook as never, onRejected: hook as never })
      for (const kind of SERVER_KINDS) {
        const server = await startSecureServer(kind, [ctx.auth.requireFastMcpToken])
        try {
          const valid = signToken(claims({ jti: `hook-${kind}` }))
          for (let i = 0; i < 2; i++) assert.equal((await client.send(server.port, bearer(valid))).status, 200, 'new, then cached')
          assertRefusal(await client.send(server.port, bearer(signToken(claims({ jti: 'hook-forged' }), { key: WRONG_KEY }))), { status: 401, code: 'invalid_token' })
          assertRefusal(await client.send(server.port, bearer(vector('fail-expired').token)), { status: 401, code: 'invalid_token' })
          assertRefusal(await client.send(server.port, {}), { status: 401, code: undefined })
          assertRefusal(await client.send(server.port, { headers: authorization('Bearer !') }), { status: 400, code: 'invalid_request' })
          assert.equal(server.handled(), 2)
        } finally {
          await server.close()
        }
      }
      await tick(10)
      assert.deepEqual(processWatch.events, [])
    })
  }

  test('an onVerified hook that tampers with the claims cannot change a later verdict', async () => {
    const ctx = createAuthContext({
      onVerified: (event) => {
        const tampers = [
          () => { (event.claims as { exp: number }).exp = 1e12 },
          () => { (event.auth as { clientId: string }).clientId = 'admin' },
          () => { event.auth.scopes.push('admin') },
          () => { (event.auth.extra as { jti: string }).jti = 'other' },
        ]
        // each one on its own: the objects are frozen, so each throws (and is ignored)
        for (const tamper of tampers) {
          try { tamper() } catch { /* expected */ }
        }
      },
    })
    const server = await startSecureServer('express5', [ctx.auth.requireFastMcpToken])
    try {
      const token = signToken(claims({ jti: 'tamper', exp: NOW + 60 }))
      for (let i = 0; i < 2; i++) {
        const reply = await client.send(server.port, bearer(token))
        assert.equal(reply.status, 200)
        const auth = (JSON.parse(reply.body) as { auth: { clientId: string; scopes: string[] } }).auth
        assert.equal(auth.clientId, 'client-abc')
        assert.deepEqual(auth.scopes, ['read', 'write'])
      }
      ctx.clock.advance(60_000)
      assertRefusal(await client.send(server.port, bearer(token)), { status: 401, code: 'invalid_token' })
    } finally {
      await server.close()
    }
  })

  test('an onRejected hook that rewrites the error cannot break the challenge header', async () => {
    const ctx = createAuthContext({
      onRejected: (event) => { event.error.resourceMetadataUrl = 'https://x.example/\r\nSet-Cookie: a=b' },
    })
    const server = await startSecureServer('http', [ctx.auth.requireFastMcpToken])
    try {
      const reply = await client.send(server.port, bearer(signToken(claims(), { key: WRONG_KEY })))
      assert.equal(reply.status, 401)
      assert.equal(reply.headers['set-cookie'], undefined)
      assert.equal(parseChallenge(reply.headers['www-authenticate']).error, 'invalid_token')
    } finally {
      await server.close()
    }
  })
})

describe('broken collaborators fail closed', () => {
  test('a revocation store whose isRevoked throws refuses every token, cached or not', async () => {
    let broken = false
    class BrokenStore extends MemoryTokenStore {
      override isRevoked(): boolean {
        if (broken) throw new Error('store down')
        return false
      }
    }
    const ctx = createAuthContext({ store: new BrokenStore() })
    const server = await startSecureServer('express4', [ctx.auth.requireFastMcpToken])
    try {
      const cached = signToken(claims({ jti: 'store-cached' }))
      assert.equal((await client.send(server.port, bearer(cached))).status, 200)
      broken = true
      assertRefusal(await client.send(server.port, bearer(cached)), { status: 401, code: 'invalid_token' })
      assertRefusal(await client.send(server.port, bearer(signToken(claims({ jti: 'store-new' })))), { status: 401, code: 'invalid_token' })
      assert.equal(server.handled(), 1)
      assert.equal(server.serverErrors(), 0)
    } finally {
      await server.close()
    }
  })

  test('a clock that throws refuses every token instead of crashing', async () => {
    let broken = false
    const clock = manualClock()
    const ctx = createAuthContext({ clock: () => { if (broken) throw new Error('clock down'); return clock.now() } })
    const server = await startSecureServer('http', [ctx.auth.requireFastMcpToken])
    try {
      const cached = signToken(claims({ jti: 'clock-cached' }))
      assert.equal((await client.send(server.port, bearer(cached))).status, 200)
      broken = true
      assertRefusal(await client.send(server.port, bearer(cached)), { status: 401, code: 'invalid_token' })
      assertRefusal(await client.send(server.port, bearer(signToken(claims({ jti: 'clock-new' })))), { status: 401, code: 'invalid_token' })
      assert.equal(server.handled(), 1)
    } finally {
      await server.close()
    }
  })

  test('a client that disconnects before verification ends causes no crash and no unhandled rejection', async () => {
    const ctx = createAuthContext()
    const server = await startSecureServer('express5', [ctx.auth.requireFastMcpToken])
    try {
      const tokens = Array.from({ length: 20 }, (_, i) => i % 2
        ? signToken(claims({ jti: `gone-${i}` }))
        : signToken(claims({ jti: `gone-${i}` }), { key: WRONG_KEY }))
      await Promise.all(tokens.map((token) => new Promise<void>((resolve) => {
        const socket = net.connect(server.port, '127.0.0.1', () => {
          socket.write(`GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)
          socket.destroy()
          resolve()
        })
        socket.on('error', () => resolve())
      })))
      await tick(50)
      assert.equal((await client.send(server.port, bearer(tokens[1]!))).status, 200, 'the server still answers')
      assert.deepEqual(processWatch.events, [])
      assert.equal(server.serverErrors(), 0)
    } finally {
      await server.close()
    }
  })
})

describe('no error path writes the token, the secret or the key anywhere', () => {
  interface Capture {
    texts: string[]
    restore: () => void
  }

  /** Records everything written to stdout, stderr, console and process warnings. */
  function capture(): Capture {
    const texts: string[] = []
    const text = (value: unknown): string => (typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : inspect(value, { depth: 10 }))
    const restores: (() => void)[] = []
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write
      // passed through: the test runner reports on these streams
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
        texts.push(text(chunk))
        return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
      } as typeof stream.write
      restores.push(() => { stream.write = original })
    }
    const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const
    for (const method of methods) {
      const original = console[method]
      console[method] = (...args: unknown[]) => { texts.push(args.map(text).join(' ')) }
      restores.push(() => { console[method] = original })
    }
    const onWarning = (warning: Error): void => { texts.push(`${warning.name}: ${warning.message}\n${warning.stack ?? ''}`) }
    process.on('warning', onWarning)
    restores.push(() => process.off('warning', onWarning))
    return { texts, restore: () => { for (const r of restores.reverse()) r() } }
  }

  test('a batch of refused requests in every mode leaves no secret in any output, response or event', async () => {
    const rejected: RejectedEvent[] = []
    const gate = gatedKdf()
    // one instance derives from the secret (released below), one never gets its key, one hands errors to next()
    const derived = withKdf('pbkdf2', gate.fake, () => createFastMcpAuth(secretOptions({ onRejected: (e) => { rejected.push(e) } })))
    const starving = withKdf('pbkdf2', gatedKdf().fake, () => createFastMcpAuth(secretOptions({ keyWaitMs: 10, onRejected: (e) => { rejected.push(e) } })))
    const toNext = createFastMcpAuth(secretOptions({ signingKey: VECTOR_KEY, secret: undefined, passErrorsToNext: true, onRejected: (e) => { rejected.push(e) } }))
    gate.release(RAW_KEY)
    await derived.ready
    for (const auth of [derived, toNext]) await auth.revoke('leak-revoked', NOW + 3600)

    const apps = [
      await startSecureServer('express5', [derived.requireFastMcpToken]),
      await startSecureServer('express4', [derived.requireFastMcpToken]),
      await startSecureServer('http', [derived.requireFastMcpToken]),
      await startSecureServer('http', [starving.requireFastMcpToken]),
    ]
    // Express's own default error handler: it logs the error it receives to the console
    const defaultHandlers: http.Server[] = []
    for (const make of [express, express4] as const) {
      const app = make()
      app.use('/mcp', toNext.requireFastMcpToken as never, ((_req: unknown, res: { end: (s: string) => void }) => res.end('ok')) as never)
      const srv = http.createServer(app as unknown as http.RequestListener).listen(0, '127.0.0.1')
      await new Promise((resolve) => srv.once('listening', resolve))
      defaultHandlers.push(srv)
    }
    const ports = [...apps.map((a) => a.port), ...defaultHandlers.map((s) => (s.address() as net.AddressInfo).port)]

    const valid = signToken(claims({ jti: 'leak-valid' }))
    const tokens = [
      signToken(claims({ jti: 'leak-forged' }), { key: WRONG_KEY }),
      signToken(claims({ jti: 'leak-revoked' })),
      signToken(claims({ jti: 'leak-aud', aud: 'https://attacker.example/mcp' })),
      signToken(claims({ jti: 'leak-exp', exp: NOW - 10 })),
      signToken(claims({ jti: 'leak-refresh', token_use: 'refresh' })),
      signToken(claims({ jti: 'leak-alg' }), { header: { alg: 'HS512' }, hash: 'sha512' }),
      `${valid}=`,
      valid.slice(0, -3),
      `${valid.split('.').slice(0, 2).join('.')}.`,
      `${'A'.repeat(9000)}.${valid}`,
    ]
    const requests: SendOptions[] = [
      ...tokens.map(bearer),
      { headers: [['Authorization', `Bearer ${valid}`], ['Authorization', `Bearer ${tokens[0]}`]] },
      { path: `/mcp?access_token=${valid}`, headers: authorization(`Bearer ${valid}`) },
      { path: `/mcp?access_token=${valid}` },
      { headers: authorization(`Bearer ${valid} ${tokens[0]}`) },
      { headers: authorization(`Basic ${valid}`) },
    ]

    const secrets = [VECTOR_SECRET, VECTOR_KEY, VECTOR_KEY.replace(/=+$/, ''), RAW_KEY.toString('hex'), RAW_KEY.toString('base64')]
    const tokenParts = (token: string): string[] => [token, ...token.split('.').filter((part) => part.length >= 40 && part !== 'A'.repeat(9000))]
    const needles = [...secrets, ...tokens.flatMap(tokenParts), ...tokenParts(valid)]
    const responses: string[] = []

    const out = capture()
    try {
      for (const port of ports) {
        for (const request of requests) {
          const reply = await client.send(port, request)
          assert.ok(reply.status >= 400 && reply.status < 600, `refused: ${reply.status} on ${port} for ${JSON.stringify(request).slice(0, 300)}`)
          responses.push(`${JSON.stringify(reply.headers)}\n${reply.body}`)
        }
      }
      // configuration errors, too, name the option and never its value
      for (const bad of [{ secret: 'hunter2-xyz' }, { signingKey: 'short-key-material' }, { signingKey: VECTOR_KEY, previousSigningKeys: ['old-short-key'] }]) {
        try {
          createFastMcpAuth({ issuer: ISSUER, audience: AUDIENCE, ...bad })
        } catch (err) {
          out.texts.push(inspect(err))
        }
      }
      // finalhandler logs on a deferred tick, after the response has gone
      await tick(20)
    } finally {
      out.restore()
      await Promise.all(apps.map((a) => a.close()))
      for (const srv of defaultHandlers) { srv.closeAllConnections(); srv.close() }
    }

    const texts = [
      ...out.texts,
      ...responses,
      ...rejected.map((e) => inspect(e.error, { depth: 10, showHidden: true }) + JSON.stringify(e.error) + String(e.error.stack)),
    ]
    assert.ok(rejected.length >= requests.length * 4, `onRejected fired ${rejected.length} times`)
    assert.ok(out.texts.some((t) => t.includes('InvalidTokenError')), 'Express\'s default handler logged the errors it received')
    for (const needle of needles) {
      for (const text of texts) {
        assert.ok(!text.includes(needle), `a secret or token leaked: ${text.replaceAll(needle, '<LEAKED>').slice(0, 200)}`)
      }
    }
    for (const bad of ['hunter2-xyz', 'short-key-material', 'old-short-key']) {
      assert.ok(!out.texts.some((t) => t.includes(bad)), `a configuration error echoed ${bad}`)
    }
  })
})
