/**
 * The `iconik` bin (`src/cli/bin.js`) on the machine's older Node, which re-runs it on the Node 22 from
 * node_modules: finding that Node, running the bin with it, and watching the child process it starts (Linux /proc).
 */
import { Effect, Schedule } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { delimiter, join } from "node:path"
import { type Ran, repoRoot } from "./support.ts"

export const bin = join(repoRoot, "src", "cli", "bin.js")

/** The Node version the bin requires (package.json `engines.node`). */
const required = [22, 19] as const

const isOld = (version: string) => {
  const [major = 0, minor = 0] = version.split(".").map(Number)
  return major < required[0] || (major === required[0] && minor < required[1])
}

/**
 * A Node older than 22.19 outside node_modules (PATH first, then the usual install places), or undefined. npm and
 * npx put node_modules/.bin, with its Node 22, first on PATH: those folders are passed over.
 */
export const oldNode: { readonly path: string; readonly version: string } | undefined = (() => {
  const folders = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "" && !dir.includes("node_modules"))
  const candidates = new Set([...folders.map((dir) => join(dir, "node")), "/usr/local/bin/node", "/usr/bin/node", "/bin/node"])
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue
    try {
      const version = execFileSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8", timeout: 30_000 }).trim()
      if (isOld(version)) return { path: candidate, version }
    } catch {
      // not a working node: try the next one
    }
  }
  return undefined
})()

/** Why the wrapper tests cannot run here, if they cannot (for the test titles). */
export const skipReason = oldNode === undefined
  ? "no Node older than 22.19 outside node_modules on this machine"
  : !existsSync("/proc/self/stat")
  ? "no /proc to find the wrapper's child"
  : undefined

/** The title of a wrapper test: on which Node it runs, or why it is skipped. */
export const titled = (title: string) =>
  skipReason === undefined ? `${title} (Node ${oldNode!.version})` : `${title} (skipped: ${skipReason})`

const statOf = (pid: number): { readonly state: string; readonly ppid: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (2nd field) may hold spaces and parentheses: the fields after it start at the last ")".
    const [state = "", ppid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { state, ppid: Number(ppid) }
  } catch {
    return undefined
  }
}

/** Whether the process runs (a zombie, dead and waiting for its parent to reap it, does not). */
export const isRunning = (pid: number): boolean => {
  const stat = statOf(pid)
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X"
}

/** The child processes of `pid`. */
export const childrenOf = (pid: number): ReadonlyArray<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => statOf(candidate)?.ppid === pid)

/** Waits until `pid` no longer runs; fails when it still runs after `seconds`. */
export const awaitGone = (pid: number, seconds = 30) =>
  Effect.suspend(() => (isRunning(pid) ? Effect.fail("running" as const) : Effect.void)).pipe(
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: seconds * 20 }),
    Effect.mapError(() => new Error(`process ${pid} still runs ${seconds} s after its parent went`))
  )

/** Environment of a run: the test process's ICONIK_* variables stay out. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("ICONIK_")) env[key] = value
  }
  return { ...env, ...extra }
}

/** Starts `iconik …args` through the bin on the old Node; the caller waits for it and kills it. */
export const spawnWrapper = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcess =>
  spawn(oldNode!.path, [bin, ...args], { env: cleanEnv(env), cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })

/** `runIconik`, through the bin on the old Node: `onStart` sees the wrapper (its child is the Node 22 running the CLI). */
export const runWrapper = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly onStart?: (wrapper: ChildProcess) => void } = {}
): Effect.Effect<Ran> =>
  Effect.callback<Ran>((resume) => {
    const wrapper = spawnWrapper(args, options.env)
    let stdout = ""
    let stderr = ""
    wrapper.stdout!.on("data", (chunk) => (stdout += chunk))
    wrapper.stderr!.on("data", (chunk) => (stderr += chunk))
    // "close": the output pipes are shut, by the wrapper and by the child that shares them.
    wrapper.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    options.onStart?.(wrapper)
    return Effect.sync(() => wrapper.kill("SIGKILL"))
  })
