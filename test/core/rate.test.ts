/**
 * Rate discipline against the emulator, on effect's TestClock (the emulator's limiter, the client's bucket and the
 * retry back-off all read it), so the assertions are about counts and the spacing of requests, not wall time.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as users from "../../src/generated/users.ts"
import * as IconikClient from "../../src/IconikClient.ts"
import * as Testing from "../../src/testing/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import * as TokenBucket from "../../src/TokenBucket.ts"

const currentUser = "/API/users/v1/users/current/"

/** Runs `work` to its end, moving the TestClock on in 10 ms steps and letting real I/O callbacks run in between. */
const drive = <A, E, R>(work: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(work)
    let steps = 0
    while (fiber.pollUnsafe() === undefined) {
      if (++steps > 100_000) return yield* Effect.die(new Error("the work did not end within 1000 simulated seconds"))
      yield* TestClock.adjust(10)
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    return yield* Fiber.join(fiber)
  })

/** `n` concurrent calls; answers how many failed. */
const burst = (n: number) =>
  Effect.all(Array.from({ length: n }, () => Effect.exit(users.getCurrentUser())), { concurrency: "unbounded" }).pipe(
    Effect.map((exits) => exits.filter(Exit.isFailure).length)
  )

const requestsOf = IconikEmulator.use((emulator) =>
  Effect.map(emulator.requests, (all) => all.filter((r) => r.path === currentUser)))

const counted = Effect.map(Metric.value(IconikClient.rateLimitedTotal), (state) => state.count)

const layer = (emulator: Testing.IconikEmulatorOptions, client: Testing.ClientOptions) =>
  Testing.IconikEmulator.layerClient({ rateLimit: false, ...emulator }, client)

describe("client rate discipline (TestClock)", () => {
  it.effect("a burst of 2 000 calls over the emulator's rate limit: none fails, every 429 met is counted", () =>
    Effect.gen(function*() {
      const failed = yield* drive(burst(2000))
      const requests = yield* requestsOf
      const limited = requests.filter((r) => r.status === 429).length
      assert.strictEqual(failed, 0)
      assert.strictEqual(requests.filter((r) => r.status === 200).length, 2000)
      assert.isAbove(limited, 0, "the client limit is set above the emulator's: some calls must meet a 429")
      assert.strictEqual(yield* counted, limited)
      yield* Effect.logDebug(`429s met: ${limited}`)
    }).pipe(
      Effect.provide(layer(
        // Iconik's real budget is unpublished; 500/s keeps the simulated run short. The client is set above it.
        { rateLimit: { requestsPerSecond: 500, burst: 50, windowRequests: 1_000_000 } },
        { rateLimit: { requestsPerSecond: 600, burst: 100 } }
      )),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))

  it.effect("under sustained 429s no request goes before its Retry-After, and the rate stays within the limit", () =>
    Effect.gen(function*() {
      const retryAfterMillis = 2000
      const emulator = yield* IconikEmulator
      // A window of 5 s in which every call is answered 429 with Retry-After: 2.
      yield* emulator.addFault({ fault: Testing.Faults.rateLimited(retryAfterMillis / 1000), route: currentUser })
      yield* Effect.forkChild(Effect.andThen(Effect.sleep(5000), emulator.clearFaults))
      const failed = yield* drive(burst(300))
      const requests = yield* requestsOf
      const limited = requests.filter((r) => r.status === 429)
      assert.strictEqual(failed, 0)
      assert.strictEqual(requests.filter((r) => r.status === 200).length, 300)
      assert.isAbove(limited.length, 0)
      // No storm: after a 429 answered at t, nothing reaches the server before t + Retry-After (calls sent at the
      // same instant as the one that met it were already on their way).
      for (const r of limited) {
        const early = requests.filter((other) => other.at > r.at && other.at < r.at + retryAfterMillis)
        assert.strictEqual(early.length, 0, `requests within the Retry-After of the 429 at ${r.at}: ${early.slice(0, 5).map((e) => e.at).join(", ")}…`)
      }
      // The rate measured at the server: at most burst + rate in any second.
      const times = requests.map((r) => r.at).sort((a, b) => a - b)
      let busiest = 0
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= 1000) j++
        busiest = Math.max(busiest, i - j + 1)
      }
      assert.isAtMost(busiest, 100 + 10)
      assert.strictEqual(yield* counted, limited.length)
      yield* Effect.logDebug(`429s met: ${limited.length}, busiest second: ${busiest} requests`)
    }).pipe(
      Effect.provide(layer({}, { rateLimit: { requestsPerSecond: 100, burst: 10 }, retry: { times: 10 } })),
      Effect.provideService(Metric.MetricRegistry, new Map())
    ))
})

describe("TokenBucket", () => {
  it.effect("a pause holds every taker until it ends, then hands out slots at the sustained rate", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ requestsPerSecond: 10, burst: 5 })
      const times: Array<number> = []
      const taker = Effect.andThen(bucket.take, Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => times.push(t))))
      yield* bucket.take // one used: 4 saved
      assert.isTrue(yield* bucket.pause(1000))
      assert.isFalse(yield* bucket.pause(500), "a shorter pause does not start a new one")
      assert.isFalse(yield* bucket.tryTake)
      const fibers = yield* Effect.forEach(Array.from({ length: 4 }), () => Effect.forkChild(taker))
      yield* TestClock.adjust(999)
      assert.deepStrictEqual(times, [])
      yield* TestClock.adjust(1)
      assert.deepStrictEqual(times, [1000])
      yield* TestClock.adjust(300)
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(times, [1000, 1100, 1200, 1300])
    }))

  it.effect("callers already waiting move back by the time a pause adds", () =>
    Effect.gen(function*() {
      const bucket = yield* TokenBucket.make({ requestsPerSecond: 10, burst: 1 })
      const times: Array<number> = []
      const taker = Effect.andThen(bucket.take, Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => times.push(t))))
      const fibers = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.forkChild(taker))
      yield* TestClock.adjust(0)
      assert.deepStrictEqual(times, [0]) // the others wait for 100 and 200
      yield* TestClock.adjust(50)
      yield* bucket.pause(500) // until 550: the waiters move to 600 and 700
      yield* TestClock.adjust(1000)
      yield* Fiber.joinAll(fibers)
      assert.deepStrictEqual(times, [0, 600, 700])
    }))

  it.effect("a rate or burst that cannot work is a typed error; the client reports it as IconikConfigError", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(TokenBucket.make({ requestsPerSecond: 0, burst: 5 }))
      assert.strictEqual(bad._tag, "InvalidTokenBucket")
      const client = yield* Effect.flip(
        IconikClient.make({ appId: "a", authToken: "t", rateLimit: { requestsPerSecond: Number.NaN } }).pipe(
          Effect.provide(NodeHttpClient.layerUndici)
        )
      )
      assert.strictEqual(client._tag, "IconikConfigError")
    }))
})
