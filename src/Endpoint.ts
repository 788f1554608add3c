/**
 * One definition per Iconik operation. The generator emits a {@link Definition} for each (method, path, parameters,
 * body, success and error statuses, summary, roles, paging family); the client executes it and the emulator serves
 * it. {@link make} turns a definition into the typed function users call.
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { IconikClient } from "./IconikClient.ts"
import type { DeclarableStatus, IconikErrorFor } from "./IconikError.ts"
import type { RetryOption } from "./Retry.ts"
import type * as Schema from "effect/Schema"

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/**
 * How a list operation continues (see Pagination): `page` (page/per_page, with `pages` known), `search`
 * (page/per_page plus `search_after` in the body), `last_id` (cursor of the last item's id), `last_field_name`
 * (metadata fields, cursor of the last name).
 */
export type PagingFamily = "page" | "search" | "last_id" | "last_field_name"

export interface SuccessResponse {
  readonly status: number
  /** Absent when Iconik answers without a body (e.g. 204, or a 201 with nothing). */
  readonly schema?: Schema.Top | undefined
  /** `application/json` unless stated (e.g. `text/csv` for segment exports). */
  readonly contentType?: string | undefined
  /** The body may also be empty: an empty answer is `undefined`, any other is decoded with `schema`. */
  readonly optionalBody?: boolean | undefined
}

export interface Definition {
  /** The service's segment in `/API/<service>/`. */
  readonly service: string
  /** The generated function's name. */
  readonly name: string
  readonly method: Method
  /** The full path template as sent, e.g. `/API/assets/v1/assets/{asset_id}/`. */
  readonly path: string
  readonly pathParams: ReadonlyArray<string>
  /** A struct of the query parameters, if any. */
  readonly query?: Schema.Top | undefined
  readonly body?: {
    readonly schema: Schema.Top
    readonly contentType: string
    readonly required: boolean
  } | undefined
  readonly success: ReadonlyArray<SuccessResponse>
  /** Error statuses with a class of their own that the spec (or the overlay) declares. */
  readonly errors: ReadonlyArray<DeclarableStatus>
  readonly summary: string
  readonly roles: ReadonlyArray<string>
  readonly paging?: PagingFamily | undefined
  /** Whether the legacy `scroll` / `scroll_id` parameters are accepted. */
  readonly scroll?: boolean | undefined
  readonly deprecated?: boolean | undefined
}

export interface CallOptions {
  /** Overrides the client's timeout for this call (each attempt). */
  readonly timeout?: Duration.Input | undefined
  /** Overrides the client's overall deadline for this call (all attempts and waits); `false`: no bound. */
  readonly deadline?: Duration.Input | false | undefined
  /** Overrides the client's `maxResponseBytes` for this call (e.g. a large CSV export). */
  readonly maxResponseBytes?: number | undefined
  /** Overrides the client's retry policy for this call (its fields over the client's); `false`: no retries. */
  readonly retry?: RetryOption | undefined
  /**
   * Whether sending this request twice is safe, so it may be repeated after a failure Iconik may have acted on (a
   * 502/503/504, a reset, a timeout). Default: every method but POST. Mark a read-only POST (a search) `true`.
   */
  readonly idempotent?: boolean | undefined
}

/** A generated operation: call it with its input; its `definition` drives the client, pagination and the emulator. */
export interface Operation<I, A, S extends DeclarableStatus> {
  (...args: [I] extends [void] ? [input?: I, options?: CallOptions] : [input: I, options?: CallOptions]): Effect.Effect<
    A,
    IconikErrorFor<S>,
    IconikClient
  >
  readonly definition: Definition
}

/** Input fields every operation's input object may hold besides its path parameters. */
export interface InputShape {
  readonly query?: unknown
  readonly body?: unknown
}

export const make = <I, A, S extends DeclarableStatus = never>(definition: Definition): Operation<I, A, S> => {
  const operation = (input?: I, options?: CallOptions) =>
    IconikClient.use((client) => client.execute(definition, input, options)) as Effect.Effect<
      A,
      IconikErrorFor<S>,
      IconikClient
    >
  return Object.assign(operation, { definition }) as unknown as Operation<I, A, S>
}

/** The input type of an operation. */
export type Input<O> = O extends Operation<infer I, any, any> ? I : never
/** The success type of an operation. */
export type Success<O> = O extends Operation<any, infer A, any> ? A : never
