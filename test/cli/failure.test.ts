import { assert, describe, it } from "@effect/vitest"
import { Cause } from "effect"
import {
  IconikDeadlineExceeded,
  IconikForbidden,
  IconikNotFound,
  IconikRateLimited,
  IconikResponseTooLarge,
  IconikServerError,
  IconikTransportError,
  IconikUnauthorized
} from "../../src/IconikError.ts"
import { StorageDeadlineExceeded, StorageError, StorageResponseTooLarge } from "../../src/storage/StorageError.ts"
import { ExitCode, explain, explainCause } from "../../src/cli/Failure.ts"
import { MissingCredentials } from "../../src/cli/Connection.ts"
import { LocalFileError } from "../../workflows/LocalFile.ts"
import { InvalidOption } from "../../workflows/Options.ts"

describe("CLI failure messages", () => {
  it("names what to do, the missing role and the missing object", () => {
    const unauthorized = explain(new IconikUnauthorized({ status: 401, method: "GET", path: "/API/assets/v1/assets/" }))
    assert.strictEqual(unauthorized.code, ExitCode.Unauthorized)
    assert.include(unauthorized.hint, "ICONIK_AUTH_TOKEN")

    const forbidden = explain(new IconikForbidden({ status: 403, method: "DELETE", path: "/API/assets/v1/assets/abc/" }))
    assert.strictEqual(forbidden.code, ExitCode.Forbidden)
    assert.include(forbidden.hint, "can_delete_assets")

    const notFound = explain(
      new IconikNotFound({ status: 404, method: "GET", path: "/API/files/v1/assets/a1/proxies/p9/", errors: ["Proxy not found"] })
    )
    assert.strictEqual(notFound.code, ExitCode.NotFound)
    assert.include(notFound.message, "proxy p9")

    const limited = explain(new IconikRateLimited({ status: 429, method: "POST", path: "/API/search/v1/search/" }))
    assert.strictEqual(limited.code, ExitCode.RateLimited)
    assert.include(limited.message, "Rate limited")
    assert.include(limited.hint, "--concurrency")

    assert.strictEqual(explain(new IconikServerError({ status: 502, method: "GET", path: "/x/" })).code, ExitCode.Failure)
    assert.include(
      explain(new IconikTransportError({ method: "GET", path: "/x/", reason: "ConnectionRefused", detail: "ECONNREFUSED" })).hint,
      "ICONIK_BASE_URL"
    )
  })

  it("storage errors carry the provider and its code; local file and credential problems have their own codes", () => {
    const storage = explain(
      new StorageError({
        provider: "S3",
        operation: "UploadPart",
        method: "PUT",
        url: "https://bucket.s3.amazonaws.com/key",
        status: 403,
        code: "SignatureDoesNotMatch",
        detail: "The request signature we calculated does not match"
      })
    )
    assert.strictEqual(storage.code, ExitCode.Storage)
    assert.include(storage.message, "S3")
    assert.include(storage.message, "SignatureDoesNotMatch")
    assert.strictEqual(explain(new LocalFileError({ path: "/x.mov", reason: "NotFound", detail: "" })).code, ExitCode.LocalFile)
    assert.strictEqual(explain(new MissingCredentials({ missing: ["ICONIK_APP_ID"] })).code, ExitCode.Usage)
    assert.strictEqual(explainCause(Cause.interrupt()).code, ExitCode.Interrupted)
    assert.strictEqual(explainCause(Cause.die(new Error("bug"))).code, ExitCode.Failure)
  })

  it("an option out of its range is a usage error (exit 2) that names the option and the range", () => {
    const invalid = explain(new InvalidOption({ option: "partSize", value: "1024", expected: "an integer from 256 KiB (262144) to 5 GiB (5368709120)" }))
    assert.strictEqual(invalid.code, ExitCode.Usage)
    assert.strictEqual(invalid.tag, "InvalidOption")
    assert.strictEqual(invalid.message, "partSize must be an integer from 256 KiB (262144) to 5 GiB (5368709120), got 1024")
  })

  it("a spent deadline and an oversized answer have messages; storage ones exit with the storage code", () => {
    const deadline = explain(
      new IconikDeadlineExceeded({ method: "GET", path: "/API/assets/v1/assets/a1/", attempts: 5, elapsedMillis: 300_000, deadlineMillis: 300_000 })
    )
    assert.strictEqual(deadline.code, ExitCode.Failure)
    assert.include(deadline.message, "5 attempt")
    const tooLarge = explain(new IconikResponseTooLarge({ method: "GET", path: "/x/", status: 200, limitBytes: 1024 }))
    assert.include(tooLarge.message, "1024-byte limit")
    const location = { provider: "S3", operation: "ListParts", method: "GET", url: "https://bucket.s3.amazonaws.com/key" } as const
    assert.strictEqual(
      explain(new StorageDeadlineExceeded({ ...location, attempts: 3, elapsedMillis: 10, deadlineMillis: 10 })).code,
      ExitCode.Storage
    )
    assert.strictEqual(explain(new StorageResponseTooLarge({ ...location, status: 200, limitBytes: 1024 })).code, ExitCode.Storage)
  })
})
