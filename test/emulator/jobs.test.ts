/** Jobs: triggers start jobs that run on effect's Clock (driven here by TestClock); `PUT jobs/state/` controls them. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { assets, files, jobs } from "../../src/generated/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

const emulator = IconikEmulator.layerClient(
  { rateLimit: false, jobs: { startAfter: "1 second", duration: "10 seconds", abortAfter: "500 millis" } },
  { rateLimit: false, retry: false }
)

/** An asset with a CLOSED proxy, ready for triggers. */
const assetWithProxy = Effect.gen(function*() {
  const asset = yield* assets.createAsset({ body: { title: "Trigger me" } })
  const proxy = yield* files.createAssetProxy({ asset_id: asset.id, body: { name: "proxy.mp4", status: "CLOSED" } })
  return { asset, proxy: { ...proxy, id: proxy.id! } }
})

describe("emulator-driven jobs", () => {
  it.effect("a keyframes trigger answers {job_id}; the job goes READY → STARTED (progress, steps) → FINISHED", () =>
    Effect.gen(function*() {
      const { asset, proxy } = yield* assetWithProxy
      const { job_id } = yield* files.createAssetProxyKeyframe({ asset_id: asset.id, proxy_id: proxy.id, body: {} })
      const jobId = job_id!
      const ready = yield* jobs.getJob({ job_id: jobId })
      assert.deepStrictEqual([ready.status, ready.type, ready.object_id], ["READY", "KEYFRAMES", proxy.id])

      yield* TestClock.adjust("1 second")
      const started = yield* jobs.getJob({ job_id: jobId })
      assert.strictEqual(started.status, "STARTED")
      assert.deepStrictEqual(started.steps?.map((s) => s.status), ["DONE", "IN_PROGRESS"])

      yield* TestClock.adjust("4 seconds")
      const halfway = yield* jobs.getJob({ job_id: jobId })
      assert.strictEqual(halfway.progress, 40)
      assert.strictEqual(halfway.progress_processed, 40)

      assert.strictEqual((yield* files.listAssetKeyframes({ asset_id: asset.id })).objects?.length, 0)
      yield* TestClock.adjust("6 seconds")
      const finished = yield* jobs.getJob({ job_id: jobId })
      assert.deepStrictEqual([finished.status, finished.progress], ["FINISHED", 100])
      assert.deepStrictEqual(finished.steps?.map((s) => s.status), ["DONE", "DONE"])
      assert.isString(finished.completed_at)
      // The finished job left its keyframe and poster behind.
      const keyframes = yield* files.listAssetKeyframes({ asset_id: asset.id })
      assert.deepStrictEqual(keyframes.objects?.map((k) => k.type).sort(), ["KEYFRAME", "POSTER"])
      // …with bytes behind them, so their signed URLs work.
      assert.isTrue(keyframes.objects?.every((k) => k.status === "CLOSED" && k.url?.includes("/_storage/s3/iconik-keyframes/")))
      // (The proxy was registered CLOSED without bytes: the only record the size check flags.)
      const flagged = yield* (yield* IconikEmulator).verifyClosedUploads
      assert.deepStrictEqual(flagged.map((m) => [m.kind, m.record.id]), [["proxy", proxy.id]])
    }).pipe(Effect.provide(emulator)))

  it.effect("PAUSE stops the clock of a job, RESUME continues it, ABORT → ABORT_PENDING → ABORTED, RESTART", () =>
    Effect.gen(function*() {
      const { asset } = yield* assetWithProxy
      const format = yield* files.createAssetFormat({ asset_id: asset.id, body: { name: "ORIGINAL" } })
      const fileSet = yield* files.createAssetFileSet({
        asset_id: asset.id,
        body: { format_id: format.id, base_dir: "", name: "fs", component_ids: [] }
      })
      const file = yield* files.createAssetFile({
        asset_id: asset.id,
        body: { original_name: "a.mov", directory_path: "", type: "FILE", file_set_id: fileSet.id, status: "CLOSED" }
      })
      const { job_id } = yield* files.createAssetFileMediainfo({ asset_id: asset.id, file_id: file.id, body: {} })
      const jobId = job_id!
      const state = (action: "PAUSE" | "RESUME" | "ABORT" | "RESTART") =>
        jobs.updateJobsState({ body: { job_ids: [jobId], action } })
      const status = Effect.map(jobs.getJob({ job_id: jobId }), (job) => [job.status, job.progress])

      yield* TestClock.adjust("3 seconds") // started 2 s ago: 20 %
      assert.deepStrictEqual(yield* status, ["STARTED", 20])
      const answer = yield* raw("PUT", "/API/jobs/v1/jobs/state/", { body: { job_ids: [jobId], action: "PAUSE" } })
      assert.deepStrictEqual([answer.status, answer.text], [201, ""])
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* status, ["PAUSED", 20])
      yield* state("RESUME")
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual(yield* status, ["STARTED", 50])

      yield* state("ABORT")
      assert.deepStrictEqual(yield* status, ["ABORT_PENDING", 50])
      yield* TestClock.adjust("500 millis")
      assert.deepStrictEqual(yield* status, ["ABORTED", 50])

      yield* state("RESTART")
      assert.deepStrictEqual(yield* status, ["READY", 0])
      yield* TestClock.adjust("11 seconds")
      assert.deepStrictEqual(yield* status, ["FINISHED", 100])
    }).pipe(Effect.provide(emulator)))
})

describe("jobs API", () => {
  it.effect("custom jobs move only when PATCHed; lists filter, facet and cap per_page at 100", () =>
    Effect.gen(function*() {
      const job = yield* jobs.createJob({
        body: { title: "Sync to archive", type: "CUSTOM", status: "READY", custom_type: "archive-sync" }
      })
      yield* TestClock.adjust("1 hour")
      assert.strictEqual((yield* jobs.getJob({ job_id: job.id })).status, "READY")
      const running = yield* jobs.patchJob({
        job_id: job.id,
        // The spec's JobSchema requires title, type and status on PATCH too.
        body: { title: "Sync to archive", type: "CUSTOM", status: "STARTED", progress_processed: 3, progress_total: 4 }
      })
      assert.deepStrictEqual([running.status, running.progress], ["STARTED", 75])
      assert.isString(running.started_at)
      const withSteps = yield* jobs.updateJobSteps({
        job_id: job.id,
        body: { steps: [{ id: "5f0c3a10-0000-1000-8000-000000000001", label: "Copy", status: "IN_PROGRESS" }] }
      })
      assert.deepStrictEqual(withSteps.steps?.map((s) => s.label), ["Copy"])

      yield* jobs.updateJobsState({ body: { job_ids: [job.id], action: "ABORT" } })
      yield* TestClock.adjust("1 hour")
      // Nobody but the integration can finish an abort of its own job.
      assert.strictEqual((yield* jobs.getJob({ job_id: job.id })).status, "ABORT_PENDING")
      yield* jobs.patchJob({ job_id: job.id, body: { title: "Sync to archive", type: "CUSTOM", status: "ABORTED" } })

      yield* jobs.createJob({ body: { title: "Another", type: "CUSTOM", status: "FINISHED" } })
      const aborted = yield* jobs.listJobs({ query: { status: "ABORTED" } })
      assert.deepStrictEqual(aborted.objects?.map((j) => j.id), [job.id])
      assert.deepStrictEqual((yield* jobs.listJobs()).facets?.status, {
        buckets: [{ key: "ABORTED", doc_count: 1 }, { key: "FINISHED", doc_count: 1 }]
      })
      const tooMany = yield* jobs.listJobs({ query: { per_page: 101 } }).pipe(Effect.flip)
      assert.strictEqual(tooMany._tag, "IconikBadRequest")
      yield* jobs.deleteJob({ job_id: job.id })
      assert.strictEqual((yield* jobs.getJob({ job_id: job.id }).pipe(Effect.flip))._tag, "IconikNotFound")
    }).pipe(Effect.provide(emulator)))
})
