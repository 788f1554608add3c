import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path } from "effect"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import * as LocalFile from "../../workflows/LocalFile.ts"
import * as Progress from "../../workflows/Progress.ts"
import {
  failureOf,
  IconikEmulator,
  inProcess,
  mediaFolder,
  MiB,
  modes,
  overSocket,
  stillOpen,
  storageRequests
} from "./support.ts"

const ingestOn = (method: string, size: number) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ "clip.mov": size })
    const storage = emulator.storage("FILES", method)!
    const result = yield* ingestFile({
      file: path.join(dir, "clip.mov"),
      title: `On ${method}`,
      storageId: storage.id,
      partSize: 5 * MiB,
      singlePutThreshold: 1 * MiB,
      transcode: true,
      wait: { interval: 10 }
    })
    const file = emulator.state.files.get(result.fileId)!
    assert.strictEqual(file.status, "CLOSED")
    assert.strictEqual(file.size, size)
    assert.strictEqual(file.checksum, yield* LocalFile.checksum(path.join(dir, "clip.mov")))
    assert.strictEqual(result.transfer.method, method)
    assert.strictEqual(result.jobStatus, "FINISHED")
    assert.strictEqual(emulator.state.assets.get(result.assetId)?.title, `On ${method}`)
    assert.deepStrictEqual(yield* stillOpen, [])
    assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
    return result
  }).pipe(Effect.scoped)

describe("ingestFile", () => {
  it.live("S3 multipart, in-process", () =>
    ingestOn("S3", 11 * MiB).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "multipart"))),
      Effect.provide(inProcess())
    ))

  it.live("S3 single PUT below the threshold, over a socket", () =>
    ingestOn("S3", 300 * 1024).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "single"))),
      Effect.provide(overSocket())
    ))

  it.live("GCS resumable, over a socket", () => ingestOn("GCS", 3 * MiB + 17).pipe(Effect.provide(overSocket())))

  it.live.each(modes)("GCS resumable in several chunks of one session, $name", ({ layer }) =>
    Effect.gen(function*() {
      const result = yield* ingestOn("GCS", 11 * MiB + 17)
      assert.strictEqual(result.transfer.strategy, "resumable")
      // 5 MiB, 5 MiB, then the last 1 MiB + 17 bytes: GCS holds on (308) until the last chunk completes the object.
      assert.deepStrictEqual((yield* storageRequests("ResumableChunk")).map((r) => r.status), [308, 308, 200])
      assert.strictEqual((yield* storageRequests("ResumableStart")).length, 1)
    }).pipe(Effect.provide(layer())))

  it.live("Azure block blob (blocks above the threshold), in-process", () =>
    ingestOn("AZURE", 11 * MiB).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "blocks"))),
      Effect.provide(inProcess())
    ))

  it.live("Azure single Put Blob, over a socket", () =>
    ingestOn("AZURE", 700 * 1024).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "single"))),
      Effect.provide(overSocket())
    ))

  it.live("B2 single upload, over a socket", () =>
    ingestOn("B2", 900 * 1024).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "single"))),
      Effect.provide(overSocket())
    ))

  it.live("B2 large file, in-process", () =>
    ingestOn("B2", 11 * MiB).pipe(
      Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.transfer.strategy, "large-file"))),
      Effect.provide(inProcess())
    ))

  it.live("a part failing once is retried by the storage client and reported as a retry", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "hiccup.mov": 11 * MiB })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 503, code: "SlowDown" }, operation: "UploadPart", partNumber: 2, times: 1 })
      const events: Array<Progress.ProgressEvent> = []
      const result = yield* ingestFile({ file: path.join(dir, "hiccup.mov"), partSize: 5 * MiB, singlePutThreshold: MiB }).pipe(
        Progress.tap((event) => events.push(event))
      )
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
      const retries = events.filter((e): e is Progress.StepRetrying => e._tag === "StepRetrying")
      assert.deepStrictEqual(retries.map((r) => [r.step, r.workflow]), [["upload part 2", "ingestFile"]])
      // Bytes of the failed attempt were taken back: the count ends at the file's size, not above it.
      const last = events.filter((e) => e._tag === "BytesTransferred").at(-1) as Progress.BytesTransferred
      assert.strictEqual(last.transferred, 11 * MiB)
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a part that keeps failing: upload aborted, Iconik cleaned up, file FAILED, asset deleted", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "broken.mov": 12 * MiB })
      yield* emulator.objectStore.addFault({
        fault: { _tag: "Fail", status: 500, code: "InternalError" },
        operation: "UploadPart",
        partNumber: 2
      })
      const exit = yield* Effect.exit(ingestFile({ file: path.join(dir, "broken.mov"), partSize: 5 * MiB, singlePutThreshold: MiB }))
      const error = failureOf(exit) as { _tag: string; code?: string } | undefined
      assert.strictEqual(error?._tag, "StorageError")
      assert.strictEqual(error?.code, "InternalError")
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      const files = [...emulator.state.files.values()]
      assert.strictEqual(files.length, 1)
      assert.strictEqual(files[0]!.status, "FAILED")
      const requests = yield* emulator.requests
      assert.isTrue(requests.some((r) => r.method === "POST" && r.path.includes("/multipart/cleanup")))
      assert.isTrue(requests.some((r) => r.method === "DELETE" && /\/API\/assets\/v1\/assets\/[^/]+\/?$/.test(r.path)))
      const fs = yield* FileSystem.FileSystem
      assert.isFalse(yield* fs.exists(Checkpoint.pathFor(path.join(dir, "broken.mov"), "ingestFile")))
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("interrupted mid-upload: nothing left OPEN, nothing pending on storage", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "slow.mov": 16 * MiB })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "UploadPart", partNumber: 3 })
      const exit = yield* ingestFile({ file: path.join(dir, "slow.mov"), partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 }).pipe(
        Effect.timeout(1500),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})
