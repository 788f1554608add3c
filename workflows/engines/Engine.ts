/**
 * What every upload engine is to the workflows: the part plan it would follow for a file, its upload (storage and
 * the Iconik calls that belong to it), and how a checkpointed upload of its kind resumes or is discarded. The
 * engines are listed by storage method in `workflows/transfer.ts`.
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { IconikClient } from "../../src/IconikClient.ts"
import type { IconikError } from "../../src/IconikError.ts"
import type { IconikPartUrlMissing } from "../../src/PartUrls.ts"
import type { PartRules } from "../../src/storage/Parts.ts"
import type { OnProgress } from "../../src/storage/Progress.ts"
import type { StorageClient } from "../../src/storage/StorageClient.ts"
import type { StorageFailure } from "../../src/storage/StorageError.ts"
import type { CheckpointPart, CheckpointUpload } from "../Checkpoint.ts"
import type { LocalFile } from "../LocalFile.ts"

/** The record's storage method has no upload engine (e.g. FILE, FTP, PORTAL), or the record has no upload URL. */
export class UnsupportedStorage extends Schema.TaggedError<UnsupportedStorage>()("UnsupportedStorage", {
  method: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `cannot upload to a ${this.method} storage: ${this.detail}`
  }
}

/** The upload fields of a created file or proxy record. */
export interface UploadFields {
  readonly storage_method?: string | null | undefined
  readonly upload_url?: string | null | undefined
  readonly multipart_upload_url?: string | null | undefined
  readonly upload_credentials?: { readonly [key: string]: unknown } | null | undefined
  readonly upload_filename?: string | null | undefined
}

export interface TransferTarget {
  readonly kind: "proxy" | "file"
  readonly assetId: string
  readonly recordId: string
  readonly fields: UploadFields
}

export interface TransferResult {
  readonly method: string
  readonly strategy: "single" | "multipart" | "resumable" | "blocks" | "large-file"
  readonly size: number
  /** Parts sent by this run (multipart; fewer than the total after a resume). */
  readonly partsUploaded?: number | undefined
  readonly partsTotal?: number | undefined
  readonly resumed: boolean
}

/** The sizes an engine plans with. */
export interface PlanOptions {
  /** Bytes per part / chunk. Default 8 MiB (B2: 64 MiB). */
  readonly partSize?: number | undefined
  /** Files up to this size go in one request (S3 default 16 MiB). */
  readonly singlePutThreshold?: number | undefined
}

/** What an engine's upload is given. */
export interface EngineUpload extends PlanOptions {
  readonly target: TransferTarget
  readonly file: LocalFile
  readonly concurrency?: number | undefined
  readonly contentType?: string | undefined
  readonly onFailure?: "abort" | "keep" | undefined
  /** A storage-side upload to continue (from a checkpoint). */
  readonly resume?: { readonly upload: CheckpointUpload; readonly parts: ReadonlyArray<CheckpointPart> } | undefined
  readonly onProgress: OnProgress
}

export type TransferError = StorageFailure | IconikError | IconikPartUrlMissing | UnsupportedStorage

export interface UploadEngine {
  readonly method: "S3" | "GCS" | "AZURE" | "B2"
  /** The part rules and part size for `size` bytes; undefined when the file goes in one request. */
  readonly partPlan: (size: number, options: PlanOptions) => { readonly rules: PartRules; readonly partSize: number } | undefined
  readonly upload: (input: EngineUpload) => Effect.Effect<TransferResult, TransferError, StorageClient | IconikClient>
  /** Whether a checkpointed upload of this engine can be continued by a rerun. */
  readonly resumable: (upload: CheckpointUpload) => boolean
  /** Discards a storage-side upload a crashed run left behind, through Iconik. */
  readonly discard: (
    target: Pick<TransferTarget, "kind" | "assetId" | "recordId">,
    upload: CheckpointUpload
  ) => Effect.Effect<void, IconikError, IconikClient>
}

/** The record lacks a field the engine needs. */
export const missingField = (method: string, what: string) =>
  new UnsupportedStorage({ method, detail: `the record has no ${what}` })
