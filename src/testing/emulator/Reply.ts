/**
 * What a handler answers: a {@link Reply}, or an {@link ApiFailure} that becomes Iconik's error body
 * (`{"errors": [...]}` or `{"errors": {field: msg}}`). Imports nothing of the emulator, so the storage backends and
 * paging can fail without knowing the route table.
 */
import * as Schema from "effect/Schema"
import { IconikErrorBody } from "../../IconikError.ts"

/** An Iconik error answer. */
export class ApiFailure extends Schema.TaggedError<ApiFailure>()("ApiFailure", {
  status: Schema.Number,
  /** The same body shape the client decodes: messages, or field → message for validation failures. */
  errors: IconikErrorBody,
  headers: Schema.optional(Schema.Record(Schema.String, Schema.String))
}) {
  override get message() {
    return `${this.status}: ${JSON.stringify(this.errors)}`
  }
}

export const failure = (status: number, ...messages: ReadonlyArray<string>): ApiFailure =>
  new ApiFailure({ status, errors: messages })

/** 404 with Iconik's wording, e.g. `notFound("Asset")` → "Asset does not exist". */
export const notFound = (what: string): ApiFailure => failure(404, `${what} does not exist`)

export const badRequest = (...messages: ReadonlyArray<string>): ApiFailure => failure(400, ...messages)

/** 400 with the field-map body Iconik uses for validation errors. */
export const invalidFields = (fields: Record<string, string>): ApiFailure => new ApiFailure({ status: 400, errors: fields })

export const forbidden = (message = "User does not have permission"): ApiFailure => failure(403, message)

export const conflict = (message: string): ApiFailure => failure(409, message)

/** A successful answer. `body` is serialised as JSON; `text` is sent as is (e.g. a CSV export). */
export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly text?: string | undefined
  readonly contentType?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

export const ok = (body: unknown): Reply => ({ status: 200, body })
export const created = (body?: unknown): Reply => (body === undefined ? { status: 201 } : { status: 201, body })
export const accepted = (body?: unknown): Reply => (body === undefined ? { status: 202 } : { status: 202, body })
export const noContent: Reply = { status: 204 }
export const status = (code: number, body?: unknown): Reply => (body === undefined ? { status: code } : { status: code, body })
