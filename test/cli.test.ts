// The `fastmcp-auth` bin as a user gets it: packed, installed from the tarball into
// a fresh project, and run as a child process. Every command, every exit code, explain's
// causes, stdin, --json shapes, and no secret or derived key in any output.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { deriveJwtKey } from '../src/index.js'
import { validPayload, vector, vectors } from './helpers.js'
import { installTarball, packTarball, root } from './pack.js'

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }

const SECRET = 'cli-test-secret-7f3Kq9-never-printed'
const OLD_SECRET = 'cli-test-old-secret-2b8Wx1-never-printed'
const ISSUER = 'https://mcp.example.com/'
const AUDIENCE = 'https://mcp.example.com/mcp'
const SITE = ['--issuer', ISSUER, '--audience', AUDIENCE]
const HIGH = ['--entropy', 'high'] // HKDF: microseconds, where the test is not about PBKDF2

interface Run {
  args: string[]
  code: number | null
  stdout: string
  stderr: string
}

let tmp: string
let bin: string
/** Every run, for the last test: no secret or key in any output. */
const runs: Run[] = []

/** Runs the installed bin with only PATH and `env` in its environment. */
function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: { PATH: process.env.PATH ?? '', ...(options.env ?? { FASTMCP_JWT_SECRET: SECRET }) } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const run = { args, code, stdout, stderr }
      runs.push(run)
      resolve(run)
    })
    child.stdin.end(options.input ?? '')
  })
}

function json(run: Run): Record<string, unknown> {
  return JSON.parse(run.stdout) as Record<string, unknown>
}

/** A fresh access token for SITE, signed with the high-entropy key of SECRET. */
async function mint(extra: string[] = [], env?: Record<string, string>): Promise<string> {
  const run = await cli(['mint', ...SITE, '--client-id', 'cli-test', ...HIGH, ...extra], env === undefined ? {} : { env })
  assert.equal(run.code, 0, run.stderr)
  return run.stdout.trim()
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fastmcp-auth-cli-'))
  const { tarball } = await packTarball(tmp)
  const app = join(tmp, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{ "name": "cli-test-app", "private": true }\n')
  await installTarball(app, tarball)
  bin = join(app, 'node_modules/.bin/fastmcp-auth')
})

after(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

describe('fastmcp-auth --help', () => {
  test('lists every command and the exit codes; exit 0', async () => {
    const run = await cli(['--help'])
    assert.equal(run.code, 0)
    for (const name of ['derive-key', 'mint', 'verify', 'explain', 'inspect']) assert.match(run.stdout, new RegExp(`\\n  ${name} `))
    assert.match(run.stdout, /Exit codes: 0 done or accepted, 1 refused, 2 usage/)
  })

  test('no command: the help on stderr, exit 2', async () => {
    const run = await cli([])
    assert.equal(run.code, 2)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /^Usage: fastmcp-auth <command>/)
  })

  for (const name of ['derive-key', 'mint', 'verify', 'explain', 'inspect']) {
    test(`${name} --help prints its usage; exit 0, nothing derived or read`, async () => {
      const run = await cli([name, '--help'], { env: {} })
      assert.equal(run.code, 0, run.stderr)
      assert.match(run.stdout, new RegExp(`^Usage: fastmcp-auth ${name}`))
    })
  }

  test('--version prints the package version', async () => {
    assert.equal((await cli(['--version'])).stdout, `${pkg.version}\n`)
  })
})

describe('fastmcp-auth derive-key', () => {
  const derive = (id: string) => vectors.derive.find((v) => v.id === id)!

  test('prints FastMCP\'s key for vector derive-1-low (PBKDF2, default salt)', async () => {
    const v = derive('derive-1-low')
    const run = await cli(['derive-key'], { env: { FASTMCP_JWT_SECRET: v.material } })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, `${v.key}\n`)
  })

  test('prints FastMCP\'s key for vector derive-2-high (--entropy high)', async () => {
    const v = derive('derive-2-high')
    assert.equal((await cli(['derive-key', ...HIGH], { env: { FASTMCP_JWT_SECRET: v.material } })).stdout, `${v.key}\n`)
  })

  test('reads --secret-file without its trailing newline, with --salt (vector derive-7-high)', async () => {
    const v = derive('derive-7-high')
    const file = join(tmp, 'derive-7.secret')
    writeFileSync(file, `${v.material}\n`)
    const run = await cli(['derive-key', '--secret-file', file, '--salt', v.salt, ...HIGH], { env: {} })
    assert.equal(run.stdout, `${v.key}\n`)
  })

  test('without a secret: exit 2, naming FASTMCP_JWT_SECRET', async () => {
    const run = await cli(['derive-key'], { env: {} })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^fastmcp-auth: derive-key: no secret: set FASTMCP_JWT_SECRET/)
  })
})

describe('fastmcp-auth mint', () => {
  test('--json prints exactly token, jti and expires_at; an access token lives 3600 s', async () => {
    const run = await cli(['mint', ...SITE, '--client-id', 'c1', '--scope', 'notes:read notes:write', ...HIGH, '--json'])
    assert.equal(run.code, 0, run.stderr)
    const out = json(run)
    assert.deepEqual(Object.keys(out), ['token', 'jti', 'expires_at'])
    const claims = json(await cli(['inspect', String(out.token), '--json'])).payload as Record<string, unknown>
    assert.equal(claims.jti, out.jti)
    assert.equal(claims.exp, out.expires_at)
    assert.equal(Number(claims.exp) - Number(claims.iat), 3600)
    assert.equal(claims.scope, 'notes:read notes:write')
    assert.equal(claims.iss, ISSUER)
    assert.equal(claims.aud, AUDIENCE)
  })

  test('--refresh mints token_use "refresh", 30 days by default', async () => {
    const token = await mint(['--refresh'])
    const claims = json(await cli(['inspect', token, '--json'])).payload as Record<string, unknown>
    assert.equal(claims.token_use, 'refresh')
    assert.equal(Number(claims.exp) - Number(claims.iat), 2_592_000)
  })

  test('--jti, --expires-in and --upstream-claims go into the claims', async () => {
    const token = await mint(['--jti', 'jti-cli-1', '--expires-in', '60', '--upstream-claims', '{"sub":"u1","groups":["a"]}'])
    const claims = json(await cli(['inspect', token, '--json'])).payload as Record<string, unknown>
    assert.equal(claims.jti, 'jti-cli-1')
    assert.equal(Number(claims.exp) - Number(claims.iat), 60)
    assert.deepEqual(claims.upstream_claims, { sub: 'u1', groups: ['a'] })
  })

  test('writes FastMCP 3.4+\'s header, or the older one with --legacy-header; --subject sets sub after jti', async () => {
    const current = json(await cli(['inspect', await mint(['--subject', 'user-1', '--jti', 'j1']), '--json']))
    assert.equal(Buffer.from(String((await mint()).split('.')[0]), 'base64url').toString(), '{"typ":"JWT","alg":"HS256"}')
    assert.deepEqual(Object.keys(current.payload as object), ['iss', 'aud', 'client_id', 'scope', 'exp', 'iat', 'jti', 'sub'])
    assert.equal((current.payload as Record<string, unknown>).sub, 'user-1')
    const legacy = (await mint(['--legacy-header'])).split('.')[0]!
    assert.equal(Buffer.from(legacy, 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}')
  })

  const usage: [string, string[], RegExp][] = [
    ['no --client-id', ['mint', ...SITE], /^fastmcp-auth: mint: --client-id is required\n$/],
    ['no --issuer', ['mint', '--audience', AUDIENCE, '--client-id', 'c'], /--issuer is required/],
    ['--expires-in 0', ['mint', ...SITE, '--client-id', 'c', '--expires-in', '0'], /--expires-in must be a whole number of seconds, from 1 to 34560000/],
    ['--expires-in beyond 400 days', ['mint', ...SITE, '--client-id', 'c', '--expires-in', '34560001'], /--expires-in must be a whole number of seconds, from 1 to 34560000/],
    ['--upstream-claims not an object', ['mint', ...SITE, '--client-id', 'c', '--upstream-claims', '[1]'], /--upstream-claims must be a JSON object/],
    ['--entropy medium', ['mint', ...SITE, '--client-id', 'c', '--entropy', 'medium'], /--entropy must be low or high/],
  ]
  for (const [name, args, message] of usage) {
    test(`${name}: exit 2 with one line naming the flag`, async () => {
      const run = await cli(args)
      assert.equal(run.code, 2)
      assert.match(run.stderr, message)
      assert.equal(run.stderr.split('\n').length, 2, 'one line')
      assert.equal(run.stdout, '')
    })
  }
})

describe('fastmcp-auth verify', () => {
  test('an accepted token: exit 0 and its claims as JSON', async () => {
    const token = await mint(['--jti', 'jti-verify-1'])
    const run = await cli(['verify', token, ...SITE, ...HIGH])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(json(run).jti, 'jti-verify-1')
    assert.equal(run.stderr, '')
  })

  test('reads the token from stdin with -', async () => {
    const token = await mint()
    const run = await cli(['verify', '-', ...SITE, ...HIGH, '--json'], { input: `${token}\n` })
    assert.equal(run.code, 0, run.stderr)
    assert.equal(json(run).valid, true)
    assert.equal((json(run).claims as Record<string, unknown>).aud, AUDIENCE)
  })

  test('another audience: exit 1, the reason and description on stderr', async () => {
    const run = await cli(['verify', await mint(), '--issuer', ISSUER, '--audience', 'https://mcp.example.com/other', ...HIGH])
    assert.equal(run.code, 1)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /^refused: invalid_audience: The token is for another audience \(expected "https:\/\/mcp\.example\.com\/other", found "https:\/\/mcp\.example\.com\/mcp"\)/)
  })

  test('--json: a refusal is an object on stdout', async () => {
    const run = await cli(['verify', await mint(), '--issuer', 'https://mcp.example.com', '--audience', AUDIENCE, ...HIGH, '--json'])
    assert.equal(run.code, 1)
    assert.deepEqual(json(run), {
      valid: false,
      reason: 'invalid_issuer',
      description: 'The token was issued by another issuer',
      expected: 'https://mcp.example.com',
      found: ISSUER,
    })
  })

  test('a refresh token is refused (refresh_token) unless --refresh', async () => {
    const token = await mint(['--refresh'])
    const refused = await cli(['verify', token, ...SITE, ...HIGH])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^refused: refresh_token: A refresh token cannot be used as an access token/)
    assert.equal((await cli(['verify', token, ...SITE, ...HIGH, '--refresh'])).code, 0)
    assert.equal((await cli(['verify', await mint(), ...SITE, ...HIGH, '--refresh'])).code, 1, 'an access token is not a refresh token')
  })

  test('a FastMCP vector verifies; it expires in 2100, so only with --max-lifetime above the 400-day bound', async () => {
    const v = vector('access-basic')
    const env = { FASTMCP_JWT_SECRET: v.key_material }
    const bounded = await cli(['verify', v.token, '--issuer', v.issuer, '--audience', v.audience], { env })
    assert.equal(bounded.code, 1)
    assert.match(bounded.stderr, /^refused: lifetime_exceeded: /)
    const run = await cli(['verify', v.token, '--issuer', v.issuer, '--audience', v.audience, '--max-lifetime', String(100 * 365 * 86400)], { env })
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(json(run), validPayload('access-basic'))
  })

  test('FastMCP vector fail-expired: exit 1, expired', async () => {
    const v = vector('fail-expired')
    const run = await cli(['verify', v.token, '--issuer', v.issuer, '--audience', v.audience], { env: { FASTMCP_JWT_SECRET: v.key_material } })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /^refused: expired: The token has expired/)
  })

  test('a key from --signing-key-file (derive-key\'s output) verifies what the secret minted', async () => {
    const file = join(tmp, 'signing.key')
    writeFileSync(file, (await cli(['derive-key', ...HIGH])).stdout)
    const run = await cli(['verify', await mint(), ...SITE, '--signing-key-file', file], { env: {} })
    assert.equal(run.code, 0, run.stderr)
  })

  test('without a key: exit 2, saying where a key comes from', async () => {
    const run = await cli(['verify', 'x.y.z', ...SITE], { env: {} })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /verify: no key: set FASTMCP_JWT_SECRET, or pass --secret-file PATH or --signing-key-file PATH/)
  })
})

describe('fastmcp-auth explain', () => {
  test('an accepted token: every check ok, exit 0', async () => {
    const run = await cli(['explain', await mint(), ...SITE, ...HIGH])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /^Decoded, NOT VERIFIED/)
    assert.doesNotMatch(run.stdout, /\[FAIL\]|\[skip\]/)
    assert.match(run.stdout, /\nVerdict: ACCEPTED/)
  })

  test('the wrong entropy mode (FastMCP vector fail-mode-confusion): HKDF signed, PBKDF2 configured', async () => {
    const v = vector('fail-mode-confusion')
    const run = await cli(['explain', v.token, '--issuer', v.issuer, '--audience', v.audience], { env: { FASTMCP_JWT_SECRET: v.key_material } })
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[FAIL\] signature/)
    assert.match(run.stdout, /cause: {4}the signer derived the key with HKDF \(entropy high\), you with PBKDF2 \(entropy low\): use --entropy high/)
    assert.match(run.stdout, /Verdict: REFUSED \(bad_signature\)/)
  })

  test('the wrong salt: signed with FastMCP\'s default salt, another configured (--json)', async () => {
    const run = await cli(['explain', await mint(), ...SITE, ...HIGH, '--salt', 'my-app-salt', '--json'])
    assert.equal(run.code, 1)
    const report = json(run)
    assert.equal(report.reason, 'bad_signature')
    assert.equal(report.signedWith, 'default_salt')
    const signature = (report.checks as { name: string; hint: string }[]).find((c) => c.name === 'signature')!
    assert.match(signature.hint, /default salt "fastmcp-jwt-signing-key", you "my-app-salt": drop --salt/)
  })

  test('a trailing-slash issuer', async () => {
    const run = await cli(['explain', await mint(), '--issuer', 'https://mcp.example.com', '--audience', AUDIENCE, ...HIGH])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[FAIL\] iss {8}expected: "https:\/\/mcp\.example\.com"\n\s+found: {4}"https:\/\/mcp\.example\.com\/"\n\s+cause: {4}trailing slash/)
    assert.match(run.stdout, /Verdict: REFUSED \(invalid_issuer\)/)
  })

  test('the wrong audience', async () => {
    const run = await cli(['explain', await mint(), '--issuer', ISSUER, '--audience', 'https://mcp.example.com/api/mcp', ...HIGH, '--json'])
    assert.equal(json(run).reason, 'invalid_audience')
    const aud = (json(run).checks as { name: string; hint: string }[]).find((c) => c.name === 'aud')!
    assert.equal(aud.hint, 'another path (/mcp in the token, /api/mcp on the server)')
  })

  test('an expired token (FastMCP vector fail-expired): how long ago, and when', async () => {
    const v = vector('fail-expired')
    const run = await cli(['explain', v.token, '--issuer', v.issuer, '--audience', v.audience], { env: { FASTMCP_JWT_SECRET: v.key_material } })
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[FAIL\] exp .*\n\s+found: {4}expired \d+ d( \d+ h)? ago \(202[01]-\d\d-\d\dT[\d:]+Z\)/)
    assert.match(run.stdout, /Verdict: REFUSED \(expired\): The token has expired/)
  })

  test('a token that expires beyond the lifetime bound', async () => {
    const run = await cli(['explain', await mint(['--expires-in', '7200']), ...SITE, ...HIGH, '--max-lifetime', '3600'])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[FAIL\] lifetime +expected: exp at most 1 h ahead \(maxTokenLifetimeSeconds\)\n\s+found: {4}exp (1 h 59 min|2 h) ahead/)
    assert.match(run.stdout, /Verdict: REFUSED \(lifetime_exceeded\)/)
  })

  test('a refresh token presented as an access token', async () => {
    const run = await cli(['explain', await mint(['--refresh']), ...SITE, ...HIGH])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[FAIL\] token_use/)
    assert.match(run.stdout, /Verdict: REFUSED \(refresh_token\)/)
  })

  test('a token signed with a previous secret from FASTMCP_JWT_PREVIOUS_SECRETS', async () => {
    const token = await mint([], { FASTMCP_JWT_SECRET: OLD_SECRET })
    const run = await cli(['explain', token, ...SITE, ...HIGH, '--json'], {
      env: { FASTMCP_JWT_SECRET: SECRET, FASTMCP_JWT_PREVIOUS_SECRETS: `another-old-secret-xyz,\n${OLD_SECRET}, s3,s4,s5,s6` },
    })
    assert.equal(json(run).signedWith, 'previous_secret')
    assert.match(run.stdout, /previous secret #2 of FASTMCP_JWT_PREVIOUS_SECRETS/)
    assert.equal(run.stderr, 'note: FASTMCP_JWT_PREVIOUS_SECRETS holds 6 secrets; the first 5 are tried\n')
  })

  test('from stdin, without a key: claims shown, signature not checked, exit 1 (undecided)', async () => {
    const run = await cli(['explain', '-', ...SITE], { env: {}, input: await mint() })
    assert.equal(run.code, 1)
    assert.match(run.stdout, /\[skip\] signature .*\n.*\n\s+note: {5}no key: set FASTMCP_JWT_SECRET/)
    assert.match(run.stdout, /Verdict: UNDECIDED: nothing failed, but signature could not be checked/)
  })

  test('--json: verdict, reason, the checks, and the decoded parts under "unverified"', async () => {
    const run = await cli(['explain', await mint(['--jti', 'jti-json']), ...SITE, ...HIGH, '--json'])
    const report = json(run)
    assert.deepEqual(Object.keys(report).sort(), ['checks', 'unverified', 'verdict'])
    assert.equal(report.verdict, 'accepted')
    assert.equal(((report.unverified as Record<string, Record<string, unknown>>).claims!).jti, 'jti-json')
    for (const c of report.checks as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(c).filter((k) => k !== 'hint'), ['name', 'status', 'expected', 'found'])
    }
  })
})

describe('fastmcp-auth inspect', () => {
  test('decodes a token, marked UNVERIFIED, without any key; exit 0', async () => {
    const run = await cli(['inspect', await mint(['--jti', 'jti-inspect'])], { env: {} })
    assert.equal(run.code, 0)
    assert.match(run.stdout, /^UNVERIFIED: decoded only, nothing checked/)
    assert.match(run.stdout, /\n {2}jti +"jti-inspect"\n/)
  })

  test('--json from stdin: { verified: false, header, payload }', async () => {
    const v = vector('access-basic')
    const run = await cli(['inspect', '-', '--json'], { env: {}, input: v.token })
    assert.deepEqual(json(run), { verified: false, header: v.header, payload: validPayload('access-basic') })
  })

  test('terminal control and bidi characters in unverified claims are written as \\u escapes', async () => {
    const sneaky = 'ok\u202egnp.exe\u009b31m'
    const run = await cli(['inspect', await mint(['--subject', sneaky])], { env: {} })
    assert.equal(run.code, 0)
    assert.doesNotMatch(run.stdout, /[\u0080-\u009f\u202e]/)
    assert.match(run.stdout, /ok\\u202egnp\.exe\\u009b31m/)
    // in --json the escapes are JSON's own: the value survives intact
    const asJson = await cli(['inspect', await mint(['--subject', sneaky]), '--json'], { env: {} })
    assert.doesNotMatch(asJson.stdout, /[\u0080-\u009f\u202e]/)
    assert.equal((json(asJson).payload as { sub: string }).sub, sneaky)
  })

  test('not a token: exit 1', async () => {
    const run = await cli(['inspect', 'not-a-token'])
    assert.equal(run.code, 1)
    assert.match(run.stderr, /not a compact JWT/)
  })
})

describe('usage and configuration errors: exit 2, one line naming the flag', () => {
  test('--secret VALUE is refused, saying why, without echoing the value', async () => {
    const run = await cli(['mint', ...SITE, '--client-id', 'c', '--secret', SECRET], { env: {} })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^fastmcp-auth: --secret is not accepted: a secret on the command line stays in shell history and is visible in ps/)
  })

  test('--secret=VALUE too, on any command and before one', async () => {
    for (const args of [['verify', 't', `--secret=${SECRET}`], [`--secret=${SECRET}`, 'derive-key']]) {
      const run = await cli(args, { env: {} })
      assert.equal(run.code, 2)
      assert.match(run.stderr, /--secret is not accepted/)
    }
  })

  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['verify', 't', ...SITE, '--audiance', 'x'], /^fastmcp-auth: verify: unknown option --audiance; see --help\n$/],
    ['an unknown command', ['verfy'], /^fastmcp-auth: unknown command 'verfy'; commands: derive-key, mint, verify, explain, inspect/],
    ['no TOKEN', ['verify', ...SITE], /^fastmcp-auth: verify: takes TOKEN\|-, got 0 argument\(s\)/],
    ['two files', ['derive-key', '--secret-file', 'a', '--signing-key-file', 'b'], /unknown option --signing-key-file/],
    ['--secret-file and --signing-key-file', ['verify', 't', ...SITE, '--secret-file', 'a', '--signing-key-file', 'b'], /pass --secret-file or --signing-key-file, not both/],
    ['a missing --secret-file', ['derive-key', '--secret-file', '/nonexistent/secret'], /^fastmcp-auth: --secret-file: cannot read \/nonexistent\/secret \(ENOENT\)\n$/],
    ['--salt with a ready key', ['verify', 't', ...SITE, '--signing-key-file', '/dev/null', '--salt', 's'], /--entropy and --salt derive a key from a secret; --signing-key-file is a ready key/],
    ['an empty token on stdin', ['inspect', '-'], /inspect: the TOKEN on stdin is empty/],
    ['a value-less option', ['verify', 't', '--issuer'], /verify: --issuer needs a value/],
  ]
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const run = await cli(args)
      assert.equal(run.code, 2, run.stderr)
      assert.match(run.stderr, message)
      assert.equal(run.stderr.trim().split('\n').length, 1)
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    })
  }
})

describe('secrets stay secret', () => {
  test('no output of any run holds a secret; only derive-key prints a key', async () => {
    const keys = (await Promise.all([SECRET, OLD_SECRET].flatMap((s) => [
      deriveJwtKey({ highEntropyMaterial: s }),
      deriveJwtKey({ highEntropyMaterial: s, salt: 'my-app-salt' }),
    ]))).map((k) => Buffer.from(k).toString('latin1'))
    keys.push(vector('access-basic').key)
    assert.ok(runs.length > 40, `${runs.length} runs`)
    for (const run of runs) {
      for (const secret of [SECRET, OLD_SECRET, vector('access-basic').key_material]) {
        assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `a secret in the output of ${run.args[0]}`)
      }
      for (const key of keys) {
        assert.ok(!run.stderr.includes(key), `a key on stderr of ${run.args[0]}`)
        if (run.args[0] !== 'derive-key') assert.ok(!run.stdout.includes(key), `a key on stdout of ${run.args[0]}`)
      }
    }
  })
})
