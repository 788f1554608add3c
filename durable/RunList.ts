/**
 * The one reader of Effect's cluster message tables (`cluster_messages`, `cluster_replies`; Effect's cluster module is
 * marked unstable: these queries are what to check on an upgrade). The runs a durable engine's database holds, for the `iconik runs` command: which executions were submitted (read
 * from the cluster's message table, where each execution's `run` request is stored once), and their state as the
 * engine itself reports it (`Runs.poll`). Also the checks a command makes before it uses a database: reachable, and
 * holding the engine's tables. And pruning what finished runs keep.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Snowflake from "effect/cluster/Snowflake"
import { SqlClient } from "effect/sql"
import type { WorkflowEngine } from "effect/workflow"
import * as Runs from "./Runs.ts"
import { DurableStore } from "./Store.ts"

/** The database answers but holds no durable engine (no worker has run against it). */
export class EngineTablesMissing extends Schema.TaggedError<EngineTablesMissing>()("EngineTablesMissing", {
  database: Schema.String
}) {
  override get message() {
    return `No durable workflow engine in the database ${this.database}: its tables are missing`
  }
}

/** No run with this execution id in the database. */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  executionId: Schema.String
}) {
  override get message() {
    return `No run ${this.executionId} in this database`
  }
}

/** The cluster's table of requests; Effect's default table prefix (`cluster_`). */
const messagesTable = "cluster_messages"

/** Where the cluster engine keeps a child execution's parent, in the child's payload. */
const parentKey = "~effect/cluster/ClusterWorkflowEngine/payloadParentKey"

/** Fails with {@link EngineTablesMissing} unless the engine's tables are there. */
export const requireTables = (database: string): Effect.Effect<void, EngineTablesMissing, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly present: boolean }>`SELECT to_regclass(${messagesTable}) IS NOT NULL AS present`.pipe(
      Effect.orDie
    )
    if (rows[0]?.present !== true) return yield* new EngineTablesMissing({ database })
  })

/** One submitted execution, as stored. */
export interface RunRow {
  readonly executionId: string
  readonly workflow: Runs.WorkflowName
  /** When it was submitted (from the request's snowflake id), ms since the epoch. */
  readonly submittedAt: number
  /** The payload as submitted (JSON). */
  readonly payload: Record<string, unknown>
}

interface MessageRow {
  readonly id: string | number | bigint
  readonly entity_type: string
  readonly entity_id: string
  readonly payload: string | null
}

const known = new Set<string>(Object.keys(Runs.byName))

const toRun = (row: MessageRow): RunRow | undefined => {
  const workflow = row.entity_type.slice("Workflow/".length)
  if (!known.has(workflow)) return undefined
  let payload: Record<string, unknown> = {}
  try {
    const parsed: unknown = row.payload === null ? {} : JSON.parse(row.payload)
    if (typeof parsed === "object" && parsed !== null) payload = parsed as Record<string, unknown>
  } catch {
    // a payload the engine wrote and we cannot read: list the run without it
  }
  return {
    executionId: row.entity_id,
    workflow: workflow as Runs.WorkflowName,
    submittedAt: Snowflake.timestamp(Snowflake.Snowflake(String(row.id))),
    payload
  }
}

/** The newest `limit` runs of the workflows this SDK defines, newest first. */
export const list = (limit: number): Effect.Effect<ReadonlyArray<RunRow>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // A folder's files are runs of their own (children): listed under their folder's run, not here.
    const rows = yield* sql<MessageRow>`SELECT id, entity_type, entity_id, payload FROM ${sql(messagesTable)}
      WHERE tag = 'run' AND entity_type IN ${sql.in([...known].map((name) => `Workflow/${name}`))}
      AND position(${parentKey} in coalesce(payload, '')) = 0
      ORDER BY id DESC LIMIT ${limit}`.pipe(Effect.orDie)
    return rows.flatMap((row) => toRun(row) ?? [])
  })

/** The child runs (one per file) a folder's run `executionId` has started so far. */
export const children = (executionId: string): Effect.Effect<ReadonlyArray<RunRow>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<MessageRow>`SELECT id, entity_type, entity_id, payload FROM ${sql(messagesTable)}
      WHERE tag = 'run' AND position(${parentKey} in coalesce(payload, '')) > 0
      AND (payload::jsonb -> ${parentKey} ->> 'executionId') = ${executionId}
      ORDER BY id`.pipe(Effect.orDie)
    return rows.flatMap((row) => toRun(row) ?? [])
  })

export interface FolderProgress {
  /** Files handed to a child run so far (skipped files get none). */
  readonly started: number
  readonly done: number
  readonly failed: number
  /** Bytes of the files done. */
  readonly bytes: number
}

/**
 * How far a folder's run is: its children's states. `finished` holds the children known to have ended (their state
 * does not change), so following a large folder polls only the files still running.
 */
export const folderProgress = (
  executionId: string,
  finished: Map<string, RunStatus> = new Map()
): Effect.Effect<FolderProgress, never, SqlClient.SqlClient | WorkflowEngine.WorkflowEngine> =>
  Effect.gen(function*() {
    const rows = yield* children(executionId)
    const open = rows.filter((row) => !finished.has(row.executionId))
    const states = yield* Effect.forEach(open, status, { concurrency: 8 })
    for (const state of states) if (state.state !== "running" && state.state !== "suspended") finished.set(state.executionId, state)
    const ended = [...finished.values()]
    const done = ended.filter((run) => run.state === "complete")
    return {
      started: rows.length,
      done: done.length,
      failed: ended.length - done.length,
      bytes: done.reduce((sum, run) => sum + (typeof run.payload.size === "number" ? run.payload.size : 0), 0)
    }
  })

/** The run `executionId`, or {@link RunNotFound}. */
export const find = (executionId: string): Effect.Effect<RunRow, RunNotFound, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<MessageRow>`SELECT id, entity_type, entity_id, payload FROM ${sql(messagesTable)}
      WHERE tag = 'run' AND entity_id = ${executionId} AND entity_type IN ${
      sql.in([...known].map((name) => `Workflow/${name}`))
    } ORDER BY id LIMIT 1`.pipe(Effect.orDie)
    const run = rows[0] === undefined ? undefined : toRun(rows[0])
    if (run === undefined) return yield* new RunNotFound({ executionId })
    return run
  })

/** How the CLI names a run's state. */
export type StateName = "running" | "suspended" | "complete" | "failed" | "cancelled"

export interface RunStatus extends RunRow {
  readonly state: StateName
  /** What a complete run answered, or why a failed (or suspended) one stopped. */
  readonly detail?: unknown
}

/** A run's state, as the engine reports it. */
export const status = (run: RunRow): Effect.Effect<RunStatus, never, WorkflowEngine.WorkflowEngine> =>
  Effect.map(Runs.poll(run.workflow, run.executionId), (state): RunStatus => {
    switch (state._tag) {
      case "Succeeded":
        return { ...run, state: "complete", detail: state.result }
      case "Failed":
        // An interruption (`iconik runs cancel`) ends the run with a cause holding only interrupts.
        return Cause.isCause(state.error) && Cause.hasInterruptsOnly(state.error)
          ? { ...run, state: "cancelled" }
          : { ...run, state: "failed", detail: state.error }
      case "Suspended":
        return { ...run, state: "suspended", detail: state.reason }
      default:
        return { ...run, state: "running" }
    }
  })

/**
 * Deletes what finished executions (succeeded or failed) keep in the database: their messages and replies in Effect's
 * tables and their rows in the durable store. Storage grows by a few rows per step of every run (about 30 rows for a
 * one-file ingest) until pruned. Running and suspended executions are kept. Answers how many executions went.
 */
export const pruneFinished = (options?: { readonly finishedBefore?: Date | undefined }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const store = yield* DurableStore
    const before = options?.finishedBefore ?? new Date()
    const finished = yield* sql<{ readonly entity_type: string; readonly entity_id: string }>`
      SELECT m.entity_type, m.entity_id FROM cluster_messages m
      JOIN cluster_replies r ON r.request_id = m.id AND r.kind = 0
      WHERE m.tag = 'run' AND m.entity_type IN ${sql.in([...known].map((name) => `Workflow/${name}`))}
        AND (m.last_read IS NULL OR m.last_read < ${before})
        AND r.payload NOT LIKE '%"_tag":"Suspended"%'`
    for (const run of finished) {
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`DELETE FROM cluster_replies WHERE request_id IN (
          SELECT id FROM cluster_messages WHERE entity_type = ${run.entity_type} AND entity_id = ${run.entity_id})`
        yield* sql`DELETE FROM cluster_messages WHERE entity_type = ${run.entity_type} AND entity_id = ${run.entity_id}`
      }))
      yield* store.forget(run.entity_id)
    }
    return finished.length
  })
