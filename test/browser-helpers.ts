// Helpers for the headless-Chromium tests: Debian's chromium through playwright-core, servers
// on loopback port 0, and the MCP SDK client bundled for the browser with esbuild.
import { existsSync } from 'node:fs'
import type http from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium } from 'playwright-core'
import { closeServer, listenLocal } from './helpers.js'

// Debian's chromium, never a browser download; .ci/run installs it
export const executablePath = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium']
  .find((p): p is string => p !== undefined && existsSync(p))

/** Headless Chromium; close it in `after`. */
export function launchChromium(): Promise<Browser> {
  if (executablePath === undefined) {
    throw new Error('no chromium: install Debian\'s chromium package (.ci/run does), or set CHROMIUM_PATH')
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] })
}

/** Listens on 127.0.0.1, port 0; resolves to the port. */
export const listen = async (server: http.Server): Promise<string> => String((await listenLocal(server)).port)

export { closeServer as close }

/**
 * One ES module for the page, from source text (resolved from the package root) or a file:
 * the SDK's imports bundled in, no types checked.
 */
export async function bundleForBrowser(entry: { contents: string } | { file: URL }): Promise<string> {
  const root = fileURLToPath(new URL('../', import.meta.url))
  const out = await build({
    ...('file' in entry
      ? { entryPoints: [fileURLToPath(entry.file)] }
      : { stdin: { contents: entry.contents, resolveDir: root, loader: 'js' as const } }),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}
