/**
 * The `iconik` command's numeric flags and folder options, run in-process (no child process: each run takes
 * milliseconds) against the emulator on a 127.0.0.1 socket, with the command's output captured.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as Jobs from "../../src/Jobs.ts"
import { IconikEmulator, mediaFolder, overSocket } from "../workflows/support.ts"
import { iconik } from "./support.ts"

/** A bad value: exit 2, a message naming the flag and its accepted range, and not one request to Iconik. */
const refused = (argv: ReadonlyArray<string>, flag: string, range: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const before = (yield* emulator.requests).length
    const ran = yield* iconik(...argv)
    assert.strictEqual(ran.code, 2, `${argv.join(" ")}: ${ran.stderr}`)
    assert.notStrictEqual(ran.stderr.trim(), "")
    assert.include(ran.stderr, flag)
    assert.include(ran.stderr, range)
    assert.strictEqual((yield* emulator.requests).length, before, "a request went out before the flag was checked")
  })

const assetId = "0b6e4d9c-e000-11ee-8000-000000000001"

layer(overSocket(), { excludeTestServices: true })("iconik numeric flags (in-process)", (it) => {
  const media = Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ "clip.mov": 1024 })
    return { dir, file: path.join(dir, "clip.mov") }
  })

  const cases: ReadonlyArray<readonly [string, (m: { dir: string; file: string }) => ReadonlyArray<string>, string, string]> = [
    ["ingest --concurrency 0", (m) => ["ingest", m.dir, "--concurrency", "0"], "--concurrency", "an integer from 1 to 256"],
    ["ingest --concurrency -1", (m) => ["ingest", m.dir, "--concurrency", "-1"], "--concurrency", "an integer from 1 to 256"],
    ["ingest --concurrency NaN", (m) => ["ingest", m.dir, "--concurrency", "NaN"], "--concurrency", "an integer from 1 to 256"],
    ["ingest -c 1.5", (m) => ["ingest", m.file, "-c", "1.5"], "--concurrency", "an integer from 1 to 256"],
    ["ingest --part-size 0", (m) => ["ingest", m.dir, "--part-size", "0"], "--part-size", "5 to 5120 MiB"],
    ["ingest --part-size 1", (m) => ["ingest", m.file, "--part-size", "1"], "--part-size", "5 to 5120 MiB"],
    ["upload-proxy --part-size 1", (m) => ["upload-proxy", m.file, "--asset-id", assetId, "--part-size", "1"], "--part-size", "5 to 5120 MiB"],
    ["upload-proxy --concurrency 0", (m) => ["upload-proxy", m.file, "--asset-id", assetId, "--concurrency", "0"], "--concurrency", "1 to 256"],
    ["metadata import --concurrency 0", (m) => ["metadata", "import", m.file, "--view-id", "v", "--concurrency", "0"], "--concurrency", "1 to 256"],
    ["search --per-page 0", () => ["search", "--per-page", "0"], "--per-page", "an integer from 1 to 1000"],
    ["search --limit 0", () => ["search", "--limit", "0"], "--limit", "an integer from 1 upwards"],
    ["jobs watch --interval 0", () => ["jobs", "watch", assetId, "--interval", "0"], "--interval", "a number above 0"],
    ["jobs watch --interval -0.5", () => ["jobs", "watch", assetId, "--interval", "-0.5"], "--interval", "a number above 0"],
    ["jobs watch --timeout 0", () => ["jobs", "watch", assetId, "--timeout", "0"], "--timeout", "a number above 0"],
    ["emulator --port 70000", () => ["emulator", "--port", "70000"], "--port", "an integer from 0 to 65535"],
    ["demo --size 0", () => ["demo", "--size", "0"], "--size", "an integer from 1 to 1024 MiB"]
  ]
  for (const [name, argv, flag, range] of cases) {
    it.effect(`${name}: exit 2 naming the flag and its range, before any request`, () =>
      Effect.flatMap(media, (m) => refused(argv(m), flag, range)).pipe(Effect.scoped))
  }

  it.effect("jobs watch --interval takes fractions of a second", () =>
    Effect.gen(function*() {
      const job = yield* Jobs.create({ title: "done", type: "CUSTOM", status: "FINISHED" })
      const ran = yield* iconik("jobs", "watch", job.id, "--interval", "0.5", "--timeout", "2.5", "--json")
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.strictEqual(JSON.parse(ran.stdout).status, "FINISHED")
    }))

  it.effect("ingest a folder: links are skipped and said so; --follow-symlinks takes those inside the folder", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "a/clip.mov": 2048, "b/clip.mov": 4096 })
      yield* fs.symlink("a", path.join(dir, "linked"))
      const plain = yield* iconik("ingest", dir, "--quiet", "--concurrency", "2", "--part-size", "5")
      assert.strictEqual(plain.code, 0, plain.stderr)
      assert.include(plain.stdout, "2 ingested, 1 skipped, 0 failed")
      assert.include(plain.stdout, "skipped  linked: symbolic link to a (--follow-symlinks")

      const followed = yield* iconik("ingest", dir, "--json", "--quiet", "--follow-symlinks")
      assert.strictEqual(followed.code, 0, followed.stderr)
      const report = JSON.parse(followed.stdout)
      assert.deepStrictEqual(report.ingested.map((i: { path: string }) => i.path), ["linked/clip.mov"])
      assert.deepStrictEqual(report.skipped.map((s: { path: string; reason: string }) => [s.path, s.reason]), [
        ["a/clip.mov", "AlreadyIngested"],
        ["b/clip.mov", "AlreadyIngested"]
      ])
    }).pipe(Effect.scoped))
})
