/**
 * Shared by the cluster-limits tests and benchmark: runner processes (test/durable/limits-runner.ts) and what is
 * read from the emulator's request log.
 */
import { PgClient } from "@effect/sql-pg"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { SqlClient } from "effect/sql"
import * as ChildProcess from "node:child_process"
import * as Net from "node:net"
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

const repoRoot = Path.join(import.meta.dirname, "..", "..")

/** An `iconik worker` process: a socket runner of the durable engine, with the cluster's limits over PostgreSQL. */
export interface Worker {
  readonly process: ChildProcess.ChildProcess
  /** What it printed (stderr, where the worker says what it does), with the time each line came. */
  readonly lines: Array<{ readonly at: number; readonly text: string }>
}

/**
 * Starts `iconik worker` on the database at `databaseUrl` as the runner `127.0.0.1:<port>` (`env` holds the `ICONIK_*`
 * variables); resolves once it says it runs, fails if it exits first.
 */
export const startWorker = (
  databaseUrl: string,
  port: number,
  env: Record<string, string>,
  options: { readonly concurrency: number; readonly requestsPerSecond: number }
): Promise<Worker> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.spawn(process.execPath, [
      Path.join(repoRoot, "src", "cli", "main.ts"),
      "worker",
      "--database",
      databaseUrl,
      "--runner-host",
      "127.0.0.1",
      "--runner-port",
      String(port),
      "--concurrency",
      String(options.concurrency),
      "--requests-per-second",
      String(options.requestsPerSecond)
    ], { env: { ...process.env, ...env }, cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] })
    const worker: Worker = { process: child, lines: [] }
    let buffered = ""
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) {
        const text = buffered.slice(0, i)
        buffered = buffered.slice(i + 1)
        worker.lines.push({ at: Date.now(), text })
        if (text.includes(" worker on ")) resolve(worker)
      }
    })
    child.once("exit", (code) =>
      reject(new Error(`the worker on port ${port} exited (${code}):\n${worker.lines.map((l) => l.text).join("\n")}`))
    )
  })

/** Stops a worker (SIGTERM: it hands its shards over; SIGKILL after 20 s). */
export const stopWorker = (worker: Worker): Promise<void> =>
  new Promise((resolve) => {
    const child = worker.process
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const hard = setTimeout(() => child.kill("SIGKILL"), 20_000)
    child.once("exit", () => {
      clearTimeout(hard)
      resolve()
    })
    child.kill("SIGTERM")
  })

/**
 * Resolves once `runners` runners hold the shards of the engine's database and the split has not changed for
 * `stableMillis` (longer than the engine's `refreshAssignmentsInterval`, 3 s). Until then shards move between
 * runners, and a run in flight on a shard that moves waits for the hand-over (see docs/durable.md).
 */
export const shardsSettled = (databaseUrl: string, runners: number, stableMillis = 4_000): Promise<void> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      // Shard locks are PostgreSQL advisory locks, each runner's on a session of its own.
      const split = Effect.map(
        sql<{ readonly pid: number; readonly n: number }>`SELECT pid, count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          GROUP BY pid ORDER BY pid`,
        (rows) => rows.map((r) => `${r.pid}:${r.n}`).join(",")
      )
      let last = ""
      let since = Date.now()
      for (;;) {
        const now = yield* split
        if (now !== last) {
          last = now
          since = Date.now()
        } else if (now !== "" && now.split(",").length === runners && Date.now() - since >= stableMillis) {
          return
        }
        yield* Effect.sleep(250)
      }
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 1 })), Effect.scoped)
  )

/** A port nothing listens on now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as Net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
