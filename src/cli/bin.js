#!/usr/bin/env node
// The `iconik` command. Installed as a dependency, it runs the compiled CLI (`dist/`: Node strips no types under
// node_modules). In the repository it runs the TypeScript directly with Node's type stripping; on an older Node it
// re-runs itself with the Node the package installs as a devDependency, and stays in front of that child: signals
// are passed on, the child's status is ours, and the child stops if we die (even by SIGKILL).
//
// Syntax an old Node parses (no top-level await, no `??`): it must get as far as the version check.
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { constants } from "node:os"
import { dirname, join, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

// Keep in step with `engines.node` in package.json.
const required = [22, 19]
const here = dirname(fileURLToPath(import.meta.url))
const [major, minor] = process.versions.node.split(".").map(Number)
const supported = major > required[0] || (major === required[0] && minor >= required[1])
const compiled = join(here, "..", "..", "dist", "src", "cli", "main.js")
const installed = here.split(sep).includes("node_modules") && existsSync(compiled)
const bundled = join(here, "..", "..", "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node")

const fail = (error) => {
  console.error(error)
  process.exit(1)
}

// The child of an older Node's wrapper (below): its IPC channel closes when that parent dies, however it dies. The
// parent passes signals on, so a closed channel means it was killed without a word (SIGKILL): stop at once, as a
// crash. The checkpoint stays for a rerun, whereas a clean-up (abort the upload, delete the asset) would race with a
// rerun started right after the kill. Set up before the CLI's modules load: loading blocks the event loop (seconds on
// a busy machine), and the first turn of the loop after it sees the closed channel.
if (process.env.ICONIK_EXIT_WITH_PARENT === "1" && process.channel !== undefined) {
  delete process.env.ICONIK_EXIT_WITH_PARENT
  const orphaned = () => process.exit(1)
  process.channel.unref()
  process.once("disconnect", orphaned)
  if (!process.connected) orphaned()
}

if (supported) {
  import(installed ? pathToFileURL(compiled).href : "./main.ts").catch(fail)
} else if (installed || !existsSync(bundled)) {
  console.error(
    `iconik needs Node.js >= ${required.join(".")}, but this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      `Install Node.js ${required[0]} (https://nodejs.org, or \`nvm install ${required[0]}\`) and run iconik with it` +
      (installed ? "." : `, or run \`npm install\` in ${join(here, "..", "..")} to get the Node ${required[0]} it bundles.`)
  )
  process.exit(2)
} else {
  // The child runs this file again, on the bundled Node; the IPC channel tells it whether we are alive (see above).
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, ICONIK_EXIT_WITH_PARENT: "1" }
  })
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"]
  // On Ctrl-C the terminal signals the child too; a second SIGINT only interrupts it again, which is harmless.
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  for (const signal of forwarded) process.on(signal, forward)
  child.on("error", (error) => {
    console.error(`iconik: cannot run ${bundled}: ${error.message}`)
    process.exit(2)
  })
  child.on("exit", (code, signal) => {
    for (const s of forwarded) process.removeListener(s, forward)
    process.exit(signal === null ? (code === null ? 1 : code) : 128 + (constants.signals[signal] || 0))
  })
}
