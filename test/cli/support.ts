/** Runs the `iconik` command as a child process with the Node 22 from node_modules, and collects what it printed. */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Console, Effect, Logger } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { runCli } from "../../src/cli/Cli.ts"
import { IconikEmulator } from "../workflows/support.ts"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const node = `${repoRoot}node_modules/.bin/node`
const main = `${repoRoot}src/cli/main.ts`

export interface Ran {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment of a run: nothing from the test process's ICONIK_* variables leaks in. */
const baseEnv = () => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("ICONIK_")) env[key] = value
  }
  return env
}

/** Starts `iconik …args`; `onStart` sees the child (to kill it). */
export const runIconik = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly onStart?: (child: ChildProcess) => void } = {}
): Effect.Effect<Ran> =>
  Effect.callback<Ran>((resume) => {
    const child = spawn(node, [main, ...args], { env: { ...baseEnv(), ...options.env }, cwd: repoRoot })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    options.onStart?.(child)
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Credentials of an emulator as the environment a CLI run gets. */
export const envFor = (emulator: { readonly baseUrl: string; readonly credentials: { readonly appId: string; readonly authToken: string } }) => ({
  ICONIK_BASE_URL: emulator.baseUrl,
  ICONIK_APP_ID: emulator.credentials.appId,
  ICONIK_AUTH_TOKEN: emulator.credentials.authToken
})

export interface RanInProcess {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `iconik …argv` in this process with the emulator's credentials in its environment, capturing its output. */
export const iconik = (...argv: ReadonlyArray<string>) =>
  Effect.flatMap(IconikEmulator, (emulator) => iconikWithEnv(envFor(emulator), ...argv))

/**
 * Runs `iconik …argv` in this process with exactly `env` as its environment, capturing what a child process would
 * print: Console lines, logs (on stderr, as `main.ts` sends them) and what the command writes to `process.stdout` /
 * `process.stderr` directly (the CSV export, progress bars). Files run one at a time per worker and a file's tests one
 * after another, so nothing else writes there meanwhile.
 */
export const iconikWithEnv = (env: Record<string, string>, ...argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const line = (to: Array<string>) => (...args: ReadonlyArray<unknown>) => void to.push(`${args.map(String).join(" ")}\n`)
    const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: line(stdout),
      info: line(stdout),
      error: line(stderr),
      warn: line(stderr)
    })
    const run = runCli(argv).pipe(
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, capture),
      Effect.provideService(Logger.LogToStderr, true),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
    )
    const code = yield* Effect.scoped(
      Effect.andThen(Effect.all([redirect(process.stdout, stdout), redirect(process.stderr, stderr)]), run)
    )
    const ran: RanInProcess = { code, stdout: stdout.join(""), stderr: stderr.join("") }
    return ran
  })

/** Sends what is written to `stream` into `to` instead, for the life of the scope. */
const redirect = (stream: NodeJS.WriteStream, to: Array<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const write = stream.write
      stream.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
        to.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"))
        const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined
        if (callback !== undefined) process.nextTick(callback)
        return true
      }) as typeof stream.write
      return write
    }),
    (write) => Effect.sync(() => (stream.write = write))
  )
