/**
 * The retry arithmetic shared by the Iconik client, the storage client and workflow steps, so the three back off
 * alike: exponential delays with "equal jitter", and one reading of low-level socket errors.
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Random from "effect/Random"

/**
 * The delay before retry number `retries + 1`, in milliseconds: `baseMillis × 2^retries`, at most `maxMillis`, half of
 * it fixed and half random, so parallel callers do not retry in lockstep.
 */
export const backoffMillis = (baseMillis: number, maxMillis: number, retries: number): Effect.Effect<number> =>
  Effect.map(Random.next, (random) => {
    const ceiling = Math.min(maxMillis, baseMillis * 2 ** retries)
    return Math.round(ceiling / 2 + (ceiling / 2) * random)
  })

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
