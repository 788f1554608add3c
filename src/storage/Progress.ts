/**
 * Progress of a transfer, as events a front end can render (progress bar, log lines) or a workflow can checkpoint
 * (`UploadStarted` carries the upload id, `PartCompleted` each stored part). Engines take an `onProgress` callback;
 * feed it to a `Queue` or `PubSub` to get a stream.
 */
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type { StorageProvider } from "./StorageError.ts"

export type TransferEvent =
  /** The transfer is set up: for resumable methods, `uploadId` (S3 UploadId, GCS upload id, B2 file id) is known. */
  | {
    readonly _tag: "UploadStarted"
    readonly provider: StorageProvider
    readonly totalBytes: number
    readonly partCount: number
    readonly partSize: number
    readonly uploadId?: string | undefined
    /** GCS: the resumable session URL (a credential: keep it redacted, store it only to resume). */
    readonly sessionUrl?: Redacted.Redacted<string> | undefined
    /** Parts already stored before this run (resume). */
    readonly resumedParts: number
  }
  /** Bytes stored or on their way; goes down when a failed attempt's bytes are taken back before a retry. */
  | { readonly _tag: "BytesTransferred"; readonly transferredBytes: number; readonly totalBytes: number }
  | {
    readonly _tag: "PartCompleted"
    readonly partNumber: number
    readonly size: number
    /** S3 ETag, Azure block id, B2 part SHA-1. */
    readonly etag?: string | undefined
  }
  | { readonly _tag: "PartRetrying"; readonly partNumber: number; readonly attempt: number; readonly reason: string }
  | { readonly _tag: "UploadCompleted"; readonly totalBytes: number }
  /** The transfer failed or was interrupted and its storage-side state was discarded. */
  | { readonly _tag: "UploadAborted"; readonly reason: string }

export type OnProgress = (event: TransferEvent) => Effect.Effect<void>

/** Keeps the running byte count of a transfer and forwards events to the caller's callback. */
export interface ProgressTracker {
  readonly emit: (event: TransferEvent) => Effect.Effect<void>
  /** Adds (or, when negative, takes back) bytes and reports the new total. */
  readonly bytes: (delta: number) => Effect.Effect<void>
  readonly transferred: () => number
}

export const makeProgressTracker = (totalBytes: number, onProgress: OnProgress | undefined): ProgressTracker => {
  let transferred = 0
  const emit: ProgressTracker["emit"] = onProgress === undefined ? () => Effect.void : onProgress
  return {
    emit,
    bytes: (delta) =>
      Effect.suspend(() => {
        transferred += delta
        return emit({ _tag: "BytesTransferred", transferredBytes: transferred, totalBytes })
      }),
    transferred: () => transferred
  }
}
