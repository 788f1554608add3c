import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { TestClock } from "effect/testing"
import { serve } from "../../src/testing/objectstore/index.ts"
import { call, concat, md5Hex, testBytes, xmlValue } from "./support.ts"

const store = serve({ buckets: [{ name: "media", provider: "azure" }] })
const blockId = (n: number) => Buffer.from(`block-${String(n).padStart(6, "0")}`).toString("base64")

describe("object store: Azure block blobs", () => {
  it.live("Put Blob answers 201 with Content-MD5; the blob reads back, whole and ranged", () =>
    Effect.gen(function*() {
      const s = yield* store
      const data = testBytes(4000, 6)
      const url = yield* s.signAzureBlob("media", "originals/clip.mov")
      const put = yield* call("PUT", url, { body: data, headers: { "x-ms-blob-type": "BlockBlob" } })
      assert.strictEqual(put.status, 201)
      assert.strictEqual(Buffer.from(put.headers["content-md5"], "base64").toString("hex"), md5Hex(data))
      assert.match(put.headers["etag"], /^"0x8D[0-9A-F]+"$/)

      const whole = yield* call("GET", url)
      assert.strictEqual(whole.status, 200)
      assert.strictEqual(whole.headers["x-ms-blob-type"], "BlockBlob")
      assert.strictEqual(md5Hex(whole.bytes), md5Hex(data))
      const ranged = yield* call("GET", url, { headers: { "x-ms-range": "bytes=100-199" } })
      assert.strictEqual(ranged.status, 206)
      assert.deepStrictEqual(ranged.bytes, new Uint8Array(data.subarray(100, 200)))
    }))

  it.live("Put Blob without x-ms-blob-type is 400 MissingRequiredHeader", () =>
    Effect.gen(function*() {
      const s = yield* store
      const answer = yield* call("PUT", yield* s.signAzureBlob("media", "x.bin"), { body: testBytes(10) })
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(answer.headers["x-ms-error-code"], "MissingRequiredHeader")
      assert.strictEqual(xmlValue(answer.text, "Code"), "MissingRequiredHeader")
    }))

  it.live("Put Block ×3, Put Block List commits two of them; the unlisted block is discarded", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signAzureBlob("media", "originals/big.mov")
      const blocks = [testBytes(1000, 1), testBytes(1000, 2), testBytes(500, 3)]
      for (const [i, bytes] of blocks.entries()) {
        const put = yield* call("PUT", `${url}&comp=block&blockid=${encodeURIComponent(blockId(i + 1))}`, {
          body: bytes
        })
        assert.strictEqual(put.status, 201)
      }
      const pending = yield* s.pendingUploads
      assert.strictEqual(pending.length, 1)
      assert.strictEqual(pending[0].kind, "blocks")
      assert.strictEqual(pending[0].bytes, 2500)

      const listed = yield* call("GET", `${url}&comp=blocklist&blocklisttype=uncommitted`)
      assert.strictEqual(listed.status, 200)
      assert.strictEqual([...listed.text.matchAll(/<Block>/g)].length, 3)

      const bad = yield* call("PUT", `${url}&comp=blocklist`, {
        body: `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${blockId(9)}</Latest></BlockList>`
      })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.headers["x-ms-error-code"], "InvalidBlockList")

      const committed = yield* call("PUT", `${url}&comp=blocklist`, {
        body: `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${blockId(1)}</Latest><Uncommitted>${
          blockId(3)
        }</Uncommitted></BlockList>`
      })
      assert.strictEqual(committed.status, 201)
      const expected = concat(blocks[0], blocks[2])
      const stat = Option.getOrThrow(yield* s.stat("media", "originals/big.mov"))
      assert.strictEqual(stat.size, 1500)
      assert.strictEqual(stat.md5, md5Hex(expected))
      assert.deepStrictEqual(stat.parts?.map((p) => p.etag), [blockId(1), blockId(3)])
      assert.deepStrictEqual(yield* s.pendingUploads, [])
      const body = yield* call("GET", url)
      assert.deepStrictEqual(body.bytes, new Uint8Array(expected))
    }))

  it.live("a block id of a different length is InvalidBlobOrBlock", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signAzureBlob("media", "ids.bin")
      yield* call("PUT", `${url}&comp=block&blockid=${encodeURIComponent(blockId(1))}`, { body: testBytes(5) })
      const other = Buffer.from("short").toString("base64")
      const answer = yield* call("PUT", `${url}&comp=block&blockid=${encodeURIComponent(other)}`, {
        body: testBytes(5)
      })
      assert.strictEqual(answer.status, 400)
      assert.strictEqual(answer.headers["x-ms-error-code"], "InvalidBlobOrBlock")
    }))

  it.live("a tampered SAS is 403 AuthenticationFailed; a read-only SAS cannot write", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signAzureBlob("media", "sas.bin")
      const tampered = yield* call("PUT", url.replace("sp=rcw", "sp=rcwd"), {
        body: testBytes(5),
        headers: { "x-ms-blob-type": "BlockBlob" }
      })
      assert.strictEqual(tampered.status, 403)
      assert.strictEqual(tampered.headers["x-ms-error-code"], "AuthenticationFailed")
      assert.include(xmlValue(tampered.text, "AuthenticationErrorDetail") ?? "", "Signature did not match")

      const readOnly = yield* s.signAzureBlob("media", "sas.bin", { permissions: "r" })
      const denied = yield* call("PUT", readOnly, { body: testBytes(5), headers: { "x-ms-blob-type": "BlockBlob" } })
      assert.strictEqual(denied.status, 403)
      assert.strictEqual(denied.headers["x-ms-error-code"], "AuthorizationPermissionMismatch")
      assert.isTrue(Option.isNone(yield* s.stat("media", "sas.bin")))
    }))

  it.effect("an expired SAS is 403 AuthenticationFailed (TestClock)", () =>
    Effect.gen(function*() {
      const s = yield* store
      const url = yield* s.signAzureBlob("media", "late.bin", { expiresInSeconds: 30 })
      yield* TestClock.adjust("31 seconds")
      const answer = yield* call("PUT", url, { body: testBytes(5), headers: { "x-ms-blob-type": "BlockBlob" } })
      assert.strictEqual(answer.status, 403)
      assert.strictEqual(answer.headers["x-ms-error-code"], "AuthenticationFailed")
      assert.include(xmlValue(answer.text, "AuthenticationErrorDetail") ?? "", "Signature not valid in the specified time frame")
    }))
})
