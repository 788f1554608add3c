/**
 * The steps of the plain workflows, run as activities of Effect's workflow engine: the one seam between the two
 * engines. Inside a durable workflow's body {@link runAsActivities} swaps the step runner and the checkpoint store,
 * so `Workflow.step` makes each outermost step an `Activity` (a completed one is not run again when the workflow
 * replays; steps nested in it run inside it) and upload checkpoints go to the {@link DurableStore}.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Activity, WorkflowEngine } from "effect/workflow"
import * as Checkpoint from "../workflows/Checkpoint.ts"
import * as Workflow from "../workflows/Workflow.ts"
import { DurableStore } from "./Store.ts"

/** A step's (or a workflow's) failure as the engine stores it: the typed error's tag, message and (JSON) fields. */
interface StoredFailure {
  readonly _tag: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

const jsonSafe = (value: unknown): unknown => {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
  } catch {
    return undefined
  }
}

export const storeFailure = (error: unknown): StoredFailure => ({
  _tag: Workflow.reasonOf(error),
  message: Workflow.messageOf(error),
  fields: typeof error === "object" && error !== null ? (jsonSafe({ ...error }) as Record<string, unknown>) ?? {} : {}
})

/**
 * A stored failure back as an error: an `Error` with the original `_tag`, message and fields, so `catchTag`, reports
 * and progress events see what the step failed with (not its class: the prototype is not stored).
 */
export const restoreFailure = (stored: unknown): unknown => {
  if (typeof stored !== "object" || stored === null || !("_tag" in stored)) return stored
  const { _tag, fields, message } = stored as StoredFailure
  const error = new Error(message)
  Object.assign(error, fields, { _tag, name: _tag })
  return error
}

/**
 * Runs a durable workflow's body with its steps as activities of the current execution and its upload checkpoints
 * in the {@link DurableStore}. Activities are named after the step (and the item it works on, when
 * set with `Workflow.forItem`), numbered from the second of a name on (`close file #2`): names are unique and
 * deterministic within an execution as long as each item's steps run in the same order on every replay.
 */
export const runAsActivities = <A, E, R>(
  executionId: string,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | DurableStore | WorkflowEngine.WorkflowEngine | WorkflowEngine.WorkflowInstance> =>
  Effect.gen(function*() {
    const durable = yield* DurableStore
    const engine = yield* WorkflowEngine.WorkflowEngine
    const instance = yield* WorkflowEngine.WorkflowInstance
    const counts = new Map<string, number>()
    const runner: Workflow.StepRunner = {
      durable: true,
      cancelled: () => instance.interrupted,
      run: <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options: Workflow.StepOptions<E, A>) =>
        Workflow.CurrentWorkflow.use(({ item }) => {
          // Work on several items at once (a folder's files) is told apart by the item: its own order is sequential.
          const key = item === undefined ? name : `${item}: ${name}`
          const n = (counts.get(key) ?? 0) + 1
          counts.set(key, n)
          const activityName = n === 1 ? key : `${key} #${n}`
          const execute = effect.pipe(
            // Steps inside this one are part of it.
            Effect.provideService(Workflow.CurrentStepRunner, Workflow.plainRunner),
            Effect.provideService(Workflow.CurrentStepAttempt, durable.stepBegins(executionId, activityName)),
            // Without a schema the result is kept as its JSON form, in a box (`undefined` has none).
            Effect.map((value) => {
              if (options.result !== undefined) return value
              const json = jsonSafe(value)
              return json === undefined ? {} : { value: json }
            }),
            Effect.mapError(storeFailure)
          )
          const activity = Activity.make({
            name: activityName,
            success: (options.result ?? Schema.Unknown) as Schema.Codec<unknown, unknown>,
            error: Schema.Unknown,
            execute
          })
          return activity.pipe(
            Effect.map((stored) => (options.result === undefined ? (stored as { readonly value?: unknown }).value : stored)),
            Effect.mapError(restoreFailure),
            Effect.provideService(WorkflowEngine.WorkflowEngine, engine),
            Effect.provideService(WorkflowEngine.WorkflowInstance, instance)
          ) as Effect.Effect<A, E, R>
        })
    }
    return yield* body.pipe(
      Effect.provideService(Workflow.CurrentStepRunner, runner),
      Effect.provideService(Checkpoint.CurrentCheckpointStore, Checkpoint.lineStore(durable.checkpoints(executionId)))
    )
  })

/**
 * `effect` as one step (one activity on a durable engine) whose inner steps are not activities of their own: for work
 * cheaper to repeat than to record step by step (a small file's ingest). Inside it the workflow runs as on the plain
 * engine: run again after a crash, it takes over what the cut-off attempt left from its checkpoint (kept in the
 * durable store), and a create whose answer was lost looks for what it made since the whole step began.
 */
export const oneStep = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options?: Workflow.StepOptions<E, A>) =>
  Workflow.step(
    name,
    // Asked once: every step inside shares this step's earlier attempt (asking again would find this attempt's mark).
    Effect.flatMap(Workflow.earlierAttempt, (earlier) =>
      Effect.provideService(effect, Workflow.CurrentStepAttempt, Effect.succeed(earlier))),
    options
  )
