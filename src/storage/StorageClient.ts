/**
 * The HTTP client for presigned storage URLs (S3, GCS, Azure SAS, B2), kept apart from the Iconik client on purpose:
 *
 * - it never sends Iconik's `App-ID` / `Auth-Token` nor trace-context headers (`traceparent`, `b3`): those would leak
 *   to a third party. It builds its own node:http transport instead of using the application's `HttpClient`, turns
 *   off the HTTP client's own tracing and strips those headers from every request anyway;
 * - presigned URLs are credentials until they expire: logs, spans and errors only show `scheme://host/path`;
 * - every request with a body sends an exact `Content-Length` (S3 rejects chunked presigned PUTs), and file bodies
 *   stream from disk by byte range, so memory stays bounded whatever the file size;
 * - only idempotent requests (anything but POST, unless marked) are retried, on the SDK's one retry schedule
 *   (`Retry.ts`: exponential back-off with jitter, `Retry-After` honoured); a file body is re-read from disk on each
 *   attempt.
 */
// Submodules, not the package index: the index loads every Node service (measured: ~20 MiB more resident).
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientError from "effect/http/HttpClientError"
import { redactUrl, scrubSecrets } from "../Redaction.ts"
import * as ResponseBody from "../ResponseBody.ts"
import * as Retry from "../Retry.ts"
import {
  isTransient,
  parseErrorBody,
  StorageDeadlineExceeded,
  StorageError,
  type StorageFailure,
  StorageFileError,
  type StorageProvider,
  StorageResponseTooLarge,
  StorageTransportError
} from "./StorageError.ts"

/** How failed idempotent requests are retried: the SDK's one policy (`Retry.ts`). */
export type RetryPolicy = Retry.RetryPolicy

export const defaultRetryPolicy: RetryPolicy = { times: 4, baseDelay: "250 millis", maxDelay: "10 seconds" }

/** Largest storage answer read, unless the options say otherwise. */
export const defaultMaxResponseBytes = 1024 * 1024

/** How long one request may take, retries included, unless the options say otherwise. */
export const defaultDeadline: Duration.Duration = Duration.hours(1)

export interface StorageClientOptions {
  /** Retry policy for idempotent requests (over {@link defaultRetryPolicy}); `false`: no retries. */
  readonly retry?: Retry.RetryOption | undefined
  /**
   * Bound on one request, its attempts and the waits between them included: past it the request fails with
   * `StorageDeadlineExceeded`. Default 1 hour (a part or chunk that keeps moving is not stopped by `idleTimeout`; this
   * ends one retried again and again). `false`: no bound.
   */
  readonly deadline?: Duration.Input | false | undefined
  /**
   * An attempt fails with a `Timeout` transport error when, for this long, no body bytes went out and no complete
   * answer came (default 2 minutes). It bounds stalls, not transfers: a 5 GiB PUT may take as long as it keeps moving.
   */
  readonly idleTimeout?: Duration.Input | undefined
  /**
   * Largest answer read, in bytes (default 1 MiB: S3's largest XML, a ListParts page of 1000 parts, is about 250 KiB):
   * a longer one fails with `StorageResponseTooLarge` as soon as the limit is passed. Error answers are read up to
   * 64 KiB.
   */
  readonly maxResponseBytes?: number | undefined
  /** Size of the reads from disk that feed request bodies (default 1 MiB: fewer reads, measured ~2× less CPU per GiB than 64 KiB). */
  readonly readChunkSize?: number | undefined
}

/** A request body: nothing (sent as `Content-Length: 0` on PUT/POST), bytes in memory, or a byte range of a file. */
export type StorageBody =
  | { readonly _tag: "Empty"; readonly contentType?: string | undefined }
  | { readonly _tag: "Bytes"; readonly bytes: Uint8Array; readonly contentType?: string | undefined }
  | {
    readonly _tag: "FileRange"
    readonly path: string
    readonly offset: number
    readonly length: number
    readonly contentType?: string | undefined
  }

export type StorageMethod = "GET" | "HEAD" | "PUT" | "POST" | "DELETE"

export interface StorageRequest {
  readonly provider: StorageProvider
  /** Name for errors, logs and spans, e.g. `UploadPart`. */
  readonly operation: string
  readonly method: StorageMethod
  /** The presigned URL, sent exactly as given (never re-encoded: the signature covers it). */
  readonly url: string
  /** Extra headers. `Content-Length` is always computed; `App-ID`, `Auth-Token` and trace headers are dropped. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: StorageBody | undefined
  /** Which statuses count as success (default: 2xx). */
  readonly accept?: ((status: number) => boolean) | undefined
  /**
   * Retry policy for this request (its fields over the client's), or `false` for none. Ignored for POST, which is
   * never retried unless marked {@link idempotent}.
   */
  readonly retry?: Retry.RetryOption | undefined
  /** Overrides the client's deadline for this request; `false`: no bound. */
  readonly deadline?: Duration.Input | false | undefined
  /** A POST that the provider treats as a replace, so repeating it is safe (B2 `b2_upload_part` by part number). */
  readonly idempotent?: boolean | undefined
  /** Called with the size of each body chunk as it is sent, and with minus the attempt's total when it fails. */
  readonly onBodyProgress?: ((bytes: number) => Effect.Effect<void>) | undefined
  /** Called before each retry, with the attempt number that follows (2, 3, ...) and the failure. */
  readonly onRetry?: ((attempt: number, error: StorageFailure) => Effect.Effect<void>) | undefined
  /**
   * Streams an accepted answer's body to the caller instead of reading it as text (downloads): called once per
   * attempt, its failure fails the attempt (and is retried like any other when transient). The response's `body` is
   * then empty. Each chunk counts as activity for `idleTimeout`; `maxResponseBytes` does not apply (the consumer
   * bounds what it takes).
   */
  readonly onResponseBody?:
    | ((
      response: { readonly status: number; readonly headers: Readonly<Record<string, string>> },
      body: Stream.Stream<Uint8Array, StorageFailure>
    ) => Effect.Effect<void, StorageFailure>)
    | undefined
}

export interface StorageResponse {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A local file checked for upload: a readable regular file, with its size. */
export interface FileInfo {
  readonly path: string
  readonly size: number
  readonly modifiedAt: number | undefined
}

export interface StorageClientShape {
  /** Sends one request: retries (if idempotent), timeout, typed errors, redaction. */
  readonly send: (request: StorageRequest) => Effect.Effect<StorageResponse, StorageFailure>
  /** Checks that `path` is a readable regular file and returns its size, before any request is made. */
  readonly fileInfo: (path: string) => Effect.Effect<FileInfo, StorageFileError>
  /** Fails with `StorageFileError` ("Changed") when the file's size or modification time differ from `info`. */
  readonly ensureUnchanged: (info: FileInfo) => Effect.Effect<void, StorageFileError>
  /** Streams `length` bytes of a file from `offset`, failing if the file has fewer. */
  readonly readRange: (path: string, offset: number, length: number) => Stream.Stream<Uint8Array, StorageFileError>
}

/** Headers that must never reach storage: Iconik's credentials and trace context. */
const neverSent = ["app-id", "auth-token", "traceparent", "tracestate", "b3"]

/** Request headers the caller cannot set: the above, and the length, which always comes from the body. */
const notFromCaller = new Set([...neverSent, "content-length"])

const fileErrorFrom = (path: string, error: { readonly reason: { readonly _tag: string; readonly message: string } }) =>
  new StorageFileError({
    path,
    reason: error.reason._tag === "NotFound"
      ? "NotFound"
      : error.reason._tag === "PermissionDenied"
      ? "PermissionDenied"
      : "Other",
    detail: error.reason.message
  })

/**
 * Builds the client from the `HttpClient` (which should be node:http based, see {@link layer}) and the `FileSystem`
 * in context (tests, custom transports).
 */
export const make = (
  options: StorageClientOptions = {}
): Effect.Effect<StorageClientShape, never, FileSystem.FileSystem | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    // Stripped last, after any middleware the given client carries.
    const httpClient = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        neverSent.reduce((stripped, name) => HttpClientRequest.removeHeader(stripped, name), request)
      )
    )
    const idleTimeout = Duration.fromInputUnsafe(options.idleTimeout ?? "2 minutes")
    const idleMillis = Duration.toMillis(idleTimeout)
    const readChunkSize = options.readChunkSize ?? 1024 * 1024
    const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes

    const fileInfo = (path: string): Effect.Effect<FileInfo, StorageFileError> =>
      Effect.gen(function*() {
        const info = yield* fs.stat(path)
        if (info.type !== "File") {
          return yield* new StorageFileError({ path, reason: "NotAFile", detail: `a ${info.type}, not a regular file` })
        }
        yield* fs.access(path, { readable: true })
        const modifiedAt = info.mtime._tag === "Some" ? info.mtime.value.getTime() : undefined
        return { path, size: Number(info.size), modifiedAt }
      }).pipe(
        Effect.catchTag("PlatformError", (error) => Effect.fail(fileErrorFrom(path, error)))
      )

    const ensureUnchanged = (before: FileInfo) =>
      Effect.flatMap(fileInfo(before.path), (now) =>
        now.size === before.size && now.modifiedAt === before.modifiedAt
          ? Effect.void
          : Effect.fail(
            new StorageFileError({
              path: before.path,
              reason: "Changed",
              detail: `the file changed during the upload (size ${before.size} → ${now.size})`
            })
          ))

    const readRange = (path: string, offset: number, length: number): Stream.Stream<Uint8Array, StorageFileError> =>
      Stream.suspend(() => {
        let read = 0
        return fs.stream(path, { offset, bytesToRead: length, chunkSize: readChunkSize }).pipe(
          Stream.mapError((error) => fileErrorFrom(path, error)),
          Stream.tap((chunk) => Effect.sync(() => (read += chunk.length))),
          Stream.concat(Stream.suspend(() =>
            read === length ? Stream.empty : Stream.fail(
              new StorageFileError({
                path,
                reason: "Changed",
                detail: `expected ${length} bytes from offset ${offset}, the file had ${read}`
              })
            )
          ))
        )
      })

    const toBody = (
      body: StorageBody | undefined,
      method: StorageMethod,
      onBytes: (n: number) => Effect.Effect<void>
    ) => {
      if (body === undefined || body._tag === "Empty") {
        // An explicit zero length on PUT/POST: some servers want it, and it rules out chunked encoding.
        return method === "PUT" || method === "POST"
          ? HttpBody.raw(new Uint8Array(0), { contentType: body?.contentType, contentLength: 0 })
          : HttpBody.empty
      }
      if (body._tag === "Bytes") {
        return HttpBody.raw(body.bytes, { contentType: body.contentType, contentLength: body.bytes.length })
      }
      return HttpBody.stream(
        readRange(body.path, body.offset, body.length).pipe(Stream.tap((chunk) => onBytes(chunk.length))),
        body.contentType ?? "application/octet-stream",
        body.length
      )
    }

    const sendOnce = (request: StorageRequest, url: string): Effect.Effect<StorageResponse, StorageFailure> => {
      let sent = 0
      let lastActivity = 0
      const onBytes = (n: number) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          sent += n
          lastActivity = now
          return request.onBodyProgress === undefined ? Effect.void : request.onBodyProgress(n)
        })
      const location = { provider: request.provider, operation: request.operation, method: request.method, url }
      // Fails the attempt once nothing has moved for `idleTimeout`; loses the race as soon as the attempt ends.
      const watchdog = Effect.gen(function*() {
        lastActivity = yield* Clock.currentTimeMillis
        while (true) {
          const idleFor = (yield* Clock.currentTimeMillis) - lastActivity
          if (idleFor >= idleMillis) {
            return yield* new StorageTransportError({
              ...location,
              reason: "Timeout",
              detail: `nothing sent or received for ${Duration.format(idleTimeout)}`
            })
          }
          yield* Effect.sleep(Duration.millis(idleMillis - idleFor))
        }
      })
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        if (!notFromCaller.has(name.toLowerCase())) headers[name.toLowerCase()] = value
      }
      const httpRequest = HttpClientRequest.make(request.method)(request.url).pipe(
        HttpClientRequest.setBody(toBody(request.body, request.method, onBytes)),
        HttpClientRequest.setHeaders(headers)
      )
      const isAccepted = (status: number) => request.accept?.(status) ?? (status >= 200 && status < 300)
      const attempt = httpClient.execute(httpRequest).pipe(
        Effect.tap((response) => Effect.annotateCurrentSpan("http.response.status_code", response.status)),
        Effect.flatMap((response): Effect.Effect<
          StorageResponse,
          StorageFailure | HttpClientError.HttpClientError
        > => {
          // Answers are read within limits: a success up to maxResponseBytes (more fails), an error document 64 KiB.
          const accepted = isAccepted(response.status)
          const onResponseBody = request.onResponseBody
          if (accepted && onResponseBody !== undefined) {
            const head = { status: response.status, headers: response.headers as Record<string, string> }
            const body = response.stream.pipe(
              Stream.tap(() => Effect.map(Clock.currentTimeMillis, (now) => void (lastActivity = now))),
              Stream.mapError((error) => fromHttpClientError(error, location))
            )
            return Effect.as(onResponseBody(head, body), { ...head, body: "" })
          }
          const read = accepted
            ? ResponseBody.readText(response, maxResponseBytes, "fail")
            : ResponseBody.readText(response, ResponseBody.maxErrorBodyBytes, "truncate")
          return Effect.map(read, (body): StorageResponse => ({
            status: response.status,
            headers: response.headers as Record<string, string>,
            body
          })).pipe(
            Effect.mapError((error) =>
              error._tag === "BodyTooLarge"
                ? new StorageResponseTooLarge({
                  ...location,
                  status: response.status,
                  limitBytes: error.limitBytes,
                  ...(error.declaredBytes === undefined ? {} : { declaredBytes: error.declaredBytes })
                })
                : error
            )
          )
        }),
        Effect.catchTag("HttpClientError", (error) => Effect.fail(fromHttpClientError(error, location))),
        (attempt) => Effect.raceFirst(attempt, watchdog),
        Effect.flatMap((response) => {
          if (isAccepted(response.status)) return Effect.succeed(response)
          const parsed = parseErrorBody(response.body, response.headers)
          return Effect.fail(
            new StorageError({
              ...location,
              status: response.status,
              ...parsed,
              // At most about 1 KiB of a provider's body reaches an error.
              ...(parsed.detail === undefined ? {} : { detail: ResponseBody.excerpt(parsed.detail) }),
              ...retryAfter(response)
            })
          )
        }),
        // A failed attempt's bytes were not stored: take them back from the progress count.
        Effect.tapError(() => (sent === 0 ? Effect.void : onBytes(-sent))),
        // The transport runs untraced (no client span with the full URL, no trace headers): this span is the record.
        Effect.provideService(HttpClient.TracerDisabledWhen, () => true),
        Effect.provideService(HttpClient.TracerPropagationEnabled, false),
        Effect.tap((response) =>
          Effect.logDebug("storage request").pipe(
            Effect.annotateLogs({ ...location, status: response.status })
          )
        ),
        Effect.tapError((error) =>
          Effect.logDebug("storage request failed").pipe(Effect.annotateLogs({ ...location, error: error.message }))
        )
      )
      return attempt
    }

    const send = (request: StorageRequest): Effect.Effect<StorageResponse, StorageFailure> => {
      const url = redactUrl(request.url)
      // A POST the provider may have acted on is repeated only when the caller says repeating it is safe.
      const policy = request.method === "POST" && request.idempotent !== true
        ? undefined
        : Retry.resolvePolicy(defaultRetryPolicy, options.retry, request.retry)
      const onRetry = request.onRetry
      const deadline = request.deadline ?? options.deadline ?? defaultDeadline
      const retried = Retry.retryWithin(sendOnce(request, url), {
        policy,
        decision: {
          retryable: isTransient,
          retryAfterMillis: (error) => (error._tag === "StorageError" ? error.retryAfterMillis : undefined),
          onRetry: (attempt, _delay, error) =>
            Effect.annotateCurrentSpan("http.request.resend_count", attempt - 1).pipe(
              Effect.andThen(onRetry === undefined ? Effect.void : onRetry(attempt, error))
            )
        },
        deadline: deadline === false ? undefined : deadline,
        onDeadline: (report) =>
          new StorageDeadlineExceeded({
            provider: request.provider,
            operation: request.operation,
            method: request.method,
            url,
            attempts: report.attempts,
            elapsedMillis: report.elapsedMillis,
            deadlineMillis: report.deadlineMillis,
            ...(report.lastError === undefined ? {} : { lastError: report.lastError.message })
          })
      })
      return retried.pipe(
        Effect.withSpan(`storage.${request.operation}`, {
          kind: "client",
          attributes: {
            "storage.provider": request.provider,
            "http.request.method": request.method,
            "url.full": url,
            // Which bytes of the file (a part, a chunk): the URL's query, which would say it, is not shown.
            ...bodyAttributes(request.body)
          }
        })
      )
    }

    return { send, fileInfo, ensureUnchanged, readRange }
  })

const bodyAttributes = (body: StorageBody | undefined): Record<string, number> =>
  body?._tag === "FileRange"
    ? { "http.request.body.size": body.length, "storage.body.offset": body.offset }
    : body?._tag === "Bytes"
    ? { "http.request.body.size": body.bytes.length }
    : {}

/** A retry policy completed with the defaults. */
export const retryPolicy = (policy: Partial<RetryPolicy> | undefined): RetryPolicy => ({
  ...defaultRetryPolicy,
  ...policy
})

/** Waits before retry number `retries + 1` as the policy's schedule would (for callers that count retries by hand). */
export const sleepBeforeRetry = (policy: RetryPolicy, retries: number): Effect.Effect<void> =>
  Effect.flatMap(
    Retry.backoffMillis(
      Duration.toMillis(Duration.fromInputUnsafe(policy.baseDelay)),
      Duration.toMillis(Duration.fromInputUnsafe(policy.maxDelay)),
      retries
    ),
    (millis) => Effect.sleep(millis)
  )

/** The server's Retry-After on a 429 / 5xx, for the retry schedule. */
const retryAfter = (response: StorageResponse): { readonly retryAfterMillis?: number } => {
  if (response.status !== 429 && response.status < 500) return {}
  const millis = Retry.parseRetryAfter(response.headers["retry-after"], Date.now())
  return millis === undefined ? {} : { retryAfterMillis: millis }
}

const fromHttpClientError = (
  error: HttpClientError.HttpClientError,
  location: { provider: StorageProvider; operation: string; method: string; url: string }
): StorageFailure => {
  const reason = error.reason
  if (reason._tag === "EncodeError" && reason.cause instanceof StorageFileError) return reason.cause
  const cause = reason.cause
  const causeMessage = cause instanceof Error
    ? `${cause.message}${"code" in cause && typeof cause.code === "string" ? ` [${cause.code}]` : ""}`
    : cause === undefined
    ? reason._tag
    : String(cause)
  return new StorageTransportError({
    ...location,
    reason: reason._tag === "TransportError" ? Retry.transportReason(cause) : "Other",
    detail: scrubSecrets(causeMessage)
  })
}

/** The storage client service. Build it with `Storage.layer()` (this module's {@link layer}). */
export class StorageClient extends Context.Service<StorageClient, StorageClientShape>()(
  "effect-iconik/storage/StorageClient"
) {
  /** @deprecated Use `Storage.layer(options)`: the storage client's layers are module functions, like `Iconik.layer`. */
  static readonly layerOptions = (options: StorageClientOptions = {}): Layer.Layer<StorageClient> => layer(options)

  /** @deprecated Use `Storage.layer()`: the storage client's layers are module functions, like `Iconik.layer`. */
  static readonly layer: Layer.Layer<StorageClient> = Layer.suspend(() => layer())

  /** @deprecated Use `Storage.make`. */
  static readonly make = make
}

/**
 * The client on its own node:http transport (keep-alive agent) and the Node file system. It ignores any `HttpClient`
 * in the application's context, so Iconik middleware (auth headers, tracing) cannot reach storage.
 */
export const layer = (options: StorageClientOptions = {}): Layer.Layer<StorageClient> =>
  Layer.effect(StorageClient, make(options)).pipe(
    Layer.provide(NodeHttpClient.layerNodeHttpOptions({ keepAlive: true })),
    Layer.provide(NodeFileSystem.layer)
  )
