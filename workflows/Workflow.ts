/**
 * A tiny vocabulary for declarative pipelines. A workflow is a named Effect made of named steps; each step declares
 * its retry policy, runs in a span of its own and reports start / completion / failure / retries to
 * {@link Progress}. Workflows stay plain Effects: compose them, provide them, interrupt them.
 *
 * ```ts
 * const closeProxy = Workflow.step("close proxy", Files.patchProxy(...), { retry: { times: 3 } })
 * ```
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as Retry from "../src/Retry.ts"
import * as Progress from "./Progress.ts"

/**
 * How a step retries its own failures (on top of the client's retries for 429 / 5xx): the SDK's one policy
 * (`Retry.ts`), every field but `times` optional, plus which failures are worth another attempt.
 */
export interface StepRetry<E> extends Partial<Retry.RetryPolicy> {
  /** Retries after the first attempt. */
  readonly times: number
  /** First delay; doubles each retry (with jitter), up to `maxDelay` (default 10 s). Default 200 ms. */
  readonly baseDelay?: Duration.Input | undefined
  /** The same as `baseDelay` (its earlier name). */
  readonly delay?: Duration.Input | undefined
  /** Which failures are worth another attempt. Default: all. */
  readonly while?: ((error: E) => boolean) | undefined
}

/** The earlier name of {@link StepRetry}. */
export type RetryPolicy<E> = StepRetry<E>

export interface StepOptions<E, A = unknown> {
  readonly retry?: StepRetry<E> | undefined
  /**
   * The step's result as a durable engine stores it (JSON). Without it the result is stored as its JSON form, which
   * suits plain data; declare one when a later step needs a value JSON does not keep (dates, bigints, classes).
   */
  readonly result?: Schema.Codec<A, any> | undefined
}

/**
 * How steps run. The default runs each step in the current fiber (the plain workflows). A durable engine
 * (`effect-iconik/durable`) swaps in a runner that makes each outermost step an activity of the engine: a completed
 * step is not run again when the workflow replays after a crash, and an interrupted one runs again.
 */
export interface StepRunner {
  /** Runs one named step (`effect` already instrumented: span, retries, progress). */
  readonly run: <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options: StepOptions<E, A>) => Effect.Effect<A, E, R>
  /**
   * The engine replays completed steps and resumes an interrupted workflow elsewhere. A workflow on it does not look
   * for a crashed run's checkpoint (the execution itself resumes), keeps what it made when it is interrupted (the run
   * continues on another runner), and continues an interrupted upload from the checkpoint store inside the upload
   * step.
   */
  readonly durable: boolean
  /**
   * On a durable engine: hands the engine the clean-up of an interrupted workflow. The engine runs it (its steps as
   * steps of the execution) if the execution ends cancelled, once the execution's last step has stopped; not when a
   * runner stops, and again (each completed step replayed) if a runner dies during it.
   */
  readonly onCancel?: (<R>(cleanUp: Effect.Effect<void, never, R>) => Effect.Effect<void, never, R>) | undefined
}

/** The plain runner: a step is its effect. */
export const plainRunner: StepRunner = { run: (_name, effect) => effect, durable: false }

export const CurrentStepRunner = Context.Reference<StepRunner>("effect-iconik/workflows/StepRunner", {
  defaultValue: () => plainRunner
})

/**
 * Inside a step: when an earlier attempt of this very step began, if one did (a durable engine runs a step again
 * when its runner died during it). `None` on the first attempt, and always on the plain runner. Steps whose effect
 * may have acted without its answer being kept (a create) look for what it made first.
 */
export const CurrentStepAttempt = Context.Reference<Effect.Effect<Option.Option<number>>>(
  "effect-iconik/workflows/StepAttempt",
  { defaultValue: () => Effect.succeedNone }
)

/** See {@link CurrentStepAttempt}. */
export const earlierAttempt: Effect.Effect<Option.Option<number>> = CurrentStepAttempt.use((attempt) => attempt)

/** Whether the workflow runs on a durable engine (see {@link StepRunner.durable}). */
export const isDurable: Effect.Effect<boolean> = CurrentStepRunner.use((runner) => Effect.succeed(runner.durable))

/**
 * Runs `cleanUp` (what undoes what the workflow made) after a failed `exit`. On a durable engine an interruption is
 * not a failure: the run continues (on this runner after a restart, or on another one) with what it made so far;
 * there the engine is handed `cleanUp`, and runs it if the execution ends cancelled (see {@link StepRunner.onCancel}).
 */
export const cleanUpAfter = <R>(exit: Exit.Exit<unknown, unknown>, cleanUp: Effect.Effect<void, never, R>): Effect.Effect<void, never, R> =>
  Exit.isSuccess(exit) ? Effect.void : CurrentStepRunner.use((runner) =>
    !runner.durable || !Cause.hasInterruptsOnly(exit.cause)
      ? cleanUp
      : runner.onCancel === undefined
      ? Effect.void
      : runner.onCancel(cleanUp)
  )

/** The workflow the current fiber runs in, and the item (file, asset) it works on. */
export interface WorkflowContext {
  readonly workflow: string
  readonly item?: string | undefined
}

export const CurrentWorkflow = Context.Reference<WorkflowContext>("effect-iconik/workflows/CurrentWorkflow", {
  defaultValue: () => ({ workflow: "adhoc" })
})

/** The tag of a failure, for progress events and reports. */
export const reasonOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : error instanceof Error
    ? error.name
    : "Error"

export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/**
 * Wraps `body` as a named workflow: a span named `workflow <name>`, and every step inside reports under that name.
 * The result is still a function returning a plain Effect.
 */
export const make = <Args extends ReadonlyArray<unknown>, A, E, R>(
  name: string,
  body: (...args: Args) => Effect.Effect<A, E, R>
): (...args: Args) => Effect.Effect<A, E, R> =>
(...args) =>
  CurrentWorkflow.use((outer) =>
    body(...args).pipe(
      Effect.provideService(CurrentWorkflow, { workflow: name, item: outer.item }),
      Effect.withSpan(`workflow ${name}`, { attributes: outer.item === undefined ? {} : { "workflow.item": outer.item } })
    )
  )

/** Runs `effect` as work on `item` (a file path, an asset id): its steps' progress events carry it. */
export const forItem = <A, E, R>(item: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  CurrentWorkflow.use((outer) => Effect.provideService(effect, CurrentWorkflow, { ...outer, item }))

const retrying = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  retry: StepRetry<E>,
  onRetry: (attempt: number, delayMillis: number, error: E) => Effect.Effect<void>
): Effect.Effect<A, E, R> => {
  const policy: Retry.RetryPolicy = {
    times: retry.times,
    baseDelay: retry.baseDelay ?? retry.delay ?? 200,
    maxDelay: retry.maxDelay ?? Duration.seconds(10)
  }
  const keepGoing = retry.while
  return Retry.retry(effect, policy, {
    retryable: (error) => keepGoing === undefined || keepGoing(error),
    // StepRetrying counts retries (1, 2, ...), the schedule the attempts that follow (2, 3, ...).
    onRetry: (attempt, delayMillis, error) => onRetry(attempt - 1, delayMillis, error)
  })
}

/**
 * One named step. Runs `effect` in a span `step <name>`, retries it as `options.retry` declares, and reports it to
 * {@link Progress}. Interruption is reported as a failure with reason `Interrupted`. The {@link CurrentStepRunner}
 * decides how it runs (in the current fiber, or as a durable engine's activity).
 */
export const step = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options?: StepOptions<E, A>): Effect.Effect<A, E, R> =>
  CurrentStepRunner.use((runner) => runner.run(name, instrumented(name, effect, options), options ?? {}))

const instrumented = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>, options: StepOptions<E, A> | undefined) =>
  CurrentWorkflow.use(({ item, workflow }) =>
    Effect.gen(function*() {
      const started = yield* Clock.currentTimeMillis
      yield* Progress.emit({ _tag: "StepStarted", workflow, step: name, item })
      const body = options?.retry === undefined ? effect : retrying(effect, options.retry, (attempt, delayMillis, error) =>
        Effect.andThen(
          Effect.annotateCurrentSpan("workflow.step.retries", attempt),
          Progress.emit({ _tag: "StepRetrying", workflow, step: name, item, attempt, delayMillis, reason: reasonOf(error) })
        ))
      return yield* body.pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit)
            ? Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Progress.emit({ _tag: "StepCompleted", workflow, step: name, item, millis: now - started }))
            : Progress.emit(failedEvent(workflow, name, item, exit.cause))
        )
      )
    }).pipe(
      Effect.withSpan(`step ${name}`, {
        attributes: { "workflow.name": workflow, ...(item === undefined ? {} : { "workflow.item": item }) }
      })
    )
  )

const failedEvent = (workflow: string, step: string, item: string | undefined, cause: Cause.Cause<unknown>): Progress.StepFailed => {
  const error = Cause.findErrorOption(cause)
  if (error._tag === "Some") {
    return { _tag: "StepFailed", workflow, step, item, reason: reasonOf(error.value), message: messageOf(error.value) }
  }
  if (Cause.hasInterruptsOnly(cause)) {
    return { _tag: "StepFailed", workflow, step, item, reason: "Interrupted", message: "interrupted" }
  }
  return { _tag: "StepFailed", workflow, step, item, reason: "Defect", message: Cause.pretty(cause) }
}
