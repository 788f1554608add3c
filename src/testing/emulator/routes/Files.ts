/**
 * The files service: storages (`Storages.ts`), formats and file sets (`Formats.ts`), files (here), proxies and
 * keyframes (`Proxies.ts`), on the shared upload-record helpers of `Uploads.ts`. Files of an asset are created with
 * their storage's upload fields; files already on a storage are registered under it without an upload.
 */
import * as Effect from "effect/Effect"
import { compact, inputFields, matchesText, parseSort, sortDocs } from "../Docs.ts"
import { lastIdPage, listPage } from "../Paging.ts"
import { objectKey } from "../Storage.ts"
import {
  created,
  invalidFields,
  ok,
  param,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import type {
  Doc,
  UploadDoc
} from "../State.ts"
import {
  currentVersionId,
  indexedRecords,
  newId,
  requireAsset,
  stamp,
  filesBase as base,
  filesAssetPath as assetPath,
  filesVersionPath as versionPath
} from "./Common.ts"
import { formatRoutes, requireFileSet, requireFormat } from "./Formats.ts"
import { proxyRoutes } from "./Proxies.ts"
import { requireStorage, storageRoutes } from "./Storages.ts"
import {
  b2Cancel,
  b2Finish,
  b2Start,
  cleanup,
  completeUrls,
  deleteUpload,
  downloadUrl,
  getUpload,
  keyframesJob,
  keyframesOnFinish,
  listUploads,
  partUrls,
  presentUpload,
  recordReadOnly,
  s3PartUrls,
  signsUrl,
  storageFrom,
  storeUpload,
  transcodeOnFinish,
  trigger,
  updateUpload
} from "./Uploads.ts"

export { copyVersionMedia } from "./Formats.ts"
export { addStorage, type SeedStorage } from "./Storages.ts"
export { openRecords } from "./Uploads.ts"

const filePath = `${assetPath}/files/{file_id}`

const createFile = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const body = context.body as Doc
  // Every file of an asset belongs to a file set (the answer's schema requires `file_set_id`).
  if (typeof body.file_set_id !== "string") return yield* invalidFields({ file_set_id: "Missing data for required field." })
  const fileSet = yield* requireFileSet(context, asset, body.file_set_id).pipe(
    Effect.mapError(() => invalidFields({ file_set_id: "File set does not exist" }))
  )
  if (typeof body.format_id === "string") {
    yield* requireFormat(context, asset, body.format_id).pipe(
      Effect.mapError(() => invalidFields({ format_id: "Format does not exist" }))
    )
  }
  const storage = yield* storageFrom(context, "FILES", body.storage_id ?? fileSet?.storage_id)
  const now = stamp(context)
  const record: UploadDoc = compact({
    ...inputFields(body, recordReadOnly),
    // Iconik takes the size as a numeric string too (its tutorial sends one) and stores the number.
    ...(typeof body.size === "string" ? { size: Number(body.size) } : {}),
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

export const fileRoutes: ReadonlyArray<Route> = [
  ...storageRoutes,
  route("GET", `${base}/storages/{storage_id}/files/`, listStorageFiles),
  route("POST", `${base}/storages/{storage_id}/files/`, createStorageFile),
  ...formatRoutes,
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

  route("GET", `${versionPath}/files/`, listUploads("file")),
  route("POST", `${versionPath}/transcode/`, trigger(undefined, "TRANSCODE", "Transcode", transcodeOnFinish)),
  ...proxyRoutes
]
