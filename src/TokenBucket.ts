/**
 * A token bucket that hands out request slots: `requestsPerSecond` refill, up to `burst` saved. A caller that finds
 * the bucket empty reserves the next slot and sleeps until it, so waiting callers are served in arrival order, spaced
 * at the sustained rate. A server's "slow down" (a 429) {@link TokenBucket.pause pauses} the whole bucket: no slot
 * before the pause ends, waiting callers' slots move back by as much, and no burst right after it. Time comes from
 * effect's Clock, so TestClock drives it in tests. Shared by the client and the emulator.
 *
 * Kept as the time the next slot is free (the "theoretical arrival time" of GCRA) rather than a token count: a
 * reservation and a pause are each one number to move.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"

export interface TokenBucketOptions {
  readonly requestsPerSecond: number
  readonly burst: number
}

/**
 * What a client needs of a limiter: a slot before each request, and a pause when the server says "slow down". A
 * {@link TokenBucket} is one (one process); a limiter shared by several processes (e.g. `ClusterLimits` of
 * `effect-iconik/durable`, over PostgreSQL) is another.
 */
export interface Limiter {
  /** The sustained rate and burst it enforces (the refill time of a pause without Retry-After comes from them). */
  readonly options: TokenBucketOptions
  /** Waits for a slot. */
  readonly take: Effect.Effect<void>
  /** No slot for `millis` from now, for every caller sharing the limiter; answers whether a pause started. */
  readonly pause: (millis: number) => Effect.Effect<boolean>
}

/** The limiter of one process. */
export interface TokenBucket extends Limiter {
  /** Takes a slot if one is free now; never waits. */
  readonly tryTake: Effect.Effect<boolean>
  /** Slots free now (negative while callers are queued). */
  readonly available: Effect.Effect<number>
  /**
   * No slot for `millis` from now (a pause already running longer is kept); callers already waiting move back by the
   * time added, and the bucket starts empty after it, so the callers it held are released at the sustained rate,
   * not at once. Answers whether a pause started (the bucket was not paused).
   */
  readonly pause: (millis: number) => Effect.Effect<boolean>
}

/** Options a bucket cannot work with (a rate or burst that is not a positive number). */
export class InvalidTokenBucket extends Schema.TaggedError<InvalidTokenBucket>()("InvalidTokenBucket", {
  detail: Schema.String
}) {
  override get message() {
    return `Invalid rate limit: ${this.detail}`
  }
}

const positive = (value: number) => Number.isFinite(value) && value > 0

/** The bucket's state, in one `Ref` so each step reads and moves it in one go. */
interface State {
  /** The time the next slot is free, ignoring the tolerance; at or before now the bucket is full. */
  readonly next: number
  readonly pausedUntil: number
  /** Total time pauses added: a waiter that sees it grow sleeps the difference. */
  readonly pausedTotal: number
}

/** A new bucket, full. Each call builds a bucket of its own: build one per limiter, inside its owner's Effect. */
export const make = Effect.fnUntraced(function*(options: TokenBucketOptions) {
  if (!positive(options.requestsPerSecond)) {
    const detail = `requestsPerSecond must be above 0, got ${options.requestsPerSecond}`
    return yield* new InvalidTokenBucket({ detail })
  }
  if (!Number.isFinite(options.burst) || options.burst < 1) {
    return yield* new InvalidTokenBucket({ detail: `burst must be 1 or more, got ${options.burst}` })
  }
  const interval = 1000 / options.requestsPerSecond
  // How far ahead of its slot a caller may go: the saved tokens.
  const tolerance = (options.burst - 1) * interval
  const state = yield* Ref.make<State>({
    next: Number.NEGATIVE_INFINITY,
    pausedUntil: Number.NEGATIVE_INFINITY,
    pausedTotal: 0
  })

  const waitOut = (seen: number): Effect.Effect<void> =>
    Effect.flatMap(Ref.get(state), ({ pausedTotal }) => {
      if (pausedTotal === seen) return Effect.void
      const added = pausedTotal - seen
      return Effect.andThen(Effect.sleep(added), waitOut(seen + added))
    })

  // Give the slot back if the waiter is interrupted, so an abandoned call does not slow the others.
  const giveBack = Ref.update(state, (s) => ({ ...s, next: s.next - interval }))

  const take = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.flatMap(
      Ref.modify(state, (s): readonly [{ at: number; seen: number }, State] => {
        const next = Math.max(s.next, now)
        const at = Math.max(next - tolerance, s.pausedUntil)
        return [{ at, seen: s.pausedTotal }, { ...s, next: next + interval }]
      }),
      ({ at, seen }) =>
        at <= now
          ? Effect.void
          : Effect.sleep(at - now).pipe(Effect.andThen(waitOut(seen)), Effect.onInterrupt(() => giveBack))
    ))
  const tryTake = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Ref.modify(state, (s): readonly [boolean, State] => {
      const from = Math.max(s.next, now)
      if (from - tolerance > now || now < s.pausedUntil) return [false, s]
      return [true, { ...s, next: from + interval }]
    }))
  const available = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(Ref.get(state), ({ next }) =>
      Math.min(options.burst, (now + tolerance + interval - Math.max(next, now)) / interval)))
  const pause = (millis: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(state, (s): readonly [boolean, State] => {
        const until = now + Math.max(0, millis)
        if (until <= s.pausedUntil) return [false, s]
        const started = s.pausedUntil <= now
        const added = until - Math.max(s.pausedUntil, now)
        // Queued slots move back with the pause; with none queued the bucket is empty when the pause ends.
        const next = Math.max(Math.max(s.next, now) + added, until + tolerance)
        return [started, { next, pausedUntil: until, pausedTotal: s.pausedTotal + added }]
      }))
  return { options, take, tryTake, available, pause } satisfies TokenBucket as TokenBucket
})

// ---------------------------------------------------------------------------------------------------------------
// The client's answer to a 429

/**
 * Every 429 the Iconik client's limiter met, each attempt counted (retried or not). Read it with
 * `Metric.value(TokenBucket.rateLimitedTotal)`, or export it with effect's metric exporters.
 */
export const rateLimitedTotal = Metric.counter("iconik_client_rate_limited_total", {
  description: "429 answers met by the Iconik client (each one paused every call sharing the client)",
  incremental: true
})

/**
 * A 429 met: counts it and pauses the bucket, so every call sharing it slows down, not just the one that is retried.
 * The pause is the server's Retry-After, else the time the bucket takes to refill (at least a second), at most
 * `maxPauseMillis`. A warning is logged when a pause starts.
 */
export const slowDown = (bucket: Limiter, retryAfterMillis: number | undefined, maxPauseMillis: number) => {
  const refill = Math.max(1000, (bucket.options.burst / bucket.options.requestsPerSecond) * 1000)
  const millis = Math.min(maxPauseMillis, retryAfterMillis ?? refill)
  return Metric.update(rateLimitedTotal, 1).pipe(
    Effect.andThen(bucket.pause(millis)),
    Effect.flatMap((started) =>
      started
        ? Effect.logWarning(`Iconik answered 429 (rate limited): pausing every call of this client for ${millis} ms`)
        : Effect.void
    )
  )
}
