/**
 * `uploadProxy` as a durable workflow: the plain workflow's steps (see workflows/uploadProxy.ts) as activities. One
 * execution per asset and proxy file (path, size, modification time): submitting it again joins the first.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Path from "effect/Path"
import * as Schema from "effect/Schema"
import { Workflow as DurableWorkflow } from "effect/workflow"
import * as LocalFile from "../workflows/LocalFile.ts"
import type { LocalFileError } from "../workflows/LocalFile.ts"
import { uploadProxy, type UploadProxyOptions } from "../workflows/uploadProxy.ts"
import { withSlotForTransfer } from "./ClusterLimits.ts"
import { TransferResultSchema } from "./IngestFile.ts"
import { runAsActivities, storeFailure } from "./Steps.ts"

const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.UndefinedOr(schema))

export const UploadProxyPayload = Schema.Struct({
  assetId: Schema.String,
  file: Schema.String,
  size: Schema.Number,
  modifiedMillis: Schema.Number,
  storageId: optional(Schema.String),
  versionId: optional(Schema.String),
  /** The proxy's descriptive fields (`format`, `codec`, `resolution`…), as JSON. */
  proxy: optional(Schema.Record(Schema.String, Schema.Unknown)),
  concurrency: optional(Schema.Number),
  partSize: optional(Schema.Number),
  singlePutThreshold: optional(Schema.Number),
  contentType: optional(Schema.String),
  keyframes: optional(Schema.Boolean),
  wait: optional(Schema.Boolean),
  onFailure: optional(Schema.Literals(["fail", "delete", "keep"])),
  newProxy: optional(Schema.Boolean)
})
export type UploadProxyPayload = typeof UploadProxyPayload.Type

export const UploadProxyResultSchema = Schema.Struct({
  assetId: Schema.String,
  proxyId: Schema.String,
  size: Schema.Number,
  transfer: TransferResultSchema,
  keyframesJobId: optional(Schema.String),
  keyframesJobStatus: optional(Schema.String)
})

export const UploadProxy = DurableWorkflow.make("effect-iconik/uploadProxy", {
  payload: UploadProxyPayload,
  success: UploadProxyResultSchema,
  error: Schema.Unknown,
  idempotencyKey: (payload) => JSON.stringify([payload.assetId, payload.file, payload.size, payload.modifiedMillis])
})

/** The body: the plain steps as activities, an upload slot held for the storage transfer only. */
export const UploadProxyLayer = UploadProxy.toLayer((payload, executionId) => {
  const { modifiedMillis: _m, size: _s, proxy, ...options } = payload
  return runAsActivities(
    executionId,
    withSlotForTransfer(uploadProxy({ ...options, proxy: proxy as UploadProxyOptions["proxy"] }))
  ).pipe(
    Effect.map((result): typeof UploadProxyResultSchema.Type => result),
    Effect.mapError(storeFailure)
  )
})

/** The payload for `options.file`: its absolute path, size and modification time read now. */
export const uploadProxyPayload = (
  options: Omit<UploadProxyOptions, "wait" | "checkpoint"> & { readonly wait?: boolean | undefined }
): Effect.Effect<UploadProxyPayload, LocalFileError, FileSystem.FileSystem | Path.Path> =>
  Effect.map(LocalFile.inspect(options.file), (file) => ({
    ...options,
    file: file.path,
    size: file.size,
    modifiedMillis: file.modifiedMillis
  }))
