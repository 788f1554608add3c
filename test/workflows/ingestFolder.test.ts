import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { StorageClient } from "../../src/storage/StorageClient.ts"
import { ingestFolder } from "../../workflows/ingestFolder.ts"
import * as Progress from "../../workflows/Progress.ts"
import { IconikEmulator, inProcess, mediaFolder, MiB, modes, stillOpen } from "./support.ts"

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

describe("ingestFolder", () => {
  it.live("a missing folder fails with LocalFileError before any request", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const exit = yield* Effect.exit(ingestFolder({ folder: "/definitely/not/here" }))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* emulator.requests).length, 0)
    }).pipe(Effect.provide(inProcess())))
})
