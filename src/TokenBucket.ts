/**
 * A token bucket that hands out request slots: `requestsPerSecond` refill, up to `burst` saved. A caller that finds
 * the bucket empty reserves the next slot and sleeps until it, so waiting callers are served in arrival order.
 * Time comes from effect's Clock, so TestClock drives it in tests. Shared by the client and the emulator.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export interface TokenBucketOptions {
  readonly requestsPerSecond: number
  readonly burst: number
}

export interface TokenBucket {
  /** Waits for a slot. */
  readonly take: Effect.Effect<void>
  /** Takes a slot if one is free now; never waits. */
  readonly tryTake: Effect.Effect<boolean>
  /** Slots free now (negative while callers are queued). */
  readonly available: Effect.Effect<number>
}

export const make = (options: TokenBucketOptions): TokenBucket => {
  const rate = options.requestsPerSecond / 1000
  let tokens = options.burst
  let last: number | undefined
  const refill = (now: number) => {
    if (last !== undefined) tokens = Math.min(options.burst, tokens + (now - last) * rate)
    last = now
  }
  const take = Effect.flatMap(Clock.currentTimeMillis, (now) => {
    refill(now)
    tokens -= 1
    if (tokens >= 0) return Effect.void
    // Give the slot back if the waiter is interrupted, so an abandoned call does not slow the others.
    return Effect.sleep(Math.ceil(-tokens / rate)).pipe(Effect.onInterrupt(() => Effect.sync(() => (tokens += 1))))
  })
  const tryTake = Effect.map(Clock.currentTimeMillis, (now) => {
    refill(now)
    if (tokens < 1) return false
    tokens -= 1
    return true
  })
  const available = Effect.map(Clock.currentTimeMillis, (now) => {
    refill(now)
    return tokens
  })
  return { take, tryTake, available }
}
