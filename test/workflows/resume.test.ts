import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path } from "effect"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import * as Assets from "../../src/Assets.ts"
import { IconikEmulator, mediaFolder, MiB, modes, stillOpen, storageRequests } from "./support.ts"

/** How many parts the store has taken so far, and the numbers of those it took after that. */
const partsUploaded = Effect.map(storageRequests("UploadPart"), (parts) => parts.length)
const partsUploadedSince = (since: number) =>
  Effect.map(storageRequests("UploadPart"), (parts) => parts.slice(since).map((r) => r.partNumber))

/** A first run that stops after parts 1 and 2 as a crash would: no abort, no clean-up, the checkpoint left behind. */
const crashAfterTwoParts = <A, E, R>(run: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    yield* emulator.objectStore.addFault({
      fault: { _tag: "Fail", status: 403, code: "AccessDenied", message: "simulated crash" },
      operation: "UploadPart",
      partNumber: 3,
      times: 1
    })
    const exit = yield* Effect.exit(run)
    assert.isTrue(Exit.isFailure(exit))
  })

describe.each(modes)("resume after a crash ($name)", ({ layer }) => {
  it.live("ingestFile: a rerun uploads only the missing parts, into the same asset and file", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "big.mxf": 18 * MiB })
      const media = path.join(dir, "big.mxf")
      const options = { file: media, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 } as const
      yield* crashAfterTwoParts(ingestFile({ ...options, onFailure: "keep" }))
      assert.isTrue(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
      const pending = yield* emulator.objectStore.pendingUploads
      assert.strictEqual(pending.length, 1)
      assert.deepStrictEqual(pending[0]!.parts.map((p) => p.number), [1, 2])

      const before = yield* partsUploaded
      const result = yield* ingestFile(options)
      assert.deepStrictEqual(yield* partsUploadedSince(before), [3, 4])
      assert.isTrue(result.transfer.resumed)
      assert.strictEqual(result.transfer.partsUploaded, 2)
      assert.strictEqual(result.transfer.partsTotal, 4)
      assert.strictEqual(emulator.state.assets.size, 1)
      assert.strictEqual(emulator.state.files.size, 1)
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.isFalse(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
    }).pipe(Effect.scoped, Effect.provide(layer())))

  it.live("uploadProxy: parts missing from the checkpoint are found with ListParts, not uploaded again", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 16 * MiB + 1 })
      const media = path.join(dir, "proxy.mp4")
      const asset = yield* Assets.create({ title: "resumable" })
      const options = { assetId: asset.id, file: media, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 } as const
      yield* crashAfterTwoParts(uploadProxy({ ...options, onFailure: "keep" }))
      // A crash right after S3 stored part 2, before its checkpoint line was written.
      const lines = (yield* fs.readFileString(Checkpoint.pathFor(media, "uploadProxy"))).trim().split("\n")
      assert.strictEqual(lines.length, 4) // header, upload, part 1, part 2
      yield* fs.writeFileString(Checkpoint.pathFor(media, "uploadProxy"), lines.slice(0, 3).join("\n") + "\n{\"part\":{\"partNu")

      const before = yield* partsUploaded
      const result = yield* uploadProxy(options)
      assert.deepStrictEqual(yield* partsUploadedSince(before), [3, 4])
      assert.strictEqual(emulator.state.proxies.size, 1)
      assert.strictEqual(emulator.state.proxies.get(result.proxyId)?.status, "CLOSED")
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "proxy"), [])
    }).pipe(Effect.scoped, Effect.provide(layer())))

  it.live("a checkpoint for a changed file is ignored and the stale record is not left OPEN", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "edit.mov": 12 * MiB })
      const media = path.join(dir, "edit.mov")
      const options = { file: media, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 } as const
      yield* crashAfterTwoParts(ingestFile({ ...options, onFailure: "keep" }))
      yield* fs.writeFile(media, new Uint8Array(11 * MiB).fill(7)) // edited since
      const result = yield* ingestFile(options)
      assert.isFalse(result.transfer.resumed)
      assert.strictEqual(emulator.state.files.get(result.fileId)?.size, 11 * MiB)
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
      // The first run's file is FAILED, its S3 upload aborted, its asset deleted.
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      const stale = [...emulator.state.files.values()].find((f) => f.id !== result.fileId)
      assert.strictEqual(stale?.status, "FAILED")
      assert.notStrictEqual(emulator.state.assets.get(String(stale?.asset_id))?.status, "ACTIVE")
    }).pipe(Effect.scoped, Effect.provide(layer())))
})
