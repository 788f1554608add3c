/**
 * What a user sees when a command fails or half-fails: the exit code docs/cli.md gives, exactly one JSON document
 * under `--json`, and a message on stderr that says what happened. Run in-process against the emulator on a socket.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as NodeHttp from "node:http"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Csv from "../../workflows/Csv.ts"
import { IconikEmulator, mediaFolder, overSocket } from "../workflows/support.ts"
import { iconik } from "./support.ts"

/** Every `error: …` line of stderr has words after the colon. */
const assertErrorLinesSayWhat = (stderr: string) => {
  const lines = stderr.split("\n").filter((line) => line.startsWith("error:"))
  assert.isAbove(lines.length, 0, `no error line in: ${stderr}`)
  for (const line of lines) assert.notStrictEqual(line.slice("error:".length).trim(), "", `empty error line in: ${stderr}`)
}

/** stdout holds exactly one JSON document (JSON.parse refuses two). */
const oneDocument = (stdout: string) => JSON.parse(stdout) as any

const view = (prefix: string) =>
  Effect.gen(function*() {
    yield* Metadata.createField({ name: `${prefix}_rating`, label: "Rating", field_type: "integer" })
    const created = yield* Metadata.createView({ name: prefix, view_fields: [{ name: `${prefix}_rating` }] })
    const asset = yield* Assets.create({ title: `${prefix} asset` })
    return { viewId: created.id, assetId: asset.id, field: `${prefix}_rating` }
  })

const csvFile = (rows: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped()
    const file = path.join(dir, "import.csv")
    yield* fs.writeFileString(file, Csv.format(rows))
    return file
  })

layer(overSocket(), { excludeTestServices: true })("iconik exit codes and messages (in-process)", (it) => {
  it.effect("a partly failed folder ingest exits 9 with one JSON document (the report) and says how many failed", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "good.mov": 2048, "bad.mov": 1024 })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 403, code: "AccessDenied" }, key: /bad\.mov/ })

      const json = yield* iconik("ingest", dir, "--json", "--quiet")
      assert.strictEqual(json.code, 9, json.stderr)
      const report = oneDocument(json.stdout)
      assert.deepStrictEqual(report.failed.map((f: { path: string }) => f.path), ["bad.mov"])
      assert.deepStrictEqual(report.ingested.map((i: { path: string }) => i.path), ["good.mov"])
      assertErrorLinesSayWhat(json.stderr)
      assert.include(json.stderr, "1 of 2 files failed")

      const human = yield* iconik("ingest", dir, "--quiet")
      assert.strictEqual(human.code, 9, human.stderr)
      assert.include(human.stdout, "FAILED   bad.mov")
      assertErrorLinesSayWhat(human.stderr)
    }).pipe(Effect.scoped))

  it.effect("a metadata import with rows Iconik refused exits 9 with one JSON document (the report)", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { assetId, field, viewId } = yield* view("partial")
      const file = yield* csvFile([["id", "object_type", field], [assetId, "assets", "5"]])
      yield* emulator.addFault({ fault: { _tag: "Status", status: 400, errors: ["refused"] }, method: "PUT", route: /metadata/ })

      const ran = yield* iconik("metadata", "import", file, "--view-id", viewId, "--apply", "--json", "--quiet")
      assert.strictEqual(ran.code, 9, ran.stderr)
      const report = oneDocument(ran.stdout)
      assert.deepStrictEqual(report.failed.map((f: { objectId: string }) => f.objectId), [assetId])
      assertErrorLinesSayWhat(ran.stderr)
      assert.include(ran.stderr, "1 of 1 objects failed")
    }).pipe(Effect.scoped))

  it.effect("a bad CSV cell in metadata import exits 2 (usage), naming the row", () =>
    Effect.gen(function*() {
      const { assetId, field, viewId } = yield* view("badcell")
      const file = yield* csvFile([["id", "object_type", field], [assetId, "assets", "five"]])
      const ran = yield* iconik("metadata", "import", file, "--view-id", viewId, "--json", "--quiet")
      assert.strictEqual(ran.code, 2, ran.stderr)
      const document = oneDocument(ran.stdout)
      assert.strictEqual(document.error.tag, "MetadataImportError")
      assert.strictEqual(document.error.exitCode, 2)
      assert.include(document.error.message, "row 1")
      assertErrorLinesSayWhat(ran.stderr)
    }).pipe(Effect.scoped))

  it.effect("ingest --collection-id of a missing collection exits 5 (not found), for a file and for a folder", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "clip.mov": 1024 })
      const missing = "0b6e4d9c-e000-11ee-8000-00000000dead"
      for (const target of [path.join(dir, "clip.mov"), dir]) {
        const ran = yield* iconik("ingest", target, "--collection-id", missing, "--json", "--quiet")
        assert.strictEqual(ran.code, 5, `${target}: ${ran.stderr}`)
        const document = oneDocument(ran.stdout)
        assert.strictEqual(document.error.exitCode, 5)
        assert.include(document.error.message, "Not found (404)")
        assertErrorLinesSayWhat(ran.stderr)
      }
    }).pipe(Effect.scoped))

  it.effect("emulator on a port in use: exit 1 and a message naming the port", () =>
    Effect.gen(function*() {
      const server = NodeHttp.createServer()
      const port = yield* Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
      })
      yield* Effect.addFinalizer(() => Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      }))

      const ran = yield* iconik("emulator", "--port", String(port), "--json")
      assert.strictEqual(ran.code, 1, ran.stderr)
      const document = oneDocument(ran.stdout)
      assert.include(document.error.message, `port ${port} on 127.0.0.1 is in use`)
      assertErrorLinesSayWhat(ran.stderr)
    }).pipe(Effect.scoped))
})
