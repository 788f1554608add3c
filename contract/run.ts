/**
 * `npm run contract`: the fidelity check against real Iconik.
 *
 *   ICONIK_LIVE=1 ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… [ICONIK_BASE_URL=…] npm run contract
 *       drives the core flows against Iconik (it creates two assets and deletes them), writes scrubbed recordings to
 *       contract/recordings/live-<flow>.json, then replays every recording against the emulator.
 *   npm run contract -- --replay           replays the committed recordings against the emulator only
 *   npm run contract -- --update-known     replays and rewrites contract/known-differences.json
 *
 * Exit codes: 0 no difference beyond the known ones, 1 new or resolved differences, 2 usage or configuration.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { withEmulator } from "./emulator.ts"
import { flows } from "./flows.ts"
import {
  knownDifferencesFile,
  loadKnownDifferences,
  loadRecordings,
  recordingsDirectory,
  replay
} from "./replay.ts"
import { assertScrubbed, type Recording, runFlow, type Target } from "./runner.ts"

const args = new Set(process.argv.slice(2))
const live = process.env.ICONIK_LIVE === "1"

const fail = (message: string, code: number): never => {
  process.stderr.write(`contract: ${message}\n`)
  process.exit(code)
}

const record = async (target: Target) => {
  const host = new URL(target.baseUrl).host
  for (const flow of flows) {
    process.stderr.write(`recording ${flow.name} against ${host}\n`)
    const exchanges = await runFlow(flow, target)
    const recording: Recording = {
      flow: flow.name,
      source: `Iconik at ${host}, ${new Date().toISOString().slice(0, 10)} (npm run contract)`,
      exchanges
    }
    const text = `${JSON.stringify(recording, null, 2)}\n`
    assertScrubbed(text, target)
    fs.writeFileSync(path.join(recordingsDirectory, `live-${flow.name}.json`), text)
  }
}

const main = async () => {
  if (!live && !args.has("--replay") && !args.has("--update-known")) {
    fail(
      "set ICONIK_LIVE=1 with ICONIK_APP_ID and ICONIK_AUTH_TOKEN of a sandbox domain to record against Iconik " +
        "(it creates and deletes two assets), or pass --replay to compare the committed recordings with the emulator",
      2
    )
  }
  if (live) {
    const appId = process.env.ICONIK_APP_ID
    const authToken = process.env.ICONIK_AUTH_TOKEN
    if (!appId || !authToken) fail("ICONIK_LIVE=1 needs ICONIK_APP_ID and ICONIK_AUTH_TOKEN", 2)
    const baseUrl = (process.env.ICONIK_BASE_URL ?? "https://app.iconik.io").replace(/\/+$/, "")
    await record({ baseUrl, appId: appId!, authToken: authToken! })
  }
  const known = loadKnownDifferences()
  const found: Record<string, Array<string>> = {}
  let unexpected = 0
  await withEmulator(async (target) => {
    for (const { file, recording } of loadRecordings()) {
      const differences = await replay(recording, target)
      found[file] = differences
      const expected = new Set(known[file] ?? [])
      process.stdout.write(`${file} (${recording.source}): ${differences.length} difference(s)\n`)
      for (const line of differences) {
        const isNew = !expected.has(line)
        if (isNew) unexpected++
        process.stdout.write(`  ${isNew ? "NEW " : "    "}${line}\n`)
      }
      for (const line of expected) {
        if (!differences.includes(line)) {
          unexpected++
          process.stdout.write(`  GONE ${line}\n`)
        }
      }
    }
  })
  if (args.has("--update-known")) {
    fs.writeFileSync(knownDifferencesFile, `${JSON.stringify(found, null, 2)}\n`)
    process.stdout.write(`wrote ${path.basename(knownDifferencesFile)}\n`)
    return
  }
  if (unexpected > 0) fail(`${unexpected} difference(s) not in ${path.basename(knownDifferencesFile)}`, 1)
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error), 2))
