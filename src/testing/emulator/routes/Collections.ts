/**
 * The assets service's collections: CRUD (DELETE answers 202), contents (add answers 201 with no body, remove, list
 * in the page family), full path (a JSON string), content info and ancestors. Assets' `in_collections` and search
 * documents' `ancestor_collections` follow the contents.
 */
import * as Effect from "effect/Effect"
import { applyInput, compact, inputFields, matchesFilterParam, parseSort, sortDocs } from "../Docs.ts"
import { listPage, pageOf, readPage } from "../Paging.ts"
import {
  accepted,
  badRequest,
  created,
  invalidFields,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import type { CollectionDoc, ContentEntry, Doc, EmulatorState } from "../State.ts"
import {
  indexedRecords,
  indexedView,
  indexWrite,
  newId,
  presentAssetElastic,
  requireRecord,
  softDelete,
  stamp
} from "./Common.ts"

const base = "/API/assets/v1"

const collectionReadOnly = [
  "id",
  "created_by_user",
  "date_created",
  "date_modified",
  "date_deleted",
  "deleted_by_user",
  "in_collections",
  "parents",
  "object_type",
  "permissions",
  "custom_order_status"
]

export const requireCollection = (context: RouteContext, id: string = param(context, "collection_id")) =>
  requireRecord(context.state.collections, id, "Collection")

/** Parents from the nearest up to the root, following `parent_id`. */
const parentChain = (state: EmulatorState, collection: CollectionDoc): Array<CollectionDoc> => {
  const chain: Array<CollectionDoc> = []
  const seen = new Set<string>([collection.id])
  let current = collection.parent_id === undefined ? undefined : state.collections.get(collection.parent_id)
  while (current !== undefined && !seen.has(current.id)) {
    chain.push(current)
    seen.add(current.id)
    current = current.parent_id === undefined ? undefined : state.collections.get(current.parent_id)
  }
  return chain
}

export const presentCollection = (state: EmulatorState, collection: CollectionDoc): Doc => ({
  ...collection,
  is_root: collection.parent_id === undefined,
  in_collections: state.collectionsContaining(collection.id),
  parents: parentChain(state, collection).map((parent) => parent.id),
  custom_order_status: "DISABLED",
  permissions: ["read", "write", "delete", "change-acl"]
})

export const presentCollectionElastic = (state: EmulatorState, collection: CollectionDoc): Doc => ({
  ...presentCollection(state, collection),
  object_type: "collections",
  ancestor_collections: state.ancestorsOf(collection.id)
})

/** Adds an object to a collection's contents (idempotent). */
export const addToCollection = (
  context: RouteContext,
  collection: CollectionDoc,
  objectType: ContentEntry["object_type"],
  objectId: string
): void => {
  const entries = context.state.contents.get(collection.id) ?? []
  if (!entries.some((entry) => entry.object_id === objectId)) {
    const entry: ContentEntry = { object_id: objectId, object_type: objectType, date_created: stamp(context) }
    entries.push(entry)
    // The membership is indexed like a new document.
    indexWrite(context, `contents:${collection.id}`, objectId, undefined, { ...entry })
  }
  context.state.contents.set(collection.id, entries)
}

const removeFromCollection = (context: RouteContext, collectionId: string, objectId: string): boolean => {
  const entries = context.state.contents.get(collectionId) ?? []
  const removed = entries.find((entry) => entry.object_id === objectId)
  if (removed === undefined) return false
  context.state.contents.set(collectionId, entries.filter((entry) => entry !== removed))
  indexWrite(context, `contents:${collectionId}`, objectId, { ...removed }, undefined)
  return true
}

/** Removes a collection, its subcollections and their memberships (assets stay). */
export const purgeCollection = (state: EmulatorState, collectionId: string): void => {
  for (const entry of state.contents.get(collectionId) ?? []) {
    const child = state.collections.get(entry.object_id)
    if (entry.object_type === "collections" && child?.parent_id === collectionId) purgeCollection(state, child.id)
  }
  state.collections.delete(collectionId)
  state.contents.delete(collectionId)
  for (const [key, entries] of state.contents) {
    state.contents.set(key, entries.filter((entry) => entry.object_id !== collectionId))
  }
  for (const key of [...state.values.keys()]) if (key.endsWith(`/${collectionId}`)) state.values.delete(key)
}

const listCollections = Effect.fnUntraced(function*(context: RouteContext) {
  const isRoot = yield* context.query.bool("is_root")
  const statuses = context.query.list("status") ?? ["ACTIVE", "HIDDEN"]
  const collections = indexedRecords(context, "collections", context.state.collections).filter((collection) =>
    statuses.includes(collection.status) &&
    (isRoot === undefined || (collection.parent_id === undefined) === isRoot)
  )
  const sorted = sortDocs(collections, parseSort(context.query.string("sort") ?? "date_created,desc"))
  return ok(yield* listPage(context, sorted.map((collection) => presentCollectionElastic(context.state, collection))))
})

const createCollection = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const parentId = typeof body.parent_id === "string" ? body.parent_id : undefined
  const parent = parentId === undefined ? undefined : yield* requireCollection(context, parentId)
  const now = stamp(context)
  const collection: CollectionDoc = compact({
    ...inputFields(body, [...collectionReadOnly, "is_root"]),
    id: newId(context),
    title: String(body.title),
    status: typeof body.status === "string" ? body.status : "ACTIVE",
    created_by_user: context.user.id,
    date_created: typeof body.date_created === "string" ? body.date_created : now,
    date_modified: now
  })
  context.state.collections.set(collection.id, collection)
  if (parent !== undefined) addToCollection(context, parent, "collections", collection.id)
  return created(presentCollection(context.state, collection))
})

const getCollection = Effect.fnUntraced(function*(context: RouteContext) {
  return ok(presentCollection(context.state, yield* requireCollection(context)))
})

const updateCollection = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const body = (context.body ?? {}) as Doc
  if ("parent_id" in body && body.parent_id !== collection.parent_id) {
    const parentId = typeof body.parent_id === "string" ? body.parent_id : undefined
    if (parentId === collection.id) return yield* badRequest("A collection can't be its own parent")
    const parent = parentId === undefined ? undefined : yield* requireCollection(context, parentId)
    if (collection.parent_id !== undefined) removeFromCollection(context, collection.parent_id, collection.id)
    if (parent !== undefined) addToCollection(context, parent, "collections", collection.id)
  }
  applyInput(collection, body, [...collectionReadOnly, "is_root"])
  collection.date_modified = stamp(context)
  return ok(presentCollection(context.state, collection))
})

const deleteCollection = Effect.fnUntraced(function*(context: RouteContext) {
  softDelete(context, yield* requireCollection(context))
  return accepted()
})

const purgeCollectionNow = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  purgeCollection(context.state, collection.id)
  return accepted()
})

const restoreCollection = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  collection.status = "ACTIVE"
  delete collection.date_deleted
  delete collection.deleted_by_user
  return created()
})

/**
 * The collection's members as list documents, in the order they were added, hiding deleted ones. Memberships and
 * members are read as the index sees them (a member added or removed within the index delay is not yet).
 */
const memberDocs = (context: RouteContext, collection: CollectionDoc): Array<Doc> => {
  const out: Array<Doc> = []
  const live = new Map((context.state.contents.get(collection.id) ?? []).map((entry) => [entry.object_id, { ...entry }]))
  const entries = indexedRecords(context, `contents:${collection.id}`, live) as Array<Doc & ContentEntry>
  for (const [position, entry] of entries.entries()) {
    if (entry.object_type === "assets") {
      const asset = indexedView(context, "assets", entry.object_id, context.state.assets.get(entry.object_id))
      if (asset !== undefined && asset.status !== "DELETED") {
        out.push({ ...presentAssetElastic(context.state, asset), position, date_added: entry.date_created })
      }
    } else {
      const child = indexedView(context, "collections", entry.object_id, context.state.collections.get(entry.object_id))
      if (child !== undefined && child.status !== "DELETED") {
        out.push({ ...presentCollectionElastic(context.state, child), position, date_added: entry.date_created })
      }
    }
  }
  return out
}

const listContents = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  // `content_types` is what some clients send (the spec says `object_types`).
  const types = context.query.list("object_types") ?? context.query.list("content_types")
  const ids = context.query.list("object_ids")
  const externalId = context.query.string("external_id")
  const filter = context.query.string("filter")
  const members = memberDocs(context, collection).filter((doc) =>
    (types === undefined || types.includes(String(doc.object_type))) &&
    (ids === undefined || ids.includes(String(doc.id))) &&
    (externalId === undefined || doc.external_id === externalId) &&
    matchesFilterParam(doc, filter)
  )
  const sorted = sortDocs(members, parseSort(context.query.string("sort")))
  return ok(yield* pageOf(context, sorted, yield* readPage(context.query)))
})

const addContent = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const body = context.body as Doc
  const objectId = String(body.object_id)
  const objectType = String(body.object_type)
  if (objectType === "assets") {
    if (!context.state.assets.has(objectId)) return yield* notFound("Asset")
  } else if (objectType === "collections") {
    if (!context.state.collections.has(objectId)) return yield* notFound("Collection")
    if (objectId === collection.id) return yield* badRequest("A collection can't contain itself")
  } else {
    return yield* badRequest(`Unsupported object_type ${objectType}`)
  }
  addToCollection(context, collection, objectType, objectId)
  return created()
})

/** Makes the collection the body names a subcollection (its parent changes); answers the subcollection, 201. */
const addSubcollection = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const body = context.body as Doc
  if (body.object_type !== "collections") return yield* invalidFields({ object_type: "Must be collections." })
  const child = yield* requireCollection(context, String(body.object_id))
  if (child.id === collection.id) return yield* badRequest("A collection can't contain itself")
  if (child.parent_id !== undefined && child.parent_id !== collection.id) removeFromCollection(context, child.parent_id, child.id)
  child.parent_id = collection.id
  child.date_modified = stamp(context)
  addToCollection(context, collection, "collections", child.id)
  return created(presentCollection(context.state, child))
})

const removeContent = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const objectId = param(context, "object_id")
  if (!removeFromCollection(context, collection.id, objectId)) return yield* notFound("Collection content")
  const child = context.state.collections.get(objectId)
  if (child?.parent_id === collection.id) delete child.parent_id
  return noContent
})

const fullPath = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const titles = [...parentChain(context.state, collection)].reverse().concat(collection).map((c) => c.title)
  // The upload path is used as a storage directory: no slashes inside a title.
  const parts = context.query.flag("get_upload_path") ? titles.map((title) => title.replace(/\//g, "_")) : titles
  return ok(parts.join("/"))
})

const contentInfo = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const members = memberDocs(context, collection)
  let totalSize = 0
  let duration = 0
  for (const member of members) {
    if (member.object_type !== "assets") continue
    for (const file of context.state.files.values()) {
      if (file.asset_id === member.id && typeof file.size === "number") totalSize += file.size
    }
    if (typeof member.time_end_milliseconds === "number") duration += member.time_end_milliseconds
  }
  return ok({
    title: collection.title,
    assets_count: members.filter((m) => m.object_type === "assets").length,
    collections_count: members.filter((m) => m.object_type === "collections").length,
    total_size: totalSize,
    total_duration_milliseconds: duration,
    storage_info: []
  })
})

const listAncestors = Effect.fnUntraced(function*(context: RouteContext) {
  const collection = yield* requireCollection(context)
  const chain = parentChain(context.state, collection).map((c) => presentCollectionElastic(context.state, c))
  return ok(yield* pageOf(context, chain, { page: 1, perPage: Math.max(1, chain.length) }))
})

export const collectionRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/collections/`, listCollections),
  route("POST", `${base}/collections/`, createCollection),
  route("GET", `${base}/collections/{collection_id}/`, getCollection),
  route("PUT", `${base}/collections/{collection_id}/`, updateCollection),
  route("PATCH", `${base}/collections/{collection_id}/`, updateCollection),
  route("DELETE", `${base}/collections/{collection_id}/`, deleteCollection),
  route("DELETE", `${base}/collections/{collection_id}/purge/`, purgeCollectionNow),
  route("PUT", `${base}/collections/{collection_id}/restore/`, restoreCollection),
  route("GET", `${base}/collections/{collection_id}/contents/`, listContents),
  route("POST", `${base}/collections/{collection_id}/contents/`, addContent),
  route("POST", `${base}/collections/{collection_id}/subcollections/`, addSubcollection),
  route("DELETE", `${base}/collections/{collection_id}/contents/{object_type}/{object_id}/`, removeContent),
  route("GET", `${base}/collections/{collection_id}/full/path/`, fullPath),
  route("GET", `${base}/collections/{collection_id}/content/info/`, contentInfo),
  route("GET", `${base}/collections/{collection_id}/ancestors/`, listAncestors)
]
