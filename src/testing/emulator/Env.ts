/** What route handlers share besides the request: the state, the settled options, and the storages' byte stores. */
import type * as Effect from "effect/Effect"
import type { StorageBackend } from "./Storage.ts"
import type { EmulatorState, StorageDoc } from "./State.ts"

export interface EmulatorSettings {
  /** Writes show in index-backed lists and search this long after they were made (0 = at once). */
  readonly indexDelayMillis: number
  /** Emulator-driven jobs (keyframes, mediainfo, transcode) stay READY this long. */
  readonly jobStartMillis: number
  /** …then run this long (STARTED, with progress) before FINISHED. */
  readonly jobDurationMillis: number
  /** An aborted emulator-driven job stays ABORT_PENDING this long before ABORTED. */
  readonly jobAbortMillis: number
  /** Elasticsearch's result window: `page × per_page` beyond it answers 400. */
  readonly maxResultWindow: number
}

export interface Env {
  readonly state: EmulatorState
  readonly settings: EmulatorSettings
  /** The byte store behind a storage. */
  readonly backendFor: (storage: StorageDoc) => StorageBackend
  /** Creates the bucket a new storage writes to. */
  readonly ensureBucket: (storage: StorageDoc) => Effect.Effect<void>
}
