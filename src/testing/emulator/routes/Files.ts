/**
 * The files service: storages, formats (+ components), file sets, files, proxies and keyframes. Creating a file,
 * proxy or keyframe answers 201 with signed upload URLs for its storage (the embedded object store, or an external
 * S3); the record keeps the status it was created with (OPEN, AWAITED, GROWING, …) until a PATCH closes it. S3
 * multipart helpers (part URLs, complete / abort URLs, cleanup), B2 large files, download URLs and the
 * keyframes / mediainfo / capture / transcode triggers (200 `{job_id}`, a job that runs on effect's Clock) complete it.
 */
import * as Effect from "effect/Effect"
import { applyInput, compact, inputFields, matchesText, parseSort, sortDocs } from "../Docs.ts"
import type { Env } from "../Env.ts"
import { isUuid } from "../Ids.ts"
import { lastIdPage, listPage, pageOf, readPage } from "../Paging.ts"
import {
  ApiFailure,
  badRequest,
  created,
  invalidFields,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext,
  status
} from "../Route.ts"
import { bucketOf, objectKey } from "../Storage.ts"
import type {
  AssetDoc,
  Doc,
  EmulatorState,
  FileSetDoc,
  FormatDoc,
  ObjectLocation,
  StorageDoc,
  UploadDoc,
  UploadKind
} from "../State.ts"
import { currentVersionId, indexedRecords, newId, requireAsset, requireRecord, softDelete, stamp } from "./Common.ts"
import { startJob } from "./Jobs.ts"

const base = "/API/files/v1"

const recordReadOnly = [
  "id",
  "asset_id",
  "date_created",
  "date_modified",
  "system_domain_id",
  "storage_method",
  "upload_url",
  "multipart_upload_url",
  "upload_credentials",
  "upload_filename",
  "upload_method",
  "url",
  "is_public",
  "file_set_status",
  "format_status"
]

// ---------------------------------------------------------------------------------------------------------------
// Storages

export interface SeedStorage {
  readonly name: string
  readonly method: string
  readonly purpose: string
  readonly bucket: string
  readonly default?: boolean | undefined
}

/** Adds a storage record (the caller creates its bucket). */
export const addStorage = (state: EmulatorState, now: number, seed: SeedStorage): StorageDoc => {
  const storage: StorageDoc = {
    id: state.ids.uuid(now),
    name: seed.name,
    method: seed.method,
    purpose: seed.purpose,
    status: "ACTIVE",
    default: seed.default ?? false,
    description: `${seed.method} ${seed.purpose.toLowerCase()} storage (emulated)`,
    settings: { bucket: seed.bucket, path: "" },
    version: "1"
  }
  state.storages.set(storage.id, storage)
  return storage
}

const requireStorage = (context: RouteContext, id: string = param(context, "storage_id")) =>
  requireRecord(context.state.storages, id, "Storage")

const storagesFor = (state: EmulatorState, purpose: string, method?: string) =>
  [...state.storages.values()].filter((storage) =>
    storage.status !== "INACTIVE" && storage.purpose === purpose.toUpperCase() &&
    (method === undefined || storage.method === method.toUpperCase())
  )

const defaultStorage = (state: EmulatorState, purpose: string): StorageDoc | undefined => {
  const candidates = storagesFor(state, purpose)
  return candidates.find((storage) => storage.default) ?? candidates[0]
}

const listStorages = Effect.fnUntraced(function*(context: RouteContext) {
  const q = context.query
  const filters: Array<[keyof StorageDoc, ReadonlyArray<string> | undefined]> = [
    ["purpose", q.list("purpose")],
    ["method", q.list("method")],
    ["status", q.list("status")],
    ["id", q.list("ids") ?? q.list("id")]
  ]
  const name = q.string("name") ?? q.string("query")
  const storages = [...context.state.storages.values()].filter((storage) =>
    filters.every(([field, wanted]) => wanted === undefined || wanted.includes(String(storage[field]))) &&
    (name === undefined || matchesText(storage.name, name.includes("*") ? name : `${name}*`))
  )
  const sorted = sortDocs(storages, parseSort(q.string("sort") ?? "name,asc"))
  return ok(yield* listPage(context, sorted.map((storage) => ({ ...storage })), { extra: { facets: {} } }))
})

const createStorage = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const settings = (body.settings ?? {}) as Doc
  const storage = addStorage(context.state, context.now, {
    name: String(body.name),
    method: String(body.method),
    purpose: String(body.purpose),
    bucket: typeof settings.bucket === "string" ? settings.bucket : `${String(body.purpose).toLowerCase()}-${newId(context)}`
  })
  applyInput(storage, body, ["id", "default", "version"])
  yield* context.env.ensureBucket(storage)
  return created({ ...storage })
})

const updateStorage = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = yield* requireStorage(context)
  applyInput(storage, context.body, ["id", "default", "version", "method"])
  return ok({ ...storage })
})

const matching = Effect.fnUntraced(function*(context: RouteContext) {
  const purpose = param(context, "purpose")
  const wanted = context.query.string("storage_id")
  const method = context.params.method
  const candidates = storagesFor(context.state, purpose, method)
  const storage = wanted !== undefined
    ? candidates.find((candidate) => candidate.id === wanted)
    : method !== undefined
    ? candidates.find((candidate) => candidate.default) ?? candidates[0]
    : defaultStorage(context.state, purpose)
  if (storage === undefined) return yield* notFound(`Matching storage for ${purpose}`)
  return ok({ ...storage })
})

const purposeDefault = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = defaultStorage(context.state, param(context, "purpose"))
  if (storage === undefined) return yield* notFound(`Default storage for ${param(context, "purpose")}`)
  return ok({ ...storage })
})

// ---------------------------------------------------------------------------------------------------------------
// Records of an asset: version filtering shared by every list

/** Records of the asset's current version, of one version, or (`include_all_versions`) of all. */
const ofVersion = <A extends Doc>(context: RouteContext, asset: AssetDoc, records: Iterable<A>): Array<A> => {
  const versionId = context.params.version_id
  const all = versionId === undefined && context.query.flag("include_all_versions")
  const wanted = versionId ?? currentVersionId(asset)
  return [...records].filter((record) =>
    record.asset_id === asset.id && (all || record.version_id === undefined || record.version_id === wanted)
  )
}

const requireVersion = (context: RouteContext, asset: AssetDoc) =>
  Effect.suspend(() =>
    context.params.version_id === undefined || asset.versions.some((v) => v.id === context.params.version_id)
      ? Effect.void
      : Effect.fail(notFound("Asset version"))
  )

// ---------------------------------------------------------------------------------------------------------------
// Formats

const requireFormat = (context: RouteContext, asset: AssetDoc, id: string = param(context, "format_id")) =>
  requireRecord(context.state.formats, id, "Format", asset.id)

/** A component as Iconik answers it: `metadata` is `{}` when the caller sent none. */
const makeComponent = (context: RouteContext, input: Doc): Doc =>
  compact({ metadata: {}, ...inputFields(input, ["id"]), id: newId(context) })

const listFormats = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  yield* requireVersion(context, asset)
  const formats = ofVersion(context, asset, context.state.formats.values()).filter((format) => format.status !== "DELETED")
  return ok(yield* lastIdPage(context, formats.map((format) => ({ ...format }))))
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
  return created({ ...format })
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
  return ok({ ...format })
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
  return ok({ ...format })
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
  return ok({ ...format })
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

// ---------------------------------------------------------------------------------------------------------------
// File sets

const requireFileSet = (context: RouteContext, asset: AssetDoc | undefined, id: string = param(context, "file_set_id")) =>
  requireRecord(context.state.fileSets, id, "File set", asset?.id)

const presentFileSet = (state: EmulatorState, fileSet: FileSetDoc): FileSetDoc => ({
  ...fileSet,
  file_count: [...state.files.values()].filter((file) => file.file_set_id === fileSet.id && file.status !== "DELETED").length
})

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

// ---------------------------------------------------------------------------------------------------------------
// Files, proxies and keyframes: records with an upload

const labels: Record<UploadKind, string> = { file: "File", proxy: "Proxy", keyframe: "Keyframe" }
const idParams: Record<UploadKind, string> = { file: "file_id", proxy: "proxy_id", keyframe: "keyframe_id" }

const requireUpload = (context: RouteContext, kind: UploadKind, asset: AssetDoc, id = param(context, idParams[kind])) =>
  requireRecord(context.state.uploads(kind), id, labels[kind], asset.id)

const locationOf = (context: RouteContext, record: UploadDoc) =>
  Effect.suspend(() => {
    const location = context.state.locations.get(record.id)
    const storage = location === undefined ? undefined : context.state.storages.get(location.storageId)
    return location === undefined || storage === undefined
      ? Effect.fail(badRequest("The record has no storage location"))
      : Effect.succeed({ location, backend: context.env.backendFor(storage) })
  })

/** Whether a list or get signs `url` (files default off, proxies and keyframes on). */
const signsUrl = (context: RouteContext, kind: UploadKind) => {
  const flag = context.query.string("generate_signed_url")
  return flag === undefined ? kind !== "file" : flag.toLowerCase() === "true"
}

/** The record as answered, with a signed download `url` once its bytes are in (CLOSED). */
const presentUpload = (context: RouteContext, kind: UploadKind, record: UploadDoc, sign: boolean) =>
  Effect.gen(function*() {
    const storage = context.state.storages.get(record.storage_id)
    const out: Doc = { ...record }
    if (storage !== undefined) out.storage_method = storage.method
    if (kind === "file") {
      const fileSet = context.state.fileSets.get(String(record.file_set_id))
      const format = context.state.formats.get(String(record.format_id))
      if (fileSet !== undefined) out.file_set_status = fileSet.status
      if (format !== undefined) out.format_status = format.status
    }
    // Until the upload is done the record carries the upload fields its create answer gave (a client may read them
    // back from a GET); once CLOSED they are gone.
    const uploadFields = context.state.uploadFields.get(record.id)
    if (record.status !== "CLOSED" && uploadFields !== undefined) Object.assign(out, uploadFields)
    const location = context.state.locations.get(record.id)
    if (sign && record.status === "CLOSED" && location !== undefined && storage !== undefined) {
      out.url = yield* context.env.backendFor(storage).downloadUrl(
        location,
        context.query.string("content_disposition")
      )
    }
    return out
  })

/** Stores a new record, files its location, and answers it with the storage's upload fields. */
const storeUpload = (
  context: RouteContext,
  kind: UploadKind,
  record: UploadDoc,
  storage: StorageDoc,
  key: string
): Effect.Effect<Doc, ApiFailure> =>
  Effect.gen(function*() {
    const location: ObjectLocation = { storageId: storage.id, method: storage.method, bucket: bucketOf(storage), key }
    context.state.uploads(kind).set(record.id, record)
    context.state.locations.set(record.id, location)
    const fields = record.status === "CLOSED" ? {} : yield* context.env.backendFor(storage).uploadFields(location, kind)
    if (record.status !== "CLOSED") context.state.uploadFields.set(record.id, fields)
    return { ...record, storage_method: storage.method, ...fields }
  })

const storageFrom = (context: RouteContext, purpose: string, id: unknown, method?: string) =>
  Effect.suspend(() => {
    if (typeof id === "string") {
      const storage = context.state.storages.get(id)
      return storage === undefined
        ? Effect.fail(invalidFields({ storage_id: "Storage does not exist" }))
        : Effect.succeed(storage)
    }
    const candidates = storagesFor(context.state, purpose, method)
    const storage = candidates.find((candidate) => candidate.default) ?? candidates[0]
    return storage === undefined
      ? Effect.fail(badRequest(`No ${purpose} storage${method === undefined ? "" : ` with method ${method}`}`))
      : Effect.succeed(storage)
  })

const listUploads = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    yield* requireVersion(context, asset)
    const fileSetId = context.params.file_set_id
    if (fileSetId !== undefined) yield* requireFileSet(context, asset)
    const records = (fileSetId !== undefined
      ? [...context.state.files.values()].filter((file) => file.asset_id === asset.id && file.file_set_id === fileSetId)
      : ofVersion(context, asset, context.state.uploads(kind).values())).filter((record) => record.status !== "DELETED")
    const sign = signsUrl(context, kind)
    const page = yield* lastIdPage(context, records)
    const objects = page.objects as Array<UploadDoc>
    return ok({ ...page, objects: yield* Effect.forEach(objects, (record) => presentUpload(context, kind, record, sign)) })
  })

const getUpload = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    const out = yield* presentUpload(context, kind, record, signsUrl(context, kind))
    if (kind === "file" && context.query.flag("generate_signed_post_url") && record.status !== "CLOSED") {
      const { location, backend } = yield* locationOf(context, record)
      const fields = yield* backend.uploadFields(location, kind)
      context.state.uploadFields.set(record.id, fields)
      Object.assign(out, fields)
    }
    return ok(out)
  })

const updateUpload = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    applyInput(record, context.body, [...recordReadOnly, "storage_id"])
    record.date_modified = stamp(context)
    return ok(yield* presentUpload(context, kind, record, signsUrl(context, kind)))
  })

const deleteUpload = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    context.state.uploads(kind).delete(record.id)
    context.state.locations.delete(record.id)
    context.state.uploadFields.delete(record.id)
    return noContent
  })

const createFile = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = context.body as Doc
  const fileSet = typeof body.file_set_id === "string"
    ? yield* requireFileSet(context, asset, body.file_set_id).pipe(
      Effect.mapError(() => invalidFields({ file_set_id: "File set does not exist" }))
    )
    : undefined
  if (typeof body.format_id === "string") {
    yield* requireFormat(context, asset, body.format_id).pipe(
      Effect.mapError(() => invalidFields({ format_id: "Format does not exist" }))
    )
  }
  const storage = yield* storageFrom(context, "FILES", body.storage_id ?? fileSet?.storage_id)
  const now = stamp(context)
  const record: UploadDoc = compact({
    ...inputFields(body, recordReadOnly),
    id: newId(context),
    asset_id: asset.id,
    name: typeof body.name === "string" ? body.name : String(body.original_name),
    status: typeof body.status === "string" ? body.status : "OPEN",
    storage_id: storage.id,
    format_id: typeof body.format_id === "string" ? body.format_id : fileSet?.format_id,
    version_id: typeof body.version_id === "string" ? body.version_id : fileSet?.version_id ?? currentVersionId(asset),
    system_domain_id: context.state.systemDomainId,
    user_id: context.user.id,
    date_created: now,
    date_modified: now
  })
  const key = objectKey(fileSet?.base_dir, String(body.directory_path ?? ""), String(body.original_name))
  return created(yield* storeUpload(context, "file", record, storage, key))
})

const createProxy = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = (context.body ?? {}) as Doc
  const storage = yield* storageFrom(context, "PROXIES", body.storage_id, context.params.storage_method)
  const now = stamp(context)
  const id = newId(context)
  const record: UploadDoc = compact({
    ...inputFields(body, recordReadOnly),
    id,
    asset_id: asset.id,
    status: typeof body.status === "string" ? body.status : "OPEN",
    storage_id: storage.id,
    version_id: typeof body.version_id === "string" ? body.version_id : currentVersionId(asset),
    is_public: false,
    date_created: now,
    date_modified: now
  })
  const filename = typeof body.filename === "string" ? body.filename : typeof body.name === "string" ? body.name : `${id}.mp4`
  return created(yield* storeUpload(context, "proxy", record, storage, objectKey(asset.id, "proxies", id, filename)))
})

const makeKeyframe = (context: RouteContext, asset: AssetDoc, storage: StorageDoc, body: Doc): UploadDoc => {
  const now = stamp(context)
  return compact({
    is_custom_keyframe: false,
    ...inputFields(body, recordReadOnly),
    id: newId(context),
    asset_id: asset.id,
    type: String(body.type),
    status: typeof body.status === "string" ? body.status : "OPEN",
    storage_id: storage.id,
    version_id: typeof body.version_id === "string" ? body.version_id : currentVersionId(asset),
    is_public: false,
    date_created: now,
    date_modified: now
  })
}

const createKeyframe = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = context.body as Doc
  const storage = yield* storageFrom(context, "KEYFRAMES", body.storage_id, context.params.storage_method)
  const record = makeKeyframe(context, asset, storage, body)
  const filename = typeof body.filename === "string" ? body.filename : `${record.id}.jpg`
  return created(yield* storeUpload(context, "keyframe", record, storage, objectKey(asset.id, "keyframes", record.id, filename)))
})

const setPublic = (kind: UploadKind, isPublic: boolean) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    record.is_public = isPublic
    return created(yield* presentUpload(context, kind, record, signsUrl(context, kind)))
  })

const downloadUrl = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    const { location, backend } = yield* locationOf(context, record)
    return ok({ url: yield* backend.downloadUrl(location, context.query.string("content_disposition")) })
  })

/** Every stored record whose status is not CLOSED (what "nothing left open" assertions look at). */
export const openRecords = (state: EmulatorState): Array<{ readonly kind: UploadKind; readonly record: UploadDoc }> => {
  const out: Array<{ readonly kind: UploadKind; readonly record: UploadDoc }> = []
  for (const kind of ["file", "proxy", "keyframe"] as const) {
    for (const record of state.uploads(kind).values()) if (record.status !== "CLOSED") out.push({ kind, record })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// S3 multipart helpers, B2 large files

const requireUploadId = (context: RouteContext) =>
  Effect.suspend(() => {
    const uploadId = context.query.string("upload_id")
    return uploadId === undefined
      ? Effect.fail(invalidFields({ upload_id: "Missing data for required field." }))
      : Effect.succeed(uploadId)
  })

const partUrls = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    const uploadId = yield* requireUploadId(context)
    const partsNum = yield* context.query.int("parts_num", { min: 1, max: 10_000 })
    if (partsNum === undefined) return yield* invalidFields({ parts_num: "Missing data for required field." })
    const { location, backend } = yield* locationOf(context, record)
    const numbers = Array.from({ length: partsNum }, (_, i) => i + 1)
    const page = yield* pageOf(context, numbers, yield* readPage(context.query))
    const objects = yield* Effect.forEach(page.objects as Array<number>, (number) =>
      Effect.map(backend.partUrl(location, uploadId, number), (url) => ({ number, url, key: location.key })))
    return ok({ ...page, objects })
  })

const completeUrls = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    const uploadId = yield* requireUploadId(context)
    const { location, backend } = yield* locationOf(context, record)
    return ok({
      complete_url: yield* backend.completeUrl(location, uploadId),
      abort_url: yield* backend.abortUrl(location, uploadId),
      list_parts_url: [yield* backend.listPartsUrl(location, uploadId)]
    })
  })

const s3PartUrls = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const body = context.body as Doc
  const uploadId = String(body.upload_id)
  const { location, backend } = yield* locationOf(context, record)
  const parts = yield* Effect.forEach((body.parts ?? []) as Array<Doc>, (part) =>
    Effect.map(backend.partUrl(location, uploadId, Number(part.part_number)), (url) =>
      compact({ part_number: part.part_number, checksum: part.checksum ?? undefined, url })))
  return ok({ upload_id: uploadId, parts })
})

const cleanup = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    const body = (context.body ?? {}) as Doc
    if (typeof body.upload_id === "string" && body.abort_upload !== false) {
      const { location, backend } = yield* locationOf(context, record)
      yield* backend.abortUpload(location, body.upload_id)
    }
    return status(200)
  })

const b2Start = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { location, backend } = yield* locationOf(context, record)
  return ok(yield* backend.b2Start(location))
})

const b2Finish = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { backend } = yield* locationOf(context, record)
  const body = context.body as Doc
  yield* backend.b2Finish(String(body.upload_file_id), (body.sha1_list ?? []) as Array<string>)
  return status(200)
})

const b2Cancel = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { backend } = yield* locationOf(context, record)
  yield* backend.b2Cancel(String((context.body as Doc).upload_file_id))
  return status(200)
})

// ---------------------------------------------------------------------------------------------------------------
// Files of a storage: listed, or registered without an upload (files already on the storage)

const storageFileReadOnly = [...recordReadOnly, "storage_id"]

const listStorageFiles = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = yield* requireStorage(context)
  const q = context.query
  const filters: Array<[string, ReadonlyArray<string> | undefined]> = [
    ["directory_path", q.list("directory_path")],
    ["checksum", q.list("checksum")],
    ["id", q.list("id")],
    ["type", q.list("type")],
    ["status", q.list("status")]
  ]
  const name = q.string("name")
  const separator = q.string("path_separator") ?? "/"
  const path = q.string("path")
  // Index-backed, as every `page`-family list.
  const files = indexedRecords(context, "files", context.state.files).filter((file) =>
    file.storage_id === storage.id && file.status !== "DELETED" &&
    filters.every(([field, wanted]) => wanted === undefined || wanted.includes(String(file[field]))) &&
    (name === undefined || matchesText(file.original_name ?? file.name, name)) &&
    (path === undefined || [file.directory_path, file.original_name].filter((p) => p !== "").join(separator) === path)
  )
  const sorted = sortDocs(files, parseSort(q.string("sort") ?? "date_created,asc"))
  return ok(yield* listPage(context, sorted.map((file) => ({ ...file }))))
})

/** Registers a file that is already on the storage: no upload, CLOSED unless the body says otherwise. */
const createStorageFile = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = yield* requireStorage(context)
  const body = context.body as Doc
  if (typeof body.asset_id === "string") {
    yield* requireAsset(context, body.asset_id).pipe(Effect.mapError(() => invalidFields({ asset_id: "Asset does not exist" })))
  }
  const now = stamp(context)
  const record: Doc = compact({
    ...inputFields(body, storageFileReadOnly),
    id: newId(context),
    name: typeof body.name === "string" ? body.name : String(body.original_name),
    status: typeof body.status === "string" ? body.status : "CLOSED",
    storage_id: storage.id,
    user_id: context.user.id,
    date_created: now,
    date_modified: now
  })
  // Without an asset unless the body names one: the file maps hold such records too.
  context.state.files.set(record.id as string, record as UploadDoc)
  return created({ ...record })
})

// ---------------------------------------------------------------------------------------------------------------
// Triggers: jobs that run on the Clock

/**
 * Stores what a transcoder would have produced: a CLOSED record on the purpose's default storage, with placeholder
 * bytes at its location (so download URLs and the CLOSED-size check work).
 */
const produce = (
  env: Env,
  now: number,
  asset: AssetDoc,
  kind: "proxy" | "keyframe",
  fields: Doc,
  filename: string,
  contentType: string
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const storage = defaultStorage(env.state, kind === "proxy" ? "PROXIES" : "KEYFRAMES")
    if (storage === undefined || !env.state.assets.has(asset.id)) return Effect.void
    const id = env.state.ids.uuid(now)
    const date = env.state.ids.now(now)
    const bytes = new TextEncoder().encode(`emulated ${kind} ${id}`)
    const location: ObjectLocation = {
      storageId: storage.id,
      method: storage.method,
      bucket: bucketOf(storage),
      key: objectKey(asset.id, kind === "proxy" ? "proxies" : "keyframes", id, filename)
    }
    env.state.uploads(kind).set(id, {
      ...fields,
      id,
      asset_id: asset.id,
      filename,
      status: "CLOSED",
      size: bytes.length,
      storage_id: storage.id,
      version_id: currentVersionId(asset),
      is_public: false,
      date_created: date,
      date_modified: date
    })
    env.state.locations.set(id, location)
    return env.backendFor(storage).putObject(location, bytes, contentType)
  })

/** A keyframes job leaves a keyframe and / or a poster behind when it finishes. */
const keyframesOnFinish = (env: Env, asset: AssetDoc, types: ReadonlyArray<string>) => (now: number) =>
  Effect.forEach(types, (type) =>
    produce(env, now, asset, "keyframe", { type, is_custom_keyframe: false }, `${type.toLowerCase()}.jpg`, "image/jpeg"), {
    discard: true
  })

const trigger = (
  kind: UploadKind | undefined,
  jobType: string,
  title: string,
  onFinish?: (env: Env, asset: AssetDoc) => (now: number) => Effect.Effect<void>
) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    let objectType = "assets"
    let objectId = asset.id
    if (kind !== undefined) {
      const record = yield* requireUpload(context, kind, asset)
      objectType = kind === "file" ? "files" : "proxies"
      objectId = record.id
    } else {
      yield* requireVersion(context, asset)
    }
    const job = startJob(context.env, context.now, {
      title: `${title} ${asset.title}`,
      type: jobType,
      objectType,
      objectId,
      user: context.user,
      onFinish: onFinish?.(context.env, asset)
    })
    return ok({ job_id: job.id })
  })

const keyframesJob = (kind: UploadKind) =>
  trigger(kind, "KEYFRAMES", "Generate keyframes for", (env, asset) => keyframesOnFinish(env, asset, ["KEYFRAME", "POSTER"]))

/** A transcode leaves a proxy behind when it finishes. */
const transcodeOnFinish = (env: Env, asset: AssetDoc) => (now: number) =>
  produce(env, now, asset, "proxy", { name: "proxy.mp4", format: "MPEG-4", codec: "h264" }, "proxy.mp4", "video/mp4")

const filesByChecksum = Effect.fnUntraced(function*(context: RouteContext) {
  const checksum = param(context, "checksum")
  // Index-backed: a file whose checksum was just set is found only after the index delay.
  const files = indexedRecords(context, "files", context.state.files).filter((file) => file.checksum === checksum)
  return ok(yield* lastIdPage(context, files.map((file) => ({ ...file }))))
})

const fileSetFiles = Effect.fnUntraced(function*(context: RouteContext) {
  const fileSet = yield* requireFileSet(context, undefined)
  const files = [...context.state.files.values()].filter((file) =>
    file.file_set_id === fileSet.id && file.status !== "DELETED"
  )
  const page = yield* lastIdPage(context, files)
  const sign = signsUrl(context, "file")
  return ok({
    ...page,
    objects: yield* Effect.forEach(page.objects as Array<UploadDoc>, (file) => presentUpload(context, "file", file, sign))
  })
})

const assetPath = `${base}/assets/{asset_id}`
const filePath = `${assetPath}/files/{file_id}`
const proxyPath = `${assetPath}/proxies/{proxy_id}`
const versionPath = `${assetPath}/versions/{version_id}`

export const fileRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/storages/`, listStorages),
  route("POST", `${base}/storages/`, createStorage),
  route("GET", `${base}/storages/{storage_id}/`, (c) => Effect.map(requireStorage(c), (s) => ok({ ...s }))),
  route("PUT", `${base}/storages/{storage_id}/`, updateStorage),
  route("PATCH", `${base}/storages/{storage_id}/`, updateStorage),
  route("GET", `${base}/storages/matching/{purpose}/`, matching),
  route("GET", `${base}/storages/matching/{purpose}/method/{method}/`, matching),
  route("GET", `${base}/storages/{purpose}/default/`, purposeDefault),
  route("GET", `${base}/storages/{storage_id}/files/`, listStorageFiles),
  route("POST", `${base}/storages/{storage_id}/files/`, createStorageFile),

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
  route("GET", `${assetPath}/formats/{format_id}/file_sets/`, listFileSets),
  route("GET", `${assetPath}/formats/{format_id}/storages/{storage_id}/file_sets/`, listFileSets),

  route("GET", `${assetPath}/file_sets/`, listFileSets),
  route("POST", `${assetPath}/file_sets/`, createFileSet),
  route("GET", `${assetPath}/file_sets/{file_set_id}/`, getFileSet),
  route("PUT", `${assetPath}/file_sets/{file_set_id}/`, updateFileSet),
  route("PATCH", `${assetPath}/file_sets/{file_set_id}/`, updateFileSet),
  route("DELETE", `${assetPath}/file_sets/{file_set_id}/`, deleteFileSet),
  route("GET", `${assetPath}/file_sets/{file_set_id}/files/`, listUploads("file")),
  route("GET", `${base}/file_sets/{file_set_id}/files/`, fileSetFiles),

  route("GET", `${assetPath}/files/`, listUploads("file")),
  route("POST", `${assetPath}/files/`, createFile),
  route("GET", `${filePath}/`, getUpload("file")),
  route("PUT", `${filePath}/`, updateUpload("file")),
  route("PATCH", `${filePath}/`, updateUpload("file")),
  route("DELETE", `${filePath}/`, deleteUpload("file")),
  route("GET", `${filePath}/download_url/`, downloadUrl("file")),
  route("GET", `${filePath}/multipart_url/part/`, partUrls("file")),
  route("GET", `${filePath}/multipart_url/`, completeUrls("file")),
  route("POST", `${filePath}/multipart_url/s3/part/`, s3PartUrls),
  route("POST", `${filePath}/multipart/cleanup/`, cleanup("file")),
  route("POST", `${filePath}/multipart/b2/start/`, b2Start),
  route("POST", `${filePath}/multipart/b2/finish/`, b2Finish),
  route("POST", `${filePath}/multipart/b2/cancel/`, b2Cancel),
  route("POST", `${filePath}/keyframes/`, keyframesJob("file")),
  route("POST", `${filePath}/mediainfo/`, trigger("file", "MEDIAINFO", "Extract media info of")),
  route("POST", `${filePath}/capture/{milliseconds}/`, trigger("file", "KEYFRAMES", "Capture a poster of", (env, target) =>
    keyframesOnFinish(env, target, ["POSTER"]))),
  route("GET", `${base}/files/checksum/{checksum}/`, filesByChecksum),

  route("GET", `${assetPath}/proxies/`, listUploads("proxy")),
  route("POST", `${assetPath}/proxies/`, createProxy),
  route("POST", `${assetPath}/method/{storage_method}/proxies/`, createProxy),
  route("GET", `${proxyPath}/`, getUpload("proxy")),
  route("PUT", `${proxyPath}/`, updateUpload("proxy")),
  route("PATCH", `${proxyPath}/`, updateUpload("proxy")),
  route("DELETE", `${proxyPath}/`, deleteUpload("proxy")),
  route("GET", `${proxyPath}/download_url/`, downloadUrl("proxy")),
  route("GET", `${proxyPath}/multipart_url/part/`, partUrls("proxy")),
  route("GET", `${proxyPath}/multipart_url/`, completeUrls("proxy")),
  route("POST", `${proxyPath}/multipart/cleanup/`, cleanup("proxy")),
  route("POST", `${proxyPath}/keyframes/`, keyframesJob("proxy")),
  route("POST", `${proxyPath}/public/`, setPublic("proxy", true)),
  route("DELETE", `${proxyPath}/public/`, setPublic("proxy", false)),

  route("GET", `${assetPath}/keyframes/`, listUploads("keyframe")),
  route("POST", `${assetPath}/keyframes/`, createKeyframe),
  route("POST", `${assetPath}/method/{storage_method}/keyframes/`, createKeyframe),
  route("GET", `${assetPath}/keyframes/{keyframe_id}/`, getUpload("keyframe")),
  route("PUT", `${assetPath}/keyframes/{keyframe_id}/`, updateUpload("keyframe")),
  route("PATCH", `${assetPath}/keyframes/{keyframe_id}/`, updateUpload("keyframe")),
  route("DELETE", `${assetPath}/keyframes/{keyframe_id}/`, deleteUpload("keyframe")),
  route("POST", `${assetPath}/keyframes/{keyframe_id}/public/`, setPublic("keyframe", true)),
  route("DELETE", `${assetPath}/keyframes/{keyframe_id}/public/`, setPublic("keyframe", false)),

  route("GET", `${versionPath}/formats/`, listFormats),
  route("GET", `${versionPath}/file_sets/`, listFileSets),
  route("GET", `${versionPath}/files/`, listUploads("file")),
  route("GET", `${versionPath}/proxies/`, listUploads("proxy")),
  route("GET", `${versionPath}/keyframes/`, listUploads("keyframe")),
  route("POST", `${versionPath}/transcode/`, trigger(undefined, "TRANSCODE", "Transcode", transcodeOnFinish))
]
