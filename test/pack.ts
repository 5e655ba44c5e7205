// The package as a user gets it: `npm pack` of the dist/ that `npm test` builds first
// (packing skips prepack, so no rebuild races the test files that load dist/ meanwhile),
// installed into a fresh project.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository's root directory. */
export const root = fileURLToPath(new URL('../', import.meta.url))

/** npm without the npm_* variables of an enclosing `npm test`, which would steer it. */
export function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)))
  return run('npm', args, { cwd, env, encoding: 'utf8', maxBuffer: 16 << 20 })
}

/** Packs the package into `destination`: the tarball's path and the files it holds. */
export async function packTarball(destination: string): Promise<{ tarball: string; files: string[] }> {
  assert.ok(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run `npm run build` (npm test does)')
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', destination], root)
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  return { tarball: join(destination, packed!.filename), files: packed!.files.map((f) => f.path) }
}

/** Installs `tarball` (and `others`, e.g. optional peers as `name@version`) into the project at `dir`. */
export async function installTarball(dir: string, tarball: string, others: readonly string[] = []): Promise<void> {
  // jose and lru-cache come from the npm cache that `npm ci` filled
  await npm(['install', tarball, ...others, '--no-audit', '--no-fund', '--prefer-offline'], dir)
}
