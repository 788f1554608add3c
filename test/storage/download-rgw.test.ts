/**
 * Downloads from a real S3 (Ceph RadosGW): the emulator in external-S3 mode stores an original there through the
 * SDK's multipart upload (`ingestFile`), hands out SigV4 presigned URLs to it, and `downloadFile` brings it back with
 * ranged concurrent GETs, resumes after an interruption fetching only the missing parts, verifies by MD5, and turns
 * a checksum mismatch into a typed error that leaves no complete-looking file. Runs when `RGW_ENDPOINT` is set (CI
 * starts RadosGW before the tests); skipped otherwise, saying so in the suite's title.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Layer, Path } from "effect"
import type { DownloadEvent } from "../../src/storage/Download.ts"
import { checkpointPathFor, partialPathFor } from "../../src/storage/Download.ts"
import { StorageClient, type StorageRequest } from "../../src/storage/StorageClient.ts"
import { rgwTestCredentials } from "../../src/testing/sigv4.ts"
import { downloadFile } from "../../workflows/download.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { failureOf, IconikEmulator, mediaFolder, MiB, overSocket } from "../workflows/support.ts"
import { rgwEndpoint as endpoint, rgwSkipReason, skipTitle } from "../support/skip.ts"

/** The ranged GETs the download sent (URL without its query, Range header), and the most in flight at once. */
interface Recorder {
  readonly gets: Array<{ readonly url: string; readonly range: string }>
  peak: number
}

/** The production storage client (its own node:http transport, reaching RadosGW), recording the ranged GETs. */
const recording = (recorder: Recorder) =>
  Layer.effect(
    StorageClient,
    StorageClient.useSync((client) => {
      let inFlight = 0
      return {
        ...client,
        send: (request: StorageRequest) => {
          const range = request.headers?.["range"]
          if (request.method !== "GET" || range === undefined) return client.send(request)
          return Effect.acquireUseRelease(
            Effect.sync(() => {
              recorder.gets.push({ url: request.url.split("?")[0]!, range })
              recorder.peak = Math.max(recorder.peak, ++inFlight)
            }),
            () => client.send(request),
            () => Effect.sync(() => void inFlight--)
          )
        }
      }
    })
  )

/** The emulator on a socket with its S3 storages on RadosGW, and the recording storage client. */
const onRadosGw = (recorder: Recorder) =>
  Layer.provideMerge(recording(recorder), overSocket({ externalS3: { endpoint: endpoint!, ...rgwTestCredentials } }))

const size = 13 * MiB + 5

/** Ingests `size` bytes through the SDK's multipart upload (5 MiB parts) onto the S3 FILES storage, i.e. RadosGW. */
const ingested = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  const path = yield* Path.Path
  const dir = yield* mediaFolder({ "clip.mov": size })
  const source = path.join(dir, "clip.mov")
  const result = yield* ingestFile({
    file: source,
    title: "from RadosGW",
    storageId: emulator.storage("FILES", "S3")!.id,
    partSize: 5 * MiB,
    singlePutThreshold: MiB
  })
  return { assetId: result.assetId, fileId: result.fileId, source }
})

const sameBytes = (a: string, b: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const [x, y] = [yield* fs.readFile(a), yield* fs.readFile(b)]
    return x.length === y.length && Buffer.compare(Buffer.from(x), Buffer.from(y)) === 0
  })

describe.skipIf(rgwSkipReason !== undefined)(skipTitle("downloads from RadosGW", rgwSkipReason), () => {
  it.live("ranged concurrent GETs on RadosGW's presigned URL; interrupted, a rerun fetches only the missing parts; MD5-verified", () => {
    const recorder: Recorder = { gets: [], peak: 0 }
    return Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { assetId, source } = yield* ingested
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-rgw-" })
      const target = (yield* Path.Path).join(to, "clip.mov")
      const options = { assetId, to, partSize: MiB, concurrency: 3 }
      const partCount = Math.ceil(size / MiB)

      // First run: stopped once 5 parts are done (others may be in flight then).
      let completed = 0
      const first = yield* Effect.exit(downloadFile({
        ...options,
        onProgress: (_, event: DownloadEvent) =>
          event._tag === "PartCompleted" && ++completed === 5 ? Effect.interrupt : Effect.void
      }))
      assert.isTrue(first._tag === "Failure")
      assert.isFalse(yield* fs.exists(target))
      assert.isTrue(yield* fs.exists(partialPathFor(target)))
      const firstRun = recorder.gets.splice(0)
      assert.isTrue(firstRun.every((get) => get.url.startsWith(`${endpoint}/`)), "GETs go to RadosGW")
      assert.isAtLeast(recorder.peak, 2, "parts are fetched concurrently")
      assert.isAtMost(recorder.peak, 3)
      const listed = (yield* fs.readFileString(checkpointPathFor(target)))
        .split("\n").filter((line) => line.startsWith("{\"part\""))
        .map((line) => JSON.parse(line).part as number)
      assert.isAtLeast(listed.length, 5)

      // The rerun asks only for the parts the checkpoint does not list, each once.
      const [item] = yield* downloadFile(options)
      const rerun = recorder.gets.map((get) => get.range)
      const missing = Array.from({ length: partCount }, (_, i) => i + 1).filter((part) => !listed.includes(part))
      const rangeOf = (part: number) => `bytes=${(part - 1) * MiB}-${Math.min(size, part * MiB) - 1}`
      assert.deepStrictEqual([...rerun].sort(), missing.map(rangeOf).sort())
      assert.strictEqual(item!.fetchedBytes, size - listed.reduce((sum, part) => sum + Math.min(MiB, size - (part - 1) * MiB), 0))
      assert.strictEqual(item!.verified, "md5")
      assert.isTrue(yield* sameBytes(source, target))
      assert.deepStrictEqual((yield* fs.readDirectory(to)).sort(), ["clip.mov"])
    }).pipe(Effect.scoped, Effect.provide(onRadosGw(recorder)))
  }, 60_000)

  it.live("a checksum mismatch is a typed error and leaves no complete-looking file", () => {
    const recorder: Recorder = { gets: [], peak: 0 }
    return Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const { assetId, fileId } = yield* ingested
      emulator.state.files.get(fileId)!.checksum = "0123456789abcdef0123456789abcdef"
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-download-rgw-" })
      const error = failureOf(yield* Effect.exit(downloadFile({ assetId, to, partSize: 4 * MiB })))
      assert.strictEqual(error?._tag, "DownloadVerificationFailed")
      assert.include(error?.message ?? "", "does not match")
      assert.strictEqual(recorder.gets.length, 4, "the whole object was fetched from RadosGW")
      assert.deepStrictEqual(yield* fs.readDirectory(to), [])
    }).pipe(Effect.scoped, Effect.provide(onRadosGw(recorder)))
  }, 60_000)
})
