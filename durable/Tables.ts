/**
 * The one way the durable module makes its tables. Runners starting together against a new database would race on
 * `CREATE TABLE IF NOT EXISTS` (PostgreSQL answers a unique violation on its catalogue to the loser), so creation is
 * serialised on a transaction-scoped advisory lock.
 */
import * as Effect from "effect/Effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

/** Runs `statements` (DDL with `IF NOT EXISTS`) in one transaction holding the advisory lock named `lock`. */
export const create = (
  lock: string,
  statements: ReadonlyArray<string>
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext(${lock}))`
      for (const statement of statements) yield* sql.unsafe(statement)
    }))
  })
