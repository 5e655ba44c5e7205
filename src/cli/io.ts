// What a `fastmcp-auth` command may touch: its output streams, stdin, the environment,
// files and the clock, in one interface so commands stay testable and the entry small.
import { readFile } from 'node:fs/promises'
import { UsageError } from './usage.js'

/** The outside world of one command-line run. */
export interface CliIo {
  /** Writes to standard output, as is. */
  stdout(text: string): void
  /** Writes to standard error, as is. */
  stderr(text: string): void
  /** The whole of standard input, as UTF-8 text. */
  readStdin(): Promise<string>
  /** A file's content, as UTF-8 text. */
  readFile(path: string): Promise<string>
  /** The environment (`process.env`). */
  env: { readonly [name: string]: string | undefined }
  /** Milliseconds since the epoch, like `Date.now`. */
  now(): number
}

/** Largest input read from stdin or a key file, in bytes: a token or a key is far smaller. */
export const MAX_INPUT_BYTES = 1024 * 1024

// C1 controls (U+009B is CSI to many terminals) and bidi or invisible format marks: an
// unverified claim could drive the terminal or reorder what the operator reads
const UNSAFE_FOR_TERMINAL = /[\u0080-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/**
 * `text` with every such character written as `\uXXXX`: inside a JSON string that is the
 * same value, so `--json` output stays valid JSON. (JSON.stringify already escapes C0.)
 */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The real process: its streams, environment and clock. */
export function processIo(): CliIo {
  // a reader that closes the pipe early (`| head`) must not turn into a stack trace
  process.stdout.on('error', () => {})
  process.stderr.on('error', () => {})
  return {
    stdout: (text) => void process.stdout.write(forTerminal(text)),
    stderr: (text) => void process.stderr.write(forTerminal(text)),
    readStdin: () => readStream(process.stdin),
    readFile: async (path) => {
      const text = await readFile(path, 'utf8')
      if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new UsageError(`${path}: larger than 1 MiB`)
      return text
    },
    env: process.env,
    now: Date.now,
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buffer.length
    if (size > MAX_INPUT_BYTES) throw new UsageError('stdin: more than 1 MiB; a token is far smaller')
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The token a command was given: the argument itself, or stdin when it is `-`.
 * Surrounding whitespace and a pasted `Bearer ` prefix are dropped.
 *
 * @throws UsageError when it is empty.
 */
export async function readTokenArgument(arg: string, io: CliIo, command: string): Promise<string> {
  const raw = arg === '-' ? await io.readStdin() : arg
  const token = raw.trim().replace(/^bearer\s+/i, '')
  if (token.length === 0) throw new UsageError(`${command}: the TOKEN${arg === '-' ? ' on stdin' : ''} is empty`)
  return token
}

/** A file's content with its trailing newlines dropped, as `$(cat file)` reads it. */
export async function readTextFile(path: string, io: CliIo, flag: string): Promise<string> {
  let text: string
  try {
    text = await io.readFile(path)
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${flag}: ${err.message}`)
    const code = (err as { code?: unknown } | null)?.code
    throw new UsageError(`${flag}: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`)
  }
  return text.replace(/(\r?\n)+$/, '')
}
