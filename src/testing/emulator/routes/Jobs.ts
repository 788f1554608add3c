/**
 * The jobs service. Jobs the emulator starts itself (keyframes, mediainfo, transcode triggers) move on effect's Clock:
 * READY for `jobStartMillis`, then STARTED with progress and steps for `jobDurationMillis`, then FINISHED. Time is
 * read lazily (on every request), so TestClock drives them without background fibers. `PUT jobs/state/` applies
 * PAUSE / RESUME / ABORT (ABORT_PENDING, then ABORTED) / RESTART. Jobs created through the API change only when
 * PATCHed: an aborted one stays ABORT_PENDING until its owner marks it ABORTED, as an integration would.
 */
import * as Effect from "effect/Effect"
import type { Env } from "../Env.ts"
import { applyInput, compact, inputFields, parseSort, sortDocs } from "../Docs.ts"
import { listPage } from "../Paging.ts"
import {
  badRequest,
  created,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import type { Doc, EmulatorUser, JobDoc, JobRuntime } from "../State.ts"
import { indexedRecords, newId, requireRecord, stamp } from "./Common.ts"

const base = "/API/jobs/v1"

const terminal = new Set(["FINISHED", "FINISHED_WITH_WARNING", "FAILED", "ABORTED", "SKIPPED"])

const jobReadOnly = [
  "id",
  "created_by",
  "date_created",
  "date_modified",
  "priority",
  "progress",
  "children_progress",
  "steps"
]

export interface StartJob {
  readonly title: string
  readonly type: string
  readonly objectType?: string | undefined
  readonly objectId?: string | undefined
  readonly user: EmulatorUser
  /** Runs once when the job reaches FINISHED. */
  readonly onFinish?: ((now: number) => Effect.Effect<void>) | undefined
}

const makeStep = (env: Env, now: number, label: string, status: string): Doc => ({
  id: env.state.ids.uuid(now),
  label,
  status,
  date_updated: env.state.ids.now(now)
})

/** Starts an emulator-driven job: READY now, STARTED after `jobStartMillis`, FINISHED `jobDurationMillis` later. */
export const startJob = (env: Env, now: number, options: StartJob): JobDoc => {
  const date = env.state.ids.now(now)
  const job: JobDoc = compact({
    id: env.state.ids.uuid(now),
    title: options.title,
    type: options.type,
    status: "READY",
    object_type: options.objectType,
    object_id: options.objectId,
    // Absent rather than empty: the newer spec gives `related_objects` minItems 1.
    related_objects: options.objectId === undefined || options.objectType === undefined
      ? undefined
      : [{ object_id: options.objectId, object_type: options.objectType }],
    has_children: false,
    priority: 5,
    progress: 0,
    progress_processed: 0,
    progress_total: 100,
    metadata: {},
    job_context: {},
    steps: [makeStep(env, now, "Prepare", "WAITING"), makeStep(env, now, "Process", "WAITING")],
    created_by: options.user.id,
    date_created: date,
    date_modified: date
  })
  env.state.jobs.set(job.id, job)
  env.state.index.write("jobs", job.id, undefined, job, now + env.settings.indexDelayMillis, now)
  env.state.jobRuntimes.set(job.id, {
    startAt: now + env.settings.jobStartMillis,
    durationMillis: env.settings.jobDurationMillis,
    workedMillis: 0,
    runningSince: undefined,
    pausedFrom: undefined,
    abortAt: undefined,
    onFinish: options.onFinish
  })
  return job
}

const setStep = (env: Env, job: JobDoc, index: number, status: string, now: number) => {
  const step = job.steps[index]
  if (step !== undefined && step.status !== status) {
    step.status = status
    step.date_updated = env.state.ids.now(now)
  }
}

const setProgress = (job: JobDoc, percent: number) => {
  const value = Math.max(0, Math.min(100, Math.floor(percent)))
  job.progress = value
  job.progress_processed = value
  job.progress_total = 100
}

/** Moves one emulator-driven job along to `now`; answers the effect of its finishing, if it finished. */
const advance = (env: Env, job: JobDoc, runtime: JobRuntime, now: number): Effect.Effect<void> | undefined => {
  for (;;) {
    if (job.status === "READY" && now >= runtime.startAt) {
      job.status = "STARTED"
      job.started_at = env.state.ids.now(now)
      runtime.runningSince = runtime.startAt
      setStep(env, job, 0, "DONE", now)
      setStep(env, job, 1, "IN_PROGRESS", now)
      job.date_modified = env.state.ids.now(now)
      continue
    }
    if (job.status === "STARTED" && runtime.runningSince !== undefined) {
      const worked = runtime.workedMillis + (now - runtime.runningSince)
      if (worked >= runtime.durationMillis) {
        job.status = "FINISHED"
        setProgress(job, 100)
        setStep(env, job, 1, "DONE", now)
        job.completed_at = env.state.ids.now(now)
        job.date_modified = job.completed_at
        runtime.runningSince = undefined
        runtime.workedMillis = runtime.durationMillis
        return runtime.onFinish?.(now)
      }
      setProgress(job, (worked / Math.max(1, runtime.durationMillis)) * 100)
      return undefined
    }
    if (job.status === "ABORT_PENDING" && runtime.abortAt !== undefined && now >= runtime.abortAt) {
      job.status = "ABORTED"
      runtime.abortAt = undefined
      job.completed_at = env.state.ids.now(now)
      job.date_modified = job.completed_at
    }
    return undefined
  }
}

/** Brings every emulator-driven job up to `now` (called at the start of each request). */
export const refreshJobs = (env: Env, now: number): Effect.Effect<void> =>
  Effect.suspend(() => {
    const finished: Array<Effect.Effect<void>> = []
    for (const [id, runtime] of env.state.jobRuntimes) {
      const job = env.state.jobs.get(id)
      if (job === undefined) env.state.jobRuntimes.delete(id)
      else if (!terminal.has(job.status)) {
        const done = advance(env, job, runtime, now)
        if (done !== undefined) finished.push(done)
      }
    }
    return Effect.all(finished, { discard: true })
  })

const applyAction = (env: Env, job: JobDoc, action: string, now: number): void => {
  const runtime = env.state.jobRuntimes.get(job.id)
  switch (action) {
    case "PAUSE":
      if (job.status === "READY" || job.status === "STARTED" || job.status === "WAITING") {
        if (runtime !== undefined && job.status === "STARTED" && runtime.runningSince !== undefined) {
          runtime.workedMillis += now - runtime.runningSince
          runtime.runningSince = undefined
        }
        if (runtime !== undefined) runtime.pausedFrom = job.status
        job.status = "PAUSED"
      }
      break
    case "RESUME":
      if (job.status === "PAUSED") {
        job.status = runtime?.pausedFrom ?? "READY"
        if (runtime !== undefined) {
          runtime.pausedFrom = undefined
          if (job.status === "STARTED") runtime.runningSince = now
          else runtime.startAt = Math.max(runtime.startAt, now)
        }
      }
      break
    case "ABORT":
      if (!terminal.has(job.status) && job.status !== "ABORT_PENDING") {
        if (runtime !== undefined && runtime.runningSince !== undefined) {
          runtime.workedMillis += now - runtime.runningSince
          runtime.runningSince = undefined
        }
        job.status = "ABORT_PENDING"
        if (runtime !== undefined) runtime.abortAt = now + env.settings.jobAbortMillis
      }
      break
    case "RESTART":
      job.status = "READY"
      setProgress(job, 0)
      delete job.started_at
      delete job.completed_at
      for (const [index] of job.steps.entries()) setStep(env, job, index, "WAITING", now)
      if (runtime !== undefined) {
        runtime.startAt = now + env.settings.jobStartMillis
        runtime.workedMillis = 0
        runtime.runningSince = undefined
        runtime.pausedFrom = undefined
        runtime.abortAt = undefined
      }
      break
  }
  job.date_modified = env.state.ids.now(now)
}

const requireJob = (context: RouteContext) => requireRecord(context.state.jobs, param(context, "job_id"), "Job")

const present = (job: JobDoc): Doc => ({ ...job, steps: job.steps.map((step) => ({ ...step })) })

const facetOf = (jobs: ReadonlyArray<JobDoc>, field: "status" | "type" | "object_type") => {
  const counts = new Map<string, number>()
  for (const job of jobs) {
    const value = job[field]
    if (typeof value === "string") counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return { buckets: [...counts].map(([key, doc_count]) => ({ key, doc_count })) }
}

const listJobs = Effect.fnUntraced(function*(context: RouteContext) {
  const q = context.query
  const filters: Array<[string, ReadonlyArray<string> | undefined]> = [
    ["type", q.list("type")],
    ["status", q.list("status")],
    ["object_type", q.list("object_type")],
    ["object_id", q.list("object_id")],
    ["parent_id", q.list("parent_id")],
    ["created_by", q.list("created_by")],
    ["id", q.list("ids")]
  ]
  const text = q.string("query")
  const jobs = indexedRecords(context, "jobs", context.state.jobs).filter((job) =>
    filters.every(([field, wanted]) => wanted === undefined || wanted.includes(String(job[field]))) &&
    (text === undefined || job.title.toLowerCase().includes(text.replace(/\*$/, "").toLowerCase()))
  )
  const sorted = sortDocs(jobs, parseSort(q.string("sort") ?? "date_created,desc"))
  const withFacets = (yield* q.bool("facets")) ?? true
  const extra = withFacets
    ? { facets: { status: facetOf(jobs, "status"), type: facetOf(jobs, "type"), object_type: facetOf(jobs, "object_type") } }
    : undefined
  return ok(yield* listPage(context, sorted.map(present), { maxPerPage: 100, extra }))
})

const createJob = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const now = stamp(context)
  const steps = Array.isArray(body.steps) ? (body.steps as Array<Doc>) : []
  const job: JobDoc = compact({
    has_children: false,
    priority: 5,
    progress_processed: 0,
    progress_total: 0,
    metadata: {},
    job_context: {},
    ...inputFields(body, jobReadOnly),
    id: newId(context),
    title: String(body.title),
    type: String(body.type),
    status: String(body.status),
    steps: steps.map((step) => compact({ ...inputFields(step), id: step.id ?? newId(context), date_updated: now })),
    created_by: context.user.id,
    date_created: now,
    date_modified: now
  })
  if (job.status === "STARTED") job.started_at ??= now
  if (terminal.has(job.status)) job.completed_at ??= now
  job.progress = percentOf(job)
  context.state.jobs.set(job.id, job)
  return created(present(job))
})

const percentOf = (job: JobDoc): number => {
  const processed = typeof job.progress_processed === "number" ? job.progress_processed : 0
  const total = typeof job.progress_total === "number" ? job.progress_total : 0
  if (job.status === "FINISHED") return 100
  return total > 0 ? Math.min(100, Math.floor((processed / total) * 100)) : 0
}

const updateJob = Effect.fnUntraced(function*(context: RouteContext) {
  const job = yield* requireJob(context)
  const body = (context.body ?? {}) as Doc
  const before = job.status
  const metadata = job.metadata
  applyInput(job, body, jobReadOnly)
  if (context.query.flag("merge_metadata") && typeof metadata === "object" && typeof body.metadata === "object") {
    job.metadata = { ...(metadata as Doc), ...(body.metadata as Doc) }
  }
  const now = stamp(context)
  if (job.status !== before) {
    if (job.status === "STARTED") job.started_at ??= now
    if (terminal.has(job.status)) job.completed_at ??= now
    // A job taken over by hand no longer moves on its own.
    context.state.jobRuntimes.delete(job.id)
  }
  job.progress = percentOf(job)
  job.date_modified = now
  return ok(present(job))
})

const deleteJob = Effect.fnUntraced(function*(context: RouteContext) {
  const job = yield* requireJob(context)
  context.state.jobs.delete(job.id)
  context.state.jobRuntimes.delete(job.id)
  return noContent
})

const jobIdsOf = (context: RouteContext) => {
  const ids = (context.body as Doc | undefined)?.job_ids
  return Array.isArray(ids) ? ids.map(String) : []
}

const deleteJobs = (context: RouteContext) =>
  Effect.sync(() => {
    for (const id of jobIdsOf(context)) {
      context.state.jobs.delete(id)
      context.state.jobRuntimes.delete(id)
    }
    return noContent
  })

const changeState = Effect.fnUntraced(function*(context: RouteContext) {
  const action = String((context.body as Doc).action)
  if (!["PAUSE", "RESUME", "ABORT", "RESTART"].includes(action)) {
    return yield* badRequest(`Unknown action ${action}`)
  }
  const jobs = jobIdsOf(context).map((id) => context.state.jobs.get(id))
  if (jobs.some((job) => job === undefined)) return yield* notFound("Job")
  for (const job of jobs) applyAction(context.env, job!, action, context.now)
  return created()
})

const changePriority = Effect.fnUntraced(function*(context: RouteContext) {
  const priority = (context.body as Doc).priority
  for (const id of jobIdsOf(context)) {
    const job = context.state.jobs.get(id)
    if (job === undefined) return yield* notFound("Job")
    job.priority = priority
  }
  return created()
})

const updateSteps = Effect.fnUntraced(function*(context: RouteContext) {
  const job = yield* requireJob(context)
  const steps = ((context.body as Doc).steps ?? []) as Array<Doc>
  const now = stamp(context)
  const replace = context.method === "PUT"
  const next = replace ? [] : job.steps
  for (const input of steps) {
    const existing = next.find((step) => step.id === input.id)
    if (existing !== undefined) {
      applyInput(existing, input, ["date_updated"])
      existing.date_updated = now
    } else {
      next.push(compact({ ...inputFields(input, ["date_updated"]), id: input.id ?? newId(context), date_updated: now }))
    }
  }
  job.steps = next
  job.date_modified = now
  return ok(present(job))
})

const updateStep = Effect.fnUntraced(function*(context: RouteContext) {
  const job = yield* requireJob(context)
  const stepId = param(context, "job_step_id")
  const now = stamp(context)
  const existing = job.steps.find((step) => step.id === stepId)
  if (existing !== undefined) {
    applyInput(existing, context.body, ["id", "date_updated"])
    existing.date_updated = now
  } else {
    job.steps.push(compact({ ...inputFields(context.body, ["id", "date_updated"]), id: stepId, date_updated: now }))
  }
  job.date_modified = now
  return ok(present(job))
})

export const jobRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/jobs/`, listJobs),
  route("POST", `${base}/jobs/`, createJob),
  route("DELETE", `${base}/jobs/`, deleteJobs),
  route("PUT", `${base}/jobs/state/`, changeState),
  route("PUT", `${base}/jobs/priority/`, changePriority),
  route("GET", `${base}/jobs/{job_id}/`, (c) => Effect.map(requireJob(c), (job) => ok(present(job)))),
  route("PUT", `${base}/jobs/{job_id}/`, updateJob),
  route("PATCH", `${base}/jobs/{job_id}/`, updateJob),
  route("DELETE", `${base}/jobs/{job_id}/`, deleteJob),
  route("PUT", `${base}/jobs/{job_id}/steps/`, updateSteps),
  route("PATCH", `${base}/jobs/{job_id}/steps/`, updateSteps),
  route("PUT", `${base}/jobs/{job_id}/steps/{job_step_id}/`, updateStep),
  route("PATCH", `${base}/jobs/{job_id}/steps/{job_step_id}/`, updateStep)
]
