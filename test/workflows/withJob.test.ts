import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Schema } from "effect"
import { Path } from "effect"
import { ingestFile } from "../../workflows/ingestFile.ts"
import * as Progress from "../../workflows/Progress.ts"
import { withJob } from "../../workflows/withJob.ts"
import { IconikEmulator, mediaFolder, MiB, modes, stillOpen } from "./support.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", { detail: Schema.String }) {
  override get message() {
    return `boom: ${this.detail}`
  }
}

const jobsOf = IconikEmulator.use((emulator) => Effect.succeed([...emulator.state.jobs.values()]))

describe.each(modes)("withJob ($name)", ({ layer }) => {
  it.live("runs the Effect as a CUSTOM job and finishes it with its progress", () =>
    Effect.gen(function*() {
      const result = yield* withJob({ title: "Nightly sync", customType: "sync", total: 3 }, (job) =>
        Effect.gen(function*() {
          const [running] = yield* jobsOf
          assert.strictEqual(running?.id, job.id)
          assert.strictEqual(running?.status, "STARTED")
          assert.strictEqual(running?.type, "CUSTOM")
          yield* job.progress(2)
          const [progressed] = yield* jobsOf
          assert.strictEqual(progressed?.progress_processed, 2)
          return "done"
        }))
      assert.strictEqual(result, "done")
      const [job] = yield* jobsOf
      assert.strictEqual(job?.status, "FINISHED")
      assert.strictEqual(job?.custom_type, "sync")
      assert.strictEqual(job?.progress_processed, 3)
    }).pipe(Effect.provide(layer())))

  it.live("marks the job FAILED with the error's message and fails with the error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(withJob({ title: "Doomed" }, Effect.fail(new Boom({ detail: "disk on fire" }))))
      assert.isTrue(Exit.isFailure(exit))
      const [job] = yield* jobsOf
      assert.strictEqual(job?.status, "FAILED")
      assert.strictEqual(job?.error_message, "boom: disk on fire")
    }).pipe(Effect.provide(layer())))

  it.live("marks the job ABORTED when the Effect is interrupted", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        withJob({ title: "Long" }, Effect.andThen(Deferred.succeed(started, undefined), Effect.never))
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      const [job] = yield* jobsOf
      assert.strictEqual(job?.status, "ABORTED")
      assert.isString(job?.completed_at)
    }).pipe(Effect.provide(layer())))

  it.live("an ingest interrupted mid-upload inside a job: job ABORTED, no OPEN record, no pending upload", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "long.mov": 16 * MiB })
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "UploadPart", partNumber: 2 })
      const uploading = yield* Deferred.make<void>()
      const fiber = yield* Effect.forkChild(
        withJob(
          { title: "Ingest long.mov" },
          ingestFile({ file: path.join(dir, "long.mov"), partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 })
        ).pipe(
          Progress.tap((event) => {
            if (event._tag === "BytesTransferred" && event.transferred >= 5 * MiB) Deferred.doneUnsafe(uploading, Exit.void)
          })
        )
      )
      yield* Deferred.await(uploading)
      yield* Fiber.interrupt(fiber)
      const [job] = yield* jobsOf
      assert.strictEqual(job?.status, "ABORTED")
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      assert.isTrue([...emulator.state.assets.values()].every((asset) => asset.status !== "ACTIVE"))
    }).pipe(Effect.scoped, Effect.provide(layer())))
})
