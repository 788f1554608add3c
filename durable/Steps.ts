/**
 * The steps of the plain workflows, run as activities of Effect's workflow engine: the one seam between the two
 * engines. Inside a durable workflow's body {@link runAsActivities} swaps the step runner and the checkpoint store,
 * so `Workflow.step` makes each outermost step an `Activity` (a completed one is not run again when the workflow
 * replays; steps nested in it run inside it) and upload checkpoints go to the {@link DurableStore}. A cancel stops
 * the run's step in flight, and the engine runs the clean-up the plain workflow hands it (`Workflow.cleanUpAfter`).
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
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
 * same for its files' runs. The memory engine keeps its cancels to itself: {@link stopCancelledRuns} reaches its runs.
 */
const InterruptSignal = DurableDeferred.make("Workflow/InterruptSignal")

/** How often a run looks for a cancel of its execution sent from elsewhere (one read of the engine's tables). */
const cancelPollInterval = "1 second"

/** The runs in this process, by engine and by the executions whose cancel stops them: what {@link stopCancelledRuns} stops. */
const running = new WeakMap<object, Map<string, Set<Deferred.Deferred<void>>>>()

/**
 * Stops the runs of `executionId` in this process at once (the execution has just been interrupted), and those of
 * the executions it started here (a folder's files, on the memory engine): their steps in flight end suspended, and
 * the engine ends the execution cancelled. Runs on other runners find the cancel within {@link cancelPollInterval}.
 */
export const stopCancelledRuns = (executionId: string): Effect.Effect<void, never, WorkflowEngine.WorkflowEngine> =>
  WorkflowEngine.WorkflowEngine.use((engine) =>
    Effect.forEach(running.get(engine)?.get(executionId) ?? [], (stop) => Deferred.succeed(stop, undefined), { discard: true }))

/** The executions whose cancel stops the current run: its own, and (on the memory engine) the one that started it. */
const CancelledWith = Context.Reference<ReadonlyArray<string>>("effect-iconik/durable/CancelledWith", {
  defaultValue: () => []
})

/**
 * Completes `stop` when the run is cancelled: told by {@link stopCancelledRuns} in this process, or seen in the engine's
 * interrupt signal of `instance`'s execution.
 */
const watchCancel = (
  engine: WorkflowEngine.WorkflowEngine["Service"],
  instance: WorkflowEngine.WorkflowInstance["Service"],
  cancelledWith: ReadonlyArray<string>,
  stop: Deferred.Deferred<void>
) => {
  const byExecution = running.get(engine) ?? new Map<string, Set<Deferred.Deferred<void>>>()
  running.set(engine, byExecution)
  const register = Effect.sync(() => {
    for (const id of cancelledWith) byExecution.set(id, (byExecution.get(id) ?? new Set()).add(stop))
  })
  const unregister = Effect.sync(() => {
    for (const id of cancelledWith) {
      const stops = byExecution.get(id)
      stops?.delete(stop)
      if (stops?.size === 0) byExecution.delete(id)
    }
  })
  const signalled = engine.deferredResult(InterruptSignal).pipe(
    // A read that fails (the database away a moment) is not a cancel, nor a reason for the run to fail.
    Effect.catchCause(() => Effect.succeedNone),
    Effect.delay(cancelPollInterval),
    Effect.repeat({ until: Option.isSome }),
    Effect.andThen(Deferred.succeed(stop, undefined)),
    Effect.provideService(WorkflowEngine.WorkflowInstance, instance)
  )
  return Effect.acquireUseRelease(register, () => Effect.raceFirst(Deferred.await(stop), signalled), () => unregister)
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
    const cancelledWith = [...(yield* CancelledWith), executionId]
    // Completed when the execution is cancelled: the step in flight, or else the run itself, suspends, and the engine
    // ends the execution cancelled (it does so at the next step otherwise, once the step in flight has ended).
    const stop = yield* Deferred.make<void>()
    let stepsInFlight = 0
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
          // A step stopped by a cancel ends suspended (the engine runs it again if the execution goes on), through
          // the activity's own instance; on a durable engine it keeps what it made (its storage upload, in the
          // checkpoint store) for the clean-up. The clean-up of a cancelled execution runs to its end.
          const stoppable = instance.interrupted ? effect : Effect.raceFirst(
            effect,
            Effect.andThen(Deferred.await(stop), WorkflowEngine.WorkflowInstance.use(DurableWorkflow.suspend))
          )
          const execute = stoppable.pipe(
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
          return Effect.acquireUseRelease(
            Effect.sync(() => stepsInFlight++),
            () => activity,
            () => Effect.sync(() => stepsInFlight--)
          ).pipe(
            Effect.map((stored) => (options.result === undefined ? (stored as { readonly value?: unknown }).value : stored)),
            Effect.mapError(restoreFailure),
            Effect.provideService(WorkflowEngine.WorkflowEngine, engine),
            Effect.provideService(WorkflowEngine.WorkflowInstance, instance)
          ) as Effect.Effect<A, E, R>
        })
    }
    // Cancelled while no step is in flight (e.g. waiting on the executions it started): the run suspends itself.
    const stopsRun = watchCancel(engine, instance, cancelledWith, stop).pipe(
      Effect.andThen(Effect.repeat(Effect.sync(() => stepsInFlight), { until: (n) => n === 0, schedule: Schedule.spaced("50 millis") })),
      Effect.andThen(DurableWorkflow.suspend(instance))
    )
    return yield* Effect.raceFirst(
      body.pipe(
        Effect.provideService(Workflow.CurrentStepRunner, runner),
        Effect.provideService(Checkpoint.CurrentCheckpointStore, Checkpoint.lineStore(durable.checkpoints(executionId))),
        Effect.provideService(CancelledWith, cancelledWith)
      ),
      instance.interrupted ? Effect.never : stopsRun
    )
  })

/**
 * `effect` run in the workflow's body with its steps unrecorded (no activity of their own): for work cheaper to run
 * again than to record (a small file's whole ingest, the body's only work), where an activity would cost as many
 * database statements as the work itself. Inside it the workflow runs as on the plain engine, its checkpoint in the
 * durable store: when the execution runs again after its runner died, `effect` runs again whole and takes over what
 * the cut-off attempt left (an upload to finish, a record to close, or a record it had CLOSED already: adopted, not
 * made again), and a create whose answer was lost looks for what it made since the first attempt began (the mark
 * `name` keeps in the store).
 */
export const unrecorded = <A, E, R>(
  executionId: string,
  name: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | DurableStore> =>
  Effect.gen(function*() {
    const earlier = yield* (yield* DurableStore).stepBegins(executionId, name)
    const checkpoints = yield* Checkpoint.CurrentCheckpointStore
    return yield* effect.pipe(
      Effect.provideService(Workflow.CurrentStepRunner, Workflow.plainRunner),
      Effect.provideService(Workflow.CurrentStepAttempt, Effect.succeed(earlier)),
      // A first attempt has nothing to take over: no read of a checkpoint that no attempt wrote.
      Effect.provideService(
        Checkpoint.CurrentCheckpointStore,
        Option.isSome(earlier) ? checkpoints : { ...checkpoints, load: () => Effect.succeedNone }
      )
    )
  })
