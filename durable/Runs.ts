/**
 * Submitting durable workflows and following them: by execution id, from any process connected to the engine.
 *
 * - `submit*` hands the workflow to the engine and returns its execution id at once (the run goes on without the
 *   caller: `discard`); submitting the same input again returns the same id (it joins the first execution);
 * - `run*` submits and waits for the result (as the plain workflow returns it, failures with their `_tag`);
 * - {@link poll} / {@link join} read or await an execution's state; {@link resume} wakes a suspended one;
 *   {@link cancel} interrupts it (what it made so far is cleaned up as after a failure);
 * - listing runs, their state and pruning finished ones: `RunList.ts` (PostgreSQL).
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Schedule from "effect/Schedule"
import type { WorkflowEngine } from "effect/workflow"
import type { LocalFileError } from "../workflows/LocalFile.ts"
import * as Options from "../workflows/Options.ts"
import type { IngestFileOptions, IngestFileResult } from "../workflows/ingestFile.ts"
import type { IngestFolderReport } from "../workflows/ingestFolder.ts"
import type { MetadataImportReport } from "../workflows/metadataCsv.ts"
import type { UploadProxyOptions, UploadProxyResult } from "../workflows/uploadProxy.ts"
import { IngestFile, ingestFilePayload } from "./IngestFile.ts"
import { IngestFolder, type IngestFolderPayload } from "./IngestFolder.ts"
import { ImportMetadata, type ImportMetadataPayload } from "./MetadataCsv.ts"
import { restoreFailure, stopCancelledRuns } from "./Steps.ts"
import { UploadProxy, uploadProxyPayload } from "./UploadProxy.ts"

/** The durable workflows by name (an execution's workflow, as listed). */
export const byName = {
  [IngestFile._tag]: IngestFile,
  [IngestFolder._tag]: IngestFolder,
  [UploadProxy._tag]: UploadProxy,
  [ImportMetadata._tag]: ImportMetadata
} as const

export type WorkflowName = keyof typeof byName

/** Options of a durable single-file ingest: the plain ones, `wait` a boolean (the payload is stored as JSON). */
export type DurableIngestFileOptions = Omit<IngestFileOptions, "wait"> & { readonly wait?: boolean | undefined }

/** Submits a durable ingest of one file; its execution id. The file is checked (and its size and time read) first. */
export const submitIngestFile = (
  options: DurableIngestFileOptions
): Effect.Effect<string, LocalFileError | Options.InvalidOption, WorkflowEngine.WorkflowEngine | FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(Effect.andThen(Options.validateTransfer(options), ingestFilePayload(options)), (payload) => IngestFile.execute(payload, { discard: true }))

/** Runs a durable ingest of one file to its end (or joins the running one for the same file). */
export const runIngestFile = (
  options: DurableIngestFileOptions
): Effect.Effect<IngestFileResult, unknown, WorkflowEngine.WorkflowEngine | FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(ingestFilePayload(options), (payload) =>
    Effect.mapError(IngestFile.execute(payload), restoreFailure))

/** Options of a durable folder ingest (JSON only: no `include` or `title` functions). */
export type DurableIngestFolderOptions = IngestFolderPayload

/** Numeric options are checked before anything is submitted: a bad one fails here, not in the run. */
const folderPayload = (options: DurableIngestFolderOptions) =>
  Effect.andThen(
    Effect.all([
      Options.validateTransfer({ ...options, concurrency: options.partConcurrency }),
      Options.integer("concurrency", options.concurrency, Options.ranges.concurrency)
    ], { discard: true }),
    Path.Path.use((path) => Effect.succeed<IngestFolderPayload>({ ...options, folder: path.resolve(options.folder) }))
  )

/** Submits a durable ingest of a folder (one child execution per file); its execution id. */
export const submitIngestFolder = (
  options: DurableIngestFolderOptions
): Effect.Effect<string, Options.InvalidOption, WorkflowEngine.WorkflowEngine | Path.Path> =>
  Effect.flatMap(folderPayload(options), (payload) => IngestFolder.execute(payload, { discard: true }))

/** Runs a durable ingest of a folder to its end (or joins the running one); the plain workflow's report. */
export const runIngestFolder = (
  options: DurableIngestFolderOptions
): Effect.Effect<IngestFolderReport, unknown, WorkflowEngine.WorkflowEngine | Path.Path> =>
  Effect.flatMap(folderPayload(options), (payload) =>
    Effect.map(Effect.mapError(IngestFolder.execute(payload), restoreFailure), (report) => report as IngestFolderReport))

/** Options of a durable proxy upload: the plain ones, `wait` a boolean, no checkpoint switch (always kept). */
export type DurableUploadProxyOptions = Omit<UploadProxyOptions, "wait" | "checkpoint"> & {
  readonly wait?: boolean | undefined
}

/** Submits a durable proxy upload; its execution id. */
export const submitUploadProxy = (
  options: DurableUploadProxyOptions
): Effect.Effect<string, LocalFileError | Options.InvalidOption, WorkflowEngine.WorkflowEngine | FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(Effect.andThen(Options.validateTransfer(options), uploadProxyPayload(options)), (payload) => UploadProxy.execute(payload, { discard: true }))

/** Runs a durable proxy upload to its end (or joins the running one). */
export const runUploadProxy = (
  options: DurableUploadProxyOptions
): Effect.Effect<UploadProxyResult, unknown, WorkflowEngine.WorkflowEngine | FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(uploadProxyPayload(options), (payload) => Effect.mapError(UploadProxy.execute(payload), restoreFailure))

/** Submits a durable metadata CSV import; its execution id. */
export const submitImportMetadata = (options: ImportMetadataPayload): Effect.Effect<string, never, WorkflowEngine.WorkflowEngine> =>
  ImportMetadata.execute(options, { discard: true })

/** Runs a durable metadata CSV import to its end (or joins the running one); the plain workflow's report. */
export const runImportMetadata = (
  options: ImportMetadataPayload
): Effect.Effect<MetadataImportReport, unknown, WorkflowEngine.WorkflowEngine> =>
  Effect.map(Effect.mapError(ImportMetadata.execute(options), restoreFailure), (report) => report as MetadataImportReport)

/** Where an execution is. */
export type RunState =
  | { readonly _tag: "Unknown" }
  | { readonly _tag: "Running" }
  | { readonly _tag: "Suspended"; readonly reason?: string | undefined }
  | { readonly _tag: "Succeeded"; readonly result: unknown }
  | { readonly _tag: "Failed"; readonly error: unknown }

/**
 * The state of execution `executionId` of `workflow`. The memory engine answers `Unknown` for a run it has not
 * started; the cluster engine `Running` until it has a result.
 */
export const poll = (workflow: WorkflowName, executionId: string): Effect.Effect<RunState, never, WorkflowEngine.WorkflowEngine> =>
  Effect.map(byName[workflow].poll(executionId), (found): RunState => {
    if (Option.isNone(found)) return { _tag: "Running" }
    const result = found.value
    if (result._tag === "Suspended") {
      return { _tag: "Suspended", reason: result.cause === undefined ? undefined : String(result.cause) }
    }
    const exit = result.exit
    if (exit._tag === "Success") return { _tag: "Succeeded", result: exit.value }
    const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
    return {
      _tag: "Failed",
      error: failure !== undefined && failure._tag === "Fail" ? restoreFailure(failure.error) : exit.cause
    }
  })

/** Waits (polling every `every`, default 500 ms) until the execution has succeeded or failed; its last state. */
export const join = (
  workflow: WorkflowName,
  executionId: string,
  options?: { readonly every?: number | undefined }
): Effect.Effect<RunState, never, WorkflowEngine.WorkflowEngine> =>
  poll(workflow, executionId).pipe(
    Effect.repeat({
      schedule: Schedule.spaced(options?.every ?? 500),
      until: (state) => state._tag === "Succeeded" || state._tag === "Failed"
    })
  )

/** Wakes a suspended execution (e.g. one that stopped on a failure it was told to suspend on). */
export const resume = (workflow: WorkflowName, executionId: string): Effect.Effect<void, never, WorkflowEngine.WorkflowEngine> =>
  byName[workflow].resume(executionId)

/**
 * Cancels an execution: its step in flight is stopped (at once in this process, within a second on another runner),
 * then the engine ends it interrupted and runs the clean-up of what it made, as after a failure (the storage upload
 * aborted, the file record marked FAILED, the new asset deleted); a folder's run cancels its files' runs. A finished
 * (or unknown) execution is left as it is.
 */
export const cancel = (workflow: WorkflowName, executionId: string): Effect.Effect<void, never, WorkflowEngine.WorkflowEngine> =>
  Effect.andThen(byName[workflow].interrupt(executionId), stopCancelledRuns(executionId))
