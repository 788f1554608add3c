/**
 * The retry decision table of the Iconik client and the storage client: for each method and outcome, how many
 * attempts are made and how long the client waits between them. Answers come from an in-process HttpClient and time
 * from TestClock; the random half of the jitter is pinned so the waits are exact.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Random, Schema } from "effect"
import { HttpClient, HttpClientError, HttpClientResponse } from "effect/http"
import { TestClock } from "effect/testing"
import * as Endpoint from "../../src/Endpoint.ts"
import * as Iconik from "../../src/IconikClient.ts"
import { StorageClient, type StorageClientOptions, type StorageMethod } from "../../src/storage/index.ts"
import { createItem, deleteItem, getItem, Item } from "../support/operations.ts"

/** What every attempt gets: an HTTP status (with an optional Retry-After in seconds), or a transport failure. */
type Outcome =
  | { readonly _tag: "Status"; readonly status: number; readonly retryAfter?: number; readonly body?: string }
  | { readonly _tag: "Transport"; readonly kind: "refused" | "reset" | "timeout" }

const status = (code: number, retryAfter?: number): Outcome =>
  retryAfter === undefined ? { _tag: "Status", status: code } : { _tag: "Status", status: code, retryAfter }
const transport = (kind: "refused" | "reset" | "timeout"): Outcome => ({ _tag: "Transport", kind })

const outcomes: ReadonlyArray<readonly [string, Outcome]> = [
  ["429", status(429)],
  ["429 Retry-After 2", status(429, 2)],
  ["429 Retry-After 60 (beyond maxDelay)", status(429, 60)],
  ["500", status(500)],
  ["502", status(502)],
  ["503", status(503)],
  ["503 Retry-After 3", status(503, 3)],
  ["504", status(504)],
  ["400", status(400)],
  ["404", status(404)],
  ["connection refused", transport("refused")],
  ["connection reset", transport("reset")],
  ["timeout", transport("timeout")]
]

/** The Iconik client also reads 2xx bodies: one that is cut short is retried like a transport failure. */
const iconikOutcomes: ReadonlyArray<readonly [string, Outcome]> = [
  ...outcomes,
  ["200 with its JSON cut short", { _tag: "Status", status: 200, body: "{\"id\": \"a" }]
]

/** Policy of every client below: 3 retries, 1 s doubling to at most 10 s; an attempt times out after 1 s. */
const times = 3
const attemptTimeoutMillis = 1000
/** With the random half pinned at 0.5 ("equal jitter": half fixed, half random), each wait is 3/4 of the ceiling. */
const backoffWaits = [750, 1500, 3000]
const pinnedRandom = { nextDoubleUnsafe: () => 0.5, nextIntUnsafe: () => 0 }

const codes = { refused: "ECONNREFUSED", reset: "ECONNRESET" } as const

/** An HttpClient that answers every request with `outcome` and records when each attempt started. */
const scripted = (outcome: Outcome, seen: Array<number>, successBody: string) =>
  HttpClient.make((request) =>
    Effect.gen(function*() {
      seen.push(yield* Clock.currentTimeMillis)
      if (outcome._tag === "Transport") {
        if (outcome.kind === "timeout") return yield* Effect.never
        return yield* new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({
            request,
            cause: Object.assign(new Error(`connect ${codes[outcome.kind]}`), { code: codes[outcome.kind] })
          })
        })
      }
      const headers: Record<string, string> = { "content-type": "application/json" }
      if (outcome.retryAfter !== undefined) headers["retry-after"] = String(outcome.retryAfter)
      const ok = outcome.status < 300
      return HttpClientResponse.fromWeb(
        request,
        new Response(outcome.body ?? (ok ? successBody : JSON.stringify({ errors: ["scripted"] })), {
          status: outcome.status,
          headers
        })
      )
    })
  )

/** Runs `effect` to its end under TestClock; the attempts' start times, relative to the first. */
const runTimed = <A, E>(effect: Effect.Effect<A, E>, seen: Array<number>) =>
  Effect.gen(function*() {
    const fiber = yield* effect.pipe(Effect.provideService(Random.Random, pinnedRandom), Effect.forkChild)
    // Far beyond any schedule in the table: every sleep and timeout fires, in order.
    yield* TestClock.adjust("1 hour")
    const exit = yield* Fiber.await(fiber)
    return { exit, starts: seen.map((t) => t - seen[0]!) }
  })

/** The waits between attempts, given their start times and how long each failed attempt itself took. */
const waitsOf = (starts: ReadonlyArray<number>, attemptMillis: number) =>
  starts.slice(1).map((t, i) => t - starts[i]! - attemptMillis)

/** What the table expects: the number of retries and the wait before each. */
const expected = (retried: boolean, outcome: Outcome, honoursRetryAfter: boolean): ReadonlyArray<number> => {
  if (!retried) return []
  if (outcome._tag === "Status" && outcome.retryAfter !== undefined && honoursRetryAfter) {
    return outcome.retryAfter * 1000 > 10_000 ? [] : Array.from({ length: times }, () => outcome.retryAfter! * 1000)
  }
  return backoffWaits
}

// ---------------------------------------------------------------------------------------------------------------
// Iconik client

const putItem = Endpoint.make<{ readonly item_id: string; readonly body: { readonly title: string } }, Item>({
  service: "assets",
  summary: "test",
  roles: [],
  name: "putItem",
  method: "PUT",
  path: "/API/assets/v1/items/{item_id}/",
  pathParams: ["item_id"],
  body: { schema: Schema.Struct({ title: Schema.String }), contentType: "application/json", required: true },
  success: [{ status: 200, schema: Item }],
  errors: []
})
const patchItem = Endpoint.make<{ readonly item_id: string; readonly body: { readonly title: string } }, Item>({
  ...putItem.definition,
  name: "patchItem",
  method: "PATCH"
})

type IconikCase = "GET" | "PUT" | "PATCH" | "DELETE" | "POST" | "POST idempotent"
const iconikCalls: Record<IconikCase, Effect.Effect<unknown, unknown, Iconik.IconikClient>> = {
  GET: getItem({ item_id: "a1" }),
  PUT: putItem({ item_id: "a1", body: { title: "t" } }),
  PATCH: patchItem({ item_id: "a1", body: { title: "t" } }),
  DELETE: deleteItem({ item_id: "a1" }),
  POST: createItem({ body: { title: "t" } }),
  // A POST the caller declares safe to repeat (a search, a create with a client-chosen id) retries like a PUT.
  "POST idempotent": createItem({ body: { title: "t" } }, { idempotent: true })
}

/**
 * 429 and refused for every method; 502/503/504, reset, timeout and a 2xx cut short for all but a POST not marked
 * idempotent.
 */
const iconikRetries = (method: IconikCase, outcome: Outcome): boolean => {
  if (outcome._tag === "Transport") return outcome.kind === "refused" || method !== "POST"
  if (outcome.status === 429) return true
  return method !== "POST" && [200, 502, 503, 504].includes(outcome.status)
}

const iconikLayer = (client: HttpClient.HttpClient, options?: Partial<Iconik.IconikOptions>) =>
  Iconik.layer({
    appId: "app",
    authToken: "token",
    baseUrl: "http://iconik.test",
    rateLimit: false,
    timeout: attemptTimeoutMillis,
    retry: { times, baseDelay: 1000, maxDelay: 10_000 },
    ...options
  }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))

describe("Iconik client retry decision table (TestClock)", () => {
  for (const method of Object.keys(iconikCalls) as Array<IconikCase>) {
    for (const [label, outcome] of iconikOutcomes) {
      // deleteItem declares no body: it reads none, so there is nothing to cut short.
      if (method === "DELETE" && outcome._tag === "Status" && outcome.status === 200) continue
      const retried = iconikRetries(method, outcome)
      const waits = expected(retried, outcome, true)
      it.effect(`${method} × ${label} → ${1 + waits.length} attempt(s)`, () =>
        Effect.gen(function*() {
          const seen: Array<number> = []
          const call = iconikCalls[method].pipe(
            Effect.provide(iconikLayer(scripted(outcome, seen, JSON.stringify({ id: "a1" }))))
          )
          const { exit, starts } = yield* runTimed(call, seen)
          assert.isTrue(exit._tag === "Failure", "every attempt fails, so the call does")
          const took = outcome._tag === "Transport" && outcome.kind === "timeout" ? attemptTimeoutMillis : 0
          assert.deepStrictEqual(waitsOf(starts, took), waits)
          if (method === "POST" && starts.length > 1) {
            // A POST is repeated only when Iconik cannot have acted on it: rate limited, or never connected.
            assert.isTrue(
              (outcome._tag === "Status" && outcome.status === 429) ||
                (outcome._tag === "Transport" && outcome.kind === "refused"),
              "POST repeated blindly"
            )
          }
        }))
    }
  }

  it.effect("a call's retry option goes over the client's: fewer retries, other delays, or none", () =>
    Effect.gen(function*() {
      const run = (options: Endpoint.CallOptions) =>
        Effect.gen(function*() {
          const seen: Array<number> = []
          const call = getItem({ item_id: "a1" }, options).pipe(
            Effect.provide(iconikLayer(scripted(status(503), seen, "")))
          )
          return (yield* runTimed(call, seen)).starts
        })
      assert.deepStrictEqual(yield* run({ retry: false }), [0])
      assert.deepStrictEqual(yield* run({ retry: { times: 1 } }), [0, 750])
      assert.deepStrictEqual(yield* run({ retry: { baseDelay: 100 } }), [0, 75, 225, 525])
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// Storage client

type StorageCase = StorageMethod | "POST idempotent"
const storageCases: ReadonlyArray<StorageCase> = ["GET", "HEAD", "PUT", "DELETE", "POST", "POST idempotent"]

/** Today's rule: transient failures (transport, 429, 5xx) of anything but a POST not marked idempotent. */
const storageRetries = (method: StorageCase, outcome: Outcome): boolean =>
  method !== "POST" && (outcome._tag === "Transport" || outcome.status === 429 || outcome.status >= 500)

const storageLayer = (client: HttpClient.HttpClient, options?: StorageClientOptions) =>
  Layer.effect(
    StorageClient,
    StorageClient.make({
      retry: { times, baseDelay: "1 second", maxDelay: "10 seconds" },
      idleTimeout: attemptTimeoutMillis,
      ...options
    })
  ).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)), Layer.provide(NodeFileSystem.layer))

describe("storage client retry decision table (TestClock)", () => {
  for (const method of storageCases) {
    for (const [label, outcome] of outcomes) {
      const retried = storageRetries(method, outcome)
      // One schedule for both clients: storage honours Retry-After too (it used to back off regardless).
      const waits = expected(retried, outcome, true)
      it.effect(`${method} × ${label} → ${1 + waits.length} attempt(s)`, () =>
        Effect.gen(function*() {
          const seen: Array<number> = []
          const call = StorageClient.use((client) =>
            client.send({
              provider: "S3",
              operation: "Test",
              method: method === "POST idempotent" ? "POST" : method,
              idempotent: method === "POST idempotent",
              url: "https://bucket.s3.test/key?X-Amz-Signature=secret"
            })
          ).pipe(Effect.provide(storageLayer(scripted(outcome, seen, ""))))
          const { exit, starts } = yield* runTimed(call, seen)
          assert.isTrue(exit._tag === "Failure", "every attempt fails, so the call does")
          const took = outcome._tag === "Transport" && outcome.kind === "timeout" ? attemptTimeoutMillis : 0
          assert.deepStrictEqual(waitsOf(starts, took), waits)
          if (method === "POST") assert.strictEqual(starts.length, 1, "a POST not marked idempotent is never repeated")
        }))
    }
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Overall deadline

describe("overall deadline across retries (TestClock)", () => {
  // Every attempt times out after 1 s; waits are 750, 1500, 3000... So attempts start at 0, 1750 and 4250.
  const manyRetries = { times: 10, baseDelay: 1000, maxDelay: 10_000 }

  it.effect("an Iconik call that times out again and again fails at the deadline, saying how many attempts it made", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const call = getItem({ item_id: "a1" }).pipe(
        Effect.provide(iconikLayer(scripted(transport("timeout"), seen, ""), { retry: manyRetries, deadline: 4600 }))
      )
      const { exit, starts } = yield* runTimed(Effect.flip(call), seen)
      assert.deepStrictEqual(starts, [0, 1750, 4250])
      assert.isTrue(exit._tag === "Success")
      if (exit._tag !== "Success") return
      const error = exit.value
      assert.strictEqual(error._tag, "IconikDeadlineExceeded")
      if (error._tag !== "IconikDeadlineExceeded") return
      assert.deepStrictEqual([error.attempts, error.elapsedMillis, error.deadlineMillis], [3, 4600, 4600])
      assert.include(error.lastError, "Timeout")
      assert.include(error.message, "3 attempt(s) over 4600 ms")
    }))

  it.effect("the default deadline is 5 minutes: 60 s attempts stop there however many retries are left", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const call = getItem({ item_id: "a1" }).pipe(
        Effect.provide(iconikLayer(scripted(transport("timeout"), seen, ""), {
          timeout: undefined,
          retry: { times: 100 },
          deadline: undefined
        }))
      )
      const { exit, starts } = yield* runTimed(Effect.flip(call), seen)
      assert.isTrue(exit._tag === "Success" && exit.value._tag === "IconikDeadlineExceeded")
      if (exit._tag !== "Success" || exit.value._tag !== "IconikDeadlineExceeded") return
      assert.strictEqual(exit.value.elapsedMillis, 300_000)
      assert.strictEqual(exit.value.attempts, starts.length)
      assert.strictEqual(starts.length, 5)
    }))

  it.effect("a wait that would end past the deadline is not taken: the call fails at once", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const call = getItem({ item_id: "a1" }).pipe(
        Effect.provide(iconikLayer(scripted(status(429, 8), seen, ""), { deadline: 5000 }))
      )
      const { exit, starts } = yield* runTimed(Effect.flip(call), seen)
      assert.deepStrictEqual(starts, [0])
      assert.isTrue(exit._tag === "Success" && exit.value._tag === "IconikDeadlineExceeded")
      if (exit._tag !== "Success" || exit.value._tag !== "IconikDeadlineExceeded") return
      assert.deepStrictEqual([exit.value.attempts, exit.value.elapsedMillis], [1, 0])
      assert.include(exit.value.lastError, "429")
    }))

  it.effect("a call's deadline goes over the client's; false lifts it", () =>
    Effect.gen(function*() {
      const run = (callOptions: Endpoint.CallOptions) =>
        Effect.gen(function*() {
          const seen: Array<number> = []
          const call = getItem({ item_id: "a1" }, callOptions).pipe(
            Effect.provide(iconikLayer(scripted(transport("timeout"), seen, ""), { retry: manyRetries, deadline: 4600 }))
          )
          const { exit, starts } = yield* runTimed(Effect.flip(call), seen)
          return { tag: exit._tag === "Success" ? exit.value._tag : "none", attempts: starts.length }
        })
      assert.deepStrictEqual(yield* run({ deadline: 2000 }), { tag: "IconikDeadlineExceeded", attempts: 2 })
      assert.deepStrictEqual(yield* run({ deadline: false }), { tag: "IconikTransportError", attempts: 11 })
    }))

  it.effect("a storage request retried again and again fails at its deadline with the attempts made", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const call = StorageClient.use((client) =>
        client.send({ provider: "S3", operation: "UploadPart", method: "PUT", url: "https://bucket.s3.test/key?X-Amz-Signature=secret" })
      ).pipe(Effect.provide(storageLayer(scripted(transport("timeout"), seen, ""), { retry: manyRetries, deadline: 4600 })))
      const { exit, starts } = yield* runTimed(Effect.flip(call), seen)
      assert.deepStrictEqual(starts, [0, 1750, 4250])
      assert.isTrue(exit._tag === "Success" && exit.value._tag === "StorageDeadlineExceeded")
      if (exit._tag !== "Success" || exit.value._tag !== "StorageDeadlineExceeded") return
      assert.deepStrictEqual([exit.value.attempts, exit.value.elapsedMillis], [3, 4600])
      assert.notInclude(exit.value.message, "secret")
    }))
})
