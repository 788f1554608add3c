/**
 * What files, proxies and keyframes share: records with an upload. Creating one answers 201 with signed upload URLs
 * for its storage (the embedded object store, or an external S3); the record keeps the status it was created with
 * (OPEN, AWAITED, GROWING, …) until a PATCH closes it, and until then a GET answers the same upload fields. Also the
 * S3 multipart helpers (part URLs, complete / abort URLs, cleanup), B2 large files, download URLs, and the keyframes /
 * mediainfo / capture / transcode triggers (200 `{job_id}`, a job that runs on effect's Clock).
 */
import * as Effect from "effect/Effect"
import { answeredAsNull, applyInput, compact, withNulls } from "../Docs.ts"
import type { Env } from "../Env.ts"
import { lastIdPage, pageOf, readPage } from "../Paging.ts"
import { bucketOf } from "../Storage.ts"
import {
  ApiFailure,
  badRequest,
  created,
  invalidFields,
  noContent,
  ok,
  param,
  type RouteContext,
  status
} from "../Route.ts"
import type {
  AssetDoc,
  Doc,
  EmulatorState,
  ObjectLocation,
  StorageDoc,
  UploadDoc,
  UploadKind
} from "../State.ts"
import { objectKey } from "../Storage.ts"
import { currentVersionId, requireAsset, requireRecord, stamp } from "./Common.ts"
import { ofVersion, requireFileSet, requireVersion } from "./Formats.ts"
import { startJob } from "./Jobs.ts"
import { defaultStorage, storagesFor } from "./Storages.ts"

export const recordReadOnly = [
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
// Files, proxies and keyframes: records with an upload

const labels: Record<UploadKind, string> = { file: "File", proxy: "Proxy", keyframe: "Keyframe" }
const idParams: Record<UploadKind, string> = { file: "file_id", proxy: "proxy_id", keyframe: "keyframe_id" }

export const requireUpload = (context: RouteContext, kind: UploadKind, asset: AssetDoc, id = param(context, idParams[kind])) =>
  requireRecord(context.state.uploads(kind), id, labels[kind], asset.id)

export const locationOf = (context: RouteContext, record: UploadDoc) =>
  Effect.suspend(() => {
    const location = context.state.locations.get(record.id)
    const storage = location === undefined ? undefined : context.state.storages.get(location.storageId)
    return location === undefined || storage === undefined
      ? Effect.fail(badRequest("The record has no storage location"))
      : Effect.succeed({ location, backend: context.env.backendFor(storage) })
  })

/** Whether a list or get signs `url` (files default off, proxies and keyframes on). */
export const signsUrl = (context: RouteContext, kind: UploadKind) => {
  const flag = context.query.string("generate_signed_url")
  return flag === undefined ? kind !== "file" : flag.toLowerCase() === "true"
}

/** The record as answered, with a signed download `url` once its bytes are in (CLOSED). */
export const presentUpload = (context: RouteContext, kind: UploadKind, record: UploadDoc, sign: boolean) =>
  Effect.gen(function*() {
    const storage = context.state.storages.get(record.storage_id)
    const out: Doc = { ...record }
    if (storage !== undefined) out.storage_method = storage.method
    if (kind === "file") {
      withNulls(out, answeredAsNull.file)
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
export const storeUpload = (
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

export const storageFrom = (context: RouteContext, purpose: string, id: unknown, method?: string) =>
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

export const listUploads = (kind: UploadKind) =>
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

export const getUpload = (kind: UploadKind) =>
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

export const updateUpload = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    applyInput(record, context.body, [...recordReadOnly, "storage_id"])
    record.date_modified = stamp(context)
    return ok(yield* presentUpload(context, kind, record, signsUrl(context, kind)))
  })

export const deleteUpload = (kind: UploadKind) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    context.state.uploads(kind).delete(record.id)
    context.state.locations.delete(record.id)
    context.state.uploadFields.delete(record.id)
    return noContent
  })


export const setPublic = (kind: UploadKind, isPublic: boolean) =>
  Effect.fnUntraced(function*(context: RouteContext) {
    const asset = yield* requireAsset(context)
    const record = yield* requireUpload(context, kind, asset)
    record.is_public = isPublic
    return created(yield* presentUpload(context, kind, record, signsUrl(context, kind)))
  })

export const downloadUrl = (kind: UploadKind) =>
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

export const partUrls = (kind: UploadKind) =>
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

export const completeUrls = (kind: UploadKind) =>
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

export const s3PartUrls = Effect.fnUntraced(function*(context: RouteContext) {
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

export const cleanup = (kind: UploadKind) =>
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

export const b2Start = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { location, backend } = yield* locationOf(context, record)
  return ok(yield* backend.b2Start(location))
})

export const b2Finish = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { backend } = yield* locationOf(context, record)
  const body = context.body as Doc
  yield* backend.b2Finish(String(body.upload_file_id), (body.sha1_list ?? []) as Array<string>)
  return status(200)
})

export const b2Cancel = Effect.fnUntraced(function*(context: RouteContext) {
  const asset = yield* requireAsset(context)
  const record = yield* requireUpload(context, "file", asset)
  const { backend } = yield* locationOf(context, record)
  yield* backend.b2Cancel(String((context.body as Doc).upload_file_id))
  return status(200)
})

// ---------------------------------------------------------------------------------------------------------------
// Triggers: jobs that run on the Clock

/**
 * Stores what a transcoder would have produced: a CLOSED record on the purpose's default storage, with placeholder
 * bytes at its location (so download URLs and the CLOSED-size check work).
 */
export const produce = (
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
export const keyframesOnFinish = (env: Env, asset: AssetDoc, types: ReadonlyArray<string>) => (now: number) =>
  Effect.forEach(types, (type) =>
    produce(env, now, asset, "keyframe", { type, is_custom_keyframe: false }, `${type.toLowerCase()}.jpg`, "image/jpeg"), {
    discard: true
  })

export const trigger = (
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

export const keyframesJob = (kind: UploadKind) =>
  trigger(kind, "KEYFRAMES", "Generate keyframes for", (env, asset) => keyframesOnFinish(env, asset, ["KEYFRAME", "POSTER"]))

/** A transcode leaves a proxy behind when it finishes. */
export const transcodeOnFinish = (env: Env, asset: AssetDoc) => (now: number) =>
  produce(env, now, asset, "proxy", { name: "proxy.mp4", format: "MPEG-4", codec: "h264" }, "proxy.mp4", "video/mp4")

