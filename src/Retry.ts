/**
 * The one retry policy of the SDK and its `Schedule`, shared by the Iconik client, the storage client, the GCS
 * resumable engine and workflow steps, so they all back off alike: exponential delays with "equal jitter", capped,
 * and a server's `Retry-After` in place of the back-off. Also one reading of low-level socket errors.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Pull from "effect/Pull"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import type { RetryOption, RetryPolicy } from "./Definition.ts"

/** How failed attempts are retried, and a policy as options take it (plain types, kept with the call options). */
export type { RetryOption, RetryPolicy }

/**
 * `defaults` with each override applied in turn (a layer's, then a call's); `undefined` once any says `false`.
 * A later override may turn retries back on: its fields apply over `defaults`.
 */
export const resolvePolicy = (
  defaults: RetryPolicy,
  ...overrides: ReadonlyArray<RetryOption | undefined>
): RetryPolicy | undefined => {
  let policy: RetryPolicy | undefined = defaults
  for (const override of overrides) {
    if (override === undefined) continue
    policy = override === false ? undefined : { ...(policy ?? defaults), ...override }
  }
  return policy
}

/**
 * The delay before retry number `retries + 1`, in milliseconds: `baseMillis × 2^retries`, at most `maxMillis`, half of
 * it fixed and half random, so parallel callers do not retry in lockstep.
 */
export const backoffMillis = (baseMillis: number, maxMillis: number, retries: number): Effect.Effect<number> =>
  Effect.map(Random.next, (random) => {
    const ceiling = Math.min(maxMillis, baseMillis * 2 ** retries)
    return Math.round(ceiling / 2 + (ceiling / 2) * random)
  })

/** A `Retry-After` header (seconds, or an HTTP date) in milliseconds from `now`. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const toMillis = (input: Duration.Input) => Duration.toMillis(Duration.fromInputUnsafe(input))

/** What a schedule needs to know about failures besides the policy. */
export interface RetryDecision<E> {
  /** Whether this failure may be tried again at all. */
  readonly retryable: (error: E) => boolean
  /** The delay the server asked for (`Retry-After`), in milliseconds: it replaces the back-off. */
  readonly retryAfterMillis?: ((error: E) => number | undefined) | undefined
  /** Runs before each wait: the attempt that follows (2, 3, ...), the wait in milliseconds, the failure. */
  readonly onRetry?: ((attempt: number, delayMillis: number, error: E) => Effect.Effect<void>) | undefined
}

/** Where a retry schedule stands: retries so far, and whether it stopped because its next wait would pass the deadline. */
export interface RetryState {
  readonly retries: number
  readonly outOfTime: boolean
}

/**
 * The policy as a `Schedule` over failures, for `Effect.retry`: it stops at a failure that is not retryable, after
 * `times` retries, or when the server asks for a wait beyond `maxDelay`; otherwise it waits the server's delay or the
 * jittered back-off. With `deadlineAt` (epoch millis on effect's Clock), it also stops when the wait would end past
 * it, rather than sleep into the deadline.
 */
export const schedule = <E>(
  policy: RetryPolicy,
  decision: RetryDecision<E>,
  deadlineAt?: number
): Schedule.Schedule<RetryState, E> => {
  const base = toMillis(policy.baseDelay)
  const max = toMillis(policy.maxDelay)
  return Schedule.fromStepWithMetadata(Effect.succeed((meta: Schedule.InputMetadata<E>) => {
    const error = meta.input
    const retries = meta.attempt - 1
    const stop = (outOfTime: boolean) => Cause.done<RetryState>({ retries, outOfTime })
    if (retries >= policy.times || !decision.retryable(error)) return stop(false)
    const serverDelay = decision.retryAfterMillis?.(error)
    if (serverDelay !== undefined && serverDelay > max) return stop(false)
    const delay = serverDelay === undefined ? backoffMillis(base, max, retries) : Effect.succeed(serverDelay)
    return Effect.flatMap(delay, (millis) => {
      if (deadlineAt !== undefined && meta.now + millis >= deadlineAt) return stop(true)
      const output: [RetryState, Duration.Duration] = [{ retries: retries + 1, outOfTime: false }, Duration.millis(millis)]
      return decision.onRetry === undefined
        ? Effect.succeed(output)
        : Effect.as(decision.onRetry(retries + 2, millis, error), output)
    })
  }))
}

/** `effect` retried as `policy` and `decision` say; as is when `policy` is `undefined` (retries off). */
export const retry = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  policy: RetryPolicy | undefined,
  decision: RetryDecision<E>
): Effect.Effect<A, E, R> => (policy === undefined ? effect : Effect.retry(effect, schedule(policy, decision)))

/** What a call that ran out of time did: for the error that says so. */
export interface DeadlineReport<E> {
  readonly attempts: number
  readonly elapsedMillis: number
  readonly deadlineMillis: number
  /** The last attempt's failure, if one had failed before time ran out. */
  readonly lastError: E | undefined
}

/**
 * `attempt` retried as {@link retry} does, all within `deadline` (no bound when `undefined`): once it has passed, or
 * once the next wait would pass it, the call fails with `onDeadline`'s error, which says how many attempts were made
 * and for how long. A per-attempt timeout alone would let a call that times out every time go on for `times` ×
 * (timeout + back-off).
 */
export const retryWithin = <A, E, R, E2>(
  attempt: Effect.Effect<A, E, R>,
  options: {
    readonly policy: RetryPolicy | undefined
    readonly decision: RetryDecision<E>
    readonly deadline: Duration.Input | undefined
    readonly onDeadline: (report: DeadlineReport<E>) => E2
  }
): Effect.Effect<A, E | E2, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    let attempts = 0
    let lastError: E | undefined
    const counted = Effect.suspend(() => {
      attempts++
      return Effect.tapError(attempt, (error) => Effect.sync(() => (lastError = error)))
    })
    const deadlineMillis = options.deadline === undefined ? undefined : toMillis(options.deadline)
    const exceeded = (deadlineMillis: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.fail(options.onDeadline({ attempts, elapsedMillis: now - start, deadlineMillis, lastError })))
    const retried = options.policy === undefined ? counted : Effect.retryOrElse(
      counted,
      schedule(options.policy, options.decision, deadlineMillis === undefined ? undefined : start + deadlineMillis),
      (error, state): Effect.Effect<never, E | E2> =>
        state.outOfTime && deadlineMillis !== undefined ? exceeded(deadlineMillis) : Effect.fail(error)
    )
    if (deadlineMillis === undefined) return retried
    return Effect.timeoutOrElse(retried, { duration: Duration.millis(deadlineMillis), orElse: () => exceeded(deadlineMillis) })
  })

/**
 * The same schedule for loops that do work of their own between attempts (GCS asks where to resume after a failed
 * chunk): each call with a failure waits and answers `true`, or answers `false` at once when the policy says stop.
 * Make a new one to start counting again.
 */
export const budget = <E>(
  policy: RetryPolicy,
  decision: RetryDecision<E>
): Effect.Effect<(error: E) => Effect.Effect<boolean>> =>
  Effect.map(Schedule.toStepWithSleep(schedule(policy, decision)), (step) => (error: E) =>
    step(error).pipe(
      Effect.as(true),
      Pull.catchDone(() => Effect.succeed(false))
    ))

// ---------------------------------------------------------------------------------------------------------------
// Socket errors

/** What a failed connection amounts to, from a Node / undici socket error (or one it wraps). */
export type TransportReason = "Timeout" | "ConnectionRefused" | "ConnectionReset" | "Other"

const codeOf = (cause: unknown): string | undefined => {
  if (Predicate.hasProperty(cause, "code") && Predicate.isString(cause.code)) return cause.code
  // fetch / undici wrap the socket error: `TypeError: fetch failed` with the real one as its cause.
  if (Predicate.hasProperty(cause, "cause")) return codeOf(cause.cause)
  return undefined
}

export const transportReason = (cause: unknown): TransportReason => {
  switch (codeOf(cause)) {
    case "ECONNREFUSED":
      return "ConnectionRefused"
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return "ConnectionReset"
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return "Timeout"
    default:
      return "Other"
  }
}

/** The socket error's code, for messages. */
export const transportCode = codeOf
