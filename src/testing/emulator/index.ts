/**
 * The local, stateful Iconik emulator. See {@link IconikEmulator} for the service and its layers, `Faults` for fault
 * rules, and `docs/emulator.md` for what is emulated.
 */
export { EmulatorConnectionReset, type RateLimitSettings } from "./App.ts"
export {
  type ClientOptions,
  defaultStorages,
  IconikEmulator,
  type IconikEmulatorOptions,
  type IconikEmulatorShape,
  inProcessBaseUrl,
  type RateLimitOptions,
  routes,
  type ServerEmulatorOptions,
  type UploadMismatch,
  type UserOptions
} from "./Emulator.ts"
export * as Faults from "./Faults.ts"
export type { Fault, FaultRule } from "./Faults.ts"
export type { SeedStorage } from "./routes/Files.ts"
export type {
  AssetDoc,
  CollectionDoc,
  Doc,
  EmulatorState,
  EmulatorUser,
  JobDoc,
  RecordedRequest,
  StorageDoc,
  UploadDoc,
  UploadKind
} from "./State.ts"
export type { ExternalS3Options, StorageBackend } from "./Storage.ts"
