/**
 * The emulator's in-memory state. Records are kept in the shape Iconik answers with (plain JSON documents), so tests
 * can read them directly (`emulator.state.assets.get(id)?.title`). Plain mutable maps: every change happens inside
 * one synchronous step of a request's fiber, so concurrent requests never see half an update.
 */
import type * as Effect from "effect/Effect"
import { IdSource } from "./Ids.ts"
import type { ScrollSnapshot } from "./Paging.ts"
import { SearchIndex } from "./SearchIndex.ts"

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

const maxRecordedRequests = 20_000

export const metadataKey = (objectType: string, objectId: string) => `${objectType}/${objectId}`

export class EmulatorState {
  readonly ids: IdSource
  readonly users = new Map<string, EmulatorUser>()
  readonly systemDomainId: string

  readonly assets = new Map<string, AssetDoc>()
  readonly segments = new Map<string, SegmentDoc>()
  readonly history = new Map<string, HistoryDoc>()
  readonly collections = new Map<string, CollectionDoc>()
  /** Collection id → its contents, in the order they were added. */
  readonly contents = new Map<string, Array<ContentEntry>>()

  readonly storages = new Map<string, StorageDoc>()
  readonly formats = new Map<string, FormatDoc>()
  readonly fileSets = new Map<string, FileSetDoc>()
  readonly files = new Map<string, UploadDoc>()
  readonly proxies = new Map<string, UploadDoc>()
  readonly keyframes = new Map<string, UploadDoc>()
  /** Record id → where its bytes go. */
  readonly locations = new Map<string, ObjectLocation>()
  /**
   * Record id → the upload fields its create answer carried (`upload_url`, `multipart_upload_url`, …): a GET of the
   * record answers the same ones until it is CLOSED.
   */
  readonly uploadFields = new Map<string, Doc>()

  readonly jobs = new Map<string, JobDoc>()
  readonly jobRuntimes = new Map<string, JobRuntime>()

  readonly fields = new Map<string, FieldDoc>()
  readonly views = new Map<string, ViewDoc>()
  readonly values = new Map<string, ObjectValues>()

  /** Records of the operations the generic store serves: concrete collection path → id → record. */
  readonly generic = new Map<string, Map<string, Doc>>()

  /** Writes not yet visible to index-backed lists and search (the index delay). */
  readonly index = new SearchIndex()
  readonly scrolls = new Map<string, ScrollSnapshot>()
  readonly requests: Array<RecordedRequest> = []

  constructor(seed: string) {
    this.ids = new IdSource(seed)
    this.systemDomainId = this.ids.uuid(0)
  }

  uploads(kind: UploadKind): Map<string, UploadDoc> {
    return kind === "file" ? this.files : kind === "proxy" ? this.proxies : this.keyframes
  }

  /** Collections that list the object among their contents. */
  collectionsContaining(objectId: string): Array<string> {
    const out: Array<string> = []
    for (const [collectionId, entries] of this.contents) {
      const collection = this.collections.get(collectionId)
      if (collection === undefined || collection.status === "DELETED") continue
      if (entries.some((entry) => entry.object_id === objectId)) out.push(collectionId)
    }
    return out
  }

  /** Every collection above the object, nearest first, without repeats. */
  ancestorsOf(objectId: string): Array<string> {
    const seen = new Set<string>()
    const queue = this.collectionsContaining(objectId)
    const out: Array<string> = []
    while (queue.length > 0) {
      const id = queue.shift()!
      if (seen.has(id)) continue
      seen.add(id)
      out.push(id)
      queue.push(...this.collectionsContaining(id))
    }
    return out
  }

  recordRequest(request: RecordedRequest): void {
    this.requests.push(request)
    // A long-running server keeps the most recent requests only.
    if (this.requests.length > maxRecordedRequests) this.requests.splice(0, this.requests.length - maxRecordedRequests / 2)
  }
}
