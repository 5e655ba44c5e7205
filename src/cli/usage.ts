// Command-line parsing for `fastmcp-auth`: util.parseArgs with one-line messages that name
// the flag, never echo a value, and refuse a secret passed as an argument (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { CliIo } from './io.js'

/** Exit codes: 0 accepted or done, 1 refused, 2 usage or configuration error. */
export const EXIT_OK = 0
export const EXIT_REFUSED = 1
export const EXIT_USAGE = 2

/** A usage or configuration error: one line naming the flag, exit 2. */
export class UsageError extends Error {
  override get name(): string {
    return 'UsageError'
  }
}

/** One subcommand: its help text, what it accepts, and what it does. */
export interface Command {
  name: string
  /** One line for the top-level help. */
  summary: string
  /** The whole `--help` text. */
  help: string
  /** Its options (`--help` is added), as util.parseArgs takes them. */
  options: OptionsConfig
  /** Names of its positional arguments, in order; all are required. @default [] */
  positionals?: readonly string[]
  /** Runs with the arguments after the command name, parsed (never `--help`). @returns the exit code */
  run(args: ParsedArgs, io: CliIo): Promise<number>
}

/** A command's options, as util.parseArgs takes them (none repeat). */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>

// flags that would put a secret in shell history and `ps`, and where it belongs instead
const SECRET_FLAGS = new Set(['--secret', '--signing-key', '--key', '--jwt-signing-key', '--password'])

/** Parsed arguments: flag name (without `--`) to its value; `true` for a boolean flag. */
export interface ParsedArgs {
  values: { [flag: string]: string | boolean | (string | boolean)[] | undefined }
  positionals: string[]
}

/**
 * Parses a command's arguments. `--help` is always accepted (check `values.help`).
 *
 * @throws UsageError naming the flag: unknown options, missing values, wrong positional
 * count, and any secret passed as an argument.
 */
export function parseCommandArgs(args: readonly string[], command: Pick<Command, 'name' | 'options' | 'positionals'>): ParsedArgs {
  refuseSecretArguments(args)
  const options: OptionsConfig = { ...command.options, help: { type: 'boolean', short: 'h' } }
  let parsed: ParsedArgs
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(`${command.name}: ${describeParseError(err)}`)
  }
  const wanted = command.positionals ?? []
  if (parsed.values.help !== true && parsed.positionals.length !== wanted.length) {
    // the count only: a stray argument could be a secret typed in the wrong place
    const needs = wanted.length === 0 ? 'no arguments' : wanted.join(' ')
    throw new UsageError(`${command.name}: takes ${needs}, got ${parsed.positionals.length} argument(s); see --help`)
  }
  return parsed
}

/** Exit 2 for `--secret` and its kin, saying why and what to use instead. */
export function refuseSecretArguments(args: readonly string[]): void {
  for (const arg of args) {
    if (arg === '--') return
    const flag = arg.split('=', 1)[0]!
    if (SECRET_FLAGS.has(flag)) {
      throw new UsageError(
        `${flag} is not accepted: a secret on the command line stays in shell history and is visible in ps; ` +
          'set FASTMCP_JWT_SECRET, or pass --secret-file PATH or --signing-key-file PATH',
      )
    }
  }
}

function describeParseError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : ''
  // parseArgs names the flag in quotes; values never appear in these messages
  const flag = /'(-{1,2}[^'\s=<]+)/.exec(message)?.[1] ?? 'an option'
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}; see --help`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.includes('does not take an argument')
        ? `${flag} takes no value`
        : `${flag} needs a value (write ${flag}=VALUE for a value starting with -)`
    default:
      return 'cannot read the arguments; see --help'
  }
}

/** A string option, or `undefined` when absent. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name]
  return typeof value === 'string' ? value : undefined
}

/** A string option that must be present and non-empty. @throws UsageError naming the flag */
export function requireOption(args: ParsedArgs, name: string, command: string): string {
  const value = stringOption(args, name)
  if (value === undefined || value.length === 0) throw new UsageError(`${command}: --${name} is required`)
  return value
}

/** Whether a boolean flag was given. */
export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true
}

/**
 * A whole number of seconds, 1 or more, or `fallback` when absent.
 * @throws UsageError naming the flag, for anything else or more than `max`
 */
export function secondsOption(args: ParsedArgs, name: string, command: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = stringOption(args, name)
  if (value === undefined) return fallback
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > max) {
    throw new UsageError(`${command}: --${name} must be a whole number of seconds, from 1${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`)
  }
  return seconds
}
