/**
 * What the durable workflows keep beside the engine's own tables: each execution's upload checkpoints (the storage
 * upload and its stored parts, so a runner on another machine continues an upload sending no stored part again) and
 * when each reconciling step first began (so a step cut off by a runner's death looks for what it made before acting
 * again). In memory for the memory engine, in the engine's PostgreSQL otherwise.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { SqlClient } from "effect/sql"
import type * as Checkpoint from "../workflows/Checkpoint.ts"
import * as Tables from "./Tables.ts"

export interface DurableStoreShape {
  /** The checkpoint lines of one execution (keyed by the media path and workflow within it), kept until it is forgotten. */
  readonly checkpoints: (executionId: string) => Checkpoint.CheckpointLines
  /**
   * Records that `step` of `executionId` begins, and answers when an earlier attempt of it began (`None`: this is
   * the first).
   */
  readonly stepBegins: (executionId: string, step: string) => Effect.Effect<Option.Option<number>>
  /** Forgets what one execution kept (its checkpoints and step marks): for finished runs being pruned. */
  readonly forget: (executionId: string) => Effect.Effect<void>
}

export class DurableStore extends Context.Service<DurableStore, DurableStoreShape>()("effect-iconik/durable/DurableStore") {}

/** The store in this process's memory (the memory engine's). */
export const layerMemory: Layer.Layer<DurableStore> = Layer.sync(DurableStore, () => {
  const lines = new Map<string, Array<string>>()
  const marks = new Map<string, number>()
  const key = (executionId: string, mediaPath: string, workflow: string) => JSON.stringify([executionId, workflow, mediaPath])
  return DurableStore.of({
    checkpoints: (executionId) => ({
      read: (mediaPath, workflow) => Effect.sync(() => [...(lines.get(key(executionId, mediaPath, workflow)) ?? [])]),
      append: (mediaPath, workflow, line) =>
        Effect.sync(() => {
          const k = key(executionId, mediaPath, workflow)
          lines.set(k, [...(lines.get(k) ?? []), line])
        })
    }),
    stepBegins: (executionId, step) =>
      Effect.sync(() => {
        const k = JSON.stringify([executionId, step])
        const earlier = marks.get(k)
        if (earlier === undefined) marks.set(k, Date.now())
        return Option.fromNullishOr(earlier)
      }),
    forget: (executionId) =>
      Effect.sync(() => {
        for (const k of [...lines.keys()]) if ((JSON.parse(k) as Array<string>)[0] === executionId) lines.delete(k)
        for (const k of [...marks.keys()]) if ((JSON.parse(k) as Array<string>)[0] === executionId) marks.delete(k)
      })
  })
})

/**
 * The store in PostgreSQL (the tables are made when missing). A failed write is logged, not raised: a checkpoint
 * line lost costs the ability to resume that upload, and a step mark lost makes a re-run create send again after its
 * own reconciliation of lost answers.
 */
export const layerSql: Layer.Layer<DurableStore, never, SqlClient.SqlClient> = Layer.effect(
  DurableStore,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Effect.orDie(Tables.create("iconik_durable", [
      `CREATE TABLE IF NOT EXISTS iconik_durable_checkpoints (
        seq BIGSERIAL PRIMARY KEY,
        execution_id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        media_path TEXT NOT NULL,
        line TEXT NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS iconik_durable_checkpoints_key
        ON iconik_durable_checkpoints (execution_id, workflow, media_path)`,
      `CREATE TABLE IF NOT EXISTS iconik_durable_steps (
        execution_id TEXT NOT NULL,
        step TEXT NOT NULL,
        began_at BIGINT NOT NULL,
        PRIMARY KEY (execution_id, step)
      )`
    ]))
    const logged = <A>(what: string, fallback: A) => <E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.catchCause(effect, (cause) => Effect.as(Effect.logWarning(`durable store: ${what} failed`, cause), fallback))
    return DurableStore.of({
      checkpoints: (executionId) => ({
        read: (mediaPath, workflow) =>
          sql<{ readonly line: string }>`SELECT line FROM iconik_durable_checkpoints
            WHERE execution_id = ${executionId} AND workflow = ${workflow} AND media_path = ${mediaPath} ORDER BY seq`.pipe(
            Effect.map((rows) => rows.map((row) => row.line)),
            logged("reading a checkpoint", [] as ReadonlyArray<string>)
          ),
        append: (mediaPath, workflow, line) =>
          sql`INSERT INTO iconik_durable_checkpoints (execution_id, workflow, media_path, line)
            VALUES (${executionId}, ${workflow}, ${mediaPath}, ${line})`.pipe(Effect.asVoid, logged("writing a checkpoint", undefined as void))
      }),
      // One statement: the mark is made, or the earlier one read (an activity is a few statements in all).
      stepBegins: (executionId, step) =>
        sql<{ readonly began_at: string | number }>`WITH mark AS (
            INSERT INTO iconik_durable_steps (execution_id, step, began_at) VALUES (${executionId}, ${step}, ${Date.now()})
            ON CONFLICT DO NOTHING RETURNING began_at
          )
          SELECT began_at FROM iconik_durable_steps
          WHERE execution_id = ${executionId} AND step = ${step} AND NOT EXISTS (SELECT 1 FROM mark)`.pipe(
          Effect.map((rows) => rows.length === 0 ? Option.none<number>() : Option.some(Number(rows[0]!.began_at))),
          logged("marking a step", Option.none<number>())
        ),
      forget: (executionId) =>
        Effect.all([
          sql`DELETE FROM iconik_durable_checkpoints WHERE execution_id = ${executionId}`,
          sql`DELETE FROM iconik_durable_steps WHERE execution_id = ${executionId}`
        ]).pipe(Effect.asVoid, logged("forgetting an execution", undefined as void))
    })
  })
)
