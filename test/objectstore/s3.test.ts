import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { serve } from "../../src/testing/objectstore/index.ts"
import { call, concat, md5Hex, rawHead, rawRequest, testBytes, xmlValue } from "./support.ts"

const KiB = 1024
const store = serve({ minPartSize: 4 * KiB, buckets: [{ name: "proxies", provider: "s3" }] })

const completeXml = (parts: ReadonlyArray<readonly [number, string]>) =>
  `<CompleteMultipartUpload>${
    parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag.replace(/"/g, "&quot;")}</ETag></Part>`)
      .join("")
  }</CompleteMultipartUpload>`

/** Creates a multipart upload and returns its UploadId. */
const initiate = (s: Effect.Success<typeof store>, key: string) =>
  Effect.gen(function*() {
    const created = yield* call("POST", yield* s.signS3CreateMultipart("proxies", key))
    assert.strictEqual(created.status, 200)
    return xmlValue(created.text, "UploadId")!
  })

const putPart = (s: Effect.Success<typeof store>, key: string, uploadId: string, n: number, bytes: Uint8Array) =>
  Effect.flatMap(s.signS3UploadPart("proxies", key, uploadId, n), (url) => call("PUT", url, { body: bytes }))

describe("object store: S3", () => {
  it.live("multipart upload: create, parts, complete, stat, ranged GET, nothing pending", () =>
    Effect.gen(function*() {
      const s = yield* store
      const key = "assets/a1/proxy 01.mp4"
      const created = yield* call("POST", yield* s.signS3CreateMultipart("proxies", key))
      assert.strictEqual(created.status, 200)
      assert.include(created.text, "<InitiateMultipartUploadResult")
      assert.strictEqual(xmlValue(created.text, "Bucket"), "proxies")
      assert.strictEqual(xmlValue(created.text, "Key"), key)
      const uploadId = xmlValue(created.text, "UploadId")!
      assert.isAbove(uploadId.length, 10)

      const parts = [testBytes(5 * KiB, 1), testBytes(4 * KiB, 2), testBytes(1234, 3)]
      const etags: Array<string> = []
      for (const [i, bytes] of parts.entries()) {
        const answer = yield* putPart(s, key, uploadId, i + 1, bytes)
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(answer.headers["etag"], `"${md5Hex(bytes)}"`)
        etags.push(answer.headers["etag"])
      }
      const pending = yield* s.pendingUploads
      assert.strictEqual(pending.length, 1)
      assert.deepStrictEqual(pending[0].parts.map((p) => p.size), [5 * KiB, 4 * KiB, 1234])

      const listed = yield* call("GET", yield* s.signS3ListParts("proxies", key, uploadId))
      assert.strictEqual(listed.status, 200)
      assert.strictEqual([...listed.text.matchAll(/<Part>/g)].length, 3)

      const completed = yield* call("POST", yield* s.signS3Complete("proxies", key, uploadId), {
        body: completeXml(etags.map((etag, i) => [i + 1, etag])),
        headers: { "content-type": "application/xml" }
      })
      assert.strictEqual(completed.status, 200)
      assert.include(completed.text, "<CompleteMultipartUploadResult")
      assert.match(xmlValue(completed.text, "ETag")!, /^&quot;[0-9a-f]{32}-3&quot;$/)

      const whole = concat(...parts)
      const stat = Option.getOrThrow(yield* s.stat("proxies", key))
      assert.strictEqual(stat.size, whole.length)
      assert.strictEqual(stat.md5, md5Hex(whole))
      assert.deepStrictEqual(stat.parts?.map((p) => p.etag), etags)
      assert.match(stat.etag, /^"[0-9a-f]{32}-3"$/)
      assert.deepStrictEqual(Option.getOrThrow(yield* s.readObject("proxies", key)), new Uint8Array(whole))
      assert.deepStrictEqual(yield* s.pendingUploads, [])

      const download = yield* s.signGet("proxies", key)
      const full = yield* call("GET", download)
      assert.strictEqual(full.status, 200)
      assert.strictEqual(md5Hex(full.bytes), md5Hex(whole))
      const ranged = yield* call("GET", download, { headers: { range: "bytes=5000-6000" } })
      assert.strictEqual(ranged.status, 206)
      assert.strictEqual(ranged.headers["content-range"], `bytes 5000-6000/${whole.length}`)
      assert.deepStrictEqual(ranged.bytes, new Uint8Array(whole.subarray(5000, 6001)))
      const suffix = yield* call("GET", download, { headers: { range: "bytes=-10" } })
      assert.deepStrictEqual(suffix.bytes, new Uint8Array(whole.subarray(whole.length - 10)))
      const beyond = yield* call("GET", download, { headers: { range: `bytes=${whole.length}-` } })
      assert.strictEqual(beyond.status, 416)
      assert.strictEqual(xmlValue(beyond.text, "Code"), "InvalidRange")
    }))

  it.live("parts uploaded concurrently complete in order", () =>
    Effect.gen(function*() {
      const s = yield* store
      const key = "concurrent.bin"
      const uploadId = yield* initiate(s, key)
      const parts = Array.from({ length: 8 }, (_, i) => testBytes(4 * KiB + i, i + 10))
      const etags = yield* Effect.forEach(
        parts,
        (bytes, i) => Effect.map(putPart(s, key, uploadId, i + 1, bytes), (answer) => answer.headers["etag"]),
        { concurrency: 4 }
      )
      const completed = yield* call("POST", yield* s.signS3Complete("proxies", key, uploadId), {
        body: completeXml(etags.map((etag, i) => [i + 1, etag]))
      })
      assert.strictEqual(completed.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("proxies", key)).md5, md5Hex(concat(...parts)))
    }))

  it.live("single PUT answers the MD5 ETag; Content-MD5 is checked; GET of a missing key is NoSuchKey", () =>
    Effect.gen(function*() {
      const s = yield* store
      const bytes = testBytes(3000, 9)
      const put = yield* call("PUT", yield* s.signS3Put("proxies", "k/single.bin"), { body: bytes })
      assert.strictEqual(put.status, 200)
      assert.strictEqual(put.headers["etag"], `"${md5Hex(bytes)}"`)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("proxies", "k/single.bin")).sha1?.length, 40)

      const badDigest = yield* call("PUT", yield* s.signS3Put("proxies", "k/other.bin"), {
        body: bytes,
        headers: { "content-md5": Buffer.alloc(16).toString("base64") }
      })
      assert.strictEqual(badDigest.status, 400)
      assert.strictEqual(xmlValue(badDigest.text, "Code"), "BadDigest")
      assert.isTrue(Option.isNone(yield* s.stat("proxies", "k/other.bin")))

      const missing = yield* call("GET", yield* s.signGet("proxies", "nope"))
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(xmlValue(missing.text, "Code"), "NoSuchKey")
    }))

  it.live("Complete rejects a wrong ETag, descending parts and a small non-last part", () =>
    Effect.gen(function*() {
      const s = yield* store
      const key = "bad/complete.bin"
      const uploadId = yield* initiate(s, key)
      const one = yield* putPart(s, key, uploadId, 1, testBytes(4 * KiB, 1))
      const two = yield* putPart(s, key, uploadId, 2, testBytes(100, 2))
      const three = yield* putPart(s, key, uploadId, 3, testBytes(100, 3))
      const complete = (xml: string) =>
        Effect.flatMap(s.signS3Complete("proxies", key, uploadId), (url) => call("POST", url, { body: xml }))

      const wrongEtag = yield* complete(completeXml([[1, one.headers["etag"]], [2, `"${"0".repeat(32)}"`]]))
      assert.strictEqual(wrongEtag.status, 400)
      assert.strictEqual(xmlValue(wrongEtag.text, "Code"), "InvalidPart")

      const unknownPart = yield* complete(completeXml([[1, one.headers["etag"]], [7, two.headers["etag"]]]))
      assert.strictEqual(xmlValue(unknownPart.text, "Code"), "InvalidPart")

      const descending = yield* complete(completeXml([[2, two.headers["etag"]], [1, one.headers["etag"]]]))
      assert.strictEqual(descending.status, 400)
      assert.strictEqual(xmlValue(descending.text, "Code"), "InvalidPartOrder")

      const tooSmall = yield* complete(
        completeXml([[1, one.headers["etag"]], [2, two.headers["etag"]], [3, three.headers["etag"]]])
      )
      assert.strictEqual(tooSmall.status, 400)
      assert.strictEqual(xmlValue(tooSmall.text, "Code"), "EntityTooSmall")
      assert.strictEqual(xmlValue(tooSmall.text, "PartNumber"), "2")

      const malformed = yield* complete("<nope/>")
      assert.strictEqual(xmlValue(malformed.text, "Code"), "MalformedXML")

      // A small last part is fine.
      const ok = yield* complete(completeXml([[1, one.headers["etag"]], [2, two.headers["etag"]]]))
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(Option.getOrThrow(yield* s.stat("proxies", key)).size, 4 * KiB + 100)

      // The upload is gone: completing again or sending a part is NoSuchUpload.
      const again = yield* complete(completeXml([[1, one.headers["etag"]]]))
      assert.strictEqual(again.status, 404)
      assert.strictEqual(xmlValue(again.text, "Code"), "NoSuchUpload")
      const late = yield* putPart(s, key, uploadId, 4, testBytes(10))
      assert.strictEqual(xmlValue(late.text, "Code"), "NoSuchUpload")
    }))

  it.live("abort answers 204, drops the parts, and a second abort is NoSuchUpload", () =>
    Effect.gen(function*() {
      const s = yield* store
      const uploadId = yield* initiate(s, "abort/me.bin")
      yield* putPart(s, "abort/me.bin", uploadId, 1, testBytes(10))
      assert.strictEqual((yield* s.pendingUploads).length, 1)
      const aborted = yield* call("DELETE", yield* s.signS3Abort("proxies", "abort/me.bin", uploadId))
      assert.strictEqual(aborted.status, 204)
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      const again = yield* call("DELETE", yield* s.signS3Abort("proxies", "abort/me.bin", uploadId))
      assert.strictEqual(again.status, 404)
      assert.strictEqual(xmlValue(again.text, "Code"), "NoSuchUpload")
      // abortUpload (Iconik's multipart cleanup) works by id alone.
      const other = yield* initiate(s, "abort/other.bin")
      assert.isTrue(yield* s.abortUpload(other))
      assert.isFalse(yield* s.abortUpload(other))
    }))

  it.live("a part number outside 1..10000 is InvalidArgument", () =>
    Effect.gen(function*() {
      const s = yield* store
      const uploadId = yield* initiate(s, "n.bin")
      const answer = yield* putPart(s, "n.bin", uploadId, 10_001, testBytes(10))
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(xmlValue(answer.text, "Code"), "InvalidArgument")
    }))

  it.live("uploads need an exact Content-Length: chunked is 501 NotImplemented, none is 411", () =>
    Effect.gen(function*() {
      const s = yield* store
      const chunked = yield* rawRequest(yield* s.signS3Put("proxies", "chunked.bin"), {
        method: "PUT",
        headers: { "transfer-encoding": "chunked" },
        chunks: [testBytes(100, 1), testBytes(100, 2)]
      })
      assert.strictEqual(chunked.status, 501)
      assert.strictEqual(xmlValue(chunked.text, "Code"), "NotImplemented")
      assert.strictEqual(xmlValue(chunked.text, "Header"), "Transfer-Encoding")

      const uploadId = yield* initiate(s, "chunked-part.bin")
      const chunkedPart = yield* rawRequest(yield* s.signS3UploadPart("proxies", "chunked-part.bin", uploadId, 1), {
        method: "PUT",
        headers: { "transfer-encoding": "chunked" },
        chunks: [testBytes(100, 1)]
      })
      assert.strictEqual(chunkedPart.status, 501)

      const status = yield* rawHead(
        yield* s.signS3Put("proxies", "nolength.bin"),
        "PUT {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
      )
      assert.strictEqual(status, 411)
      assert.isTrue(Option.isNone(yield* s.stat("proxies", "chunked.bin")))
    }))

  it.live("a tampered URL is SignatureDoesNotMatch; no signature is AccessDenied; the verb is part of the signature", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signS3Put("proxies", "signed.bin")
      const tamperedKey = yield* call("PUT", url.replace("signed.bin", "other.bin"), { body: "x" })
      assert.strictEqual(tamperedKey.status, 403)
      assert.strictEqual(xmlValue(tamperedKey.text, "Code"), "SignatureDoesNotMatch")

      const tamperedExpiry = yield* call("PUT", url.replace("X-Amz-Expires=3600", "X-Amz-Expires=99999"), { body: "x" })
      assert.strictEqual(xmlValue(tamperedExpiry.text, "Code"), "SignatureDoesNotMatch")

      const flipped = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`)
      const badSignature = yield* call("PUT", flipped, { body: "x" })
      assert.strictEqual(xmlValue(badSignature.text, "Code"), "SignatureDoesNotMatch")

      const unsigned = yield* call("PUT", url.split("?")[0], { body: "x" })
      assert.strictEqual(unsigned.status, 403)
      assert.strictEqual(xmlValue(unsigned.text, "Code"), "AccessDenied")

      const wrongVerb = yield* call("GET", url)
      assert.strictEqual(wrongVerb.status, 403)
      assert.strictEqual(xmlValue(wrongVerb.text, "Code"), "SignatureDoesNotMatch")

      assert.isTrue(Option.isNone(yield* s.stat("proxies", "other.bin")))
      const ok = yield* call("PUT", url, { body: "x" })
      assert.strictEqual(ok.status, 200)
    }))

  it.effect("an expired URL is AccessDenied 'Request has expired' (TestClock)", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signS3Put("proxies", "late.bin", { expiresInSeconds: 60 })
      yield* TestClock.adjust("59 seconds")
      const inTime = yield* call("PUT", url, { body: "early" })
      assert.strictEqual(inTime.status, 200)
      yield* TestClock.adjust("2 seconds")
      const late = yield* call("PUT", url, { body: "late" })
      assert.strictEqual(late.status, 403)
      assert.strictEqual(xmlValue(late.text, "Code"), "AccessDenied")
      assert.strictEqual(xmlValue(late.text, "Message"), "Request has expired")
      assert.deepStrictEqual(
        Option.getOrThrow(yield* s.readObject("proxies", "late.bin")),
        new TextEncoder().encode("early")
      )
    }))
})
