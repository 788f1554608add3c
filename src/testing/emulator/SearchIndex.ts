/**
 * A model of Iconik's search index lag. Iconik answers its top-level lists and search from Elasticsearch, which is
 * refreshed some time after a write; direct GETs by id read the database. With an index delay, every write to an
 * indexed record becomes visible to index-backed lists `indexDelay` after it was made: until then they see the
 * record as it was before (a new record is absent, a changed one keeps its old fields, a deleted one is still
 * listed). How long real Iconik lags is not known; the delay is a knob, not a measurement.
 *
 * Only pending writes are kept: once every write to a record is visible, lists read the live record again.
 */
import { type Doc, metadataKey } from "./Records.ts"

/**
 * The record families index-backed lists read. `metadata` holds an object's metadata values (keyed
 * `<object_type>/<object_id>`), which search documents carry; `contents:<collection id>` a collection's memberships.
 */
export type IndexKind =
  | "assets"
  | "collections"
  | "segments"
  | "history"
  | "jobs"
  | "files"
  | "metadata"
  | `contents:${string}`

interface Pending {
  /** When this write becomes visible. */
  readonly at: number
  /** The record after the write (undefined: removed). */
  readonly doc: Doc | undefined
}

interface Entry {
  /** What lists see until the first pending write is visible (undefined: absent). */
  base: Doc | undefined
  readonly pending: Array<Pending>
}

const copy = (doc: Doc | undefined): Doc | undefined => (doc === undefined ? undefined : structuredClone(doc))

export class SearchIndex {
  private readonly kinds = new Map<IndexKind, Map<string, Entry>>()

  /**
   * Records a write of `id` made now and visible from `visibleAt`. `before` is the record as it was before the
   * write (undefined: it did not exist), `after` what it is now (undefined: removed). A write visible at once (no
   * delay, or `index_immediately=true`) makes lists read the live record again.
   */
  write(kind: IndexKind, id: string, before: Doc | undefined, after: Doc | undefined, visibleAt: number, now: number): void {
    let entries = this.kinds.get(kind)
    if (visibleAt <= now) {
      entries?.delete(id)
      return
    }
    if (entries === undefined) {
      entries = new Map()
      this.kinds.set(kind, entries)
    }
    let entry = entries.get(id)
    if (entry === undefined) {
      entry = { base: copy(before), pending: [] }
      entries.set(id, entry)
    }
    entry.pending.push({ at: visibleAt, doc: copy(after) })
  }

  /** The version of `id` lists see at `now`: the live record once every write to it is visible. */
  view<A extends Doc>(kind: IndexKind, id: string, live: A | undefined, now: number): A | undefined {
    const entries = this.kinds.get(kind)
    const entry = entries?.get(id)
    if (entry === undefined) return live
    while (entry.pending.length > 0 && entry.pending[0]!.at <= now) entry.base = entry.pending.shift()!.doc
    if (entry.pending.length === 0) {
      entries!.delete(id)
      return live
    }
    return entry.base as A | undefined
  }

  /**
   * Every record of `kind` as lists see it at `now`: the live records in their order, then records already removed
   * whose removal is not visible yet.
   */
  list<A extends Doc>(kind: IndexKind, live: ReadonlyMap<string, A>, now: number): Array<A> {
    const out: Array<A> = []
    for (const [id, record] of live) {
      const seen = this.view(kind, id, record, now)
      if (seen !== undefined) out.push(seen)
    }
    for (const id of [...(this.kinds.get(kind)?.keys() ?? [])]) {
      if (live.has(id)) continue
      const seen = this.view<A>(kind, id, undefined, now)
      if (seen !== undefined) out.push(seen)
    }
    return out
  }

}

/** The records a write route may touch, found by the path parameter that names them. */
const indexedByParam: ReadonlyArray<readonly [param: string, kind: RecordKind]> = [
  ["asset_id", "assets"],
  ["collection_id", "collections"],
  ["segment_id", "segments"],
  ["history_entity_id", "history"],
  ["job_id", "jobs"],
  ["file_id", "files"]
]

type RecordKind = "assets" | "collections" | "segments" | "history" | "jobs" | "files"

const recordKinds: ReadonlyArray<RecordKind> = ["assets", "collections", "segments", "history", "jobs", "files"]

/** What the index reads of the emulator's state: its own view, so that the index and the state do not import each other. */
export type IndexedState = { readonly [K in RecordKind]: ReadonlyMap<string, Doc> } & {
  readonly values: ReadonlyMap<string, unknown>
  readonly index: SearchIndex
}

const recordsOf = (state: IndexedState, kind: RecordKind): ReadonlyMap<string, Doc> => state[kind]

const stringsIn = (value: unknown): Array<string> =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []

/** Ids a request or reply body names: its `id`, and `ids` / `object_ids` lists (the delete queue, bulk deletes). */
const bodyIds = (body: unknown): Array<string> => {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return []
  const doc = body as Doc
  return [...(typeof doc.id === "string" ? [doc.id] : []), ...stringsIn(doc.ids), ...stringsIn(doc.object_ids)]
}

/**
 * Called before a write route runs: notes the indexed records it names (path parameters, ids in the body) as they
 * are. The returned function, given the successful reply's body, records every one of them that changed hands (and
 * the record the reply names, e.g. a created one) as a write visible from `visibleAt`.
 */
export const beginWrite = (
  state: IndexedState,
  params: Readonly<Record<string, string>>,
  body: unknown
): (replyBody: unknown, visibleAt: number, now: number) => void => {
  const named = new Set<string>(bodyIds(body))
  for (const [param] of indexedByParam) {
    const id = params[param]
    if (id !== undefined) named.add(id)
  }
  const before = new Map<string, Doc>()
  for (const id of named) {
    for (const kind of recordKinds) {
      const doc = recordsOf(state, kind).get(id)
      if (doc !== undefined) before.set(`${kind}/${id}`, structuredClone(doc))
    }
  }
  const objectType = params.object_type
  const objectId = params.object_id
  const valuesKey = objectType !== undefined && objectId !== undefined ? metadataKey(objectType, objectId) : undefined
  const valuesBefore = valuesKey === undefined ? undefined : state.values.get(valuesKey)
  const valuesSnapshot = valuesBefore === undefined ? undefined : structuredClone(valuesBefore)
  return (replyBody, visibleAt, now) => {
    for (const id of new Set([...named, ...bodyIds(replyBody)])) {
      for (const kind of recordKinds) {
        const after = recordsOf(state, kind).get(id)
        const key = `${kind}/${id}`
        if (after === undefined && !before.has(key)) continue
        state.index.write(kind, id, before.get(key), after, visibleAt, now)
      }
    }
    if (valuesKey !== undefined) {
      const after = state.values.get(valuesKey)
      if (after !== undefined || valuesSnapshot !== undefined) {
        state.index.write("metadata", valuesKey, valuesSnapshot as unknown as Doc | undefined, after as unknown as Doc | undefined, visibleAt, now)
      }
    }
  }
}
