/**
 * What every upload workflow shares:
 *
 * - {@link fillRecord}: fill an OPEN file or proxy record with a local file's bytes and PATCH it CLOSED, with the
 *   clean-up that keeps Iconik tidy when that fails or is interrupted (the storage-side upload is aborted by the
 *   engine, then the record is marked FAILED or deleted — never left OPEN) and the checkpoint that lets a crashed
 *   run resume;
 * - {@link takeOver}: find what a crashed run left (resume it, or clean it up when it is stale);
 * - {@link runJob}: start Iconik's job on the CLOSED record and wait for it;
 * - {@link createReconciled}: a create whose answer may be lost after Iconik acted finds what it made before it is
 *   sent again;
 * - {@link takeSnapshot} / {@link ensureSnapshot}: the local file must not change between its checksum and CLOSE.
 *
 * Once the bytes are stored, a transient fault costs a retry, never the upload: the CLOSE is re-read when its answer
 * is lost, and no clean-up discards a record without reading it first (it may be CLOSED already).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as FileSystem from "effect/FileSystem"
import * as Schema from "effect/Schema"
import { stat } from "node:fs/promises"
import * as Files from "../src/Files.ts"
import type * as files from "../src/generated/files.ts"
import { IconikClient } from "../src/IconikClient.ts"
import * as Retry from "../src/Retry.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Jobs from "../src/Jobs.ts"
import type { StorageClient } from "../src/storage/StorageClient.ts"
import * as Checkpoint from "./Checkpoint.ts"
import type { LocalFile } from "./LocalFile.ts"
import {
  discardUpload,
  isResumable,
  transfer,
  type TransferError,
  type TransferOptions,
  type TransferResult,
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

/**
 * Failures after which Iconik may have acted on the request although its answer did not arrive whole: a dropped
 * connection, a 2xx cut short (it does not decode), a 5xx. (A 429 is refused before anything happens.)
 */
export const mayHaveActed = (error: { readonly _tag: string }): boolean =>
  error._tag === "IconikServerError" || error._tag === "IconikTransportError" || error._tag === "IconikDecodeError"

/** Failures a request that is safe to repeat (a read, the CLOSE) is sent again after, at the step level. */
const worthRepeating = (error: { readonly _tag: string }): boolean => isTransientIconik(error) || mayHaveActed(error)

/** Step retries for reads (GETs are safe to repeat; a 2xx cut short does not decode, and the client does not retry that). */
export const readRetry: Workflow.RetryPolicy<{ readonly _tag: string }> = {
  times: 3,
  baseDelay: "200 millis",
  while: worthRepeating
}

/** PATCH the record's status. */
export const setStatus = (record: RecordRef, status: "CLOSED" | "FAILED") =>
  record.kind === "proxy"
    ? Effect.asVoid(Files.patchProxy(record.assetId, record.id, { status }))
    : Effect.asVoid(Files.patchFile(record.assetId, record.id, { ...record.body, status }))

/** The record's status as Iconik has it now (a GET, retried on transient failures); `undefined` once it is gone. */
export const readStatus = (record: RecordRef): Effect.Effect<string | undefined, IconikError, IconikClient> =>
  (record.kind === "proxy"
    ? Effect.map(Files.getProxy(record.assetId, record.id), (found) => found.status ?? undefined)
    : Effect.map(Files.getFile(record.assetId, record.id), (found) => found.status ?? undefined)).pipe(
    Effect.catchTag("IconikNotFound", () => Effect.succeed(undefined)),
    (read) => Workflow.step(`read ${record.kind}`, read, { retry: readRetry })
  )

/**
 * PATCHes the record CLOSED. The bytes are stored by now, so a failed PATCH never gives up the upload: when its
 * answer is lost (reset, truncated 200, 5xx), the record is read back and CLOSED counts as done; otherwise the
 * PATCH, which is safe to repeat, is sent again.
 */
export const closeRecord = (record: RecordRef): Effect.Effect<void, IconikError, IconikClient> =>
  Workflow.step(
    `close ${record.kind}`,
    setStatus(record, "CLOSED").pipe(
      Effect.catch((error) =>
        !mayHaveActed(error) ? Effect.fail(error) : readStatus(record).pipe(
          Effect.flatMap((status) => (status === "CLOSED" ? Effect.void : Effect.fail(error))),
          // The read failing too leaves the PATCH's own failure to retry.
          Effect.catch(() => Effect.fail(error))
        )
      )
    ),
    { retry: { times: 4, baseDelay: "500 millis", while: worthRepeating } }
  )

const deleteRecord = (record: RecordRef) =>
  record.kind === "proxy" ? Files.deleteProxy(record.assetId, record.id) : Files.deleteFile(record.assetId, record.id)

/**
 * Marks the record FAILED or deletes it; logged, not raised: the upload's own failure is what the caller sees. The
 * record is read first: one that is CLOSED already (a CLOSE whose answer was lost) holds stored bytes and is kept.
 */
export const abandon = (record: RecordRef, onFailure: OnFailure): Effect.Effect<void, never, IconikClient> =>
  onFailure === "keep" ? Effect.void : Effect.gen(function*() {
    const status = yield* Effect.option(readStatus(record))
    if (Option.isSome(status) && status.value === "CLOSED") {
      return yield* Effect.logWarning(`${record.kind} ${record.id} is CLOSED: its stored bytes are kept`)
    }
    if (Option.isSome(status) && status.value === undefined) return // gone already
    yield* Workflow.step(
      onFailure === "delete" ? `delete ${record.kind}` : `mark ${record.kind} failed`,
      onFailure === "delete" ? deleteRecord(record) : setStatus(record, "FAILED"),
      { retry: { times: 2, baseDelay: "200 millis", while: isTransientIconik } }
    )
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning(`could not clean up ${record.kind} ${record.id}`, Cause.pretty(cause)))
  )

// ---------------------------------------------------------------------------------------------------------------
// Creates whose answer may be lost

/**
 * Sends a create (POST) and, when its answer is lost after Iconik may have acted ({@link mayHaveActed}), runs
 * `reconcile` before anything else: it looks for the record that create made, by what the workflow set on it, with a
 * direct read (the per-asset listings, not the search index, which lags behind writes). What it finds is adopted
 * (`Some`) or cleaned up (`None`: e.g. an OPEN file record whose upload URLs were in the lost answer is deleted); on
 * `None` the create is sent again. So a lost answer leaves neither a duplicate nor an orphan.
 */
export const createReconciled = <A, E extends { readonly _tag: string }, R, R2>(
  name: string,
  create: Effect.Effect<A, E, R>,
  reconcile: Effect.Effect<Option.Option<A>, { readonly _tag: string }, R2>,
  options?: { readonly times?: number | undefined }
): Effect.Effect<A, E, R | R2> => {
  // One attempt: the create, then (when its answer was lost) the reconciliation. Only a reconciliation that found
  // nothing made leaves a failure worth sending the create again; the schedule decides when, and how often.
  const attempt: Effect.Effect<A, LostCreate<E>, R | R2> = create.pipe(
    Effect.catch((error: E) =>
      !mayHaveActed(error)
        ? Effect.fail(new LostCreate({ error, nothingMade: false }))
        : Workflow.step(`reconcile ${name}`, reconcile, { retry: readRetry }).pipe(
          // A reconciliation that cannot read leaves the create's own failure: nothing is sent twice blindly.
          Effect.catch(() => Effect.fail(new LostCreate({ error, nothingMade: false }))),
          Effect.flatMap((found) =>
            Option.isSome(found)
              ? Effect.as(Effect.logInfo(`${name}: the answer was lost; found what the create made`), found.value)
              : Effect.andThen(
                Effect.logInfo(`${name}: the answer was lost and nothing was made; sending it again`),
                Effect.fail(new LostCreate({ error, nothingMade: true }))
              )
          )
        )
    )
  )
  const sendAndReconcile = Retry.retry(attempt, { ...reconcileRetry, times: options?.times ?? reconcileRetry.times }, {
    retryable: (lost) => lost.nothingMade
  }).pipe(Effect.mapError((lost) => lost.error))
  // An earlier attempt of this step was cut off (its runner died; a durable engine runs it again): it may have made
  // the record, so it is looked for before the create is sent.
  const afterCutOff = Workflow.step(`reconcile ${name}`, reconcile, { retry: readRetry }).pipe(
    Effect.option,
    Effect.flatMap((found) =>
      Option.isSome(found) && Option.isSome(found.value)
        ? Effect.as(Effect.logInfo(`${name}: found what an interrupted attempt made`), found.value.value)
        : sendAndReconcile
    )
  )
  return Workflow.step(
    name,
    Effect.flatMap(Workflow.earlierAttempt, (earlier) => Option.isSome(earlier) ? afterCutOff : sendAndReconcile)
  )
}

/** A create's failure, and whether a reconciliation showed that nothing was made (so it may be sent again). */
class LostCreate<E> {
  readonly error: E
  readonly nothingMade: boolean
  constructor(fields: { readonly error: E; readonly nothingMade: boolean }) {
    this.error = fields.error
    this.nothingMade = fields.nothingMade
  }
}

/** Sends of a create after a reconciliation found nothing made. */
const reconcileRetry: Retry.RetryPolicy = { times: 3, baseDelay: "200 millis", maxDelay: "5 seconds" }

// ---------------------------------------------------------------------------------------------------------------
// The local file must stay as it was checksummed

/** The local file changed between its snapshot (before its checksum and upload) and the CLOSE: its bytes are not trusted. */
export class FileChanged extends Schema.TaggedError<FileChanged>()("FileChanged", {
  path: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `${this.path} changed during the upload (${this.detail}); the record was not closed`
  }
}

/**
 * What identifies a file's content without reading it again: size, modification and status-change times (ns) and
 * inode. Rewriting the bytes moves the change time even when the size stays and the modification time is put back.
 */
export interface FileSnapshot {
  readonly path: string
  readonly size: bigint
  readonly mtimeNs: bigint
  readonly ctimeNs: bigint
  readonly ino: bigint
}

/** Snapshots the file; take it before the checksum, so a change while hashing is caught too. */
export const takeSnapshot = (path: string): Effect.Effect<FileSnapshot, FileChanged> =>
  Effect.tryPromise({
    try: () => stat(path, { bigint: true }),
    catch: (error) => new FileChanged({ path, detail: `cannot stat it: ${(error as Error).message}` })
  }).pipe(
    Effect.map((info): FileSnapshot => ({ path, size: info.size, mtimeNs: info.mtimeNs, ctimeNs: info.ctimeNs, ino: info.ino }))
  )

/** Fails with {@link FileChanged} when the file no longer matches `snapshot`. */
export const ensureSnapshot = (snapshot: FileSnapshot): Effect.Effect<void, FileChanged> =>
  Effect.flatMap(takeSnapshot(snapshot.path), (now) => {
    const changed = now.size !== snapshot.size
      ? `size ${snapshot.size} → ${now.size}`
      : now.ino !== snapshot.ino
      ? "replaced by another file"
      : now.mtimeNs !== snapshot.mtimeNs
      ? "modified"
      : now.ctimeNs !== snapshot.ctimeNs
      ? "rewritten (its status-change time moved)"
      : undefined
    return changed === undefined ? Effect.void : Effect.fail(new FileChanged({ path: snapshot.path, detail: changed }))
  })

export interface FillOptions extends Omit<TransferOptions, "checkpoint" | "resume" | "onFailure" | "item"> {
  readonly onFailure?: OnFailure | undefined
  /** Write a checkpoint beside the media for multipart uploads. Default true. */
  readonly checkpoint?: boolean | undefined
  readonly workflow: string
  readonly item?: string | undefined
  /** Extra header fields for the checkpoint (format / file set ids of an original). */
  readonly checkpointExtra?: Pick<Checkpoint.CheckpointHeader, "formatId" | "fileSetId"> | undefined
  /** The file as it was checksummed: checked again after the upload, before the CLOSE. */
  readonly snapshot?: FileSnapshot | undefined
  /**
   * The caller started this checkpoint already (as soon as its asset existed): the full header is appended to it
   * rather than starting it over.
   */
  readonly checkpointStarted?: boolean | undefined
  /**
   * On failure, leave the checkpoint for the caller to remove once its own clean-up is done (an ingest deletes the
   * asset it made first): a crash in between, or a clean-up that fails, leaves it for the rerun to finish.
   */
  readonly callerRemovesCheckpoint?: boolean | undefined
}

/** The name of the step that moves a record's bytes to its storage (a durable engine bounds these steps). */
export const transferStep = (kind: RecordRef["kind"]): string => `upload ${kind}`

export interface Resumable {
  readonly checkpoint: Checkpoint.Checkpoint
  /** The record is CLOSED already (the crash came after its CLOSE acted): nothing is left to do but report it. */
  readonly closed?: boolean | undefined
}

/** What a resumed upload that had completed before the crash reports: nothing sent by this run. */
const storedResult = (method: string, file: LocalFile, upload: Checkpoint.CheckpointUpload | undefined): TransferResult => ({
  method: method.toUpperCase(),
  strategy: upload?.sessionUrl !== undefined
    ? "resumable"
    : upload?.uploadId === undefined
    ? "single"
    : upload.provider === "B2"
    ? "large-file"
    : "multipart",
  size: file.size,
  partsUploaded: 0,
  resumed: true
})

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
): Effect.Effect<
  TransferResult,
  TransferError | FileChanged,
  StorageClient | IconikClient | FileSystem.FileSystem
> =>
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
    const started = resume === undefined && options.checkpointStarted === true
    const checkpoint = options.checkpoint === false
      ? Checkpoint.disabled
      : yield* Checkpoint.open(file.path, header, { fresh: resume === undefined && !started })
    if (started) yield* checkpoint.header(header)
    const durable = yield* Workflow.isDurable
    // On a durable engine the upload step itself finds what an interrupted attempt of it stored (the engine runs it
    // again, on this runner or another): its storage upload and parts, from the checkpoint store. An upload that
    // cannot be continued (a B2 large file) is discarded before starting again, or it stays unfinished on the storage.
    const stillToDo = durable && resume === undefined
      ? Effect.flatMap(Checkpoint.load(file.path, options.workflow, client.baseUrl), (found) => {
        const mine = Option.filter(found, (c) => c.header.assetId === record.assetId && c.header.recordId === record.id)
        if (Option.isNone(mine)) return Effect.succeed(undefined)
        const { stored, upload } = mine.value
        if (isResumable(upload) || stored) return Effect.succeed<Resumable | undefined>({ checkpoint: mine.value })
        return upload === undefined
          ? Effect.succeed(undefined)
          : Effect.as(Effect.ignore(discardUpload({ kind: record.kind, assetId: record.assetId, recordId: record.id }, upload)), undefined)
      })
      : Effect.succeed(resume)
    const transferOrStored = Effect.flatMap(stillToDo, (resume) => transferFrom(resume))
    const transferFrom = (resume: Resumable | undefined) => {
    const upload = resume?.checkpoint.upload
    // A crashed run whose upload had completed: the storage holds the file, only the CLOSE is left (the record was
    // found OPEN by `takeOver`).
    return resume?.checkpoint.stored === true
      ? Effect.as(
        Effect.logInfo(`${record.kind} ${record.id}: the storage holds the file already; closing it`),
        storedResult(header.storageMethod, file, upload)
      )
      : transfer({
          kind: record.kind,
          assetId: record.assetId,
          recordId: record.id,
          fields: resume === undefined ? fields : { storage_method: header.storageMethod }
        }, file, {
          ...options,
          // On a durable engine an interruption is a runner stopping: the storage upload is kept for the run to
          // continue elsewhere; a failure discards it below, from the checkpoint store.
          onFailure: onFailure === "keep" || durable ? "keep" : "abort",
          checkpoint,
          item: options.item ?? file.path,
          resume: upload === undefined ? undefined : { upload, parts: resume!.checkpoint.parts }
        })
    }
    // The storage upload a durable run kept (see `onFailure` above), discarded once the run has failed.
    const discardStoredUpload = Effect.flatMap(Checkpoint.load(file.path, options.workflow, client.baseUrl), (found) =>
      Option.isSome(found) && found.value.upload !== undefined && found.value.header.recordId === record.id
        ? Effect.ignore(discardUpload({ kind: record.kind, assetId: record.assetId, recordId: record.id }, found.value.upload))
        : Effect.void)
    const run = Effect.gen(function*() {
      const result = yield* Workflow.step(transferStep(record.kind), transferOrStored)
      // What was stored must be what was checksummed: a change since the snapshot fails before the CLOSE.
      if (options.snapshot !== undefined) yield* Workflow.step("check file unchanged", ensureSnapshot(options.snapshot))
      if (resume?.closed !== true) yield* closeRecord(record)
      return result
    })
    return yield* run.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? checkpoint.remove
          : onFailure === "keep"
          ? Effect.void
          : Workflow.cleanUpAfter(
            exit,
            Effect.andThen(
              durable ? discardStoredUpload : Effect.void,
              Effect.andThen(abandon(record, onFailure), options.callerRemovesCheckpoint === true ? Effect.void : checkpoint.remove)
            )
          )
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
 * asset, if given), its record is still OPEN and its storage upload had started (or completed: only the CLOSE is
 * left), the answer is what to resume; when its upload completed and the record is CLOSED (the crash came between
 * the CLOSE and the checkpoint's removal), the answer is that record, `closed`: the run is done, not made again.
 * A checkpoint started before its record was made, or whose record is gone or ended unCLOSED (a clean-up cut off
 * between the record and its asset), goes to `discardAsset`.
 * Otherwise the checkpoint is stale: its OPEN record is marked FAILED, its S3 upload cleaned up, `discard` runs (e.g.
 * to delete a half-made asset) and the file removed, so the caller starts over without leaving anything behind.
 */
export const takeOver = <S extends RecordState>(options: {
  readonly workflow: string
  readonly file: LocalFile
  readonly assetId?: string | undefined
  readonly lookup: (header: Checkpoint.CheckpointHeader) => Effect.Effect<S, IconikError, IconikClient>
  /**
   * Whether the record found is this run's to take over. One that is not (another ingest of the same bytes, reached
   * through a link, shares the checkpoint file) is left alone: not resumed, adopted or cleaned up.
   */
  readonly owns?: ((state: S) => boolean) | undefined
  readonly discard?: ((state: S) => Effect.Effect<void, never, IconikClient>) | undefined
  /**
   * The checkpoint's asset, made for its upload, which holds none: the checkpoint was started before its record was
   * made (a crash right after the asset create), or its record is gone or FAILED (a clean-up cut off before it
   * deleted the asset). Clean it up.
   */
  readonly discardAsset?: ((header: Checkpoint.CheckpointHeader) => Effect.Effect<void, never, IconikClient>) | undefined
}): Effect.Effect<Option.Option<Resumable & S>, IconikError, IconikClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const client = yield* IconikClient
    const found = yield* Checkpoint.load(options.file.path, options.workflow, client.baseUrl)
    if (Option.isNone(found)) return Option.none()
    const checkpoint = found.value
    const { header, upload } = checkpoint
    if (header.recordId === "") {
      yield* Workflow.step(
        "discard unfilled checkpoint",
        Effect.andThen(
          options.discardAsset === undefined ? Effect.void : options.discardAsset(header),
          Checkpoint.remove(options.file.path, options.workflow)
        )
      )
      return Option.none()
    }
    const state = yield* options.lookup(header).pipe(
      Effect.map(Option.some),
      Effect.catchTag("IconikNotFound", () => Effect.succeed(Option.none()))
    )
    if (Option.isSome(state) && options.owns !== undefined && !options.owns(state.value)) return Option.none()
    if (Option.isSome(state) && Checkpoint.describes(checkpoint, options.file, options.assetId)) {
      if (state.value.status === "OPEN" && (isResumable(upload) || checkpoint.stored)) {
        return Option.some({ checkpoint, ...state.value })
      }
      if (state.value.status === "CLOSED" && checkpoint.stored) return Option.some({ checkpoint, closed: true, ...state.value })
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
        } else if (options.discardAsset !== undefined && (Option.isNone(state) || state.value.status !== "CLOSED")) {
          // A CLOSED record of other bytes keeps its asset; one gone or FAILED left its asset holding nothing.
          yield* options.discardAsset(header)
        }
        yield* Checkpoint.remove(options.file.path, options.workflow)
      })
    )
    return Option.none()
  })
