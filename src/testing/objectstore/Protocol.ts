/**
 * What every protocol handler gets (the store's environment and the parsed request) and the HTTP chores they share:
 * the declared body length, streaming a body into chunks while hashing it, draining, resetting the connection,
 * byte ranges, and applying faults.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { type FailFault, type FaultPlan, type FaultTarget } from "./Faults.ts"
import { type Chunks, type Operation, type Provider, sliceChunks } from "./Model.ts"
import type { SigningKey } from "./Signing.ts"
import type { StoreState } from "./State.ts"

/**
 * The request's connection was reset on purpose (a `Reset` fault). Over a socket the client sees ECONNRESET; an
 * in-process transport should turn this failure into its own transport error.
 */
export class StorageConnectionReset extends Schema.TaggedError<StorageConnectionReset>()("StorageConnectionReset", {
  provider: Schema.String,
  operation: Schema.String,
  bytesRead: Schema.Number
}) {
  override get message() {
    return `Connection reset by the object store during ${this.provider} ${this.operation} after ${this.bytesRead} bytes`
  }
}

/** The settled configuration every handler reads. */
export interface StoreSettings {
  readonly basePath: string
  readonly minPartSize: number
  readonly gcsChunkGranularity: number
  readonly defaultExpiresInSeconds: number
  /** Largest request body the store reads (it keeps bodies in memory); the provider's own maximum may be lower. */
  readonly maxBodyBytes: number
}

export interface Env {
  readonly settings: StoreSettings
  readonly state: StoreState
  readonly key: SigningKey
  readonly faults: FaultPlan
  /** Where minted URLs point: scheme, host and port, without the base path. */
  readonly baseUrl: () => string
}

/** Mutable facts a handler learns while it works; the dispatcher logs them once the answer is known. */
export interface RequestNotes {
  operation: Operation | undefined
  partNumber: number | undefined
  /** `Reset` is a reset before handling, `LostAnswer` one after it. */
  fault: "Fail" | "Delay" | "Reset" | "LostAnswer" | undefined
}

/** A request addressed to one bucket of one provider. */
export interface StorageRequest {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly method: string
  readonly provider: Provider
  readonly bucket: string
  /** Decoded remainder of the path after the bucket (the object key for S3, GCS and Azure). */
  readonly key: string
  readonly query: URLSearchParams
  /** Epoch millis from the store's Clock when the request arrived. */
  readonly now: number
  readonly requestId: string
  readonly notes: RequestNotes
}

/** The full URL of a store-relative path. */
export const storeUrl = (env: Env, path: string, query: string): string =>
  `${env.baseUrl()}${env.settings.basePath}${path}${query === "" ? "" : "?" + query}`

// ---------------------------------------------------------------------------------------------------------------
// Body length

export type DeclaredLength =
  | { readonly _tag: "Known"; readonly length: number }
  | { readonly _tag: "Chunked" }
  | { readonly _tag: "Missing" }

/**
 * The body length the client declared. In-process requests have no wire headers, so their body's own length
 * stands in: a stream body without a length is what a socket client would send chunked.
 */
export const declaredLength = (request: HttpServerRequest.HttpServerRequest): DeclaredLength => {
  const transferEncoding = request.headers["transfer-encoding"]
  if (transferEncoding !== undefined && transferEncoding.toLowerCase() !== "identity") return { _tag: "Chunked" }
  const header = request.headers["content-length"]
  if (header !== undefined) {
    const length = Number(header)
    return Number.isSafeInteger(length) && length >= 0 ? { _tag: "Known", length } : { _tag: "Missing" }
  }
  if (HttpClientRequest.isHttpClientRequest(request.source)) {
    const body = request.source.body
    switch (body._tag) {
      case "Empty":
        return { _tag: "Known", length: 0 }
      case "Uint8Array":
        return { _tag: "Known", length: body.contentLength }
      case "Raw":
      case "Stream":
        return body.contentLength === undefined ? { _tag: "Chunked" } : { _tag: "Known", length: body.contentLength }
      case "FormData":
        return { _tag: "Chunked" }
    }
  }
  return { _tag: "Missing" }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading bodies

/** The body ended early, was longer than declared, or the client went away. */
export class IncompleteBody extends Schema.TaggedError<IncompleteBody>()("IncompleteBody", {
  received: Schema.Number,
  declared: Schema.optional(Schema.Number)
}) {}

/** A configured body limit, checked when the emulator or store is built (a bad one is a setup mistake, so it throws). */
export const byteLimit = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive whole number of bytes, got ${value}`)
  }
  return value
}

/** The body is larger than the store accepts; reading stopped there. */
export class BodyTooLarge extends Schema.TaggedError<BodyTooLarge>()("BodyTooLarge", {
  limit: Schema.Number
}) {}

const GiB = 1024 * 1024 * 1024

/** An answer to an oversized body: the connection closes, so the rest of the body is not read. */
export const closing = (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.setHeader(response, "connection", "close")

/** The providers' own maxima for one request's body (GCS resumable chunks have none below the 5 TiB object limit). */
const providerMaximum = (operation: Operation | undefined): number => {
  switch (operation) {
    case "PutObject":
    case "UploadPart":
      return 5 * GiB
    case "PutBlob":
      return 5000 * 1024 * 1024
    case "PutBlock":
      return 4000 * 1024 * 1024
    case "UploadFile":
      return 5_000_000_000
    default:
      return Number.POSITIVE_INFINITY
  }
}

/** The largest body this request may carry: the provider's maximum for the operation, within the store's limit. */
export const bodyLimit = (env: Env, req: StorageRequest): number =>
  Math.min(env.settings.maxBodyBytes, providerMaximum(req.notes.operation))

export interface ReceivedBody extends Chunks {
  readonly md5: Buffer | undefined
  readonly sha1: Buffer | undefined
}

export interface ReadOptions {
  /** Keep the chunks (false: count and hash only, the null sink). */
  readonly keep: boolean
  /** Stop reading and fail with {@link BodyTooLarge} past this many bytes (see {@link bodyLimit}). */
  readonly limit: number
  readonly md5?: boolean | undefined
  readonly sha1?: boolean | undefined
}

/**
 * Streams the body into memory chunk by chunk, hashing as it goes. Socket chunks are kept as Node handed them;
 * in-process bodies are copied once, because the sender may reuse its buffers after the call returns.
 */
export const readBody = (
  request: HttpServerRequest.HttpServerRequest,
  options: ReadOptions
): Effect.Effect<ReceivedBody, IncompleteBody | BodyTooLarge> =>
  Effect.suspend(() => {
    const declared = declaredLength(request)
    if (declared._tag === "Known" && declared.length > options.limit) {
      return Effect.fail(new BodyTooLarge({ limit: options.limit }))
    }
    const copy = HttpClientRequest.isHttpClientRequest(request.source)
    const md5 = options.md5 ? createHash("md5") : undefined
    const sha1 = options.sha1 ? createHash("sha1") : undefined
    const chunks: Array<Uint8Array> = []
    let size = 0
    const tooLarge = new BodyTooLarge({ limit: options.limit })
    return Stream.runForEachArray(request.stream, (array) =>
      Effect.suspend(() => {
        for (const chunk of array) {
          size += chunk.length
          // Stop reading: the rest of an oversized body never reaches memory.
          if (size > options.limit) return Effect.fail(tooLarge)
          md5?.update(chunk)
          sha1?.update(chunk)
          if (options.keep) chunks.push(copy ? chunk.slice() : chunk)
        }
        return Effect.void
      })).pipe(
        Effect.mapError((error) =>
          error === tooLarge
            ? tooLarge
            : new IncompleteBody({ received: size, declared: declared._tag === "Known" ? declared.length : undefined })
        ),
        Effect.flatMap(() =>
          declared._tag === "Known" && declared.length !== size
            ? Effect.fail(new IncompleteBody({ received: size, declared: declared.length }))
            : Effect.succeed({ chunks, size, md5: md5?.digest(), sha1: sha1?.digest() })
        )
      )
  })

/** Reads and drops whatever body is left, so an early error answer does not break the connection. */
export const drainBody = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<void> =>
  request.method === "GET" || request.method === "HEAD"
    ? Effect.void
    : Stream.runDrain(request.stream).pipe(Effect.ignore)

/** Answers without reading the body (an early error, or a reply that needs none), dropping the body first. */
export const answerAfterDrain = (
  req: StorageRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<HttpServerResponse.HttpServerResponse> => Effect.as(drainBody(req.request), response)

/** The Node socket under a request served by NodeHttpServer, if there is one. */
const nodeSocket = (source: object): { resetAndDestroy(): void; destroy(): void } | undefined => {
  const socket = (source as { socket?: unknown }).socket
  return typeof socket === "object" && socket !== null && "destroy" in socket
    ? (socket as { resetAndDestroy(): void; destroy(): void })
    : undefined
}

/** Resets the TCP connection (RST) under a request served by NodeHttpServer; in-process requests have none. */
export const resetSocket = (request: HttpServerRequest.HttpServerRequest): void => {
  const socket = nodeSocket(request.source)
  if (socket === undefined) return
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy()
  else socket.destroy()
}

/** Reads `afterBytes` of the body, then resets the TCP connection (RST) and fails. */
export const resetConnection = (
  req: StorageRequest,
  afterBytes: number | undefined
): Effect.Effect<never, StorageConnectionReset> =>
  Effect.gen(function*() {
    const declared = declaredLength(req.request)
    const limit = afterBytes ?? (declared._tag === "Known" ? Math.floor(declared.length / 2) : 0)
    let bytesRead = 0
    if (limit > 0) {
      yield* Stream.runForEachWhile(req.request.stream, (chunk) =>
        Effect.sync(() => {
          bytesRead += chunk.length
          return bytesRead < limit
        })).pipe(Effect.ignore)
    }
    resetSocket(req.request)
    return yield* new StorageConnectionReset({
      provider: req.provider,
      operation: req.notes.operation ?? "unknown",
      bytesRead
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// Faults

/**
 * Applies the fault plan to a request: sleeps for matching delays; answers a matching failure with the provider's
 * error (after draining the body, as a server that read the upload and then failed would) and resets on a matching
 * reset before handling, in both cases without running the handler, so nothing of the request is kept; runs the
 * handler and then resets on a lost answer. `run` is only called when the request is to be handled.
 */
export const withFaults = <E>(
  env: Env,
  req: StorageRequest,
  target: Omit<FaultTarget, "provider" | "bucket">,
  renderFailure: (fault: FailFault) => HttpServerResponse.HttpServerResponse,
  run: () => Effect.Effect<HttpServerResponse.HttpServerResponse, E>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E | StorageConnectionReset> =>
  Effect.gen(function*() {
    req.notes.operation = target.operation
    req.notes.partNumber = target.partNumber
    const decision = env.faults.decide({ ...target, provider: req.provider, bucket: req.bucket })
    if (decision.delayMillis > 0) {
      req.notes.fault = "Delay"
      yield* Effect.sleep(decision.delayMillis)
    }
    const failure = decision.failure
    if (failure === undefined) return yield* run()
    if (failure._tag === "Reset") {
      if (failure.when !== "AfterHandling") {
        req.notes.fault = "Reset"
        return yield* resetConnection(req, failure.afterBytes)
      }
      req.notes.fault = "LostAnswer"
      yield* run()
      return yield* resetConnection(req, 0)
    }
    req.notes.fault = failure._tag
    yield* drainBody(req.request)
    return renderFailure(failure)
  })

/** A provider's usual error code and message per status, with one pair for any other status. */
export interface DefaultErrors {
  readonly byStatus: Readonly<Record<number, readonly [code: string, message: string]>>
  readonly otherwise: readonly [code: string, message: string]
}

/** Renders a failure fault in a provider's format: the fault's own code and message, else the provider's usual ones. */
export const faultRenderer = (
  defaults: DefaultErrors,
  render: (status: number, code: string, message: string) => HttpServerResponse.HttpServerResponse
) =>
(fault: FailFault): HttpServerResponse.HttpServerResponse => {
  const [code, message] = defaults.byStatus[fault.status] ?? defaults.otherwise
  return render(fault.status, fault.code ?? code, fault.message ?? message)
}

/** A bodiless answer with `Content-Length: 0` (Node would otherwise send an empty chunked body; 204 has none). */
export const emptyResponse = (options: {
  readonly status: number
  readonly headers?: Record<string, string> | undefined
}): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({
    status: options.status,
    headers: options.status === 204 ? options.headers : { ...options.headers, "content-length": "0" }
  })

// ---------------------------------------------------------------------------------------------------------------
// Ranges and object bodies

export type ByteRange =
  | { readonly _tag: "Full" }
  | { readonly _tag: "Partial"; readonly start: number; readonly end: number }
  | { readonly _tag: "Unsatisfiable" }

/** Parses a single `bytes=` range against an object size; malformed or multi-range headers mean the whole object. */
export const parseRange = (header: string | undefined, size: number): ByteRange => {
  if (header === undefined) return { _tag: "Full" }
  const match = /^\s*bytes=(\d*)-(\d*)\s*$/.exec(header)
  if (match === null || (match[1] === "" && match[2] === "")) return { _tag: "Full" }
  if (match[1] === "") {
    const suffix = Number(match[2])
    return suffix === 0 || size === 0
      ? { _tag: "Unsatisfiable" }
      : { _tag: "Partial", start: Math.max(0, size - suffix), end: size }
  }
  const start = Number(match[1])
  // `bytes=9-3` is not a valid range and is ignored; a start past the end cannot be satisfied.
  if (match[2] !== "" && Number(match[2]) < start) return { _tag: "Full" }
  if (start >= size) return { _tag: "Unsatisfiable" }
  const last = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1)
  return { _tag: "Partial", start, end: last + 1 }
}

/** Zero-filled stand-in for bytes the null sink dropped. */
const zeros = (size: number): Stream.Stream<Uint8Array> => {
  const block = new Uint8Array(Math.min(size, 64 * 1024))
  const count = Math.ceil(size / Math.max(1, block.length))
  return Stream.fromIterable(
    Array.from({ length: count }, (_, i) => i === count - 1 ? block.subarray(0, size - i * block.length) : block)
  )
}

/**
 * Answers a download: the whole object (200) or one range (206 + Content-Range). HEAD gets the headers only.
 * `body` undefined (null sink) streams zeros of the right length.
 */
export const bytesResponse = (
  req: StorageRequest,
  body: Chunks | undefined,
  size: number,
  range: ByteRange,
  headers: Record<string, string>
): HttpServerResponse.HttpServerResponse => {
  const start = range._tag === "Partial" ? range.start : 0
  const end = range._tag === "Partial" ? range.end : size
  const length = end - start
  const allHeaders: Record<string, string> = {
    ...headers,
    "accept-ranges": "bytes",
    "content-length": String(length)
  }
  if (range._tag === "Partial") allHeaders["content-range"] = `bytes ${start}-${end - 1}/${size}`
  const status = range._tag === "Partial" ? 206 : 200
  if (req.method === "HEAD" || length === 0) {
    return HttpServerResponse.empty({ status, headers: allHeaders })
  }
  const stream = body === undefined
    ? zeros(length)
    : Stream.fromIterable(range._tag === "Partial" ? sliceChunks(body, start, end).chunks : body.chunks)
  return HttpServerResponse.stream(stream, {
    status,
    headers: allHeaders,
    contentType: headers["content-type"] ?? "application/octet-stream",
    contentLength: length
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Small XML helpers (the store reads two tiny request documents and writes a handful of answers)

export const escapeXml = (value: string): string =>
  value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")

export const unescapeXml = (value: string): string =>
  value.replace(/&quot;/g, "\"").replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&amp;/g, "&")

/** `<Name>value</Name>` for each entry, values escaped; undefined values are left out. */
export const xmlElements = (entries: ReadonlyArray<readonly [string, string | number | undefined]>): string =>
  entries.filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join("")

export const xmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
