/**
 * What a route handler sees and answers. Handlers are keyed by the spec's (method, path template), the same pair the
 * generated definitions carry, so one definition of an endpoint serves the client and the emulator. A handler fails
 * with {@link ApiFailure}, which becomes Iconik's error body: `{"errors": [...]}` or `{"errors": {field: msg}}`.
 */
import * as Effect from "effect/Effect"
import type { Method } from "../../Endpoint.ts"
import type { Env } from "./Env.ts"
import { type ApiFailure, invalidFields, type Reply } from "./Reply.ts"
import type { EmulatorState, EmulatorUser } from "./State.ts"

export * from "./Reply.ts"

/** Typed access to the query string; malformed numbers and booleans fail with Iconik's 400 field map. */
export class Query {
  readonly params: URLSearchParams

  constructor(params: URLSearchParams) {
    this.params = params
  }

  has(name: string): boolean {
    return this.params.has(name)
  }

  string(name: string): string | undefined {
    const value = this.params.get(name)
    return value === null || value === "" ? undefined : value
  }

  /** Repeated parameters and comma-separated values, flattened: `ids=a,b&ids=c` → `[a, b, c]`. */
  list(name: string): ReadonlyArray<string> | undefined {
    const values = this.params.getAll(name).flatMap((value) => value.split(",")).map((v) => v.trim()).filter((v) => v !== "")
    return values.length === 0 ? undefined : values
  }

  int(name: string, options?: { readonly min?: number; readonly max?: number }): Effect.Effect<number | undefined, ApiFailure> {
    const text = this.string(name)
    if (text === undefined) return Effect.succeed(undefined)
    const value = Number(text)
    if (!Number.isInteger(value)) return Effect.fail(invalidFields({ [name]: "Not a valid integer." }))
    if (options?.min !== undefined && value < options.min) {
      return Effect.fail(invalidFields({ [name]: `Must be greater than or equal to ${options.min}.` }))
    }
    if (options?.max !== undefined && value > options.max) {
      return Effect.fail(invalidFields({ [name]: `Must be less than or equal to ${options.max}.` }))
    }
    return Effect.succeed(value)
  }

  bool(name: string): Effect.Effect<boolean | undefined, ApiFailure> {
    const text = this.string(name)
    if (text === undefined) return Effect.succeed(undefined)
    const lower = text.toLowerCase()
    if (lower === "true" || lower === "1") return Effect.succeed(true)
    if (lower === "false" || lower === "0") return Effect.succeed(false)
    return Effect.fail(invalidFields({ [name]: "Not a valid boolean." }))
  }

  /** Whether a boolean flag is set to true (malformed values count as false). */
  flag(name: string): boolean {
    const text = this.string(name)?.toLowerCase()
    return text === "true" || text === "1"
  }
}

export interface RouteContext {
  readonly method: Method
  /** The spec path template that matched, e.g. `/API/assets/v1/assets/{asset_id}/`. */
  readonly template: string
  /** Decoded path parameters by their spec names. */
  readonly params: Readonly<Record<string, string>>
  readonly query: Query
  /** The JSON body after validation against the definition's body schema (undefined when none was sent). */
  readonly body: any
  readonly user: EmulatorUser
  /** Epoch milliseconds from effect's Clock when the request arrived. */
  readonly now: number
  /** The request path, normalised (single slashes, trailing slash). */
  readonly path: string
  readonly state: EmulatorState
  readonly env: Env
}

export type Handler = (context: RouteContext) => Effect.Effect<Reply, ApiFailure>

export interface Route {
  readonly method: Method
  /** The full spec path template, exactly as the generated definition spells it. */
  readonly path: string
  readonly handler: Handler
  /**
   * Picks between templates of the same shape (`formats/{format_id}/` and `formats/{name}/`): the route only matches
   * when this accepts the parameters.
   */
  readonly accepts?: ((params: Readonly<Record<string, string>>) => boolean) | undefined
  /**
   * `specific` (default): the route models Iconik's behaviour for this operation; `generic`: the spec-driven store
   * answers it. Sent as the `x-emulator-fidelity` header.
   */
  readonly fidelity?: Fidelity | undefined
}

export type Fidelity = "specific" | "generic"

export const route = (
  method: Method,
  path: string,
  handler: Handler,
  options?: { readonly accepts?: Route["accepts"] }
): Route => ({ method, path, handler, accepts: options?.accepts })

/** A path parameter that the template guarantees. */
export const param = (context: RouteContext, name: string): string => context.params[name] ?? ""
