/** Runs the `iconik` command as a child process with the Node 22 from node_modules, and collects what it printed. */
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

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
