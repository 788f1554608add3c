/**
 * Runner processes for the durable suites: `runner.ts` started as its own process on a database, killed with a
 * signal, and conditions polled until they hold (with every runner's output when they do not).
 */
import { Effect, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))
const node = `${repoRoot}node_modules/.bin/node`
const program = `${repoRoot}test/durable/runner.ts`

export interface Runner {
  readonly child: ChildProcess
  /** Everything it printed so far. */
  readonly output: () => string
}

/** Starts a runner process (without this process's `ICONIK_*` and `RUNNER_PORT`); SIGKILLed with the scope if still alive. */
export const startRunner = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Runner => {
      const base: Record<string, string> = {}
      for (const [key, value] of Object.entries(process.env)) {
        if (value !== undefined && !key.startsWith("ICONIK_") && key !== "RUNNER_PORT") base[key] = value
      }
      const child = spawn(node, [program], { env: { ...base, ...env }, cwd: repoRoot })
      let output = ""
      child.stdout.on("data", (chunk) => (output += chunk))
      child.stderr.on("data", (chunk) => (output += chunk))
      return { child, output: () => output }
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** Stops a runner (SIGKILL by default) and waits for it to be gone. */
export const kill = (runner: Runner, signal: NodeJS.Signals = "SIGKILL") =>
  Effect.callback<void>((resume) => {
    if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resume(Effect.void)
    runner.child.once("exit", () => resume(Effect.void))
    runner.child.kill(signal)
  })

/** Polls `condition` every 100 ms until it holds; fails after `seconds` (a generous bound, not a speed check). */
export const eventually = <E, R>(
  what: string,
  condition: Effect.Effect<boolean, E, R>,
  runners: ReadonlyArray<Runner>,
  seconds = 120
) =>
  condition.pipe(
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("100 millis") }),
    Effect.timeoutOrElse({
      duration: `${seconds} seconds`,
      orElse: () => Effect.die(new Error(`timed out waiting: ${what}\n${runners.map((r) => r.output()).join("\n---\n")}`))
    })
  )

/** A TCP port free on 127.0.0.1 just now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** What a runner needs to reach the emulator and the database. */
export const runnerEnv = (
  emulator: { readonly baseUrl: string; readonly credentials: { readonly appId: string; readonly authToken: string } },
  url: string
) => ({
  ICONIK_BASE_URL: emulator.baseUrl,
  ICONIK_APP_ID: emulator.credentials.appId,
  ICONIK_AUTH_TOKEN: emulator.credentials.authToken,
  DATABASE_URL: url
})
