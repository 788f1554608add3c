/**
 * GCS resumable upload through Iconik's `upload_url`:
 *
 * 1. `POST upload_url` with `x-goog-resumable: start` and `Content-Length: 0` → 201 (or 200) with the session URL in
 *    `Location` and the upload id in `X-GUploader-UploadID`;
 * 2. `PUT` chunks to the session URL (multiples of 256 KiB but the last) with `Content-Range: bytes a-b/total` → 308
 *    with `Range: bytes=0-n` (what GCS has persisted) until the last chunk → 200/201;
 * 3. after a failed chunk, the status query (`Content-Range: bytes * /total`, empty body) says where to resume.
 *
 * GCS keeps the session for a week, so `resume: { sessionUrl }` continues an upload after a crash. The session URL
 * is a credential (its `upload_id` authorises writes): it is handed out as `Redacted`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { MiB, planParts } from "./Parts.ts"
import { makeProgressTracker, type OnProgress } from "./Progress.ts"
import * as Retry from "../Retry.ts"
import { defaultRetryPolicy, StorageClient, type StorageResponse } from "./StorageClient.ts"
import { isTransient, type StorageFailure, StorageProtocolError } from "./StorageError.ts"

/** GCS chunks (but the last) must be multiples of this. */
export const gcsChunkAlignment = 256 * 1024

export interface GcsResumableOptions {
  readonly path: string
  /** Iconik's `upload_url` (for a new session). Not used when `resume` is given. */
  readonly uploadUrl?: string | undefined
  /** Content type of the object, declared when the session starts. */
  readonly contentType?: string | undefined
  /** Bytes per PUT, a multiple of 256 KiB (default 8 MiB). */
  readonly chunkSize?: number | undefined
  /** Continue an existing session: the status query says how much GCS already has. */
  readonly resume?: { readonly sessionUrl: string | Redacted.Redacted<string> } | undefined
  /**
   * How many times in a row a chunk may fail transiently before the upload fails, and the waits between (over the
   * storage default policy; `false`: never).
   */
  readonly retry?: Retry.RetryOption | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface GcsResumableResult {
  readonly size: number
  readonly sessionUrl: Redacted.Redacted<string>
  /** `X-GUploader-UploadID` of the session start, when known. */
  readonly uploadId: string | undefined
  /** The object resource GCS returned at the end (JSON), if any. */
  readonly object: unknown
}

const protocolError = (operation: string, detail: string) =>
  new StorageProtocolError({ provider: "GCS", operation, detail })

/** The next byte GCS expects, from a 308's `Range: bytes=0-n` (no header: nothing persisted yet). */
const persistedUpTo = (response: StorageResponse): number => {
  const match = /bytes=0-(\d+)/.exec(response.headers["range"] ?? "")
  return match === null ? 0 : Number(match[1]) + 1
}

const isFinal = (status: number) => status === 200 || status === 201
const acceptChunk = (status: number) => isFinal(status) || status === 308

const ObjectResource = Schema.fromJsonString(Schema.Struct({ size: Schema.optional(Schema.String) }))
const decodeObject = Schema.decodeUnknownOption(ObjectResource)
const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))

/** Starts a resumable session: the session URL and the upload id. */
export const startGcsResumableSession = (
  uploadUrl: string,
  options: { readonly contentType?: string | undefined; readonly size?: number | undefined } = {}
): Effect.Effect<{ readonly sessionUrl: string; readonly uploadId: string | undefined }, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const headers: Record<string, string> = { "x-goog-resumable": "start" }
    if (options.contentType !== undefined) headers["x-upload-content-type"] = options.contentType
    if (options.size !== undefined) headers["x-upload-content-length"] = String(options.size)
    const response = yield* client.send({
      provider: "GCS",
      operation: "StartResumableUpload",
      method: "POST",
      url: uploadUrl,
      headers,
      body: { _tag: "Empty", contentType: options.contentType }
    })
    const uploadId = response.headers["x-guploader-uploadid"]
    const location = response.headers["location"]
    if (location !== undefined && location !== "") return { sessionUrl: location, uploadId }
    // Without Location, the upload id on the signed URL addresses the session too.
    if (uploadId !== undefined && uploadId !== "") {
      const separator = uploadUrl.includes("?") ? "&" : "?"
      return { sessionUrl: `${uploadUrl}${separator}upload_id=${encodeURIComponent(uploadId)}`, uploadId }
    }
    return yield* protocolError("StartResumableUpload", "the answer has neither a Location nor an X-GUploader-UploadID")
  })

/** Uploads a file with a GCS resumable session, resuming after failed chunks. */
export const uploadGcsResumable = (
  options: GcsResumableOptions
): Effect.Effect<GcsResumableResult, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    const total = file.size
    const chunkSize = options.chunkSize ?? 8 * MiB
    // Validates the chunk size (positive, 256 KiB aligned) the same way parts are validated.
    yield* planParts("GCS", total, chunkSize, {
      minPartSize: gcsChunkAlignment,
      maxPartSize: Number.MAX_SAFE_INTEGER,
      maxParts: Number.MAX_SAFE_INTEGER,
      alignment: gcsChunkAlignment
    })
    const policy = Retry.resolvePolicy(defaultRetryPolicy, options.retry)

    let session: { readonly sessionUrl: string; readonly uploadId: string | undefined }
    if (options.resume !== undefined) {
      const sessionUrl = options.resume.sessionUrl
      session = {
        sessionUrl: Redacted.isRedacted(sessionUrl) ? Redacted.value(sessionUrl) : sessionUrl,
        uploadId: undefined
      }
    } else if (options.uploadUrl !== undefined) {
      session = yield* startGcsResumableSession(options.uploadUrl, { contentType: options.contentType, size: total })
    } else {
      return yield* protocolError("StartResumableUpload", "neither an upload URL nor a session to resume")
    }
    const sessionUrl = Redacted.make(session.sessionUrl, { label: "GCS resumable session URL" })

    const tracker = makeProgressTracker(total, options.onProgress)
    const syncProgress = (offset: number) => tracker.bytes(offset - tracker.transferred())

    const statusQuery = client.send({
      provider: "GCS",
      operation: "QueryResumableUpload",
      method: "PUT",
      url: session.sessionUrl,
      headers: { "content-range": `bytes */${total}` },
      accept: acceptChunk,
      retry: options.retry
    })

    const putChunk = (offset: number) => {
      const length = Math.min(chunkSize, total - offset)
      return client.send({
        provider: "GCS",
        operation: "UploadChunk",
        method: "PUT",
        url: session.sessionUrl,
        headers: {
          "content-range": length === 0 ? `bytes */${total}` : `bytes ${offset}-${offset + length - 1}/${total}`
        },
        body: { _tag: "FileRange", path: options.path, offset, length },
        accept: acceptChunk,
        // A failed chunk is not re-sent blindly: the status query below says what GCS kept.
        retry: false,
        onBodyProgress: tracker.bytes
      })
    }

    let offset = 0
    let final: StorageResponse | undefined
    if (options.resume !== undefined) {
      const status = yield* statusQuery
      if (isFinal(status.status)) final = status
      else offset = persistedUpTo(status)
    }
    yield* tracker.emit({
      _tag: "UploadStarted",
      provider: "GCS",
      totalBytes: total,
      partCount: Math.max(1, Math.ceil((total - offset) / chunkSize)),
      partSize: chunkSize,
      uploadId: session.uploadId,
      sessionUrl,
      resumedParts: 0
    })
    yield* syncProgress(offset)

    let completedChunks = 0
    // The SDK's retry schedule, driven by hand: between attempts the status query says where to resume.
    const newBudget = policy === undefined
      ? Effect.succeed((_: StorageFailure) => Effect.succeed(false))
      : Retry.budget<StorageFailure>(policy, {
        retryable: isTransient,
        retryAfterMillis: (error) => (error._tag === "StorageError" ? error.retryAfterMillis : undefined),
        onRetry: (attempt, _delay, error) =>
          tracker.emit({ _tag: "PartRetrying", partNumber: completedChunks + 1, attempt, reason: error.message })
      })
    let retryAfter = yield* newBudget
    let failuresInARow = 0
    while (final === undefined) {
      const sent = yield* Effect.result(putChunk(offset))
      if (sent._tag === "Success") {
        if (isFinal(sent.success.status)) {
          final = sent.success
        } else {
          const next = persistedUpTo(sent.success)
          if (next >= total && total > 0) {
            return yield* protocolError("UploadChunk", "GCS has every byte but did not finish the upload")
          }
          if (next <= offset) {
            // Nothing of the chunk was kept: send it again, but not forever.
            if (failuresInARow >= (policy?.times ?? 0)) {
              return yield* protocolError("UploadChunk", `GCS keeps no bytes after ${offset}`)
            }
            failuresInARow++
            yield* syncProgress(offset)
            continue
          }
          failuresInARow = 0
          retryAfter = yield* newBudget
          const size = next - offset
          offset = next
          yield* syncProgress(offset)
          completedChunks++
          yield* tracker.emit({ _tag: "PartCompleted", partNumber: completedChunks, size })
        }
        continue
      }
      const error = sent.failure
      // Reports the retry and waits, or says stop.
      if (!(yield* retryAfter(error))) return yield* error
      const status = yield* statusQuery
      if (isFinal(status.status)) {
        final = status
      } else {
        offset = persistedUpTo(status)
        yield* syncProgress(offset)
      }
    }

    yield* client.ensureUnchanged(file)
    const object = Option.getOrUndefined(decodeJson(final.body))
    const declared = Option.flatMap(decodeObject(final.body), (resource) => Option.fromNullishOr(resource.size))
    if (Option.isSome(declared) && Number(declared.value) !== total) {
      return yield* protocolError("UploadChunk", `GCS stored ${declared.value} bytes, the file has ${total}`)
    }
    yield* syncProgress(total)
    yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: total })
    return { size: total, sessionUrl, uploadId: session.uploadId, object }
  })
