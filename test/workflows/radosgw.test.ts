/**
 * The S3 upload workflows against a real S3 (Ceph RadosGW): the emulator mints real SigV4 presigned URLs for its S3
 * storages and the bytes go to RadosGW. Runs when `RGW_ENDPOINT` is set (`export "$(scripts/rgw-up.sh)"`, as
 * `.ci/run` does); skipped otherwise, saying so in the suite's title.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import { rgwTestCredentials } from "../../src/testing/sigv4.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import * as Progress from "../../workflows/Progress.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { rgwEndpoint as endpoint, rgwSkipReason, skipTitle } from "../support/skip.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, stillOpen } from "./support.ts"

describe.skipIf(rgwSkipReason !== undefined)(skipTitle("S3 workflows against RadosGW", rgwSkipReason), () => {
  const onRgw = () => overSocket({ externalS3: { endpoint: endpoint!, ...rgwTestCredentials } })

  it.live("uploadProxy: multipart to RadosGW, CLOSED, object size verified there", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "rgw-proxy.mp4": 11 * MiB + 5 })
      const asset = yield* Assets.create({ title: "RadosGW proxy" })
      const result = yield* uploadProxy({
        assetId: asset.id,
        file: path.join(dir, "rgw-proxy.mp4"),
        partSize: 5 * MiB,
        singlePutThreshold: MiB
      })
      assert.strictEqual(result.transfer.strategy, "multipart")
      assert.strictEqual(result.transfer.partsTotal, 3)
      assert.strictEqual(emulator.state.proxies.get(result.proxyId)?.status, "CLOSED")
      // verifyClosedUploads asks RadosGW for the object's size.
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "proxy"), [])
    }).pipe(Effect.scoped, Effect.provide(onRgw())))

  it.live("ingestFile: single PUT and multipart originals on RadosGW", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "small.mov": 700 * 1024, "large.mov": 12 * MiB })
      const small = yield* ingestFile({ file: path.join(dir, "small.mov"), singlePutThreshold: MiB })
      const large = yield* ingestFile({ file: path.join(dir, "large.mov"), partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.strictEqual(small.transfer.strategy, "single")
      assert.strictEqual(large.transfer.strategy, "multipart")
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(onRgw())))

  it.live("interrupted with onFailure keep, then resumed: ListParts on RadosGW, only the missing parts sent", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "resume.mov": 20 * MiB + 3 })
      const media = path.join(dir, "resume.mov")
      const options = { file: media, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 } as const
      const twoParts = yield* Deferred.make<void>()
      const first = yield* Effect.forkChild(
        ingestFile({ ...options, onFailure: "keep" }).pipe(
          Progress.tap((event) => {
            if (event._tag === "BytesTransferred" && event.transferred >= 15 * MiB) Deferred.doneUnsafe(twoParts, Exit.void)
          })
        )
      )
      yield* Deferred.await(twoParts)
      yield* Fiber.interrupt(first)
      const result = yield* ingestFile(options)
      assert.isTrue(result.transfer.resumed)
      assert.strictEqual(result.transfer.partsTotal, 5)
      assert.isAtMost(result.transfer.partsUploaded ?? 99, 3)
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(onRgw())))
})
