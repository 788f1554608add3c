/**
 * Typed failures of storage transfers (S3, GCS, Azure, B2). Storage URLs are presigned: their query strings are
 * credentials, so errors only ever carry `scheme://host/path` ({@link redactUrl}) and free text from providers or
 * sockets goes through {@link scrubSecrets} first. Messages and JSON forms are scrubbed once more on the way out,
 * so an error made by hand with a full URL shows none of its query either.
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { deadlineReportFields, describeDeadline } from "../IconikError.ts"
import { redactUrl, scrubSecrets, scrubValue } from "../Redaction.ts"
import { xmlInner, xmlText } from "./Xml.ts"

// Part of the storage floor's public API; owned by the core's Redaction module.
export { redactUrl, scrubSecrets }

/** The storage providers Iconik hands out upload URLs for. */
export const StorageProvider = Schema.Literals(["S3", "GCS", "Azure", "B2"])
export type StorageProvider = typeof StorageProvider.Type

const location = {
  provider: StorageProvider,
  /** What was being done, e.g. `UploadPart`, `CompleteMultipartUpload`, `PutBlock`. */
  operation: Schema.String,
  method: Schema.String,
  /** The storage URL without its query string. */
  url: Schema.String
}

/**
 * Storage answered with an error: a non-success status, or a 200 whose body is an error document (S3's
 * CompleteMultipartUpload can do that). `code` and `detail` come from the provider's body: S3 / Azure XML
 * `<Error><Code>…<Message>…`, GCS JSON `{error: {message, errors: [{reason}]}}`, B2 JSON `{status, code, message}`.
 */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  ...location,
  status: Schema.Number,
  code: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String),
  /** The server's Retry-After on a 429 or 5xx, when it sent one: the retry waits this long instead of backing off. */
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  override get message() {
    const code = this.code === undefined ? "" : ` ${this.code}`
    const detail = this.detail === undefined ? "" : `: ${this.detail}`
    return scrubSecrets(`${this.provider} ${this.operation}: ${this.method} ${this.url} → ${this.status}${code}${detail}`)
  }

  override toJSON() {
    return scrubValue({ ...this })
  }
}

/** The request never got a complete answer: connection refused or reset, DNS failure, or the per-request timeout. */
export class StorageTransportError extends Schema.TaggedError<StorageTransportError>()("StorageTransportError", {
  ...location,
  reason: Schema.Literals(["Timeout", "ConnectionRefused", "ConnectionReset", "Other"]),
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(`${this.provider} ${this.operation}: ${this.method} ${this.url}: ${this.reason} (${this.detail})`)
  }

  override toJSON() {
    return scrubValue({ ...this })
  }
}

/** The request's overall deadline passed (or its next wait would have passed it) before an attempt succeeded. */
export class StorageDeadlineExceeded extends Schema.TaggedError<StorageDeadlineExceeded>()("StorageDeadlineExceeded", {
  ...location,
  ...deadlineReportFields
}) {
  override get message() {
    return `${this.provider} ${this.operation}: ${this.method} ${this.url}: ${describeDeadline(this)}`
  }
}

/** Storage's answer was larger than the client's `maxResponseBytes` (or declared so): reading stopped at the limit. */
export class StorageResponseTooLarge extends Schema.TaggedError<StorageResponseTooLarge>()("StorageResponseTooLarge", {
  ...location,
  status: Schema.Number,
  limitBytes: Schema.Number,
  /** The answer's Content-Length, when it declared one above the limit. */
  declaredBytes: Schema.optional(Schema.Number)
}) {
  override get message() {
    const declared = this.declaredBytes === undefined ? "more" : `${this.declaredBytes} bytes`
    return `${this.provider} ${this.operation}: ${this.method} ${this.url} → ${this.status}: the answer has ${declared}, above the ${this.limitBytes}-byte limit (maxResponseBytes)`
  }
}

/** The local file cannot be uploaded: missing, unreadable, not a regular file, or it changed during the upload. */
export class StorageFileError extends Schema.TaggedError<StorageFileError>()("StorageFileError", {
  path: Schema.String,
  reason: Schema.Literals(["NotFound", "PermissionDenied", "NotAFile", "Changed", "Other"]),
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(`${this.path}: ${this.reason} (${this.detail})`)
  }

  override toJSON() {
    return scrubValue({ ...this })
  }
}

/**
 * An answer (from storage or from an injected Iconik call) that the transfer cannot use, or options it cannot honour:
 * no UploadId in S3's XML, no part URL for a part number, no resumable session URL, a size that does not match.
 */
export class StorageProtocolError extends Schema.TaggedError<StorageProtocolError>()("StorageProtocolError", {
  provider: StorageProvider,
  operation: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return scrubSecrets(`${this.provider} ${this.operation}: ${this.detail}`)
  }

  override toJSON() {
    return scrubValue({ ...this })
  }
}

/** Any failure a storage transfer can produce by itself (injected Iconik calls add their own errors). */
export type StorageFailure =
  | StorageError
  | StorageTransportError
  | StorageDeadlineExceeded
  | StorageResponseTooLarge
  | StorageFileError
  | StorageProtocolError

/** Codes that mean "try again" whatever the status (S3 `RequestTimeout` is a 400, Azure's busy codes are 500/503). */
const transientCodes = new Set([
  "RequestTimeout",
  "SlowDown",
  "InternalError",
  "ServiceUnavailable",
  "OperationTimedOut",
  "ServerBusy",
  "service_unavailable",
  "internal_error",
  "request_timeout"
])

/** Whether retrying the same request may succeed: transport failures, 408/429/5xx, and the providers' busy codes. */
export const isTransient = (error: StorageFailure): boolean => {
  switch (error._tag) {
    case "StorageTransportError":
      return true
    case "StorageError":
      return error.status === 408 ||
        error.status === 429 ||
        error.status >= 500 ||
        (error.code !== undefined && transientCodes.has(error.code))
    default:
      return false
  }
}

const GcsErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.optional(Schema.String),
    status: Schema.optional(Schema.String),
    errors: Schema.optional(Schema.Array(Schema.Struct({ reason: Schema.optional(Schema.String) })))
  })
})
const B2ErrorBody = Schema.Struct({
  code: Schema.String,
  message: Schema.optional(Schema.String),
  status: Schema.optional(Schema.Number)
})
const decodeJsonError = Schema.decodeUnknownOption(
  Schema.fromJsonString(Schema.Union([GcsErrorBody, B2ErrorBody]))
)

/** The code and message of a provider's error body, whichever of the four formats it uses (or none). */
export const parseErrorBody = (
  body: string,
  headers: Readonly<Record<string, string | undefined>> = {}
): { readonly code?: string; readonly detail?: string; readonly requestId?: string } => {
  // Not GCS's X-GUploader-UploadID: for a resumable session it is the session's upload_id, a credential.
  const requestId = headers["x-amz-request-id"] ?? headers["x-ms-request-id"]
  const withRequestId = <A extends object>(a: A) => (requestId === undefined ? a : { ...a, requestId })
  const trimmed = body.trim()
  if (trimmed.startsWith("<")) {
    const error = xmlInner(trimmed, "Error")
    if (error !== undefined) {
      const code = xmlText(error, "Code") ?? headers["x-ms-error-code"]
      const detail = xmlText(error, "Message")
      return withRequestId({
        ...(code === undefined ? {} : { code }),
        ...(detail === undefined ? {} : { detail: scrubSecrets(detail) })
      })
    }
  }
  const json = decodeJsonError(trimmed)
  if (Option.isSome(json)) {
    const value = json.value
    if ("error" in value) {
      const code = value.error.errors?.[0]?.reason ?? value.error.status
      return withRequestId({
        ...(code === undefined ? {} : { code }),
        ...(value.error.message === undefined ? {} : { detail: scrubSecrets(value.error.message) })
      })
    }
    return withRequestId({
      code: value.code,
      ...(value.message === undefined ? {} : { detail: scrubSecrets(value.message) })
    })
  }
  const headerCode = headers["x-ms-error-code"]
  const text = trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed
  return withRequestId({
    ...(headerCode === undefined ? {} : { code: headerCode }),
    ...(text === "" ? {} : { detail: scrubSecrets(text) })
  })
}

