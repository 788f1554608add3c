/**
 * A cancel's clean-up outlives its runner: a runner process (PostgreSQL) is killed with SIGKILL while it cleans up a
 * cancelled ingest (its asset delete held by the emulator); the runner started next finishes the clean-up. The steps
 * that completed are not sent again and the rest does no harm: no OPEN record, no unfinished upload, no asset left,
 * the run cancelled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Path, Redacted } from "effect"
import * as Engine from "../../durable/Engine.ts"
import * as RunList from "../../durable/RunList.ts"
import * as Runs from "../../durable/Runs.ts"
import { check, snapshot } from "../../soak/invariants.ts"
import * as Faults from "../../src/testing/emulator/Faults.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"
import { eventually, kill, runnerEnv, startRunner } from "./processes.ts"
import { IconikEmulator, mediaFolder, MiB, stillOpen, storageRequests, withDelaysHeld } from "../workflows/support.ts"

const assetRoute = "/API/assets/v1/assets/{asset_id}/"
const fileRoute = "/API/files/v1/assets/{asset_id}/files/{file_id}/"
const filesRoute = "/API/files/v1/assets/{asset_id}/files/"

describe.skipIf(pgSkipReason !== undefined)("a cancelled durable ingest whose runner dies in the clean-up (PostgreSQL)", () => {
  it.live("the next runner finishes the clean-up: nothing OPEN, no upload, no asset, the record marked FAILED once", () =>
    withDelaysHeld(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* Effect.acquireRelease(Effect.promise(() => freshDatabase("durable_cancel")), (url) =>
        Effect.promise(() => dropFreshDatabase(url)))
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "held.mov": 12 * MiB })
      const file = path.join(dir, "held.mov")
      // Part 2 is held until the test ends, the clean-up's asset delete until the client gives it up (60 s).
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 600_000 }, operation: "UploadPart", partNumber: 2 })
      yield* emulator.addFault({ fault: Faults.latency(600_000), method: "DELETE", route: assetRoute, times: 1 })
      const env = runnerEnv(emulator, url)
      const submit = JSON.stringify({ workflow: "ingestFile", options: { file, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 } })
      const first = yield* startRunner({ ...env, SUBMIT: submit })
      yield* eventually("part 1 stored", Effect.map(storageRequests("UploadPart"), (parts) => parts.length === 1), [first])
      const executionId = /SUBMITTED (\S+)/.exec(first.output())?.[1]
      assert.isDefined(executionId, first.output())

      // Cancelled from this process, as `iconik runs cancel` does (a client of the cluster, running nothing).
      const client = Layer.merge(
        Engine.layerPostgres({ url: Redacted.make(url), clientOnly: true }),
        Engine.layerSql(Redacted.make(url))
      )
      const requests = (method: string, template: string) =>
        Effect.map(emulator.requests, (all) => all.filter((r) => r.method === method && r.template === template).length)
      yield* Runs.cancel("effect-iconik/ingestFile", executionId!).pipe(Effect.provide(client))
      // The clean-up's last step lists the asset's files, then deletes it (held): the runner dies in that step.
      yield* eventually("the clean-up in its last step", Effect.map(requests("GET", filesRoute), (n) => n === 1), [first])
      yield* kill(first)
      assert.strictEqual(yield* requests("PATCH", fileRoute), 1)
      assert.strictEqual(yield* requests("DELETE", assetRoute), 0)

      const second = yield* startRunner(env)
      const cleaned = Effect.map(
        Effect.all([stillOpen, emulator.objectStore.pendingUploads, snapshot(emulator)]),
        ([open, pending, state]) => open.length === 0 && pending.length === 0 && check(state, []).violations.length === 0
      )
      yield* eventually("the clean-up finished", cleaned, [second])
      // The first runner marked the record FAILED: the second replayed that step (nothing sent again), and ran the
      // step it died in again.
      assert.strictEqual(yield* requests("PATCH", fileRoute), 1, second.output())
      assert.strictEqual(yield* requests("GET", filesRoute), 2, second.output())
      assert.strictEqual(yield* requests("DELETE", assetRoute), 1, second.output())
      assert.deepStrictEqual([...emulator.state.files.values()].map((f) => f.status), ["FAILED"])
      assert.strictEqual((yield* storageRequests("CompleteMultipartUpload")).length, 0)
      // The run records its end once its clean-up has run.
      const state = Effect.map(Effect.flatMap(RunList.find(executionId!), RunList.status), (run) => run.state).pipe(
        Effect.provide(client)
      )
      yield* eventually("the run ended", Effect.map(state, (now) => now !== "running"), [second])
      assert.strictEqual(yield* state, "cancelled")
    }).pipe(Effect.scoped)), 240_000)
})
