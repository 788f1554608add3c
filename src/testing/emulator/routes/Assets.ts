/**
 * The assets service's assets: CRUD (create answers with `versions[0]`), versions (create 200 with all versions,
 * promote 204, delete, delete old), segments (CRUD, bulk, filtered lists), history, and the delete queue.
 */
import * as Effect from "effect/Effect"
import { applyInput, compact, inputFields, parseSort, sortDocs } from "../Docs.ts"
import { isUuid } from "../Ids.ts"
import { listPage } from "../Paging.ts"
import {
  accepted,
  badRequest,
  conflict,
  created,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext,
  status
} from "../Route.ts"
import type { AssetDoc, CollectionDoc, Doc, EmulatorState, HistoryDoc, SegmentDoc, VersionDoc } from "../State.ts"
import { addToCollection, purgeCollection } from "./Collections.ts"
import {
  currentVersionId,
  indexedRecords,
  indexWrite,
  newId,
  presentAsset,
  presentAssetElastic,
  requireAsset,
  requireRecord,
  softDelete,
  stamp
} from "./Common.ts"
import { copyVersionMedia } from "./Formats.ts"

const base = "/API/assets/v1"

const assetReadOnly = ["id", "versions", "in_collections", "created_by_user", "date_imported", "collection_id"]

const newVersion = (context: RouteContext, versionNumber: number): VersionDoc => ({
  id: newId(context),
  version_number: versionNumber,
  status: "ACTIVE",
  date_created: stamp(context),
  created_by_user: context.user.id,
  analyze_status: "N/A",
  archive_status: "NOT_ARCHIVED",
  face_recognition_status: "N/A",
  transcribe_status: "N/A",
  is_online: true,
  has_unconfirmed_persons: false,
  person_ids: [],
  transcribed_languages: []
})

/** Removes an asset and everything hanging off it. */
export const purgeAsset = (state: EmulatorState, assetId: string): void => {
  state.assets.delete(assetId)
  for (const [id, segment] of state.segments) if (segment.asset_id === assetId) state.segments.delete(id)
  for (const [id, entry] of state.history) if (entry.asset_id === assetId) state.history.delete(id)
  for (const map of [state.formats, state.fileSets, state.files, state.proxies, state.keyframes]) {
    for (const [id, record] of map as Map<string, Doc>) {
      if (record.asset_id === assetId) {
        map.delete(id)
        state.locations.delete(id)
      }
    }
  }
  for (const [key, entries] of state.contents) {
    state.contents.set(key, entries.filter((entry) => entry.object_id !== assetId))
  }
  for (const key of [...state.values.keys()]) if (key.endsWith(`/${assetId}`)) state.values.delete(key)
}

// ---------------------------------------------------------------------------------------------------------------
// Assets

const listAssets = (context: RouteContext) => {
  const assets = indexedRecords(context, "assets", context.state.assets).filter((asset) => asset.status !== "DELETED")
  const sorted = sortDocs(assets, parseSort(context.query.string("sort") ?? "date_created,desc"))
  return listPage(context, sorted.map((asset) => presentAssetElastic(context.state, asset)))
}

const createAsset = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const collectionId = typeof body.collection_id === "string" ? body.collection_id : undefined
  let collection: CollectionDoc | undefined
  if (collectionId !== undefined) {
    collection = context.state.collections.get(collectionId)
    if (collection === undefined) return yield* notFound("Collection")
  }
  const now = stamp(context)
  const asset: AssetDoc = compact({
    type: "ASSET",
    archive_status: "NOT_ARCHIVED",
    analyze_status: "N/A",
    face_recognition_status: "N/A",
    is_online: true,
    is_blocked: false,
    ...inputFields(body, assetReadOnly),
    id: newId(context),
    title: String(body.title),
    status: typeof body.status === "string" ? body.status : "ACTIVE",
    created_by_user: context.user.id,
    date_created: typeof body.date_created === "string" ? body.date_created : now,
    date_modified: now,
    date_imported: now,
    versions: []
  })
  asset.versions.push(newVersion(context, 1))
  context.state.assets.set(asset.id, asset)
  if (collection !== undefined) addToCollection(context, collection, "assets", asset.id)
  return created(presentAsset(context.state, asset))
})

const getAsset = (context: RouteContext) =>
  Effect.map(requireAsset(context), (asset) => ok(presentAsset(context.state, asset)))

const updateAsset = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  applyInput(asset, context.body, assetReadOnly)
  asset.date_modified = stamp(context)
  asset.updated_by_user = context.user.id
  return ok(presentAsset(context.state, asset))
})

const deleteAsset = Effect.fnUntraced(function*(context: RouteContext) {
  softDelete(context, yield* requireAsset(context))
  return noContent
})

const purgeAssetNow = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  purgeAsset(context.state, asset.id)
  return noContent
})

const restoreAsset = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  asset.status = "ACTIVE"
  delete asset.date_deleted
  delete asset.deleted_by_user
  return noContent
})

// ---------------------------------------------------------------------------------------------------------------
// Versions

const versionsAnswer = (context: RouteContext, asset: AssetDoc) => ({
  asset_id: asset.id,
  system_domain_id: context.state.systemDomainId,
  versions: asset.versions.map((version) => ({ ...version }))
})

const requireVersion = (context: RouteContext, asset: AssetDoc) =>
  Effect.suspend(() => {
    const version = asset.versions.find((v) => v.id === param(context, "version_id"))
    return version === undefined ? Effect.fail(notFound("Asset version")) : Effect.succeed(version)
  })

/** Copies the segments of one version to another (all, or those of the listed types). */
const copySegments = (
  context: RouteContext,
  assetId: string,
  fromVersionId: string,
  toVersionId: string,
  types: ReadonlyArray<string> | undefined
): void => {
  for (const segment of [...context.state.segments.values()]) {
    if (segment.asset_id !== assetId || segment.version_id !== fromVersionId) continue
    if (types !== undefined && !types.includes(segment.segment_type)) continue
    const copy: SegmentDoc = { ...segment, id: newId(context), version_id: toVersionId, date_created: stamp(context) }
    context.state.segments.set(copy.id, copy)
  }
}

const segmentTypes = (body: Doc): ReadonlyArray<string> | undefined =>
  Array.isArray(body.include_segment_types) ? (body.include_segment_types as Array<string>) : undefined

/** Adds a new current version to the asset. */
const addVersion = (context: RouteContext, asset: AssetDoc): VersionDoc => {
  const next = Math.max(0, ...asset.versions.map((v) => v.version_number)) + 1
  const version = newVersion(context, next)
  // The new version becomes the current one: versions are kept current first.
  asset.versions.unshift(version)
  asset.date_modified = stamp(context)
  return version
}

const createVersion = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = (context.body ?? {}) as Doc
  const sourceId = typeof body.source_version_id === "string" ? body.source_version_id : currentVersionId(asset)
  if (sourceId !== undefined && !asset.versions.some((v) => v.id === sourceId)) return yield* notFound("Source version")
  const version = addVersion(context, asset)
  if (body.copy_segments === true && sourceId !== undefined) {
    copySegments(context, asset.id, sourceId, version.id, segmentTypes(body))
  }
  return ok(versionsAnswer(context, asset))
})

/** Whether a transcode of the asset is still running (Iconik refuses to take a version from it: 409). */
const isTranscoding = (state: EmulatorState, assetId: string): boolean =>
  [...state.jobs.values()].some((job) =>
    job.type === "TRANSCODE" && job.object_id === assetId && (job.status === "READY" || job.status === "STARTED")
  )

/**
 * A new current version of the asset holding the source asset's current media (formats, file sets, files, proxies,
 * keyframes: copied records on the same stored objects). 202 without a body, done at once.
 */
const versionFromAsset = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const source = yield* requireAsset(context, param(context, "source_asset_id"))
  if (isTranscoding(context.state, source.id)) return yield* conflict("The source asset is being transcoded")
  const body = (context.body ?? {}) as Doc
  const previous = currentVersionId(asset)
  const version = addVersion(context, asset)
  const sourceVersion = currentVersionId(source)
  if (sourceVersion !== undefined) copyVersionMedia(context, source.id, sourceVersion, asset.id, version.id, [])
  if (body.copy_previous_version_segments === true && previous !== undefined) {
    copySegments(context, asset.id, previous, version.id, segmentTypes(body))
  }
  return accepted()
})

/** A new current version holding a copy of another version's media (less `exclude_format_ids`). 202, done at once. */
const versionFromVersion = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const sourceId = param(context, "source_version_id")
  if (!asset.versions.some((v) => v.id === sourceId)) return yield* notFound("Source version")
  const body = (context.body ?? {}) as Doc
  const excluded = Array.isArray(body.exclude_format_ids) ? (body.exclude_format_ids as Array<string>) : []
  const version = addVersion(context, asset)
  copyVersionMedia(context, asset.id, sourceId, asset.id, version.id, excluded)
  if (body.copy_previous_version_segments === true) copySegments(context, asset.id, sourceId, version.id, segmentTypes(body))
  return accepted()
})

const updateVersion = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const version = yield* requireVersion(context, asset)
  applyInput(version, context.body, ["id", "version_number", "date_created", "created_by_user"])
  return ok({ ...version })
})

const deleteVersion = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const version = yield* requireVersion(context, asset)
  const remaining = asset.versions.filter((v) => v.id !== version.id && v.status !== "DELETED")
  if (remaining.length === 0) return yield* badRequest("Can't delete the last version of an asset")
  if (context.query.flag("hard_delete")) asset.versions = asset.versions.filter((v) => v.id !== version.id)
  else {
    version.status = "DELETED"
    // A deleted version stops being the current one.
    asset.versions = [...asset.versions.filter((v) => v.id !== version.id), version]
  }
  return noContent
})

const promoteVersion = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const version = yield* requireVersion(context, asset)
  version.status = "ACTIVE"
  asset.versions = [version, ...asset.versions.filter((v) => v.id !== version.id)]
  asset.date_modified = stamp(context)
  return noContent
})

const deleteOldVersions = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  asset.versions = asset.versions.slice(0, 1)
  return noContent
})

// ---------------------------------------------------------------------------------------------------------------
// Segments

const segmentReadOnly = ["id", "asset_id", "date_created", "date_modified", "user_id", "subclip_id", "has_drawing"]

export const requireSegment = (context: RouteContext, asset: AssetDoc) =>
  requireRecord(context.state.segments, param(context, "segment_id"), "Segment", asset.id)

const makeSegment = (context: RouteContext, asset: AssetDoc, body: Doc): SegmentDoc => {
  const now = stamp(context)
  const parentId = typeof body.parent_id === "string" ? body.parent_id : undefined
  return compact({
    status: "ACTIVE",
    ...inputFields(body, segmentReadOnly),
    id: newId(context),
    asset_id: asset.id,
    segment_type: String(body.segment_type),
    version_id: typeof body.version_id === "string" ? body.version_id : currentVersionId(asset),
    user_id: context.user.id,
    user_first_name: context.user.first_name,
    user_last_name: context.user.last_name,
    top_level: parentId === undefined,
    has_drawing: body.drawing !== undefined && body.drawing !== null,
    date_created: now,
    date_modified: now
  })
}

const segmentFilters = Effect.fnUntraced(function*(context: RouteContext) {
  const q = context.query
  const gte = yield* q.int("time_start_milliseconds__gte")
  const lte = yield* q.int("time_end_milliseconds__lte")
  const start = yield* q.int("time_start_milliseconds")
  const end = yield* q.int("time_end_milliseconds")
  const types = q.list("segment_type") ?? (context.params.segment_type ? [context.params.segment_type] : undefined)
  const ids = q.list("ids")
  const statuses = q.list("status") ?? ["ACTIVE"]
  const versionId = q.string("version_id")
  const text = q.string("query")?.toLowerCase()
  const colors = q.list("segment_color")
  const num = (value: unknown) => (typeof value === "number" ? value : undefined)
  return (segment: SegmentDoc): boolean =>
    (types === undefined || types.includes(segment.segment_type)) &&
    (ids === undefined || ids.includes(segment.id)) &&
    statuses.includes(segment.status) &&
    (versionId === undefined || segment.version_id === versionId) &&
    (colors === undefined || colors.includes(String(segment.segment_color))) &&
    (text === undefined || String(segment.segment_text ?? "").toLowerCase().includes(text)) &&
    (gte === undefined || (num(segment.time_start_milliseconds) ?? -Infinity) >= gte) &&
    (lte === undefined || (num(segment.time_end_milliseconds) ?? Infinity) <= lte) &&
    (start === undefined || segment.time_start_milliseconds === start) &&
    (end === undefined || segment.time_end_milliseconds === end)
})

const listSegments = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const keep = yield* segmentFilters(context)
  const segments = indexedRecords(context, "segments", context.state.segments).filter((segment) =>
    segment.asset_id === asset.id && keep(segment)
  )
  const sorted = sortDocs(segments, parseSort(context.query.string("sort") ?? "time_start_milliseconds,asc;date_created,asc"))
  return ok(yield* listPage(context, sorted.map((segment) => ({ ...segment }))))
})

const createSegment = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const segment = makeSegment(context, asset, context.body as Doc)
  context.state.segments.set(segment.id, segment)
  return created({ ...segment })
})

const getSegment = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  return ok({ ...(yield* requireSegment(context, asset)) })
})

const updateSegment = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const segment = yield* requireSegment(context, asset)
  applyInput(segment, context.body, [...segmentReadOnly, "parent_id", "path", "top_level"])
  segment.date_modified = stamp(context)
  return ok({ ...segment })
})

const deleteSegment = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const segment = yield* requireSegment(context, asset)
  if (context.query.flag("soft_delete")) segment.status = "DELETED"
  else context.state.segments.delete(segment.id)
  return noContent
})

const createSegmentsBulk = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const objects = ((context.body as Doc).objects ?? []) as Array<Doc>
  for (const body of objects) {
    const segment = makeSegment(context, asset, body)
    context.state.segments.set(segment.id, segment)
    indexWrite(context, "segments", segment.id, undefined, segment)
  }
  return created()
})

const updateSegmentsBulk = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const objects = ((context.body as Doc).objects ?? []) as Array<Doc>
  for (const body of objects) {
    const segment = typeof body.id === "string" ? context.state.segments.get(body.id) : undefined
    if (segment === undefined || segment.asset_id !== asset.id) return yield* notFound(`Segment ${String(body.id)}`)
    const before = structuredClone(segment)
    applyInput(segment, body, [...segmentReadOnly, "parent_id", "path", "top_level"])
    segment.date_modified = stamp(context)
    indexWrite(context, "segments", segment.id, before, segment)
  }
  return created()
})

const deleteSegmentsBulk = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = (context.body ?? {}) as Doc
  const ids = Array.isArray(body.segment_ids) ? (body.segment_ids as Array<string>) : undefined
  const type = typeof body.segment_type === "string" ? body.segment_type : undefined
  const versionId = typeof body.version_id === "string" ? body.version_id : undefined
  if (ids === undefined && type === undefined) return yield* badRequest("Either segment_ids or segment_type is required")
  for (const [id, segment] of context.state.segments) {
    if (segment.asset_id !== asset.id) continue
    if (ids !== undefined && !ids.includes(id)) continue
    if (type !== undefined && segment.segment_type !== type) continue
    if (versionId !== undefined && segment.version_id !== versionId) continue
    context.state.segments.delete(id)
    indexWrite(context, "segments", id, segment, undefined)
  }
  return noContent
})

// ---------------------------------------------------------------------------------------------------------------
// History

const historyReadOnly = ["id", "asset_id", "date_created", "date_modified", "user_id", "system_domain_id", "version_id"]

const requireHistory = (context: RouteContext, asset: AssetDoc) =>
  requireRecord(context.state.history, param(context, "history_entity_id"), "Asset history entity", asset.id)

const listHistory = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const entries = indexedRecords(context, "history", context.state.history).filter((entry) => entry.asset_id === asset.id)
  const sorted = sortDocs(entries, parseSort(context.query.string("sort") ?? "date_created,desc"))
  return ok(yield* listPage(context, sorted.map((entry) => ({ ...entry }))))
})

const createHistory = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const now = stamp(context)
  const entry: HistoryDoc = compact({
    ...inputFields(context.body, historyReadOnly),
    id: newId(context),
    asset_id: asset.id,
    operation_type: String((context.body as Doc).operation_type),
    user_id: context.user.id,
    system_domain_id: context.state.systemDomainId,
    version_id: currentVersionId(asset),
    date_created: now,
    date_modified: now
  })
  context.state.history.set(entry.id, entry)
  return created({ ...entry })
})

const getHistory = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  return ok({ ...(yield* requireHistory(context, asset)) })
})

/** Declared 201 with the deleted entry. */
const deleteHistory = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const entry = yield* requireHistory(context, asset)
  context.state.history.delete(entry.id)
  return status(201, { ...entry })
})

// ---------------------------------------------------------------------------------------------------------------
// Delete queue

const idsOf = (body: unknown): Array<string> => {
  const ids = (body as Doc | undefined)?.ids
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : []
}

const deletedAssets = (state: EmulatorState) => [...state.assets.values()].filter((asset) => asset.status === "DELETED")
const deletedCollections = (state: EmulatorState) =>
  [...state.collections.values()].filter((collection) => collection.status === "DELETED")
/** The delete queue as its (index-backed) lists see it. */
const listedDeleted = <A extends AssetDoc | CollectionDoc>(
  context: RouteContext,
  kind: "assets" | "collections",
  live: ReadonlyMap<string, A>
) => indexedRecords(context, kind, live).filter((doc) => doc.status === "DELETED")

const listDeletedAssets = (context: RouteContext) =>
  Effect.map(
    listPage(
      context,
      sortDocs(listedDeleted(context, "assets", context.state.assets), parseSort(context.query.string("sort") ?? "date_deleted,desc")).map(
        (asset) => presentAssetElastic(context.state, asset)
      )
    ),
    ok
  )

const queueAssets = (context: RouteContext, action: (asset: AssetDoc) => void) =>
  Effect.suspend(() => {
    for (const id of idsOf(context.body)) {
      const asset = context.state.assets.get(id)
      if (asset !== undefined) action(asset)
    }
    return Effect.succeed(noContent)
  })

const restore = (doc: AssetDoc | CollectionDoc) => {
  doc.status = "ACTIVE"
  delete doc.date_deleted
  delete doc.deleted_by_user
}

const queueCollections = (context: RouteContext, action: (collection: CollectionDoc) => void, code: number) =>
  Effect.suspend(() => {
    for (const id of idsOf(context.body)) {
      const collection = context.state.collections.get(id)
      if (collection !== undefined) action(collection)
    }
    return Effect.succeed(status(code))
  })

const bulkDelete = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const ids = (body.object_ids ?? []) as Array<string>
  const contentOnly = body.content_only !== false
  switch (body.object_type) {
    case "assets":
      for (const id of ids) {
        const asset = context.state.assets.get(id)
        if (asset !== undefined) softDelete(context, asset)
      }
      break
    case "collections":
      for (const id of ids) {
        const collection = context.state.collections.get(id)
        if (collection === undefined) continue
        for (const entry of context.state.contents.get(id) ?? []) {
          if (entry.object_type !== "assets") continue
          const asset = context.state.assets.get(entry.object_id)
          if (asset !== undefined) softDelete(context, asset)
        }
        if (!contentOnly) softDelete(context, collection)
      }
      break
    default:
      return yield* badRequest(`Bulk delete of ${String(body.object_type)} is not emulated`)
  }
  return accepted()
})

const purgeAll = (context: RouteContext, which: "assets" | "collections" | "both") =>
  Effect.sync(() => {
    if (which !== "collections") for (const asset of deletedAssets(context.state)) purgeAsset(context.state, asset.id)
    if (which !== "assets") {
      for (const collection of deletedCollections(context.state)) purgeCollection(context.state, collection.id)
    }
    return noContent
  })

const listDeletedCollections = (context: RouteContext) =>
  Effect.map(
    listPage(
      context,
      sortDocs(listedDeleted(context, "collections", context.state.collections), parseSort(context.query.string("sort") ?? "date_deleted,desc")).map(
        (collection) => ({ ...collection, object_type: "collections" })
      )
    ),
    ok
  )

export const assetRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/assets/`, (c) => Effect.map(listAssets(c), ok)),
  route("POST", `${base}/assets/`, createAsset),
  route("GET", `${base}/assets/{asset_id}/`, getAsset),
  route("PUT", `${base}/assets/{asset_id}/`, updateAsset),
  route("PATCH", `${base}/assets/{asset_id}/`, updateAsset),
  route("DELETE", `${base}/assets/{asset_id}/`, deleteAsset),
  route("DELETE", `${base}/assets/{asset_id}/purge/`, purgeAssetNow),
  route("PUT", `${base}/assets/{asset_id}/restore/`, restoreAsset),

  route("POST", `${base}/assets/{asset_id}/versions/`, createVersion),
  route("POST", `${base}/assets/{asset_id}/versions/from/assets/{source_asset_id}/`, versionFromAsset),
  route("POST", `${base}/assets/{asset_id}/versions/from/versions/{source_version_id}/`, versionFromVersion),
  route("PUT", `${base}/assets/{asset_id}/versions/{version_id}/`, updateVersion),
  route("PATCH", `${base}/assets/{asset_id}/versions/{version_id}/`, updateVersion),
  route("DELETE", `${base}/assets/{asset_id}/versions/{version_id}/`, deleteVersion),
  route("PUT", `${base}/assets/{asset_id}/versions/{version_id}/promote/`, promoteVersion),
  route("DELETE", `${base}/assets/{asset_id}/versions/old/`, deleteOldVersions),

  route("GET", `${base}/assets/{asset_id}/segments/`, listSegments),
  route("POST", `${base}/assets/{asset_id}/segments/`, createSegment),
  route("POST", `${base}/assets/{asset_id}/segments/bulk/`, createSegmentsBulk),
  route("PUT", `${base}/assets/{asset_id}/segments/bulk/`, updateSegmentsBulk),
  route("DELETE", `${base}/assets/{asset_id}/segments/bulk/`, deleteSegmentsBulk),
  route("GET", `${base}/assets/{asset_id}/segments/{segment_id}/`, getSegment, { accepts: (p) => isUuid(p.segment_id!) }),
  route("PUT", `${base}/assets/{asset_id}/segments/{segment_id}/`, updateSegment),
  route("PATCH", `${base}/assets/{asset_id}/segments/{segment_id}/`, updateSegment),
  route("DELETE", `${base}/assets/{asset_id}/segments/{segment_id}/`, deleteSegment),
  route("GET", `${base}/assets/{asset_id}/segments/{segment_type}/`, listSegments, {
    accepts: (p) => !isUuid(p.segment_type!)
  }),

  route("GET", `${base}/assets/{asset_id}/history/`, listHistory),
  route("POST", `${base}/assets/{asset_id}/history/`, createHistory),
  route("GET", `${base}/assets/{asset_id}/history/{history_entity_id}/`, getHistory),
  route("DELETE", `${base}/assets/{asset_id}/history/{history_entity_id}/`, deleteHistory),

  route("GET", `${base}/delete_queue/assets/`, listDeletedAssets),
  route("POST", `${base}/delete_queue/assets/`, (c) => queueAssets(c, (a) => softDelete(c, a))),
  route("DELETE", `${base}/delete_queue/assets/`, (c) => queueAssets(c, restore)),
  route("POST", `${base}/delete_queue/assets/purge/`, (c) =>
    queueAssets(c, (a) => {
      if (a.status === "DELETED") purgeAsset(c.state, a.id)
    })),
  route("POST", `${base}/delete_queue/assets/purge/all/`, (c) => purgeAll(c, "assets")),
  route("POST", `${base}/delete_queue/assets/restore/all/`, (c) =>
    Effect.sync(() => {
      for (const asset of deletedAssets(c.state)) restore(asset)
      return noContent
    })),
  route("POST", `${base}/delete_queue/bulk/`, bulkDelete),
  route("GET", `${base}/delete_queue/collections/`, listDeletedCollections),
  route("POST", `${base}/delete_queue/collections/`, (c) => queueCollections(c, (x) => softDelete(c, x), 201)),
  route("DELETE", `${base}/delete_queue/collections/`, (c) => queueCollections(c, restore, 201)),
  route("POST", `${base}/delete_queue/collections/purge/`, (c) =>
    queueCollections(c, (x) => {
      if (x.status === "DELETED") purgeCollection(c.state, x.id)
    }, 201)),
  route("POST", `${base}/delete_queue/collections/purge/all/`, (c) => purgeAll(c, "collections")),
  route("POST", `${base}/delete_queue/collections/restore/all/`, (c) =>
    Effect.sync(() => {
      for (const collection of deletedCollections(c.state)) restore(collection)
      return noContent
    })),
  route("POST", `${base}/delete_queue/purge/all/`, (c) => purgeAll(c, "both"))
]
