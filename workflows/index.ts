/**
 * `effect-iconik/workflows`: Iconik's tutorial procedures as declarative pipelines of named steps, each a plain
 * Effect with typed errors, spans per step, declared retries, bounded concurrency, progress events and clean-up that
 * never leaves an OPEN record behind.
 *
 * - {@link uploadProxy}: proxy record → upload (S3 multipart / single, GCS, Azure, B2) → CLOSED → keyframes job.
 * - {@link ingestFile}: asset → ORIGINAL format → file set → file → upload → CLOSED → transcode job.
 * - {@link ingestFolder}: many files, one global bound on uploads, idempotent reruns, a report.
 * - {@link withJob}: any Effect as an Iconik CUSTOM job (FINISHED / FAILED / ABORTED).
 * - {@link exportMetadata} / {@link importMetadata}: metadata views as CSV and back, with a dry-run diff.
 * - {@link searchAll}: every search hit as a Stream, past the 10 000-hit window.
 * - `Options`: the checks numeric options pass before the first request (`InvalidOption`);
 * - `Progress`: the events front ends render; `Workflow`: the step vocabulary; `Checkpoint`: resume after a crash.
 */
export * as Checkpoint from "./Checkpoint.ts"
export * as Csv from "./Csv.ts"
export { type FieldChange, type ExportMetadataOptions, exportMetadata, exportMetadataCsv, type ImportMetadataOptions, importMetadata, MetadataImportError, type MetadataImportPlan, type MetadataImportReport, planMetadataImport } from "./metadataCsv.ts"
export { FileChanged, type OnFailure } from "./fillRecord.ts"
export { ingestFile, type IngestFileOptions, type IngestFileResult, mediaTypeOf } from "./ingestFile.ts"
export { type FailedItem, ingestFolder, type IngestFolderOptions, type IngestFolderReport, type IngestedItem, type SkippedItem } from "./ingestFolder.ts"
export * as LocalFile from "./LocalFile.ts"
export * as Options from "./Options.ts"
export { InvalidOption } from "./Options.ts"
export { LocalFileError } from "./LocalFile.ts"
export * as Progress from "./Progress.ts"
export { searchAll, type SearchAllOptions } from "./searchAll.ts"
export { limitTransfers, type TransferResult, UnsupportedStorage } from "./transfer.ts"
export { ProxyAlreadyUploaded, uploadProxy, type UploadProxyOptions, type UploadProxyResult } from "./uploadProxy.ts"
export { type JobHandle, withJob, type WithJobOptions } from "./withJob.ts"
export * as Workflow from "./Workflow.ts"
export { type DownloadAllOptions, type DownloadAllReport, downloadAll, type DownloadedItem, type DownloadError, downloadFile, downloadKeyframes, type DownloadKind, type DownloadOptions, downloadProxy, type DownloadSource, DownloadUnavailable, type FailedDownload } from "./download.ts"
