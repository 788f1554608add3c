/**
 * `POST /API/search/v1/search/` over assets, collections and segments, shaped like Iconik's Elasticsearch documents:
 * free-text `query` (terms, `field:value`, quoted phrases, `*` wildcards, `OR`, `-`/`NOT`), recursive `filter`
 * (`{name, value}`, `value_in`, `exists`, `missing`, `range`, AND / OR), `doc_types`, `sort`, `facets`,
 * `include_fields` / `exclude_fields`, `metadata_view_id`, paging with a 10 000-hit window and `search_after` (every hit
 * carries `_sort`, which ends with the id as a tie-breaker). Dates in hits are naive, as Iconik sends them.
 */
import * as Effect from "effect/Effect"
import { compareKeys, type SortTerm, sortKey, valuesAt } from "../Docs.ts"
import { parseDate, toNaive } from "../Ids.ts"
import { pageOf, readPage, scrollOf } from "../Paging.ts"
import { failure, notFound, ok, type Route, route, type RouteContext } from "../Route.ts"
import { type AssetDoc, type Doc, type EmulatorState, metadataKey, type ObjectValues } from "../State.ts"
import { indexOfLinear, markOccurrences, wildcardMatches } from "../Wildcard.ts"
import { presentCollectionElastic } from "./Collections.ts"
import { indexedRecords, indexedView, presentAssetElastic } from "./Common.ts"
import { metadataFrom, viewFieldNames } from "./Metadata.ts"

const defaultDocTypes = ["assets", "collections"]

/** Object dates as the index holds them: without the offset. */
const naiveDates = (doc: Doc): Doc => {
  const out: Doc = {}
  for (const [key, value] of Object.entries(doc)) {
    out[key] = typeof value === "string" && (key.startsWith("date_") || key.endsWith("_at")) ? toNaive(value) : value
  }
  return out
}

/** An object's metadata values as the index holds them. */
const indexedMetadata = (context: RouteContext, objectType: string, objectId: string, only: ReadonlySet<string> | undefined) => {
  const key = metadataKey(objectType, objectId)
  const live = context.state.values.get(key) as unknown as Doc | undefined
  return metadataFrom(indexedView(context, "metadata", key, live) as unknown as ObjectValues | undefined, only)
}

const assetDocument = (context: RouteContext, asset: AssetDoc, only: ReadonlySet<string> | undefined): Doc => {
  const state: EmulatorState = context.state
  const records = (map: Map<string, Doc>) => [...map.values()].filter((record) => record.asset_id === asset.id)
  const files = records(state.files)
  return naiveDates({
    ...presentAssetElastic(state, asset),
    versions: asset.versions.map((version) => naiveDates(version)),
    metadata: indexedMetadata(context, "assets", asset.id, only),
    files: files.map((file) => ({
      id: file.id,
      name: file.name,
      original_name: file.original_name,
      directory_path: file.directory_path,
      size: file.size,
      status: file.status,
      storage_id: file.storage_id,
      format_id: file.format_id,
      file_set_id: file.file_set_id
    })),
    file_names: files.map((file) => file.original_name),
    formats: records(state.formats).map((format) => ({ id: format.id, name: format.name, status: format.status })),
    proxies: records(state.proxies).map((proxy) => ({ id: proxy.id, name: proxy.name, status: proxy.status, storage_id: proxy.storage_id })),
    keyframes: records(state.keyframes).map((keyframe) => ({ id: keyframe.id, type: keyframe.type, status: keyframe.status }))
  })
}

/** Every searchable document of the requested types, as the index would hold it now. */
const documents = (context: RouteContext, docTypes: ReadonlyArray<string>, only: ReadonlySet<string> | undefined) => {
  const state = context.state
  const out: Array<Doc> = []
  if (docTypes.includes("assets")) {
    for (const asset of indexedRecords(context, "assets", state.assets)) {
      if (asset.status !== "DELETED") out.push(assetDocument(context, asset, only))
    }
  }
  if (docTypes.includes("collections")) {
    for (const collection of indexedRecords(context, "collections", state.collections)) {
      if (collection.status !== "DELETED") {
        out.push(naiveDates({
          ...presentCollectionElastic(state, collection),
          metadata: indexedMetadata(context, "collections", collection.id, only)
        }))
      }
    }
  }
  if (docTypes.includes("segments")) {
    for (const segment of indexedRecords(context, "segments", state.segments)) {
      if (segment.status !== "DELETED") {
        out.push(naiveDates({
          ...segment,
          object_type: "segments",
          title: String(segment.segment_text ?? segment.segment_type),
          metadata: indexedMetadata(context, "segments", segment.id, only)
        }))
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Free-text query

interface QueryTerm {
  readonly field: string | undefined
  readonly text: string
  readonly negated: boolean
}

/** Splits on spaces outside quotes; `OR` separates groups, every term of a group must hold. */
const parseQuery = (query: string): Array<Array<QueryTerm>> => {
  const tokens = query.match(/-?(?:[^\s:"]+:)?"[^"]*"|\S+/g) ?? []
  const groups: Array<Array<QueryTerm>> = [[]]
  let negateNext = false
  for (const token of tokens) {
    if (token === "OR" || token === "||") {
      groups.push([])
      continue
    }
    if (token === "AND" || token === "&&") continue
    if (token === "NOT") {
      negateNext = true
      continue
    }
    let rest = token
    let negated = negateNext
    negateNext = false
    if (rest.startsWith("-") && rest.length > 1) {
      negated = true
      rest = rest.slice(1)
    }
    const colon = rest.search(/:(?!\/\/)/)
    const field = colon > 0 && !rest.startsWith('"') ? rest.slice(0, colon) : undefined
    const text = (field === undefined ? rest : rest.slice(colon + 1)).replace(/^"|"$/g, "")
    if (text === "" || text === "*") {
      if (field === undefined && !negated) continue
    }
    groups[groups.length - 1]!.push({ field, text, negated })
  }
  return groups.filter((group) => group.length > 0)
}

// Matched without RegExps built from the query (see Wildcard.ts): linear in the value and the term.
const textMatches = (value: unknown, text: string): boolean =>
  text.includes("*")
    ? wildcardMatches(text, String(value))
    : indexOfLinear(String(value).toLowerCase(), text.toLowerCase()) >= 0

const defaultSearchFields = ["title", "description", "segment_text", "file_names", "external_id", "metadata"]

const termMatches = (doc: Doc, term: QueryTerm, searchFields: ReadonlyArray<string>): boolean => {
  const fields = term.field === undefined ? searchFields : [term.field]
  const hit = fields.some((field) => {
    const path = field === "file_names.lower" ? "file_names" : field
    const values = path === "metadata" ? Object.values((doc.metadata ?? {}) as Doc).flat() : valuesAt(doc, path)
    return term.text === "*" ? values.length > 0 : values.some((value) => textMatches(value, term.text))
  })
  return term.negated ? !hit : hit
}

// ---------------------------------------------------------------------------------------------------------------
// Structured filter

const equalsText = (value: unknown, expected: unknown) => String(value).toLowerCase() === String(expected).toLowerCase()

const inRange = (value: unknown, range: Doc): boolean => {
  const toNumber = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : parseDate(v)) : undefined)
  const actual = toNumber(value)
  if (actual === undefined) return false
  const min = range.min === undefined || range.min === null || range.min === "*" ? undefined : toNumber(range.min)
  const max = range.max === undefined || range.max === null || range.max === "*" ? undefined : toNumber(range.max)
  return (min === undefined || actual >= min) && (max === undefined || actual <= max)
}

const filterTermMatches = (doc: Doc, term: Doc): boolean => {
  const values = valuesAt(doc, String(term.name))
  if (term.exists === true) return values.length > 0
  if (term.missing === true) return values.length === 0
  if (Array.isArray(term.value_in)) return values.some((value) => (term.value_in as Array<unknown>).some((v) => equalsText(value, v)))
  if (term.range !== undefined && term.range !== null) return values.some((value) => inRange(value, term.range as Doc))
  if (term.value !== undefined && term.value !== null) return values.some((value) => equalsText(value, term.value))
  return true
}

const filterMatches = (doc: Doc, filter: Doc | undefined): boolean => {
  if (filter === undefined || filter === null) return true
  const results = [
    ...((filter.terms ?? []) as Array<Doc>).map((term) => filterTermMatches(doc, term)),
    ...((filter.filters ?? []) as Array<Doc>).map((nested) => filterMatches(doc, nested))
  ]
  if (results.length === 0) return true
  return String(filter.operator ?? "AND").toUpperCase() === "OR" ? results.some(Boolean) : results.every(Boolean)
}

// ---------------------------------------------------------------------------------------------------------------
// Sorting, search_after, facets

const sortTermsOf = (body: Doc): Array<SortTerm> => {
  const given = Array.isArray(body.sort) ? (body.sort as Array<Doc>) : []
  const terms: Array<SortTerm> = given.map((term) => ({
    name: String(term.name),
    order: String(term.order ?? "asc").toLowerCase() === "desc" ? "desc" : "asc"
  }))
  if (terms.length === 0) terms.push({ name: "date_created", order: "desc" })
  // A unique tie-breaker, so `search_after` neither skips nor repeats documents with equal keys.
  if (!terms.some((term) => term.name === "id")) terms.push({ name: "id", order: "asc" })
  return terms
}

const sortValues = (doc: Doc, terms: ReadonlyArray<SortTerm>) =>
  terms.map((term) => sortKey(valuesAt(doc, term.name)[0]))

const compareTuples = (
  a: ReadonlyArray<string | number | null>,
  b: ReadonlyArray<string | number | null>,
  terms: ReadonlyArray<SortTerm>
): number => {
  for (let i = 0; i < Math.min(a.length, b.length, terms.length); i++) {
    const order = compareKeys(a[i] ?? null, b[i] ?? null, terms[i]!.order)
    if (order !== 0) return order
  }
  return 0
}

const facetsOf = (docs: ReadonlyArray<Doc>, names: ReadonlyArray<string>): Doc => {
  const out: Doc = {}
  for (const name of names) {
    const counts = new Map<string, number>()
    for (const doc of docs) {
      for (const value of new Set(valuesAt(doc, name).map(String))) counts.set(value, (counts.get(value) ?? 0) + 1)
    }
    out[name] = {
      buckets: [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([key, doc_count]) => ({ key, doc_count }))
    }
  }
  return out
}

const highlight = (doc: Doc, groups: ReadonlyArray<ReadonlyArray<QueryTerm>>): Doc => {
  const title = typeof doc.title === "string" ? doc.title : undefined
  if (title === undefined) return {}
  const words = groups.flat().filter((t) => !t.negated && t.field === undefined && !t.text.includes("*")).map((t) => t.text)
  const marked = words.reduce(markOccurrences, title)
  return marked === title ? {} : { title: [marked] }
}

const alwaysKept = new Set(["id", "object_type", "title", "_sort", "_highlight"])

const project = (doc: Doc, include: ReadonlyArray<string> | undefined, exclude: ReadonlyArray<string> | undefined): Doc => {
  const out: Doc = {}
  for (const [key, value] of Object.entries(doc)) {
    const keep = alwaysKept.has(key) ||
      ((include === undefined || include.includes(key)) && (exclude === undefined || !exclude.includes(key)))
    if (keep) out[key] = value
  }
  return out
}

const search = Effect.fnUntraced(function*(context: RouteContext) {
  const body = (context.body ?? {}) as Doc
  const docTypes = Array.isArray(body.doc_types) && body.doc_types.length > 0
    ? (body.doc_types as Array<string>)
    : defaultDocTypes
  const viewId = typeof body.metadata_view_id === "string" ? body.metadata_view_id : undefined
  let only: ReadonlySet<string> | undefined
  if (viewId !== undefined) {
    const view = context.state.views.get(viewId)
    if (view === undefined) return yield* notFound("Metadata view")
    only = viewFieldNames(view)
  }
  const groups = parseQuery(typeof body.query === "string" ? body.query : "")
  const searchFields = Array.isArray(body.search_fields) && body.search_fields.length > 0
    ? (body.search_fields as Array<string>)
    : defaultSearchFields
  const filter = body.filter as Doc | undefined
  const facetFilters = Array.isArray(body.facets_filters) ? (body.facets_filters as Array<Doc>) : []
  const matches = documents(context, docTypes, only).filter((doc) =>
    (groups.length === 0 || groups.some((group) => group.every((term) => termMatches(doc, term, searchFields)))) &&
    filterMatches(doc, filter) &&
    facetFilters.every((facet) => filterTermMatches(doc, { name: facet.name, value_in: facet.value_in }))
  )
  const terms = sortTermsOf(body)
  const keyed = matches.map((doc) => ({ doc, key: sortValues(doc, terms) }))
  keyed.sort((a, b) => compareTuples(a.key, b.key, terms))
  let remaining = keyed
  if (Array.isArray(body.search_after) && body.search_after.length > 0) {
    const after = (body.search_after as Array<unknown>).map(sortKey)
    remaining = keyed.filter((entry) => compareTuples(entry.key, after, terms) > 0)
  }
  const include = Array.isArray(body.include_fields) && body.include_fields.length > 0
    ? (body.include_fields as Array<string>)
    : undefined
  const exclude = Array.isArray(body.exclude_fields) ? (body.exclude_fields as Array<string>) : undefined
  const hits = remaining.map(({ doc, key }) =>
    project({ ...doc, _sort: key, _highlight: highlight(doc, groups) }, include, exclude)
  )
  const facets = Array.isArray(body.facets) ? facetsOf(matches, body.facets as Array<string>) : undefined
  const request = yield* readPage(context.query)
  if (context.query.flag("scroll") || context.query.has("scroll_id")) {
    return ok({ ...(yield* scrollOf(context, hits, request.perPage)), ...(facets ? { facets } : {}) })
  }
  const window = context.env.settings.maxResultWindow
  if (request.page * request.perPage > window) {
    return yield* failure(
      400,
      `Result window is too large, page * per_page must be less than or equal to ${window}; use search_after to page deeper`
    )
  }
  const page = yield* pageOf(context, hits, request, facets ? { facets } : undefined)
  return ok({ ...page, total: matches.length })
})

export const searchRoutes: ReadonlyArray<Route> = [route("POST", "/API/search/v1/search/", search)]
