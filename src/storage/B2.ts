/**
 * Backblaze B2 uploads:
 *
 * - single: `POST upload_url` with `Authorization` (Iconik's `upload_credentials.authorizationToken`),
 *   `X-Bz-File-Name` (Iconik's `upload_filename`, percent-encoded), `X-Bz-Content-Sha1` (the file's SHA-1, streamed
 *   from disk first) and `Content-Type: b2/x-auto`;
 * - large file: start / finish / cancel are Iconik calls (injected: `…/multipart/b2/start|finish|cancel/`); parts are
 *   `POST`ed to the part upload URL with `X-Bz-Part-Number` and the part's SHA-1. On failure or interruption the
 *   large file is cancelled.
 *
 * B2 uploads are POSTs, but repeating one is a replace (the same file name and bytes, checked by SHA-1; parts by
 * number), so transient failures are retried like idempotent requests. B2 may answer a retry on the same upload URL
 * with `bad_auth_token` / 401 when it wants a fresh URL: that fails typed. One upload URL takes one upload at a time,
 * so parts go one by one by default.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  cleanupOnFailure,
  concurrencyOf,
  logFailure,
  MiB,
  type Part,
  type PartRules,
  planParts,
  sendWholeFile
} from "./Parts.ts"
import { makeProgressTracker, type OnProgress } from "./Progress.ts"
import { StorageClient } from "./StorageClient.ts"
import { type StorageFailure, type StorageFileError, StorageProtocolError } from "./StorageError.ts"

/** B2's limit for a single upload (5 GB). */
export const b2MaxSingleUploadSize = 5_000_000_000

/** Files up to this size go in one upload by default. */
export const defaultB2SingleThreshold = 100 * MiB

/** B2's large-file part rules. */
export const b2PartRules: PartRules = {
  minPartSize: 5_000_000,
  maxPartSize: 5_000_000_000,
  maxParts: 10_000,
  alignment: 1
}

/** `"single"` up to `threshold` bytes (never above B2's 5 GB single-upload limit), else `"large"`. */
export const chooseB2Strategy = (size: number, threshold: number = defaultB2SingleThreshold): "single" | "large" =>
  size <= Math.min(threshold, b2MaxSingleUploadSize) ? "single" : "large"

type Token = string | Redacted.Redacted<string>
const tokenValue = (token: Token) => (Redacted.isRedacted(token) ? Redacted.value(token) : token)

/** B2 wants the file name percent-encoded as UTF-8; `/` may stay as it is. */
export const encodeB2FileName = (name: string): string => encodeURIComponent(name).replace(/%2F/g, "/")

/** The hex SHA-1 of a byte range of a file, streamed from disk. */
export const sha1OfRange = (
  path: string,
  offset: number,
  length: number
): Effect.Effect<string, StorageFileError, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const hash = createHash("sha1")
    yield* Stream.runForEach(client.readRange(path, offset, length), (chunk) => Effect.sync(() => hash.update(chunk)))
    return hash.digest("hex")
  })

const B2FileInfo = Schema.fromJsonString(Schema.Struct({
  fileId: Schema.optional(Schema.String),
  fileName: Schema.optional(Schema.String),
  contentLength: Schema.optional(Schema.Number),
  contentSha1: Schema.optional(Schema.String)
}))
const decodeFileInfo = Schema.decodeUnknownOption(B2FileInfo)

const protocolError = (operation: string, detail: string) =>
  new StorageProtocolError({ provider: "B2", operation, detail })

export interface B2SingleOptions {
  readonly path: string
  /** Iconik's `upload_url`. */
  readonly uploadUrl: string
  /** Iconik's `upload_credentials.authorizationToken`. */
  readonly authorizationToken: Token
  /** Iconik's `upload_filename` (not yet encoded). */
  readonly fileName: string
  /** Default `b2/x-auto` (B2 picks the type from the name). */
  readonly contentType?: string | undefined
  /** The file's hex SHA-1, if already known (otherwise read from disk first). */
  readonly sha1?: string | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface B2SingleResult {
  readonly size: number
  readonly sha1: string
  readonly fileId: string | undefined
}

/** Uploads a file with one `b2_upload_file`. */
export const uploadB2Single = (options: B2SingleOptions): Effect.Effect<B2SingleResult, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    if (file.size > b2MaxSingleUploadSize) {
      return yield* protocolError("UploadFile", `${file.size} bytes is above B2's single-upload limit: use a large file`)
    }
    const sha1 = options.sha1 ?? (yield* sha1OfRange(options.path, 0, file.size))
    const tracker = makeProgressTracker(file.size, options.onProgress)
    const response = yield* sendWholeFile(file, tracker, {
      provider: "B2",
      operation: "UploadFile",
      method: "POST",
      // The same name and bytes again replace the first upload: safe to repeat.
      idempotent: true,
      url: options.uploadUrl,
      headers: {
        authorization: tokenValue(options.authorizationToken),
        "x-bz-file-name": encodeB2FileName(options.fileName),
        "x-bz-content-sha1": sha1
      },
      contentType: options.contentType ?? "b2/x-auto"
    })
    const info = decodeFileInfo(response.body)
    if (Option.isSome(info)) {
      const { contentLength, contentSha1 } = info.value
      if (contentLength !== undefined && contentLength !== file.size) {
        return yield* protocolError("UploadFile", `B2 stored ${contentLength} bytes, the file has ${file.size}`)
      }
      if (contentSha1 !== undefined && contentSha1 !== "none" && contentSha1 !== sha1) {
        return yield* protocolError("UploadFile", "B2's SHA-1 of the stored file differs from the file's")
      }
    }
    yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
    return { size: file.size, sha1, fileId: Option.getOrUndefined(info)?.fileId }
  })

/** Iconik's `…/multipart/b2/start/` answer, camel-cased. */
export interface B2LargeFileStart {
  readonly uploadFileId: string
  /** The part upload URL (`b2_get_upload_part_url`). */
  readonly uploadUrl: string
  readonly authorizationToken: Token
}

export interface B2LargeOptions<E, R> {
  readonly path: string
  /** Starts the large file (Iconik's `…/multipart/b2/start/`). */
  readonly start: Effect.Effect<B2LargeFileStart, E, R>
  /** Finishes it with the parts' SHA-1s in part order (Iconik's `…/multipart/b2/finish/`). */
  readonly finish: (uploadFileId: string, sha1List: ReadonlyArray<string>) => Effect.Effect<void, E, R>
  /** Cancels it on failure or interruption (Iconik's `…/multipart/b2/cancel/`). */
  readonly cancel: (uploadFileId: string) => Effect.Effect<void, E, R>
  /** Default 64 MiB (B2: at least 5 MB, at most 10 000 parts). */
  readonly partSize?: number | undefined
  /** Smallest part but the last (B2: 5 MB). Lower it only for servers that allow it. */
  readonly minPartSize?: number | undefined
  /** Parts in flight (default 1: one upload URL takes one upload at a time). */
  readonly concurrency?: number | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface B2LargeResult {
  readonly uploadFileId: string
  readonly size: number
  readonly partSize: number
  readonly sha1List: ReadonlyArray<string>
}

/** Uploads a file as a B2 large file. */
export const uploadB2Large = <E, R>(
  options: B2LargeOptions<E, R>
): Effect.Effect<B2LargeResult, StorageFailure | E, StorageClient | R> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    const plan = yield* planParts("B2", file.size, options.partSize ?? 64 * MiB, {
      ...b2PartRules,
      minPartSize: options.minPartSize ?? b2PartRules.minPartSize
    })
    const started = yield* options.start
    const tracker = makeProgressTracker(file.size, options.onProgress)

    const transfer = Effect.gen(function*() {
      yield* tracker.emit({
        _tag: "UploadStarted",
        provider: "B2",
        totalBytes: file.size,
        partCount: plan.parts.length,
        partSize: plan.partSize,
        uploadId: started.uploadFileId,
        resumedParts: 0
      })
      const uploadPart = (part: Part) =>
        Effect.gen(function*() {
          const sha1 = yield* sha1OfRange(options.path, part.offset, part.size)
          yield* client.send({
            provider: "B2",
            operation: "UploadPart",
            method: "POST",
            // A part uploaded again under its number replaces the first: safe to retry (B2 asks clients to).
            idempotent: true,
            url: started.uploadUrl,
            headers: {
              authorization: tokenValue(started.authorizationToken),
              "x-bz-part-number": String(part.partNumber),
              "x-bz-content-sha1": sha1
            },
            body: { _tag: "FileRange", path: options.path, offset: part.offset, length: part.size },
            onBodyProgress: tracker.bytes
          })
          yield* tracker.emit({ _tag: "PartCompleted", partNumber: part.partNumber, size: part.size, etag: sha1 })
          return sha1
        })
      const sha1List = yield* Effect.forEach(plan.parts, uploadPart, { concurrency: concurrencyOf(options.concurrency, 1) })
      yield* client.ensureUnchanged(file)
      yield* options.finish(started.uploadFileId, sha1List)
      yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
      return { uploadFileId: started.uploadFileId, size: file.size, partSize: plan.partSize, sha1List }
    })

    return yield* cleanupOnFailure(transfer, (reason) =>
      Effect.gen(function*() {
        yield* logFailure(options.cancel(started.uploadFileId), "B2 large-file cancel")
        yield* tracker.emit({ _tag: "UploadAborted", reason })
      }))
  })
