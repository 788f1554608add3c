/**
 * Only `emulator` and `demo` load the emulator (`src/testing/`, thousands of lines): every other command starts
 * without it. A child process runs the real entry point with a module hook that records every module resolved, and
 * writes the list when the process exits.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import { inProcess } from "../workflows/support.ts"
import { runIconik } from "./support.ts"

// Synchronous, in-thread hooks (Node >= 22.15): `resolve` sees each import, static and dynamic.
const hook = `
import { registerHooks } from "node:module"
import { writeFileSync } from "node:fs"
const resolved = new Set()
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context)
    resolved.add(result.url)
    return result
  }
})
process.on("exit", () => writeFileSync(process.env.RESOLVED_MODULES_OUT, JSON.stringify([...resolved])))
`

const modulesLoadedBy = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-modules-" })
    const hookFile = path.join(dir, "hook.mjs")
    const out = path.join(dir, "resolved.json")
    yield* fs.writeFileString(hookFile, hook)
    const ran = yield* runIconik(args, { env: { NODE_OPTIONS: `--import ${hookFile}`, RESOLVED_MODULES_OUT: out } })
    assert.strictEqual(ran.code, 0, ran.stderr)
    const urls = JSON.parse(yield* fs.readFileString(out)) as Array<string>
    return {
      all: urls,
      emulator: urls.filter((url) => url.includes("/src/testing/"))
    }
  })

describe("the emulator is loaded only by the commands that run it", () => {
  it.live("search loads no module of src/testing; demo does", () =>
    Effect.gen(function*() {
      const search = yield* modulesLoadedBy(["search", "--help"])
      // The hook saw the CLI itself: an empty list would pass for the wrong reason.
      assert.isTrue(search.all.some((url) => url.endsWith("/src/cli/Cli.ts")))
      assert.isTrue(search.all.some((url) => url.endsWith("/workflows/ingestFolder.ts")))
      assert.deepStrictEqual(search.emulator, [])

      const demo = yield* modulesLoadedBy(["demo", "--size", "1", "--quiet", "--json"])
      assert.isTrue(demo.emulator.some((url) => url.endsWith("/src/testing/emulator/Emulator.ts")))
    }).pipe(Effect.scoped, Effect.provide(inProcess())), 120_000)
})
