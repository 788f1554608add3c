/**
 * S3 single PUT through a presigned `upload_url`: the whole file in one request, streamed from disk with an exact
 * Content-Length, retried on transient failures (a PUT of the same bytes is idempotent).
 */
import * as Effect from "effect/Effect"
import { MiB, sendWholeFile } from "./Parts.ts"
import { makeProgressTracker, type OnProgress } from "./Progress.ts"
import { type RetryPolicy, StorageClient } from "./StorageClient.ts"
import { type StorageFailure, StorageProtocolError } from "./StorageError.ts"

/** S3's limit for a single PUT. */
export const s3MaxSinglePutSize = 5 * 1024 * MiB

/** Files up to this size go in one PUT by default (a few multipart round trips cost more than they save below it). */
export const defaultS3SingleThreshold = 16 * MiB

/**
 * `"single"` for files up to `threshold` bytes (and never above S3's 5 GiB single-PUT limit), else `"multipart"`.
 * Only `"multipart"` can resume after a crash, so long transfers should keep the threshold low.
 */
export const chooseS3Strategy = (size: number, threshold: number = defaultS3SingleThreshold): "single" | "multipart" =>
  size <= Math.min(threshold, s3MaxSinglePutSize) ? "single" : "multipart"

export interface S3SingleOptions {
  readonly path: string
  /** Iconik's presigned `upload_url`. */
  readonly uploadUrl: string
  /** Default `application/octet-stream`. */
  readonly contentType?: string | undefined
  readonly retry?: Partial<RetryPolicy> | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface S3SingleResult {
  readonly size: number
  /** The object's ETag, quotes included, when S3 sent one. */
  readonly etag: string | undefined
}

/** Uploads a file with one presigned PUT. */
export const uploadS3Single = (options: S3SingleOptions): Effect.Effect<S3SingleResult, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    if (file.size > s3MaxSinglePutSize) {
      return yield* new StorageProtocolError({
        provider: "S3",
        operation: "PutObject",
        detail: `${file.size} bytes is above S3's single-PUT limit of 5 GiB: use multipart`
      })
    }
    const tracker = makeProgressTracker(file.size, options.onProgress)
    const response = yield* sendWholeFile(file, tracker, {
      provider: "S3",
      operation: "PutObject",
      method: "PUT",
      url: options.uploadUrl,
      contentType: options.contentType ?? "application/octet-stream",
      retry: options.retry
    })
    yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
    const etag = response.headers["etag"]
    return { size: file.size, etag: etag === "" ? undefined : etag }
  })
