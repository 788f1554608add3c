import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { TestClock } from "effect/testing"
import { Faults, inProcessClient, make, type ObjectStoreShape, serve } from "../../src/testing/objectstore/index.ts"
import { call, callWith, concat, md5Hex, sha1Hex, testBytes, xmlValue } from "./support.ts"

const KiB = 1024

const completeXml = (etags: ReadonlyArray<string>) =>
  `<CompleteMultipartUpload>${
    etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`

describe("object store: fault injection", () => {
  it.live("part 2 fails twice with 503 SlowDown, then succeeds; the request log shows the attempts", () =>
    Effect.gen(function*() {
      const s = yield* serve({
        minPartSize: KiB,
        buckets: [{ name: "b", provider: "s3" }],
        faults: { rules: [{ operation: "UploadPart", partNumber: 2, times: 2, fault: Faults.fail(503) }] }
      })
      const created = yield* call("POST", yield* s.signS3CreateMultipart("b", "k"))
      const uploadId = xmlValue(created.text, "UploadId")!
      const parts = [testBytes(KiB, 1), testBytes(KiB, 2), testBytes(10, 3)]
      const etags: Array<string> = []
      const statuses: Array<number> = []
      for (const [i, bytes] of parts.entries()) {
        const url = yield* s.signS3UploadPart("b", "k", uploadId, i + 1)
        for (let attempt = 0; attempt < 5; attempt++) {
          const answer = yield* call("PUT", url, { body: bytes })
          if (i === 1) statuses.push(answer.status)
          if (answer.status === 200) {
            etags.push(answer.headers["etag"])
            break
          }
          assert.strictEqual(xmlValue(answer.text, "Code"), "SlowDown")
        }
      }
      assert.deepStrictEqual(statuses, [503, 503, 200])
      const done = yield* call("POST", yield* s.signS3Complete("b", "k", uploadId), { body: completeXml(etags) })
      assert.strictEqual(done.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("b", "k")).md5, md5Hex(concat(...parts)))
      const log = (yield* s.requests).filter((r) => r.operation === "UploadPart" && r.partNumber === 2)
      assert.deepStrictEqual(log.map((r) => [r.status, r.fault]), [[503, "Fail"], [503, "Fail"], [200, undefined]])
    }))

  it.live("a reset mid-part is a transport error for the client; the retry lands", () =>
    Effect.gen(function*() {
      const s = yield* serve({ buckets: [{ name: "b", provider: "s3" }] })
      yield* s.addFault({ operation: "PutObject", key: "big.bin", times: 1, fault: Faults.reset(64 * KiB) })
      const bytes = testBytes(2048 * KiB, 5)
      const url = yield* s.signS3Put("b", "big.bin")
      const client = yield* HttpClient.HttpClient
      const first = yield* client.execute(HttpClientRequest.put(url).pipe(HttpClientRequest.bodyUint8Array(bytes)))
        .pipe(Effect.flip)
      assert.strictEqual(first._tag, "HttpClientError")
      assert.strictEqual(first.reason._tag, "TransportError")
      assert.isTrue(Option.isNone(yield* s.stat("b", "big.bin")))

      const second = yield* client.execute(HttpClientRequest.put(url).pipe(HttpClientRequest.bodyUint8Array(bytes)))
      assert.strictEqual(second.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("b", "big.bin")).md5, md5Hex(bytes))
      const log = yield* s.requests
      assert.deepStrictEqual(log.map((r) => [r.status, r.fault]), [[0, "Reset"], [200, undefined]])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("a delay fault holds the request back until the Clock has moved, then it is handled", () =>
    Effect.gen(function*() {
      const s = yield* make({ buckets: [{ name: "b", provider: "s3" }] })
      const put = callWith(inProcessClient(s))
      yield* s.addFault({ operation: "PutObject", fault: Faults.delay(150) })
      const slow = yield* Effect.forkChild(put("PUT", yield* s.signS3Put("b", "slow"), { body: "x" }))
      yield* TestClock.adjust("149 millis")
      assert.isTrue(Option.isNone(yield* s.stat("b", "slow")))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(slow)).status, 200)
      assert.isTrue(Option.isSome(yield* s.stat("b", "slow")))
      yield* s.clearFaults
      // Without the rule the clock need not move.
      assert.strictEqual((yield* put("PUT", yield* s.signS3Put("b", "fast"), { body: "x" })).status, 200)
    }))

  it.live("probabilistic rules fault the same keys for the same seed", () =>
    Effect.gen(function*() {
      const failingKeys = (seed: number) =>
        Effect.gen(function*() {
          const s = yield* serve({
            buckets: [{ name: "b", provider: "s3" }],
            faults: { seed, rules: [{ operation: "PutObject", probability: 0.5, fault: Faults.fail(500) }] }
          })
          const failed: Array<string> = []
          for (let i = 0; i < 16; i++) {
            const answer = yield* call("PUT", yield* s.signS3Put("b", `k${i}`), { body: "x" })
            if (answer.status === 500) failed.push(`k${i}`)
          }
          return failed
        })
      const a = yield* failingKeys(42)
      const b = yield* failingKeys(42)
      const c = yield* failingKeys(7)
      assert.deepStrictEqual(a, b)
      assert.isAbove(a.length, 0)
      assert.isBelow(a.length, 16)
      assert.notDeepEqual(a, c)
    }))

  it.live("failures use each provider's error format", () =>
    Effect.gen(function*() {
      const s = yield* serve({
        gcsChunkGranularity: KiB,
        buckets: [{ name: "g", provider: "gcs" }, { name: "a", provider: "azure" }, { name: "z", provider: "b2" }],
        faults: {
          rules: [
            { provider: "gcs", operation: "ResumableChunk", times: 1, fault: Faults.fail(503) },
            { provider: "azure", operation: "PutBlock", times: 1, fault: Faults.fail(500) },
            { provider: "b2", operation: "UploadPart", partNumber: 1, times: 1, fault: Faults.fail(503) }
          ]
        }
      })
      const started = yield* call("POST", yield* s.signGcsResumableStart("g", "o"), {
        headers: { "x-goog-resumable": "start" },
        body: new Uint8Array()
      })
      const gcs = yield* call("PUT", started.headers["location"], {
        body: testBytes(KiB),
        headers: { "content-range": `bytes 0-${KiB - 1}/*` }
      })
      assert.strictEqual(gcs.status, 503)
      assert.strictEqual(xmlValue(gcs.text, "Code"), "ServiceUnavailable")
      const gcsStatus = yield* call("PUT", started.headers["location"], { headers: { "content-range": "bytes */*" } })
      assert.strictEqual(gcsStatus.status, 308)
      assert.isUndefined(gcsStatus.headers["range"])

      const blob = yield* s.signAzureBlob("a", "o")
      const azure = yield* call("PUT", `${blob}&comp=block&blockid=${encodeURIComponent(Buffer.from("b1").toString("base64"))}`, {
        body: testBytes(10)
      })
      assert.strictEqual(azure.status, 500)
      assert.strictEqual(azure.headers["x-ms-error-code"], "InternalError")

      const large = yield* s.b2StartLargeFile("z", "o")
      const part = testBytes(10)
      const b2 = yield* call("POST", large.upload_url, {
        body: part,
        headers: { authorization: large.authorization_token, "x-bz-part-number": "1", "x-bz-content-sha1": sha1Hex(part) }
      })
      assert.strictEqual(b2.status, 503)
      assert.deepStrictEqual(JSON.parse(b2.text), {
        status: 503,
        code: "service_unavailable",
        message: "c001_v0001000_t0000 is too busy"
      })
    }))
})

describe("object store: faults say whether the request was carried out", () => {
  const starts = (s: ObjectStoreShape) =>
    Effect.gen(function*() {
      const gcs = yield* call("POST", yield* s.signGcsResumableStart("g", "o"), { headers: { "x-goog-resumable": "start" } })
      const s3 = yield* call("POST", yield* s.signS3CreateMultipart("b", "o"))
      const blob = yield* s.signAzureBlob("a", "o")
      const azure = yield* call("PUT", `${blob}&comp=block&blockid=${encodeURIComponent(Buffer.from("b1").toString("base64"))}`, {
        body: testBytes(10)
      })
      const put = yield* call("PUT", yield* s.signS3Put("b", "single"), { body: "x" })
      return [gcs.status, s3.status, azure.status, put.status]
    })

  const buckets = [
    { name: "g", provider: "gcs" },
    { name: "b", provider: "s3" },
    { name: "a", provider: "azure" }
  ] as const

  it.live("a failed start (500) leaves no GCS session, S3 upload, Azure block or object behind", () =>
    Effect.gen(function*() {
      const s = yield* serve({ buckets, faults: { rules: [{ fault: Faults.fail(500), times: 1 }] } })
      assert.deepStrictEqual(yield* starts(s), [500, 500, 500, 500])
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      assert.isTrue(Option.isNone(yield* s.stat("b", "single")))
      // The same requests without the fault do create them: the check above can fail.
      assert.deepStrictEqual(yield* starts(s), [201, 200, 201, 200])
      assert.sameMembers((yield* s.pendingUploads).map((u) => u.provider), ["gcs", "s3", "azure"])
    }))

  it.live("a reset before handling leaves nothing behind either", () =>
    Effect.gen(function*() {
      const s = yield* serve({ buckets, faults: { rules: [{ fault: Faults.reset(), times: 1 }] } })
      const client = yield* HttpClient.HttpClient
      const gcsStart = HttpClientRequest.post(yield* s.signGcsResumableStart("g", "o")).pipe(
        HttpClientRequest.setHeader("x-goog-resumable", "start")
      )
      const error = yield* client.execute(gcsStart).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "TransportError")
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      assert.deepStrictEqual((yield* s.requests).map((r) => [r.operation, r.fault]), [["ResumableStart", "Reset"]])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("a lost answer completes the multipart upload, then drops the connection: the retry finds no upload", () =>
    Effect.gen(function*() {
      const s = yield* serve({ minPartSize: KiB, buckets: [{ name: "b", provider: "s3" }] })
      const created = yield* call("POST", yield* s.signS3CreateMultipart("b", "k"))
      const uploadId = xmlValue(created.text, "UploadId")!
      const part = testBytes(10)
      const put = yield* call("PUT", yield* s.signS3UploadPart("b", "k", uploadId, 1), { body: part })
      yield* s.addFault({ operation: "CompleteMultipartUpload", times: 1, fault: Faults.lostAnswer() })
      const complete = HttpClientRequest.post(yield* s.signS3Complete("b", "k", uploadId)).pipe(
        HttpClientRequest.bodyText(completeXml([put.headers["etag"]!]))
      )
      const client = yield* HttpClient.HttpClient
      const lost = yield* client.execute(complete).pipe(Effect.flip)
      assert.strictEqual(lost.reason._tag, "TransportError")
      // Applied: the object is there although the client never heard.
      assert.strictEqual(Option.getOrThrow(yield* s.stat("b", "k")).md5, md5Hex(part))
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      const retried = yield* client.execute(complete)
      assert.strictEqual(retried.status, 404)
      assert.strictEqual(xmlValue(yield* retried.text, "Code"), "NoSuchUpload")
      const log = (yield* s.requests).filter((r) => r.operation === "CompleteMultipartUpload")
      assert.deepStrictEqual(log.map((r) => [r.status, r.fault]), [[0, "LostAnswer"], [404, undefined]])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.effect("in-process, a lost answer is a transport error too, and the object is stored", () =>
    Effect.gen(function*() {
      const s = yield* make({ buckets: [{ name: "b", provider: "s3" }] })
      yield* s.addFault({ operation: "PutObject", times: 1, fault: Faults.lostAnswer() })
      const client = inProcessClient(s)
      const put = HttpClientRequest.put(yield* s.signS3Put("b", "k")).pipe(HttpClientRequest.bodyText("hello"))
      const error = yield* client.execute(put).pipe(Effect.flip)
      assert.strictEqual(error.reason._tag, "TransportError")
      assert.strictEqual(Option.getOrThrow(yield* s.stat("b", "k")).size, 5)
    }))
})
