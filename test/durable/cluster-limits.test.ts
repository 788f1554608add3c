/**
 * Cluster-wide limits over PostgreSQL: runner processes (test/durable/limits-runner.ts), each with its own pool and
 * Iconik client, share one request budget per App-ID and one bound on uploads. Counts only, no timing: the
 * throughput against the budget is measured by `npm run bench -- durable-limits`.
 */
import { NodeFileSystem, NodeHttpClient, NodePath as NodePath_ } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { ConfigProvider, Context, Deferred, Effect, Fiber, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import * as users from "../../src/generated/users.ts"
import { afterAll, beforeAll } from "vitest"
import { ClusterLimits } from "../../durable/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { databaseUrl, dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"
import * as Fs from "node:fs"
import * as NodePath from "node:path"
import * as Os from "node:os"
import * as Engine from "../../durable/Engine.ts"
import * as Runs from "../../durable/Runs.ts"
import { busiest, freePort, runCalls, shardsSettled, spawnRunner, startWorker, stopWorker } from "./limits-support.ts"

let url = ""
beforeAll(async () => {
  if (pgSkipReason === undefined) url = await freshDatabase("cluster_limits")
}, 60_000)
afterAll(async () => {
  if (url !== "") await dropFreshDatabase(url)
}, 60_000)

const pgLayer = () => PgClient.layer({ url: Redacted.make(url), maxConnections: 4 })

/** A runner of this process: the limits on a pool of its own. */
const runner = (options: ClusterLimits.PgOptions) => ClusterLimits.layerPg(options).pipe(Layer.provideMerge(pgLayer()))

/** Statements the database committed in the test's database (every round trip of every runner, setup included). */
const committed = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const name = new URL(url).pathname.slice(1)
  const rows = yield* sql<{ readonly n: string }>`
    SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = ${name}`
  return Number(rows[0]?.n ?? 0)
}).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl ?? "") })))

/** The upload slots' rows: which are held. */
const slotRows = Effect.suspend(() =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ readonly slot: number; readonly holder: string | null }>`
      SELECT slot, holder FROM effect_iconik_upload_slots WHERE pool = 'uploads' ORDER BY slot`
  }).pipe(Effect.provide(pgLayer()))
)

describe.skipIf(pgSkipReason !== undefined)("cluster limits over PostgreSQL", () => {
  it.live("two runner processes share one budget: no 429, the server's windows within the budget, few database round trips", () =>
    Effect.gen(function*() {
      // The budget, scaled up so the run crosses the server's window in seconds: 100 per second, a burst of 50 and
      // 500 per 5 s. The runners pace themselves a little under it, at 95 per second with a burst of 5.
      const budget = { requestsPerSecond: 100, burst: 50, windowRequests: 500, windowSeconds: 5 }
      const emulator = yield* IconikEmulator.serve({ rateLimit: budget })
      const callsEach = 400
      const env = {
        LIMITS_BASE_URL: emulator.baseUrl,
        LIMITS_APP_ID: emulator.credentials.appId,
        LIMITS_AUTH_TOKEN: emulator.credentials.authToken,
        LIMITS_RATE: "95",
        LIMITS_BURST: "5",
        LIMITS_CALLS: String(callsEach),
        LIMITS_CONCURRENCY: "16"
      }
      const reports = yield* Effect.promise(() => runCalls(url, 2, env))
      for (const report of reports) assert.strictEqual(report.failed, 0, report.firstFailure)

      const requests = (yield* emulator.requests).filter((r) => r.path === "/API/users/v1/users/current/")
      assert.strictEqual(requests.filter((r) => r.status === 429).length, 0)
      assert.strictEqual(requests.filter((r) => r.status === 200).length, 2 * callsEach)
      const times = requests.map((r) => r.at)
      const perWindow = busiest(times, budget.windowSeconds * 1000)
      const perSecond = busiest(times, 1000)
      assert.isAtMost(perWindow, budget.windowRequests)
      assert.isAtMost(perSecond, budget.requestsPerSecond + budget.burst)

      // No lock per request: the limiters' own count of statements, and the database's count of every statement
      // committed in the test database (table creation and the other tests' statements included).
      const granted = reports.reduce((n, r) => n + r.granted, 0)
      const ownTrips = reports.reduce((n, r) => n + r.roundTrips, 0)
      const allTrips = yield* committed
      assert.strictEqual(granted, 2 * callsEach)
      assert.isAtMost(ownTrips / granted, 0.2)
      assert.isAtMost(allTrips / granted, 0.35)
      yield* Effect.logInfo(
        `busiest ${budget.windowSeconds} s: ${perWindow}, busiest second: ${perSecond}; round trips per request: ` +
          `${(ownTrips / granted).toFixed(3)} (limiters), ${(allTrips / granted).toFixed(3)} (database, all statements)`
      )
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)), 120_000)

  it.live("a runner killed with SIGKILL while it holds an upload slot: the slot comes back when its lease runs out", () =>
    Effect.gen(function*() {
      const holder = spawnRunner("hold", url, { LIMITS_LEASE_MILLIS: "1000" })
      yield* Effect.addFinalizer(() => Effect.sync(() => holder.process.kill("SIGKILL")))
      yield* Effect.promise(() => holder.waitFor("held"))
      const here = yield* Layer.build(runner({ uploads: 1, leaseMillis: 1000, pollMillis: 100 }))
      const slots = Context.get(here, ClusterLimits.UploadSlots)
      let killed = false
      const enteredAfterKill = yield* Deferred.make<boolean>()
      const waiter = yield* Effect.forkChild(slots.withSlot(Effect.suspend(() => Deferred.succeed(enteredAfterKill, killed))))
      // Let this runner queue and try (the slot is held, so it must wait), then kill the holder.
      yield* Effect.sleep(500)
      killed = true
      holder.process.kill("SIGKILL")
      const { signal } = yield* Effect.promise(() => holder.exited)
      assert.strictEqual(signal, "SIGKILL")
      assert.isTrue(yield* Deferred.await(enteredAfterKill), "the slot was entered while its holder was alive")
      yield* Fiber.join(waiter)
      assert.deepStrictEqual(yield* slotRows, [{ slot: 0, holder: null }], "freed after use")
    }).pipe(Effect.scoped), 60_000)

  it.live("an interrupted withSlot frees its slot at once, and an interrupted waiter takes none", () =>
    Effect.gen(function*() {
      // A lease far longer than the test: only the release on interruption can free the slot in time.
      const here = yield* Layer.build(runner({ uploads: 1, leaseMillis: 600_000, pollMillis: 60_000 }))
      const slots = Context.get(here, ClusterLimits.UploadSlots)
      const inside = yield* Deferred.make<void>()
      const holding = yield* Effect.forkChild(slots.withSlot(Effect.andThen(Deferred.succeed(inside, undefined), Effect.never)))
      yield* Deferred.await(inside)
      const waiting = yield* Effect.forkChild(slots.withSlot(Effect.void))
      yield* Fiber.interrupt(waiting)
      yield* Fiber.interrupt(holding)
      const next = yield* slots.withSlot(Effect.succeed("entered")).pipe(Effect.timeoutOption("30 seconds"))
      assert.deepStrictEqual(next, Option.some("entered"))
      assert.deepStrictEqual(yield* slotRows, [{ slot: 0, holder: null }])
    }).pipe(Effect.scoped), 60_000)

  it.live("a live holder keeps its slot past many leases: renewals hold it until it is released", () =>
    Effect.gen(function*() {
      const options = { uploads: 1, leaseMillis: 300, pollMillis: 50 }
      const [a, b] = [yield* Layer.build(runner(options)), yield* Layer.build(runner(options))]
      let holderDone = false
      const inside = yield* Deferred.make<void>()
      const holding = yield* Effect.forkChild(Context.get(a, ClusterLimits.UploadSlots).withSlot(
        Effect.gen(function*() {
          yield* Deferred.succeed(inside, undefined)
          // Six leases long: without renewals the slot would expire and go to the other runner meanwhile.
          yield* Effect.sleep(1800)
          holderDone = true
        })
      ))
      yield* Deferred.await(inside)
      const sawHolderDone = yield* Context.get(b, ClusterLimits.UploadSlots).withSlot(Effect.sync(() => holderDone))
      assert.isTrue(sawHolderDone, "the other runner took the slot while its holder was still running")
      yield* Fiber.join(holding)
    }).pipe(Effect.scoped), 60_000)

  it.live("two runners: never more uploads at once than the bound, and both get slots", () =>
    Effect.gen(function*() {
      const options = { uploads: 2, leaseMillis: 10_000, pollMillis: 200 }
      const runners = [yield* Layer.build(runner(options)), yield* Layer.build(runner(options))]
      let running = 0
      let most = 0
      const done = [0, 0]
      const upload = (who: number) =>
        Effect.gen(function*() {
          running++
          most = Math.max(most, running)
          yield* Effect.sleep(30)
          running--
          done[who]!++
        })
      yield* Effect.forEach(
        Array.from({ length: 16 }, (_, i) => i % 2),
        (who) => Context.get(runners[who]!, ClusterLimits.UploadSlots).withSlot(upload(who)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(most, 2)
      assert.deepStrictEqual(done, [8, 8])
    }).pipe(Effect.scoped), 60_000)

  it.live("a pause met by one runner holds every runner's requests until it ends", () =>
    Effect.gen(function*() {
      const options = { requestsPerSecond: 50, burst: 5 }
      const [a, b] = [yield* Layer.build(runner(options)), yield* Layer.build(runner(options))]
      const limiterOf = (context: typeof a) =>
        Effect.map(
          Context.get(context, ClusterLimits.RequestBudget).limiter("pause-app"),
          (limiter) => limiter as ClusterLimits.PgLimiter
        )
      const [limiterA, limiterB] = [yield* limiterOf(a), yield* limiterOf(b)]
      // B holds slots of its own (its second batch is larger than what it spends).
      yield* limiterB.take
      yield* limiterB.take
      const pausedAt = Date.now()
      assert.isTrue(yield* limiterA.pause(1000))
      assert.isFalse(yield* limiterA.pause(500), "a shorter pause does not start a new one")
      // B hears of it (NOTIFY) and drops what it holds; its next request waits for the end of the pause.
      while ((yield* limiterB.stats).pauses === 0) yield* Effect.sleep(10)
      yield* limiterB.take
      // The pause ends 1000 ms after it was recorded (on the database's clock, read within this round trip).
      assert.isAtLeast(Date.now() - pausedAt, 1000 - 20)
    }).pipe(Effect.scoped), 60_000)

  it.live("two worker processes share the budget in a durable folder ingest: no 429, every file CLOSED once, nothing OPEN", () =>
    Effect.gen(function*() {
      // Iconik's believed budget: 50 per second, a burst of 50, 1000 per 20 s. The workers pace the cluster at 48/s.
      const emulator = yield* IconikEmulator.serve({})
      const database = yield* Effect.acquireRelease(
        Effect.promise(() => freshDatabase("cluster_limits_durable")),
        (db) => Effect.promise(() => dropFreshDatabase(db))
      )
      const env = {
        ICONIK_BASE_URL: emulator.baseUrl,
        ICONIK_APP_ID: emulator.credentials.appId,
        ICONIK_AUTH_TOKEN: emulator.credentials.authToken
      }
      const ports = yield* Effect.promise(() => Promise.all([freePort(), freePort()]))
      for (const port of ports) {
        yield* Effect.acquireRelease(
          Effect.promise(() => startWorker(database, port, env, { concurrency: 8, requestsPerSecond: 48 })),
          (worker) => Effect.promise(() => stopWorker(worker))
        )
      }
      yield* Effect.promise(() => shardsSettled(database, 2))
      const count = 60
      const folder = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "cluster-limits-durable-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(folder, { recursive: true, force: true })))
      const names = Array.from({ length: count }, (_, i) => `small-${i}.bin`)
      names.forEach((name, i) => Fs.writeFileSync(NodePath.join(folder, name), Buffer.alloc(2048, `${i} `)))

      const engine = Engine.layerPostgres({ url: Redacted.make(database), clientOnly: true })
      const id = yield* Runs.submitIngestFolder({ folder, concurrency: 16 }).pipe(Effect.provide(engine))
      const state = yield* Runs.join("effect-iconik/ingestFolder", id, { every: 250 }).pipe(Effect.provide(engine))
      assert.strictEqual(state._tag, "Succeeded", JSON.stringify(state))
      const report = (state as { readonly result: { ingested: ReadonlyArray<unknown>; failed: ReadonlyArray<unknown> } }).result
      assert.strictEqual(report.ingested.length, count)
      assert.deepStrictEqual(report.failed, [])

      const requests = yield* emulator.requests
      assert.strictEqual(requests.filter((r) => r.status === 429).length, 0)
      const times = requests.map((r) => r.at)
      assert.isAtMost(busiest(times, 1000), 50 + 50)
      assert.isAtMost(busiest(times, 20_000), 1000)
      const files = [...emulator.state.files.values()]
      assert.deepStrictEqual(files.filter((f) => f.status === "CLOSED").map((f) => f.name).sort(), [...names].sort())
      assert.strictEqual(files.length, count, "one file record per file")
      assert.deepStrictEqual(files.filter((f) => f.status === "OPEN").map((f) => f.name), [])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath_.layer, NodeHttpClient.layerUndici))), 180_000)

  it.live("layerPgConfig reads DATABASE_URL; without it, a ConfigError", () =>
    Effect.gen(function*() {
      const here = yield* Layer.build(ClusterLimits.layerPgConfig()).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { DATABASE_URL: url } }))
      )
      const limiter = yield* Context.get(here, ClusterLimits.RequestBudget).limiter("config-app")
      yield* limiter.take
      assert.strictEqual(((yield* (limiter as ClusterLimits.PgLimiter).stats)).granted, 1)
      const missing = yield* Effect.flip(Layer.build(ClusterLimits.layerPgConfig())).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))
      )
      assert.strictEqual(missing._tag, "ConfigError")
    }).pipe(Effect.scoped))

  it.live("bad options are a typed error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(runner({ uploads: 0 })))
      assert.strictEqual(error._tag, "InvalidClusterLimits")
      const memory = yield* Effect.flip(Layer.build(ClusterLimits.layerMemory({ requestsPerSecond: Number.NaN })))
      assert.strictEqual(memory._tag, "InvalidClusterLimits")
    }).pipe(Effect.scoped))
})

describe("cluster limits in one process (memory)", () => {
  it.live("layerMemory bounds the uploads running at once", () =>
    Effect.gen(function*() {
      const slots = yield* ClusterLimits.UploadSlots
      let running = 0
      let most = 0
      const upload = Effect.gen(function*() {
        most = Math.max(most, ++running)
        yield* Effect.sleep(5)
        running--
      })
      yield* Effect.forEach(Array.from({ length: 8 }), () => slots.withSlot(upload), { concurrency: "unbounded" })
      assert.strictEqual(most, 3)
    }).pipe(Effect.provide(ClusterLimits.layerMemory({ uploads: 3 }))))

  it.effect("clients made with layerClient share their App-ID's limiter: a pause met by one holds the others", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const budget = yield* ClusterLimits.RequestBudget
      const options = {
        appId: emulator.credentials.appId,
        authToken: emulator.credentials.authToken,
        baseUrl: emulator.baseUrl,
        retry: false
      } as const
      assert.strictEqual(yield* budget.limiter(options.appId), yield* budget.limiter(options.appId))
      const limiter = yield* budget.limiter(options.appId)
      // What a 429 met by another client of the App-ID does.
      yield* limiter.pause(1000)
      const call = yield* Effect.forkChild(users.getCurrentUser().pipe(Effect.provide(ClusterLimits.layerClient(options))))
      yield* TestClock.adjust(999)
      assert.strictEqual((yield* emulator.requests).length, 0, "no request inside the pause")
      yield* TestClock.adjust(1)
      yield* Fiber.join(call)
      assert.strictEqual((yield* emulator.requests).length, 1)
    }).pipe(
      Effect.provide(ClusterLimits.layerMemory({ requestsPerSecond: 10, burst: 1 })),
      Effect.provide(IconikEmulator.layer({ rateLimit: false }))
    ))
})
