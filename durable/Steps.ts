/**
 * The steps of the plain workflows, run as activities of Effect's workflow engine: the one seam between the two
 * engines. Inside a durable workflow's body {@link runAsActivities} swaps the step runner and the checkpoint store,
 * so `Workflow.step` makes each outermost step an `Activity` (a completed one is not run again when the workflow
 * replays; steps nested in it run inside it) and upload checkpoints go to the {@link DurableStore}.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Activity, DurableDeferred, Workflow as DurableWorkflow, WorkflowEngine } from "effect/workflow"
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
 * The cluster engine's cancel of an execution: it completes this durable deferred of the execution (Effect's own name
 * for it, which Effect does not export), from whichever process cancels, and a folder's run ending cancelled does the
 * same for its files' runs. The memory engine keeps its cancels to itself: {@link stopSteps} reaches its steps.
 */
const InterruptSignal = DurableDeferred.make("Workflow/InterruptSignal")

/** How often a step in flight looks for a cancel of its execution sent from elsewhere (a read of the engine's tables). */
const cancelPollInterval = "1 second"

/** The steps in flight in this process, by engine and execution: what {@link stopSteps} stops. */
const inFlight = new WeakMap<object, Map<string, Set<Deferred.Deferred<void>>>>()

/**
 * Stops the steps of `executionId` in flight in this process at once (the execution has just been interrupted): each
 * ends suspended, to run again if the execution were to go on; the engine then ends the execution cancelled. Steps on
 * other runners find the cancel in the engine's tables within {@link cancelPollInterval}.
 */
export const stopSteps = (executionId: string): Effect.Effect<void, never, WorkflowEngine.WorkflowEngine> =>
  WorkflowEngine.WorkflowEngine.use((engine) =>
    Effect.forEach(inFlight.get(engine)?.get(executionId) ?? [], (stop) => Deferred.succeed(stop, undefined), { discard: true }))

/**
 * Inside an activity: `effect`, unless its execution is cancelled first; then `effect` is interrupted and the activity
 * ends suspended (its interruption is not a failure to store, nor one for the engine to retry), so the execution can
 * end cancelled now rather than after the step. On a durable engine an interrupted step keeps what it made (e.g. its
 * storage upload, in the checkpoint store) for the clean-up the engine runs next.
 */
const stoppedByCancel = <A, E, R>(executionId: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine.WorkflowEngine
    // The activity's own instance (the engine runs each activity with one): suspending it suspends the activity.
    const step = yield* WorkflowEngine.WorkflowInstance
    const stop = yield* Deferred.make<void>()
    const byExecution = inFlight.get(engine) ?? new Map<string, Set<Deferred.Deferred<void>>>()
    inFlight.set(engine, byExecution)
    const register = Effect.sync(() => {
      const stops = byExecution.get(executionId) ?? new Set()
      byExecution.set(executionId, stops.add(stop))
    })
    const unregister = Effect.sync(() => {
      const stops = byExecution.get(executionId)
      stops?.delete(stop)
      if (stops?.size === 0) byExecution.delete(executionId)
    })
    const signalled = engine.deferredResult(InterruptSignal).pipe(
      Effect.delay(cancelPollInterval),
      Effect.repeat({ until: Option.isSome }),
      Effect.asVoid
    )
    const cancelled = Effect.raceFirst(Deferred.await(stop), signalled)
    return yield* Effect.acquireUseRelease(
      register,
      () => Effect.raceFirst(effect, Effect.andThen(cancelled, DurableWorkflow.suspend(step))),
      () => unregister
    )
  })

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
    // The clean-ups handed to the engine by this run (see `onCancel`), run by one workflow finalizer: the engine runs
    // it when the execution ends, with its exit, after its last step, and skips it when the run is handed to another
    // runner; the runs an execution's last run superseded see a success.
    const cleanUps: Array<Effect.Effect<void, never, any>> = []
    const runner: Workflow.StepRunner = {
      durable: true,
      onCancel: (cleanUp) =>
        Effect.suspend(() => {
          // In the order they were handed over (the innermost first, as the plain workflow's own exits run): an
          // upload's clean-up reads the checkpoint that the ingest's clean-up then removes.
          cleanUps.push(cleanUp)
          return cleanUps.length > 1 ? Effect.void : DurableWorkflow.addFinalizer((exit) =>
            Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && instance.interrupted
              ? Effect.forEach(cleanUps, (cleanUp) => cleanUp, { discard: true })
              : Effect.void
          ).pipe(Effect.provideService(WorkflowEngine.WorkflowInstance, instance))
        }) as Effect.Effect<void, never, any>,
      run: <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options: Workflow.StepOptions<E, A>) =>
        Workflow.CurrentWorkflow.use(({ item }) => {
          // Work on several items at once (a folder's files) is told apart by the item: its own order is sequential.
          const key = item === undefined ? name : `${item}: ${name}`
          const n = (counts.get(key) ?? 0) + 1
          counts.set(key, n)
          const activityName = n === 1 ? key : `${key} #${n}`
          // The clean-up of a cancelled execution runs to its end.
          const execute = (instance.interrupted ? effect : stoppedByCancel(executionId, effect)).pipe(
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
