/**
 * `tsc` timed two ways: wall-clock seconds (what a user waits) and the process's own CPU seconds (user + system),
 * which the machine's load changes much less: on a shared machine the second is the one to compare across runs.
 */
import { spawnSync } from "node:child_process"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"

const root = Path.join(import.meta.dirname, "..")
const tsc = Path.join(root, "node_modules", "typescript", "bin", "tsc")
const marker = "bench-tsc-cpu-seconds "
// Loaded before tsc: prints the process's CPU time as it exits.
const reporter = "data:text/javascript," + encodeURIComponent(
  `process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("\\n${marker}" + (u.user + u.system) / 1e6 + "\\n") })`
)

export interface TscTimes {
  readonly wallSeconds: number
  readonly cpuSeconds: number
}

/** Runs `tsc args` from the repository root; throws if it fails (its diagnostics printed). */
export const runTscTimed = (args: ReadonlyArray<string>): TscTimes => {
  const started = performance.now()
  const result = spawnSync(process.execPath, ["--import", reporter, tsc, ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "pipe"],
    encoding: "utf8"
  })
  const wallSeconds = (performance.now() - started) / 1000
  const lines = result.stderr.split("\n")
  const cpuLine = lines.find((line) => line.startsWith(marker))
  const rest = lines.filter((line) => !line.startsWith(marker)).join("\n").trim()
  if (rest !== "") process.stderr.write(`${rest}\n`)
  if (result.status !== 0 || cpuLine === undefined) throw new Error(`tsc ${args.join(" ")} exited with ${result.status}`)
  return { wallSeconds, cpuSeconds: Number(cpuLine.slice(marker.length)) }
}
