import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { serve } from "../../src/testing/objectstore/index.ts"
import { call, concat, md5Hex, testBytes, xmlValue } from "./support.ts"

const KiB = 1024
const store = serve({ gcsChunkGranularity: KiB, buckets: [{ name: "keyframes", provider: "gcs" }] })

const start = (s: Effect.Success<typeof store>, key: string) =>
  Effect.gen(function*() {
    const started = yield* call("POST", yield* s.signGcsResumableStart("keyframes", key), {
      headers: { "x-goog-resumable": "start", "content-type": "image/jpeg" },
      body: new Uint8Array()
    })
    assert.strictEqual(started.status, 201)
    return started
  })

describe("object store: GCS resumable", () => {
  it.live("chunked upload with a status query in the middle and a partially kept chunk", () =>
    Effect.gen(function*() {
      const s = yield* store
      const data = testBytes(5 * KiB + 300, 4)
      const total = data.length
      const started = yield* start(s, "posters/p1.jpg")
      const session = started.headers["location"]
      const uploadId = started.headers["x-guploader-uploadid"]
      assert.isString(session)
      assert.include(session, `upload_id=${uploadId}`)
      assert.strictEqual((yield* s.pendingUploads)[0]?.uploadId, uploadId)

      const first = yield* call("PUT", session, {
        body: data.subarray(0, 2 * KiB),
        headers: { "content-range": `bytes 0-${2 * KiB - 1}/${total}` }
      })
      assert.strictEqual(first.status, 308)
      assert.strictEqual(first.headers["range"], `bytes=0-${2 * KiB - 1}`)

      const status = yield* call("PUT", session, { headers: { "content-range": "bytes */*" } })
      assert.strictEqual(status.status, 308)
      assert.strictEqual(status.headers["range"], `bytes=0-${2 * KiB - 1}`)

      // 1.5 KiB is not a multiple of the 1 KiB granularity: only the first KiB of it is kept.
      const second = yield* call("PUT", session, {
        body: data.subarray(2 * KiB, 3 * KiB + 512),
        headers: { "content-range": `bytes ${2 * KiB}-${3 * KiB + 511}/*` }
      })
      assert.strictEqual(second.status, 308)
      assert.strictEqual(second.headers["range"], `bytes=0-${3 * KiB - 1}`)

      const known = yield* call("PUT", session, { headers: { "content-range": `bytes */${total}` } })
      assert.strictEqual(known.status, 308)
      const resumeAt = Number(/bytes=0-(\d+)/.exec(known.headers["range"])![1]) + 1
      assert.strictEqual(resumeAt, 3 * KiB)

      // Chunks below the granularity are refused unless they are the last one.
      const tiny = yield* call("PUT", session, {
        body: data.subarray(resumeAt, resumeAt + 100),
        headers: { "content-range": `bytes ${resumeAt}-${resumeAt + 99}/*` }
      })
      assert.strictEqual(tiny.status, 400)

      // A gap past what was persisted is refused.
      const gap = yield* call("PUT", session, {
        body: data.subarray(resumeAt + KiB, resumeAt + 2 * KiB),
        headers: { "content-range": `bytes ${resumeAt + KiB}-${resumeAt + 2 * KiB - 1}/*` }
      })
      assert.strictEqual(gap.status, 400)

      const last = yield* call("PUT", session, {
        body: data.subarray(resumeAt),
        headers: { "content-range": `bytes ${resumeAt}-${total - 1}/${total}` }
      })
      assert.strictEqual(last.status, 200)
      const json = JSON.parse(last.text) as { name: string; size: string; md5Hash: string; bucket: string }
      assert.strictEqual(json.name, "posters/p1.jpg")
      assert.strictEqual(json.bucket, "keyframes")
      assert.strictEqual(json.size, String(total))
      assert.strictEqual(Buffer.from(json.md5Hash, "base64").toString("hex"), md5Hex(data))

      const stat = Option.getOrThrow(yield* s.stat("keyframes", "posters/p1.jpg"))
      assert.strictEqual(stat.md5, md5Hex(data))
      assert.strictEqual(stat.contentType, "image/jpeg")
      assert.deepStrictEqual(Option.getOrThrow(yield* s.readObject("keyframes", "posters/p1.jpg")), new Uint8Array(data))
      assert.deepStrictEqual(yield* s.pendingUploads, [])

      // A finished session answers the object again (a retried last chunk is harmless).
      const again = yield* call("PUT", session, { headers: { "content-range": "bytes */*" } })
      assert.strictEqual(again.status, 200)

      const ranged = yield* call("GET", yield* s.signGet("keyframes", "posters/p1.jpg"), {
        headers: { range: "bytes=0-9" }
      })
      assert.strictEqual(ranged.status, 206)
      assert.deepStrictEqual(ranged.bytes, new Uint8Array(data.subarray(0, 10)))
    }))

  it.live("the whole file in one PUT, to the upload URL plus &upload_id= (the form some clients use)", () =>
    Effect.gen(function*() {
      const s = yield* store
      const startUrl = yield* s.signGcsResumableStart("keyframes", "k/one.jpg")
      const started = yield* start(s, "k/one.jpg")
      const data = testBytes(700, 5)
      const put = yield* call("PUT", `${startUrl}&upload_id=${started.headers["x-guploader-uploadid"]}`, {
        body: data,
        headers: { "x-goog-resumable": "upload" }
      })
      assert.strictEqual(put.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("keyframes", "k/one.jpg")).md5, md5Hex(data))
    }))

  it.live("the final chunk may be announced later with bytes */total", () =>
    Effect.gen(function*() {
      const s = yield* store
      const started = yield* start(s, "k/later.jpg")
      const session = started.headers["location"]
      const data = concat(testBytes(KiB, 1), testBytes(KiB, 2))
      const chunk = yield* call("PUT", session, {
        body: data,
        headers: { "content-range": `bytes 0-${data.length - 1}/*` }
      })
      assert.strictEqual(chunk.status, 308)
      const finish = yield* call("PUT", session, { headers: { "content-range": `bytes */${data.length}` } })
      assert.strictEqual(finish.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("keyframes", "k/later.jpg")).size, data.length)
    }))

  it.live("start needs x-goog-resumable: start; unknown sessions are 404; cancel answers 499", () =>
    Effect.gen(function*() {
      const s = yield* store
      const noHeader = yield* call("POST", yield* s.signGcsResumableStart("keyframes", "k/x.jpg"), {
        body: new Uint8Array()
      })
      assert.strictEqual(noHeader.status, 400)
      const started = yield* start(s, "k/x.jpg")
      const session = started.headers["location"]
      const cancelled = yield* call("DELETE", session)
      assert.strictEqual(cancelled.status, 499)
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      const gone = yield* call("PUT", session, { body: testBytes(10) })
      assert.strictEqual(gone.status, 404)
    }))

  it.live("a tampered start URL is SignatureDoesNotMatch", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signGcsResumableStart("keyframes", "k/t.jpg")
      const answer = yield* call("POST", url.replace("k/t.jpg", "k/u.jpg"), {
        headers: { "x-goog-resumable": "start" },
        body: new Uint8Array()
      })
      assert.strictEqual(answer.status, 403)
      assert.strictEqual(xmlValue(answer.text, "Code"), "SignatureDoesNotMatch")
    }))

  it.effect("an expired start URL is 400 ExpiredToken (TestClock)", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signGcsResumableStart("keyframes", "k/e.jpg", { expiresInSeconds: 10 })
      yield* TestClock.adjust("11 seconds")
      const answer = yield* call("POST", url, { headers: { "x-goog-resumable": "start" }, body: new Uint8Array() })
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(xmlValue(answer.text, "Code"), "ExpiredToken")
    }))
})
