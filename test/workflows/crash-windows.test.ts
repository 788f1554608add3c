/**
 * Crash windows of `ingestFile`: a run killed at an exact point, then run again, must end with one asset whose file
 * is CLOSED and holds the source's bytes, nothing OPEN, nothing pending on storage and no checkpoint left.
 *
 * A kill is simulated by a first run with `onFailure: "keep"` (no clean-up runs, as after a SIGKILL) stopped by a
 * refused Iconik call at the point under test; the checkpoint is left as that run wrote it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Option, Path } from "effect"
import { createHash } from "node:crypto"
import * as Faults from "../../src/testing/emulator/Faults.ts"
import * as Files from "../../src/Files.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { IconikEmulator, inProcess, mediaFolder, MiB, stillOpen, storageRequests } from "./support.ts"

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")

const closeRoute = /^PATCH \/API\/files\/v1\/assets\/[^/]+\/files\/[^/]+\/$/
const formatRoute = /^POST \/API\/files\/v1\/assets\/[^/]+\/formats\/$/
const assetRoute = /^DELETE \/API\/assets\/v1\/assets\/[^/]+\/$/

/** The ingest under test: 5 MiB parts above 1 MiB, one part at a time (a 12 MiB file is three parts). */
const ingest = (file: string, options?: Partial<Parameters<typeof ingestFile>[0]>) =>
  ingestFile({ file, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1, ...options })

/** The first run, stopped by a refused call on `route` as a kill there would stop it: nothing cleaned up. */
const killedAt = (route: RegExp, file: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    yield* emulator.addFault({ fault: Faults.serverError(403, ["simulated kill"]), route, times: 1 })
    const exit = yield* Effect.exit(
      ingest(file, { onFailure: "keep" })
    )
    assert.isTrue(Exit.isFailure(exit))
  })

/** A first run killed after its CLOSE acted, before its checkpoint was removed: the file record it CLOSED. */
const killedAfterClose = (name: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const path = yield* Path.Path
    const media = path.join(yield* mediaFolder({ [name]: 12 * MiB }), name)
    yield* killedAt(closeRoute, media)
    const [closed] = [...emulator.state.files.values()]
    yield* Files.patchFile(closed!.asset_id as string, closed!.id as string, { status: "CLOSED" })
    return { closed: closed!, media }
  })

/** Everything a rerun after a crash must leave: one asset, its file CLOSED with the source's bytes, nothing else. */
const assertOneCleanAsset = (media: string, fileId: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const fs = yield* FileSystem.FileSystem
    const active = [...emulator.state.assets.values()].filter((asset) => asset.status === "ACTIVE")
    assert.strictEqual(active.length, 1)
    const files = [...emulator.state.files.values()].filter((f) => f.asset_id === active[0]!.id)
    assert.deepStrictEqual(files.map((f) => [f.id, f.status]), [[fileId, "CLOSED"]])
    const location = emulator.state.locations.get(fileId)!
    const stored = yield* emulator.objectStore.readObject(location.bucket, location.key)
    assert.strictEqual(Option.map(stored, md5).pipe(Option.getOrUndefined), md5(yield* fs.readFile(media)))
    assert.deepStrictEqual(yield* stillOpen, [])
    assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
    assert.isFalse(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
  })

describe("ingestFile crash windows", () => {
  it.live("killed after the upload completed, before the CLOSE: the rerun only closes the file", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const fs = yield* FileSystem.FileSystem
      const media = path.join(yield* mediaFolder({ "done.mxf": 12 * MiB }), "done.mxf")
      yield* killedAt(closeRoute, media)
      assert.isTrue(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))

      const partsBefore = (yield* storageRequests("UploadPart")).length
      const result = yield* ingest(media)
      assert.isTrue(result.transfer.resumed)
      assert.strictEqual((yield* storageRequests("UploadPart")).length, partsBefore)
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("killed right after CompleteMultipartUpload, before its checkpoint line: the object is verified, then closed", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const fs = yield* FileSystem.FileSystem
      const media = path.join(yield* mediaFolder({ "done.mxf": 12 * MiB }), "done.mxf")
      yield* killedAt(closeRoute, media)
      // The kill came before the line saying the storage holds the file was written.
      const checkpointPath = Checkpoint.pathFor(media, "ingestFile")
      const lines = (yield* fs.readFileString(checkpointPath)).trim().split("\n")
      yield* fs.writeFileString(checkpointPath, lines.filter((line) => !line.startsWith("{\"stored\"")).join("\n") + "\n")

      const partsBefore = (yield* storageRequests("UploadPart")).length
      const result = yield* ingest(media)
      assert.strictEqual((yield* storageRequests("UploadPart")).length, partsBefore)
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a resume that fails deletes its asset, so the next rerun makes only one", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const fs = yield* FileSystem.FileSystem
      const media = path.join(yield* mediaFolder({ "lost.mxf": 12 * MiB }), "lost.mxf")
      yield* killedAt(closeRoute, media)
      // The stored object is lost meanwhile (and the checkpoint predates its completion): the resume cannot verify it.
      const checkpointPath = Checkpoint.pathFor(media, "ingestFile")
      const lines = (yield* fs.readFileString(checkpointPath)).trim().split("\n")
      yield* fs.writeFileString(checkpointPath, lines.filter((line) => !line.startsWith("{\"stored\"")).join("\n") + "\n")
      const first = [...emulator.state.files.values()][0]!
      const location = emulator.state.locations.get(String(first.id))!
      assert.isTrue(yield* emulator.objectStore.deleteObject(location.bucket, location.key))

      assert.isTrue(Exit.isFailure(yield* Effect.exit(ingest(media))))
      assert.notStrictEqual(emulator.state.assets.get(String(first.asset_id))?.status, "ACTIVE")
      const result = yield* ingest(media)
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("killed after the CLOSE acted, before the checkpoint was removed: the rerun adopts the CLOSED file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { closed: open, media } = yield* killedAfterClose("closed.mxf")
      assert.isTrue(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))

      const partsBefore = (yield* storageRequests("UploadPart")).length
      const result = yield* ingest(media)
      assert.strictEqual(result.fileId, open.id)
      assert.isTrue(result.transfer.resumed)
      assert.strictEqual((yield* storageRequests("UploadPart")).length, partsBefore)
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a checkpoint naming a file ingested to another place (the same bytes through a link) is left alone", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const media = path.join(yield* mediaFolder({ "shared.mxf": 12 * MiB }), "shared.mxf")
      // Another ingest of these bytes, to "linked", stopped before its CLOSE: its checkpoint is beside the media.
      yield* emulator.addFault({ fault: Faults.serverError(403, ["simulated kill"]), route: closeRoute, times: 1 })
      yield* Effect.exit(ingestFile({ file: media, directoryPath: "linked", partSize: 5 * MiB, singlePutThreshold: MiB, onFailure: "keep" }))
      const [other] = [...emulator.state.files.values()]

      const result = yield* ingestFile({ file: media, directoryPath: "sub", partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.notStrictEqual(result.fileId, other!.id)
      assert.strictEqual(emulator.state.files.get(result.fileId)?.directory_path, "sub")
      // The other ingest's record is not resumed, closed or failed by this one.
      assert.strictEqual(emulator.state.files.get(other!.id as string)?.status, "OPEN")
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a checkpoint naming a CLOSED file of other bytes (the media changed since) is not adopted", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const { closed: first, media } = yield* killedAfterClose("edited.mxf")
      yield* fs.writeFile(media, new Uint8Array(12 * MiB + 1).fill(7))

      const result = yield* ingest(media)
      assert.notStrictEqual(result.fileId, first.id)
      assert.strictEqual(emulator.state.files.get(first.id as string)?.status, "CLOSED")
      assert.isFalse(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  // A failed run's clean-up marks its file FAILED (or deletes it), then deletes the asset: a kill in between leaves the
  // asset without its file, and the rerun must not leave it beside the one it makes.
  for (const [what, cutOff] of [
    ["marked FAILED", (assetId: string, fileId: string) => Files.patchFile(assetId, fileId, { status: "FAILED" })],
    ["deleted", (assetId: string, fileId: string) => Files.deleteFile(assetId, fileId)]
  ] as const) {
    it.live(`killed in a clean-up after its file was ${what}, before its asset was deleted: the rerun deletes that asset`, () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const path = yield* Path.Path
        const media = path.join(yield* mediaFolder({ "cut.mxf": 12 * MiB }), "cut.mxf")
        yield* killedAt(closeRoute, media)
        const [first] = [...emulator.state.files.values()]
        yield* cutOff(first!.asset_id as string, first!.id as string)

        const result = yield* ingest(media)
        assert.notStrictEqual(emulator.state.assets.get(first!.asset_id as string)?.status, "ACTIVE")
        yield* assertOneCleanAsset(media, result.fileId)
      }).pipe(Effect.scoped, Effect.provide(inProcess())))
  }

  it.live("a failed ingest whose asset could not be deleted keeps its checkpoint: the rerun deletes that asset", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const fs = yield* FileSystem.FileSystem
      const media = path.join(yield* mediaFolder({ "stuck.mxf": 12 * MiB }), "stuck.mxf")
      // The CLOSE is refused, then the clean-up's delete of the asset (as a kill at that point would stop it).
      yield* emulator.addFault({ fault: Faults.serverError(403, ["refused"]), route: closeRoute, times: 1 })
      yield* emulator.addFault({ fault: Faults.serverError(403, ["refused"]), route: assetRoute, times: 1 })
      assert.isTrue(Exit.isFailure(yield* Effect.exit(ingest(media))))
      const [first] = [...emulator.state.files.values()]
      assert.strictEqual(emulator.state.assets.get(first!.asset_id as string)?.status, "ACTIVE")
      assert.isTrue(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))

      const result = yield* ingest(media)
      assert.notStrictEqual(emulator.state.assets.get(first!.asset_id as string)?.status, "ACTIVE")
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("killed between the asset create and the file record: the rerun leaves one asset", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const media = path.join(yield* mediaFolder({ "early.mxf": 12 * MiB }), "early.mxf")
      yield* killedAt(formatRoute, media)
      assert.strictEqual(emulator.state.assets.size, 1)

      const result = yield* ingest(media)
      yield* assertOneCleanAsset(media, result.fileId)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})
