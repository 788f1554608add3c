/**
 * What describes an Iconik operation and a call to it: the {@link Definition} the generator emits for each operation
 * (method, path, parameters, body, success and error statuses, summary, roles, paging family) and the per-call
 * {@link CallOptions}. Plain types that import nothing from the rest of the SDK, so the client, the operations
 * (`Endpoint.ts`), the emulator and the generated code can all depend on them without depending on each other.
 */
import type * as Duration from "effect/Duration"
import type * as Schema from "effect/Schema"

/** Statuses with an error class of their own, which a spec can declare (the classes are in `IconikError.ts`). */
export type DeclarableStatus = 400 | 403 | 404 | 409

/** How failed attempts are retried (the schedule that runs it is in `Retry.ts`). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly times: number
  /** First back-off delay; doubles each retry, with jitter. */
  readonly baseDelay: Duration.Input
  /** Largest back-off delay, and the longest `Retry-After` honoured: a longer one fails at once. */
  readonly maxDelay: Duration.Input
}

/** A policy as options take it: the fields to change, or `false` for no retries. */
export type RetryOption = Partial<RetryPolicy> | false

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

/** Input fields every operation's input object may hold besides its path parameters. */
export interface InputShape {
  readonly query?: unknown
  readonly body?: unknown
}
