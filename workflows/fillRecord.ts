/**
 * What every upload workflow shares:
 *
 * - {@link fillRecord}: fill an OPEN file or proxy record with a local file's bytes and PATCH it CLOSED, with the
 *   clean-up that keeps Iconik tidy when that fails or is interrupted (the storage-side upload is aborted by the
 *   engine, then the record is marked FAILED or deleted — never left OPEN) and the checkpoint that lets a crashed
 *   run resume;
 * - {@link takeOver}: find what a crashed run left (resume it, or clean it up when it is stale);
 * - {@link runJob}: start Iconik's job on the CLOSED record and wait for it.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as FileSystem from "effect/FileSystem"
import * as Files from "../src/Files.ts"
import type * as files from "../src/generated/files.ts"
import { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Jobs from "../src/Jobs.ts"
import type { StorageClient } from "../src/storage/StorageClient.ts"
import type { StorageFailure } from "../src/storage/StorageError.ts"
import * as Checkpoint from "./Checkpoint.ts"
import type { LocalFile } from "./LocalFile.ts"
import {
  discardUpload,
  isResumable,
  transfer,
  type TransferOptions,
  type TransferResult,
  type UnsupportedStorage,
  type UploadFields
} from "./transfer.ts"
import * as Workflow from "./Workflow.ts"

/**
 * What happens to the record when the upload fails or is interrupted (the storage-side upload is aborted first):
 * `"fail"` marks it FAILED (default), `"delete"` deletes it, `"keep"` leaves record, storage upload and checkpoint
 * in place for a rerun to resume.
 */
export type OnFailure = "fail" | "delete" | "keep"

/** A proxy record, or a file record with the fields its PATCH body must repeat. */
export type RecordRef =
  | { readonly kind: "proxy"; readonly assetId: string; readonly id: string }
  | {
    readonly kind: "file"
    readonly assetId: string
    readonly id: string
    readonly body: Pick<files.FileInput, "directory_path" | "original_name" | "file_set_id" | "type">
  }

/** Failures worth sending an idempotent Iconik call again at the step level (the client already retried some). */
export const isTransientIconik = (error: { readonly _tag: string }): boolean =>
  error._tag === "IconikServerError" || error._tag === "IconikTransportError" || error._tag === "IconikRateLimited"

/** PATCH the record's status. */
export const setStatus = (record: RecordRef, status: "CLOSED" | "FAILED") =>
  record.kind === "proxy"
    ? Effect.asVoid(Files.patchProxy(record.assetId, record.id, { status }))
    : Effect.asVoid(Files.patchFile(record.assetId, record.id, { ...record.body, status }))

const deleteRecord = (record: RecordRef) =>
  record.kind === "proxy" ? Files.deleteProxy(record.assetId, record.id) : Files.deleteFile(record.assetId, record.id)

/** Marks the record FAILED or deletes it; logged, not raised: the upload's own failure is what the caller sees. */
export const abandon = (record: RecordRef, onFailure: OnFailure) =>
  onFailure === "keep"
    ? Effect.void
    : Workflow.step(
      onFailure === "delete" ? `delete ${record.kind}` : `mark ${record.kind} failed`,
      onFailure === "delete" ? deleteRecord(record) : setStatus(record, "FAILED")
    ).pipe(
      Effect.catchCause((cause) => Effect.logWarning(`could not clean up ${record.kind} ${record.id}`, Cause.pretty(cause)))
    )

export interface FillOptions extends Omit<TransferOptions, "checkpoint" | "resume" | "onFailure" | "item"> {
  readonly onFailure?: OnFailure | undefined
  /** Write a checkpoint beside the media for multipart uploads. Default true. */
  readonly checkpoint?: boolean | undefined
  readonly workflow: string
  readonly item?: string | undefined
  /** Extra header fields for the checkpoint (format / file set ids of an original). */
  readonly checkpointExtra?: Pick<Checkpoint.CheckpointHeader, "formatId" | "fileSetId"> | undefined
}

export interface Resumable {
  readonly checkpoint: Checkpoint.Checkpoint
}

/**
 * Uploads `file` into `record` (created OPEN with `fields`) and closes it. With `resume`, continues the storage
 * upload a previous run's checkpoint describes.
 */
export const fillRecord = (
  record: RecordRef,
  fields: UploadFields,
  file: LocalFile,
  options: FillOptions,
  resume?: Resumable | undefined
): Effect.Effect<TransferResult, StorageFailure | IconikError | UnsupportedStorage, StorageClient | IconikClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const onFailure = options.onFailure ?? "fail"
    const client = yield* IconikClient
    const header: Checkpoint.CheckpointHeader = {
      version: 1,
      workflow: options.workflow,
      iconik: client.baseUrl,
      assetId: record.assetId,
      recordKind: record.kind,
      recordId: record.id,
      storageMethod: resume?.checkpoint.header.storageMethod ?? fields.storage_method ?? "",
      ...options.checkpointExtra,
      size: file.size,
      modifiedMillis: file.modifiedMillis
    }
    const checkpoint = options.checkpoint === false
      ? Checkpoint.disabled
      : yield* Checkpoint.open(file.path, header, { fresh: resume === undefined })
    const upload = resume?.checkpoint.upload
    const run = Effect.gen(function*() {
      const result = yield* Workflow.step(
        `upload ${record.kind}`,
        transfer({
          kind: record.kind,
          assetId: record.assetId,
          recordId: record.id,
          fields: resume === undefined ? fields : { storage_method: header.storageMethod }
        }, file, {
          ...options,
          onFailure: onFailure === "keep" ? "keep" : "abort",
          checkpoint,
          item: options.item ?? file.path,
          resume: upload === undefined ? undefined : { upload, parts: resume!.checkpoint.parts }
        })
      )
      // The bytes are stored: a PATCH lost to a flaky moment must not throw them away, so it gets more tries.
      yield* Workflow.step(`close ${record.kind}`, setStatus(record, "CLOSED"), {
        retry: { times: 3, delay: "500 millis", while: isTransientIconik }
      })
      return result
    })
    return yield* run.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? checkpoint.remove
          : onFailure === "keep"
          ? Effect.void
          : Effect.andThen(abandon(record, onFailure), checkpoint.remove)
      )
    )
  })

/**
 * Starts a job Iconik runs on a CLOSED record (keyframes, transcode) and, unless `wait` is false, waits for its end
 * (`Jobs.waitFor`: `JobFailed` when it ends FAILED, ABORTED or DISCARDED).
 */
export const runJob = <E>(
  what: string,
  start: Effect.Effect<{ readonly job_id?: string | null | undefined } | void | undefined, E, IconikClient>,
  wait: boolean | Jobs.WaitOptions | undefined
) =>
  Effect.gen(function*() {
    const answer = yield* Workflow.step(`start ${what} job`, start)
    const jobId = answer?.job_id ?? undefined
    if (jobId === undefined || wait === false) return { jobId, status: undefined }
    const job = yield* Workflow.step(`wait for ${what} job`, Jobs.waitFor(jobId, typeof wait === "object" ? wait : undefined))
    return { jobId, status: job.status as string | undefined }
  })

/** A checkpoint's record as Iconik has it now. */
export interface RecordState {
  readonly status: string | undefined
  readonly record: RecordRef
}

/**
 * Looks for a checkpoint a crashed run of `workflow` left beside `file`. When it describes this very file (and
 * asset, if given), its record is still OPEN and its storage upload had started, the answer is what to resume.
 * Otherwise the checkpoint is stale: its OPEN record is marked FAILED, its S3 upload cleaned up, `discard` runs (e.g.
 * to delete a half-made asset) and the file removed, so the caller starts over without leaving anything behind.
 */
export const takeOver = <S extends RecordState>(options: {
  readonly workflow: string
  readonly file: LocalFile
  readonly assetId?: string | undefined
  readonly lookup: (header: Checkpoint.CheckpointHeader) => Effect.Effect<S, IconikError, IconikClient>
  readonly discard?: ((state: S) => Effect.Effect<void, never, IconikClient>) | undefined
}): Effect.Effect<Option.Option<Resumable & S>, IconikError, IconikClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const client = yield* IconikClient
    const found = yield* Checkpoint.load(options.file.path, options.workflow, client.baseUrl)
    if (Option.isNone(found)) return Option.none()
    const checkpoint = found.value
    const { header, upload } = checkpoint
    const state = yield* options.lookup(header).pipe(
      Effect.map(Option.some),
      Effect.catchTag("IconikNotFound", () => Effect.succeed(Option.none()))
    )
    if (
      Option.isSome(state) && state.value.status === "OPEN" && isResumable(upload) &&
      Checkpoint.describes(checkpoint, options.file, options.assetId)
    ) {
      return Option.some({ checkpoint, ...state.value })
    }
    yield* Workflow.step(
      "discard stale checkpoint",
      Effect.gen(function*() {
        if (Option.isSome(state) && state.value.status === "OPEN") {
          const { record } = state.value
          if (upload !== undefined) {
            yield* Effect.ignore(discardUpload({ kind: record.kind, assetId: record.assetId, recordId: record.id }, upload))
          }
          yield* abandon(record, "fail")
          if (options.discard !== undefined) yield* options.discard(state.value)
        }
        yield* Checkpoint.remove(options.file.path, options.workflow)
      })
    )
    return Option.none()
  })
