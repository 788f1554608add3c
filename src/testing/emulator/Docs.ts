/**
 * Small helpers over JSON documents shared by the route modules: applying a request body to a stored record, reading
 * dotted field paths, comparing values the way Elasticsearch-backed lists sort them, and Iconik's `sort` and
 * `filter` query syntaxes.
 */
import { parseDate } from "./Ids.ts"
import type { Doc } from "./State.ts"

/**
 * Copies the body's fields onto the record, except `readOnly` ones. A `null` removes the field: the record then
 * answers without it rather than with a `null` the spec does not allow.
 */
export const applyInput = (doc: Doc, body: unknown, readOnly: ReadonlyArray<string>): void => {
  if (body === null || typeof body !== "object") return
  for (const [key, value] of Object.entries(body as Doc)) {
    if (readOnly.includes(key) || value === undefined) continue
    if (value === null) delete doc[key]
    else doc[key] = value
  }
}

/** The body's fields without `undefined`/`null` ones and without `readOnly` ones. */
export const inputFields = (body: unknown, readOnly: ReadonlyArray<string> = []): Doc => {
  const out: Doc = {}
  applyInput(out, body, readOnly)
  return out
}

/**
 * The values at a dotted path (`metadata.Genre`, `files.storage_id`), flattening arrays on the way, so a field of
 * objects in a list yields every object's value.
 */
export const valuesAt = (doc: unknown, path: string): Array<unknown> => {
  let current: Array<unknown> = [doc]
  for (const key of path.split(".")) {
    const next: Array<unknown> = []
    for (const value of current) {
      if (value === null || value === undefined) continue
      if (Array.isArray(value)) {
        for (const item of value) {
          if (item !== null && typeof item === "object" && key in item) next.push((item as Doc)[key])
        }
      } else if (typeof value === "object" && key in value) {
        next.push((value as Doc)[key])
      }
    }
    current = next
  }
  // The leaves themselves may be lists (e.g. `in_collections`, metadata values).
  return current.flatMap((value) => (Array.isArray(value) ? value : [value])).flatMap((value) =>
    value !== null && typeof value === "object" && "value" in (value as Doc) ? [(value as Doc).value] : [value]
  ).filter((value) => value !== undefined && value !== null)
}

const isDateLike = (value: string) => /^\d{4}-\d{2}-\d{2}T/.test(value)

/** A value as a sort key: dates become epoch milliseconds, booleans 0/1, strings stay (compared case-insensitively). */
export const sortKey = (value: unknown): string | number | null => {
  if (value === undefined || value === null) return null
  if (typeof value === "number") return value
  if (typeof value === "boolean") return value ? 1 : 0
  if (typeof value === "string") {
    if (isDateLike(value)) return parseDate(value) ?? value
    return value
  }
  return JSON.stringify(value)
}

/** Missing values sort last in either direction, as Elasticsearch does by default. */
export const compareKeys = (a: string | number | null, b: string | number | null, order: "asc" | "desc"): number => {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  const sign = order === "desc" ? -1 : 1
  if (typeof a === "number" && typeof b === "number") return sign * (a - b)
  const left = String(a).toLowerCase()
  const right = String(b).toLowerCase()
  return sign * (left < right ? -1 : left > right ? 1 : 0)
}

export interface SortTerm {
  readonly name: string
  readonly order: "asc" | "desc"
}

/** `sort=date_created,desc;title,asc` */
export const parseSort = (text: string | undefined): Array<SortTerm> =>
  text === undefined
    ? []
    : text.split(";").map((part) => part.trim()).filter((part) => part !== "").map((part) => {
      const [name, order] = part.split(",").map((s) => s.trim())
      return { name: name!, order: order?.toLowerCase() === "desc" ? "desc" : "asc" }
    })

export const sortDocs = <A extends Doc>(docs: ReadonlyArray<A>, terms: ReadonlyArray<SortTerm>): Array<A> => {
  if (terms.length === 0) return [...docs]
  return [...docs].sort((a, b) => {
    for (const term of terms) {
      const left = sortKey(valuesAt(a, term.name)[0])
      const right = sortKey(valuesAt(b, term.name)[0])
      const order = compareKeys(left, right, term.order)
      if (order !== 0) return order
    }
    return 0
  })
}

/** Whether any of the document's values at `path` equals `expected` (as text, case-insensitively). */
export const hasValue = (doc: Doc, path: string, expected: string): boolean =>
  valuesAt(doc, path).some((value) => String(value).toLowerCase() === expected.toLowerCase())

/** Collection contents' `filter=field,eq,value;field2,eq,value`: every clause must hold. */
export const matchesFilterParam = (doc: Doc, filter: string | undefined): boolean => {
  if (filter === undefined) return true
  return filter.split(";").map((part) => part.trim()).filter((part) => part !== "").every((clause) => {
    const [field, op, ...rest] = clause.split(",")
    const value = rest.join(",")
    if (field === undefined || op === undefined) return true
    switch (op.trim().toLowerCase()) {
      case "eq":
        return hasValue(doc, field.trim(), value)
      case "ne":
      case "neq":
        return !hasValue(doc, field.trim(), value)
      case "in":
        return value.split("|").some((v) => hasValue(doc, field.trim(), v))
      default:
        return true
    }
  })
}

/** A `*`-terminated prefix or exact match, case-insensitive: the plain-parameter filters (`name=Proxy*`). */
export const matchesText = (actual: unknown, pattern: string): boolean => {
  if (actual === undefined || actual === null) return false
  const text = String(actual).toLowerCase()
  const wanted = pattern.toLowerCase()
  return wanted.endsWith("*") ? text.startsWith(wanted.slice(0, -1)) : text === wanted
}

/** Removes the keys whose value is undefined (the emulator never answers `null` for a field the spec marks required). */
/**
 * Keys Iconik answers as `null` when they are unset, where a stored record simply lacks them: seen in the answers of
 * Iconik's Manual Asset Generation tutorial (contract/recordings/tutorial-manual-asset.json). Clients that read them
 * (`asset.external_id === null`) get what Iconik gives. Iconik also answers `date_deleted`, `deleted_by_user` and
 * `original_storage_id` as null, but its spec types them as strings, so the emulator leaves them out (a known
 * difference in contract/known-differences.json).
 */
export const answeredAsNull = {
  asset: ["category", "custom_keyframe", "custom_poster", "external_id", "warning"],
  format: ["archive_status"],
  fileSet: [],
  file: ["parent_id"]
} as const satisfies Record<string, ReadonlyArray<string>>

/** `doc` with each of `keys` it lacks set to `null` (in place: pass a copy). */
export const withNulls = <A extends Doc>(doc: A, keys: ReadonlyArray<string>): A => {
  for (const key of keys) if (doc[key] === undefined) (doc as Doc)[key] = null
  return doc
}

export const compact = <A extends Doc>(doc: A): A => {
  for (const key of Object.keys(doc)) if (doc[key] === undefined) delete doc[key]
  return doc
}
