import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Jobs from "../../src/Jobs.ts"
import { scripted } from "./support.ts"

const job = (status: string, extra: Record<string, unknown> = {}) => ({
  id: "j1",
  title: "Transcode",
  type: "TRANSCODE",
  status,
  ...extra
})

/** Answers each poll with the next status of `statuses`, then keeps the last one. */
const sequence = (statuses: ReadonlyArray<ReturnType<typeof job>>) => {
  let polls = 0
  return () => ({ status: 200, body: statuses[Math.min(polls++, statuses.length - 1)] })
}

describe("Jobs", () => {
  it.live("create, patch (Pythonik's update), setState send the documented requests", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) =>
        s.path.endsWith("/state/") ? { status: 201 } : { status: s.method === "POST" ? 201 : 200, body: job("STARTED") }
      )
      yield* Jobs.create({ title: "Transcode", type: "CUSTOM", status: "STARTED", custom_type: "ingest" }).pipe(
        Effect.provide(layer)
      )
      yield* Jobs.patch("j1", { title: "Transcode", type: "CUSTOM", status: "FINISHED", progress_processed: 1 }).pipe(
        Effect.provide(layer)
      )
      yield* Jobs.setState(["j1", "j2"], "ABORT").pipe(Effect.provide(layer))
      assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.body]), [
        ["POST", "/API/jobs/v1/jobs/", { title: "Transcode", type: "CUSTOM", status: "STARTED", custom_type: "ingest" }],
        ["PATCH", "/API/jobs/v1/jobs/j1/", { title: "Transcode", type: "CUSTOM", status: "FINISHED", progress_processed: 1 }],
        ["PUT", "/API/jobs/v1/jobs/state/", { job_ids: ["j1", "j2"], action: "ABORT" }]
      ])
    }))

  describe("waitFor", () => {
    it.live("polls until a success status and returns the finished job", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(
          sequence([job("READY"), job("STARTED"), job("STARTED"), job("FINISHED_WITH_WARNING", { progress: 100 })])
        )
        const done = yield* Jobs.waitFor("j1", { interval: 5 }).pipe(Effect.provide(layer))
        assert.strictEqual(done.status, "FINISHED_WITH_WARNING")
        assert.strictEqual(done.progress, 100)
        assert.strictEqual(sent().length, 4)
        assert.ok(sent().every((s) => s.method === "GET" && s.path === "/API/jobs/v1/jobs/j1/"))
      }))

    it.live("onPoll sees every job polled, the final one included, in order", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(sequence([job("READY"), job("STARTED"), job("FAILED")]))
        const seen: Array<string> = []
        const error = yield* Jobs.waitFor("j1", {
          interval: 5,
          onPoll: (polled) => Effect.sync(() => seen.push(polled.status))
        }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "JobFailed")
        assert.deepStrictEqual(seen, ["READY", "STARTED", "FAILED"])
      }))

    it.live("SKIPPED counts as success", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(sequence([job("SKIPPED")]))
        const done = yield* Jobs.waitFor("j1", { interval: 5 }).pipe(Effect.provide(layer))
        assert.strictEqual(done.status, "SKIPPED")
      }))

    it.live("FAILED ends with a typed JobFailed carrying the job's error_message", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(
          sequence([job("STARTED"), job("FAILED", { error_message: "Unsupported codec" })])
        )
        const error = yield* Jobs.waitFor("j1", { interval: 5 }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "JobFailed")
        if (error._tag === "JobFailed") {
          assert.strictEqual(error.status, "FAILED")
          assert.strictEqual(error.errorMessage, "Unsupported codec")
          assert.include(error.message, "Unsupported codec")
        }
        assert.strictEqual(sent().length, 2)
      }))

    it.live("ABORTED fails too, with a failed step's message when the job has none", () =>
      Effect.gen(function*() {
        const step = { id: "st1", label: "copy", status: "FAILED", error_message: "disk full" }
        const { layer } = yield* scripted(sequence([job("ABORTED", { steps: [step] })]))
        const error = yield* Jobs.waitFor("j1", { interval: 5 }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "JobFailed")
        if (error._tag === "JobFailed") assert.strictEqual(error.errorMessage, "disk full")
      }))

    it.live("gives up with JobWaitTimeout and the last status seen", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(sequence([job("STARTED")]))
        const error = yield* Jobs.waitFor("j1", { interval: 10, timeout: 120 }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "JobWaitTimeout")
        if (error._tag === "JobWaitTimeout") {
          assert.strictEqual(error.lastStatus, "STARTED")
          assert.strictEqual(error.timeoutMillis, 120)
        }
      }))

    it.live("an Iconik error while polling is returned as is", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(() => ({ status: 404, body: { errors: ["Job does not exist"] } }))
        const error = yield* Jobs.waitFor("j404", { interval: 5 }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "IconikNotFound")
      }))
  })
})
