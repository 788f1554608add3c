/**
 * The metadata service: fields (listed with the `last_field_name` cursor), views, and values per object, read and
 * written through a view, or directly (admins only, otherwise 403). Reproduces Iconik's quirk: reading an object's
 * values through a view answers 404 "doesn't exist" when the object has no values in that view.
 */
import * as Effect from "effect/Effect"
import { applyInput, compact, inputFields } from "../Docs.ts"
import { parseDate } from "../Ids.ts"
import { fieldNamePage } from "../Paging.ts"
import {
  badRequest,
  created,
  failure,
  forbidden,
  invalidFields,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import { type Doc, type EmulatorState, type FieldDoc, metadataKey, type ObjectValues, type ViewDoc } from "../State.ts"
import { newId, requireRecord, stamp } from "./Common.ts"

const base = "/API/metadata/v1"

const fieldReadOnly = ["mapped_field_name", "date_created", "date_modified"]

const isPseudoField = (name: string) => name.startsWith("__")

const requireField = (context: RouteContext) =>
  requireRecord(context.state.fields, param(context, "field_name"), "Metadata field")

const requireView = (context: RouteContext, id: string = param(context, "view_id")) =>
  requireRecord(context.state.views, id, "Metadata view")

// ---------------------------------------------------------------------------------------------------------------
// Fields

const listFields = (context: RouteContext) => {
  const filter = context.query.string("filter")?.toLowerCase()
  const fields = [...context.state.fields.values()].filter((field) =>
    filter === undefined || field.name.toLowerCase().includes(filter) || field.label.toLowerCase().includes(filter)
  )
  return Effect.map(fieldNamePage(context, fields.map((field) => ({ ...field }))), ok)
}

const createField = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const name = String(body.name)
  if (!/^[A-Za-z0-9_\-]+$/.test(name)) return yield* invalidFields({ name: "Field name may only contain letters, digits, _ and -" })
  if (context.state.fields.has(name)) return yield* badRequest(`Field with name ${name} already exists`)
  const now = stamp(context)
  const field: FieldDoc = compact({
    multi: false,
    read_only: false,
    required: false,
    sortable: false,
    use_as_facet: false,
    auto_set: false,
    hide_if_not_set: false,
    is_block_field: false,
    is_warning_field: false,
    representative: false,
    ...inputFields(body, fieldReadOnly),
    name,
    label: String(body.label),
    field_type: String(body.field_type),
    date_created: now,
    date_modified: now
  })
  context.state.fields.set(name, field)
  return created({ ...field })
})

const updateField = Effect.fnUntraced(function*(context: RouteContext) {
  const field = yield* requireField(context)
  applyInput(field, context.body, [...fieldReadOnly, "name"])
  field.date_modified = stamp(context)
  return ok({ ...field })
})

const deleteField = Effect.fnUntraced(function*(context: RouteContext) {
  const field = yield* requireField(context)
  context.state.fields.delete(field.name)
  return noContent
})

// ---------------------------------------------------------------------------------------------------------------
// Views

/** A view field as stored: the name plus the view's overrides (label, required, read_only, options, …). */
const viewFieldsOf = (context: RouteContext, input: unknown) =>
  Effect.suspend(() => {
    const fields = Array.isArray(input) ? (input as Array<Doc>) : []
    const unknown = fields.map((f) => String(f.name)).filter((name) =>
      !isPseudoField(name) && !context.state.fields.has(name)
    )
    return unknown.length > 0
      ? Effect.fail(invalidFields({ view_fields: `Fields do not exist: ${unknown.join(", ")}` }))
      : Effect.succeed(fields.map((field) => compact({ ...inputFields(field, ["mapped_field_name"]) })))
  })

/** The view with each field's full definition merged under the view's overrides (`MetadataViewSchema`). */
const presentView = (state: EmulatorState, view: ViewDoc): Doc => ({
  ...view,
  view_fields: view.view_fields.map((viewField) => {
    const name = String(viewField.name)
    const field = state.fields.get(name)
    return { label: name, field_type: "string", ...field, ...viewField, name }
  })
})

const listViews = (context: RouteContext) =>
  Effect.succeed(ok({
    objects: [...context.state.views.values()].map((view) => ({
      ...view,
      view_fields: view.view_fields.map((field) => ({ ...field }))
    }))
  }))

const createView = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const now = stamp(context)
  const view: ViewDoc = compact({
    ...inputFields(body, ["id", "view_fields", "date_created", "date_modified"]),
    id: newId(context),
    name: String(body.name),
    view_fields: yield* viewFieldsOf(context, body.view_fields),
    date_created: now,
    date_modified: now
  })
  context.state.views.set(view.id, view)
  return created(presentView(context.state, view))
})

const updateView = Effect.fnUntraced(function*(context: RouteContext) {
  const view = yield* requireView(context)
  const body = (context.body ?? {}) as Doc
  if (body.view_fields !== undefined && body.view_fields !== null) view.view_fields = yield* viewFieldsOf(context, body.view_fields)
  applyInput(view, body, ["id", "view_fields", "date_created", "date_modified"])
  view.date_modified = stamp(context)
  return ok(presentView(context.state, view))
})

const deleteView = Effect.fnUntraced(function*(context: RouteContext) {
  const view = yield* requireView(context)
  context.state.views.delete(view.id)
  return noContent
})

// ---------------------------------------------------------------------------------------------------------------
// Values

interface Target {
  readonly objectType: string
  readonly objectId: string
}

/** The object whose values the path names; assets and collections must exist. */
const targetOf = (context: RouteContext) =>
  Effect.suspend(() => {
    const objectType = context.params.object_type ?? "assets"
    const objectId = context.params.object_id ?? param(context, "asset_id")
    if (context.params.asset_id !== undefined && !context.state.assets.has(context.params.asset_id)) {
      return Effect.fail(notFound("Asset"))
    }
    if (objectType === "assets" && !context.state.assets.has(objectId)) return Effect.fail(notFound("Asset"))
    if (objectType === "collections" && !context.state.collections.has(objectId)) return Effect.fail(notFound("Collection"))
    if (objectType === "segments" && !context.state.segments.has(objectId)) return Effect.fail(notFound("Segment"))
    return Effect.succeed<Target>({ objectType, objectId })
  })

const valuesAnswer = (
  context: RouteContext,
  target: Target,
  values: ObjectValues | undefined,
  only: ReadonlySet<string> | undefined
): Doc => {
  const metadataValues: Doc = {}
  for (const [name, entry] of values?.fields ?? []) {
    if (only !== undefined && !only.has(name)) continue
    metadataValues[name] = { field_values: entry.field_values.map((v) => ({ ...v })) }
  }
  const asset = target.objectType === "assets" ? context.state.assets.get(target.objectId) : undefined
  return compact({
    object_id: target.objectId,
    object_type: target.objectType,
    version_id: asset?.versions[0]?.id,
    date_created: values?.date_created,
    date_modified: values?.date_modified,
    metadata_values: metadataValues
  })
}

const valueError = (field: FieldDoc | undefined, values: ReadonlyArray<unknown>): string | undefined => {
  if (field === undefined) return undefined
  if (field.multi !== true && values.length > 1) return "Field accepts only one value"
  for (const value of values) {
    const text = String(value)
    switch (field.field_type) {
      case "integer":
        if (!/^-?\d+$/.test(text)) return `Not a valid integer: ${text}`
        break
      case "float":
        if (!Number.isFinite(Number(text)) || text.trim() === "") return `Not a valid number: ${text}`
        break
      case "boolean":
        if (!["true", "false"].includes(text.toLowerCase())) return `Not a valid boolean: ${text}`
        break
      case "date":
      case "datetime":
        if (parseDate(text) === undefined) return `Not a valid date: ${text}`
        break
      case "drop_down": {
        const options = Array.isArray(field.options) ? (field.options as Array<Doc>).map((o) => String(o.value)) : []
        if (options.length > 0 && !options.includes(text)) return `Not a valid option: ${text}`
        break
      }
    }
    if (typeof field.min_value === "number" && Number(text) < field.min_value) return `Less than ${field.min_value}`
    if (typeof field.max_value === "number" && Number(text) > field.max_value) return `More than ${field.max_value}`
  }
  return undefined
}

/**
 * Applies `metadata_values` (`{field: {field_values: [{value}], mode}}`, mode overwrite (default) / append / delete).
 * With `allowed`, fields outside it fail with 400; the direct (admin) write takes any field.
 */
const writeValues = (context: RouteContext, target: Target, allowed: ReadonlySet<string> | undefined) =>
  Effect.gen(function*() {
    const input = ((context.body as Doc | undefined)?.metadata_values ?? {}) as Doc
    const errors: Record<string, string> = {}
    const changes: Array<[string, Array<{ value: unknown }>, string]> = []
    for (const [name, raw] of Object.entries(input)) {
      if (allowed !== undefined && !allowed.has(name)) {
        errors[name] = "Field is not in the view"
        continue
      }
      const entry = (raw ?? {}) as Doc
      const given = Array.isArray(entry.field_values) ? (entry.field_values as Array<Doc>) : []
      const fieldValues = given.map((v) => ({ value: v?.value }))
      const mode = typeof entry.mode === "string" ? entry.mode : "overwrite"
      if (!["overwrite", "append", "delete"].includes(mode)) {
        errors[name] = `Unknown mode ${mode}`
        continue
      }
      const problem = mode === "delete" ? undefined : valueError(context.state.fields.get(name), fieldValues.map((v) => v.value))
      if (problem !== undefined) errors[name] = problem
      else changes.push([name, fieldValues, mode])
    }
    if (Object.keys(errors).length > 0) return yield* invalidFields(errors)
    const key = metadataKey(target.objectType, target.objectId)
    const now = stamp(context)
    const values: ObjectValues = context.state.values.get(key) ??
      { object_type: target.objectType, object_id: target.objectId, date_created: now, date_modified: now, fields: new Map() }
    for (const [name, fieldValues, mode] of changes) {
      const current = values.fields.get(name)?.field_values ?? []
      const next = mode === "append"
        ? [...current, ...fieldValues]
        : mode === "delete"
        ? fieldValues.length === 0 ? [] : current.filter((v) => !fieldValues.some((d) => String(d.value) === String(v.value)))
        : fieldValues
      if (next.length === 0) values.fields.delete(name)
      else values.fields.set(name, { field_values: next, date_modified: now })
    }
    values.date_modified = now
    context.state.values.set(key, values)
    return values
  })

/** The names of a view's real fields (pseudo-fields such as `__separator__` left out). */
export const viewFieldNames = (view: ViewDoc) =>
  new Set(view.view_fields.map((field) => String(field.name)).filter((name) => !isPseudoField(name)))

const getViewValues = Effect.fnUntraced(function*(context: RouteContext) {
  const target = yield* targetOf(context)
  const view = yield* requireView(context)
  const names = viewFieldNames(view)
  const values = context.state.values.get(metadataKey(target.objectType, target.objectId))
  const hasAny = values !== undefined && [...values.fields.keys()].some((name) => names.has(name))
  if (!hasAny) return yield* failure(404, "Metadata values for this object and view doesn't exist")
  return ok(valuesAnswer(context, target, values, names))
})

const putViewValues = Effect.fnUntraced(function*(context: RouteContext) {
  const target = yield* targetOf(context)
  const view = yield* requireView(context)
  const names = viewFieldNames(view)
  const values = yield* writeValues(context, target, names)
  return ok(valuesAnswer(context, target, values, names))
})

const requireAdmin = (context: RouteContext) =>
  context.user.admin ? Effect.void : Effect.fail(forbidden("Only administrators may access metadata without a view"))

/** `{Field: {name, type, values: [{value}]}}`, as the direct read answers. */
const getDirectValues = Effect.fnUntraced(function*(context: RouteContext) {
  yield* requireAdmin(context)
  const objectType = param(context, "object_type")
  const objectId = param(context, "object_id")
  const values = context.state.values.get(metadataKey(objectType, objectId))
  const out: Doc = {}
  for (const [name, entry] of values?.fields ?? []) {
    out[name] = {
      name,
      type: context.state.fields.get(name)?.field_type ?? "string",
      values: entry.field_values.map((v) => ({ value: String(v.value) }))
    }
  }
  return ok(out)
})

/** Direct writes need admin and take any field, even for ids Iconik does not know. */
const putDirectValues = Effect.fnUntraced(function*(context: RouteContext) {
  yield* requireAdmin(context)
  const target = { objectType: param(context, "object_type"), objectId: param(context, "object_id") }
  const values = yield* writeValues(context, target, undefined)
  return ok(valuesAnswer(context, target, values, undefined))
})

export const metadataRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/fields/`, listFields),
  route("POST", `${base}/fields/`, createField),
  route("GET", `${base}/fields/{field_name}/`, (c) => Effect.map(requireField(c), (f) => ok({ ...f }))),
  route("PUT", `${base}/fields/{field_name}/`, updateField),
  route("PATCH", `${base}/fields/{field_name}/`, updateField),
  route("DELETE", `${base}/fields/{field_name}/`, deleteField),

  route("GET", `${base}/views/`, listViews),
  route("POST", `${base}/views/`, createView),
  route("GET", `${base}/views/{view_id}/`, (c) => Effect.map(requireView(c), (v) => ok(presentView(c.state, v)))),
  route("PUT", `${base}/views/{view_id}/`, updateView),
  route("PATCH", `${base}/views/{view_id}/`, updateView),
  route("DELETE", `${base}/views/{view_id}/`, deleteView),

  route("GET", `${base}/{object_type}/{object_id}/views/{view_id}/`, getViewValues),
  route("PUT", `${base}/{object_type}/{object_id}/views/{view_id}/`, putViewValues),
  route("GET", `${base}/assets/{asset_id}/{object_type}/{object_id}/views/{view_id}/`, getViewValues),
  route("PUT", `${base}/assets/{asset_id}/{object_type}/{object_id}/views/{view_id}/`, putViewValues),
  route("GET", `${base}/assets/{asset_id}/versions/{version_id}/views/{view_id}/`, getViewValues),
  route("GET", `${base}/{object_type}/{object_id}/`, getDirectValues),
  route("PUT", `${base}/{object_type}/{object_id}/`, putDirectValues)
]

/** Values of an object as search documents carry them: field → list of values. */
/** Field name → values of one object's metadata (only the fields in `only`, when given). */
export const metadataFrom = (values: ObjectValues | undefined, only?: ReadonlySet<string>): Doc => {
  const out: Doc = {}
  for (const [name, entry] of values?.fields ?? []) {
    if (only === undefined || only.has(name)) out[name] = entry.field_values.map((v) => v.value)
  }
  return out
}
