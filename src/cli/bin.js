#!/usr/bin/env node
// The `iconik` command. Installed as a dependency, it runs the compiled CLI (`dist/`: Node strips no types under
// node_modules). In the repository it runs the TypeScript directly with Node's type stripping (Node >= 22.18); on an
// older Node it re-runs itself with the Node the package installs as a devDependency.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const [major, minor] = process.versions.node.split(".").map(Number)
const stripsTypes = major > 22 || (major === 22 && minor >= 18)
const compiled = join(here, "..", "..", "dist", "src", "cli", "main.js")

if (here.split(sep).includes("node_modules") && existsSync(compiled)) {
  await import(pathToFileURL(compiled).href)
} else if (stripsTypes) {
  await import("./main.ts")
} else {
  const bundled = join(here, "..", "..", "node_modules", ".bin", process.platform === "win32" ? "node.cmd" : "node")
  if (!existsSync(bundled)) {
    console.error(`iconik needs Node >= 22.19 (this is ${process.versions.node}); install it, or run \`npm install\` in the package for its bundled Node`)
    process.exit(2)
  }
  const child = spawnSync(bundled, [join(here, "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(child.status ?? (child.signal === "SIGINT" ? 130 : 1))
}
