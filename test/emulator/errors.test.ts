/**
 * The emulator's edges as the SDK sees them: authentication, roles, missing objects, validation, the rate limiter and
 * every injected fault, each surfacing as the SDK's typed error.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as IconikClient from "../../src/IconikClient.ts"
import { assets } from "../../src/generated/index.ts"
import { Faults, IconikEmulator, inProcessBaseUrl } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

const noRetry = { retry: false, rateLimit: false } as const

/** An SDK client with other credentials on the in-process emulator in context. */
const clientAs = (appId: string, authToken: string, options?: Partial<IconikClient.IconikOptions>) =>
  IconikClient.layer({ appId, authToken, baseUrl: inProcessBaseUrl, ...noRetry, ...options })

describe("authentication and authorisation", () => {
  it.effect("an unknown token is 401 with Iconik's body", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const error = yield* assets.listAssets().pipe(
        Effect.flip,
        Effect.provide(clientAs(emulator.credentials.appId, "not-a-token"))
      )
      assert.strictEqual(error._tag, "IconikUnauthorized")
      if (error._tag === "IconikUnauthorized") assert.deepStrictEqual(error.errors, ["Token is invalid"])
      // The right token for another App-ID is no better.
      const other = yield* assets.listAssets().pipe(
        Effect.flip,
        Effect.provide(clientAs("0e0e0e0e-0000-1000-8000-000000000000", emulator.credentials.authToken))
      )
      assert.strictEqual(other._tag, "IconikUnauthorized")
    }).pipe(Effect.provide(IconikEmulator.layer())))

  it.effect("matches App-ID / Auth-Token case-insensitively and tolerates missing or doubled slashes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const headers = { "app-id": emulator.credentials.appId, "AUTH-TOKEN": emulator.credentials.authToken }
      const created = yield* raw("POST", "/API/assets/v1/assets", { body: { title: "no slash" }, headers })
      assert.strictEqual(created.status, 201)
      const id = (created.json as { id: string }).id
      const doubled = yield* raw("GET", `//API/assets/v1//assets/${id}`, { headers })
      assert.strictEqual(doubled.status, 200)
      assert.strictEqual((doubled.json as { title: string }).title, "no slash")
      const missing = yield* raw("GET", "/API/assets/v1/assets/", { headers: {} })
      assert.deepStrictEqual(missing, { ...missing, status: 401, json: { errors: ["Token is invalid"] } })
    }).pipe(Effect.provide(IconikEmulator.layer())))

  it.effect("a user without the operation's role gets 403 and nothing changes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asReader = clientAs(emulator.credentials.appId, "reader-token")
      const existing = yield* assets.createAsset({ body: { title: "Shared" } }).pipe(
        Effect.provide(clientAs(emulator.credentials.appId, emulator.credentials.authToken))
      )
      const read = yield* assets.getAsset({ asset_id: existing.id }).pipe(Effect.provide(asReader))
      assert.strictEqual(read.title, "Shared")
      const denied = yield* assets.deleteAsset({ asset_id: existing.id }).pipe(Effect.flip, Effect.provide(asReader))
      assert.strictEqual(denied._tag, "IconikForbidden")
      if (denied._tag === "IconikForbidden") assert.match(String(denied.errors), /can_delete_assets/)
      assert.strictEqual(emulator.state.assets.get(existing.id)?.status, "ACTIVE")
    }).pipe(Effect.provide(IconikEmulator.layer({
      users: [{ email: "reader@example.com", token: "reader-token", roles: ["can_read_assets"] }]
    }))))
})

describe("status mapping", () => {
  it.effect("a missing object is 404 with Iconik's wording", () =>
    Effect.gen(function*() {
      const error = yield* assets.getAsset({ asset_id: "2c5bfe1a-f149-11eb-a843-0a580a3db916" }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "IconikNotFound")
      if (error._tag === "IconikNotFound") assert.deepStrictEqual(error.errors, ["Asset does not exist"])
    }).pipe(Effect.provide(IconikEmulator.layerClient({}, noRetry))))

  it.effect("an invalid body is 400 with the field map", () =>
    Effect.gen(function*() {
      const answer = yield* raw("POST", "/API/assets/v1/assets/", { body: { type: "ASSET" } })
      assert.strictEqual(answer.status, 400)
      const errors = (answer.json as { errors: Record<string, string> }).errors
      assert.deepStrictEqual(Object.keys(errors), ["title"])
      const notJson = yield* raw("POST", "/API/assets/v1/collections/", { body: "{" })
      assert.strictEqual(notJson.status, 400)
    }).pipe(Effect.provide(IconikEmulator.layer())))

  it.effect("a required body may be left out where its fields are all optional (the triggers), not elsewhere", () =>
    Effect.gen(function*() {
      const asset = yield* raw("POST", "/API/assets/v1/assets/", { body: { title: "t" } })
      const assetId = (asset.json as { id: string }).id
      const proxy = yield* raw("POST", `/API/files/v1/assets/${assetId}/proxies/`, {
        body: { name: "p.mp4", filename: "p.mp4", status: "OPEN" }
      })
      assert.strictEqual(proxy.status, 201)
      const proxyId = (proxy.json as { id: string }).id
      const trigger = yield* raw("POST", `/API/files/v1/assets/${assetId}/proxies/${proxyId}/keyframes/`)
      assert.strictEqual(trigger.status, 200)
      assert.isString((trigger.json as { job_id?: unknown }).job_id)
      const noTitle = yield* raw("POST", "/API/assets/v1/assets/")
      assert.strictEqual(noTitle.status, 400)
    }).pipe(Effect.provide(IconikEmulator.layer())))

  it.effect("an operation the emulator does not implement says so (501)", () =>
    Effect.gen(function*() {
      const error = yield* assets.listAssetsRelationTypes().pipe(Effect.flip)
      assert.strictEqual(error._tag, "IconikServerError")
      if (error._tag === "IconikServerError") {
        assert.strictEqual(error.status, 501)
        assert.deepStrictEqual(error.errors, [
          "Not implemented by the emulator: GET /API/assets/v1/assets/relation_types/"
        ])
      }
      const unknown = yield* raw("GET", "/API/assets/v1/no_such_thing/")
      assert.strictEqual(unknown.status, 404)
      // Strict: the generic store serves nothing.
    }).pipe(Effect.provide(IconikEmulator.layerClient({ strict: true }, noRetry))))
})

describe("rate limit", () => {
  it.effect("the per-App-ID bucket answers 429 with Retry-After and RateLimit-Remaining", () =>
    Effect.gen(function*() {
      const first = yield* raw("GET", "/API/assets/v1/assets/")
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.headers["ratelimit-remaining"], "1")
      yield* raw("GET", "/API/assets/v1/assets/")
      const limited = yield* raw("GET", "/API/assets/v1/assets/")
      assert.strictEqual(limited.status, 429)
      assert.deepStrictEqual(limited.json, { errors: ["Rate limit exceeded"] })
      assert.strictEqual(limited.headers["retry-after"], "1")
      // The SDK without retries sees the typed error with the server's delay.
      const error = yield* assets.listAssets().pipe(Effect.flip, Effect.provide(clientFor()))
      assert.strictEqual(error._tag, "IconikRateLimited")
      if (error._tag === "IconikRateLimited") assert.strictEqual(error.retryAfterMillis, 1000)
      // Time refills the bucket.
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* raw("GET", "/API/assets/v1/assets/")).status, 200)
    }).pipe(Effect.provide(IconikEmulator.layer({ rateLimit: { requestsPerSecond: 1, burst: 2 } }))))

  it.effect("the SDK's retry honours Retry-After and gets through", () =>
    Effect.gen(function*() {
      const client = clientFor({ retry: { times: 2, baseDelay: 10, maxDelay: "5 seconds" } })
      yield* Effect.provide(assets.listAssets(), client)
      const fiber = yield* Effect.forkChild(Effect.provide(assets.listAssets(), client))
      yield* TestClock.adjust("1 second")
      const page = yield* Fiber.join(fiber)
      assert.strictEqual(page.total, 0)
      const emulator = yield* IconikEmulator
      assert.deepStrictEqual((yield* emulator.requests).map((r) => r.status), [200, 429, 200])
    }).pipe(Effect.provide(IconikEmulator.layer({ rateLimit: { requestsPerSecond: 1, burst: 1 } }))))
})

const clientFor = (options?: Partial<IconikClient.IconikOptions>) =>
  Layer.unwrap(Effect.map(IconikEmulator, (emulator) =>
    clientAs(emulator.credentials.appId, emulator.credentials.authToken, options)))

describe("faults", () => {
  it.effect("5xx on the Nth call: typed without retries, absorbed by the SDK's retry of a GET", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asset = yield* assets.createAsset({ body: { title: "Flaky" } }).pipe(Effect.provide(clientFor()))
      yield* emulator.addFault({
        method: "GET",
        route: "/API/assets/v1/assets/{asset_id}/",
        onCalls: [1, 2],
        fault: Faults.serverError(503)
      })
      const error = yield* assets.getAsset({ asset_id: asset.id }).pipe(Effect.flip, Effect.provide(clientFor()))
      assert.strictEqual(error._tag, "IconikServerError")
      if (error._tag === "IconikServerError") assert.strictEqual(error.status, 503)
      const retried = yield* Effect.forkChild(
        assets.getAsset({ asset_id: asset.id }).pipe(Effect.provide(clientFor({ retry: { times: 3, baseDelay: 10 } })))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(retried)).title, "Flaky")
      assert.deepStrictEqual((yield* emulator.requests).map((r) => [r.status, r.fault]), [
        [201, undefined],
        [503, "Status"],
        [503, "Status"],
        [200, undefined]
      ])
    }).pipe(Effect.provide(IconikEmulator.layer())))

  it.effect("a truncated JSON body is an IconikDecodeError; an HTML page from a proxy an IconikServerError", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      yield* emulator.addFault({ route: /^GET \/API\/assets\/v1\/assets\/$/, times: 1, fault: Faults.truncatedBody })
      yield* assets.createAsset({ body: { title: "Cut" } })
      const decode = yield* assets.listAssets().pipe(Effect.flip)
      assert.strictEqual(decode._tag, "IconikDecodeError")
      yield* emulator.addFault({ route: /^GET /, times: 1, fault: Faults.htmlError(502) })
      const html = yield* assets.listAssets().pipe(Effect.flip)
      assert.strictEqual(html._tag, "IconikServerError")
      if (html._tag === "IconikServerError") {
        assert.strictEqual(html.status, 502)
        assert.isUndefined(html.errors)
      }
      assert.strictEqual((yield* assets.listAssets()).total, 1)
    }).pipe(Effect.provide(IconikEmulator.layerClient({}, noRetry))))

  it.effect("a reset in-process is a transport error (ConnectionReset), after the request was handled", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.reset })
      const error = yield* assets.createAsset({ body: { title: "Lost answer" } }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "IconikTransportError")
      if (error._tag === "IconikTransportError") assert.strictEqual(error.reason, "ConnectionReset")
      // The asset exists although the client never heard: why POSTs are not retried blindly.
      assert.deepStrictEqual([...emulator.state.assets.values()].map((a) => a.title), ["Lost answer"])
    }).pipe(Effect.provide(IconikEmulator.layerClient({}, noRetry))))

  it.effect("faults that fail a create leave nothing behind; a lost answer leaves the asset (applied)", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const titles = () => [...emulator.state.assets.values()].map((a) => a.title)
      const refused = [Faults.serverError(500), Faults.serverError(503), Faults.rateLimited(1), Faults.htmlError(502)]
      for (const fault of refused) {
        yield* emulator.addFault({ method: "POST", route: "/API/assets/v1/assets/", times: 1, fault })
        const error = yield* assets.createAsset({ body: { title: "Refused" } }).pipe(Effect.flip)
        assert.include(["IconikServerError", "IconikRateLimited"], error._tag)
        yield* emulator.clearFaults
      }
      yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.resetBeforeHandling })
      const dropped = yield* assets.createAsset({ body: { title: "Dropped" } }).pipe(Effect.flip)
      assert.strictEqual(dropped._tag, "IconikTransportError")
      if (dropped._tag === "IconikTransportError") assert.strictEqual(dropped.reason, "ConnectionReset")
      assert.deepStrictEqual(titles(), [])
      yield* emulator.clearFaults

      yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.lostAnswer })
      const lost = yield* assets.createAsset({ body: { title: "Lost" } }).pipe(Effect.flip)
      assert.strictEqual(lost._tag, "IconikTransportError")
      yield* emulator.clearFaults
      yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.truncatedBody })
      const mangled = yield* assets.createAsset({ body: { title: "Mangled" } }).pipe(Effect.flip)
      assert.strictEqual(mangled._tag, "IconikDecodeError")
      assert.deepStrictEqual(titles(), ["Lost", "Mangled"])

      assert.deepStrictEqual((yield* emulator.requests).map((r) => [r.fault, r.handled]), [
        ["Status", false],
        ["Status", false],
        ["Status", false],
        ["Html", false],
        ["ResetBeforeHandling", false],
        ["LostAnswer", true],
        ["TruncatedBody", true]
      ])
      assert.deepStrictEqual(
        [...refused, Faults.resetBeforeHandling, Faults.lostAnswer, Faults.truncatedBody].map(Faults.isApplied),
        [false, false, false, false, false, true, true]
      )
    }).pipe(Effect.provide(IconikEmulator.layerClient({}, noRetry))))

  it.effect("latency runs on the Clock: the SDK's timeout fires under TestClock", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      yield* emulator.addFault({ method: "GET", fault: Faults.latency(5_000) })
      const slow = yield* Effect.forkChild(Effect.flip(assets.listAssets()))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(slow)
      assert.strictEqual(error._tag, "IconikTransportError")
      if (error._tag === "IconikTransportError") assert.strictEqual(error.reason, "Timeout")
      const patient = yield* Effect.forkChild(assets.listAssets({ query: { per_page: 5 } }, { timeout: "10 seconds" }))
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(patient)).per_page, 5)
    }).pipe(Effect.provide(IconikEmulator.layerClient({}, { ...noRetry, timeout: "1 second" }))))

  it.effect("probabilistic faults are deterministic for a seed", () =>
    Effect.gen(function*() {
      const pattern = (seed: string) =>
        Effect.gen(function*() {
          const outcomes: Array<number> = []
          for (let i = 0; i < 24; i++) outcomes.push((yield* raw("GET", "/API/assets/v1/assets/")).status)
          return outcomes
        }).pipe(Effect.provide(IconikEmulator.layer({
          seed,
          rateLimit: false,
          faults: [{ method: "GET", probability: 0.5, fault: Faults.serverError(500) }]
        })))
      const first = yield* pattern("alpha")
      assert.deepStrictEqual(yield* pattern("alpha"), first)
      assert.notDeepEqual(yield* pattern("beta"), first)
      const failures = first.filter((status) => status === 500).length
      assert.isAbove(failures, 3)
      assert.isBelow(failures, 21)
    }))
})
