import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import { HttpClientRequest } from "effect/http"
import { Faults, inProcessClient, make, serve } from "../../src/testing/objectstore/index.ts"
import { call, callWith, concat, md5Hex, sha1Hex, testBytes, xmlValue } from "./support.ts"

const KiB = 1024

describe("object store: null sink", () => {
  it.live("accepts and hashes bodies, answers real ETags, keeps no bytes", () =>
    Effect.gen(function*() {
      const s = yield* serve({
        discardBodies: true,
        minPartSize: KiB,
        gcsChunkGranularity: KiB,
        buckets: [{ name: "s", provider: "s3" }, { name: "g", provider: "gcs" }, { name: "z", provider: "b2" }]
      })
      const single = testBytes(5000, 1)
      const put = yield* call("PUT", yield* s.signS3Put("s", "one"), { body: single })
      assert.strictEqual(put.headers["etag"], `"${md5Hex(single)}"`)

      const created = yield* call("POST", yield* s.signS3CreateMultipart("s", "multi"))
      const uploadId = xmlValue(created.text, "UploadId")!
      const parts = [testBytes(KiB, 2), testBytes(300, 3)]
      const etags: Array<string> = []
      for (const [i, bytes] of parts.entries()) {
        const answer = yield* call("PUT", yield* s.signS3UploadPart("s", "multi", uploadId, i + 1), { body: bytes })
        assert.strictEqual(answer.headers["etag"], `"${md5Hex(bytes)}"`)
        etags.push(answer.headers["etag"])
      }
      const done = yield* call("POST", yield* s.signS3Complete("s", "multi", uploadId), {
        body: `<CompleteMultipartUpload>${
          etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")
        }</CompleteMultipartUpload>`
      })
      assert.strictEqual(done.status, 200)

      const oneStat = Option.getOrThrow(yield* s.stat("s", "one"))
      assert.isFalse(oneStat.bytesKept)
      assert.strictEqual(oneStat.size, 5000)
      assert.strictEqual(oneStat.md5, md5Hex(single))
      const multiStat = Option.getOrThrow(yield* s.stat("s", "multi"))
      assert.strictEqual(multiStat.size, KiB + 300)
      assert.isUndefined(multiStat.md5)
      assert.deepStrictEqual(multiStat.parts?.map((p) => p.md5), parts.map(md5Hex))
      assert.isTrue(Option.isNone(yield* s.readObject("s", "one")))

      // Downloads stream zeros of the right length.
      const download = yield* call("GET", yield* s.signGet("s", "one"))
      assert.strictEqual(download.bytes.length, 5000)

      // GCS keeps running digests; B2 still verifies SHA-1.
      const started = yield* call("POST", yield* s.signGcsResumableStart("g", "o"), {
        headers: { "x-goog-resumable": "start" },
        body: new Uint8Array()
      })
      const gcsData = concat(testBytes(KiB, 4), testBytes(100, 5))
      yield* call("PUT", started.headers["location"], {
        body: gcsData.subarray(0, KiB),
        headers: { "content-range": `bytes 0-${KiB - 1}/${gcsData.length}` }
      })
      const last = yield* call("PUT", started.headers["location"], {
        body: gcsData.subarray(KiB),
        headers: { "content-range": `bytes ${KiB}-${gcsData.length - 1}/${gcsData.length}` }
      })
      assert.strictEqual(last.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("g", "o")).md5, md5Hex(gcsData))

      const { authorizationToken, uploadUrl } = yield* s.b2GetUploadUrl("z")
      const b2Data = testBytes(64, 6)
      const bad = yield* call("POST", uploadUrl, {
        body: b2Data,
        headers: {
          authorization: authorizationToken,
          "x-bz-file-name": "f",
          "content-type": "b2/x-auto",
          "x-bz-content-sha1": sha1Hex(testBytes(64, 7))
        }
      })
      assert.strictEqual(bad.status, 400)
    }))
})

describe("object store: in-process client", () => {
  it.effect("serves requests without a socket; a reset becomes a TransportError; an unsized stream is 'chunked'", () =>
    Effect.gen(function*() {
      const s = yield* make({ baseUrl: "http://storage.test", buckets: [{ name: "b", provider: "s3" }] })
      const client = inProcessClient(s)
      const send = callWith(client)
      const bytes = testBytes(2000, 3)
      const url = yield* s.signS3Put("b", "k")
      assert.isTrue(url.startsWith("http://storage.test/_storage/s3/b/k?"))
      const put = yield* send("PUT", url, { body: bytes })
      assert.strictEqual(put.status, 200)
      assert.strictEqual(put.headers["etag"], `"${md5Hex(bytes)}"`)
      const got = yield* send("GET", yield* s.signGet("b", "k"), { headers: { range: "bytes=0-99" } })
      assert.strictEqual(got.status, 206)
      assert.deepStrictEqual(got.bytes, new Uint8Array(bytes.subarray(0, 100)))

      const streamed = yield* client.execute(
        HttpClientRequest.put(yield* s.signS3Put("b", "s")).pipe(
          HttpClientRequest.bodyStream(Stream.make(bytes))
        )
      )
      assert.strictEqual(streamed.status, 501)

      yield* s.addFault({ operation: "PutObject", times: 1, fault: Faults.reset() })
      const reset = yield* send("PUT", url, { body: bytes }).pipe(Effect.flip)
      assert.strictEqual(reset._tag, "HttpClientError")
      assert.strictEqual(reset.reason._tag, "TransportError")
    }))
})
