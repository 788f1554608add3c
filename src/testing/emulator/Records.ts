/**
 * The emulator's records: plain JSON documents in the shape Iconik answers with, and the bookkeeping types around them.
 * A module that imports nothing of the emulator, so every other module can name a record without a cycle.
 */
import type * as Effect from "effect/Effect"

/** A JSON object as Iconik sends it. */
export type Doc = Record<string, unknown>

export interface EmulatorUser {
  readonly id: string
  readonly email: string
  readonly first_name: string
  readonly last_name: string
  /** The App-ID the token belongs to. */
  readonly appId: string
  readonly token: string
  /** Admins pass every role check and may write metadata without a view. */
  readonly admin: boolean
  /** Iconik role names (`can_read_assets`, …) the user holds besides admin. */
  readonly roles: ReadonlyArray<string>
}

export interface VersionDoc extends Doc {
  id: string
  version_number: number
  status: string
}

export interface AssetDoc extends Doc {
  id: string
  title: string
  status: string
  type: string
  versions: Array<VersionDoc>
}

export interface CollectionDoc extends Doc {
  id: string
  title: string
  status: string
  parent_id?: string
}

export interface ContentEntry {
  readonly object_id: string
  readonly object_type: "assets" | "collections"
  readonly date_created: string
}

export interface SegmentDoc extends Doc {
  id: string
  asset_id: string
  segment_type: string
  status: string
}

export interface HistoryDoc extends Doc {
  id: string
  asset_id: string
  operation_type: string
}

export interface StorageDoc extends Doc {
  id: string
  name: string
  method: string
  purpose: string
  status: string
  default: boolean
  settings: Doc
}

export interface FormatDoc extends Doc {
  id: string
  asset_id: string
  name: string
  status: string
  components: Array<Doc>
}

export interface FileSetDoc extends Doc {
  id: string
  asset_id: string
  format_id: string
  name: string
  base_dir: string
  status: string
}

/** Where a file, proxy or keyframe's bytes live in the object store (or in the external S3). */
export interface ObjectLocation {
  readonly storageId: string
  readonly method: string
  readonly bucket: string
  readonly key: string
}

/** A file, proxy or keyframe: the three records with an upload. */
export type UploadKind = "file" | "proxy" | "keyframe"

export interface UploadDoc extends Doc {
  id: string
  asset_id: string
  status: string
  storage_id: string
}

export interface JobDoc extends Doc {
  id: string
  title: string
  type: string
  status: string
  steps: Array<Doc>
}

/**
 * How an emulator-driven job moves on effect's Clock. Manual jobs (created through the API) have none and change only
 * when PATCHed.
 */
export interface JobRuntime {
  /** When the job leaves READY. */
  startAt: number
  /** Working time it needs once STARTED. */
  readonly durationMillis: number
  /** Working time already done before the current run (pauses split runs). */
  workedMillis: number
  /** When the current STARTED run began. */
  runningSince: number | undefined
  /** The status to return to on RESUME. */
  pausedFrom: string | undefined
  /** When an ABORT_PENDING job becomes ABORTED. */
  abortAt: number | undefined
  /** Runs once when the job finishes (e.g. a keyframes job creates keyframes). */
  readonly onFinish: ((now: number) => Effect.Effect<void>) | undefined
}

export interface FieldDoc extends Doc {
  name: string
  label: string
  field_type: string
}

export interface ViewDoc extends Doc {
  id: string
  name: string
  view_fields: Array<Doc>
}

export interface FieldValues {
  field_values: Array<{ value: unknown }>
  date_modified: string
}

/** Metadata values of one object: field name → values. */
export interface ObjectValues {
  readonly object_type: string
  readonly object_id: string
  readonly date_created: string
  date_modified: string
  readonly fields: Map<string, FieldValues>
}

/** One request as the emulator saw it (Iconik calls only; storage requests are in the object store's log). */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  /** The matched spec template, if any. */
  readonly template: string | undefined
  readonly appId: string | undefined
  readonly status: number
  /**
   * The injected fault that shaped the answer, if any: `Status`, `Html`, `Latency`, `ResetBeforeHandling`,
   * `LostAnswer` (reset after handling) or `TruncatedBody`.
   */
  readonly fault: string | undefined
  /** Whether the route ran (false when a fault, the rate limit, authentication or routing answered first). */
  readonly handled: boolean
  readonly at: number
  /** The answer's body, when the emulator records responses. */
  readonly responseBody?: string | undefined
}

export const metadataKey = (objectType: string, objectId: string) => `${objectType}/${objectId}`

/** A scroll's snapshot (the legacy scroll API, `Paging.scrollOf`). */
export interface ScrollSnapshot {
  readonly items: ReadonlyArray<unknown>
  offset: number
}
