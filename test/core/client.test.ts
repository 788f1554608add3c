import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Layer, Logger, Redacted, Ref, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { HttpClient, HttpClientResponse } from "effect/http"
import * as Iconik from "../../src/IconikClient.ts"
import { json, startServer, type TestServer } from "../support/httpServer.ts"
import { createItem, deleteItem, getItem } from "../support/operations.ts"

const canary = "CANARY-TOKEN-7f3a9c"

const clientFor = (server: TestServer, options?: Partial<Iconik.IconikOptions>) =>
  Iconik.layer({
    appId: "app-1",
    authToken: Redacted.make(canary),
    baseUrl: server.url,
    retry: { baseDelay: 1, maxDelay: 50 },
    ...options
  }).pipe(Layer.provide(NodeHttpClient.layerUndici))

const asset = { id: "a1", title: "Interview", status: "ACTIVE", date_created: "2021-07-30T15:16:54.406403+00:00" }

describe("IconikClient over a real socket", () => {
  it.live("sends App-ID, Auth-Token, the spec path and lowercase boolean query params", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 200, asset))
      const result = yield* getItem({ item_id: "a/1", query: { include_users: true, ids: ["x", "y"] } }).pipe(
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(result, asset)
      const seen = server.requests[0]!
      assert.strictEqual(seen.method, "GET")
      assert.strictEqual(seen.url, "/API/assets/v1/items/a%2F1/?include_users=true&ids=x&ids=y")
      assert.strictEqual(seen.headers["app-id"], "app-1")
      assert.strictEqual(seen.headers["auth-token"], canary)
    }))

  it.live("encodes only the body fields the caller set", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 201, { id: "n1", title: "t" }))
      yield* createItem({ body: { title: "t", description: null } }).pipe(Effect.provide(clientFor(server)))
      assert.deepStrictEqual(JSON.parse(server.requests[0]!.body), { title: "t", description: null })
      assert.strictEqual(server.requests[0]!.headers["content-type"], "application/json")
    }))

  it.live("maps each status to its tagged error with Iconik's body", () =>
    Effect.gen(function*() {
      let status = 400
      let body: unknown = { errors: ["bad"] }
      const server = yield* startServer((_, res) => json(res, status, body))
      const run = getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(clientFor(server, { retry: false })))
      const cases: Array<[number, unknown, string]> = [
        [400, { errors: { title: "required" } }, "IconikBadRequest"],
        [401, { errors: ["Token is invalid"] }, "IconikUnauthorized"],
        [404, { errors: ["Asset does not exist"] }, "IconikNotFound"],
        [409, { errors: ["conflict"] }, "IconikUnexpectedStatus"], // getItem does not declare 409
        [419, { errors: ["expired"] }, "IconikUnexpectedStatus"],
        [429, { errors: ["slow down"] }, "IconikRateLimited"],
        [500, { errors: ["boom"] }, "IconikServerError"],
        [503, "<html>bad gateway</html>", "IconikServerError"]
      ]
      for (const [s, b, tag] of cases) {
        status = s
        body = b
        const error = yield* run
        assert.strictEqual(error._tag, tag, `status ${s}`)
        assert.strictEqual("status" in error ? error.status : undefined, s)
        assert.strictEqual((error as { path: string }).path, "/API/assets/v1/items/a1/")
        if (typeof b === "object") assert.deepStrictEqual((error as { errors?: unknown }).errors, (b as any).errors)
      }
    }))

  it.live("declared 403 and 409 get their own classes, with Iconik's body", () =>
    Effect.gen(function*() {
      let status = 403
      const server = yield* startServer((_, res) => json(res, status, { errors: [`status ${status}`] }))
      const run = createItem({ body: { title: "t" } }).pipe(Effect.flip, Effect.provide(clientFor(server, { retry: false })))
      const forbidden = yield* run
      assert.strictEqual(forbidden._tag, "IconikForbidden")
      assert.deepStrictEqual((forbidden as { errors?: unknown }).errors, ["status 403"])
      status = 409
      const conflict = yield* run
      assert.strictEqual(conflict._tag, "IconikConflict")
      assert.deepStrictEqual((conflict as { errors?: unknown }).errors, ["status 409"])
      assert.strictEqual((conflict as { method: string }).method, "POST")
    }))

  it.live("a decode failure never quotes a presigned URL's signature", () =>
    Effect.gen(function*() {
      const signed = "https://bucket.s3.amazonaws.com/k?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=SECRETSIG"
      let body = `{"id": "a1", "upload_url": "${signed}"` // truncated: not JSON
      const server = yield* startServer((_, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(body)
      })
      const run = getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(clientFor(server)))
      const truncated = yield* run
      assert.strictEqual(truncated._tag, "IconikDecodeError")
      body = JSON.stringify({ id: ["not", "a string", signed] })
      const wrongType = yield* run
      assert.strictEqual(wrongType._tag, "IconikDecodeError")
      for (const error of [truncated, wrongType]) {
        const text = `${error.message} ${JSON.stringify(error)}`
        assert.notInclude(text, "SECRETSIG")
        assert.notInclude(text, "AKIAEXAMPLE")
      }
      assert.include(truncated.message, "https://bucket.s3.amazonaws.com/k?<redacted>")
    }))

  it.live("decode failures name the schema path", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 200, { id: 42 }))
      const error = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(clientFor(server)))
      assert.strictEqual(error._tag, "IconikDecodeError")
      if (error._tag === "IconikDecodeError") assert.strictEqual(error.schemaPath, "id")
    }))

  it.live("a truncated JSON body is a decode error, not a defect", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{\"id\": \"a1\", \"tit")
      })
      const error = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(clientFor(server)))
      assert.strictEqual(error._tag, "IconikDecodeError")
    }))

  it.live("a bad id fails before any request is sent", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 200, asset))
      const error = yield* getItem({ item_id: "  " }).pipe(Effect.flip, Effect.provide(clientFor(server)))
      assert.strictEqual(error._tag, "IconikInvalidRequest")
      assert.strictEqual(server.requests.length, 0)
    }))

  it.live("204 decodes to void", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => {
        res.writeHead(204)
        res.end()
      })
      const result = yield* deleteItem({ item_id: "a1" }).pipe(Effect.provide(clientFor(server)))
      assert.strictEqual(result, undefined)
    }))

  it.live("retries idempotent calls on 503 and gives up after the configured times", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* startServer((_, res) => (++calls < 3 ? json(res, 503, { errors: ["busy"] }) : json(res, 200, asset)))
      const result = yield* getItem({ item_id: "a1" }).pipe(Effect.provide(clientFor(server)))
      assert.strictEqual(result.id, "a1")
      assert.strictEqual(calls, 3)
      calls = -100
      const error = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(clientFor(server, { retry: { times: 2, baseDelay: 1 } })))
      assert.strictEqual(error._tag, "IconikServerError")
      assert.strictEqual(calls, -97) // one attempt + two retries
    }))

  it.live("does not retry a POST on 503 or on timeout, but does on 429", () =>
    Effect.gen(function*() {
      let mode: "503" | "slow" | "429" = "503"
      let calls = 0
      const server = yield* startServer((_, res) => {
        calls++
        if (mode === "503") return json(res, 503, { errors: ["busy"] })
        if (mode === "slow") return setTimeout(() => json(res, 201, { id: "late" }), 300)
        return calls < 2 ? json(res, 429, { errors: ["slow down"] }, { "retry-after": "0" }) : json(res, 201, { id: "n1" })
      })
      // Only the slow call needs the short timeout: on a busy machine the others may take longer than 100 ms.
      const layer = clientFor(server)
      const e1 = yield* createItem({ body: { title: "t" } }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(e1._tag, "IconikServerError")
      assert.strictEqual(calls, 1)
      mode = "slow"
      calls = 0
      const e2 = yield* createItem({ body: { title: "t" } }).pipe(Effect.flip, Effect.provide(clientFor(server, { timeout: 100 })))
      assert.strictEqual(e2._tag, "IconikTransportError")
      if (e2._tag === "IconikTransportError") assert.strictEqual(e2.reason, "Timeout")
      assert.strictEqual(calls, 1)
      mode = "429"
      calls = 0
      const created = yield* createItem({ body: { title: "t" } }).pipe(Effect.provide(layer))
      assert.strictEqual(created.id, "n1")
      assert.strictEqual(calls, 2)
    }))

  it.live("retries a POST when the connection is refused", () =>
    Effect.gen(function*() {
      // Port 1 on loopback (privileged, nobody listens): every attempt is refused, so the POST is tried 1 + times.
      let attempts = 0
      const layer = Iconik.layer({
        appId: "app",
        authToken: canary,
        baseUrl: "http://127.0.0.1:1",
        retry: { times: 2, baseDelay: 1 },
        transformClient: HttpClient.tapRequest(() => Effect.sync(() => attempts++))
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      const error = yield* createItem({ body: { title: "t" } }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(error._tag, "IconikTransportError")
      if (error._tag === "IconikTransportError") assert.strictEqual(error.reason, "ConnectionRefused")
      assert.strictEqual(attempts, 3)
    }))

  it.live("two clients with different base URLs in one program do not interfere", () =>
    Effect.gen(function*() {
      const us = yield* startServer((_, res) => json(res, 200, { ...asset, title: "us" }))
      const eu = yield* startServer((_, res) => json(res, 200, { ...asset, title: "eu" }))
      const [a, b] = yield* Effect.all([
        getItem({ item_id: "a1" }).pipe(Effect.provide(clientFor(us))),
        getItem({ item_id: "a1" }).pipe(Effect.provide(clientFor(eu)))
      ], { concurrency: 2 })
      assert.strictEqual(a.title, "us")
      assert.strictEqual(b.title, "eu")
      assert.strictEqual(us.requests.length, 1)
      assert.strictEqual(eu.requests.length, 1)
    }))

  it.live("the token never appears in errors, logs or span attributes", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 401, { errors: ["Token is invalid"] }))
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const logs: Array<string> = []
      const logger = Logger.make((options) => {
        logs.push(JSON.stringify({ message: options.message, cause: String(options.cause) }))
      })
      const error = yield* Effect.gen(function*() {
        // A raw call through the client's HttpClient gets effect's HTTP span, which records headers here.
        const client = yield* Iconik.IconikClient
        yield* client.httpClient.get("/API/assets/v1/items/a1/")
        return yield* getItem({ item_id: "a1" }).pipe(
          Effect.tapError((e) => Effect.logError("call failed", e)),
          Effect.flip
        )
      }).pipe(
        Effect.provide(clientFor(server)),
        Effect.withTracer(tracer),
        // Record every header in spans, as a user debugging might: the token must still be redacted.
        Effect.provideService(HttpClient.TracerHeaderFilter, () => true),
        Effect.provide(Logger.layer([logger]))
      )
      assert.strictEqual(error._tag, "IconikUnauthorized")
      assert.include(error.message, "ICONIK_AUTH_TOKEN")
      const attributes = spans.flatMap((s) => [...s.attributes.entries()].map(([k, v]) => `${k}=${String(v)}`))
      assert.isTrue(attributes.some((a) => a.startsWith("http.request.header.auth-token")), "header recorded (redacted)")
      const operationSpan = spans.find((s) => s.name === "Iconik.assets.getItem")
      assert.isDefined(operationSpan, "one span per operation")
      assert.strictEqual(operationSpan!.attributes.get("http.response.status_code"), 401)
      assert.strictEqual(operationSpan!.attributes.get("url.template"), "/API/assets/v1/items/{item_id}/")
      const everything = [
        error.message,
        String(error),
        JSON.stringify(error),
        ...logs,
        ...attributes
      ].join("\n")
      assert.notInclude(everything, canary)
      assert.isAbove(logs.length, 0)
    }))

  it.effect("rejects unusable configuration with a typed error", () =>
    Effect.gen(function*() {
      const missing = yield* Iconik.make({ appId: "", authToken: "t" }).pipe(
        Effect.flip,
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(missing._tag, "IconikConfigError")
      assert.include(missing.detail, "App-ID")
      const bad = yield* Iconik.make({ appId: "a", authToken: "t", baseUrl: "ftp://x" }).pipe(
        Effect.flip,
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(bad._tag, "IconikConfigError")
      assert.include(bad.detail, "ftp://x")
    }))
})

/** An in-process HttpClient whose answers the test scripts, for exact control over time. */
const scripted = (answers: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>, seen: Ref.Ref<Array<number>>) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* Ref.update(seen, (xs) => [...xs, now])
        const answer = answers.shift() ?? { status: 200, body: asset }
        return HttpClientResponse.fromWeb(
          request,
          new Response(JSON.stringify(answer.body ?? {}), {
            status: answer.status,
            headers: { "content-type": "application/json", ...answer.headers }
          })
        )
      })
    )
  )

describe("retry timing and rate limiting (TestClock)", () => {
  for (const [status, seconds] of [[429, 7], [503, 5]] as const) {
    it.effect(`honours Retry-After on ${status}`, () =>
      Effect.gen(function*() {
        const seen = yield* Ref.make<Array<number>>([])
        const answer = { status, headers: { "retry-after": String(seconds) }, body: { errors: ["later"] } }
        const layer = Iconik.layer({ appId: "a", authToken: "t", baseUrl: "http://iconik.test", rateLimit: false }).pipe(
          Layer.provide(scripted([answer], seen))
        )
        const fiber = yield* getItem({ item_id: "a1" }).pipe(Effect.provide(layer), Effect.forkChild)
        yield* TestClock.adjust(seconds * 1000 - 1)
        assert.strictEqual((yield* Ref.get(seen)).length, 1)
        yield* TestClock.adjust(1)
        assert.isTrue(Exit.isSuccess(yield* Effect.exit(Fiber.join(fiber))))
        const times = yield* Ref.get(seen)
        assert.deepStrictEqual(times.map((t) => t - times[0]!), [0, seconds * 1000])
      }))
  }

  it.effect("backs off exponentially with jitter when no Retry-After is sent", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<number>>([])
      const layer = Iconik.layer({
        appId: "a",
        authToken: "t",
        baseUrl: "http://iconik.test",
        rateLimit: false,
        retry: { times: 3, baseDelay: 1000, maxDelay: 10_000 }
      }).pipe(Layer.provide(scripted([{ status: 502 }, { status: 503 }, { status: 504 }], seen)))
      const fiber = yield* getItem({ item_id: "a1" }).pipe(Effect.provide(layer), Effect.forkChild)
      yield* TestClock.adjust(60_000)
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(Fiber.join(fiber))))
      const times = yield* Ref.get(seen)
      const gaps = times.slice(1).map((t, i) => t - times[i]!)
      assert.strictEqual(gaps.length, 3)
      gaps.forEach((gap, n) => {
        const full = 1000 * 2 ** n
        assert.isAtLeast(gap, full / 2)
        assert.isAtMost(gap, full)
      })
    }))

  it.effect("the limiter spaces requests at the configured rate, shared by all calls of a client", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<number>>([])
      const layer = Iconik.layer({
        appId: "a",
        authToken: "t",
        baseUrl: "http://iconik.test",
        rateLimit: { requestsPerSecond: 50, burst: 50 }
      }).pipe(Layer.provide(scripted([], seen)))
      const fiber = yield* Effect.all(
        Array.from({ length: 150 }, () => getItem({ item_id: "a1" })),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(layer), Effect.forkChild)
      yield* TestClock.adjust(0)
      assert.strictEqual((yield* Ref.get(seen)).length, 50, "the burst goes out at once")
      yield* TestClock.adjust(1000)
      assert.strictEqual((yield* Ref.get(seen)).length, 100, "then 50 per second")
      yield* TestClock.adjust(1000)
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(Fiber.join(fiber))))
      assert.strictEqual((yield* Ref.get(seen)).length, 150)
    }))
})
