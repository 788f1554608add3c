/**
 * The PostgreSQL the durable-workflow suites run against, from `DATABASE_URL`. Start one as `.ci/run` does:
 *
 *   export "$(scripts/pg-up.sh)"     # DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres; scripts/pg-down.sh stops it
 *
 * Each suite takes a database of its own ({@link freshDatabase}), so suites running side by side never see each
 * other's workflow tables.
 */
import { PgClient } from "@effect/sql-pg"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { SqlClient } from "effect/sql"

export const databaseUrl: string | undefined = process.env.DATABASE_URL

/** Why the PostgreSQL suites are skipped, if they are. */
export const pgSkipReason: string | undefined = databaseUrl === undefined
  ? "set DATABASE_URL; scripts/pg-up.sh starts one"
  : undefined

const adminLayer = (url: string) => PgClient.layer({ url: Redacted.make(url) })

/**
 * Creates an empty database named `<prefix>_<random>` on the server of `DATABASE_URL` and answers its URL. The
 * database is dropped when `dropFreshDatabase` is called with it (suites do so in `afterAll`).
 */
export const freshDatabase = (prefix: string): Promise<string> => {
  const base = databaseUrl
  if (base === undefined) return Promise.reject(new Error(pgSkipReason))
  const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${Math.random().toString(36).slice(2, 10)}`
  return Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE DATABASE ${name}`)
      const url = new URL(base)
      url.pathname = `/${name}`
      return url.toString()
    }).pipe(Effect.provide(adminLayer(base)), Effect.scoped)
  )
}

/** Drops a database {@link freshDatabase} made (closing any connection left to it). */
export const dropFreshDatabase = (url: string): Promise<void> => {
  const base = databaseUrl
  if (base === undefined) return Promise.resolve()
  const name = new URL(url).pathname.slice(1)
  return Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }).pipe(Effect.provide(adminLayer(base)), Effect.scoped)
  )
}
