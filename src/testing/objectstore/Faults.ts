/**
 * Deterministic storage faults. A rule names which requests it hits (provider, operation, bucket, key, part
 * number) and what happens: an error in the provider's own format, added latency, or a connection reset. Attempts are
 * counted per (rule, bucket, key, part), and a probabilistic rule decides from a hash of (seed, rule, target,
 * attempt), so a run faults the same way whatever order concurrent requests arrive in.
 *
 * Every fault says whether the store carried the request out: a failure and a reset before handling leave no trace
 * (no object, part, session or block is created), so a retry is always safe; a lost answer (`lostAnswer`) applies the
 * request and then drops the connection, so a client has to find out what happened (e.g. a completed multipart
 * upload whose answer never came: the retried complete answers NoSuchUpload).
 */
import { createHash } from "node:crypto"
import type { Operation, Provider } from "./Model.ts"

/** Answer with this status and provider error (`code` defaults to the provider's usual code for the status). Not applied. */
export interface FailFault {
  readonly _tag: "Fail"
  readonly status: number
  readonly code?: string | undefined
  readonly message?: string | undefined
}

/** Wait this long (the store's Clock: under TestClock, until the test adjusts time) before handling. */
export interface DelayFault {
  readonly _tag: "Delay"
  readonly millis: number
}

/**
 * Reset the TCP connection (in-process: a transport error with code ECONNRESET).
 *
 * - `BeforeHandling` (the default): read `afterBytes` of the body (default: half the declared length), then reset.
 *   Not applied: the store keeps nothing of the request.
 * - `AfterHandling`: handle the request completely (the upload is stored, the session started, the multipart upload
 *   completed), then reset instead of answering. Applied: the answer is lost.
 */
export interface ResetFault {
  readonly _tag: "Reset"
  readonly afterBytes?: number | undefined
  readonly when?: "BeforeHandling" | "AfterHandling" | undefined
}

export type Fault = FailFault | DelayFault | ResetFault

/** Whether a request this fault hit was carried out (its change is in the store). */
export const isApplied = (fault: Fault): boolean =>
  fault._tag === "Delay" || (fault._tag === "Reset" && fault.when === "AfterHandling")

export const fail = (
  status: number,
  options?: { readonly code?: string | undefined; readonly message?: string | undefined }
): FailFault => ({ _tag: "Fail", status, code: options?.code, message: options?.message })

export const delay = (millis: number): DelayFault => ({ _tag: "Delay", millis })

/** Reset before handling, after reading `afterBytes` of the body: nothing is stored. */
export const reset = (afterBytes?: number): ResetFault => ({ _tag: "Reset", afterBytes, when: "BeforeHandling" })

/** Handle the request, then reset instead of answering: the change is made, the client never hears of it. */
export const lostAnswer = (): ResetFault => ({ _tag: "Reset", when: "AfterHandling" })

export interface FaultRule {
  readonly fault: Fault
  readonly provider?: Provider | undefined
  readonly operation?: Operation | ReadonlyArray<Operation> | undefined
  readonly bucket?: string | undefined
  /** Exact key, or a pattern. */
  readonly key?: string | RegExp | undefined
  /** S3 / B2 part number(s). */
  readonly partNumber?: number | ReadonlyArray<number> | undefined
  /** Only the first `times` matching attempts per (bucket, key, part) fault; later attempts pass. Default: all. */
  readonly times?: number | undefined
  /** Chance in [0, 1] that a matching attempt faults, derived from the seed (see module doc). Default 1. */
  readonly probability?: number | undefined
}

export interface FaultConfig {
  /** Feeds probabilistic rules. Default 0. */
  readonly seed?: string | number | undefined
  readonly rules?: ReadonlyArray<FaultRule> | undefined
}

/** The request a decision is about. */
export interface FaultTarget {
  readonly provider: Provider
  readonly operation: Operation
  readonly bucket: string
  readonly key: string
  readonly partNumber: number | undefined
}

export interface FaultDecision {
  /** Sum of the delays of every rule that fired. */
  readonly delayMillis: number
  /** The first failing or resetting rule that fired. */
  readonly failure: FailFault | ResetFault | undefined
}

const matches = <A>(filter: A | ReadonlyArray<A> | undefined, value: A | undefined): boolean =>
  filter === undefined ||
  (Array.isArray(filter) ? (filter as ReadonlyArray<A>).includes(value as A) : filter === value)

const matchesRule = (rule: FaultRule, target: FaultTarget): boolean =>
  (rule.provider === undefined || rule.provider === target.provider) &&
  matches(rule.operation, target.operation) &&
  (rule.bucket === undefined || rule.bucket === target.bucket) &&
  (rule.key === undefined ||
    // `search` ignores a /g pattern's lastIndex, so a reused rule matches every time.
    (typeof rule.key === "string" ? rule.key === target.key : target.key.search(rule.key) !== -1)) &&
  matches(rule.partNumber, target.partNumber)

/** A uniform number in [0, 1) from a string, stable across runs and platforms. */
const unitInterval = (input: string): number =>
  createHash("sha256").update(input).digest().readUInt32BE(0) / 0x1_0000_0000

/** Mutable fault plan owned by one store. */
export class FaultPlan {
  private rules: Array<{ readonly id: number; readonly rule: FaultRule }> = []
  private attempts = new Map<string, number>()
  private nextId = 0
  private readonly seed: string

  constructor(config: FaultConfig | undefined) {
    this.seed = String(config?.seed ?? 0)
    for (const rule of config?.rules ?? []) this.add(rule)
  }

  add(rule: FaultRule): void {
    this.rules.push({ id: this.nextId++, rule })
  }

  /** Drops every rule and forgets attempt counts. */
  clear(): void {
    this.rules = []
    this.attempts = new Map()
  }

  decide(target: FaultTarget): FaultDecision {
    let delayMillis = 0
    let failure: FailFault | ResetFault | undefined
    for (const { id, rule } of this.rules) {
      if (!matchesRule(rule, target)) continue
      const counterKey = `${id}\u0000${target.bucket}\u0000${target.key}\u0000${target.partNumber ?? ""}`
      const attempt = this.attempts.get(counterKey) ?? 0
      this.attempts.set(counterKey, attempt + 1)
      if (rule.times !== undefined && attempt >= rule.times) continue
      if (
        rule.probability !== undefined &&
        unitInterval(`${this.seed}\u0000${counterKey}\u0000${attempt}`) >= rule.probability
      ) continue
      if (rule.fault._tag === "Delay") delayMillis += rule.fault.millis
      else failure ??= rule.fault
    }
    return { delayMillis, failure }
  }
}
