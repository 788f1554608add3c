/**
 * The download workflows against the emulator (in-process and over a socket): an ingested original comes back
 * byte for byte and verified by MD5, proxies and keyframes by size, a rerun fetches nothing, an expired URL is renewed
 * through Iconik, a checksum mismatch is a typed error that leaves no complete-looking file, and a collection batch
 * reports what failed without stopping the rest.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as Collections from "../../src/Collections.ts"
import type { DownloadEvent } from "../../src/storage/Download.ts"
import { downloadAll, downloadFile, downloadKeyframes, downloadProxy } from "../../workflows/download.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { failureOf, IconikEmulator, inProcess, mediaFolder, MiB, modes, overSocket } from "./support.ts"

/** Ingests `size` bytes as `<title>.mov` on the FILES storage of `method` (object keys come from the name: keep titles apart). */
const ingested = (size: number, method = "S3", title = "clip") =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ [`${title}.mov`]: size })
    const result = yield* ingestFile({
      file: path.join(dir, `${title}.mov`),
      title,
      storageId: emulator.storage("FILES", method)!.id,
      partSize: 5 * MiB,
      singlePutThreshold: method === "S3" ? MiB : 16 * MiB
    })
    return { assetId: result.assetId, fileId: result.fileId, source: path.join(dir, `${title}.mov`) }
  })

const sameBytes = (a: string, b: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const [x, y] = [yield* fs.readFile(a), yield* fs.readFile(b)]
    return x.length === y.length && Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0
  })

describe.each(modes)("download workflows ($name)", ({ layer }) => {
  it.live("original, verified by MD5; a rerun fetches nothing", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const { assetId, source } = yield* ingested(3 * MiB + 5)
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
      const [item] = yield* downloadFile({ assetId, to, partSize: MiB })
      assert.strictEqual(item!.path, path.join(to, "clip.mov"))
      assert.deepStrictEqual([item!.verified, item!.skipped, item!.fetchedBytes], ["md5", false, 3 * MiB + 5])
      assert.isTrue(yield* sameBytes(source, item!.path))
      const [again] = yield* downloadFile({ assetId, to, partSize: MiB })
      assert.deepStrictEqual([again!.skipped, again!.fetchedBytes], [true, 0])
      assert.deepStrictEqual((yield* fs.readDirectory(to)).sort(), ["clip.mov"])
    }).pipe(Effect.scoped, Effect.provide(layer())))

  it.live("proxies and keyframes, verified by size", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const { assetId } = yield* ingested(64 * 1024)
      const dir = yield* mediaFolder({ "proxy.mp4": 2 * MiB })
      yield* uploadProxy({ assetId, file: path.join(dir, "proxy.mp4"), keyframes: true, wait: { interval: 10 } })
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
      const proxies = yield* downloadProxy({ assetId, to, partSize: 256 * 1024 })
      assert.strictEqual(proxies.length, 1)
      assert.strictEqual(proxies[0]!.verified, "size")
      assert.isTrue(yield* sameBytes(path.join(dir, "proxy.mp4"), proxies[0]!.path))
      const keyframes = yield* downloadKeyframes({ assetId, to })
      assert.strictEqual(keyframes.length, 2)
      for (const keyframe of keyframes) assert.strictEqual((yield* fs.stat(keyframe.path)).size, BigInt(keyframe.size))
    }).pipe(Effect.scoped, Effect.provide(layer())))
})

describe("download workflows", () => {
  for (const method of ["GCS", "AZURE", "B2"]) {
    it.live(`original on ${method}`, () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { assetId, source } = yield* ingested(2 * MiB + 1, method)
        const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
        const [item] = yield* downloadFile({ assetId, to, partSize: 512 * 1024 })
        assert.strictEqual(item!.verified, "md5")
        assert.isTrue(yield* sameBytes(source, item!.path))
      }).pipe(Effect.scoped, Effect.provide(inProcess())))
  }

  it.live("an expired URL mid-download is renewed through Iconik", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const { assetId, source } = yield* ingested(3 * MiB)
      yield* emulator.objectStore.addFault({
        operation: "GetObject",
        fault: { _tag: "Fail", status: 403, code: "AccessDenied", message: "Request has expired" },
        times: 1
      })
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
      const events: Array<DownloadEvent["_tag"]> = []
      const [item] = yield* downloadFile({
        assetId,
        to,
        partSize: MiB,
        concurrency: 1,
        onProgress: (_, event) => Effect.sync(() => void events.push(event._tag))
      })
      assert.include(events, "UrlRenewed")
      assert.isTrue(yield* sameBytes(source, item!.path))
      const urlRequests = (yield* emulator.requests).filter((r) => r.path.endsWith("/download_url/"))
      assert.strictEqual(urlRequests.length, 2)
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("a checksum mismatch is a typed error and leaves no complete-looking file", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const { assetId, fileId } = yield* ingested(MiB + 3)
      emulator.state.files.get(fileId)!.checksum = "0123456789abcdef0123456789abcdef"
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
      const error = failureOf(yield* Effect.exit(downloadFile({ assetId, to })))
      assert.strictEqual(error?._tag, "DownloadVerificationFailed")
      assert.deepStrictEqual(yield* fs.readDirectory(to), [])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("a collection, recursively: a report of downloaded, skipped and failed; a rerun skips", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const good = yield* ingested(MiB, "S3", "good")
      const bad = yield* ingested(MiB + 1, "S3", "bad")
      emulator.state.files.get(bad.fileId)!.checksum = "0123456789abcdef0123456789abcdef"
      const top = yield* Collections.create({ title: "top" })
      const inner = yield* Collections.create({ title: "inner" })
      yield* Collections.addContent(top.id, { object_id: good.assetId, object_type: "assets" })
      yield* Collections.addContent(top.id, { object_id: inner.id, object_type: "collections" })
      yield* Collections.addContent(inner.id, { object_id: bad.assetId, object_type: "assets" })
      // A cycle back to the top is visited once.
      yield* Collections.addContent(inner.id, { object_id: top.id, object_type: "collections" })
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-" })
      const source = { _tag: "Collection", collectionId: top.id, recursive: true } as const
      const report = yield* downloadAll({ source, to, files: 2 })
      assert.deepStrictEqual(report.downloaded.map((item) => item.assetId), [good.assetId])
      assert.deepStrictEqual(report.failed.map((item) => [item.assetId, item.reason]), [[bad.assetId, "DownloadVerificationFailed"]])
      const rerun = yield* downloadAll({ source, to, files: 2 })
      assert.deepStrictEqual([rerun.downloaded.length, rerun.skipped.length, rerun.failed.length], [0, 1, 1])
      assert.isTrue(yield* sameBytes(good.source, rerun.skipped[0]!.path))
      const flat = yield* downloadAll({ source: { _tag: "Collection", collectionId: top.id }, to, files: 2 })
      assert.deepStrictEqual([flat.skipped.length, flat.failed.length], [1, 0])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})

