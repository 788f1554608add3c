/**
 * Byte movers for Iconik's storage upload URLs: S3 multipart and single PUT, GCS resumable, Azure block blob and B2,
 * all on the {@link StorageClient} (no Iconik credentials or trace headers, redacted URLs, exact Content-Length,
 * bounded memory). Iconik calls (part URLs, complete/abort URLs, clean-up, B2 start/finish/cancel) are injected by the
 * caller, so this floor depends on nothing but the core. Build the client with `Storage.layer()`.
 */
export * from "./AzureBlockBlob.ts"
export * from "./B2.ts"
export * from "./Download.ts"
export * from "./GcsResumable.ts"
export { cleanupOnFailure, MiB, type Part, type PartPlan, type PartRules, planParts } from "./Parts.ts"
export * from "./Progress.ts"
export * from "./S3Multipart.ts"
export * from "./S3Single.ts"
// The client's layers and `make` are module functions, reached as `Storage.layer()` like `Iconik.layer(...)`; the
// other names stay flat, as they always were.
export * as Storage from "./StorageClient.ts"
export {
  defaultDeadline,
  defaultMaxResponseBytes,
  defaultRetryPolicy,
  type FileInfo,
  type RetryPolicy,
  retryPolicy,
  sleepBeforeRetry,
  type StorageBody,
  StorageClient,
  type StorageClientOptions,
  type StorageClientShape,
  type StorageMethod,
  type StorageRequest,
  type StorageResponse
} from "./StorageClient.ts"
export * from "./StorageError.ts"
