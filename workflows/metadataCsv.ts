/**
 * Metadata to and from CSV, like Iconik's csv tool:
 *
 * - {@link exportMetadata}: the hits of a search, one row each: `id`, `object_type`, `title`, then one column per
 *   field of a metadata view (`GET /API/metadata/v1/views/{view_id}/`), filled from
 *   `GET /API/metadata/v1/{object_type}/{object_id}/views/{view_id}/` (a 404 there means "no values yet").
 * - {@link planMetadataImport} reads such a CSV back, validates every cell against the view's fields and compares
 *   it with the current values: the result is the diff, and nothing has been written.
 * - {@link importMetadata} plans, then (unless `dryRun`) writes the changed fields of each object with
 *   `PUT …/views/{view_id}/` `{metadata_values: {field: {field_values: [...], mode: "overwrite"}}}`.
 *
 * Multiple values share a cell, separated by `|` (configurable). Read-only fields are exported, never imported.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as metadata from "../src/generated/metadata.ts"
import type * as search from "../src/generated/search.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Metadata from "../src/Metadata.ts"
import type { IconikPaginationError } from "../src/Pagination.ts"
import * as Csv from "./Csv.ts"
import type { InvalidOption } from "./Options.ts"
import * as Progress from "./Progress.ts"
import { searchAll } from "./searchAll.ts"
import * as Workflow from "./Workflow.ts"

/** Columns every export starts with; the rest are field names. */
export const fixedColumns = ["id", "object_type", "title"] as const

/** A CSV that cannot be imported as it is; nothing was written. */
export class MetadataImportError extends Schema.TaggedError<MetadataImportError>()("MetadataImportError", {
  /** 1-based data row (the header is row 0), when the problem is in a row. */
  row: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  override get message() {
    return `metadata CSV${this.row === undefined ? "" : ` row ${this.row}`}: ${this.detail}`
  }
}

interface ViewColumns {
  readonly fields: ReadonlyArray<metadata.MetadataField>
}

const viewColumns = (viewId: string, only?: ReadonlyArray<string>) =>
  Metadata.getView(viewId).pipe(
    Effect.map((view): ViewColumns => {
      const fields = (view.view_fields ?? []).filter((field) => field.name !== "__separator__")
      return { fields: only === undefined ? fields : fields.filter((field) => only.includes(field.name)) }
    })
  )

/** The values of one object in a view, `{}` when it has none (Iconik answers 404 then). */
const currentValues = (objectType: string, objectId: string, viewId: string) =>
  Effect.map(Metadata.get(objectType, objectId, viewId, { emptyOnNotFound: true }), (values) => values.metadata_values)

const cellText = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : typeof value === "string"
    ? value
    : typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : JSON.stringify(value)

const valuesOf = (entry: metadata.MetadataFieldValue | undefined): ReadonlyArray<string> =>
  (entry?.field_values ?? []).map((v) => cellText(v.value))

export interface ExportMetadataOptions {
  readonly viewId: string
  /** Which objects (default: every asset). */
  readonly criteria?: search.SearchCriteria | undefined
  /** Only these fields of the view, in the view's order (default: all). */
  readonly fields?: ReadonlyArray<string> | undefined
  readonly multiValueSeparator?: string | undefined
  /** Metadata reads in flight. Default 8. */
  readonly concurrency?: number | undefined
}

/** The export as CSV text: the header line, then one line per search hit. */
export const exportMetadataCsv = (
  options: ExportMetadataOptions
): Stream.Stream<string, IconikError | IconikPaginationError | InvalidOption, IconikClient> => {
  const separator = options.multiValueSeparator ?? "|"
  return Stream.unwrap(
    Effect.map(viewColumns(options.viewId, options.fields), ({ fields }) => {
      const header = [...fixedColumns, ...fields.map((f) => f.name)]
      const rows = searchAll(options.criteria ?? { doc_types: ["assets"] }).pipe(
        Stream.mapEffect((hit) =>
          Effect.map(currentValues(hit.object_type, hit.id, options.viewId), (values) =>
            Csv.formatRow([
              hit.id,
              hit.object_type,
              hit.title,
              ...fields.map((field) => valuesOf(values[field.name]).join(separator))
            ])), { concurrency: options.concurrency ?? 8 })
      )
      return Stream.concat(Stream.succeed(Csv.formatRow(header)), rows)
    })
  )
}

/** Writes the export to `path`; answers the number of data rows. */
export const exportMetadata = Workflow.make(
  "exportMetadata",
  (options: ExportMetadataOptions & { readonly path: string }) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      let rows = -1
      const text = exportMetadataCsv(options).pipe(
        Stream.tap(() => Effect.sync(() => rows++)),
        Stream.encodeText
      )
      yield* Workflow.step("write csv", Stream.run(text, fs.sink(options.path)))
      return { rows: Math.max(0, rows), path: options.path }
    })
)

// ---------------------------------------------------------------------------------------------------------------
// Import

export interface FieldChange {
  readonly objectType: string
  readonly objectId: string
  readonly field: string
  readonly before: ReadonlyArray<string>
  readonly after: ReadonlyArray<string>
}

export interface MetadataImportPlan {
  readonly viewId: string
  readonly rows: number
  /** Changed fields, by object, in CSV order. */
  readonly changes: ReadonlyArray<FieldChange>
  /** Objects whose values already match the CSV. */
  readonly unchanged: number
}

export interface MetadataImportReport extends MetadataImportPlan {
  readonly dryRun: boolean
  /** Objects written. */
  readonly written: number
  readonly failed: ReadonlyArray<{ readonly objectId: string; readonly reason: string; readonly message: string }>
}

export interface ImportMetadataOptions {
  readonly viewId: string
  /** The CSV document. */
  readonly csv: string
  /** Compute and return the diff only. */
  readonly dryRun?: boolean | undefined
  /** What an empty cell means: leave the field alone (default) or clear it. */
  readonly emptyCells?: "ignore" | "clear" | undefined
  readonly multiValueSeparator?: string | undefined
  /** Objects read or written at once. Default 4. */
  readonly concurrency?: number | undefined
}

const truthy = new Set(["true", "1", "yes", "y"])
const falsy = new Set(["false", "0", "no", "n"])

/** A cell value as the field type wants it, or a reason why it cannot be. */
const typedValue = (field: metadata.MetadataField, text: string): { value: unknown } | { error: string } => {
  switch (field.field_type) {
    case "integer": {
      const n = Number(text)
      return Number.isInteger(n) ? { value: n } : { error: `${field.name}: ${JSON.stringify(text)} is not an integer` }
    }
    case "float": {
      const n = Number(text)
      return Number.isFinite(n) && text.trim() !== "" ? { value: n } : { error: `${field.name}: ${JSON.stringify(text)} is not a number` }
    }
    case "boolean": {
      const lower = text.trim().toLowerCase()
      return truthy.has(lower)
        ? { value: true }
        : falsy.has(lower)
        ? { value: false }
        : { error: `${field.name}: ${JSON.stringify(text)} is not true or false` }
    }
    default: {
      const options = field.options ?? []
      if (options.length > 0 && field.field_type === "drop_down" && !options.some((o) => o.value === text)) {
        return { error: `${field.name}: ${JSON.stringify(text)} is not one of its options` }
      }
      return { value: text }
    }
  }
}

interface PlannedObject {
  readonly objectType: string
  readonly objectId: string
  readonly changes: ReadonlyArray<FieldChange>
  readonly values: Record<string, metadata.MetadataFieldValue>
}

const planObjects = (options: ImportMetadataOptions) =>
  Effect.gen(function*() {
    const separator = options.multiValueSeparator ?? "|"
    const parsed = Csv.parseRecords(options.csv)
    if (parsed instanceof Csv.CsvParseError) return yield* new MetadataImportError({ detail: parsed.message })
    if (!parsed.header.includes("id")) return yield* new MetadataImportError({ detail: "the header has no id column" })
    const { fields } = yield* viewColumns(options.viewId)
    const byName = new Map(fields.map((field) => [field.name, field]))
    const columns = parsed.header.filter((name) => !(fixedColumns as ReadonlyArray<string>).includes(name))
    for (const name of columns) {
      const field = byName.get(name)
      if (field === undefined) {
        return yield* new MetadataImportError({ detail: `column ${JSON.stringify(name)} is not a field of view ${options.viewId}` })
      }
    }
    const writable = columns.filter((name) => byName.get(name)?.read_only !== true)

    // Validate every cell before reading anything more from Iconik.
    interface Row {
      readonly objectType: string
      readonly objectId: string
      readonly cells: ReadonlyArray<{ readonly field: string; readonly texts: ReadonlyArray<string>; readonly values: ReadonlyArray<unknown> }>
    }
    const rows: Array<Row> = []
    for (const [index, record] of parsed.records.entries()) {
      const objectId = (record.id ?? "").trim()
      if (objectId === "") return yield* new MetadataImportError({ row: index + 1, detail: "empty id" })
      const cells: Array<Row["cells"][number]> = []
      for (const name of writable) {
        const cell = record[name] ?? ""
        if (cell === "" && options.emptyCells !== "clear") continue
        const field = byName.get(name)!
        const texts = cell === "" ? [] : field.multi === true ? cell.split(separator).map((t) => t.trim()) : [cell]
        const values: Array<unknown> = []
        for (const text of texts) {
          const typed = typedValue(field, text)
          if ("error" in typed) return yield* new MetadataImportError({ row: index + 1, detail: typed.error })
          values.push(typed.value)
        }
        cells.push({ field: name, texts: values.map(cellText), values })
      }
      rows.push({ objectType: (record.object_type ?? "").trim() || "assets", objectId, cells })
    }

    const planned = yield* Effect.forEach(rows, (row) =>
      Effect.map(currentValues(row.objectType, row.objectId, options.viewId), (current): PlannedObject => {
        const changes: Array<FieldChange> = []
        const values: Record<string, metadata.MetadataFieldValue> = {}
        for (const cell of row.cells) {
          const before = valuesOf(current[cell.field])
          if (before.length === cell.texts.length && before.every((v, i) => v === cell.texts[i])) continue
          changes.push({ objectType: row.objectType, objectId: row.objectId, field: cell.field, before, after: cell.texts })
          values[cell.field] = { field_values: cell.values.map((value) => ({ value })), mode: "overwrite" }
        }
        return { objectType: row.objectType, objectId: row.objectId, changes, values }
      }), { concurrency: options.concurrency ?? 4 })
    return { rows: rows.length, planned }
  })

/** The diff of planned objects, as an import reports it. */
const summarize = (viewId: string, rows: number, planned: ReadonlyArray<PlannedObject>): MetadataImportPlan => ({
  viewId,
  rows,
  changes: planned.flatMap((object) => object.changes),
  unchanged: planned.filter((object) => object.changes.length === 0).length
})

/** Validates the CSV and compares it with Iconik: the diff an import would apply. Writes nothing. */
export const planMetadataImport = Workflow.make("planMetadataImport", (options: ImportMetadataOptions) =>
  Effect.map(Workflow.step("plan", planObjects(options)), ({ planned, rows }) => summarize(options.viewId, rows, planned)))

/** Plans (see {@link planMetadataImport}), then writes each changed object unless `dryRun`. */
export const importMetadata = Workflow.make("importMetadata", (options: ImportMetadataOptions) =>
  Effect.gen(function*() {
    const { planned, rows } = yield* Workflow.step("plan", planObjects(options))
    const plan = summarize(options.viewId, rows, planned)
    const toWrite = planned.filter((object) => object.changes.length > 0)
    if (options.dryRun === true) return { ...plan, dryRun: true, written: 0, failed: [] } satisfies MetadataImportReport
    yield* Progress.emit({ _tag: "ItemsPlanned", items: toWrite.length, bytes: 0 })
    const outcomes = yield* Effect.forEach(toWrite, (object) =>
      Workflow.forItem(
        object.objectId,
        Workflow.step(
          "write metadata",
          Metadata.put(object.objectType, object.objectId, options.viewId, { metadata_values: object.values })
        )
      ).pipe(
        Effect.as(Option.none()),
        Effect.catch((error) => Effect.succeed(Option.some({ objectId: object.objectId, reason: error._tag, message: error.message }))),
        Effect.tap((failed) =>
          Progress.emit({
            _tag: "ItemFinished",
            item: object.objectId,
            bytes: 0,
            outcome: Option.isSome(failed) ? "failed" : "ingested",
            reason: Option.isSome(failed) ? failed.value.reason : undefined
          })
        )
      ), { concurrency: options.concurrency ?? 4 })
    const failed = outcomes.flatMap((o) => (Option.isSome(o) ? [o.value] : []))
    return { ...plan, dryRun: false, written: toWrite.length - failed.length, failed } satisfies MetadataImportReport
  }))
