/**
 * The store keeps bodies in memory, so one request's body is bounded: past `maxBodyBytes` (or the provider's own
 * maximum) reading stops and the provider's error answers, with nothing stored.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { serve } from "../../src/testing/objectstore/index.ts"
import { call, sendLarge, testBytes, xmlValue } from "./support.ts"

const KiB = 1024
const limit = 64 * KiB

describe("object store: body limit", () => {
  it.live("a PUT over the limit is refused, while it is read when its length is not declared; nothing is stored", () =>
    Effect.gen(function*() {
      const s = yield* serve({ maxBodyBytes: limit, buckets: [{ name: "b", provider: "s3" }, { name: "g", provider: "gcs" }] })
      const declared = yield* call("PUT", yield* s.signS3Put("b", "declared"), { body: testBytes(limit + 1) })
      assert.strictEqual(declared.status, 400)
      assert.strictEqual(xmlValue(declared.text, "Code"), "EntityTooLarge")
      assert.strictEqual(xmlValue(declared.text, "MaxSizeAllowed"), String(limit))

      assert.deepStrictEqual(yield* s.listObjects("b"), [])

      // Chunked (S3 wants a length; GCS takes chunked), so only reading tells the size: the answer comes long
      // before the client is done.
      const total = 1024 * 1024 * KiB
      const streamed = yield* sendLarge("PUT", yield* s.signGcsPut("g", "streamed"), {}, total)
      assert.strictEqual(streamed.status, 413)
      assert.strictEqual(xmlValue(streamed.body, "Code"), "EntityTooLarge")
      assert.isBelow(streamed.written, total / 8)
      assert.deepStrictEqual(yield* s.listObjects("g"), [])

      const within = yield* call("PUT", yield* s.signS3Put("b", "within"), { body: testBytes(limit) })
      assert.strictEqual(within.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("b", "within")).size, limit)
    }))

  it.live("parts, blocks and resumable chunks are bounded the same way, each in its provider's format", () =>
    Effect.gen(function*() {
      const s = yield* serve({
        maxBodyBytes: limit,
        gcsChunkGranularity: KiB,
        buckets: [{ name: "b", provider: "s3" }, { name: "g", provider: "gcs" }, { name: "a", provider: "azure" }]
      })
      const body = testBytes(limit + 1)
      const created = yield* call("POST", yield* s.signS3CreateMultipart("b", "k"))
      const uploadId = xmlValue(created.text, "UploadId")!
      const part = yield* call("PUT", yield* s.signS3UploadPart("b", "k", uploadId, 1), { body })
      assert.deepStrictEqual([part.status, xmlValue(part.text, "Code")], [400, "EntityTooLarge"])

      const started = yield* call("POST", yield* s.signGcsResumableStart("g", "o"), { headers: { "x-goog-resumable": "start" } })
      const chunk = yield* call("PUT", started.headers["location"]!, {
        body,
        headers: { "content-range": `bytes 0-${body.length - 1}/*` }
      })
      assert.deepStrictEqual([chunk.status, xmlValue(chunk.text, "Code")], [413, "EntityTooLarge"])

      const blob = yield* s.signAzureBlob("a", "o")
      const block = yield* call("PUT", `${blob}&comp=block&blockid=${encodeURIComponent(Buffer.from("b1").toString("base64"))}`, {
        body
      })
      assert.deepStrictEqual([block.status, block.headers["x-ms-error-code"]], [413, "RequestBodyTooLarge"])
      // Nothing of the refused bodies was kept: no part, no committed GCS bytes, no block.
      const pending = yield* s.pendingUploads
      assert.sameMembers(pending.map((upload) => upload.provider), ["s3", "gcs"])
      assert.isTrue(pending.every((upload) => upload.bytes === 0))
    }))
})
