// The attack catalogue: one test per attack, each sent through real servers (Express 5,
// Express 4 and a bare node:http server) running requireFastMcpToken. Every refusal is
// checked for its exact status, its WWW-Authenticate error code and the precise reason
// (seen through onRejected), and the protected handler must never have run.
import assert from 'node:assert/strict'
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { deriveJwtKey, type FastMcpAuthErrorReason, type FastMcpAuthOptions } from '../../src/index.js'
import {
  AUDIENCE,
  ISSUER,
  NOW,
  SERVER_KINDS,
  VECTOR_KEY,
  VECTOR_SECRET,
  claims,
  signToken,
  vector,
  type ServerKind,
} from '../helpers.js'
import {
  assertRefusal,
  authorization,
  b64url,
  client,
  createAuthContext,
  parseChallenge,
  rawSend,
  signRaw,
  startSecureServer,
  watchProcess,
  type AuthContext,
  type Refusal,
  type Reply,
  type SecureServer,
  type SendOptions,
  type ServerOptions,
} from './harness.js'

// ---- bookkeeping ---------------------------------------------------------------------

const totals = { attacks: 0, requests: 0, acceptedForgeries: 0, serverErrors: 0 }
const processWatch = watchProcess()

/** Registers one attack: a test named after it, counted in the totals. */
function attack(name: string, run: () => Promise<void>): void {
  totals.attacks++
  test(name, run)
}

interface Target {
  kind: ServerKind
  ctx: AuthContext
  server: SecureServer
}

async function startTargets(
  options: Partial<FastMcpAuthOptions> = {},
  serverOptions: ServerOptions = {},
  kinds: readonly ServerKind[] = SERVER_KINDS,
): Promise<Target[]> {
  return Promise.all(kinds.map(async (kind) => {
    const ctx = createAuthContext(options)
    const server = await startSecureServer(kind, [ctx.auth.requireFastMcpToken], { parseBody: kind !== 'http', ...serverOptions })
    return { kind, ctx, server }
  }))
}

const closeTargets = (targets: Target[]) => Promise.all(targets.map((t) => t.server.close()))

/** Runs `fn` against fresh targets, closing them afterwards. */
async function withTargets(
  options: Partial<FastMcpAuthOptions>,
  fn: (targets: Target[]) => Promise<void>,
  serverOptions: ServerOptions = {},
  kinds: readonly ServerKind[] = SERVER_KINDS,
): Promise<void> {
  const targets = await startTargets(options, serverOptions, kinds)
  try {
    await fn(targets)
  } finally {
    await closeTargets(targets)
  }
}

let jtiCounter = 0
/** A jti no other attack uses, so no test meets another's cache entry by accident. */
const freshJti = (): string => `attack-${++jtiCounter}`

const bearer = (token: string): SendOptions => ({ headers: authorization(`Bearer ${token}`) })

interface Expected extends Refusal {
  /** The refusal's precise reason must be one of these. */
  reasons: FastMcpAuthErrorReason[]
}

const INVALID_TOKEN = (...reasons: FastMcpAuthErrorReason[]): Expected => ({ status: 401, code: 'invalid_token', reasons })
const INVALID_REQUEST = (...reasons: FastMcpAuthErrorReason[]): Expected => ({ status: 400, code: 'invalid_request', reasons })
const NO_CREDENTIALS: Expected = { status: 401, code: undefined, reasons: ['missing_token'] }

function tokensIn(options: SendOptions): string[] {
  const found: string[] = []
  for (const [, value] of options.headers ?? []) {
    const token = /Bearer\s+(\S{16,})/i.exec(value)?.[1]
    if (token !== undefined) found.push(token)
  }
  return found
}

function record(reply: { status: number }, accepted: boolean): void {
  totals.requests++
  if (reply.status >= 500) totals.serverErrors++
  if (!accepted && reply.status >= 200 && reply.status < 300) totals.acceptedForgeries++
}

/** Sends the request to every target and asserts the exact refusal each time. */
async function expectRefused(targets: Target[], request: SendOptions | ((t: Target) => SendOptions), expected: Expected): Promise<void> {
  for (const t of targets) {
    const options = typeof request === 'function' ? request(t) : request
    const handled = t.server.handled()
    const rejected = t.ctx.rejected.length
    const reply = await client.send(t.server.port, options)
    record(reply, false)
    const where = `${t.kind}: ${reply.status} ${reply.body.slice(0, 160)}`
    assertRefusal(reply, expected)
    assert.equal(t.server.handled(), handled, `${where}: the protected handler ran`)
    assert.equal(t.ctx.rejected.length, rejected + 1, `${where}: onRejected fired once`)
    const reason = t.ctx.rejected.at(-1)!.error.reason
    assert.ok(expected.reasons.includes(reason), `${where}: reason ${reason}, expected one of ${expected.reasons.join(', ')}`)
    assertNoEcho(reply, tokensIn(options))
  }
}

/** Sends the request to every target and asserts it reached the handler with its own token. */
async function expectAccepted(targets: Target[], request: SendOptions, token?: string): Promise<Reply[]> {
  const replies: Reply[] = []
  for (const t of targets) {
    const handled = t.server.handled()
    const reply = await client.send(t.server.port, request)
    record(reply, true)
    assert.equal(reply.status, 200, `${t.kind}: ${reply.body.slice(0, 200)}`)
    assert.equal(t.server.handled(), handled + 1)
    if (token !== undefined) assert.equal((JSON.parse(reply.body) as { auth: { token: string } }).auth.token, token)
    replies.push(reply)
  }
  return replies
}

/** A refusal never carries the token back, in its headers or its body. */
function assertNoEcho(reply: Reply, tokens: string[]): void {
  const text = `${JSON.stringify(reply.headers)}\n${reply.body}`
  for (const token of tokens) assert.ok(!text.includes(token), 'the token came back in the response')
}

/** Raw bytes to every target: node:http's own answer, the handler never runs, no crash. */
async function expectRawRefused(targets: Target[], head: string, status: number): Promise<void> {
  for (const t of targets) {
    const handled = t.server.handled()
    const reply = await rawSend(t.server.port, Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'))
    record(reply, false)
    assert.equal(reply.status, status, `${t.kind}: ${reply.head.slice(0, 120)}`)
    assert.equal(t.server.handled(), handled, `${t.kind}: the protected handler ran`)
    // the server is still up and answering
    assert.equal((await client.send(t.server.port, {})).status, 401)
  }
}

const JWT_HEADER = { alg: 'HS256', typ: 'JWT' }
const b64json = (value: unknown): string => b64url(JSON.stringify(value))
const validToken = (overrides: Record<string, unknown> = {}): string => signToken(claims({ jti: freshJti(), ...overrides }))
const WRONG_KEY = 'k'.repeat(44)

/** Swaps the last signature character for one that decodes to the same 32 bytes. */
function flipUnusedSignatureBits(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(token.at(-1)!)
  // 43 characters carry 258 bits for 256: the last character's low two bits are unused
  const twin = alphabet[last ^ 1]!
  assert.deepEqual(Buffer.from(token.slice(token.lastIndexOf('.') + 1, -1) + twin, 'base64url'), Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url'))
  return token.slice(0, -1) + twin
}

function signAsymmetric(alg: 'RS256' | 'PS256' | 'ES256', payload: object, key: KeyObject, extraHeader: object = {}): string {
  const input = `${b64json({ alg, typ: 'JWT', ...extraHeader })}.${b64json(payload)}`
  const data = Buffer.from(input)
  const signature = alg === 'ES256'
    ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
    : alg === 'PS256'
      ? sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : sign('sha256', data, key)
  return `${input}.${signature.toString('base64url')}`
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })

// ---- the shared targets ---------------------------------------------------------------

let targets: Target[]
before(async () => {
  targets = await startTargets()
})
after(async () => {
  await closeTargets(targets)
  client.close()
  processWatch.stop()
  console.log(`security attacks: ${totals.attacks} attacks run, ${totals.requests} requests, ` +
    `${totals.acceptedForgeries} accepted forgeries, ${totals.serverErrors} 5xx`)
})

describe('attacks on the algorithm and the JOSE header', () => {
  attack('alg none with an empty signature', async () => {
    const token = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claims({ jti: freshJti() }))}.`
    await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
  })

  attack('alg none without a signature part', async () => {
    const token = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claims({ jti: freshJti() }))}`
    await expectRefused(targets, bearer(token), INVALID_TOKEN('malformed'))
  })

  attack('alg none keeping a genuine HS256 signature', async () => {
    const genuine = validToken()
    const [, payload, signature] = genuine.split('.')
    await expectRefused(targets, bearer(`${b64json({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`), INVALID_TOKEN('unsupported_algorithm'))
  })

  attack('alg None, NONE and nOnE spellings', async () => {
    for (const alg of ['None', 'NONE', 'nOnE']) {
      const token = `${b64json({ alg, typ: 'JWT' })}.${b64json(claims({ jti: freshJti() }))}.`
      await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
    }
  })

  attack('vector fail-alg-none from FastMCP', async () => {
    await expectRefused(targets, bearer(vector('fail-alg-none').token), INVALID_TOKEN('unsupported_algorithm'))
  })

  for (const [alg, hash] of [['HS384', 'sha384'], ['HS512', 'sha512']] as const) {
    attack(`alg ${alg} signed with the right key`, async () => {
      const token = signToken(claims({ jti: freshJti() }), { header: { alg, typ: 'JWT' }, hash })
      await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
    })
  }

  attack('alg HS256 in the header but an HS512 signature with the right key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { hash: 'sha512' })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('bad_signature'))
  })

  for (const alg of ['RS256', 'PS256', 'ES256'] as const) {
    attack(`alg ${alg} with a genuine asymmetric signature`, async () => {
      const token = signAsymmetric(alg, claims({ jti: freshJti() }), alg === 'ES256' ? ec.privateKey : rsa.privateKey)
      await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
    })
  }

  attack('lower-case alg hs256 signed with the right key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { alg: 'hs256', typ: 'JWT' } })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
  })

  attack('algorithm confusion: an RS256 token HMAC-signed with the HMAC key as its public key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { alg: 'RS256', typ: 'JWT' }, key: VECTOR_KEY })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
  })

  attack('algorithm confusion: an HS256 token keyed with an RSA public key PEM', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' })
    const token = signToken(claims({ jti: freshJti() }), { key: pem })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('bad_signature'))
  })

  attack('a header without alg', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { typ: 'JWT' } })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('missing_algorithm'))
  })

  attack('alg as an array or a number', async () => {
    for (const alg of [['HS256'], 256, null]) {
      const token = signToken(claims({ jti: freshJti() }), { header: { alg, typ: 'JWT' } })
      await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
    }
  })

  attack('duplicate alg keys ending in none', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: '{"alg":"HS256","alg":"none","typ":"JWT"}' })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
  })

  attack('embedded jwk header with the attacker\'s own HMAC key', async () => {
    const attackerKey = 'attacker-controlled-key-material-0123456789'
    const jwk = { kty: 'oct', k: b64url(attackerKey), alg: 'HS256' }
    const token = signToken(claims({ jti: freshJti(), scope: 'admin' }), { header: { ...JWT_HEADER, jwk }, key: attackerKey })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('bad_signature'))
  })

  attack('embedded jwk header with an RSA public key and an RS256 signature', async () => {
    const jwk = rsa.publicKey.export({ format: 'jwk' })
    const token = signAsymmetric('RS256', claims({ jti: freshJti() }), rsa.privateKey, { jwk })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('unsupported_algorithm'))
  })

  for (const [param, value] of [
    ['jku', 'https://attacker.example/.well-known/jwks.json'],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', ['MIIBattackerCert']],
    ['kid', '../../../../dev/null'],
    ['kid', "' OR '1'='1"],
  ] as const) {
    attack(`${param} header pointing at ${JSON.stringify(value)} with the attacker's key`, async () => {
      const token = signToken(claims({ jti: freshJti() }), { header: { ...JWT_HEADER, [param]: value }, key: WRONG_KEY })
      await expectRefused(targets, bearer(token), INVALID_TOKEN('bad_signature'))
    })
  }

  attack('kid pointing at an empty key, signed with the empty key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { ...JWT_HEADER, kid: '/dev/null' }, key: '' })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('bad_signature'))
  })

  attack('crit naming an unknown extension, signed with the right key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { ...JWT_HEADER, crit: ['https://attacker.example/ext'], 'https://attacker.example/ext': true } })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('invalid_crit_header'))
  })

  attack('crit as an empty list, signed with the right key', async () => {
    const token = signToken(claims({ jti: freshJti() }), { header: { ...JWT_HEADER, crit: [] } })
    await expectRefused(targets, bearer(token), INVALID_TOKEN('invalid_crit_header'))
  })

  attack('vector fail-crit-unknown from FastMCP', async () => {
    await expectRefused(targets, bearer(vector('fail-crit-unknown').token), INVALID_TOKEN('invalid_crit_header'))
  })

  attack('b64 false (RFC 7797) with crit, signed over the raw payload', async () => {
    const header = b64json({ alg: 'HS256', b64: false, crit: ['b64'] })
    const raw = JSON.stringify(claims({ jti: freshJti() }))
    const signature = createHmac('sha256', VECTOR_KEY).update(`${header}.${raw}`).digest('base64url')
    await expectRefused(targets, bearer(`${header}.${b64url(raw)}.${signature}`), INVALID_TOKEN('invalid_crit_header'))
  })

  attack('b64 false with a detached payload', async () => {
    const header = b64json({ alg: 'HS256', b64: false, crit: ['b64'] })
    const raw = JSON.stringify(claims({ jti: freshJti() }))
    const signature = createHmac('sha256', VECTOR_KEY).update(`${header}.${raw}`).digest('base64url')
    await expectRefused(targets, bearer(`${header}..${signature}`), INVALID_TOKEN('malformed'))
  })

  attack('b64 false with the unencoded JSON payload in the compact form', async () => {
    const header = b64json({ alg: 'HS256', b64: false, crit: ['b64'] })
    const raw = JSON.stringify(claims({ jti: freshJti() })).replace(/"/g, '')
    const signature = createHmac('sha256', VECTOR_KEY).update(`${header}.${raw}`).digest('base64url')
    await expectRefused(targets, bearer(`${header}.${raw}.${signature}`), INVALID_REQUEST('malformed_header'))
  })

  attack('b64 false without crit, signed over the raw payload', async () => {
    const header = b64json({ alg: 'HS256', b64: false })
    const raw = JSON.stringify(claims({ jti: freshJti() }))
    const signature = createHmac('sha256', VECTOR_KEY).update(`${header}.${raw}`).digest('base64url')
    await expectRefused(targets, bearer(`${header}.${b64url(raw)}.${signature}`), INVALID_TOKEN('bad_signature'))
  })
})

describe('attacks on the signature', () => {
  attack('signed with a wrong key', async () => {
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti() }), { key: WRONG_KEY })), INVALID_TOKEN('bad_signature'))
    await expectRefused(targets, bearer(vector('fail-wrong-key').token), INVALID_TOKEN('bad_signature'))
  })

  attack('signed with the raw 32-byte key instead of its 44-byte text', async () => {
    const raw = Buffer.from(VECTOR_KEY, 'base64url')
    assert.equal(raw.length, 32)
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti() }), { key: raw })), INVALID_TOKEN('bad_signature'))
    await expectRefused(targets, bearer(vector('fail-raw-32-byte-key').token), INVALID_TOKEN('bad_signature'))
  })

  attack('signed with the key text without its = padding, or with a newline after it', async () => {
    for (const key of [VECTOR_KEY.replace(/=+$/, ''), `${VECTOR_KEY}\n`, ` ${VECTOR_KEY}`]) {
      await expectRefused(targets, bearer(signToken(claims({ jti: freshJti() }), { key })), INVALID_TOKEN('bad_signature'))
    }
  })

  attack('HKDF and PBKDF2 mixed up: the secret run through the other KDF', async () => {
    const hkdfKey = Buffer.from(await deriveJwtKey({ highEntropyMaterial: VECTOR_SECRET })).toString('latin1')
    assert.notEqual(hkdfKey, VECTOR_KEY)
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti() }), { key: hkdfKey })), INVALID_TOKEN('bad_signature'))
    await expectRefused(targets, bearer(vector('fail-mode-confusion').token), INVALID_TOKEN('bad_signature'))
  })

  attack('the secret itself used as the HMAC key', async () => {
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti() }), { key: VECTOR_SECRET })), INVALID_TOKEN('bad_signature'))
  })

  attack('truncated signature', async () => {
    const token = validToken()
    for (const cut of [1, 2, 22, 42]) {
      await expectRefused(targets, bearer(token.slice(0, -cut)), INVALID_TOKEN('bad_signature'))
    }
    await expectRefused(targets, bearer(vector('fail-truncated').token), INVALID_TOKEN('bad_signature'))
  })

  attack('extended signature', async () => {
    const token = validToken()
    for (const extra of ['A', 'AA', 'AAAA', b64url(Buffer.alloc(32))]) {
      await expectRefused(targets, bearer(token + extra), INVALID_TOKEN('bad_signature'))
    }
  })

  attack('signature re-padded with =', async () => {
    const token = validToken()
    for (const pad of ['=', '==', '===']) {
      await expectRefused(targets, bearer(token + pad), INVALID_TOKEN('malformed'))
    }
  })

  attack('signature in the standard base64 alphabet (+ and /)', async () => {
    let token = validToken()
    // find a token whose signature has a - or _ to translate
    while (!/[-_]/.test(token.split('.')[2]!)) token = validToken()
    const [h, p, s] = token.split('.')
    const standard = Buffer.from(s!, 'base64url').toString('base64').replace(/=+$/, '')
    await expectRefused(targets, bearer(`${h}.${p}.${standard}`), INVALID_TOKEN('malformed'))
  })

  attack('signature with different unused trailing bits (same 32 bytes)', async () => {
    await expectRefused(targets, bearer(flipUnusedSignatureBits(validToken())), INVALID_TOKEN('bad_signature'))
  })

  attack('payload with different unused trailing bits (same claims)', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    let token = validToken()
    // a payload whose length leaves unused bits in its last character
    while (token.split('.')[1]!.length % 4 === 0) token = validToken({ client_id: `c${jtiCounter}` })
    const [h, p, s] = token.split('.') as [string, string, string]
    const twin = p.slice(0, -1) + alphabet[alphabet.indexOf(p.at(-1)!) ^ 1]
    assert.deepEqual(Buffer.from(twin, 'base64url'), Buffer.from(p, 'base64url'))
    await expectRefused(targets, bearer(`${h}.${twin}.${s}`), INVALID_TOKEN('bad_signature'))
  })

  attack('signature taken from another valid token', async () => {
    const a = validToken()
    const b = validToken()
    await expectRefused(targets, bearer(`${a.slice(0, a.lastIndexOf('.'))}${b.slice(b.lastIndexOf('.'))}`), INVALID_TOKEN('bad_signature'))
  })

  attack('empty signature with alg HS256', async () => {
    const token = validToken()
    await expectRefused(targets, bearer(token.slice(0, token.lastIndexOf('.') + 1)), INVALID_TOKEN('bad_signature'))
  })

  attack('signature as hex instead of base64url', async () => {
    const token = validToken()
    const [h, p, s] = token.split('.')
    await expectRefused(targets, bearer(`${h}.${p}.${Buffer.from(s!, 'base64url').toString('hex')}`), INVALID_TOKEN('bad_signature'))
  })

  attack('payload tampered after signing (FastMCP vector)', async () => {
    await expectRefused(targets, bearer(vector('fail-tampered-payload').token), INVALID_TOKEN('bad_signature'))
    await expectRefused(targets, bearer(vector('fail-tampered-header').token), INVALID_TOKEN('bad_signature'))
  })
})

describe('attacks on the token structure', () => {
  const [h, p, s] = signToken(claims({ jti: 'structure' })).split('.') as [string, string, string]

  attack('one segment', async () => {
    await expectRefused(targets, bearer(h), INVALID_TOKEN('malformed'))
    await expectRefused(targets, bearer(`${h}${p}${s}`), INVALID_TOKEN('malformed'))
  })

  attack('two segments', async () => {
    await expectRefused(targets, bearer(`${h}.${p}`), INVALID_TOKEN('malformed'))
    await expectRefused(targets, bearer(vector('fail-two-segments').token), INVALID_TOKEN('malformed'))
  })

  attack('four segments', async () => {
    await expectRefused(targets, bearer(`${h}.${p}.${s}.${s}`), INVALID_TOKEN('malformed'))
    await expectRefused(targets, bearer(`${h}.${p}.${s}.`), INVALID_TOKEN('malformed'))
  })

  attack('five segments (JWE-shaped)', async () => {
    const jwe = `${b64json({ alg: 'dir', enc: 'A256GCM' })}..${b64url('iv-iv-iv-iv')}.${p}.${b64url('tag-tag-tag-tag')}`
    await expectRefused(targets, bearer(jwe), INVALID_TOKEN('malformed'))
    await expectRefused(targets, bearer(`${h}.${p}.${s}.${h}.${p}`), INVALID_TOKEN('malformed'))
  })

  attack('empty segments', async () => {
    for (const token of ['..', `.${p}.${s}`, `${h}..${s}`, '...', `.${h}.${p}.${s}`]) {
      await expectRefused(targets, bearer(token), INVALID_TOKEN('malformed'))
    }
  })

  attack('b64token characters that are not base64url (+ / ~ = inside)', async () => {
    for (const token of [`${h}+.${p}.${s}`, `${h}.${p.slice(0, 5)}/${p.slice(5)}.${s}`, `${h}.${p}.~${s}`]) {
      await expectRefused(targets, bearer(token), INVALID_TOKEN('malformed'))
    }
    // b64token allows = only at the very end
    await expectRefused(targets, bearer(`${h}=.${p}.${s}`), INVALID_REQUEST('malformed_header'))
  })

  attack('characters outside the b64token grammar', async () => {
    for (const c of ['*', '!', '$', '%', '"', ',', ';', '\\', '{', '\xe9', '\xa0']) {
      await expectRefused(targets, bearer(`${h}.${p}${c}.${s}`), INVALID_REQUEST('malformed_header'))
    }
  })

  attack('whitespace inside the token (space, tab)', async () => {
    for (const ws of [' ', '\t', ' \t ']) {
      await expectRefused(targets, bearer(`${h}.${ws}${p}.${s}`), INVALID_REQUEST('malformed_header'))
    }
  })

  attack('newlines and controls inside the token (CR, LF, obs-fold, NUL, DEL): node:http answers 400 itself', async () => {
    for (const sep of ['\n', '\r', '\r\n ', '\r\n\t', '\0', '\x7f', '\x1b']) {
      await expectRawRefused(targets, `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h}.${sep}${p}.${s}`, 400)
    }
  })

  attack('a 2 MB token on a default server: node:http answers 431 itself', async () => {
    await expectRawRefused(targets, `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'A'.repeat(2 * 1024 * 1024)}`, 431)
  })

  attack('a 2 MB token on a server that allows 4 MB heads: the middleware caps it', async () => {
    await withTargets({}, async (big) => {
      const token = `${h}.${'A'.repeat(2 * 1024 * 1024)}.${s}`
      await expectRefused(big, bearer(token), INVALID_TOKEN('too_large'))
    }, { maxHeaderSize: 4 * 1024 * 1024 })
  })

  attack('a token one character over maxTokenLength', async () => {
    await withTargets({ maxTokenLength: 512 }, async (capped) => {
      const token = validToken({ upstream_claims: { pad: 'x'.repeat(600) } })
      await expectRefused(capped, bearer(token.slice(0, 513)), INVALID_TOKEN('too_large'))
      await expectRefused(capped, bearer(token), INVALID_TOKEN('too_large'))
    })
  })

  attack('deeply nested JSON as the header', async () => {
    const nested = `${'['.repeat(2000)}${']'.repeat(2000)}`
    await expectRefused(targets, bearer(`${b64url(nested)}.${p}.${s}`), INVALID_TOKEN('malformed'))
  })

  attack('deeply nested JSON inside the header object', async () => {
    const nested = `{"alg":"HS256","x":${'['.repeat(2000)}${']'.repeat(2000)}}`
    await expectRefused(targets, bearer(signRaw(nested, JSON.stringify(claims({ jti: freshJti() })), WRONG_KEY)), INVALID_TOKEN('bad_signature'))
  })

  attack('deeply nested JSON in a forged payload', async () => {
    const payload = JSON.stringify(claims({ jti: freshJti() })).slice(0, -1) + `,"n":${'['.repeat(2500)}${']'.repeat(2500)}}`
    await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload, WRONG_KEY)), INVALID_TOKEN('bad_signature'))
  })

  attack('deeply nested JSON in a validly signed payload never crashes the server', async () => {
    await withTargets({ maxTokenLength: 3 * 1024 * 1024 }, async (big) => {
      for (const depth of [2000, 700_000]) {
        const payload = JSON.stringify(claims({ jti: freshJti() })).slice(0, -1) + `,"upstream_claims":{"n":${'['.repeat(depth)}${']'.repeat(depth)}}}`
        const token = signRaw(JSON.stringify(JWT_HEADER), payload)
        for (const t of big) {
          const handled = t.server.handled()
          const reply = await client.send(t.server.port, bearer(token))
          record(reply, true)
          // a legitimately signed token: accepted, or refused as malformed past the stack; never a 5xx
          if (reply.status === 200) assert.equal(t.server.handled(), handled + 1)
          else {
            assertRefusal(reply, { status: 401, code: 'invalid_token' })
            assert.equal(t.server.handled(), handled)
          }
          assert.equal((await client.send(t.server.port, bearer(validToken()))).status, 200, 'the server still answers')
        }
      }
    }, { maxHeaderSize: 8 * 1024 * 1024 })
  })

  attack('duplicate claim keys: the last value counts, so a valid first value cannot hide it', async () => {
    const base = JSON.stringify(claims({ jti: freshJti() })).slice(0, -1)
    const cases: [string, FastMcpAuthErrorReason][] = [
      [`${base},"exp":${NOW - 10}}`, 'expired'],
      [`${base},"aud":"https://attacker.example/mcp"}`, 'invalid_audience'],
      [`${base},"iss":"https://attacker.example"}`, 'invalid_issuer'],
      [`${base},"token_use":"access","token_use":"refresh"}`, 'refresh_token'],
      [`${base},"client_id":7}`, 'invalid_claim'],
    ]
    for (const [payload, reason] of cases) {
      await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload)), INVALID_TOKEN(reason))
    }
  })

  attack('duplicate claim keys with a forged signature', async () => {
    const payload = `${JSON.stringify(claims({ jti: freshJti() })).slice(0, -1)},"scope":"admin"}`
    await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload, WRONG_KEY)), INVALID_TOKEN('bad_signature'))
  })

  attack('payload that is a JSON array, string, number or null, signed with the right key', async () => {
    for (const payload of [JSON.stringify([claims({ jti: freshJti() })]), '"a string"', '42', 'null', 'true']) {
      await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload)), INVALID_TOKEN('malformed'))
    }
  })

  attack('header that is a JSON array or a string', async () => {
    for (const header of ['[{"alg":"HS256"}]', '"HS256"', 'null']) {
      await expectRefused(targets, bearer(signRaw(header, JSON.stringify(claims({ jti: freshJti() })))), INVALID_TOKEN('malformed'))
    }
  })

  attack('payload or header that is not JSON at all', async () => {
    await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), 'not json')), INVALID_TOKEN('malformed'))
    await expectRefused(targets, bearer(signRaw('not json', JSON.stringify(claims({ jti: freshJti() })))), INVALID_TOKEN('malformed'))
  })

  attack('invalid UTF-8 in a validly signed payload', async () => {
    const json = Buffer.from(JSON.stringify(claims({ jti: freshJti(), client_id: 'XX' })))
    const at = json.indexOf('XX')
    for (const bytes of [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0]]) {
      const payload = Buffer.from(json)
      payload[at] = bytes[0]!
      payload[at + 1] = bytes[1]!
      await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload)), INVALID_TOKEN('malformed'))
    }
  })

  attack('invalid UTF-8 in the header', async () => {
    const header = Buffer.from('{"alg":"HS256","x":"XX"}')
    header[header.indexOf('XX')] = 0xff
    await expectRefused(targets, bearer(signRaw(header, JSON.stringify(claims({ jti: freshJti() })))), INVALID_TOKEN('malformed'))
  })
})

describe('attacks on the claims', () => {
  const withClaims = (overrides: Record<string, unknown>) => bearer(signToken(claims({ jti: freshJti(), ...overrides })))
  const withoutClaim = (name: string) => {
    const payload = claims({ jti: freshJti() })
    delete payload[name]
    return bearer(signToken(payload))
  }

  attack('missing exp', async () => {
    await expectRefused(targets, withoutClaim('exp'), INVALID_TOKEN('invalid_claim'))
  })

  attack('non-numeric exp', async () => {
    for (const exp of [String(NOW + 3600), null, true, [NOW + 3600], { exp: NOW + 3600 }]) {
      await expectRefused(targets, withClaims({ exp }), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('exp in the past', async () => {
    await expectRefused(targets, withClaims({ exp: NOW - 1 }), INVALID_TOKEN('expired'))
    await expectRefused(targets, withClaims({ exp: NOW }), INVALID_TOKEN('expired'))
    await expectRefused(targets, withClaims({ exp: 0 }), INVALID_TOKEN('expired'))
    await expectRefused(targets, withClaims({ exp: -1e300 }), INVALID_TOKEN('expired'))
    await expectRefused(targets, bearer(vector('fail-expired').token), INVALID_TOKEN('expired'))
  })

  attack('exp in the past within the tolerance is accepted, beyond it is refused', async () => {
    await withTargets({ clockToleranceSeconds: 30 }, async (tolerant) => {
      const within = signToken(claims({ jti: freshJti(), exp: NOW - 29 }))
      await expectAccepted(tolerant, bearer(within), within)
      await expectRefused(tolerant, withClaims({ exp: NOW - 30 }), INVALID_TOKEN('expired'))
      await expectRefused(tolerant, withClaims({ exp: NOW - 3600 }), INVALID_TOKEN('expired'))
    })
  })

  attack('exp as a huge number or a value that makes NaN or Infinity', async () => {
    // 1e400 is valid JSON that parses to Infinity: not a finite time
    for (const exp of ['1e400', '"NaN"', '"Infinity"', '"1e400"', '"9999999999"', '-1e400']) {
      const payload = `${JSON.stringify(claims({ jti: freshJti() })).slice(0, -1).replace(/"exp":\d+,?/, '')},"exp":${exp}}`
      // -Infinity is refused as expired by the time check before the finiteness check sees it
      const reasons: FastMcpAuthErrorReason[] = exp === '-1e400' ? ['expired', 'invalid_claim'] : ['invalid_claim']
      await expectRefused(targets, bearer(signRaw(JSON.stringify(JWT_HEADER), payload)), INVALID_TOKEN(...reasons))
    }
  })

  attack('exp as a huge finite number is refused even with the right signature', async () => {
    // beyond the lifetime bound: a revocation could never be remembered that long
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti(), exp: 1e300 }))), INVALID_TOKEN('lifetime_exceeded'))
    await expectRefused(targets, bearer(signToken(claims({ jti: freshJti(), exp: 1e300 }), { key: WRONG_KEY })), INVALID_TOKEN('bad_signature'))
    // inside the bound, a long-lived token signed right is valid (the cache still re-verifies it hourly)
    const genuine = signToken(claims({ jti: freshJti(), exp: NOW + 399 * 86400 }))
    await expectAccepted(targets, bearer(genuine), genuine)
  })

  attack('nbf in the future', async () => {
    await expectRefused(targets, withClaims({ nbf: NOW + 1 }), INVALID_TOKEN('not_yet_valid'))
    await expectRefused(targets, withClaims({ nbf: NOW + 86400 }), INVALID_TOKEN('not_yet_valid'))
    await expectRefused(targets, bearer(vector('quirk-nbf-future').token), INVALID_TOKEN('not_yet_valid'))
  })

  attack('nbf in the future within the tolerance is accepted, beyond it is refused', async () => {
    await withTargets({ clockToleranceSeconds: 30 }, async (tolerant) => {
      const within = signToken(claims({ jti: freshJti(), nbf: NOW + 30 }))
      await expectAccepted(tolerant, bearer(within), within)
      await expectRefused(tolerant, withClaims({ nbf: NOW + 31 }), INVALID_TOKEN('not_yet_valid'))
    })
  })

  attack('non-numeric nbf or iat', async () => {
    for (const overrides of [{ nbf: String(NOW) }, { nbf: null }, { iat: String(NOW) }, { iat: null }, { iat: [NOW] }]) {
      await expectRefused(targets, withClaims(overrides), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('iat in the future is accepted: like FastMCP, iat is not time-checked', async () => {
    const future = signToken(claims({ jti: freshJti(), iat: NOW + 86400 * 365 }))
    await expectAccepted(targets, bearer(future), future)
    await expectAccepted(targets, bearer(vector('quirk-iat-future').token))
  })

  attack('wrong iss', async () => {
    await expectRefused(targets, withClaims({ iss: 'https://attacker.example' }), INVALID_TOKEN('invalid_issuer'))
    await expectRefused(targets, withClaims({ iss: ISSUER.toUpperCase() }), INVALID_TOKEN('invalid_issuer'))
    await expectRefused(targets, bearer(vector('fail-wrong-issuer').token), INVALID_TOKEN('invalid_issuer'))
  })

  attack('iss with a trailing slash the server does not expect', async () => {
    assert.ok(!ISSUER.endsWith('/'))
    await expectRefused(targets, withClaims({ iss: `${ISSUER}/` }), INVALID_TOKEN('invalid_issuer'))
  })

  attack('iss without the trailing slash a FastMCP-style server expects', async () => {
    await withTargets({ issuer: `${ISSUER}/` }, async (slashed) => {
      await expectRefused(slashed, withClaims({ iss: ISSUER }), INVALID_TOKEN('invalid_issuer'))
      const right = signToken(claims({ jti: freshJti(), iss: `${ISSUER}/` }))
      await expectAccepted(slashed, bearer(right), right)
    })
  })

  attack('missing or non-string iss', async () => {
    await expectRefused(targets, withoutClaim('iss'), INVALID_TOKEN('invalid_claim'))
    await expectRefused(targets, withClaims({ iss: [ISSUER] }), INVALID_TOKEN('invalid_claim'))
  })

  attack('wrong aud', async () => {
    await expectRefused(targets, withClaims({ aud: 'https://attacker.example/mcp' }), INVALID_TOKEN('invalid_audience'))
    await expectRefused(targets, withClaims({ aud: `${AUDIENCE}/` }), INVALID_TOKEN('invalid_audience'))
    await expectRefused(targets, withoutClaim('aud'), INVALID_TOKEN('invalid_audience'))
    await expectRefused(targets, bearer(vector('fail-wrong-audience').token), INVALID_TOKEN('invalid_audience'))
  })

  attack('aud as an array, even one holding the right audience', async () => {
    await expectRefused(targets, withClaims({ aud: [AUDIENCE] }), INVALID_TOKEN('invalid_audience'))
    await expectRefused(targets, withClaims({ aud: [AUDIENCE, 'https://attacker.example/mcp'] }), INVALID_TOKEN('invalid_audience'))
    await expectRefused(targets, bearer(vector('fail-aud-array').token), INVALID_TOKEN('invalid_audience'))
  })

  attack('missing, empty or non-string jti', async () => {
    await expectRefused(targets, withoutClaim('jti'), INVALID_TOKEN('invalid_claim'))
    for (const jti of ['', 42, null, ['a']]) {
      await expectRefused(targets, bearer(signToken(claims({ jti }))), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('missing or non-string client_id', async () => {
    await expectRefused(targets, withoutClaim('client_id'), INVALID_TOKEN('invalid_claim'))
    for (const clientId of [42, null, ['client-abc'], { id: 'client-abc' }]) {
      await expectRefused(targets, withClaims({ client_id: clientId }), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('non-string scope', async () => {
    for (const scope of [['read', 'write'], 1, null, { read: true }]) {
      await expectRefused(targets, withClaims({ scope }), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('upstream_claims that is not a plain object', async () => {
    for (const upstream of [['sub'], 'sub', null, 1]) {
      await expectRefused(targets, withClaims({ upstream_claims: upstream }), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('token_use refresh: a refresh token used as an access token', async () => {
    await expectRefused(targets, withClaims({ token_use: 'refresh' }), INVALID_TOKEN('refresh_token'))
    await expectRefused(targets, bearer(vector('refresh-basic').token), INVALID_TOKEN('refresh_token'))
    for (const t of targets) {
      const minted = await t.ctx.auth.issueRefreshToken({ clientId: 'c', scopes: ['read'], jti: freshJti() })
      await expectRefused([t], bearer(minted.token), INVALID_TOKEN('refresh_token'))
    }
  })

  attack('token_use other than refresh or access', async () => {
    for (const use of ['Refresh', 'ACCESS', 'access ', '', null]) {
      await expectRefused(targets, withClaims({ token_use: use }), INVALID_TOKEN('invalid_claim'))
    }
  })

  attack('an exp further ahead than the lifetime bound', async () => {
    await expectRefused(targets, withClaims({ exp: NOW + 401 * 86400 }), INVALID_TOKEN('lifetime_exceeded'))
  })

  attack('a revoked jti', async () => {
    const jti = freshJti()
    const token = signToken(claims({ jti }))
    for (const t of targets) await t.ctx.auth.revoke(jti, NOW + 3600)
    await expectRefused(targets, bearer(token), INVALID_TOKEN('revoked'))
  })
})

describe('attacks on the cache', () => {
  attack('a forged token reusing the jti of a cached valid token', async () => {
    await withTargets({}, async (ts) => {
      const jti = freshJti()
      const genuine = signToken(claims({ jti, scope: 'read' }))
      await expectAccepted(ts, bearer(genuine), genuine)
      const [h, p, s] = genuine.split('.') as [string, string, string]
      const forgeries = [
        signToken(claims({ jti, scope: 'read admin' }), { key: WRONG_KEY }),
        `${h}.${b64json(claims({ jti, scope: 'read admin' }))}.${s}`,
        `${h}.${p}.${validToken().split('.')[2]}`,
        flipUnusedSignatureBits(genuine),
        `${h}.${p}.${s.slice(0, -1)}`,
      ]
      for (const forged of forgeries) await expectRefused(ts, bearer(forged), INVALID_TOKEN('bad_signature'))
      const [cachedHit] = await expectAccepted(ts.slice(0, 1), bearer(genuine), genuine)
      assert.deepEqual((JSON.parse(cachedHit!.body) as { auth: { scopes: string[] } }).auth.scopes, ['read'])
      assert.equal(ts[0]!.ctx.verified.at(-1)!.cached, true, 'the genuine token is still answered from the cache')
    })
  })

  attack('the same token after its exp while still in the cache', async () => {
    await withTargets({}, async (ts) => {
      const exp = NOW + 60
      const token = signToken(claims({ jti: freshJti(), exp }))
      await expectAccepted(ts, bearer(token), token)
      for (const t of ts) t.ctx.clock.set(exp * 1000 - 1)
      await expectAccepted(ts, bearer(token), token)
      assert.ok(ts.every((t) => t.ctx.verified.at(-1)!.cached), 'answered from the cache one millisecond before exp')
      // lru-cache still holds the entry at exactly exp (its TTL test is strict); the time rule refuses it
      for (const t of ts) t.ctx.clock.set(exp * 1000)
      await expectRefused(ts, bearer(token), INVALID_TOKEN('expired'))
    })
  })

  attack('the same token past exp plus the tolerance while still in the cache', async () => {
    await withTargets({ clockToleranceSeconds: 30 }, async (ts) => {
      const exp = NOW + 60
      const token = signToken(claims({ jti: freshJti(), exp }))
      await expectAccepted(ts, bearer(token), token)
      for (const t of ts) t.ctx.clock.set((exp + 30) * 1000 - 1)
      await expectAccepted(ts, bearer(token), token)
      for (const t of ts) t.ctx.clock.set((exp + 30) * 1000)
      await expectRefused(ts, bearer(token), INVALID_TOKEN('expired'))
    })
  })

  attack('a token revoked while cached', async () => {
    await withTargets({}, async (ts) => {
      const jti = freshJti()
      const token = signToken(claims({ jti }))
      await expectAccepted(ts, bearer(token), token)
      await expectAccepted(ts, bearer(token), token)
      for (const t of ts) await t.ctx.auth.revoke(jti)
      await expectRefused(ts, bearer(token), INVALID_TOKEN('revoked'))
      await expectRefused(ts, bearer(token), INVALID_TOKEN('revoked'))
    })
  })

  attack('eviction under a small cache.max never lets an unverified token through', async () => {
    await withTargets({ cache: { max: 2 } }, async (ts) => {
      const jtis = Array.from({ length: 6 }, freshJti)
      const genuine = jtis.map((jti, i) => signToken(claims({ jti, client_id: `client-${i}` })))
      for (let round = 0; round < 3; round++) {
        for (const [i, token] of genuine.entries()) {
          const [reply] = await expectAccepted(ts.slice(0, 1), bearer(token), token)
          assert.equal((JSON.parse(reply!.body) as { auth: { clientId: string } }).auth.clientId, `client-${i}`)
          // each token arrives after two others: always evicted, so always verified in full
          assert.equal(ts[0]!.ctx.verified.at(-1)!.cached, false)
        }
      }
      for (const token of genuine) await expectAccepted(ts, bearer(token), token)
      for (const [i, jti] of jtis.entries()) {
        const forged = signToken(claims({ jti, client_id: `client-${i}`, scope: 'admin' }), { key: WRONG_KEY })
        await expectRefused(ts, bearer(forged), INVALID_TOKEN('bad_signature'))
        const [gh, , gs] = genuine[i]!.split('.')
        await expectRefused(ts, bearer(`${gh}.${b64json(claims({ jti, scope: 'admin' }))}.${gs}`), INVALID_TOKEN('bad_signature'))
      }
      // a revocation outlives the eviction of its cache entry
      for (const t of ts) await t.ctx.auth.revoke(jtis[0]!, NOW + 3600)
      for (const token of genuine.slice(1)) await expectAccepted(ts, bearer(token), token)
      await expectRefused(ts, bearer(genuine[0]!), INVALID_TOKEN('revoked'))
    })
  })

  attack('a validly signed refresh token reusing a cached access token\'s jti', async () => {
    await withTargets({}, async (ts) => {
      const jti = freshJti()
      const access = signToken(claims({ jti }))
      await expectAccepted(ts, bearer(access), access)
      await expectRefused(ts, bearer(signToken(claims({ jti, token_use: 'refresh' }))), INVALID_TOKEN('refresh_token'))
    })
  })

  attack('an expired or not-yet-valid token reusing a cached valid token\'s jti', async () => {
    await withTargets({}, async (ts) => {
      const jti = freshJti()
      const valid = signToken(claims({ jti }))
      await expectAccepted(ts, bearer(valid), valid)
      await expectRefused(ts, bearer(signToken(claims({ jti, exp: NOW - 1 }))), INVALID_TOKEN('expired'))
      await expectRefused(ts, bearer(signToken(claims({ jti, nbf: NOW + 60 }))), INVALID_TOKEN('not_yet_valid'))
      await expectRefused(ts, bearer(signToken(claims({ jti, aud: 'https://attacker.example/mcp' }))), INVALID_TOKEN('invalid_audience'))
    })
  })

  attack('duplicate jti keys that make the cache key differ from the first jti', async () => {
    await withTargets({}, async (ts) => {
      const jti = freshJti()
      const valid = signToken(claims({ jti }))
      await expectAccepted(ts, bearer(valid), valid)
      // the cache reads the last jti like JSON.parse does; a forged token still needs its own signature
      const payload = `${JSON.stringify(claims({ jti: 'decoy', scope: 'admin' })).slice(0, -1)},"jti":"${jti}"}`
      await expectRefused(ts, bearer(signRaw(JSON.stringify(JWT_HEADER), payload, WRONG_KEY)), INVALID_TOKEN('bad_signature'))
    })
  })
})

describe('attacks on the transport', () => {
  const valid = signToken(claims({ jti: 'transport-valid' }))

  attack('no Authorization header', async () => {
    await expectRefused(targets, {}, NO_CREDENTIALS)
  })

  attack('an empty Authorization header', async () => {
    await expectRefused(targets, { headers: authorization('') }, NO_CREDENTIALS)
  })

  attack('Bearer with no token', async () => {
    // no credential at all: the plain challenge that starts a client's OAuth discovery
    for (const value of ['Bearer', 'Bearer ', 'bearer   ']) {
      await expectRefused(targets, { headers: authorization(value) }, NO_CREDENTIALS)
    }
  })

  attack('two tokens in one header', async () => {
    const other = validToken()
    for (const value of [`Bearer ${valid} ${other}`, `Bearer ${valid},${other}`, `Bearer ${valid}, Bearer ${other}`]) {
      await expectRefused(targets, { headers: authorization(value) }, INVALID_REQUEST('malformed_header'))
    }
  })

  attack('Basic scheme', async () => {
    await expectRefused(targets, { headers: authorization(`Basic ${b64url('user:pass')}`) }, NO_CREDENTIALS)
    await expectRefused(targets, { headers: authorization(`Basic ${valid}`) }, NO_CREDENTIALS)
  })

  attack('other schemes carrying a valid token (DPoP, Token, JWT, Bearer-less)', async () => {
    for (const value of [`DPoP ${valid}`, `Token ${valid}`, `JWT ${valid}`, valid, `Bearer:${valid}`, `Bearer\t${valid}`, `Bearerr ${valid}`]) {
      await expectRefused(targets, { headers: authorization(value) }, NO_CREDENTIALS)
    }
  })

  attack('the token in the query string alone', async () => {
    for (const path of [`/mcp?access_token=${valid}`, `/mcp?x=1&access_token=${valid}`, `/mcp?access%5Ftoken=${valid}`, `/mcp?%61ccess_token=${valid}`]) {
      await expectRefused(targets, { path }, INVALID_REQUEST('unsupported_method'))
    }
  })

  attack('the token in the query string and the header', async () => {
    await expectRefused(targets, { path: `/mcp?access_token=${valid}`, headers: authorization(`Bearer ${valid}`) }, INVALID_REQUEST('multiple_methods'))
    await expectRefused(targets, { path: '/mcp?access_token=', headers: authorization(`Bearer ${valid}`) }, INVALID_REQUEST('multiple_methods'))
  })

  attack('the token in the query string of an absolute-form request target', async () => {
    await expectRefused(targets, (t) => ({ path: `http://127.0.0.1:${t.server.port}/mcp?access_token=${valid}` }), INVALID_REQUEST('unsupported_method'))
  })

  attack('the token in a form body', async () => {
    const express = targets.filter((t) => t.kind !== 'http')
    const form = (extra: [string, string][] = []): SendOptions => ({
      method: 'POST',
      headers: [['Content-Type', 'application/x-www-form-urlencoded'], ...extra],
      body: `access_token=${valid}`,
    })
    await expectRefused(express, form(), INVALID_REQUEST('unsupported_method'))
    await expectRefused(express, form(authorization(`Bearer ${valid}`)), INVALID_REQUEST('multiple_methods'))
  })

  attack('two Authorization headers', async () => {
    const forged = signToken(claims({ jti: 'two-headers' }), { key: WRONG_KEY })
    for (const pair of [[valid, valid], [valid, forged], [forged, valid]]) {
      await expectRefused(targets, { headers: pair.map((token) => ['Authorization', `Bearer ${token}`] as [string, string]) }, INVALID_REQUEST('multiple_headers'))
    }
    await expectRefused(targets, { headers: [['Authorization', `Bearer ${valid}`], ['authorization', '']] }, INVALID_REQUEST('multiple_headers'))
    await expectRefused(targets, { headers: [['Authorization', `Bearer ${valid}`], ['AUTHORIZATION', 'Basic eDp5']] }, INVALID_REQUEST('multiple_headers'))
  })

  attack('an Authorization header over 16 KB: node:http answers 431 itself', async () => {
    await expectRawRefused(targets, `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${valid}${'A'.repeat(17 * 1024)}`, 431)
  })

  attack('the token in a cookie, a custom header or Proxy-Authorization', async () => {
    for (const header of [['Cookie', `access_token=${valid}`], ['X-Access-Token', valid], ['Proxy-Authorization', `Bearer ${valid}`], ['X-Authorization', `Bearer ${valid}`]] as [string, string][]) {
      await expectRefused(targets, { headers: [header] }, NO_CREDENTIALS)
    }
  })

  attack('a look-alike scheme in Cyrillic (UTF-8 bytes)', async () => {
    for (const t of targets) {
      const handled = t.server.handled()
      const reply = await rawSend(t.server.port, Buffer.from(`GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Веarer ${valid}\r\nConnection: close\r\n\r\n`, 'utf8'))
      record(reply, false)
      assert.equal(reply.status, 401)
      assert.equal(t.server.handled(), handled)
    }
  })

  attack('a forged request pipelined behind a valid one on the same connection', async () => {
    const forged = signToken(claims({ jti: 'transport-valid', scope: 'admin' }), { key: WRONG_KEY })
    for (const t of targets) {
      const handled = t.server.handled()
      const reply = await rawSend(t.server.port,
        `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${valid}\r\n\r\n` +
        `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forged}\r\nConnection: close\r\n\r\n`)
      record(reply, true)
      const statuses = [...`${reply.head}\r\n\r\n${reply.body}`.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
      assert.deepEqual(statuses, [200, 401], t.kind)
      assert.equal(t.server.handled(), handled + 1)
      totals.requests++
    }
  })

  attack('OPTIONS with a forged token is authenticated like GET', async () => {
    const forged = signToken(claims({ jti: 'options' }), { key: WRONG_KEY })
    await expectRefused(targets, { method: 'OPTIONS', headers: authorization(`Bearer ${forged}`) }, INVALID_TOKEN('bad_signature'))
    await expectRefused(targets, { method: 'OPTIONS' }, NO_CREDENTIALS)
  })

  attack('a CORS preflight with a forged token reaches the handler without req.auth', async () => {
    const forged = signToken(claims({ jti: 'preflight' }), { key: WRONG_KEY })
    for (const t of targets) {
      const headers: [string, string][] = [...authorization(`Bearer ${forged}`), ['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']]
      const reply = await client.send(t.server.port, { method: 'OPTIONS', headers })
      record(reply, true)
      assert.equal(reply.status, 200)
      // preflights pass untouched (Fetch standard), and nothing is authenticated by them
      assert.deepEqual(JSON.parse(reply.body), { ok: true })
    }
  })

  attack('CRLF in resourceMetadataUrl never reaches the WWW-Authenticate header', async () => {
    const url = 'https://mcp.example.com/meta\r\nSet-Cookie: session=attacker\r\n\r\n<html>'
    await withTargets({ resourceMetadataUrl: url }, async (ts) => {
      for (const t of ts) {
        for (const request of [{}, bearer(signToken(claims({ jti: freshJti() }), { key: WRONG_KEY }))]) {
          const reply = await client.send(t.server.port, request)
          record(reply, false)
          assert.equal(reply.status, 401)
          assert.equal(reply.headers['set-cookie'], undefined)
          const params = parseChallenge(reply.headers['www-authenticate'])
          // the URL is serialized at set-up: the WHATWG parser drops CR and LF, encodes the rest
          assert.equal(params.resource_metadata, 'https://mcp.example.com/metaSet-Cookie:%20session=attacker%3Chtml%3E')
          assert.equal(t.server.handled(), 0)
        }
      }
    })
  })

  attack('quotes, backslashes, controls and non-ASCII in resourceMetadataUrl stay inside one quoted value', async () => {
    for (const url of ['https://mcp.example.com/a"b\\c', 'https://mcp.example.com/\0\x7f', 'https://例え.jp/メタ', 'https://mcp.example.com/x", error="none']) {
      await withTargets({ resourceMetadataUrl: url }, async (ts) => {
        for (const t of ts) {
          const reply = await client.send(t.server.port, bearer(signToken(claims({ jti: freshJti() }), { key: WRONG_KEY })))
          record(reply, false)
          const params = parseChallenge(reply.headers['www-authenticate'])
          assert.equal(params.error, 'invalid_token')
          assert.equal(Object.keys(params).length, 3, `one resource_metadata value: ${JSON.stringify(reply.headers['www-authenticate'])}`)
        }
      }, {}, ['http'])
    }
  })

  attack('quotes, backslashes and controls in a required scope are refused at set-up', async () => {
    const ctx = createAuthContext()
    for (const scope of ['admin"', 'x\\y', 'a\r\nb', 'a b']) {
      assert.throws(() => ctx.auth.requireScopes(scope), TypeError, JSON.stringify(scope))
    }
  })

  attack('CRLF in the Authorization header cannot smuggle a second request', async () => {
    for (const t of targets) {
      const handled = t.server.handled()
      // LF-only and CR-only line ends inside a value: node:http refuses the whole request
      const reply = await rawSend(t.server.port, `GET /mcp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\rGET /mcp HTTP/1.1\r\nConnection: close\r\n\r\n`)
      record(reply, false)
      assert.equal(reply.status, 400)
      assert.equal(t.server.handled(), handled)
    }
  })
})

describe('the attack run as a whole', () => {
  test('no forgery was accepted, no 5xx, no unhandled rejection or uncaught exception', (t) => {
    assert.equal(totals.acceptedForgeries, 0)
    assert.equal(totals.serverErrors, 0)
    for (const target of targets) assert.equal(target.server.serverErrors(), 0)
    assert.deepEqual(processWatch.events, [])
    t.diagnostic(`attacks run: ${totals.attacks}; requests: ${totals.requests}; accepted forgeries: ${totals.acceptedForgeries}; 5xx: ${totals.serverErrors}`)
  })
})

