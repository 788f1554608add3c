/**
 * Moves a local file's bytes to the storage behind an Iconik file or proxy record, with the engine its
 * `storage_method` calls for: one engine per provider in `workflows/engines/` (S3 multipart or one PUT, GCS
 * resumable, Azure block blob, B2), each owning its Iconik calls. Their transfer events become {@link Progress}
 * events and checkpoint lines.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Semaphore from "effect/Semaphore"
import type { IconikClient } from "../src/IconikClient.ts"
import { planParts } from "../src/storage/Parts.ts"
import type { TransferEvent } from "../src/storage/Progress.ts"
import type { StorageClient, StorageClientShape } from "../src/storage/StorageClient.ts"
import type { CheckpointPart, CheckpointUpload, CheckpointWriter } from "./Checkpoint.ts"
import { azureEngine } from "./engines/Azure.ts"
import { b2Engine } from "./engines/B2.ts"
import {
  type PlanOptions,
  type TransferError,
  type TransferResult,
  type TransferTarget,
  UnsupportedStorage,
  type UploadEngine
} from "./engines/Engine.ts"
import { gcsEngine } from "./engines/Gcs.ts"
import { s3Engine } from "./engines/S3.ts"
import type { LocalFile } from "./LocalFile.ts"
import { InvalidOption } from "./Options.ts"
import * as Progress from "./Progress.ts"
import { CurrentWorkflow } from "./Workflow.ts"

export {
  type TransferError,
  type TransferResult,
  type TransferTarget,
  UnsupportedStorage,
  type UploadFields
} from "./engines/Engine.ts"

/** The upload engines by storage method. */
export const engines: Readonly<Record<UploadEngine["method"], UploadEngine>> = {
  S3: s3Engine,
  GCS: gcsEngine,
  AZURE: azureEngine,
  B2: b2Engine
}

/** The engine for a storage method or a checkpoint's provider (`Azure`), case-insensitively. */
const engineFor = (method: string): UploadEngine | undefined =>
  (engines as Readonly<Record<string, UploadEngine>>)[method.toUpperCase()]

export interface TransferOptions {
  /** Bytes per part / chunk. Default 8 MiB. */
  readonly partSize?: number | undefined
  /** Parts in flight for this file. Default 4. */
  readonly concurrency?: number | undefined
  /** S3: files up to this size go in one PUT. Default 16 MiB. */
  readonly singlePutThreshold?: number | undefined
  readonly contentType?: string | undefined
  /** `"abort"`: abort the storage-side upload on failure (default); `"keep"`: leave it to resume. */
  readonly onFailure?: "abort" | "keep" | undefined
  /** A storage-side upload to continue (from a checkpoint). */
  readonly resume?: { readonly upload: CheckpointUpload; readonly parts: ReadonlyArray<CheckpointPart> } | undefined
  readonly checkpoint: CheckpointWriter
  /** Name of the item in progress events. */
  readonly item: string
}

// ---------------------------------------------------------------------------------------------------------------
// Part sizes, checked against the storage's rules before any record exists

/**
 * Checks `partSize` against the rules of the storage the file goes to (S3's 5 MiB floor, GCS's 256 KiB multiples,
 * B2's 5 MB floor…), as the engine will plan it. Workflows call it as soon as the storage method is known and before
 * they create any record, so a bad part size never leaves an asset or an OPEN record behind.
 */
export const checkPartSize = (
  method: string,
  size: number,
  options: PlanOptions
): Effect.Effect<void, InvalidOption> => {
  const plan = engineFor(method)?.partPlan(size, options)
  if (plan === undefined) return Effect.void
  return planParts("S3", size, plan.partSize, plan.rules).pipe(
    Effect.asVoid,
    Effect.mapError((error) =>
      new InvalidOption({
        option: "partSize",
        value: String(plan.partSize),
        expected: `valid for a ${method.toUpperCase()} storage (${error.detail})`
      })
    )
  )
}

/** Which storage-side uploads a rerun can continue: S3 multipart (upload id + ListParts) and GCS sessions. */
export const isResumable = (upload: CheckpointUpload | undefined): boolean =>
  upload !== undefined && (engineFor(upload.provider ?? "S3")?.resumable(upload) ?? false)

/**
 * Discards a storage-side upload a crashed run left behind, through Iconik: S3 multipart clean-up (abort), B2 large
 * file cancel. (GCS sessions expire by themselves; Azure discards uncommitted blocks.)
 */
export const discardUpload = (target: Pick<TransferTarget, "kind" | "assetId" | "recordId">, upload: CheckpointUpload) =>
  engineFor(upload.provider ?? "S3")?.discard(target, upload) ?? Effect.void

// ---------------------------------------------------------------------------------------------------------------

const onTransferEvent = (item: string, checkpoint: CheckpointWriter) => (event: TransferEvent): Effect.Effect<void> => {
  switch (event._tag) {
    case "UploadStarted":
      return event.uploadId === undefined && event.sessionUrl === undefined
        ? Effect.void
        : checkpoint.upload({
          provider: event.provider,
          uploadId: event.uploadId,
          partSize: event.partSize,
          // The session URL is a credential: it only goes to the owner-only checkpoint file.
          ...(event.sessionUrl === undefined ? {} : { sessionUrl: Redacted.value(event.sessionUrl) })
        })
    case "PartCompleted":
      return event.etag === undefined
        ? Effect.void
        : checkpoint.part({ partNumber: event.partNumber, etag: event.etag, size: event.size })
    case "UploadCompleted":
      // The storage holds the whole file: a crash from here on leaves only the record's CLOSE to do.
      return checkpoint.stored
    case "BytesTransferred":
      return Progress.emit({ _tag: "BytesTransferred", item, transferred: event.transferredBytes, total: event.totalBytes })
    case "PartRetrying":
      return CurrentWorkflow.use(({ workflow }) =>
        Progress.emit({
          _tag: "StepRetrying",
          workflow,
          step: `upload part ${event.partNumber}`,
          item,
          attempt: event.attempt,
          delayMillis: 0,
          reason: event.reason
        }))
    default:
      return Effect.void
  }
}

/** Uploads `file` to the storage of `target`'s record. Fails before any request when the method has no engine. */
export const transfer = (
  target: TransferTarget,
  file: LocalFile,
  options: TransferOptions
): Effect.Effect<TransferResult, TransferError, StorageClient | IconikClient> => {
  const method = (target.fields.storage_method ?? "").toUpperCase()
  const engine = engineFor(method)
  if (engine === undefined) {
    return Effect.fail(
      new UnsupportedStorage({
        method: method || "unknown",
        detail: "only S3, GCS, AZURE and B2 storages take uploads from a client"
      })
    )
  }
  return engine.upload({
    target,
    file,
    partSize: options.partSize,
    singlePutThreshold: options.singlePutThreshold,
    concurrency: options.concurrency,
    contentType: options.contentType,
    onFailure: options.onFailure,
    resume: options.resume,
    onProgress: onTransferEvent(options.item, options.checkpoint)
  })
}

/**
 * The storage client with a shared bound on concurrent body uploads (part PUTs, single PUTs, chunks), whatever the
 * per-file part concurrency: what keeps a folder ingest at `concurrency` transfers in flight in all.
 */
export const limitTransfers = (client: StorageClientShape, permits: number): Effect.Effect<StorageClientShape> =>
  Effect.map(
    Semaphore.make(permits),
    (semaphore): StorageClientShape => ({
      ...client,
      send: (request) =>
        request.body === undefined || request.body._tag === "Empty" ? client.send(request) : semaphore.withPermit(client.send(request))
    })
  )
