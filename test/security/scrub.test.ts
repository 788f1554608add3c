/**
 * Everything an Iconik HTTP error shows (message, `String(e)`, JSON, the `errors` it carries, the CLI's words) is
 * scrubbed: no presigned-URL signature, no credential parameter, and not the client's own token, even when Iconik's
 * error body quotes them.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect, Tracer } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import * as Assets from "../../src/Assets.ts"
import * as Output from "../../src/cli/Output.ts"
import { fromStatus, IconikServerError } from "../../src/IconikError.ts"
import { scrubSecrets, scrubValue, withRedactedNames } from "../../src/Redaction.ts"
import { StorageError, StorageTransportError } from "../../src/storage/StorageError.ts"
import * as Testing from "../../src/testing/index.ts"
import { failureOf } from "../workflows/support.ts"

const token = "tok3n-canary-7f1d2c9b"
const signature = "sig-canary-0a9b8c7d6e5f"
const presigned = `https://bucket.s3.example.com/proxies/a.mp4?partNumber=1&uploadId=up-canary-42&X-Amz-Signature=${signature}`
const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ"

/** What the CLI prints (stderr and, with `--json`, stdout) when a command fails with `error`. */
export const cliOutputOf = (error: unknown): Effect.Effect<string> =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const capture = (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" "))
    const console = { ...globalThis.console, log: capture, error: capture } as unknown as Console.Console
    yield* Effect.exit(Output.reporting(true, Effect.fail(error)).pipe(Effect.provideService(Console.Console, console)))
    return lines.join("\n")
  })

/** Every text an error shows to the outside: message, `String(e)`, JSON, stack, and the CLI's words. */
const outputsOf = (error: unknown): Effect.Effect<ReadonlyArray<string>> =>
  Effect.map(cliOutputOf(error), (cli) => {
    const e = error as Error
    return [e.message, String(e), JSON.stringify(e), e.stack ?? "", cli]
  })

const assertClean = (texts: ReadonlyArray<string>, secrets: ReadonlyArray<string>) => {
  for (const text of texts) for (const secret of secrets) assert.notInclude(text, secret)
}

describe("scrubSecrets", () => {
  it("removes the given secrets, JWTs and bearer credentials, and keeps the rest", () => {
    const text = scrubSecrets(
      `token ${token} rejected; Authorization: Bearer ${jwt}; Auth-Token: abc.def.ghi; auth_token=xyz123 at ${presigned}`,
      [token]
    )
    assertClean([text], [token, jwt, signature, "up-canary-42", "abc.def.ghi", "xyz123"])
    assert.include(text, "token <redacted> rejected")
    assert.include(text, "https://bucket.s3.example.com/proxies/a.mp4?<redacted>")
  })

  it("finds a secret URL-encoded too, and ignores empty ones", () => {
    const secret = "a/b+c=d secret"
    assert.notInclude(scrubSecrets(`q=${encodeURIComponent(secret)} and ${secret}`, [secret, "", undefined]), "secret")
    assert.strictEqual(scrubSecrets("nothing here", [""]), "nothing here")
  })

  it("scrubs every string of a JSON-like value, keys included", () => {
    const value = scrubValue({ [presigned]: [token, { deep: `see ${presigned}` }], n: 3, ok: true, none: null }, [token])
    assertClean([JSON.stringify(value)], [token, signature])
    assert.strictEqual((value as { n: number }).n, 3)
  })
})

describe("HTTP errors", () => {
  it.effect("fromStatus scrubs the body it carries, with the token it is given", () =>
    Effect.gen(function*() {
      const error = fromStatus(
        { status: 500, method: "GET", path: "/API/files/v1/", errors: [`upload ${presigned} failed`, `token ${token}`] },
        [],
        [token]
      )
      assert.instanceOf(error, IconikServerError)
      assertClean(yield* outputsOf(error), [token, signature, "up-canary-42"])
      assertClean([JSON.stringify(error.errors)], [token, signature])
    }))

  it.effect("an error made by hand still never prints a signature or a JWT", () =>
    Effect.gen(function*() {
      const error = new IconikServerError({ status: 502, method: "GET", path: "/x/", errors: { url: presigned, auth: jwt } })
      const outputs = yield* outputsOf(error)
      assertClean(outputs, [signature, jwt])
      assert.include(outputs[4], "Iconik answered 502")
    }))

  it.effect("a 5xx from Iconik quoting a presigned URL and the token shows neither", () =>
    Effect.gen(function*() {
      const emulator = yield* Testing.IconikEmulator
      yield* emulator.addFault({
        fault: Testing.Faults.serverError(500, [`could not sign ${presigned} for Auth-Token ${token}`, `token was ${token}`]),
        route: "/API/assets/v1/assets/",
        method: "POST"
      })
      const exit = yield* Effect.exit(Assets.create({ title: "leaky" }))
      const error = failureOf(exit)
      assert.strictEqual((error as { _tag?: string } | undefined)?._tag, "IconikServerError")
      assertClean(yield* outputsOf(error), [token, signature, "up-canary-42"])
    }).pipe(Effect.provide(Testing.IconikEmulator.layerClient({ authToken: token, rateLimit: false }, { retry: false }))))

  it.effect("a 4xx quoting the token shows it nowhere", () =>
    Effect.gen(function*() {
      const emulator = yield* Testing.IconikEmulator
      yield* emulator.addFault({
        fault: { _tag: "Status", status: 400, errors: [`bad request from ${token}`, presigned] },
        route: "/API/assets/v1/assets/",
        method: "POST"
      })
      const error = failureOf(yield* Effect.exit(Assets.create({ title: "leaky" })))
      assert.include(["IconikBadRequest", "IconikUnexpectedStatus"], (error as { _tag?: string } | undefined)?._tag)
      assertClean(yield* outputsOf(error), [token, signature])
    }).pipe(Effect.provide(Testing.IconikEmulator.layerClient({ authToken: token, rateLimit: false }, { retry: false }))))
})

describe("storage errors", () => {
  it.effect("made by hand with a full presigned URL, they show no signature", () =>
    Effect.gen(function*() {
      const location = { provider: "S3", operation: "UploadPart", method: "PUT", url: presigned } as const
      for (
        const error of [
          new StorageError({ ...location, status: 403, code: "SignatureDoesNotMatch", detail: `for ${presigned}` }),
          new StorageTransportError({ ...location, reason: "ConnectionReset", detail: `socket hang up ${presigned}` })
        ]
      ) assertClean(yield* outputsOf(error), [signature, "up-canary-42"])
    }))
})

describe("CLI output", () => {
  it.effect("removes the token of ICONIK_AUTH_TOKEN from whatever a command prints", () =>
    Effect.gen(function*() {
      const printed = yield* cliOutputOf(new Error(`failed with ${token} at ${presigned}`)).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ ICONIK_AUTH_TOKEN: token }))
      )
      assertClean([printed], [token, signature])
      assert.include(printed, "failed with <redacted>")
    }))
})

describe("effect's own redaction", () => {
  /** The attributes of the HTTP client span of one traced request, on a transport that answers 200. */
  const spanAttributes = (wrap: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span: (options) => {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const client = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))
      const request = HttpClientRequest.put("http://storage.invalid/bucket/key").pipe(
        HttpClientRequest.setUrlParams({ partNumber: "1", uploadId: "secret-upload", "X-Goog-Credential": "secret-cred" }),
        HttpClientRequest.setHeader("Auth-Token", token)
      )
      yield* wrap(client.execute(request)).pipe(Effect.provideService(Tracer.Tracer, tracer))
      return JSON.stringify(Object.fromEntries(spans[0]!.attributes))
    })

  it.effect("withRedactedNames extends the HTTP client's URL and header redaction to the credentials it lacks", () =>
    Effect.gen(function*() {
      const plain = yield* spanAttributes((effect) => effect)
      assert.include(plain, "secret-upload", "effect's defaults alone keep upload ids")
      const redacted = yield* spanAttributes(withRedactedNames)
      assertClean([redacted], ["secret-upload", "secret-cred", token])
      assert.include(redacted, "partNumber=1")
    }))
})
