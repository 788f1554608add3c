import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { IconikEmulator, inProcess, mediaFolder, MiB, stillOpen } from "./support.ts"

describe("uploadProxy", () => {
  it.live("uploads a multipart proxy, closes it and makes keyframes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 12 * MiB + 123 })
      const asset = yield* Assets.create({ title: "Interview 03" })
      const result = yield* uploadProxy({
        assetId: asset.id,
        file: path.join(dir, "proxy.mp4"),
        partSize: 5 * MiB,
        singlePutThreshold: 1 * MiB,
        keyframes: true,
        wait: { interval: 10 }
      })
      assert.strictEqual(result.transfer.strategy, "multipart")
      assert.strictEqual(result.transfer.partsTotal, 3)
      assert.strictEqual(result.keyframesJobStatus, "FINISHED")
      const proxy = emulator.state.proxies.get(result.proxyId)
      assert.strictEqual(proxy?.status, "CLOSED")
      assert.deepStrictEqual(yield* stillOpen, [])
      // Keyframes the emulator's job makes have no bytes behind them: only what we uploaded is checked.
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind !== "keyframe"), [])
      const fs = yield* FileSystem.FileSystem
      assert.isFalse(yield* fs.exists(Checkpoint.pathFor(path.join(dir, "proxy.mp4"), "uploadProxy")))
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

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
})
