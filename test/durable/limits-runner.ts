/**
 * One runner process for the cluster-limits tests and benchmark (`node test/durable/limits-runner.ts <mode>`): its
 * own PostgreSQL pool and its own Iconik client, sharing limits with the other runners through the database.
 *
 * - `calls`: prints `ready`, waits for a line on stdin, makes `LIMITS_CALLS` calls (`LIMITS_CONCURRENCY` at once) to
 *   the emulator at `LIMITS_BASE_URL`, then prints one JSON line: calls that succeeded and failed, the limiter's
 *   granted slots and database round trips, and the milliseconds the calls took.
 * - `hold`: takes one upload slot (bound 1, lease `LIMITS_LEASE_MILLIS`), prints `held`, and keeps it until killed.
 *
 * Environment: `DATABASE_URL`, `LIMITS_APP_ID`, `LIMITS_AUTH_TOKEN`, `LIMITS_RATE`, `LIMITS_BURST`; `LIMITS_LAYER=memory`
 * gives the process a budget of its own instead (no database).
 */
import { NodeHttpClient } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { Effect, Exit, Layer, Redacted } from "effect"
import * as Readline from "node:readline"
import { ClusterLimits } from "../../durable/index.ts"
import * as users from "../../src/generated/users.ts"

const env = (name: string, fallback?: string) => {
  const value = process.env[name] ?? fallback
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const mode = process.argv[2]
const pg = PgClient.layer({ url: Redacted.make(env("DATABASE_URL")), maxConnections: 4 })

const firstLine = () =>
  new Promise<void>((resolve) => Readline.createInterface({ input: process.stdin }).once("line", () => resolve()))

const calls = () => Effect.gen(function*() {
  const total = Number(env("LIMITS_CALLS"))
  const concurrency = Number(env("LIMITS_CONCURRENCY", "16"))
  const budget = yield* ClusterLimits.RequestBudget
  const limiter = yield* budget.limiter(env("LIMITS_APP_ID"))
  const stats = "stats" in limiter ? (limiter as ClusterLimits.PgLimiter).stats : Effect.succeed({ granted: total, roundTrips: 0, late: 0 })
  console.log("ready")
  yield* Effect.promise(firstLine)
  const started = performance.now()
  const exits = yield* Effect.forEach(
    Array.from({ length: total }),
    () => Effect.exit(users.getCurrentUser()),
    { concurrency }
  )
  const millis = performance.now() - started
  const counts = yield* stats
  const failed = exits.filter(Exit.isFailure)
  console.log(JSON.stringify({
    ok: exits.length - failed.length,
    failed: failed.length,
    firstFailure: failed[0] === undefined ? undefined : String(failed[0].cause),
    granted: counts.granted,
    roundTrips: counts.roundTrips,
    late: counts.late,
    millis
  }))
}).pipe(
  Effect.provide(ClusterLimits.layerClient({
    appId: env("LIMITS_APP_ID"),
    authToken: env("LIMITS_AUTH_TOKEN"),
    baseUrl: env("LIMITS_BASE_URL"),
    // A 429 must show as a failed call, not be retried away.
    retry: false
  }).pipe(Layer.provide(NodeHttpClient.layerUndici)))
)

const hold = Effect.gen(function*() {
  const slots = yield* ClusterLimits.UploadSlots
  yield* slots.withSlot(Effect.andThen(Effect.sync(() => console.log("held")), Effect.never))
})

const program = mode === "calls" ? calls() : mode === "hold" ? hold : Effect.die(new Error(`unknown mode ${mode}`))

const limits = ClusterLimits.layerPg({
  requestsPerSecond: Number(env("LIMITS_RATE", "48")),
  burst: Number(env("LIMITS_BURST", "10")),
  uploads: 1,
  leaseMillis: Number(env("LIMITS_LEASE_MILLIS", "15000"))
})

// `LIMITS_LAYER=memory`: each process with a budget of its own (what runners without the shared limiter do).
const layer = process.env.LIMITS_LAYER === "memory"
  ? ClusterLimits.layerMemory({ requestsPerSecond: Number(env("LIMITS_RATE", "48")), burst: Number(env("LIMITS_BURST", "10")) })
  : limits.pipe(Layer.provide(pg))

Effect.runPromise(program.pipe(Effect.provide(layer), Effect.scoped)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
