/**
 * Ingest an original file, as in Iconik's manual asset tutorial:
 *
 * 1. check the local file (a bad path fails here, before any request) and compute its checksum;
 * 2. `POST /API/assets/v1/assets/` `{title, type: "ASSET"}` with `apply_default_acls=true` (into a collection:
 *    `collection_id` in the body, `apply_default_acls=false&apply_collection_acls=true`, then
 *    `POST …/collections/{id}/contents/`);
 * 3. `POST /API/files/v1/assets/{asset_id}/formats/` `{name: "ORIGINAL", storage_methods: [method], metadata: [mime]}`;
 * 4. `POST …/file_sets/` `{format_id, storage_id, base_dir, name, component_ids: []}`;
 * 5. `POST …/files/` `{original_name, directory_path, size, checksum, type: "FILE", storage_id, file_set_id,
 *    format_id}` → the upload URLs for the storage;
 * 6. upload (S3 multipart or single PUT, GCS resumable, Azure block blob, B2);
 * 7. `PATCH …/files/{file_id}/` `{status: "CLOSED"}`;
 * 8. optionally `POST …/files/{file_id}/keyframes/` (proxy + keyframes transcode) → `{job_id}`, and wait for it.
 *
 * If anything after 2 fails or is interrupted: the storage upload is aborted, the file record marked FAILED and (by
 * default) the new asset deleted, so a failed ingest leaves neither an OPEN record nor a half-made asset.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Assets from "../src/Assets.ts"
import * as Collections from "../src/Collections.ts"
import * as Files from "../src/Files.ts"
import type * as Jobs from "../src/Jobs.ts"
import { fillRecord, type RecordRef, runJob, takeOver } from "./fillRecord.ts"
import * as LocalFile from "./LocalFile.ts"
import type { TransferResult } from "./transfer.ts"
import * as Workflow from "./Workflow.ts"

export interface IngestFileOptions {
  readonly file: string
  /** Asset title. Default: the file name. */
  readonly title?: string | undefined
  readonly collectionId?: string | undefined
  /** FILES storage (default: Iconik's default FILES storage). */
  readonly storageId?: string | undefined
  /** Stored on the asset: another way to recognise the file on a rerun. */
  readonly externalId?: string | undefined
  /** `directory_path` of the file on the storage. Default: the collection's upload path, else "". */
  readonly directoryPath?: string | undefined
  /** The content checksum (MD5 hex), when already known; computed otherwise. `false` skips it. */
  readonly checksum?: string | false | undefined
  readonly concurrency?: number | undefined
  readonly partSize?: number | undefined
  readonly singlePutThreshold?: number | undefined
  readonly contentType?: string | undefined
  /** Start Iconik's proxy + keyframes transcode from the original once it is CLOSED. */
  readonly transcode?: boolean | undefined
  /** Wait for the transcode job (default true when `transcode`). */
  readonly wait?: boolean | Jobs.WaitOptions | undefined
  /**
   * On failure or interruption (after the storage upload is aborted): `"delete"` marks the file FAILED and deletes
   * the new asset (default); `"fail"` keeps the asset with its FAILED file; `"keep"` leaves everything for a rerun
   * to resume.
   */
  readonly onFailure?: "delete" | "fail" | "keep" | undefined
  readonly checkpoint?: boolean | undefined
  /** Name of the file in progress events. Default: its path. */
  readonly item?: string | undefined
}

export interface IngestFileResult {
  readonly assetId: string
  readonly versionId?: string | undefined
  readonly formatId: string
  readonly fileSetId: string
  readonly fileId: string
  readonly storageId: string
  readonly size: number
  readonly checksum?: string | undefined
  readonly transfer: TransferResult
  readonly jobId?: string | undefined
  readonly jobStatus?: string | undefined
}

const mimeTypes: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/mp4",
  mov: "video/quicktime",
  mxf: "application/mxf",
  mkv: "video/x-matroska",
  webm: "video/webm",
  avi: "video/x-msvideo",
  mpg: "video/mpeg",
  ts: "video/mp2t",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  aac: "audio/aac",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  tif: "image/tiff",
  tiff: "image/tiff",
  pdf: "application/pdf",
  txt: "text/plain"
}

/** The media type for a file name (by extension; `application/octet-stream` when unknown). */
export const mediaTypeOf = (name: string): string =>
  mimeTypes[name.slice(name.lastIndexOf(".") + 1).toLowerCase()] ?? "application/octet-stream"

/** The records an ingest fills: made by this run, or found through a crashed run's checkpoint. */
type Ingested = Omit<IngestFileResult, "size" | "checksum" | "jobId" | "jobStatus">

export const ingestFile = Workflow.make("ingestFile", (options: IngestFileOptions) =>
  Effect.gen(function*() {
    const file = yield* Workflow.step("check file", LocalFile.inspect(options.file))
    const checksum = options.checksum === false
      ? undefined
      : options.checksum ?? (yield* Workflow.step("checksum", LocalFile.checksum(file.path)))
    const onFailure = options.onFailure ?? "delete"
    const contentType = options.contentType ?? mediaTypeOf(file.name)
    const fillOptions = {
      ...options,
      contentType,
      workflow: "ingestFile",
      onFailure: onFailure === "keep" ? "keep" as const : "fail" as const
    }
    const fileRecord = (assetId: string, id: string, fileSetId: string, directoryPath: string): RecordRef => ({
      kind: "file",
      assetId,
      id,
      body: { directory_path: directoryPath, original_name: file.name, file_set_id: fileSetId, type: "FILE" }
    })

    // A crashed earlier run of this file: continue its upload into the same asset and file record.
    const resume = yield* takeOver({
      workflow: "ingestFile",
      file,
      lookup: (header) =>
        Effect.map(Files.getFile(header.assetId, header.recordId), (found) => ({
          status: found.status ?? undefined,
          record: fileRecord(header.assetId, header.recordId, found.file_set_id ?? header.fileSetId ?? "", found.directory_path),
          storageId: found.storage_id ?? ""
        })),
      // The asset was made for that upload alone.
      discard: (stale) => onFailure === "delete" ? Effect.ignore(Assets.delete(stale.record.assetId)) : Effect.void
    })

    const resumeUpload = (resumed: Option.Option.Value<typeof resume>) =>
      Effect.map(fillRecord(resumed.record, {}, file, fillOptions, resumed), (transfer): Ingested => ({
        assetId: resumed.record.assetId,
        formatId: resumed.checkpoint.header.formatId ?? "",
        fileSetId: resumed.checkpoint.header.fileSetId ?? "",
        fileId: resumed.record.id,
        storageId: resumed.storageId,
        transfer
      }))

    const ingestNew = Effect.gen(function*() {
      const storage = options.storageId === undefined
        ? yield* Workflow.step("find FILES storage", Files.defaultStorage("FILES"))
        : yield* Workflow.step("get storage", Files.getStorage(options.storageId))
      const collectionId = options.collectionId
      const asset = yield* Workflow.step(
        "create asset",
        Assets.create(
          {
            title: options.title ?? file.name,
            type: "ASSET",
            ...(collectionId === undefined ? {} : { collection_id: collectionId }),
            ...(options.externalId === undefined ? {} : { external_id: options.externalId })
          },
          collectionId === undefined
            ? { apply_default_acls: true }
            : { apply_default_acls: false, apply_collection_acls: true }
        )
      )
      const versionId = asset.versions?.[0]?.id ?? undefined
      const withVersion = versionId === undefined ? {} : { version_id: versionId }

      const records = Effect.gen(function*() {
        let directoryPath = options.directoryPath ?? ""
        if (collectionId !== undefined) {
          yield* Workflow.step(
            "add to collection",
            Collections.addContent(collectionId, { object_id: asset.id, object_type: "assets" })
          )
          if (options.directoryPath === undefined) {
            directoryPath = yield* Workflow.step(
              "collection upload path",
              Collections.fullPath(collectionId, { get_upload_path: true }).pipe(
                Effect.map((path) => (typeof path === "string" ? path : "")),
                Effect.orElseSucceed(() => "")
              )
            )
          }
        }
        const format = yield* Workflow.step(
          "create format",
          Files.createFormat(asset.id, {
            name: "ORIGINAL",
            metadata: [{ internet_media_type: contentType }],
            storage_methods: [storage.method],
            ...withVersion
          })
        )
        const fileSet = yield* Workflow.step(
          "create file set",
          Files.createFileSet(asset.id, {
            format_id: format.id,
            storage_id: storage.id,
            base_dir: directoryPath,
            name: file.name,
            component_ids: [],
            ...withVersion
          })
        )
        const created = yield* Workflow.step(
          "create file",
          Files.createFile(asset.id, {
            original_name: file.name,
            directory_path: directoryPath,
            size: file.size,
            type: "FILE",
            status: "OPEN",
            storage_id: storage.id,
            file_set_id: fileSet.id,
            format_id: format.id,
            ...(checksum === undefined ? {} : { checksum }),
            ...(file.modifiedMillis > 0 ? { file_date_modified: new Date(file.modifiedMillis).toISOString() } : {}),
            ...withVersion
          })
        )
        const fileId = created.id ?? ""
        const transfer = yield* fillRecord(
          fileRecord(asset.id, fileId, fileSet.id, directoryPath),
          created,
          file,
          { ...fillOptions, checkpointExtra: { formatId: format.id, fileSetId: fileSet.id } }
        )
        return { assetId: asset.id, versionId, formatId: format.id, fileSetId: fileSet.id, fileId, storageId: storage.id, transfer }
      })

      // Anything failing after the asset exists: the asset goes too (its file is already FAILED, its upload aborted).
      return yield* records.pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) || onFailure !== "delete"
            ? Effect.void
            : Workflow.step("delete asset", Assets.delete(asset.id)).pipe(
              Effect.catchCause((cause) => Effect.logWarning(`could not delete asset ${asset.id}`, Cause.pretty(cause)))
            )
        )
      )
    })

    const ingested: Ingested = Option.isSome(resume) ? yield* resumeUpload(resume.value) : yield* ingestNew
    const job = options.transcode === true
      ? yield* runJob("transcode", Files.createKeyframesJob(ingested.assetId, ingested.fileId), options.wait)
      : undefined
    const result: IngestFileResult = { ...ingested, size: file.size, checksum, jobId: job?.jobId, jobStatus: job?.status }
    return result
  }))
