/**
 * Only the durable engine's commands load it (`durable/`, `@effect/sql-pg`, `effect/cluster`): every other command
 * starts without them. A child process runs the real entry point with a module hook that records every module
 * resolved, and writes the list when the process exits.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import { ExitCode } from "../../src/cli/Failure.ts"
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

const durableModule = (url: string) =>
  url.includes("/durable/") || url.includes("/@effect/sql-pg/") || url.includes("/effect/dist/cluster/")

const modulesLoadedBy = (args: ReadonlyArray<string>, expectedCode: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-modules-" })
    const hookFile = path.join(dir, "hook.mjs")
    const out = path.join(dir, "resolved.json")
    yield* fs.writeFileString(hookFile, hook)
    const ran = yield* runIconik(args, { env: { NODE_OPTIONS: `--import ${hookFile}`, RESOLVED_MODULES_OUT: out } })
    assert.strictEqual(ran.code, expectedCode, ran.stderr)
    const urls = JSON.parse(yield* fs.readFileString(out)) as Array<string>
    return { all: urls, durable: urls.filter(durableModule) }
  })

describe("the durable engine is loaded only by the commands that use it", () => {
  it.live("search loads none of it; runs does", () =>
    Effect.gen(function*() {
      const search = yield* modulesLoadedBy(["search", "--help"], ExitCode.Ok)
      // The hook saw the CLI and its durable commands' module: an empty list would pass for the wrong reason.
      assert.isTrue(search.all.some((url) => url.endsWith("/src/cli/Durable.ts")))
      assert.deepStrictEqual(search.durable, [])

      // Nothing listens on port 1: the command fails after loading the engine to reach the database.
      const runs = yield* modulesLoadedBy(["runs", "--database", "postgres://iconik@127.0.0.1:1/iconik"], ExitCode.Database)
      assert.isTrue(runs.durable.some((url) => url.endsWith("/durable/Engine.ts")))
      assert.isTrue(runs.durable.some((url) => url.includes("/@effect/sql-pg/")))
    }).pipe(Effect.scoped, Effect.provide(inProcess())), 120_000)
})
