/**
 * The files service's formats (+ components) and file sets of an asset, their version filtering, the delete queues
 * that deletes without `immediately` feed, and copies of a version's media (versions made from another asset or
 * version).
 */
import * as Effect from "effect/Effect"
import { answeredAsNull, applyInput, compact, inputFields, parseSort, sortDocs, withNulls } from "../Docs.ts"
import { isUuid } from "../Ids.ts"
import { lastIdPage, listPage } from "../Paging.ts"
import {
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
import type {
  AssetDoc,
  Doc,
  EmulatorState,
  FileSetDoc,
  FormatDoc
} from "../State.ts"
import {
  currentVersionId,
  newId,
  requireAsset,
  requireRecord,
  softDelete,
  stamp,
  filesBase as base,
  filesAssetPath as assetPath,
  filesVersionPath as versionPath
} from "./Common.ts"
import { defaultStorage } from "./Storages.ts"


// ---------------------------------------------------------------------------------------------------------------
// Records of an asset: version filtering shared by every list

/** Records of the asset's current version, of one version, or (`include_all_versions`) of all. */
export const ofVersion = <A extends Doc>(context: RouteContext, asset: AssetDoc, records: Iterable<A>): Array<A> => {
  const versionId = context.params.version_id
  const all = versionId === undefined && context.query.flag("include_all_versions")
  const wanted = versionId ?? currentVersionId(asset)
  return [...records].filter((record) =>
    record.asset_id === asset.id && (all || record.version_id === undefined || record.version_id === wanted)
  )
}

export const requireVersion = (context: RouteContext, asset: AssetDoc) =>
  Effect.suspend(() =>
    context.params.version_id === undefined || asset.versions.some((v) => v.id === context.params.version_id)
      ? Effect.void
      : Effect.fail(notFound("Asset version"))
  )

// ---------------------------------------------------------------------------------------------------------------
// Formats

export const requireFormat = (context: RouteContext, asset: AssetDoc, id: string = param(context, "format_id")) =>
  requireRecord(context.state.formats, id, "Format", asset.id)

/** A component as Iconik answers it: `metadata` is `{}` when the caller sent none. */
const makeComponent = (context: RouteContext, input: Doc): Doc =>
  compact({ metadata: {}, ...inputFields(input, ["id"]), id: newId(context) })

const listFormats = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  yield* requireVersion(context, asset)
  const formats = ofVersion(context, asset, context.state.formats.values()).filter((format) => format.status !== "DELETED")
  return ok(yield* lastIdPage(context, formats.map(presentFormat)))
})

const createFormat = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = context.body as Doc
  const now = stamp(context)
  const components = Array.isArray(body.components) ? (body.components as Array<Doc>) : []
  const format: FormatDoc = compact({
    archive_status: "NOT_ARCHIVED",
    is_online: true,
    metadata: [],
    storage_methods: [],
    ...inputFields(body, ["id", "asset_id", "date_created", "date_modified", "deleted_by_user", "warnings", "components"]),
    id: newId(context),
    asset_id: asset.id,
    name: String(body.name),
    status: "ACTIVE",
    components: components.map((component) => makeComponent(context, component)),
    user_id: typeof body.user_id === "string" ? body.user_id : context.user.id,
    version_id: typeof body.version_id === "string" ? body.version_id : currentVersionId(asset),
    warnings: [],
    date_created: now,
    date_modified: now
  })
  context.state.formats.set(format.id, format)
  return created(presentFormat(format))
})

const getFormat = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  return ok({ ...(yield* requireFormat(context, asset)) })
})

const getFormatByName = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const name = param(context, "name")
  const format = ofVersion(context, asset, context.state.formats.values()).find((f) =>
    f.name === name && f.status !== "DELETED"
  )
  if (format === undefined) return yield* notFound("Format")
  return ok(presentFormat(format))
})

const updateFormat = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const format = yield* requireFormat(context, asset)
  const body = (context.body ?? {}) as Doc
  applyInput(format, body, ["id", "asset_id", "date_created", "date_modified", "deleted_by_user", "warnings", "components"])
  if (Array.isArray(body.components)) {
    format.components = (body.components as Array<Doc>).map((component) =>
      typeof component.id === "string" ? compact({ ...inputFields(component) }) : makeComponent(context, component)
    )
  }
  format.date_modified = stamp(context)
  return ok(presentFormat(format))
})

/** `immediately=true` deletes now (204); otherwise the format is marked DELETED (200). */
const deleteFormat = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const format = yield* requireFormat(context, asset)
  if (context.query.flag("immediately")) {
    context.state.formats.delete(format.id)
    return noContent
  }
  softDelete(context, format)
  // Like the file-set delete: the 200 carries the object as now marked (the overlay also accepts an empty 200).
  return ok(presentFormat(format))
})

const listComponents = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const format = yield* requireFormat(context, asset)
  return ok({ objects: format.components.map((component) => ({ ...component })) })
})

const createComponent = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const format = yield* requireFormat(context, asset)
  const component = makeComponent(context, context.body as Doc)
  format.components.push(component)
  format.date_modified = stamp(context)
  return ok({ ...component })
})

const requireComponent = (context: RouteContext, format: FormatDoc) =>
  Effect.suspend(() => {
    const component = format.components.find((c) => c.id === param(context, "component_id"))
    return component === undefined ? Effect.fail(notFound("Component")) : Effect.succeed(component)
  })

/** One component, in the list envelope the spec declares for it. */
const getComponent = Effect.fnUntraced(function*(context: RouteContext) {
  const format = yield* requireFormat(context, yield* requireAsset(context))
  return ok({ objects: [{ ...(yield* requireComponent(context, format)) }] })
})

const updateComponent = Effect.fnUntraced(function*(context: RouteContext) {
  const format = yield* requireFormat(context, yield* requireAsset(context))
  const component = yield* requireComponent(context, format)
  applyInput(component, context.body, ["id"])
  format.date_modified = stamp(context)
  return ok({ ...component })
})

/** Removes the component; answers the components left. */
const deleteComponent = Effect.fnUntraced(function*(context: RouteContext) {
  const format = yield* requireFormat(context, yield* requireAsset(context))
  const component = yield* requireComponent(context, format)
  format.components = format.components.filter((c) => c !== component)
  format.date_modified = stamp(context)
  return ok({ objects: format.components.map((c) => ({ ...c })) })
})

// ---------------------------------------------------------------------------------------------------------------
// File sets

export const requireFileSet = (context: RouteContext, asset: AssetDoc | undefined, id: string = param(context, "file_set_id")) =>
  requireRecord(context.state.fileSets, id, "File set", asset?.id)

export const presentFileSet = (state: EmulatorState, fileSet: FileSetDoc): FileSetDoc =>
  withNulls({
    ...fileSet,
    file_count: [...state.files.values()].filter((file) => file.file_set_id === fileSet.id && file.status !== "DELETED").length
  }, answeredAsNull.fileSet)

const presentFormat = (format: FormatDoc): FormatDoc => withNulls({ ...format }, answeredAsNull.format)

const listFileSets = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  yield* requireVersion(context, asset)
  const formatId = context.params.format_id
  const storageId = context.params.storage_id
  const fileSets = ofVersion(context, asset, context.state.fileSets.values()).filter((fileSet) =>
    fileSet.status !== "DELETED" && (formatId === undefined || fileSet.format_id === formatId) &&
    (storageId === undefined || fileSet.storage_id === storageId)
  )
  return ok(yield* lastIdPage(context, fileSets.map((fileSet) => presentFileSet(context.state, fileSet))))
})

const fileSetReadOnly = ["id", "asset_id", "date_created", "date_modified", "deleted_by_user", "file_count"]

const createFileSet = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = context.body as Doc
  const format = yield* requireFormat(context, asset, String(body.format_id)).pipe(
    Effect.mapError(() => invalidFields({ format_id: "Format does not exist" }))
  )
  const storageId = typeof body.storage_id === "string" ? body.storage_id : defaultStorage(context.state, "FILES")?.id
  if (storageId !== undefined && !context.state.storages.has(storageId)) {
    return yield* invalidFields({ storage_id: "Storage does not exist" })
  }
  const now = stamp(context)
  const fileSet: FileSetDoc = compact({
    is_archive: false,
    ...inputFields(body, fileSetReadOnly),
    id: newId(context),
    asset_id: asset.id,
    format_id: format.id,
    name: String(body.name),
    base_dir: String(body.base_dir),
    component_ids: body.component_ids,
    storage_id: storageId,
    status: "ACTIVE",
    version_id: typeof body.version_id === "string" ? body.version_id : format.version_id ?? currentVersionId(asset),
    date_created: now,
    date_modified: now
  })
  context.state.fileSets.set(fileSet.id, fileSet)
  return created(presentFileSet(context.state, fileSet))
})

const getFileSet = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  return ok(presentFileSet(context.state, yield* requireFileSet(context, asset)))
})

const updateFileSet = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const fileSet = yield* requireFileSet(context, asset)
  applyInput(fileSet, context.body, fileSetReadOnly)
  fileSet.date_modified = stamp(context)
  return ok(presentFileSet(context.state, fileSet))
})

/** `immediately=true` deletes now (204); otherwise the file set is marked DELETED (200 with the file set). */
const deleteFileSet = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const fileSet = yield* requireFileSet(context, asset)
  if (context.query.flag("immediately")) {
    context.state.fileSets.delete(fileSet.id)
    return noContent
  }
  softDelete(context, fileSet)
  return ok(presentFileSet(context.state, fileSet))
})

// ---------------------------------------------------------------------------------------------------------------
// The delete queues of formats and file sets: fed by deletes without `immediately`

type Queued = "formats" | "fileSets"

const queued = (state: EmulatorState, which: Queued): Map<string, FormatDoc | FileSetDoc> =>
  which === "formats" ? state.formats : state.fileSets

const listDeleted = (which: Queued) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const deleted = [...queued(context.state, which).values()].filter((record) => record.status === "DELETED")
    const sorted = sortDocs(deleted, parseSort(context.query.string("sort") ?? "date_deleted,desc"))
    const present = (record: FormatDoc | FileSetDoc) =>
      which === "fileSets" ? presentFileSet(context.state, record as FileSetDoc) : { ...record }
    return ok(yield* listPage(context, sorted.map(present)))
  })

/** The queued records named by the body's `ids`; 400 naming the others, before anything changes. */
const queuedByIds = (context: RouteContext, which: Queued) =>
  Effect.suspend(() => {
    const ids = ((context.body as Doc).ids ?? []) as Array<string>
    const records = queued(context.state, which)
    const missing = ids.filter((id) => records.get(id)?.status !== "DELETED")
    return missing.length > 0
      ? Effect.fail(invalidFields({ ids: `Not in the delete queue: ${missing.join(", ")}` }))
      : Effect.succeed(ids.map((id) => records.get(id)!))
  })

const restoreDeleted = (which: Queued) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    for (const record of yield* queuedByIds(context, which)) {
      record.status = "ACTIVE"
      delete record.date_deleted
      delete record.deleted_by_user
      record.date_modified = stamp(context)
    }
    return noContent
  })

/** Removes a file set and its file records. */
const purgeFileSet = (state: EmulatorState, fileSetId: string): void => {
  state.fileSets.delete(fileSetId)
  for (const [id, file] of state.files) {
    if (file.file_set_id !== fileSetId) continue
    state.files.delete(id)
    state.locations.delete(id)
    state.uploadFields.delete(id)
  }
}

/** Removes a format, its file sets and their files. */
const purgeFormat = (state: EmulatorState, formatId: string): void => {
  state.formats.delete(formatId)
  for (const fileSet of [...state.fileSets.values()]) if (fileSet.format_id === formatId) purgeFileSet(state, fileSet.id)
}

const purge = (state: EmulatorState, which: Queued, id: string) =>
  which === "formats" ? purgeFormat(state, id) : purgeFileSet(state, id)

const purgeDeleted = (which: Queued) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    for (const record of yield* queuedByIds(context, which)) purge(context.state, which, record.id)
    return noContent
  })

const purgeAllDeleted = (which: Queued) => (context: RouteContext) =>
  Effect.sync(() => {
    for (const record of [...queued(context.state, which).values()]) {
      if (record.status === "DELETED") purge(context.state, which, record.id)
    }
    return noContent
  })

// ---------------------------------------------------------------------------------------------------------------
// Copies of a version's media (versions made from another asset or version)

/**
 * Copies the media of one version (formats but `excludeFormatIds`, their file sets and files, proxies, keyframes) to
 * another version, possibly of another asset. Copies get new ids and point at the same stored objects.
 */
export const copyVersionMedia = (
  context: RouteContext,
  fromAssetId: string,
  fromVersionId: string,
  toAssetId: string,
  toVersionId: string,
  excludeFormatIds: ReadonlyArray<string>
): void => {
  const state = context.state
  const now = stamp(context)
  const inVersion = (record: Doc) =>
    record.asset_id === fromAssetId && record.version_id === fromVersionId && record.status !== "DELETED"
  const copy = <A extends Doc & { id: string }>(record: A, changes: Doc): A =>
    ({ ...record, ...changes, id: newId(context), asset_id: toAssetId, version_id: toVersionId, date_created: now, date_modified: now })
  const copyLocation = (from: string, to: string) => {
    const location = state.locations.get(from)
    if (location !== undefined) state.locations.set(to, location)
  }
  const formatIds = new Map<string, string>()
  for (const format of [...state.formats.values()]) {
    if (!inVersion(format) || excludeFormatIds.includes(format.id)) continue
    const twin = copy(format, {})
    formatIds.set(format.id, twin.id)
    state.formats.set(twin.id, twin)
  }
  const fileSetIds = new Map<string, string>()
  for (const fileSet of [...state.fileSets.values()]) {
    const formatId = formatIds.get(fileSet.format_id)
    if (!inVersion(fileSet) || formatId === undefined) continue
    const twin = copy(fileSet, { format_id: formatId })
    fileSetIds.set(fileSet.id, twin.id)
    state.fileSets.set(twin.id, twin)
  }
  for (const file of [...state.files.values()]) {
    const fileSetId = fileSetIds.get(String(file.file_set_id))
    if (!inVersion(file) || fileSetId === undefined) continue
    const twin = copy(file, { file_set_id: fileSetId, format_id: formatIds.get(String(file.format_id)) })
    state.files.set(twin.id, compact(twin))
    copyLocation(file.id, twin.id)
  }
  for (const kind of ["proxy", "keyframe"] as const) {
    for (const record of [...state.uploads(kind).values()]) {
      if (!inVersion(record)) continue
      const twin = copy(record, {})
      state.uploads(kind).set(twin.id, twin)
      copyLocation(record.id, twin.id)
    }
  }
}

export const formatRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/delete_queue/formats/`, listDeleted("formats")),
  route("DELETE", `${base}/delete_queue/formats/`, restoreDeleted("formats")),
  route("POST", `${base}/delete_queue/formats/purge/`, purgeDeleted("formats")),
  route("POST", `${base}/delete_queue/formats/purge/all/`, purgeAllDeleted("formats")),
  route("GET", `${base}/delete_queue/file_sets/`, listDeleted("fileSets")),
  route("DELETE", `${base}/delete_queue/file_sets/`, restoreDeleted("fileSets")),
  route("POST", `${base}/delete_queue/file_sets/purge/`, purgeDeleted("fileSets")),
  route("POST", `${base}/delete_queue/file_sets/purge/all/`, purgeAllDeleted("fileSets")),

  route("GET", `${assetPath}/formats/`, listFormats),
  route("POST", `${assetPath}/formats/`, createFormat),
  route("GET", `${assetPath}/formats/{format_id}/`, getFormat, { accepts: (p) => isUuid(p.format_id!) }),
  route("GET", `${assetPath}/formats/{name}/`, getFormatByName),
  route("PUT", `${assetPath}/formats/{format_id}/`, updateFormat),
  route("PATCH", `${assetPath}/formats/{format_id}/`, updateFormat),
  route("DELETE", `${assetPath}/formats/{format_id}/`, deleteFormat),
  route("GET", `${assetPath}/formats/{format_id}/components/`, listComponents),
  route("POST", `${assetPath}/formats/{format_id}/components/`, createComponent),
  route("GET", `${assetPath}/formats/{format_id}/components/{component_id}/`, getComponent),
  route("PUT", `${assetPath}/formats/{format_id}/components/{component_id}/`, updateComponent),
  route("DELETE", `${assetPath}/formats/{format_id}/components/{component_id}/`, deleteComponent),
  route("GET", `${assetPath}/formats/{format_id}/file_sets/`, listFileSets),
  route("GET", `${assetPath}/formats/{format_id}/storages/{storage_id}/file_sets/`, listFileSets),

  route("GET", `${assetPath}/file_sets/`, listFileSets),
  route("POST", `${assetPath}/file_sets/`, createFileSet),
  route("GET", `${assetPath}/file_sets/{file_set_id}/`, getFileSet),
  route("PUT", `${assetPath}/file_sets/{file_set_id}/`, updateFileSet),
  route("PATCH", `${assetPath}/file_sets/{file_set_id}/`, updateFileSet),
  route("DELETE", `${assetPath}/file_sets/{file_set_id}/`, deleteFileSet),

  route("GET", `${versionPath}/formats/`, listFormats),
  route("GET", `${versionPath}/file_sets/`, listFileSets),
]
