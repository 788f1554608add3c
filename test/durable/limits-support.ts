/**
 * Shared by the cluster-limits tests and benchmark: runner processes (test/durable/limits-runner.ts) and what is
 * read from the emulator's request log.
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const runnerScript = Path.join(import.meta.dirname, "limits-runner.ts")

export interface Runner {
  readonly process: ChildProcess.ChildProcess
  /** Resolves once the runner has printed `line`; fails if it exits first. */
  readonly waitFor: (line: string) => Promise<void>
  /** Resolves with every line printed, once the process has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: string | null; readonly lines: Array<string> }>
}

/** What a `calls` runner prints last. */
export interface CallsReport {
  readonly ok: number
  readonly failed: number
  readonly firstFailure?: string | undefined
  readonly granted: number
  readonly roundTrips: number
  readonly late: number
  readonly millis: number
}

/** Starts a runner (`calls` or `hold`, see limits-runner.ts) on the database at `databaseUrl`. */
export const spawnRunner = (mode: "calls" | "ingest" | "hold", databaseUrl: string, env: Record<string, string>): Runner => {
  const child = ChildProcess.spawn(process.execPath, [runnerScript, mode], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, DATABASE_URL: databaseUrl, ...env }
  })
  const lines: Array<string> = []
  const watchers: Array<{ line: string; resolve: () => void }> = []
  let buffered = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk
    for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
      const line = buffered.slice(0, i)
      buffered = buffered.slice(i + 1)
      lines.push(line)
      for (const w of watchers.filter((w) => w.line === line)) w.resolve()
    }
  })
  const exited = new Promise<{ code: number | null; signal: string | null; lines: Array<string> }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, lines }))
  )
  return {
    process: child,
    waitFor: (line) =>
      lines.includes(line) ? Promise.resolve() : Promise.race([
        new Promise<void>((resolve) => watchers.push({ line, resolve })),
        exited.then(({ code }) => Promise.reject(new Error(`the runner exited (${code}) before printing ${line}`)))
      ]),
    exited
  }
}

/** Runs `calls` (or `ingest`) runners together: all start at once; answers their reports. */
export const runCalls = async (
  databaseUrl: string,
  count: number,
  env: Record<string, string> | ((index: number) => Record<string, string>),
  mode: "calls" | "ingest" = "calls"
) => {
  const runners = Array.from(
    { length: count },
    (_, i) => spawnRunner(mode, databaseUrl, typeof env === "function" ? env(i) : env)
  )
  await Promise.all(runners.map((r) => r.waitFor("ready")))
  for (const r of runners) r.process.stdin!.write("go\n")
  const results = await Promise.all(runners.map((r) => r.exited))
  return results.map(({ code, lines }) => {
    if (code !== 0) throw new Error(`a runner exited with ${code}:\n${lines.join("\n")}`)
    return JSON.parse(lines.at(-1)!) as CallsReport
  })
}

/** Most requests in any window of `millis` (request times in milliseconds). */
export const busiest = (times: ReadonlyArray<number>, millis: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= millis) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}
