/**
 * Recipe: start a transcode (keyframes and proxies from the asset's original file) and wait for its job to end,
 * logging progress as it goes.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… ASSET_ID=… node wait-for-transcode.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, type Duration, Effect, Layer, Schema } from "effect"
import { Files, Iconik, Jobs } from "../src/index.ts"

/** The asset has no CLOSED file to transcode, or its storage's ignore pattern skips the file (no job is made). */
export class NothingToTranscode extends Schema.TaggedError<NothingToTranscode>()("NothingToTranscode", {
  assetId: Schema.String
}) {
  override get message() {
    return `Asset ${this.assetId}: no CLOSED file to transcode, or its storage skips it`
  }
}

export const transcodeAndWait = Effect.fn("transcodeAndWait")(
  function*(assetId: string, wait: { readonly interval?: Duration.Input; readonly timeout?: Duration.Input } = {}) {
    const files = yield* Files.listFiles(assetId)
    const original = files.objects?.find((file) => file.status === "CLOSED")
    if (original === undefined) return yield* new NothingToTranscode({ assetId })
    const started = yield* Files.createKeyframesJob(assetId, original.id)
    if (started?.job_id == null) return yield* new NothingToTranscode({ assetId })
    // Polls GET /jobs/{id}/ every `interval` (default 2 s): the job on FINISHED (or FINISHED_WITH_WARNING, SKIPPED),
    // JobFailed with Iconik's error message on FAILED / ABORTED, JobWaitTimeout once `timeout` has passed.
    return yield* Jobs.waitFor(started.job_id, {
      interval: wait.interval ?? "2 seconds",
      timeout: wait.timeout ?? "30 minutes",
      onPoll: (job) => Effect.log(`${job.title}: ${job.status} ${job.progress ?? 0}%`)
    })
  }
)

export const layer = Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main = Effect.gen(function*() {
  const assetId = yield* Config.String("ASSET_ID")
  return yield* transcodeAndWait(assetId).pipe(
    // The job goes on in Iconik after we stop waiting: say so instead of failing.
    Effect.catchTag("JobWaitTimeout", (e) => Effect.as(Effect.log(`job ${e.jobId} still ${e.lastStatus}`), undefined))
  )
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
