import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Layer, Option, Path } from "effect"
import { createHash } from "node:crypto"
import * as Collections from "../../src/Collections.ts"
import { StorageClient } from "../../src/storage/StorageClient.ts"
import { ingestFolder } from "../../workflows/ingestFolder.ts"
import * as LocalFile from "../../workflows/LocalFile.ts"
import * as Progress from "../../workflows/Progress.ts"
import { failureOf, IconikEmulator, inProcess, mediaFolder, MiB, modes, sampleBytes, stillOpen } from "./support.ts"

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")

/** What the emulator's object store holds for a file record: where, and the MD5 of the bytes there. */
const storedObject = (fileId: string) =>
  IconikEmulator.use((emulator) => {
    const location = emulator.state.locations.get(fileId)!
    return Effect.map(emulator.objectStore.readObject(location.bucket, location.key), (bytes) => ({
      key: location.key,
      md5: Option.match(bytes, { onNone: () => "(nothing stored)", onSome: md5 })
    }))
  })

/** Wraps the storage client in context to record the most body uploads ever in flight at once. */
const countingStorage = (peak: { value: number }) =>
  Layer.effect(
    StorageClient,
    StorageClient.useSync((client) => {
      let inFlight = 0
      return {
        ...client,
        send: (request) =>
          request.body === undefined || request.body._tag === "Empty"
            ? client.send(request)
            : Effect.acquireUseRelease(
              Effect.sync(() => {
                inFlight++
                peak.value = Math.max(peak.value, inFlight)
              }),
              () => client.send(request),
              () => Effect.sync(() => inFlight--)
            )
      }
    })
  )

describe.each(modes)("ingestFolder ($name)", ({ layer }) => {
  it.live("ingests a folder with a global bound on uploads, reports failures, and skips them on a rerun", () => {
    const peak = { value: 0 }
    return Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({
        "a.mov": 11 * MiB,
        "b.mov": 11 * MiB,
        "nested/c.mp4": 11 * MiB,
        "nested/deeper/d.wav": 200 * 1024,
        "bad.mov": 1024,
        ".hidden": 10
      })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 30 }, operation: "UploadPart" })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 403, code: "AccessDenied" }, key: /bad\.mov/ })

      const events: Array<Progress.ProgressEvent> = []
      const report = yield* ingestFolder({ folder: dir, concurrency: 2, partSize: 5 * MiB, singlePutThreshold: MiB }).pipe(
        Progress.tap((event) => events.push(event))
      )
      assert.strictEqual(report.files, 5)
      assert.deepStrictEqual(report.ingested.map((i) => i.path).sort(), ["a.mov", "b.mov", "nested/c.mp4", "nested/deeper/d.wav"])
      assert.deepStrictEqual(report.failed.map((f) => [f.path, f.reason]), [["bad.mov", "StorageError"]])
      assert.deepStrictEqual(report.skipped, [])
      // Two files with multipart uploads of their own, yet never more than two transfers at once.
      assert.strictEqual(peak.value, 2)

      const snapshot = events.reduce(Progress.reduce, Progress.emptySnapshot)
      assert.strictEqual(snapshot.itemsPlanned, 5)
      assert.strictEqual(snapshot.ingested, 4)
      assert.strictEqual(snapshot.failed, 1)
      assert.strictEqual(snapshot.bytesTransferred, report.bytes)
      assert.strictEqual(snapshot.bytesPlanned, report.bytes)
      assert.deepStrictEqual(yield* stillOpen, [])

      // Rerun: the four are already in Iconik (same checksum); the fixed one goes in now.
      yield* emulator.objectStore.clearFaults
      const rerun = yield* ingestFolder({ folder: dir, concurrency: 2, partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.deepStrictEqual(rerun.skipped.map((s) => s.path).sort(), ["a.mov", "b.mov", "nested/c.mp4", "nested/deeper/d.wav"])
      assert.deepStrictEqual(rerun.ingested.map((i) => i.path), ["bad.mov"])
      assert.deepStrictEqual(rerun.failed, [])
      const active = [...emulator.state.assets.values()].filter((a) => a.status === "ACTIVE")
      assert.strictEqual(active.length, 5)
    }).pipe(Effect.scoped, Effect.provide(countingStorage(peak).pipe(Layer.provideMerge(layer()))))
  })
})

describe.each(modes)("ingestFolder keeps the folder structure ($name)", ({ layer }) => {
  it.live("same-named files in sub-folders are two files in two places, each stored with its own bytes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "a/clip.mp4": 300 * 1024, "b/clip.mp4": 300 * 1024, "clip.mp4": 1024 })
      const report = yield* ingestFolder({ folder: dir, concurrency: 2 })
      assert.deepStrictEqual(report.failed, [])
      assert.deepStrictEqual(report.ingested.map((i) => i.path).sort(), ["a/clip.mp4", "b/clip.mp4", "clip.mp4"])
      const keys = new Set<string>()
      for (const item of report.ingested) {
        const record = emulator.state.files.get(item.fileId)!
        const local = yield* LocalFile.checksum(path.join(dir, item.path))
        const stored = yield* storedObject(item.fileId)
        assert.strictEqual(stored.md5, local, `${item.path} is stored at ${stored.key} with another file's bytes`)
        assert.strictEqual(record.status, "CLOSED")
        assert.strictEqual(record.original_name, "clip.mp4")
        assert.strictEqual(record.directory_path, item.path.slice(0, Math.max(0, item.path.lastIndexOf("/"))))
        keys.add(stored.key)
      }
      assert.strictEqual(keys.size, 3)
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
    }).pipe(Effect.scoped, Effect.provide(layer())))
})

describe("ingestFolder", () => {
  it.live("byte-identical files in two folders are two files; a rerun skips both", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({})
      const bytes = sampleBytes(2048, 7)
      for (const relative of ["day1/take.mov", "day2/take.mov"]) {
        yield* fs.makeDirectory(path.join(dir, path.dirname(relative)), { recursive: true })
        yield* fs.writeFile(path.join(dir, relative), bytes)
      }
      // One at a time: the second file's checksum lookup sees the first one CLOSED already.
      const first = yield* ingestFolder({ folder: dir, concurrency: 1 })
      assert.deepStrictEqual(first.ingested.map((i) => i.path), ["day1/take.mov", "day2/take.mov"])
      assert.deepStrictEqual(first.skipped, [])
      const rerun = yield* ingestFolder({ folder: dir, concurrency: 1 })
      assert.deepStrictEqual(rerun.ingested, [])
      assert.deepStrictEqual(rerun.skipped.map((s) => [s.path, s.reason, s.fileId]), [
        ["day1/take.mov", "AlreadyIngested", first.ingested[0]!.fileId],
        ["day2/take.mov", "AlreadyIngested", first.ingested[1]!.fileId]
      ])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("into a collection: each file under the collection's upload path, in its own sub-folder", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "top.wav": 100, "day1/cam/a.mov": 200 })
      const collection = yield* Collections.create({ title: "Rushes" })
      const report = yield* ingestFolder({ folder: dir, collectionId: collection.id })
      const places = report.ingested.map((i) => {
        const record = emulator.state.files.get(i.fileId)!
        return [i.path, record.directory_path, emulator.state.fileSets.get(String(record.file_set_id))?.base_dir]
      })
      assert.deepStrictEqual(places, [
        ["day1/cam/a.mov", "Rushes/day1/cam", "Rushes/day1/cam"],
        ["top.wav", "Rushes", "Rushes"]
      ])
      // The upload path is asked once for the folder, not once per file.
      const asked = (yield* emulator.requests).filter((r) => r.path.includes("/full/path/"))
      assert.strictEqual(asked.length, 1)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("into a collection that cannot be found: the batch stops before any asset is made", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 100, "sub/b.mov": 200 })
      const exit = yield* Effect.exit(ingestFolder({ folder: dir, collectionId: "0b6e4d9c-e000-11ee-8000-00000000beef" }))
      assert.strictEqual(failureOf(exit)?._tag, "IconikNotFound")
      assert.strictEqual(emulator.state.assets.size, 0)
      assert.strictEqual(emulator.state.files.size, 0)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("the FILES storage is looked up once for the folder, not once per file; a storage that cannot be found stops the batch", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 100, "b.mov": 200, "sub/c.mov": 300 })
      const report = yield* ingestFolder({ folder: dir })
      assert.strictEqual(report.ingested.length, 3)
      const lookups = (yield* emulator.requests).filter((r) => r.method === "GET" && r.path.includes("/storages/"))
      assert.strictEqual(lookups.length, 1)
      // Every file went to that storage.
      const storages = new Set([...emulator.state.files.values()].map((f) => f.storage_id))
      assert.strictEqual(storages.size, 1)

      const other = yield* mediaFolder({ "d.mov": 100 })
      const exit = yield* Effect.exit(ingestFolder({ folder: other, storageId: "0b6e4d9c-e000-11ee-8000-00000000beef" }))
      assert.strictEqual(failureOf(exit)?._tag, "IconikNotFound")
      assert.strictEqual(emulator.state.assets.size, 3)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  /** Two files, a link to a file outside the folder and a link to the folder itself (`self -> .`). */
  const folderWithLinks = Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ "in.mov": 1000, "sub/deep.mov": 2000 })
    const outside = yield* mediaFolder({ "secret.mov": 3000 })
    yield* fs.symlink(path.join(outside, "secret.mov"), path.join(dir, "outside.mov"))
    yield* fs.symlink(".", path.join(dir, "self"))
    return { dir, fs, outside, path }
  })

  it.live("symbolic links are not followed by default: each is reported as skipped, nothing outside is uploaded", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { dir, outside, path } = yield* folderWithLinks
      const events: Array<Progress.ProgressEvent> = []
      const report = yield* ingestFolder({ folder: dir }).pipe(Progress.tap((event) => events.push(event)))
      assert.deepStrictEqual(report.ingested.map((i) => i.path), ["in.mov", "sub/deep.mov"])
      assert.deepStrictEqual(report.skipped.map((s) => [s.path, s.reason, s.detail]), [
        ["outside.mov", "Symlink", path.join(outside, "secret.mov")],
        ["self", "Symlink", "."]
      ])
      assert.strictEqual(report.files, 4)
      assert.strictEqual(emulator.state.files.size, 2)
      const snapshot = events.reduce(Progress.reduce, Progress.emptySnapshot)
      assert.strictEqual(snapshot.itemsPlanned, 4)
      assert.strictEqual(snapshot.skipped, 2)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("followSymlinks: links inside the folder are ingested at their own place; outside and loops are skipped", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { dir, fs, path } = yield* folderWithLinks
      yield* fs.symlink("sub", path.join(dir, "linked"))
      const report = yield* ingestFolder({ folder: dir, followSymlinks: true })
      assert.deepStrictEqual(report.ingested.map((i) => i.path), ["in.mov", "linked/deep.mov", "sub/deep.mov"])
      assert.deepStrictEqual(report.skipped.map((s) => [s.path, s.reason]), [
        ["outside.mov", "SymlinkOutsideFolder"],
        ["self", "SymlinkLoop"]
      ])
      const linked = emulator.state.files.get(report.ingested[1]!.fileId)!
      assert.deepStrictEqual([linked.directory_path, linked.original_name], ["linked", "deep.mov"])
      assert.isFalse([...emulator.state.files.values()].some((file) => file.original_name === "secret.mov"))
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("numeric options are checked before any request: a typed InvalidOption naming the option", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 10 })
      const cases: ReadonlyArray<[Partial<Parameters<typeof ingestFolder>[0]>, string]> = [
        [{ concurrency: Number.NaN }, "concurrency"],
        [{ concurrency: 0 }, "concurrency"],
        [{ concurrency: -1 }, "concurrency"],
        [{ concurrency: 1.5 }, "concurrency"],
        [{ partSize: 0 }, "partSize"],
        [{ singlePutThreshold: -1 }, "singlePutThreshold"]
      ]
      for (const [bad, option] of cases) {
        const failure = failureOf(yield* Effect.exit(ingestFolder({ folder: dir, ...bad })))
        assert.strictEqual(failure?._tag, "InvalidOption", JSON.stringify(bad))
        assert.strictEqual(failure?._tag === "InvalidOption" ? failure.option : undefined, option)
        assert.include(failure?.message, option)
      }
      assert.strictEqual((yield* emulator.requests).length, 0)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a missing folder fails with LocalFileError before any request", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const exit = yield* Effect.exit(ingestFolder({ folder: "/definitely/not/here" }))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* emulator.requests).length, 0)
    }).pipe(Effect.provide(inProcess())))
})
