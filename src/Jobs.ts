/**
 * Jobs: Iconik's record of asynchronous work (transcodes, deletes, transfers, custom integration jobs), and
 * {@link waitFor} to follow one to its end. Each function calls a generated operation of `../generated/jobs.ts`.
 * Conventions as in Assets.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { CallOptions } from "./Endpoint.ts"
import * as jobs from "./generated/jobs.ts"
import * as Pagination from "./Pagination.ts"

/**
 * Creates a job, e.g. `{ type: "CUSTOM", status: "STARTED", title, object_type, object_id }`. `POST /API/jobs/v1/jobs/`
 * → 201
 */
export const create = (body: jobs.JobInput, options?: CallOptions) => jobs.createJob({ body }, options)

/** One job. `GET /API/jobs/v1/jobs/{job_id}/` */
export const get = (jobId: string, options?: CallOptions) => jobs.getJob({ job_id: jobId }, options)

/** Replaces a job. `PUT /API/jobs/v1/jobs/{job_id}/` */
export const update = (jobId: string, body: jobs.JobInput, query?: jobs.UpdateJobQuery, options?: CallOptions) =>
  jobs.updateJob({ job_id: jobId, body, query }, options)

/**
 * Changes the fields given, e.g. `{ status: "FINISHED", progress_processed: 100 }`.
 * `PATCH /API/jobs/v1/jobs/{job_id}/`
 */
export const patch = (
  jobId: string,
  body: Parameters<typeof jobs.patchJob>[0]["body"],
  query?: jobs.PatchJobQuery,
  options?: CallOptions
) =>
  jobs.patchJob({ job_id: jobId, body, query }, options)

/** Deletes a job. `DELETE /API/jobs/v1/jobs/{job_id}/` → 204 */
const remove = (jobId: string, options?: CallOptions) => jobs.deleteJob({ job_id: jobId }, options)
export { remove as delete }

/** One page of jobs; `query` filters by `type`, `status`, `object_id`… `GET /API/jobs/v1/jobs/` */
export const list = (query?: jobs.ListJobsQuery, options?: CallOptions) => jobs.listJobs({ query }, options)

/** Every job matching `query`. `GET /API/jobs/v1/jobs/` */
export const stream = (query?: jobs.ListJobsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(jobs.listJobs, { query }, paging)

/** Pauses, resumes, aborts or restarts jobs. `PUT /API/jobs/v1/jobs/state/` → 201 */
export const setState = (jobIds: ReadonlyArray<string>, action: jobs.JobsState["action"], options?: CallOptions) =>
  jobs.updateJobsState({ body: { job_ids: jobIds, action } }, options)

/** Replaces a job's steps. `PUT /API/jobs/v1/jobs/{job_id}/steps/` */
export const updateSteps = (jobId: string, body: jobs.JobStepsUpdateInput, options?: CallOptions) =>
  jobs.updateJobSteps({ job_id: jobId, body }, options)

/** Updates the steps given. `PATCH /API/jobs/v1/jobs/{job_id}/steps/` */
export const patchSteps = (
  jobId: string,
  body: Parameters<typeof jobs.patchJobSteps>[0]["body"],
  options?: CallOptions
) =>
  jobs.patchJobSteps({ job_id: jobId, body }, options)

/** Replaces one step. `PUT /API/jobs/v1/jobs/{job_id}/steps/{job_step_id}/` */
export const updateStep = (jobId: string, stepId: string, body: jobs.JobStepInput, options?: CallOptions) =>
  jobs.updateJobStep({ job_id: jobId, job_step_id: stepId, body }, options)

/** Changes the fields given of one step. `PATCH /API/jobs/v1/jobs/{job_id}/steps/{job_step_id}/` */
export const patchStep = (
  jobId: string,
  stepId: string,
  body: Parameters<typeof jobs.patchJobStep>[0]["body"],
  options?: CallOptions
) =>
  jobs.patchJobStep({ job_id: jobId, job_step_id: stepId, body }, options)

// ---------------------------------------------------------------------------------------------------------------
// Waiting for a job

/** Statuses after which a job does not change again, and counts as done. */
export const successStatuses: ReadonlyArray<string> = ["FINISHED", "FINISHED_WITH_WARNING", "SKIPPED"]
/** Statuses after which a job does not change again, and counts as failed (DISCARDED: newer Iconik versions). */
export const failureStatuses: ReadonlyArray<string> = ["FAILED", "ABORTED", "DISCARDED"]

/** The job ended without success. `errorMessage` is the job's own, else its first failed step's. */
export class JobFailed extends Schema.TaggedError<JobFailed>()("JobFailed", {
  jobId: Schema.String,
  status: Schema.String,
  title: Schema.optional(Schema.String),
  errorMessage: Schema.optional(Schema.String)
}) {
  override get message() {
    const title = this.title === undefined ? "" : ` (${this.title})`
    return `Job ${this.jobId}${title} ended ${this.status}${this.errorMessage ? `: ${this.errorMessage}` : ""}`
  }
}

/** {@link waitFor} gave up: the job was still running when the timeout passed. */
export class JobWaitTimeout extends Schema.TaggedError<JobWaitTimeout>()("JobWaitTimeout", {
  jobId: Schema.String,
  /** The status last seen, if any poll answered. */
  lastStatus: Schema.optional(Schema.String),
  timeoutMillis: Schema.Number
}) {
  override get message() {
    return `Job ${this.jobId} still ${this.lastStatus ?? "unknown"} after ${this.timeoutMillis} ms`
  }
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Pause between polls. Default 2 seconds. */
  readonly interval?: Duration.Input | undefined
  /** Give up with {@link JobWaitTimeout} after this long. Default: wait as long as it takes. */
  readonly timeout?: Duration.Input | undefined
  /** Per-request timeout of each poll (the client's default otherwise). */
  readonly requestTimeout?: Duration.Input | undefined
  /** Runs with every job polled, the last one included, before it is judged (e.g. to show progress). */
  readonly onPoll?: ((job: jobs.Job) => Effect.Effect<void>) | undefined
}

const failureOf = (job: jobs.Job): JobFailed => {
  const step = job.steps?.find((s) => s.status === "FAILED" && s.error_message)
  const errorMessage = job.error_message ?? step?.error_message ?? undefined
  return new JobFailed({
    jobId: job.id,
    status: job.status,
    ...(job.title ? { title: job.title } : {}),
    ...(errorMessage ? { errorMessage } : {})
  })
}

/**
 * Polls a job until it ends: succeeds with the job on FINISHED, FINISHED_WITH_WARNING or SKIPPED; fails with
 * {@link JobFailed} on FAILED, ABORTED or DISCARDED, and with {@link JobWaitTimeout} once `timeout` has passed.
 * Any other status (READY, STARTED, WAITING, PAUSED, ABORT_PENDING, or one newer than this SDK) keeps it polling.
 * `GET /API/jobs/v1/jobs/{job_id}/` every `interval`
 */
export const waitFor = Effect.fn("Jobs.waitFor")(function*(jobId: string, options?: WaitOptions) {
  const interval = options?.interval ?? Duration.seconds(2)
  const callOptions = options?.requestTimeout === undefined ? undefined : { timeout: options.requestTimeout }
  let lastStatus: string | undefined
  const pollOnce = Effect.tap(get(jobId, callOptions), (job) => {
    lastStatus = job.status
    return options?.onPoll === undefined ? Effect.void : options.onPoll(job)
  })
  const ended = (job: jobs.Job) => successStatuses.includes(job.status) || failureStatuses.includes(job.status)
  // Polls every `interval` until the job ends; the schedule hands back the last job polled.
  const poll = Effect.repeat(pollOnce, { schedule: Schedule.spaced(interval), until: ended }).pipe(
    Effect.flatMap((job) => (successStatuses.includes(job.status) ? Effect.succeed(job) : Effect.fail(failureOf(job))))
  )
  if (options?.timeout === undefined) return yield* poll
  const timeout = Duration.fromInputUnsafe(options.timeout)
  return yield* Effect.timeoutOrElse(poll, {
    duration: timeout,
    orElse: () =>
      Effect.fail(
        new JobWaitTimeout({
          jobId,
          timeoutMillis: Duration.toMillis(timeout),
          ...(lastStatus === undefined ? {} : { lastStatus })
        })
      )
  })
})
