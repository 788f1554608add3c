/** The pure pieces: SigV4 presigning, error-body parsing, redaction, part planning, XML. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  azureBlockId,
  MiB,
  parseErrorBody,
  planParts,
  redactUrl,
  s3PartRules,
  scrubSecrets
} from "../../src/storage/index.ts"
import { decodeEntities, xmlElements, xmlText } from "../../src/storage/Xml.ts"
import { presign, presignUploadPart } from "../../src/testing/sigv4.ts"

describe("SigV4 presigner", () => {
  it("matches AWS's documented presigned GET example", () => {
    // "Authenticating Requests: Using Query Parameters" in the Amazon S3 API reference.
    const url = presign(
      {
        endpoint: "https://s3.amazonaws.com",
        region: "us-east-1",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        virtualHosted: true
      },
      { method: "GET", bucket: "examplebucket", key: "test.txt", expiresIn: 86400, now: new Date("2013-05-24T00:00:00Z") }
    )
    assert.strictEqual(
      url,
      "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
        "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
  })

  it("signs sub-resources into a path-style URL", () => {
    const url = new URL(
      presignUploadPart(
        { endpoint: "http://127.0.0.1:7480", region: "us-east-1", accessKeyId: "test", secretAccessKey: "testsecret" },
        { bucket: "b", key: "dir/a b.mp4", uploadId: "2~x", partNumber: 7 }
      )
    )
    assert.strictEqual(url.pathname, "/b/dir/a%20b.mp4")
    assert.strictEqual(url.searchParams.get("partNumber"), "7")
    assert.strictEqual(url.searchParams.get("uploadId"), "2~x")
    assert.match(url.searchParams.get("X-Amz-Signature")!, /^[0-9a-f]{64}$/)
  })
})

describe("redaction", () => {
  it("keeps scheme, host and path only", () => {
    assert.strictEqual(
      redactUrl("https://user:pw@bucket.s3.amazonaws.com/a/b.mp4?X-Amz-Signature=abc&uploadId=1#frag"),
      "https://bucket.s3.amazonaws.com/a/b.mp4"
    )
    assert.strictEqual(redactUrl("not a url?sig=abc"), "not a url")
  })

  it("scrubs query strings and credential parameters from free text", () => {
    const text = scrubSecrets("PUT http://h/b/k?partNumber=1&X-Amz-Signature=abc failed; sig=xyz upload_id=u1")
    assert.notInclude(text, "abc")
    assert.notInclude(text, "xyz")
    assert.notInclude(text, "u1")
    assert.include(text, "http://h/b/k?<redacted>")
  })
})

describe("provider error bodies", () => {
  it("reads S3 and Azure XML, GCS and B2 JSON", () => {
    assert.deepStrictEqual(
      parseErrorBody("<?xml version=\"1.0\"?><Error><Code>NoSuchUpload</Code><Message>gone &amp; done</Message></Error>", {
        "x-amz-request-id": "r1"
      }),
      { code: "NoSuchUpload", detail: "gone & done", requestId: "r1" }
    )
    assert.deepStrictEqual(parseErrorBody("", { "x-ms-error-code": "ServerBusy" }), { code: "ServerBusy" })
    assert.deepStrictEqual(
      parseErrorBody(JSON.stringify({ error: { code: 403, message: "denied", errors: [{ reason: "forbidden" }] } })),
      { code: "forbidden", detail: "denied" }
    )
    assert.deepStrictEqual(parseErrorBody(JSON.stringify({ status: 401, code: "bad_auth_token", message: "expired" })), {
      code: "bad_auth_token",
      detail: "expired"
    })
    assert.deepStrictEqual(parseErrorBody("Bad Gateway"), { detail: "Bad Gateway" })
  })
})

describe("part planning", () => {
  it.effect("splits into parts, the last shorter, an empty file into one empty part", () =>
    Effect.gen(function*() {
      const plan = yield* planParts("S3", 12 * MiB + 1, 5 * MiB, s3PartRules)
      assert.deepStrictEqual(plan.parts.map((part) => part.size), [5 * MiB, 5 * MiB, 2 * MiB + 1])
      assert.deepStrictEqual(plan.parts.map((part) => part.offset), [0, 5 * MiB, 10 * MiB])
      const empty = yield* planParts("S3", 0, 5 * MiB, s3PartRules)
      assert.deepStrictEqual(empty.parts, [{ partNumber: 1, offset: 0, size: 0 }])
    }))

  it.effect("grows the part size to stay within 10 000 parts, and refuses parts below the minimum", () =>
    Effect.gen(function*() {
      const huge = yield* planParts("S3", 100_000 * MiB, 8 * MiB, s3PartRules)
      assert.isAtMost(huge.parts.length, 10_000)
      assert.strictEqual(huge.parts.reduce((sum, part) => sum + part.size, 0), 100_000 * MiB)
      const tooSmall = yield* planParts("S3", 20 * MiB, MiB, s3PartRules).pipe(Effect.flip)
      assert.strictEqual(tooSmall._tag, "StorageProtocolError")
      const oneSmallPart = yield* planParts("S3", MiB / 2, MiB, s3PartRules)
      assert.strictEqual(oneSmallPart.parts.length, 1)
    }))
})

describe("XML", () => {
  it("reads elements, empty and self-closing ones included", () => {
    const xml = "<R><ETag></ETag><Part><N>1</N></Part><Part><N>2</N></Part><Empty/><Q>&quot;a&quot; &#38; &#x3C;</Q></R>"
    assert.strictEqual(xmlText(xml, "ETag"), "")
    assert.deepStrictEqual(xmlElements(xml, "Part").map((part) => xmlText(part, "N")), ["1", "2"])
    assert.strictEqual(xmlText(xml, "Empty"), "")
    assert.strictEqual(xmlText(xml, "Missing"), undefined)
    assert.strictEqual(xmlText(xml, "Q"), "\"a\" & <")
    assert.strictEqual(decodeEntities("&lt;&#65;&gt;"), "<A>")
  })

  it("makes Azure block ids of equal length", () => {
    assert.strictEqual(azureBlockId(1).length, azureBlockId(50_000).length)
  })
})
