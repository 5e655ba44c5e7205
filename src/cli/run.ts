// `fastmcp-auth`'s dispatcher: picks the command, prints help, and turns every failure into
// a one-line message and an exit code (0 done or accepted, 1 refused, 2 usage); no stack.
import { readFileSync } from 'node:fs'
import { deriveKeyCommand } from './commands/derive-key.js'
import { explainCommand } from './commands/explain.js'
import { inspectCommand } from './commands/inspect.js'
import { mintCommand } from './commands/mint.js'
import { verifyCommand } from './commands/verify.js'
import type { CliIo } from './io.js'
import { EXIT_OK, EXIT_USAGE, flagOption, parseCommandArgs, refuseSecretArguments, UsageError, type Command } from './usage.js'

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [deriveKeyCommand, mintCommand, verifyCommand, explainCommand, inspectCommand]

const HELP = `Usage: fastmcp-auth <command> [options]

FastMCP-compatible HS256 tokens from the command line: answers "the token works
offline and fails live" in one command.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`).join('\n')}

The key comes from FASTMCP_JWT_SECRET, --secret-file PATH or --signing-key-file PATH,
never from an argument. A TOKEN of - is read from stdin.
Exit codes: 0 done or accepted, 1 refused, 2 usage or configuration error.
Run fastmcp-auth <command> --help for a command's options.
`

/**
 * Runs one command line. Never throws and never rejects: every error becomes a line on
 * stderr, without a stack trace, and exit code 2.
 *
 * @returns the exit code
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [name, ...rest] = argv
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      if (name === 'help' && rest[0] !== undefined) return await runCli([rest[0], '--help'], io)
      ;(name === undefined ? io.stderr : io.stdout)(HELP)
      return name === undefined ? EXIT_USAGE : EXIT_OK
    }
    if (name === '--version' || name === '-v') {
      io.stdout(`${readVersion()}\n`)
      return EXIT_OK
    }
    const command = COMMANDS.find((c) => c.name === name)
    if (command === undefined) {
      refuseSecretArguments(argv)
      // echo only what looks like a command name: a stray argument could be a secret
      const shown = /^[a-z][a-z-]{0,19}$/.test(name) ? ` '${name}'` : ''
      throw new UsageError(`unknown command${shown}; commands: ${COMMANDS.map((c) => c.name).join(', ')} (see --help)`)
    }
    const args = parseCommandArgs(rest, command)
    if (flagOption(args, 'help')) {
      io.stdout(command.help)
      return EXIT_OK
    }
    return await command.run(args, io)
  } catch (err) {
    io.stderr(`fastmcp-auth: ${describeError(err)}\n`)
    return EXIT_USAGE
  }
}

function describeError(err: unknown): string {
  if (err instanceof UsageError) return err.message
  // the library's own option errors (TypeError) name the option; anything else is a fault
  const message = err instanceof Error ? err.message.split('\n', 1)[0] : undefined
  return err instanceof TypeError ? message ?? 'invalid input' : `unexpected error: ${message ?? String(err)}`
}

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const version = (pkg as { version?: unknown }).version
    return typeof version === 'string' ? version : 'unknown'
  } catch {
    return 'unknown'
  }
}
