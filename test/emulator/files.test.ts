/**
 * Upload records and the signed URLs the emulator hands out: the S3 proxy multipart flow done by hand (in-process and
 * over a socket), single uploads per storage method (S3, GCS resumable, Azure, B2), B2 large files, multipart
 * cleanup, records left OPEN until PATCHed, and the CLOSED-size check.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { assets, files } from "../../src/generated/index.ts"
import { IconikEmulator, ObjectStore } from "../../src/testing/index.ts"
import { bytes, storage } from "./support.ts"

const options = { rateLimit: false, objectStore: { minPartSize: 16 } } as const
const inProcess = IconikEmulator.layerClient(options, { rateLimit: false, retry: false })
const overSocket = IconikEmulator.layerServerClient(options, { rateLimit: false, retry: false })

const sha1 = (data: Uint8Array) => createHash("sha1").update(data).digest("hex")

/** PROXY to S3 in three parts, exactly as ICONIK-NOTES §8.1 describes it. */
const proxyMultipartFlow = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  const content = bytes(47)
  const asset = yield* assets.createAsset({ body: { title: "Proxy me" } })
  const storageRecord = yield* files.listMatchingStorages({ purpose: "PROXIES" })
  assert.strictEqual(storageRecord.method, "S3")

  // ProxyCreate's id is optional in the generated type; Iconik always sends it.
  const created = yield* files.createAssetProxy({
    asset_id: asset.id,
    body: {
      name: "proxy.mp4",
      filename: "proxy.mp4",
      format: "MPEG-4",
      codec: "h264",
      frame_rate: "25",
      resolution: { width: 1920, height: 1080 },
      bit_rate: 8_000_000,
      audio_bitrate: 128_000,
      size: content.length,
      status: "OPEN"
    }
  })
  const proxy = { ...created, id: created.id! }
  assert.strictEqual(proxy.storage_method, "S3")
  assert.strictEqual(proxy.storage_id, storageRecord.id)
  assert.isTrue(proxy.multipart_upload_url?.startsWith(`${emulator.baseUrl}/_storage/s3/`))

  // CreateMultipartUpload: the upload id comes from S3's XML, never from Iconik.
  const started = yield* storage("POST", proxy.multipart_upload_url!)
  assert.strictEqual(started.status, 200)
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!

  // Part URLs are paged (per_page 2 here); the schema only declares `objects`, so the pages follow from parts_num.
  const partUrls = yield* Effect.map(
    Effect.forEach([1, 2], (page) =>
      files.listAssetProxyMultipartUrlPart({
        asset_id: asset.id,
        proxy_id: proxy.id,
        query: { upload_id: uploadId, parts_num: 3, per_page: 2, page }
      })),
    (pages) => pages.flatMap((page) => page.objects ?? [])
  )
  assert.deepStrictEqual(partUrls.map((p) => p.number), [1, 2, 3])
  const etags: Array<string> = []
  for (const part of partUrls) {
    const start = (part.number! - 1) * 20
    const answer = yield* storage("PUT", part.url!, { body: content.subarray(start, start + 20) })
    assert.strictEqual(answer.status, 200)
    etags.push(answer.headers.etag!)
  }

  const urls = yield* files.getAssetProxyMultipartUrl({
    asset_id: asset.id,
    proxy_id: proxy.id,
    query: { upload_id: uploadId, type: "complete_url" }
  })
  assert.strictEqual(urls.list_parts_url?.length, 1)
  const xml = `<CompleteMultipartUpload>${
    etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`
  const completed = yield* storage("POST", urls.complete_url!, { body: xml, headers: { "Content-Type": "application/xml" } })
  assert.strictEqual(completed.status, 200)
  assert.notInclude(completed.text, "<Error>")

  // The bytes are in, yet the record stays OPEN until the client PATCHes it.
  assert.deepStrictEqual((yield* emulator.openRecords).map((o) => [o.kind, o.record.id, o.record.status]), [
    ["proxy", proxy.id, "OPEN"]
  ])
  const closed = yield* files.patchAssetProxy({ asset_id: asset.id, proxy_id: proxy.id, body: { status: "CLOSED" } })
  assert.strictEqual(closed.status, "CLOSED")
  assert.deepStrictEqual(yield* emulator.openRecords, [])
  assert.deepStrictEqual(yield* emulator.verifyClosedUploads, [])

  const stat = Option.getOrThrow(yield* emulator.objectStore.stat("iconik-proxies", `${asset.id}/proxies/${proxy.id}/proxy.mp4`))
  assert.deepStrictEqual([stat.size, stat.parts?.length], [47, 3])
  const { url } = yield* files.getAssetProxyDownloadUrl({ asset_id: asset.id, proxy_id: proxy.id })
  const downloaded = yield* storage("GET", url!)
  assert.strictEqual(downloaded.text, new TextDecoder().decode(content))
  assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
})

describe("S3 proxy multipart flow by hand", () => {
  it.effect("in-process", () => proxyMultipartFlow.pipe(Effect.provide(inProcess)))
  it.live("over a socket", () => proxyMultipartFlow.pipe(Effect.provide(overSocket)))
})

/** asset → format → file set on the given storage → file record with upload fields. */
const fileOn = (method: string, content: Uint8Array) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const target = emulator.storage("FILES", method)!
    const asset = yield* assets.createAsset({ body: { title: `On ${method}` } })
    const format = yield* files.createAssetFormat({
      asset_id: asset.id,
      body: { name: "ORIGINAL", storage_methods: [method], metadata: [{ internet_media_type: "video/quicktime" }] }
    })
    const fileSet = yield* files.createAssetFileSet({
      asset_id: asset.id,
      body: { format_id: format.id, storage_id: target.id, base_dir: "ingest", name: "originals", component_ids: [] }
    })
    const file = yield* files.createAssetFile({
      asset_id: asset.id,
      body: {
        original_name: "take 1.mov",
        directory_path: "2026/day1",
        type: "FILE",
        size: content.length,
        storage_id: target.id,
        file_set_id: fileSet.id,
        format_id: format.id
      }
    })
    assert.deepStrictEqual([file.status, file.storage_method], ["OPEN", method])
    return { asset, file, bucket: String(target.settings.bucket) }
  })

describe("single uploads per storage method", () => {
  it.effect("S3 PUT, GCS resumable, Azure block blob, B2 upload_file: each lands at the file's key", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const content = bytes(33, 7)

      const s3 = yield* fileOn("S3", content)
      assert.isString(s3.file.multipart_upload_url)
      assert.strictEqual((yield* storage("PUT", s3.file.upload_url!, { body: content })).status, 200)

      const gcs = yield* fileOn("GCS", content)
      const session = yield* storage("POST", gcs.file.upload_url!, { headers: { "x-goog-resumable": "start" } })
      assert.strictEqual(session.status, 201)
      assert.isString(session.headers["x-guploader-uploadid"])
      assert.strictEqual((yield* storage("PUT", session.headers.location!, { body: content })).status, 200)

      const azure = yield* fileOn("AZURE", content)
      const put = yield* storage("PUT", azure.file.upload_url!, { body: content, headers: { "x-ms-blob-type": "BlockBlob" } })
      assert.strictEqual(put.status, 201)

      const b2 = yield* fileOn("B2", content)
      const credentials = b2.file.upload_credentials as { authorizationToken: string }
      const uploaded = yield* storage("POST", b2.file.upload_url!, {
        body: content,
        headers: {
          Authorization: credentials.authorizationToken,
          "X-Bz-File-Name": encodeURIComponent(b2.file.upload_filename!),
          "X-Bz-Content-Sha1": sha1(content),
          "Content-Type": "b2/x-auto"
        }
      })
      assert.strictEqual(uploaded.status, 200)

      for (const { bucket } of [s3, gcs, azure, b2]) {
        const stat = Option.getOrThrow(yield* emulator.objectStore.stat(bucket, "ingest/2026/day1/take 1.mov"))
        assert.strictEqual(stat.size, 33)
      }
      assert.strictEqual((yield* emulator.openRecords).length, 4)
      for (const { asset, file } of [s3, gcs, azure, b2]) {
        yield* files.patchAssetFile({
          asset_id: asset.id,
          file_id: file.id,
          body: { status: "CLOSED", original_name: "take 1.mov", directory_path: "2026/day1", type: "FILE", file_set_id: file.file_set_id! }
        })
      }
      assert.deepStrictEqual(yield* emulator.openRecords, [])
      assert.deepStrictEqual(yield* emulator.verifyClosedUploads, [])
    }).pipe(Effect.provide(inProcess)))

  it.effect("a CLOSED record whose object is missing or has another size is reported", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const short = yield* fileOn("S3", bytes(50))
      yield* storage("PUT", short.file.upload_url!, { body: bytes(10) })
      const never = yield* fileOn("AZURE", bytes(5))
      for (const { asset, file } of [short, never]) {
        yield* files.patchAssetFile({
          asset_id: asset.id,
          file_id: file.id,
          body: { status: "CLOSED", original_name: "take 1.mov", directory_path: "2026/day1", type: "FILE", file_set_id: file.file_set_id! }
        })
      }
      const mismatches = yield* emulator.verifyClosedUploads
      assert.deepStrictEqual(mismatches.map((m) => [m.record.id, m.expectedSize, m.storedSize]), [
        [short.file.id, 50, 10],
        [never.file.id, 5, undefined]
      ])
    }).pipe(Effect.provide(inProcess)))
})

describe("storage faults", () => {
  it.effect("delegate to the object store's plan: a failing part, then the retry lands", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { file } = yield* fileOn("S3", bytes(40))
      yield* emulator.objectStore.addFault({
        provider: "s3",
        operation: "UploadPart",
        partNumber: 2,
        times: 1,
        fault: ObjectStore.Faults.fail(503, { code: "SlowDown" })
      })
      const started = yield* storage("POST", file.multipart_upload_url!)
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!
      const parts = yield* files.listAssetFileMultipartUrlPart({
        asset_id: file.asset_id!,
        file_id: file.id,
        query: { upload_id: uploadId, parts_num: 2 }
      })
      const second = parts.objects![1]!.url!
      const failed = yield* storage("PUT", second, { body: bytes(20) })
      assert.strictEqual(failed.status, 503)
      assert.include(failed.text, "<Code>SlowDown</Code>")
      assert.strictEqual((yield* storage("PUT", second, { body: bytes(20) })).status, 200)
    }).pipe(Effect.provide(inProcess)))
})

describe("multipart helpers", () => {
  it.effect("B2 large file: start, upload parts, finish", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const content = bytes(40, 3)
      const { asset, file, bucket } = yield* fileOn("B2", content)
      const started = yield* files.createAssetFileMultipartB2Start({ asset_id: asset.id, file_id: file.id, body: {} })
      const sums: Array<string> = []
      for (const [index, part] of [content.subarray(0, 20), content.subarray(20)].entries()) {
        sums.push(sha1(part))
        const answer = yield* storage("POST", started.upload_url!, {
          body: part,
          headers: {
            Authorization: started.authorization_token!,
            "X-Bz-Part-Number": String(index + 1),
            "X-Bz-Content-Sha1": sha1(part)
          }
        })
        assert.strictEqual(answer.status, 200)
      }
      yield* files.createAssetFileMultipartB2Finish({
        asset_id: asset.id,
        file_id: file.id,
        body: { upload_file_id: started.upload_file_id!, sha1_list: sums }
      })
      const stat = Option.getOrThrow(yield* emulator.objectStore.stat(bucket, "ingest/2026/day1/take 1.mov"))
      assert.strictEqual(stat.size, 40)
    }).pipe(Effect.provide(inProcess)))

  it.effect("S3 files: explicit part URLs (multipart_url/s3/part/) and cleanup aborts the upload", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { asset, file } = yield* fileOn("S3", bytes(40))
      const started = yield* storage("POST", file.multipart_upload_url!)
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!
      const parts = yield* files.createAssetFileMultipartUrlS3Part({
        asset_id: asset.id,
        file_id: file.id,
        body: { upload_id: uploadId, parts: [{ part_number: 2 }, { part_number: 5 }] }
      })
      assert.deepStrictEqual(parts.parts.map((p) => p.part_number), [2, 5])
      assert.strictEqual((yield* storage("PUT", parts.parts[0]!.url!, { body: bytes(20) })).status, 200)
      assert.strictEqual((yield* emulator.objectStore.pendingUploads).length, 1)
      yield* files.createAssetFileMultipartCleanup({
        asset_id: asset.id,
        file_id: file.id,
        body: { upload_id: uploadId, abort_upload: true }
      })
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      // Part URLs need the upload id.
      const missing = yield* files.listAssetFileMultipartUrlPart({
        asset_id: asset.id,
        file_id: file.id,
        query: { parts_num: 2 }
      }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "IconikBadRequest")
    }).pipe(Effect.provide(inProcess)))
})
