/**
 * Runs an Effect as an Iconik CUSTOM job, the way integrations make their work visible in Iconik's job list:
 *
 * 1. `POST /API/jobs/v1/jobs/` `{type: "CUSTOM", status: "STARTED", title, ...}`;
 * 2. the Effect reports progress through its {@link JobHandle} (`PATCH …/jobs/{id}/ {progress_processed, …}`);
 * 3. success → `FINISHED`; failure → `FAILED` with the error's message; interruption → `ABORTED`.
 *
 * The job is closed even when the Effect is interrupted: the last PATCH runs uninterruptibly.
 */
import * as Cause from "effect/Cause"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Jobs from "../src/Jobs.ts"
import { messageOf, step } from "./Workflow.ts"
import * as Workflow from "./Workflow.ts"

export interface WithJobOptions {
  readonly title: string
  /** Iconik's free `custom_type` for CUSTOM jobs, e.g. `"ingest"`. */
  readonly customType?: string | undefined
  /** The object the job is about, e.g. `{ type: "assets", id }`. */
  readonly object?: { readonly type: string; readonly id: string } | undefined
  readonly relatedObjects?: ReadonlyArray<{ readonly type: string; readonly id: string }> | undefined
  readonly metadata?: Record<string, unknown> | undefined
  /** Work units, when known up front (e.g. bytes or files); `JobHandle.progress` reports against it. */
  readonly total?: number | undefined
  /** Under another job. */
  readonly parentId?: string | undefined
}

/** What the running Effect can do with its job. */
export interface JobHandle {
  readonly id: string
  /** Reports `processed` of `total` (default: the total given at start). */
  readonly progress: (processed: number, total?: number) => Effect.Effect<void, IconikError, IconikClient>
  /** Sets the job's message (shown in Iconik's job view). */
  readonly message: (text: string) => Effect.Effect<void, IconikError, IconikClient>
}

export type JobStatus = "FINISHED" | "FAILED" | "ABORTED"

const now = DateTime.now.pipe(Effect.map(DateTime.formatIso))

/** The final status a job gets for an exit. */
export const statusFor = (exit: Exit.Exit<unknown, unknown>): JobStatus =>
  Exit.isSuccess(exit) ? "FINISHED" : Cause.hasInterruptsOnly(exit.cause) ? "ABORTED" : "FAILED"

const failureMessage = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "Some") return messageOf(error.value)
  return Cause.hasInterruptsOnly(cause) ? "Interrupted" : Cause.pretty(cause).split("\n")[0] ?? "Defect"
}

/**
 * Runs `use` as the body of a new CUSTOM job and closes the job with the outcome. The job's id is also available
 * to `use` (e.g. to relate Iconik objects to it).
 */
export const withJob = <A, E, R>(
  options: WithJobOptions,
  use: Effect.Effect<A, E, R> | ((job: JobHandle) => Effect.Effect<A, E, R>)
): Effect.Effect<A, E | IconikError, R | IconikClient> =>
  Workflow.make("withJob", () => {
    const base = {
      title: options.title,
      type: "CUSTOM" as const,
      ...(options.customType === undefined ? {} : { custom_type: options.customType })
    }
    const total = options.total
    const create = Effect.gen(function*() {
      const startedAt = yield* now
      return yield* Jobs.create({
          ...base,
          status: "STARTED",
          started_at: startedAt,
          ...(options.object === undefined ? {} : { object_type: options.object.type, object_id: options.object.id }),
          ...(options.relatedObjects === undefined ? {} : {
            related_objects: options.relatedObjects.map((o) => ({ object_type: o.type, object_id: o.id }))
          }),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
          ...(options.parentId === undefined ? {} : { parent_id: options.parentId }),
          ...(total === undefined ? {} : { progress_total: total, progress_processed: 0 })
      })
    })

    const handleFor = (jobId: string): JobHandle => ({
      id: jobId,
      progress: (processed, of) =>
        Effect.asVoid(Jobs.patch(jobId, {
          ...base,
          status: "STARTED",
          progress_processed: processed,
          ...((of ?? total) === undefined ? {} : { progress_total: of ?? total })
        })),
      message: (text) => Effect.asVoid(Jobs.patch(jobId, { ...base, status: "STARTED", message: text }))
    })

    const close = (jobId: string, exit: Exit.Exit<unknown, unknown>) =>
      Effect.gen(function*() {
        const status = statusFor(exit)
        const completedAt = yield* now
        yield* Jobs.patch(jobId, {
          ...base,
          status,
          completed_at: completedAt,
          ...(status === "FINISHED"
            ? total === undefined ? {} : { progress_processed: total, progress_total: total }
            : { error_message: failureMessage((exit as Exit.Failure<unknown, unknown>).cause) })
        })
      })

    return Effect.acquireUseRelease(
      step("create job", create),
      (job) => typeof use === "function" ? use(handleFor(job.id)) : use,
      (job, exit) =>
        Exit.isSuccess(exit)
          ? step("finish job", close(job.id, exit))
          // The body's own failure is what the caller needs; a failed close is only logged.
          : step("fail job", close(job.id, exit)).pipe(
            Effect.catchCause((cause) => Effect.logWarning(`could not close job ${job.id}`, Cause.pretty(cause)))
          )
    )
  })()
