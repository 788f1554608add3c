/**
 * Deterministic faults on Iconik routes. A rule names the requests it hits (method, spec template or a pattern over
 * `METHOD /path`) and when (the Nth matching calls, the first `times`, or with a probability derived from the seed),
 * and what happens: an error status with Iconik's body, a proxy's HTML error page, added latency on effect's Clock, a
 * connection reset, or a 2xx whose JSON body is cut short. Storage faults belong to the object store's own plan.
 *
 * Every fault says whether the emulator carried the request out ({@link isApplied}):
 *
 * - not applied: `serverError`, `rateLimited`, `htmlError`, `resetBeforeHandling` answer (or drop the connection)
 *   before the route runs, so nothing changes and a retry is safe;
 * - applied: `lostAnswer` (alias `reset`) and `truncatedBody` run the route first, then lose or mangle its answer, so
 *   the change is made and a client that retries blindly makes it twice (why POSTs need reconciliation).
 */
import { createHash } from "node:crypto"
import type { Method } from "../../Endpoint.ts"

/** Answer with this status and Iconik's error body (e.g. a 500, a 503 or a 429 the limiter would not give). Not applied. */
export interface StatusFault {
  readonly _tag: "Status"
  readonly status: number
  readonly errors?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** Answer with an HTML error page, as a load balancer in front of Iconik does. Not applied. */
export interface HtmlFault {
  readonly _tag: "Html"
  readonly status: number
}

/** Wait this long (effect's Clock) before handling the request, which then runs as usual. */
export interface LatencyFault {
  readonly _tag: "Latency"
  readonly millis: number
}

/**
 * Drop the connection (in-process: the HttpClient fails with a transport error whose cause has code ECONNRESET).
 *
 * - `BeforeHandling`: the request never reaches its route; over a socket the client gets no answer at all. Not applied.
 * - `AfterHandling` (a lost answer): the route runs and its change is made; over a socket the client gets the status
 *   line, headers and half the body, then the connection drops. Applied.
 */
export interface ResetFault {
  readonly _tag: "Reset"
  readonly when: "BeforeHandling" | "AfterHandling"
}

/** Run the request, then send only the first half of its JSON body (with the full Content-Length gone). Applied. */
export interface TruncatedBodyFault {
  readonly _tag: "TruncatedBody"
}

export type Fault = StatusFault | HtmlFault | LatencyFault | ResetFault | TruncatedBodyFault

/** Whether a request this fault hit was carried out by its route (its change is in the state). */
export const isApplied = (fault: Fault): boolean =>
  fault._tag === "Latency" || fault._tag === "TruncatedBody" || (fault._tag === "Reset" && fault.when === "AfterHandling")

export const serverError = (status = 500, errors?: ReadonlyArray<string>): StatusFault => ({
  _tag: "Status",
  status,
  errors: errors ?? [status === 503 ? "Service Unavailable" : "Internal Server Error"]
})

/** A 429 with Iconik's body and, optionally, a Retry-After in seconds. */
export const rateLimited = (retryAfterSeconds?: number): StatusFault => ({
  _tag: "Status",
  status: 429,
  errors: ["Rate limit exceeded"],
  headers: retryAfterSeconds === undefined ? undefined : { "retry-after": String(retryAfterSeconds) }
})

export const htmlError = (status = 502): HtmlFault => ({ _tag: "Html", status })
export const latency = (millis: number): LatencyFault => ({ _tag: "Latency", millis })
/** The connection drops before the request is handled: nothing changes. */
export const resetBeforeHandling: ResetFault = { _tag: "Reset", when: "BeforeHandling" }
/** The request is handled, then the connection drops before the answer arrives: the change is made. */
export const lostAnswer: ResetFault = { _tag: "Reset", when: "AfterHandling" }
/** {@link lostAnswer}: the request is handled, then the connection drops. */
export const reset: ResetFault = lostAnswer
export const truncatedBody: TruncatedBodyFault = { _tag: "TruncatedBody" }

export interface FaultRule {
  readonly fault: Fault
  readonly method?: Method | undefined
  /**
   * A spec template (`/API/assets/v1/assets/{asset_id}/`), or a pattern tested against `METHOD /actual/path/`.
   * Default: every Iconik route.
   */
  readonly route?: string | RegExp | undefined
  /** Only these matching calls fault (1-based, counted per rule). */
  readonly onCalls?: number | ReadonlyArray<number> | undefined
  /** Only the first `times` matching calls fault. */
  readonly times?: number | undefined
  /** Chance in [0, 1] that a matching call faults, derived from the seed and the call's number. Default 1. */
  readonly probability?: number | undefined
}

export interface FaultTarget {
  readonly method: string
  readonly path: string
  readonly template: string | undefined
}

export interface FaultDecision {
  readonly latencyMillis: number
  /** The first non-latency fault that fired, and the rule's description for the request log. */
  readonly fault: Exclude<Fault, LatencyFault> | undefined
}

const unitInterval = (input: string): number =>
  createHash("sha256").update(input).digest().readUInt32BE(0) / 0x1_0000_0000

const matchesRule = (rule: FaultRule, target: FaultTarget): boolean => {
  if (rule.method !== undefined && rule.method !== target.method) return false
  if (rule.route === undefined) return true
  if (typeof rule.route === "string") return rule.route === target.template || rule.route === target.path
  // `search` ignores a /g pattern's lastIndex, so a reused rule matches every time.
  return `${target.method} ${target.path}`.search(rule.route) !== -1
}

/** The mutable set of rules of one emulator. */
export class FaultPlan {
  private rules: Array<{ readonly id: number; readonly rule: FaultRule; calls: number }> = []
  private nextId = 0
  private readonly seed: string

  constructor(seed: string, rules: ReadonlyArray<FaultRule> = []) {
    this.seed = seed
    for (const rule of rules) this.add(rule)
  }

  add(rule: FaultRule): void {
    this.rules.push({ id: this.nextId++, rule, calls: 0 })
  }

  clear(): void {
    this.rules = []
  }

  decide(target: FaultTarget): FaultDecision {
    let latencyMillis = 0
    let fault: Exclude<Fault, LatencyFault> | undefined
    for (const entry of this.rules) {
      const { rule } = entry
      if (!matchesRule(rule, target)) continue
      entry.calls += 1
      const call = entry.calls
      if (rule.onCalls !== undefined) {
        const calls = typeof rule.onCalls === "number" ? [rule.onCalls] : rule.onCalls
        if (!calls.includes(call)) continue
      }
      if (rule.times !== undefined && call > rule.times) continue
      if (rule.probability !== undefined && unitInterval(`${this.seed}\u0000${entry.id}\u0000${call}`) >= rule.probability) {
        continue
      }
      if (rule.fault._tag === "Latency") latencyMillis += rule.fault.millis
      else fault ??= rule.fault
    }
    return { latencyMillis, fault }
  }
}

const reasons: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Temporarily Unavailable",
  504: "Gateway Time-out"
}

/** The kind of page nginx or a cloud load balancer sends instead of Iconik's JSON. */
export const htmlPage = (status: number): string => {
  const title = `${status} ${reasons[status] ?? "Error"}`
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
}
