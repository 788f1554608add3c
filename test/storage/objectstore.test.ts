/**
 * Interop: every engine against the emulator's embedded object store served on 127.0.0.1, through the URLs it signs
 * (the same ones the emulator hands out as Iconik upload URLs).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  MiB,
  uploadAzureBlockBlob,
  uploadB2Large,
  uploadB2Single,
  uploadGcsResumable,
  uploadS3Multipart,
  uploadS3Single
} from "../../src/storage/index.ts"
import { type ObjectStoreShape, serve } from "../../src/testing/objectstore/index.ts"
import { sha256, tempDir, testStorageClient, writeRandomFile } from "./support.ts"

const storeOptions = {
  minPartSize: MiB,
  buckets: [
    { name: "s3", provider: "s3" },
    { name: "gcs", provider: "gcs" },
    { name: "azure", provider: "azure" },
    { name: "b2", provider: "b2" }
  ]
} as const

const stored = (store: ObjectStoreShape, bucket: string, key: string) =>
  Effect.map(store.readObject(bucket, key), (bytes) => (Option.isSome(bytes) ? sha256(bytes.value) : "missing"))

describe("engines against the embedded object store", () => {
  it.live("S3 multipart and single PUT", () =>
    Effect.gen(function*() {
      const store = yield* serve(storeOptions)
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB + 11)
      const cleaned: Array<string> = []
      yield* uploadS3Multipart({
        path: file.path,
        multipartUploadUrl: yield* store.signS3CreateMultipart("s3", "a/clip.mp4"),
        getPartUrls: (query) =>
          Effect.gen(function*() {
            const objects = []
            const last = Math.min(query.partsNum, query.page * query.perPage)
            for (let number = (query.page - 1) * query.perPage + 1; number <= last; number++) {
              objects.push({ number, url: yield* store.signS3UploadPart("s3", "a/clip.mp4", query.uploadId, number) })
            }
            return { objects }
          }),
        getCompletionUrls: (uploadId) =>
          Effect.all({
            completeUrl: store.signS3Complete("s3", "a/clip.mp4", uploadId),
            abortUrl: store.signS3Abort("s3", "a/clip.mp4", uploadId)
          }),
        cleanup: (uploadId) => Effect.sync(() => void cleaned.push(uploadId)),
        partSize: MiB,
        minPartSize: MiB
      })
      assert.strictEqual(yield* stored(store, "s3", "a/clip.mp4"), file.sha256)
      assert.deepStrictEqual(cleaned, [])

      yield* uploadS3Single({ path: file.path, uploadUrl: yield* store.signS3Put("s3", "single.mp4") })
      assert.strictEqual(yield* stored(store, "s3", "single.mp4"), file.sha256)
      assert.strictEqual((yield* store.pendingUploads).length, 0)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("GCS resumable, Azure blocks, B2 single and large", () =>
    Effect.gen(function*() {
      const store = yield* serve(storeOptions)
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB + 11)

      yield* uploadGcsResumable({
        path: file.path,
        uploadUrl: yield* store.signGcsResumableStart("gcs", "clip.mp4"),
        chunkSize: MiB
      })
      assert.strictEqual(yield* stored(store, "gcs", "clip.mp4"), file.sha256)

      yield* uploadAzureBlockBlob({
        path: file.path,
        uploadUrl: yield* store.signAzureBlob("azure", "clip.mp4"),
        singlePutThreshold: MiB,
        blockSize: MiB
      })
      assert.strictEqual(yield* stored(store, "azure", "clip.mp4"), file.sha256)

      const upload = yield* store.b2GetUploadUrl("b2")
      yield* uploadB2Single({
        path: file.path,
        uploadUrl: upload.uploadUrl,
        authorizationToken: upload.authorizationToken,
        fileName: "dir/clip one.mp4"
      })
      assert.strictEqual(yield* stored(store, "b2", "dir/clip one.mp4"), file.sha256)

      yield* uploadB2Large({
        path: file.path,
        start: Effect.map(store.b2StartLargeFile("b2", "large.mp4"), (started) => ({
          uploadFileId: started.upload_file_id,
          uploadUrl: started.upload_url,
          authorizationToken: started.authorization_token
        })),
        finish: (id, sha1List) => Effect.asVoid(Effect.orDie(store.b2FinishLargeFile(id, sha1List))),
        cancel: (id) => Effect.asVoid(Effect.orDie(store.b2CancelLargeFile(id))),
        partSize: MiB,
        minPartSize: MiB
      })
      assert.strictEqual(yield* stored(store, "b2", "large.mp4"), file.sha256)
      assert.strictEqual((yield* store.pendingUploads).length, 0)
    }).pipe(Effect.provide(testStorageClient())))
})
