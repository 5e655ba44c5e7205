// App instances in processes of their own (test/store/multi-instance-app.ts), for the tests
// that share a RedisTokenStore across processes. Each is ended by its own pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const APP = fileURLToPath(new URL('./multi-instance-app.ts', import.meta.url))

export interface Instance {
  name: string
  url: string
  child: ChildProcess
  stderr: string[]
}

/**
 * Starts one instance with `env` and resolves once it listens (its store ready). `app` is
 * the script to run: an app that prints `{"port":...}` on its first line.
 */
export async function startInstance(name: string, env: Record<string, string>, app = APP): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', app], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr: string[] = []
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk))
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr.join('')}`)), 20_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve((JSON.parse(line) as { port: number }).port)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code}: ${stderr.join('')}`))
    })
  })
  return { name, url: `http://127.0.0.1:${port}`, child, stderr }
}

/** SIGKILLs every instance still running, by pid, and waits for each to exit. */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  for (const { child } of instances) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(child.pid, 'SIGKILL')
      await exited
    }
  }
}
