import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import {
  failureOf,
  IconikEmulator,
  inProcess,
  mediaFolder,
  MiB,
  modes,
  stillOpen,
  storageRequests,
  withProxyStorages
} from "./support.ts"

/**
 * Uploads a `size`-byte proxy to the PROXIES storage of `method` with keyframes, and checks what Iconik and the store
 * hold afterwards: the proxy CLOSED with its size, its object stored with that size, keyframes made, nothing OPEN,
 * no checkpoint left.
 */
const proxyOn = (method: string, size: number) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ "proxy.mp4": size })
    const asset = yield* Assets.create({ title: "Interview 03" })
    const result = yield* uploadProxy({
      assetId: asset.id,
      file: path.join(dir, "proxy.mp4"),
      storageId: emulator.storage("PROXIES", method)!.id,
      partSize: 5 * MiB,
      singlePutThreshold: 1 * MiB,
      keyframes: true,
      wait: { interval: 10 }
    })
    assert.strictEqual(result.transfer.method, method)
    assert.strictEqual(result.keyframesJobStatus, "FINISHED")
    const proxy = emulator.state.proxies.get(result.proxyId)
    assert.strictEqual(proxy?.status, "CLOSED")
    assert.strictEqual(proxy?.size, size)
    assert.isTrue([...emulator.state.keyframes.values()].some((k) => k.asset_id === asset.id && k.status === "CLOSED"))
    assert.deepStrictEqual(yield* stillOpen, [])
    // Keyframes the emulator's job makes have no bytes behind them: only what we uploaded is checked.
    assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind !== "keyframe"), [])
    const fs = yield* FileSystem.FileSystem
    assert.isFalse(yield* fs.exists(Checkpoint.pathFor(path.join(dir, "proxy.mp4"), "uploadProxy")))
    return result
  }).pipe(Effect.scoped)

describe.each(modes)("uploadProxy ($name)", ({ layer }) => {
  it.live("uploads a multipart proxy to S3, closes it and makes keyframes", () =>
    Effect.gen(function*() {
      const result = yield* proxyOn("S3", 12 * MiB + 123)
      assert.strictEqual(result.transfer.strategy, "multipart")
      assert.strictEqual(result.transfer.partsTotal, 3)
      assert.strictEqual((yield* storageRequests("UploadPart")).length, 3)
    }).pipe(Effect.provide(layer())))

  it.live("uploads a proxy to GCS in resumable chunks, closes it and makes keyframes", () =>
    Effect.gen(function*() {
      const result = yield* proxyOn("GCS", 10 * MiB + 5)
      assert.strictEqual(result.transfer.strategy, "resumable")
      assert.strictEqual((yield* storageRequests("ResumableChunk")).length, 3)
    }).pipe(Effect.provide(layer(withProxyStorages))))

  it.live("a part that keeps failing: upload aborted, Iconik cleaned up, proxy FAILED, no OPEN record left", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "broken.mp4": 12 * MiB })
      const media = path.join(dir, "broken.mp4")
      const asset = yield* Assets.create({ title: "broken proxy" })
      yield* emulator.objectStore.addFault({
        fault: { _tag: "Fail", status: 500, code: "InternalError" },
        operation: "UploadPart",
        partNumber: 2
      })
      const exit = yield* Effect.exit(uploadProxy({ assetId: asset.id, file: media, partSize: 5 * MiB, singlePutThreshold: MiB }))
      const error = failureOf(exit) as { _tag: string; code?: string } | undefined
      assert.strictEqual(error?._tag, "StorageError")
      assert.strictEqual(error?.code, "InternalError")
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      const proxies = [...emulator.state.proxies.values()]
      assert.deepStrictEqual(proxies.map((p) => p.status), ["FAILED"])
      const requests = yield* emulator.requests
      assert.isTrue(requests.some((r) => r.method === "POST" && r.path.includes("/multipart/cleanup")))
      const fs = yield* FileSystem.FileSystem
      assert.isFalse(yield* fs.exists(Checkpoint.pathFor(media, "uploadProxy")))
    }).pipe(Effect.scoped, Effect.provide(layer())))
})

describe("uploadProxy", () => {
  it.live("fails with LocalFileError before any request when the file does not exist", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const before = (yield* emulator.requests).length
      const exit = yield* Effect.exit(uploadProxy({ assetId: "b8f3c4a2-0000-11ee-8000-000000000000", file: "/nonexistent/clip.mp4" }))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons.find((r) => r._tag === "Fail")?.error as { _tag: string; reason: string }
        assert.strictEqual(error._tag, "LocalFileError")
        assert.strictEqual(error.reason, "NotFound")
      }
      assert.strictEqual((yield* emulator.requests).length, before)
    }).pipe(Effect.provide(inProcess())))

  it.live("refuses a B2 proxy storage (Iconik has B2 upload endpoints for files only): proxy FAILED, nothing stored", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 2 * MiB })
      const asset = yield* Assets.create({ title: "B2 proxy" })
      const exit = yield* Effect.exit(uploadProxy({
        assetId: asset.id,
        file: path.join(dir, "proxy.mp4"),
        storageId: emulator.storage("PROXIES", "B2")!.id
      }))
      assert.strictEqual(failureOf(exit)?._tag, "UnsupportedStorage")
      assert.deepStrictEqual([...emulator.state.proxies.values()].map((p) => p.status), ["FAILED"])
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.requests, [])
    }).pipe(Effect.scoped, Effect.provide(inProcess(withProxyStorages))))
})
