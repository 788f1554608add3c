/**
 * Runners started together against a new database each make the durable tables: PostgreSQL answers the losers of
 * concurrent `CREATE TABLE IF NOT EXISTS` with a unique violation on its catalogue, which once killed a runner at
 * start. Each attempt below starts six "runners" (a pool each) on an empty database at once.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { ClusterLimits } from "../../durable/index.ts"
import * as Store from "../../durable/Store.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"

const runners = 6
const attempts = 3

const pool = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })

/** Starts `runners` builds of `make` at once on a new database; answers the tables found afterwards. */
const startTogether = (make: (url: string) => Effect.Effect<void, unknown>) =>
  Effect.gen(function*() {
    const url = yield* Effect.promise(() => freshDatabase("durable_tables"))
    return yield* Effect.gen(function*() {
      yield* Effect.forEach(Array.from({ length: runners }), () => make(url), { concurrency: "unbounded", discard: true })
      return yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ readonly name: string }>`
          SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`
        return rows.map((row) => row.name)
      }).pipe(Effect.provide(pool(url)))
    }).pipe(Effect.ensuring(Effect.promise(() => dropFreshDatabase(url))))
  })

describe.skipIf(pgSkipReason !== undefined)("durable tables made by runners starting together (PostgreSQL)", () => {
  it.live("the durable store: every runner starts, the tables exist once", () =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const tables = yield* startTogether((url) =>
          Effect.asVoid(Layer.build(Store.layerSql.pipe(Layer.provide(pool(url))))).pipe(Effect.scoped)
        )
        assert.deepStrictEqual(tables, ["iconik_durable_checkpoints", "iconik_durable_steps"])
      }
    }), 120_000)

  it.live("the cluster limits: every runner starts, the tables exist once", () =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const tables = yield* startTogether((url) =>
          ClusterLimits.createTables.pipe(Effect.provide(pool(url)), Effect.scoped)
        )
        assert.deepStrictEqual(tables, [
          "effect_iconik_request_budget",
          "effect_iconik_upload_queue",
          "effect_iconik_upload_slots"
        ])
      }
    }), 120_000)
})
