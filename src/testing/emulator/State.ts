/**
 * The emulator's in-memory state. Records are kept in the shape Iconik answers with (plain JSON documents), so tests
 * can read them directly (`emulator.state.assets.get(id)?.title`). Plain mutable maps: every change happens inside
 * one synchronous step of a request's fiber, so concurrent requests never see half an update.
 */
import { IdSource } from "./Ids.ts"
import type {
  AssetDoc,
  CollectionDoc,
  ContentEntry,
  Doc,
  EmulatorUser,
  FieldDoc,
  FileSetDoc,
  FormatDoc,
  HistoryDoc,
  JobDoc,
  JobRuntime,
  ObjectLocation,
  ObjectValues,
  RecordedRequest,
  ScrollSnapshot,
  SegmentDoc,
  StorageDoc,
  UploadDoc,
  UploadKind,
  ViewDoc
} from "./Records.ts"
import { SearchIndex } from "./SearchIndex.ts"

export * from "./Records.ts"

const maxRecordedRequests = 20_000

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
