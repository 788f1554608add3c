/**
 * `iconik runs prune` on a fresh PostgreSQL database: a run finished by a runner of this test, then pruned from the
 * shell. Skipped without `DATABASE_URL` (scripts/pg-up.sh starts one).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Path, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import * as Engine from "../../durable/Engine.ts"
import * as Runs from "../../durable/Runs.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"
import { skipTitle } from "../support/skip.ts"
import { IconikEmulator, mediaFolder, overSocket } from "../workflows/support.ts"
import { iconikWithEnv } from "./support.ts"

const database = Effect.acquireRelease(
  Effect.promise(() => freshDatabase("cli_runs_prune")),
  (url) => Effect.promise(() => dropFreshDatabase(url))
)

/** Rows the durable engine keeps for runs: Effect's messages and replies, and the durable store's. */
const rowsKept = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly messages: string; readonly replies: string; readonly steps: string; readonly checkpoints: string }>`
      SELECT (SELECT count(*) FROM cluster_messages)::text AS messages,
             (SELECT count(*) FROM cluster_replies)::text AS replies,
             (SELECT count(*) FROM iconik_durable_steps)::text AS steps,
             (SELECT count(*) FROM iconik_durable_checkpoints)::text AS checkpoints`
    return { messages: Number(row!.messages), replies: Number(row!.replies), steps: Number(row!.steps), checkpoints: Number(row!.checkpoints) }
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.scoped)

const runsJson = (url: string, ...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const ran = yield* iconikWithEnv({}, "runs", ...args, "--database", url, "--json")
    assert.strictEqual(ran.code, 0, ran.stderr)
    return JSON.parse(ran.stdout)
  })

describe(skipTitle("iconik runs prune", pgSkipReason), () => {
  it.live.skipIf(pgSkipReason !== undefined)("deletes finished runs older than asked, keeps younger ones; a pruned run submitted again runs again", () =>
    Effect.gen(function*() {
      const url = yield* database
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "a.mov": 2000 })
      const ingest = Runs.runIngestFile({ file: path.join(dir, "a.mov") }).pipe(
        Effect.provide(Engine.worker(Engine.layerPostgres({ url: Redacted.make(url) }))),
        Effect.scoped
      )
      yield* ingest

      const listed = yield* runsJson(url)
      assert.deepStrictEqual(listed.map((run: { state: string }) => run.state), ["complete"])
      const before = yield* rowsKept(url)
      assert.isAbove(before.messages, 0)
      assert.isAbove(before.steps, 0)

      // The default keeps a week: the run just finished stays.
      assert.strictEqual((yield* runsJson(url, "prune")).pruned, 0)
      assert.strictEqual((yield* runsJson(url)).length, 1)

      const pruned = yield* runsJson(url, "prune", "--older-than-days", "0")
      assert.strictEqual(pruned.pruned, 1)
      assert.deepStrictEqual(yield* runsJson(url), [])
      const after = yield* rowsKept(url)
      assert.deepStrictEqual({ ...after }, { messages: 0, replies: 0, steps: 0, checkpoints: 0 })

      // Its idempotency key is free again: the same file submitted once more makes a second asset.
      yield* ingest
      const emulator = yield* IconikEmulator
      assert.strictEqual([...emulator.state.files.values()].filter((f) => f.status === "CLOSED").length, 2)

      const bad = yield* iconikWithEnv({}, "runs", "prune", "--older-than-days", "-1", "--database", url)
      assert.notStrictEqual(bad.code, 0)
      assert.include(bad.stderr, "older-than-days")
    }).pipe(Effect.provide(overSocket()), Effect.scoped), 120_000)
})
