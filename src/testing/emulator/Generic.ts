/**
 * The generic store: every operation without a specific route is served from the generated definitions, as a plain
 * stateful REST resource. A path template ending in a parameter names an item (`…/templates/{template_id}/`), one
 * ending in a literal names a collection (`…/templates/`); records live per concrete collection path, so nested
 * resources are keyed by their parents' ids. POST on a collection creates (id, dates), GET reads or lists (paged in
 * the operation's family), PUT replaces, PATCH merges, DELETE removes (404 after). A collection whose GET answers a
 * single object (settings and the like) is one record, written by POST / PUT / PATCH. Every answer is reshaped to
 * the operation's response schema (see `Conform.ts`), and the App checks it against that schema once more.
 */
import * as Effect from "effect/Effect"
import type * as SchemaAST from "effect/SchemaAST"
import type { Definition, SuccessResponse } from "../../Endpoint.ts"
import { conform, type Fill, listItemOf, resolved } from "./Conform.ts"
import { fieldNamePage, lastIdPage, listPage, pageOf, readPage } from "./Paging.ts"
import { type ApiFailure, notFound, type Reply, type Route, type RouteContext } from "./Route.ts"
import { normalizePath } from "./Router.ts"
import type { Doc } from "./State.ts"

/** The concrete collection path → its records by id; a single-object resource is kept under "". */
export type GenericStore = Map<string, Map<string, Doc>>

const isParam = (segment: string) => segment.startsWith("{") && segment.endsWith("}")

const segmentsOf = (template: string) => normalizePath(template).split("/").filter((s) => s !== "")

/** The template with its parameters filled in, normalised. */
const fillTemplate = (template: string, params: Readonly<Record<string, string>>) =>
  normalizePath(template.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? ""))

interface Shape {
  /** The item parameter (the template's last segment), if the template names an item. */
  readonly itemParam: string | undefined
  /** The collection template: the template without its item parameter. */
  readonly collection: string
}

const shapeOf = (template: string): Shape => {
  const segments = segmentsOf(template)
  const last = segments[segments.length - 1] ?? ""
  return isParam(last)
    ? { itemParam: last.slice(1, -1), collection: `/${segments.slice(0, -1).join("/")}/` }
    : { itemParam: undefined, collection: `/${segments.join("/")}/` }
}

/** What the other operations on the same resources tell about one: can it be created, is its GET a list? */
interface Siblings {
  /** Collection templates with a POST (records there are created, so a missing item is a 404). */
  readonly created: ReadonlySet<string>
  /** Collection templates whose GET answers a single object (a one-record resource). */
  readonly single: ReadonlySet<string>
}

const siblingsOf = (definitions: ReadonlyArray<Definition>): Siblings => {
  const posted = new Set<string>()
  const read = new Set<string>()
  const single = new Set<string>()
  for (const definition of definitions) {
    const shape = shapeOf(definition.path)
    if (definition.method === "GET") read.add(shape.collection)
    if (shape.itemParam !== undefined) continue
    if (definition.method === "POST") posted.add(shape.collection)
    if (definition.method === "GET") {
      const schema = definition.success.find((s) => s.schema !== undefined)?.schema
      if (schema !== undefined && listItemOf(schema.ast) === undefined && resolved(schema.ast)._tag === "Objects") {
        single.add(shape.collection)
      }
    }
  }
  // Records are created where a POST adds to a collection that is also read (a POST alone is an action).
  const created = new Set([...posted].filter((template) => read.has(template)))
  // A collection with items below it is a collection even if its own GET answers one object.
  for (const template of single) if (created.has(template) && !isSingleOnly(definitions, template)) single.delete(template)
  return { created, single }
}

/** Whether the only GET on the collection template answers a single object and no item template hangs below it. */
const isSingleOnly = (definitions: ReadonlyArray<Definition>, collection: string) =>
  !definitions.some((definition) => {
    const shape = shapeOf(definition.path)
    return shape.itemParam !== undefined && shape.collection === collection
  })

const jsonClone = (value: unknown): Doc =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? JSON.parse(JSON.stringify(value)) as Doc : {}

/** The success the generic answer gives: the first declared (a POST prefers 201). */
const successOf = (definition: Definition): SuccessResponse | undefined =>
  (definition.method === "POST" ? definition.success.find((s) => s.status === 201) : undefined) ?? definition.success[0]

const fillOf = (context: RouteContext): Fill => ({ uuid: () => context.state.ids.uuid(context.now), now: context.state.ids.now(context.now) })

/** The answer for a record (or nothing): the declared status, its body reshaped to the declared schema. */
const answer = (context: RouteContext, definition: Definition, record: unknown): Reply => {
  const success = successOf(definition)
  // No success declared: the SAML endpoints, which redirect.
  if (success === undefined) return { status: 302, headers: { location: "/" } }
  const contentType = success.contentType ?? "application/json"
  if (success.status === 204 || success.schema === undefined) return { status: success.status }
  if (contentType !== "application/json") return { status: success.status, text: "", contentType }
  return { status: success.status, body: conform(success.schema.ast, record ?? {}, fillOf(context)) }
}

/** The ids a bulk DELETE names (`ids`, `object_ids`, `…_ids`), if any. */
const bulkIds = (body: unknown): ReadonlyArray<string> | undefined => {
  const doc = jsonClone(body)
  for (const [key, value] of Object.entries(doc)) {
    if ((key === "ids" || key.endsWith("_ids")) && Array.isArray(value)) return value.map(String)
  }
  return undefined
}

/** The record an item path names: by key, else by a field named like the parameter (`name`, `field_name`, …). */
const findItem = (records: Map<string, Doc> | undefined, param: string, value: string): [string, Doc] | undefined => {
  if (records === undefined) return undefined
  const byKey = records.get(value)
  if (byKey !== undefined) return [value, byKey]
  const field = param.endsWith("_id") ? "id" : param
  for (const entry of records) if (entry[1][field] === value || entry[1].name === value) return entry
  return undefined
}

const page = (context: RouteContext, definition: Definition, items: ReadonlyArray<Doc>) => {
  switch (definition.paging) {
    case "page":
      return listPage(context, items)
    case "search":
      return Effect.flatMap(readPage(context.query), (request) => pageOf(context, items, request))
    case "last_id":
      return lastIdPage(context, items as ReadonlyArray<Doc & { id: string }>)
    case "last_field_name":
      return fieldNamePage(context, items as ReadonlyArray<Doc & { name: string }>)
    default:
      return Effect.succeed({ objects: items, total: items.length })
  }
}

const label = (collection: string) => {
  const segments = collection.split("/").filter((s) => s !== "" && !isParam(s))
  const last = segments[segments.length - 1] ?? "Object"
  return last.charAt(0).toUpperCase() + last.slice(1).replace(/_/g, " ")
}

/** The handler of one generic operation. */
const handlerFor = (definition: Definition, siblings: Siblings) => {
  const shape = shapeOf(definition.path)
  const creatable = siblings.created.has(shape.collection)
  const single = siblings.single.has(shape.collection)
  const listItem: SchemaAST.AST | undefined = definition.method === "GET"
    ? (() => {
      const schema = successOf(definition)?.schema
      return schema === undefined ? undefined : listItemOf(schema.ast)
    })()
    : undefined

  return (context: RouteContext): Effect.Effect<Reply, ApiFailure> =>
    Effect.gen(function*() {
      const store = context.state.generic
      const key = fillTemplate(shape.collection, context.params)
      let records = store.get(key)
      const body = jsonClone(context.body)
      const parents: Doc = {}
      for (const [name, value] of Object.entries(context.params)) if (name !== shape.itemParam) parents[name] = value
      const stamp = context.state.ids.now(context.now)

      if (shape.itemParam === undefined) {
        // A collection path, or a one-record resource.
        if (single) {
          const current = records?.get("")
          switch (definition.method) {
            case "GET":
              return answer(context, definition, current ?? parents)
            case "DELETE":
              records?.delete("")
              return answer(context, definition, current)
            default: {
              const next: Doc = definition.method === "PATCH" && current !== undefined
                ? { ...current, ...body, date_modified: stamp }
                : { ...parents, ...body, date_created: current?.date_created ?? stamp, date_modified: stamp }
              if (records === undefined) store.set(key, records = new Map())
              records.set("", next)
              return answer(context, definition, next)
            }
          }
        }
        switch (definition.method) {
          case "GET": {
            const items = [...(records?.values() ?? [])]
            if (listItem === undefined) return answer(context, definition, items[items.length - 1] ?? parents)
            return answer(context, definition, yield* page(context, definition, items))
          }
          case "POST": {
            const id = context.state.ids.uuid(context.now)
            const record: Doc = { ...parents, ...body, id, date_created: stamp, date_modified: stamp }
            if (records === undefined) store.set(key, records = new Map())
            records.set(id, record)
            return answer(context, definition, record)
          }
          case "DELETE": {
            const ids = bulkIds(context.body)
            if (ids === undefined) records?.clear()
            else for (const id of ids) records?.delete(id)
            return answer(context, definition, undefined)
          }
          default:
            // Bulk updates of a collection: answered, not applied record by record.
            return answer(context, definition, { ...parents, ...body })
        }
      }

      const itemValue = context.params[shape.itemParam] ?? ""
      const found = findItem(records, shape.itemParam, itemValue)
      if (found === undefined) {
        // Where records are created by a POST, a missing one is a 404; elsewhere an item path reads a default, and
        // writes to it create it (an upsert).
        if (creatable) return yield* notFound(label(shape.collection))
        if (definition.method === "DELETE") return answer(context, definition, undefined)
        const identity: Doc = shape.itemParam.endsWith("_id") ? { id: itemValue } : { [shape.itemParam]: itemValue }
        if (definition.method === "GET") return answer(context, definition, { ...parents, ...identity })
        const record: Doc = { ...parents, ...identity, ...body, date_created: stamp, date_modified: stamp }
        if (records === undefined) store.set(key, records = new Map())
        records.set(itemValue, record)
        return answer(context, definition, record)
      }
      const [recordKey, record] = found
      switch (definition.method) {
        case "GET":
          return answer(context, definition, record)
        case "DELETE":
          records!.delete(recordKey)
          return answer(context, definition, record)
        case "PATCH": {
          const next = { ...record, ...body, id: record.id, date_modified: stamp }
          records!.set(recordKey, next)
          return answer(context, definition, next)
        }
        default: {
          // PUT replaces (keeping identity and creation date); a POST on an item acts on it and answers it.
          const next = definition.method === "PUT"
            ? { ...parents, ...body, id: record.id, date_created: record.date_created, date_modified: stamp }
            : record
          records!.set(recordKey, next)
          return answer(context, definition, next)
        }
      }
    })
}

/** Generic routes for every definition `specific` does not serve. */
export const genericRoutes = (
  definitions: ReadonlyArray<Definition>,
  specific: ReadonlyArray<Route>
): ReadonlyArray<Route> => {
  const served = new Set(specific.map((route) => `${route.method} ${route.path}`))
  const siblings = siblingsOf(definitions)
  return definitions
    .filter((definition) => !served.has(`${definition.method} ${definition.path}`))
    .map((definition): Route => ({
      method: definition.method,
      path: definition.path,
      handler: handlerFor(definition, siblings),
      accepts: undefined,
      fidelity: "generic"
    }))
}
