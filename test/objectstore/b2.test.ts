import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { serve } from "../../src/testing/objectstore/index.ts"
import { call, concat, sha1Hex, testBytes } from "./support.ts"

const KiB = 1024
const store = serve({ minPartSize: 2 * KiB, buckets: [{ name: "archive", provider: "b2" }] })

const uploadHeaders = (token: string, name: string, bytes: Uint8Array, sha1 = sha1Hex(bytes)) => ({
  authorization: token,
  "x-bz-file-name": encodeURIComponent(name),
  "x-bz-content-sha1": sha1,
  "content-type": "b2/x-auto",
  "x-bz-info-src_last_modified_millis": "1700000000000"
})

const partHeaders = (token: string, partNumber: number, bytes: Uint8Array) => ({
  authorization: token,
  "x-bz-part-number": String(partNumber),
  "x-bz-content-sha1": sha1Hex(bytes)
})

describe("object store: B2", () => {
  it.live("b2_upload_file verifies the SHA-1 and answers the file JSON; downloads by name", () =>
    Effect.gen(function*() {
      const s = yield* store
      const { authorizationToken, uploadUrl } = yield* s.b2GetUploadUrl("archive")
      const data = testBytes(3000, 7)
      const name = "assets/a1/clip 1.mov"
      const put = yield* call("POST", uploadUrl, { body: data, headers: uploadHeaders(authorizationToken, name, data) })
      assert.strictEqual(put.status, 200)
      const json = JSON.parse(put.text) as Record<string, unknown>
      assert.strictEqual(json.fileName, name)
      assert.strictEqual(json.contentLength, 3000)
      assert.strictEqual(json.contentSha1, sha1Hex(data))
      assert.deepStrictEqual(json.fileInfo, { src_last_modified_millis: "1700000000000" })
      assert.isString(json.fileId)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("archive", name)).sha1, sha1Hex(data))

      const download = yield* call("GET", yield* s.signGet("archive", name), { headers: { range: "bytes=10-19" } })
      assert.strictEqual(download.status, 206)
      assert.deepStrictEqual(download.bytes, new Uint8Array(data.subarray(10, 20)))
      assert.strictEqual(download.headers["x-bz-content-sha1"], sha1Hex(data))
    }))

  it.live("a wrong SHA-1 is 400 bad_request; do_not_verify and hex_digits_at_end are accepted", () =>
    Effect.gen(function*() {
      const s = yield* store
      const { authorizationToken, uploadUrl } = yield* s.b2GetUploadUrl("archive")
      const data = testBytes(100, 8)
      const wrong = yield* call("POST", uploadUrl, {
        body: data,
        headers: uploadHeaders(authorizationToken, "w.bin", data, "0".repeat(40))
      })
      assert.strictEqual(wrong.status, 400)
      assert.deepStrictEqual(JSON.parse(wrong.text), {
        status: 400,
        code: "bad_request",
        message: "Sha1 did not match data received"
      })
      assert.isTrue(Option.isNone(yield* s.stat("archive", "w.bin")))

      const unchecked = yield* call("POST", uploadUrl, {
        body: data,
        headers: uploadHeaders(authorizationToken, "u.bin", data, "do_not_verify")
      })
      assert.strictEqual(unchecked.status, 200)

      const trailing = concat(data, new TextEncoder().encode(sha1Hex(data)))
      const atEnd = yield* call("POST", uploadUrl, {
        body: trailing,
        headers: uploadHeaders(authorizationToken, "t.bin", data, "hex_digits_at_end")
      })
      assert.strictEqual(atEnd.status, 200)
      assert.deepStrictEqual(Option.getOrThrow(yield* s.readObject("archive", "t.bin")), new Uint8Array(data))
    }))

  it.live("a forged token is 401 bad_auth_token; a missing one too", () =>
    Effect.gen(function*() {
      const s = yield* store
      const { authorizationToken, uploadUrl } = yield* s.b2GetUploadUrl("archive")
      const data = testBytes(10)
      const forged = authorizationToken.slice(0, -2) + (authorizationToken.endsWith("AA") ? "BB" : "AA")
      const answer = yield* call("POST", uploadUrl, { body: data, headers: uploadHeaders(forged, "f.bin", data) })
      assert.strictEqual(answer.status, 401)
      assert.strictEqual((JSON.parse(answer.text) as { code: string }).code, "bad_auth_token")
      const { authorization: _, ...noAuth } = uploadHeaders("", "f.bin", data)
      const missing = yield* call("POST", uploadUrl, { body: data, headers: noAuth })
      assert.strictEqual(missing.status, 401)
    }))

  it.effect("an expired token is 401 expired_auth_token (TestClock)", () =>
    Effect.gen(function*() {
      const s = yield* store
      const { authorizationToken, uploadUrl } = yield* s.b2GetUploadUrl("archive", { expiresInSeconds: 60 })
      yield* TestClock.adjust("61 seconds")
      const data = testBytes(10)
      const answer = yield* call("POST", uploadUrl, { body: data, headers: uploadHeaders(authorizationToken, "e.bin", data) })
      assert.strictEqual(answer.status, 401)
      assert.strictEqual((JSON.parse(answer.text) as { code: string }).code, "expired_auth_token")
    }))

  it.live("large file: start, b2_upload_part ×3, finish; the part token only fits its file", () =>
    Effect.gen(function*() {
      const s = yield* store
      const started = yield* s.b2StartLargeFile("archive", "big/file.mxf", { contentType: "application/mxf" })
      const parts = [testBytes(2 * KiB, 1), testBytes(2 * KiB, 2), testBytes(700, 3)]
      for (const [i, bytes] of parts.entries()) {
        const answer = yield* call("POST", started.upload_url, {
          body: bytes,
          headers: partHeaders(started.authorization_token, i + 1, bytes)
        })
        assert.strictEqual(answer.status, 200)
        const json = JSON.parse(answer.text) as { partNumber: number; contentSha1: string; fileId: string }
        assert.strictEqual(json.partNumber, i + 1)
        assert.strictEqual(json.fileId, started.upload_file_id)
      }
      const other = yield* s.b2StartLargeFile("archive", "big/other.mxf")
      const crossed = yield* call("POST", other.upload_url, {
        body: parts[2],
        headers: partHeaders(started.authorization_token, 1, parts[2])
      })
      assert.strictEqual(crossed.status, 401)
      assert.isTrue(yield* s.b2CancelLargeFile(other.upload_file_id).pipe(Effect.as(true)))

      const wrongList = [sha1Hex(parts[0]), sha1Hex(parts[0]), sha1Hex(parts[2])]
      const mismatch = yield* s.b2FinishLargeFile(started.upload_file_id, wrongList).pipe(Effect.flip)
      assert.strictEqual(mismatch._tag, "B2Error")
      assert.strictEqual(mismatch.code, "bad_request")

      const finished = yield* s.b2FinishLargeFile(started.upload_file_id, parts.map(sha1Hex))
      assert.strictEqual(finished.fileName, "big/file.mxf")
      assert.strictEqual(finished.contentLength, 4 * KiB + 700)
      assert.strictEqual(finished.contentSha1, "none")
      const whole = concat(...parts)
      const stat = Option.getOrThrow(yield* s.stat("archive", "big/file.mxf"))
      assert.strictEqual(stat.sha1, sha1Hex(whole))
      assert.strictEqual(stat.contentType, "application/mxf")
      assert.deepStrictEqual(stat.parts?.map((p) => p.sha1), parts.map(sha1Hex))
      assert.deepStrictEqual(yield* s.pendingUploads, [])

      const late = yield* call("POST", started.upload_url, {
        body: parts[2],
        headers: partHeaders(started.authorization_token, 4, parts[2])
      })
      assert.strictEqual(late.status, 400)
    }))

  it.live("finishing with a small non-last part fails; cancel drops the parts", () =>
    Effect.gen(function*() {
      const s = yield* store
      const started = yield* s.b2StartLargeFile("archive", "small/parts.bin")
      const parts = [testBytes(100, 1), testBytes(100, 2)]
      for (const [i, bytes] of parts.entries()) {
        yield* call("POST", started.upload_url, {
          body: bytes,
          headers: partHeaders(started.authorization_token, i + 1, bytes)
        })
      }
      const small = yield* s.b2FinishLargeFile(started.upload_file_id, parts.map(sha1Hex)).pipe(Effect.flip)
      assert.include(small.message, "smaller than the minimum part size")
      assert.strictEqual((yield* s.pendingUploads).length, 1)
      const cancelled = yield* s.b2CancelLargeFile(started.upload_file_id)
      assert.strictEqual(cancelled.fileName, "small/parts.bin")
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      const again = yield* s.b2CancelLargeFile(started.upload_file_id).pipe(Effect.flip)
      assert.strictEqual(again.status, 400)
    }))
})
