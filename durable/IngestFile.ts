/**
 * `ingestFile` as a durable workflow: the plain workflow's steps (see workflows/ingestFile.ts), run as activities of
 * Effect's workflow engine, so a runner's death costs the step it was in, not the ingest. One execution per file:
 * its idempotency key is the path with the checksum when given, else with the size and modification time (and the
 * collection, storage and directory it goes to), so submitting the same file twice joins the first execution.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import * as Schema from "effect/Schema"
import { Workflow as DurableWorkflow } from "effect/workflow"
import { ingestFile, type IngestFileOptions, type IngestFileResult } from "../workflows/ingestFile.ts"
import * as LocalFile from "../workflows/LocalFile.ts"
import type { LocalFileError } from "../workflows/LocalFile.ts"
import { withSlotForTransfer } from "./ClusterLimits.ts"
import { restoreFailure, runAsActivities, storeFailure, unrecorded } from "./Steps.ts"

const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.UndefinedOr(schema))

/** What a durable ingest of one file is given: the plain options (JSON only: `wait` is a boolean), and the file's identity. */
export const IngestFilePayload = Schema.Struct({
  file: Schema.String,
  /** Size and modification time of the file when submitted: part of the idempotency key. */
  size: Schema.Number,
  modifiedMillis: Schema.Number,
  title: optional(Schema.String),
  collectionId: optional(Schema.String),
  storageId: optional(Schema.String),
  /** The FILES storage already looked up (a folder's runs share one lookup). */
  storage: optional(Schema.Struct({ id: Schema.String, method: Schema.String })),
  externalId: optional(Schema.String),
  directoryPath: optional(Schema.String),
  checksum: optional(Schema.Union([Schema.String, Schema.Literal(false)])),
  concurrency: optional(Schema.Number),
  partSize: optional(Schema.Number),
  singlePutThreshold: optional(Schema.Number),
  contentType: optional(Schema.String),
  transcode: optional(Schema.Boolean),
  wait: optional(Schema.Boolean),
  onFailure: optional(Schema.Literals(["delete", "fail", "keep"])),
  item: optional(Schema.String),
  indexWait: optional(Schema.Number)
})
export type IngestFilePayload = typeof IngestFilePayload.Type

export const TransferResultSchema = Schema.Struct({
  method: Schema.String,
  strategy: Schema.Literals(["single", "multipart", "resumable", "blocks", "large-file"]),
  size: Schema.Number,
  partsUploaded: optional(Schema.Number),
  partsTotal: optional(Schema.Number),
  resumed: Schema.Boolean
})

export const IngestFileResultSchema = Schema.Struct({
  assetId: Schema.String,
  versionId: optional(Schema.String),
  formatId: Schema.String,
  fileSetId: Schema.String,
  fileId: Schema.String,
  storageId: Schema.String,
  size: Schema.Number,
  checksum: optional(Schema.String),
  transfer: TransferResultSchema,
  jobId: optional(Schema.String),
  jobStatus: optional(Schema.String)
})

/** The durable `ingestFile`. Its failure is the plain workflow's, as stored (see `Steps.ts`): `_tag`, message, fields. */
export const IngestFile = DurableWorkflow.make("effect-iconik/ingestFile", {
  payload: IngestFilePayload,
  success: IngestFileResultSchema,
  error: Schema.Unknown,
  idempotencyKey: (payload) =>
    JSON.stringify([
      payload.collectionId ?? "",
      payload.storageId ?? "",
      payload.directoryPath ?? "",
      payload.file,
      typeof payload.checksum === "string" ? payload.checksum : [payload.size, payload.modifiedMillis]
    ])
})

const toOptions = ({ modifiedMillis: _m, size: _s, ...options }: IngestFilePayload): IngestFileOptions => options

/**
 * Files up to this size (and up to the payload's `singlePutThreshold`) are ingested with their steps unrecorded: an
 * activity costs a few database statements, as much as a small file's steps, and running such a file's ingest again
 * after a crash costs little (it takes over what the cut-off attempt left, see `unrecorded`). Larger files get an
 * activity per stage, so a crash costs one stage of a long upload.
 */
export const unrecordedMax = 8 * 1024 * 1024

/**
 * The body: the plain steps as activities, an upload slot held for the storage transfer only (see
 * `withSlotForTransfer`); a small file's steps unrecorded.
 */
const ingestBody = (payload: IngestFilePayload, executionId: string) =>
  payload.size <= Math.min(unrecordedMax, payload.singlePutThreshold ?? unrecordedMax)
    ? unrecorded(executionId, "ingest file", withSlotForTransfer(ingestFile(toOptions(payload))))
    : withSlotForTransfer(ingestFile(toOptions(payload)))

export const IngestFileLayer = IngestFile.toLayer((payload, executionId) =>
  runAsActivities(executionId, ingestBody(payload, executionId)).pipe(
    Effect.map((result): typeof IngestFileResultSchema.Type => result),
    Effect.mapError(storeFailure)
  )
)

/**
 * The payload for `options.file`: its absolute path, size and modification time read now (a missing file fails here,
 * before anything is submitted).
 */
export const ingestFilePayload = (
  options: Omit<IngestFileOptions, "wait"> & { readonly wait?: boolean | undefined }
): Effect.Effect<IngestFilePayload, LocalFileError, FileSystem.FileSystem | Path.Path> =>
  Effect.map(LocalFile.inspect(options.file), (file) => ({
    ...options,
    file: file.path,
    size: file.size,
    modifiedMillis: file.modifiedMillis
  }))

export type { IngestFileResult }
export { restoreFailure }
