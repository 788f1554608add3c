/**
 * Proxies and keyframes of an asset: created on the (default or named) PROXIES / KEYFRAMES storage with their upload
 * fields, read, updated (PATCH closes), deleted, made public, and the S3 multipart helpers proxies have.
 */
import * as Effect from "effect/Effect"
import { compact, inputFields } from "../Docs.ts"
import { objectKey } from "../Storage.ts"
import {
  created,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import type {
  AssetDoc,
  Doc,
  StorageDoc,
  UploadDoc
} from "../State.ts"
import {
  currentVersionId,
  newId,
  requireAsset,
  stamp,
  filesAssetPath as assetPath,
  filesVersionPath as versionPath
} from "./Common.ts"
import {
  cleanup,
  completeUrls,
  deleteUpload,
  downloadUrl,
  getUpload,
  keyframesJob,
  listUploads,
  partUrls,
  recordReadOnly,
  setPublic,
  storageFrom,
  storeUpload,
  updateUpload
} from "./Uploads.ts"

const proxyPath = `${assetPath}/proxies/{proxy_id}`

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

export const proxyRoutes: ReadonlyArray<Route> = [
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

  route("GET", `${versionPath}/proxies/`, listUploads("proxy")),
  route("GET", `${versionPath}/keyframes/`, listUploads("keyframe")),
]
