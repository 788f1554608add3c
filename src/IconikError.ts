/**
 * Typed failures of Iconik calls. Every error names the method and the request path (never the token, never a query
 * string) and, for HTTP statuses, carries Iconik's error body: `{"errors": [...]}` or `{"errors": {field: msg}}`.
 *
 * Iconik's error bodies are free text that can quote a presigned URL or the caller's token, so what an error shows
 * goes through the scrubber in `Redaction.ts`: {@link fromStatus} scrubs the body it is given (with the client's
 * token), and every message and JSON form is scrubbed again for the shapes of secrets (an error made by hand too).
 */
import * as Schema from "effect/Schema"
import type { DeclarableStatus } from "./Definition.ts"
import { type Secret, scrubSecrets, scrubValue } from "./Redaction.ts"

/** Iconik's error body: a list of messages, or a map of field → message for validation failures. */
export const IconikErrorBody = Schema.Union([
  Schema.Array(Schema.String),
  Schema.Record(Schema.String, Schema.Unknown)
])
export type IconikErrorBody = typeof IconikErrorBody.Type

const httpFields = {
  status: Schema.Number,
  method: Schema.String,
  path: Schema.String,
  /** The `errors` member of Iconik's body, when the body had one. */
  errors: Schema.optional(IconikErrorBody)
}

/** A short text from Iconik's error body, for messages. */
export const describeErrors = (errors: IconikErrorBody | undefined): string => {
  if (errors === undefined) return ""
  const parts = Array.isArray(errors)
    ? errors.map(String)
    : Object.entries(errors).map(([field, msg]) => `${field}: ${typeof msg === "string" ? msg : JSON.stringify(msg)}`)
  return parts.length === 0 ? "" : `: ${parts.join("; ")}`
}

const httpMessage = (self: { status: number; method: string; path: string; errors?: IconikErrorBody | undefined }) =>
  scrubSecrets(`${self.method} ${self.path} → ${self.status}${describeErrors(self.errors)}`)

/** The JSON form of an error (`JSON.stringify`, `util.inspect`): its fields, scrubbed. */
const scrubbedJson = (self: object): unknown => scrubValue({ ...self })

/** 400: Iconik rejected the request (validation errors come as a field map). */
export class IconikBadRequest extends Schema.TaggedError<IconikBadRequest>()("IconikBadRequest", httpFields) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 401: the App-ID / Auth-Token pair is missing, unknown or expired. */
export class IconikUnauthorized extends Schema.TaggedError<IconikUnauthorized>()("IconikUnauthorized", httpFields) {
  override get message() {
    return `${httpMessage(this)} (check ICONIK_APP_ID and ICONIK_AUTH_TOKEN)`
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 403: the user behind the token lacks a required role or the object's ACL. */
export class IconikForbidden extends Schema.TaggedError<IconikForbidden>()("IconikForbidden", httpFields) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 404: the object (or the requested page) does not exist. */
export class IconikNotFound extends Schema.TaggedError<IconikNotFound>()("IconikNotFound", httpFields) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 409: the request conflicts with the object's state (e.g. a version from an asset that is transcoding). */
export class IconikConflict extends Schema.TaggedError<IconikConflict>()("IconikConflict", httpFields) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 429: over Iconik's rate limit. `retryAfterMillis` is the server's Retry-After, when it sent one. */
export class IconikRateLimited extends Schema.TaggedError<IconikRateLimited>()("IconikRateLimited", {
  ...httpFields,
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** 5xx: Iconik failed (or a proxy in front of it did). `retryAfterMillis`: a 503's Retry-After, when it sent one. */
export class IconikServerError extends Schema.TaggedError<IconikServerError>()("IconikServerError", {
  ...httpFields,
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** A status the operation does not declare and that has no class of its own (e.g. 419, or 404 where none is declared). */
export class IconikUnexpectedStatus extends Schema.TaggedError<IconikUnexpectedStatus>()(
  "IconikUnexpectedStatus",
  httpFields
) {
  override get message() {
    return httpMessage(this)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** The request never got a complete answer: connection refused or reset, DNS failure, or the client's timeout. */
export class IconikTransportError extends Schema.TaggedError<IconikTransportError>()("IconikTransportError", {
  method: Schema.String,
  path: Schema.String,
  reason: Schema.Literals(["Timeout", "ConnectionRefused", "ConnectionReset", "Other"]),
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(`${this.method} ${this.path}: ${this.reason} (${this.detail})`)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** What a spent deadline reports, for the Iconik client and the storage client alike. */
export const deadlineReportFields = {
  attempts: Schema.Number,
  elapsedMillis: Schema.Number,
  deadlineMillis: Schema.Number,
  /** The last failed attempt's error message, if any had failed. */
  lastError: Schema.optional(Schema.String)
}

export const describeDeadline = (report: {
  readonly attempts: number
  readonly elapsedMillis: number
  readonly deadlineMillis: number
  readonly lastError?: string | undefined
}): string => {
  const last = report.lastError === undefined ? "" : `; last failure: ${report.lastError}`
  return `no success within the ${report.deadlineMillis} ms deadline (${report.attempts} attempt(s) over ${report.elapsedMillis} ms${last})`
}

/**
 * The call's overall deadline passed (or its next wait would have passed it) before an attempt succeeded: the
 * per-attempt timeout bounds one try, this bounds them all.
 */
export class IconikDeadlineExceeded extends Schema.TaggedError<IconikDeadlineExceeded>()("IconikDeadlineExceeded", {
  method: Schema.String,
  path: Schema.String,
  ...deadlineReportFields
}) {
  override get message() {
    return `${this.method} ${this.path}: ${describeDeadline(this)}`
  }
}

/** The answer was larger than the client's `maxResponseBytes` (or declared so): reading stopped at the limit. */
export class IconikResponseTooLarge extends Schema.TaggedError<IconikResponseTooLarge>()("IconikResponseTooLarge", {
  method: Schema.String,
  path: Schema.String,
  status: Schema.Number,
  limitBytes: Schema.Number,
  /** The answer's Content-Length, when it declared one above the limit. */
  declaredBytes: Schema.optional(Schema.Number)
}) {
  override get message() {
    const declared = this.declaredBytes === undefined ? "more" : `${this.declaredBytes} bytes`
    return `${this.method} ${this.path} → ${this.status}: the answer has ${declared}, above the ${this.limitBytes}-byte limit (maxResponseBytes)`
  }
}

/** A 2xx answer whose body does not match the operation's schema (or is not JSON). */
export class IconikDecodeError extends Schema.TaggedError<IconikDecodeError>()("IconikDecodeError", {
  method: Schema.String,
  path: Schema.String,
  status: Schema.Number,
  /** Where in the body decoding failed, e.g. `objects[3].status`. */
  schemaPath: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(
      `${this.method} ${this.path} → ${this.status}: response did not decode at ${this.schemaPath || "<root>"}: ${this.detail}`
    )
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** The caller's input could not be encoded into a request (bad id, invalid body or query); nothing was sent. */
export class IconikInvalidRequest extends Schema.TaggedError<IconikInvalidRequest>()("IconikInvalidRequest", {
  method: Schema.String,
  path: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(`${this.method} ${this.path}: invalid request, not sent: ${this.detail}`)
  }

  override toJSON() {
    return scrubbedJson(this)
  }
}

/** Errors any Iconik call can produce, whatever its spec declares. */
export type IconikAlwaysError =
  | IconikUnauthorized
  | IconikRateLimited
  | IconikServerError
  | IconikUnexpectedStatus
  | IconikTransportError
  | IconikDeadlineExceeded
  | IconikResponseTooLarge
  | IconikDecodeError
  | IconikInvalidRequest

/** Maps a declared status to its error class (the type an operation's error channel lists). */
export interface IconikStatusErrors {
  400: IconikBadRequest
  401: IconikUnauthorized
  403: IconikForbidden
  404: IconikNotFound
  409: IconikConflict
  429: IconikRateLimited
}

/** Statuses with an error class of their own, which a spec can declare (defined with the operation definitions). */
export type { DeclarableStatus }

/** The error channel of an operation that declares `S`. */
export type IconikErrorFor<S extends DeclarableStatus> = IconikStatusErrors[S] | IconikAlwaysError

/** Every Iconik error, for handlers that treat them alike. */
export type IconikError = IconikErrorFor<DeclarableStatus>

const statusClasses = {
  400: IconikBadRequest,
  401: IconikUnauthorized,
  403: IconikForbidden,
  404: IconikNotFound,
  409: IconikConflict
} as const

/**
 * The error for an HTTP failure. A status the operation declared (or one always possible) gets its own class;
 * anything else is {@link IconikUnexpectedStatus}, so the runtime value always matches the declared type. Iconik's
 * body is scrubbed before the error holds it: of `secrets` (the client's token) and of anything shaped like one.
 */
export const fromStatus = (
  props: { status: number; method: string; path: string; errors?: IconikErrorBody | undefined; retryAfterMillis?: number | undefined },
  declared: ReadonlyArray<number>,
  secrets: Iterable<Secret> = []
): IconikError => {
  const { retryAfterMillis, errors, ...rest } = props
  const fields = errors === undefined ? rest : { ...rest, errors: scrubValue(errors, secrets) as IconikErrorBody }
  // Only a 429 or a 5xx carries the server's Retry-After.
  const withDelay = retryAfterMillis === undefined ? fields : { ...fields, retryAfterMillis }
  if (props.status === 429) return new IconikRateLimited(withDelay)
  if (props.status >= 500) return new IconikServerError(withDelay)
  if (props.status === 401) return new IconikUnauthorized(fields)
  const cls = statusClasses[props.status as keyof typeof statusClasses]
  if (cls !== undefined && declared.includes(props.status)) return new cls(fields)
  return new IconikUnexpectedStatus(fields)
}
