/**
 * Splitting a file into parts (S3 multipart, Azure blocks, B2 large files, GCS chunks), the one-part case (the whole
 * file in one request), and the clean-up that runs when a multi-request transfer fails or is interrupted.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { scrubSecrets } from "../Redaction.ts"
import type { ProgressTracker } from "./Progress.ts"
import { type FileInfo, StorageClient, type StorageRequest, type StorageResponse } from "./StorageClient.ts"
import { type StorageFailure, StorageProtocolError, type StorageProvider } from "./StorageError.ts"

export const MiB = 1024 * 1024

/** One part: its 1-based number and its byte range in the file. */
export interface Part {
  readonly partNumber: number
  readonly offset: number
  readonly size: number
}

export interface PartPlan {
  /** The part size used: the requested one, or larger when the file would otherwise need too many parts. */
  readonly partSize: number
  readonly parts: ReadonlyArray<Part>
}

/** A provider's rules for parts. */
export interface PartRules {
  /** Smallest allowed size of every part but the last. */
  readonly minPartSize: number
  readonly maxPartSize: number
  readonly maxParts: number
  /** Part sizes are rounded up to a multiple of this when they have to grow (GCS: 256 KiB, must divide every chunk). */
  readonly alignment: number
}

/**
 * Plans the parts of a file of `totalBytes`: parts of `partSize` (the last one shorter), at least one part (an empty
 * file is one empty part). When `totalBytes / partSize` exceeds `maxParts`, the part size grows (rounded up to
 * `alignment`) so the file fits; a part size outside the rules fails before anything is sent.
 */
export const planParts = (
  provider: StorageProvider,
  totalBytes: number,
  requestedPartSize: number,
  rules: PartRules
): Effect.Effect<PartPlan, StorageProtocolError> =>
  Effect.suspend(() => {
    const invalid = (detail: string) =>
      Effect.fail(new StorageProtocolError({ provider, operation: "PlanParts", detail }))
    if (!Number.isSafeInteger(requestedPartSize) || requestedPartSize <= 0) {
      return invalid(`part size must be a positive integer, got ${requestedPartSize}`)
    }
    if (requestedPartSize % rules.alignment !== 0) {
      return invalid(`part size must be a multiple of ${rules.alignment} bytes, got ${requestedPartSize}`)
    }
    let partSize = requestedPartSize
    if (Math.ceil(totalBytes / partSize) > rules.maxParts) {
      partSize = Math.ceil(Math.ceil(totalBytes / rules.maxParts) / rules.alignment) * rules.alignment
    }
    const partCount = Math.max(1, Math.ceil(totalBytes / partSize))
    if (partCount > 1 && partSize < rules.minPartSize) {
      return invalid(`part size ${partSize} is below the provider's minimum of ${rules.minPartSize} bytes`)
    }
    if (partSize > rules.maxPartSize && partCount > 1) {
      return invalid(`the file needs parts of ${partSize} bytes, above the provider's maximum of ${rules.maxPartSize}`)
    }
    const parts: Array<Part> = []
    for (let index = 0; index < partCount; index++) {
      const offset = index * partSize
      parts.push({ partNumber: index + 1, offset, size: Math.min(partSize, totalBytes - offset) })
    }
    return Effect.succeed({ partSize, parts })
  })

/**
 * Sends the whole file in one request (S3 PutObject, Azure Put Blob, B2 upload_file) as a one-part transfer:
 * `UploadStarted`, the body streamed from disk with byte progress (and `PartRetrying` for part 1), then a check that
 * the file did not change meanwhile. The caller checks the answer and emits `UploadCompleted`.
 */
export const sendWholeFile = (
  file: FileInfo,
  tracker: ProgressTracker,
  request: Omit<StorageRequest, "method" | "body" | "onBodyProgress" | "onRetry"> & {
    readonly method: "PUT" | "POST"
    readonly contentType: string
  }
): Effect.Effect<StorageResponse, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const { contentType, ...rest } = request
    yield* tracker.emit({
      _tag: "UploadStarted",
      provider: request.provider,
      totalBytes: file.size,
      partCount: 1,
      partSize: file.size,
      resumedParts: 0
    })
    const response = yield* client.send({
      ...rest,
      body: { _tag: "FileRange", path: file.path, offset: 0, length: file.size, contentType },
      onBodyProgress: tracker.bytes,
      onRetry: (attempt, error) => tracker.emit({ _tag: "PartRetrying", partNumber: 1, attempt, reason: error.message })
    })
    yield* client.ensureUnchanged(file)
    return response
  })

/** A usable concurrency: the option, or the default, at least 1. */
export const concurrencyOf = (option: number | undefined, fallback: number): number =>
  Math.max(1, Math.floor(option ?? fallback))

/** A short, secret-free description of why a transfer stopped. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  if (Cause.hasInterruptsOnly(cause)) return "interrupted"
  const error = Cause.findError(cause)
  const value = Result.isSuccess(error) ? error.success : Cause.squash(cause)
  return scrubSecrets(value instanceof Error ? value.message : String(value))
}

/** Runs `self`, logging (not raising) its failure: for clean-up steps that must not stop the next one. */
export const logFailure = <A, E, R>(self: Effect.Effect<A, E, R>, what: string): Effect.Effect<void, never, R> =>
  self.pipe(
    Effect.asVoid,
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.interrupt
        : Effect.logWarning(`${what} failed`).pipe(Effect.annotateLogs({ error: describeCause(cause) }))
    )
  )

/**
 * Runs `cleanup` when `self` fails or is interrupted (not when it succeeds), uninterruptibly and at most for
 * `timeout`. Clean-up failures are logged, never raised: the transfer's own failure is the one to report.
 */
export const cleanupOnFailure = <A, E, R, R2>(
  self: Effect.Effect<A, E, R>,
  cleanup: (reason: string) => Effect.Effect<void, unknown, R2>,
  timeout: Duration.Input = "30 seconds"
): Effect.Effect<A, E, R | R2> =>
  Effect.onError(self, (cause) =>
    cleanup(describeCause(cause)).pipe(
      Effect.timeout(timeout),
      (cleanupEffect) => logFailure(cleanupEffect, "storage clean-up after a failed transfer")
    ))
