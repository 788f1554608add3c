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
 * default) the new asset deleted, so a failed ingest leaves neither an OPEN record nor a half-made asset. Options are
 * checked first, and the part size against the storage's rules before the asset is made. A create whose answer is
 * lost (2–5) is reconciled, not repeated blindly (see `createReconciled`); the file must not change between its
 * checksum and the CLOSE (`FileChanged`); a CLOSE whose answer is lost is read back; and nothing holding stored bytes
 * (a CLOSED file, its asset) is discarded without being read first.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Assets from "../src/Assets.ts"
import type * as assets from "../src/generated/assets.ts"
import * as Collections from "../src/Collections.ts"
import * as Files from "../src/Files.ts"
import type * as Jobs from "../src/Jobs.ts"
import { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Checkpoint from "./Checkpoint.ts"
import { createReconciled, fillRecord, readRetry, type RecordRef, runJob, takeOver, takeSnapshot } from "./fillRecord.ts"
import * as LocalFile from "./LocalFile.ts"
import { validateTransfer } from "./Options.ts"
import { checkPartSize, type TransferResult } from "./transfer.ts"
import * as Workflow from "./Workflow.ts"

export interface IngestFileOptions {
  readonly file: string
  /** Asset title. Default: the file name. */
  readonly title?: string | undefined
  readonly collectionId?: string | undefined
  /** FILES storage (default: Iconik's default FILES storage). */
  readonly storageId?: string | undefined
  /**
   * The FILES storage, already looked up (its id and method): no lookup is sent. A folder ingest looks it up once
   * for all its files. Takes precedence over `storageId`.
   */
  readonly storage?: ResolvedStorage | undefined
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
  /**
   * When the asset create's answer is lost, how long to look for the asset it may have made (assets are only found
   * through Iconik's list index, which lags behind writes) before sending the create again. Default 10 s.
   */
  readonly indexWait?: number | undefined
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

/** What an ingest needs of its FILES storage. */
export interface ResolvedStorage {
  readonly id: string
  readonly method: string
}

/** The FILES storage `storageId` names, else Iconik's default one. */
export const findFilesStorage = (storageId: string | undefined) =>
  Effect.map(
    storageId === undefined
      ? Workflow.step("find FILES storage", Files.defaultStorage("FILES"), { retry: readRetry })
      : Workflow.step("get storage", Files.getStorage(storageId), { retry: readRetry }),
    (storage): ResolvedStorage => ({ id: storage.id, method: storage.method })
  )

/** The records an ingest fills: made by this run, or found through a crashed run's checkpoint. */
type Ingested = Omit<IngestFileResult, "size" | "checksum" | "jobId" | "jobStatus">

/** Assets made less than this before the create was sent are not the create's (clock skew allowance). */
const clockSkewMillis = 120_000

/**
 * Finds the asset a create whose answer was lost made: ACTIVE, with the title (and external id) the create set,
 * created since the create was sent, and still empty (no format: per-asset listings are direct reads). Assets can
 * only be looked up by field through the list index, which lags behind writes, so it is polled for up to
 * `waitMillis`; `None` means the create did not act (a 5xx refused before anything happened).
 */
const findLostAsset = (
  criteria: { readonly title: string; readonly externalId: string | undefined; readonly sentAt: number },
  waitMillis: number
): Effect.Effect<Option.Option<assets.Asset>, IconikError, IconikClient> =>
  Effect.gen(function*() {
    const deadline = criteria.sentAt + waitMillis
    for (let round = 0;; round++) {
      const page = yield* Assets.list({ sort: "date_created,desc", per_page: 100 })
      const candidates = (page.objects ?? []).filter((asset) =>
        asset.title === criteria.title && asset.status !== "DELETED" &&
        (criteria.externalId === undefined || asset.external_id === criteria.externalId) &&
        typeof asset.id === "string" &&
        (typeof asset.date_created !== "string" || Date.parse(asset.date_created) >= criteria.sentAt - clockSkewMillis)
      )
      // Oldest first: of two lost creates, the first one's asset is adopted.
      for (const candidate of candidates.reverse()) {
        // The list may show an asset as it was: the direct reads decide (deleted since: not found, skipped).
        const found = yield* Effect.gen(function*() {
          const asset = yield* Assets.get(candidate.id as string)
          if (asset.status === "DELETED") return Option.none()
          const formats = yield* Files.listFormats(asset.id)
          return (formats.objects ?? []).length === 0 ? Option.some(asset) : Option.none()
        }).pipe(Effect.catchTag("IconikNotFound", () => Effect.succeed(Option.none<assets.Asset>())))
        if (Option.isSome(found)) return found
      }
      if ((yield* Clock.currentTimeMillis) >= deadline) return Option.none()
      yield* Effect.sleep(Math.min(250 * 2 ** round, 2_000))
    }
  })

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) => Effect.map(Stream.runCollect(stream), (all) => [...all])

/**
 * Deletes an asset an ingest made for its file alone, after a failure or a crash: its OPEN file records first (one a
 * lost create made, or one a crash left before its upload started), so nothing stays OPEN. An asset holding a CLOSED
 * file (a CLOSE whose answer was lost) is kept: stored bytes are never discarded. Logged, not raised; whether the
 * asset is gone (a rerun has nothing left to clean up).
 */
const deleteIngestAsset = (assetId: string): Effect.Effect<boolean, never, IconikClient> =>
  Workflow.step(
    "delete asset",
    Effect.gen(function*() {
      const files = yield* collect(Files.streamFiles(assetId))
      if (files.some((f) => f.status === "CLOSED")) {
        yield* Effect.logWarning(`asset ${assetId} holds a CLOSED file: kept`)
        return false
      }
      for (const open of files) {
        if (open.status === "OPEN" && typeof open.id === "string") {
          yield* Files.deleteFile(assetId, open.id).pipe(Effect.catchTag("IconikNotFound", () => Effect.void))
        }
      }
      yield* Assets.delete(assetId).pipe(Effect.catchTag("IconikNotFound", () => Effect.void))
      return true
    })
  ).pipe(
    Effect.catchCause((cause) => Effect.as(Effect.logWarning(`could not delete asset ${assetId}`, Cause.pretty(cause)), false))
  )

/**
 * After a failed ingest (not kept for a rerun): its asset deleted (with `onFailure: "delete"`), then its checkpoint
 * removed, unless the asset stayed (its delete failed, or it holds a CLOSED file): the checkpoint then leaves the rest
 * to a rerun, which adopts the CLOSED file or deletes the asset.
 */
const cleanUpFailedIngest = <R>(assetId: string, onFailure: "delete" | "fail", removeCheckpoint: Effect.Effect<void, never, R>) =>
  onFailure === "delete"
    ? Effect.flatMap(deleteIngestAsset(assetId), (gone) => gone ? removeCheckpoint : Effect.void)
    : removeCheckpoint

export const ingestFile = Workflow.make("ingestFile", (options: IngestFileOptions) =>
  Effect.gen(function*() {
    yield* validateTransfer(options)
    const file = yield* Workflow.step("check file", LocalFile.inspect(options.file))
    // Taken before the checksum: a change while hashing or uploading is caught before the CLOSE.
    const snapshot = yield* takeSnapshot(file.path)
    const checksum = options.checksum === false
      ? undefined
      : options.checksum ?? (yield* Workflow.step("checksum", LocalFile.checksum(file.path)))
    const onFailure = options.onFailure ?? "delete"
    const contentType = options.contentType ?? mediaTypeOf(file.name)
    const fillOptions = {
      ...options,
      contentType,
      snapshot,
      workflow: "ingestFile",
      onFailure: onFailure === "keep" ? "keep" as const : "fail" as const
    }
    const fileRecord = (assetId: string, id: string, fileSetId: string, directoryPath: string): RecordRef => ({
      kind: "file",
      assetId,
      id,
      body: { directory_path: directoryPath, original_name: file.name, file_set_id: fileSetId, type: "FILE" }
    })

    // A crashed earlier run of this file: continue its upload into the same asset and file record. (On a durable
    // engine the execution itself resumes, from its last completed step.)
    const resume = (yield* Workflow.isDurable) ? Option.none() : yield* takeOver({
      workflow: "ingestFile",
      file,
      lookup: (header) =>
        Effect.map(Files.getFile(header.assetId, header.recordId), (found) => ({
          status: found.status ?? undefined,
          record: fileRecord(header.assetId, header.recordId, found.file_set_id ?? header.fileSetId ?? "", found.directory_path),
          storageId: found.storage_id ?? ""
        })),
      // A file ingested to another place (the same bytes reached through a link share the checkpoint file) is not ours.
      owns: (state) =>
        options.directoryPath === undefined ||
        (state.record.kind === "file" && state.record.body.directory_path === options.directoryPath),
      // The asset was made for that upload alone.
      discard: (stale) => onFailure === "delete" ? Effect.asVoid(deleteIngestAsset(stale.record.assetId)) : Effect.void,
      // A crash before the file record was in the checkpoint, or in a clean-up after the record went: the asset holds
      // no upload, it goes (one holding a CLOSED file is kept).
      discardAsset: (header) => Effect.asVoid(deleteIngestAsset(header.assetId))
    })

    // A resumed upload that fails is cleaned up as a new one is: its file is FAILED by now, and the asset goes too.
    const resumeUpload = (resumed: Option.Option.Value<typeof resume>) =>
      Effect.map(fillRecord(resumed.record, {}, file, { ...fillOptions, callerRemovesCheckpoint: true }, resumed), (transfer): Ingested => ({
        assetId: resumed.record.assetId,
        formatId: resumed.checkpoint.header.formatId ?? "",
        fileSetId: resumed.checkpoint.header.fileSetId ?? "",
        fileId: resumed.record.id,
        storageId: resumed.storageId,
        transfer
      })).pipe(
        Effect.onExit((exit) =>
          Exit.isSuccess(exit) || onFailure === "keep"
            ? Effect.void
            : cleanUpFailedIngest(resumed.record.assetId, onFailure, Checkpoint.remove(file.path, "ingestFile"))
        )
      )

    const ingestNew = Effect.gen(function*() {
      const storage = options.storage ?? (yield* findFilesStorage(options.storageId))
      // The storage's part rules are known now: a bad part size fails here, before the asset exists.
      yield* checkPartSize(storage.method, file.size, options)
      const collectionId = options.collectionId
      const title = options.title ?? file.name
      const sentAt = yield* Clock.currentTimeMillis
      const asset = yield* createReconciled(
        "create asset",
        Assets.create(
          {
            title,
            type: "ASSET",
            ...(collectionId === undefined ? {} : { collection_id: collectionId }),
            ...(options.externalId === undefined ? {} : { external_id: options.externalId })
          },
          collectionId === undefined
            ? { apply_default_acls: true }
            : { apply_default_acls: false, apply_collection_acls: true }
        ),
        // After a cut-off attempt, assets made since that attempt began are candidates.
        Effect.flatMap(Workflow.earlierAttempt, (earlier) =>
          findLostAsset(
            { title, externalId: options.externalId, sentAt: Option.getOrElse(earlier, () => sentAt) },
            options.indexWait ?? 10_000
          ))
      )
      const versionId = asset.versions?.[0]?.id ?? undefined
      const withVersion = versionId === undefined ? {} : { version_id: versionId }

      // The checkpoint starts as soon as the asset exists: a crash before the file record is made leaves it for a
      // rerun to find (and the asset is not left behind as a second one: it is deleted, its format and file set with
      // it). The full header follows with the file record.
      const started: Checkpoint.CheckpointHeader = {
        version: 1,
        workflow: "ingestFile",
        iconik: (yield* IconikClient).baseUrl,
        assetId: asset.id,
        recordKind: "file",
        recordId: "",
        storageMethod: storage.method,
        size: file.size,
        modifiedMillis: file.modifiedMillis
      }
      const checkpoint = options.checkpoint === false
        ? Checkpoint.disabled
        : yield* Checkpoint.open(file.path, started, { fresh: true })

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
        // The asset is this run's own: whatever a lost create made in it is found in its (direct) listings.
        const format = yield* createReconciled(
          "create format",
          Effect.map(
            Files.createFormat(asset.id, {
              name: "ORIGINAL",
              metadata: [{ internet_media_type: contentType }],
              storage_methods: [storage.method],
              ...withVersion
            }),
            (created) => ({ id: created.id })
          ),
          Effect.map(collect(Files.streamFormats(asset.id)), (formats) =>
            Option.fromNullishOr(formats.find((f) => f.name === "ORIGINAL" && typeof f.id === "string")).pipe(
              Option.map((f) => ({ id: f.id as string }))
            ))
        )
        const fileSet = yield* createReconciled(
          "create file set",
          Effect.map(
            Files.createFileSet(asset.id, {
              format_id: format.id,
              storage_id: storage.id,
              base_dir: directoryPath,
              name: file.name,
              component_ids: [],
              ...withVersion
            }),
            (created) => ({ id: created.id })
          ),
          Effect.map(collect(Files.streamFileSets(asset.id)), (sets) =>
            Option.fromNullishOr(
              sets.find((set) => set.name === file.name && set.format_id === format.id && typeof set.id === "string")
            ).pipe(Option.map((set) => ({ id: set.id as string }))))
        )
        const created = yield* createReconciled(
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
          }),
          // Its upload URLs were in the lost answer: a file record the create made is deleted, and the create sent again.
          Effect.gen(function*() {
            const files = yield* collect(Files.streamFiles(asset.id))
            for (const made of files) {
              if (
                made.original_name === file.name && made.directory_path === directoryPath &&
                made.file_set_id === fileSet.id && typeof made.id === "string"
              ) {
                yield* Files.deleteFile(asset.id, made.id).pipe(Effect.catchTag("IconikNotFound", () => Effect.void))
              }
            }
            return Option.none()
          })
        )
        const fileId = created.id ?? ""
        const transfer = yield* fillRecord(
          fileRecord(asset.id, fileId, fileSet.id, directoryPath),
          created,
          file,
          {
            ...fillOptions,
            checkpointExtra: { formatId: format.id, fileSetId: fileSet.id },
            checkpointStarted: true,
            callerRemovesCheckpoint: true
          }
        )
        return { assetId: asset.id, versionId, formatId: format.id, fileSetId: fileSet.id, fileId, storageId: storage.id, transfer }
      })

      // Anything failing after the asset exists: the asset goes too (its file is already FAILED, its upload aborted),
      // unless a file of it turns out CLOSED (a CLOSE whose answer was lost): stored bytes are never discarded.
      // The checkpoint goes last, once the asset is gone (see `cleanUpFailedIngest`).
      return yield* records.pipe(
        Effect.onExit((exit) =>
          onFailure === "keep"
            ? Effect.void
            : Workflow.cleanUpAfter(exit, cleanUpFailedIngest(asset.id, onFailure, checkpoint.remove))
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
