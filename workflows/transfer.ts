/**
 * Moves a local file's bytes to the storage behind an Iconik file or proxy record, with the engine its
 * `storage_method` calls for (see `src/storage/`): S3 multipart (or one PUT below a threshold), GCS resumable,
 * Azure block blob, B2. Iconik's part-URL, completion and clean-up endpoints are handed to the engines; their
 * transfer events become {@link Progress} events and checkpoint lines.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Files from "../src/Files.ts"
import * as files from "../src/generated/files.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import { azureBlockRules, defaultAzureSingleThreshold, uploadAzureBlockBlob } from "../src/storage/AzureBlockBlob.ts"
import { b2PartRules, chooseB2Strategy, uploadB2Large, uploadB2Single } from "../src/storage/B2.ts"
import { gcsChunkAlignment, uploadGcsResumable } from "../src/storage/GcsResumable.ts"
import { MiB, type PartRules, planParts } from "../src/storage/Parts.ts"
import type { TransferEvent } from "../src/storage/Progress.ts"
import * as Retry from "../src/Retry.ts"
import { defaultRetryPolicy, type StorageClient, type StorageClientShape } from "../src/storage/StorageClient.ts"
import { isTransient, type StorageFailure, StorageProtocolError } from "../src/storage/StorageError.ts"
import {
  type S3CompletionUrls,
  type S3PartUrlsPage,
  type S3PartUrlsQuery,
  s3PartRules,
  uploadS3Multipart
} from "../src/storage/S3Multipart.ts"
import { chooseS3Strategy, uploadS3Single } from "../src/storage/S3Single.ts"
import type { CheckpointPart, CheckpointUpload, CheckpointWriter } from "./Checkpoint.ts"
import type { LocalFile } from "./LocalFile.ts"
import { InvalidOption } from "./Options.ts"
import * as Progress from "./Progress.ts"
import { CurrentWorkflow } from "./Workflow.ts"

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

export interface TransferResult {
  readonly method: string
  readonly strategy: "single" | "multipart" | "resumable" | "blocks" | "large-file"
  readonly size: number
  /** Parts sent by this run (multipart; fewer than the total after a resume). */
  readonly partsUploaded?: number | undefined
  readonly partsTotal?: number | undefined
  readonly resumed: boolean
}

// ---------------------------------------------------------------------------------------------------------------
// Part sizes, checked against the storage's rules before any record exists

/** GCS chunks: multiples of 256 KiB, no count limit. */
const gcsChunkRules: PartRules = {
  minPartSize: gcsChunkAlignment,
  maxPartSize: Number.MAX_SAFE_INTEGER,
  maxParts: Number.MAX_SAFE_INTEGER,
  alignment: gcsChunkAlignment
}

/**
 * The part rules an upload of `size` bytes to a `method` storage will follow with these options, and the part size
 * its engine would use; undefined when the file goes in one request (no parts) or the method has no engine.
 */
const partPlanFor = (
  method: string,
  size: number,
  options: Pick<TransferOptions, "partSize" | "singlePutThreshold">
): { readonly rules: PartRules; readonly partSize: number } | undefined => {
  switch (method.toUpperCase()) {
    case "S3":
      return chooseS3Strategy(size, options.singlePutThreshold) === "single"
        ? undefined
        : { rules: s3PartRules, partSize: options.partSize ?? 8 * MiB }
    case "GCS":
      return { rules: gcsChunkRules, partSize: options.partSize ?? 8 * MiB }
    case "AZURE":
      return size <= Math.min(options.singlePutThreshold ?? defaultAzureSingleThreshold, 5000 * MiB)
        ? undefined
        : { rules: azureBlockRules, partSize: options.partSize ?? 8 * MiB }
    case "B2":
      return chooseB2Strategy(size, options.singlePutThreshold) === "single"
        ? undefined
        : { rules: b2PartRules, partSize: options.partSize ?? 64 * MiB }
    default:
      return undefined
  }
}

/**
 * Checks `partSize` against the rules of the storage the file goes to (S3's 5 MiB floor, GCS's 256 KiB multiples,
 * B2's 5 MB floor…), as the engine will plan it. Workflows call it as soon as the storage method is known and before
 * they create any record, so a bad part size never leaves an asset or an OPEN record behind.
 */
export const checkPartSize = (
  method: string,
  size: number,
  options: Pick<TransferOptions, "partSize" | "singlePutThreshold">
): Effect.Effect<void, InvalidOption> => {
  const plan = partPlanFor(method, size, options)
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

// ---------------------------------------------------------------------------------------------------------------
// Iconik's side of an S3 multipart upload, for proxies and files alike

interface S3Endpoints {
  readonly partUrls: (query: S3PartUrlsQuery) => Effect.Effect<S3PartUrlsPage, IconikError, IconikClient>
  readonly completionUrls: (uploadId: string) => Effect.Effect<S3CompletionUrls, IconikError, IconikClient>
  readonly cleanup: (uploadId: string) => Effect.Effect<void, IconikError, IconikClient>
  /** The record's download URL: reads the object when a completion's answer was lost. */
  readonly objectUrl: Effect.Effect<string, IconikError | StorageProtocolError, IconikClient>
}

const partsPage = (answer: files.MultiPartUploadURLs): S3PartUrlsPage => ({
  objects: (answer.objects ?? []).flatMap((o) =>
    typeof o.number === "number" && typeof o.url === "string" ? [{ number: o.number, url: o.url }] : []
  )
})

const completion = (answer: files.MultiPartURLs): S3CompletionUrls => ({
  completeUrl: answer.complete_url ?? "",
  abortUrl: answer.abort_url ?? undefined,
  listPartsUrls: (answer.list_parts_url ?? []).filter((url): url is string => typeof url === "string" && url !== "")
})

const urlOf = (answer: { readonly url?: string | null | undefined }) =>
  answer.url
    ? Effect.succeed(answer.url)
    : Effect.fail(new StorageProtocolError({ provider: "S3", operation: "VerifyObject", detail: "Iconik gave no download URL" }))

const s3Endpoints = (target: TransferTarget): S3Endpoints => {
  const { assetId, recordId } = target
  const pageQuery = (q: S3PartUrlsQuery) => ({ upload_id: q.uploadId, parts_num: q.partsNum, page: q.page, per_page: q.perPage })
  return target.kind === "proxy"
    ? {
      partUrls: (q) =>
        Effect.map(files.listAssetProxyMultipartUrlPart({ asset_id: assetId, proxy_id: recordId, query: pageQuery(q) }), partsPage),
      completionUrls: (uploadId) => Effect.map(Files.getS3CompleteUrls(assetId, recordId, uploadId), completion),
      cleanup: (uploadId) => Effect.asVoid(Files.cleanupMultipart(assetId, recordId, uploadId, { abortUpload: true })),
      objectUrl: Effect.flatMap(files.getAssetProxyDownloadUrl({ asset_id: assetId, proxy_id: recordId }), urlOf)
    }
    : {
      partUrls: (q) =>
        Effect.map(files.listAssetFileMultipartUrlPart({ asset_id: assetId, file_id: recordId, query: pageQuery(q) }), partsPage),
      completionUrls: (uploadId) => Effect.map(Files.getFileS3CompleteUrls(assetId, recordId, uploadId), completion),
      cleanup: (uploadId) =>
        Effect.asVoid(Files.cleanupFileMultipart(assetId, recordId, { upload_id: uploadId, abort_upload: true })),
      objectUrl: Effect.flatMap(files.getAssetFileDownloadUrl({ asset_id: assetId, file_id: recordId }), urlOf)
    }
}

/** Which storage-side uploads a rerun can continue: S3 multipart (upload id + ListParts) and GCS sessions. */
export const isResumable = (upload: CheckpointUpload | undefined): boolean =>
  upload !== undefined &&
  ((upload.provider !== "GCS" && upload.provider !== "B2" && upload.uploadId !== undefined) || upload.sessionUrl !== undefined)

/**
 * Discards a storage-side upload a crashed run left behind, through Iconik: S3 multipart clean-up (abort), B2 large
 * file cancel. (GCS sessions expire by themselves; Azure discards uncommitted blocks.)
 */
export const discardUpload = (target: Pick<TransferTarget, "kind" | "assetId" | "recordId">, upload: CheckpointUpload) => {
  if (upload.uploadId === undefined) return Effect.void
  if (upload.provider === "B2") {
    return target.kind === "file"
      ? Effect.asVoid(files.cancelAssetFileMultipartB2({
        asset_id: target.assetId,
        file_id: target.recordId,
        body: { upload_file_id: upload.uploadId }
      }))
      : Effect.void
  }
  return upload.provider === "GCS" ? Effect.void : s3Endpoints({ ...target, fields: {} }).cleanup(upload.uploadId)
}

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
): Effect.Effect<TransferResult, StorageFailure | IconikError | UnsupportedStorage, StorageClient | IconikClient> =>
  Effect.gen(function*() {
    const method = (target.fields.storage_method ?? "").toUpperCase()
    const onProgress = onTransferEvent(options.item, options.checkpoint)
    const resume = options.resume
    const missing = (what: string) => new UnsupportedStorage({ method: method || "unknown", detail: `the record has no ${what}` })

    switch (method) {
      case "S3": {
        const multipartUrl = target.fields.multipart_upload_url ?? undefined
        const single = resume?.upload.uploadId === undefined &&
          (multipartUrl === undefined || chooseS3Strategy(file.size, options.singlePutThreshold) === "single")
        if (single) {
          const uploadUrl = target.fields.upload_url
          if (!uploadUrl) return yield* missing("upload_url")
          yield* uploadS3Single({ path: file.path, uploadUrl, contentType: options.contentType, onProgress })
          return { method, strategy: "single", size: file.size, resumed: false } satisfies TransferResult
        }
        const endpoints = s3Endpoints(target)
        const uploadId = resume?.upload.uploadId
        const result = yield* uploadS3Multipart({
          path: file.path,
          multipartUploadUrl: multipartUrl,
          contentType: options.contentType,
          getPartUrls: endpoints.partUrls,
          getCompletionUrls: endpoints.completionUrls,
          cleanup: endpoints.cleanup,
          getObjectUrl: endpoints.objectUrl,
          resume: uploadId === undefined ? undefined : { uploadId, uploadedParts: resume?.parts ?? [] },
          partSize: resume?.upload.partSize ?? options.partSize,
          concurrency: options.concurrency,
          onFailure: options.onFailure,
          onProgress
        })
        return {
          method,
          strategy: "multipart",
          size: result.size,
          partsUploaded: result.uploadedParts,
          partsTotal: result.parts.length,
          resumed: uploadId !== undefined
        } satisfies TransferResult
      }
      case "GCS": {
        const uploadUrl = target.fields.upload_url ?? undefined
        const sessionUrl = resume?.upload.sessionUrl
        if (sessionUrl === undefined && uploadUrl === undefined) return yield* missing("upload_url")
        yield* uploadGcsResumable({
          path: file.path,
          uploadUrl,
          contentType: options.contentType,
          chunkSize: options.partSize,
          resume: sessionUrl === undefined ? undefined : { sessionUrl },
          onProgress
        }).pipe(
          // A session start that failed transiently moved no byte: start one again (an unused session expires).
          (upload) =>
            Retry.retry(upload, defaultRetryPolicy, {
              retryable: (error) =>
                (error._tag === "StorageError" || error._tag === "StorageTransportError") &&
                error.operation === "StartResumableUpload" && isTransient(error)
            })
        )
        return { method, strategy: "resumable", size: file.size, resumed: sessionUrl !== undefined } satisfies TransferResult
      }
      case "AZURE": {
        const uploadUrl = target.fields.upload_url
        if (!uploadUrl) return yield* missing("upload_url")
        const result = yield* uploadAzureBlockBlob({
          path: file.path,
          uploadUrl,
          contentType: options.contentType,
          singlePutThreshold: options.singlePutThreshold,
          blockSize: options.partSize,
          concurrency: options.concurrency,
          onProgress
        })
        return {
          method,
          strategy: result.strategy === "blocks" ? "blocks" : "single",
          size: result.size,
          partsTotal: result.blockIds.length || undefined,
          resumed: false
        } satisfies TransferResult
      }
      case "B2": {
        if (target.kind !== "file") return yield* missing("B2 upload endpoints (Iconik has them for files only)")
        const { assetId, recordId } = target
        const uploadUrl = target.fields.upload_url
        const token = target.fields.upload_credentials?.authorizationToken
        const fileName = target.fields.upload_filename
        if (chooseB2Strategy(file.size, options.singlePutThreshold) === "single") {
          if (!uploadUrl || typeof token !== "string" || !fileName) {
            return yield* missing("upload_url, upload_credentials.authorizationToken or upload_filename")
          }
          yield* uploadB2Single({
            path: file.path,
            uploadUrl,
            authorizationToken: Redacted.make(token),
            fileName,
            contentType: options.contentType,
            onProgress
          })
          return { method, strategy: "single", size: file.size, resumed: false } satisfies TransferResult
        }
        const result = yield* uploadB2Large({
          path: file.path,
          start: Effect.flatMap(files.createAssetFileMultipartB2Start({ asset_id: assetId, file_id: recordId }), (started) =>
            started.upload_file_id && started.upload_url && started.authorization_token
              ? Effect.succeed({
                uploadFileId: started.upload_file_id,
                uploadUrl: started.upload_url,
                authorizationToken: Redacted.make(started.authorization_token)
              })
              : Effect.fail(
                new StorageProtocolError({
                  provider: "B2",
                  operation: "StartLargeFile",
                  detail: started.error ?? "Iconik's answer lacks upload_file_id, upload_url or authorization_token"
                })
              )),
          finish: (uploadFileId, sha1List) =>
            files.createAssetFileMultipartB2Finish({
              asset_id: assetId,
              file_id: recordId,
              body: { upload_file_id: uploadFileId, sha1_list: sha1List }
            }),
          cancel: (uploadFileId) =>
            files.cancelAssetFileMultipartB2({ asset_id: assetId, file_id: recordId, body: { upload_file_id: uploadFileId } }),
          // One B2 part URL takes one upload at a time: the engine's default concurrency of 1 stays.
          partSize: options.partSize,
          onProgress
        })
        return {
          method,
          strategy: "large-file",
          size: result.size,
          partsTotal: result.sha1List.length,
          partsUploaded: result.sha1List.length,
          resumed: false
        } satisfies TransferResult
      }
      default:
        return yield* new UnsupportedStorage({
          method: method || "unknown",
          detail: "only S3, GCS, AZURE and B2 storages take uploads from a client"
        })
    }
  })

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
