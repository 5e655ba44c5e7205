// What RedisTokenStore needs of a node-redis client, and the one way it sends a command:
// refused at once while the client is not ready (node-redis would queue it offline,
// possibly forever), abandoned after a timeout, scripts by SHA1 with the text on NOSCRIPT.
import { createHash } from 'node:crypto'
import { SCRIPTS, type ScriptName } from './redis-scripts.js'

/**
 * A connection RedisTokenStore opens itself (`client.duplicate()`) for pub/sub. Any
 * node-redis v5 or v6 client has this shape.
 */
export interface RedisSubscriberClient {
  readonly isOpen: boolean
  readonly isReady: boolean
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<void>
  on(event: 'error' | 'ready' | 'reconnecting' | 'end', listener: (...args: unknown[]) => void): unknown
  close(): Promise<void>
  destroy(): void
}

/**
 * The caller's connected node-redis client (`createClient(...)` from the `redis` package,
 * v5 or v6, RESP2 or RESP3). The store sends raw commands through it, so the client's
 * `keyPrefix` and type mappings do not apply to the store's keys and replies.
 */
export interface RedisTokenStoreClient {
  readonly isOpen: boolean
  readonly isReady: boolean
  sendCommand(args: readonly string[], options?: { abortSignal?: AbortSignal; typeMapping?: Record<string, never> }): Promise<unknown>
  duplicate(): RedisSubscriberClient
  on(event: 'ready', listener: () => void): unknown
  off(event: 'ready', listener: () => void): unknown
}

/** A client that is not ready, a timeout, or a Redis error reply: the command did not (surely) run. */
export class RedisCommandError extends Error {
  override readonly name = 'RedisCommandError'
}

const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, text]) => [name, createHash('sha1').update(text).digest('hex')]),
) as Record<ScriptName, string>

// node-redis merges command options over the client's: an empty mapping restores plain strings
const COMMAND_OPTIONS = { typeMapping: {} } as const

/**
 * Sends `args` through `client`, or rejects: at once when the client is not ready, after
 * `timeoutMs` otherwise. A command abandoned on timeout may still run on the server.
 * @throws RedisCommandError (rejects) when not ready or timed out; Redis error replies as they are.
 */
export function sendCommand(client: RedisTokenStoreClient, args: readonly string[], timeoutMs: number): Promise<unknown> {
  if (!client.isReady) return Promise.reject(new RedisCommandError('the Redis client is not ready'))
  const abort = new AbortController()
  return new Promise<unknown>((resolve, reject) => {
    // both: the abort drops the command from node-redis's queue, the timer settles this promise
    // whatever the client version does with an aborted command already written
    const timer = setTimeout(() => {
      abort.abort()
      reject(new RedisCommandError(`no reply from Redis within ${timeoutMs} ms`))
    }, timeoutMs)
    timer.unref()
    client.sendCommand(args, { ...COMMAND_OPTIONS, abortSignal: abort.signal }).then(
      (reply) => {
        clearTimeout(timer)
        resolve(reply)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

/**
 * Runs one of `SCRIPTS` by EVALSHA, loading it with EVAL when Redis does not know it yet
 * (first use, a restart, SCRIPT FLUSH). No keys are declared: the scripts build them.
 */
export async function runScript(client: RedisTokenStoreClient, name: ScriptName, argv: readonly string[], timeoutMs: number): Promise<unknown> {
  try {
    return await sendCommand(client, ['EVALSHA', SHAS[name], '0', ...argv], timeoutMs)
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err
    return sendCommand(client, ['EVAL', SCRIPTS[name], '0', ...argv], timeoutMs)
  }
}
