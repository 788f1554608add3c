/**
 * The emulator's embedded object store: S3, GCS, Azure Blob and B2 upload protocols behind signed, expiring URLs,
 * with state inspection and deterministic fault injection. See `ObjectStore` for the service and `Server` for
 * serving it over HTTP or in-process.
 */
export * as Faults from "./Faults.ts"
export {
  type Fault,
  type FaultConfig,
  type FaultRule,
  type FailFault,
  type DelayFault,
  type ResetFault
} from "./Faults.ts"
export {
  type Chunks,
  type ObjectStat,
  type Operation,
  type PartStat,
  type PendingUpload,
  type Provider,
  providers,
  type RequestRecord
} from "./Model.ts"
export {
  type AzureSignOptions,
  type B2StartOptions,
  type DownloadOptions,
  layer,
  make,
  ObjectStore,
  type ObjectStoreOptions,
  type ObjectStoreShape,
  type SignOptions
} from "./ObjectStore.ts"
export { StorageConnectionReset } from "./Protocol.ts"
export { type B2CancelledFile, B2Error, type B2FileInfo, type B2LargeFileStart } from "./B2.ts"
export { inProcessClient, layerServer, serve, type ServerOptions } from "./Server.ts"
