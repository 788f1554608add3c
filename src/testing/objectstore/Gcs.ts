/**
 * The Google Cloud Storage side: V4-shaped signed URLs (`X-Goog-Date`, `X-Goog-Expires`, `X-Goog-Signature`) for
 * starting a resumable upload, a simple PUT and downloads, and the resumable session protocol: `POST` with
 * `x-goog-resumable: start` → 201 + `Location` + `X-GUploader-UploadID`; `PUT` chunks with `Content-Range`, answered
 * 308 + `Range` until the last byte, then 200 with the object's JSON. A session URI (anything carrying `upload_id`)
 * is its own credential, as on GCS, so `upload_url + "&upload_id=…"` works as well as `Location`.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { base64, type Chunks, hex, type Operation, sliceChunks } from "./Model.ts"
import {
  answerAfterDrain,
  bodyLimit,
  bytesResponse,
  closing,
  type DefaultErrors,
  drainBody,
  emptyResponse,
  type Env,
  escapeXml,
  faultRenderer,
  parseRange,
  readBody,
  type StorageConnectionReset,
  type StorageRequest,
  storeUrl,
  withFaults
} from "./Protocol.ts"
import { checkV4, formatQuery, httpDate, objectPath, presignV4, randomId, type V4Style } from "./Signing.ts"
import type { GcsSession, StoredObject } from "./State.ts"

// ---------------------------------------------------------------------------------------------------------------
// Presigning

export interface PresignGcs {
  readonly method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE"
  readonly bucket: string
  readonly key: string
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly signedHeaders: string
  readonly now: number
  readonly expiresInSeconds: number
}

const style: V4Style = {
  scheme: "gcs",
  prefix: "X-Goog",
  algorithm: "GOOG4-HMAC-SHA256",
  credential: (day) => `emulator/${day}/auto/storage/goog4_request`
}

export const presign = (env: Env, options: PresignGcs): string => {
  const path = objectPath("gcs", options.bucket, options.key)
  return storeUrl(env, path, presignV4(env.key, style, { ...options, path }))
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const gcsError = (
  req: StorageRequest,
  status: number,
  code: string,
  message: string,
  details?: string
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(
    `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${
      details === undefined ? "" : `<Details>${escapeXml(details)}</Details>`
    }</Error>`,
    { status, contentType: "application/xml; charset=UTF-8", headers: { "x-guploader-uploadid": req.requestId } }
  )

const defaultErrors: DefaultErrors = {
  byStatus: {
    400: ["InvalidArgument", "Invalid argument."],
    403: ["AccessDenied", "Access denied."],
    404: ["NoSuchKey", "The specified key does not exist."],
    408: ["RequestTimeout", "The request timed out."],
    429: ["SlowDown", "Please reduce your request rate."],
    500: ["InternalError", "We encountered an internal error. Please try again."],
    502: ["BadGateway", "Bad gateway."],
    503: ["ServiceUnavailable", "We encountered an internal error. Please try again."]
  },
  otherwise: ["InternalError", "We encountered an internal error."]
}

export const renderFault = (req: StorageRequest) =>
  faultRenderer(defaultErrors, (status, code, message) => gcsError(req, status, code, message))

const invalid = (req: StorageRequest, details: string) =>
  gcsError(req, 400, "InvalidArgument", "Invalid argument.", details)

// ---------------------------------------------------------------------------------------------------------------
// Authorization (signed URLs; session URIs carry no signature)

const authorize = (env: Env, req: StorageRequest): HttpServerResponse.HttpServerResponse | undefined => {
  const path = objectPath("gcs", req.bucket, req.key)
  const refusal = checkV4(env.key, style, { method: req.method, path, query: req.query, now: req.now })
  switch (refusal?._tag) {
    case undefined:
      return undefined
    case "Unsigned":
      return gcsError(req, 403, "AccessDenied", "Access denied.", "Anonymous caller does not have access to this object.")
    case "Mismatch":
      return gcsError(
        req,
        403,
        "SignatureDoesNotMatch",
        "Access denied.",
        "The request signature we calculated does not match the signature you provided. " +
          "Check your Google secret key and signing method."
      )
    case "Malformed":
      return invalid(req, "X-Goog-Date and X-Goog-Expires must be given.")
    case "Expired":
      return gcsError(
        req,
        400,
        "ExpiredToken",
        "Invalid argument.",
        `The provided token has expired. Request signature expired at: ${new Date(refusal.expiresAt).toISOString()}`
      )
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch

const operationOf = (req: StorageRequest): Operation | undefined => {
  const session = req.query.has("upload_id")
  switch (req.method) {
    case "POST":
      return session ? undefined : "ResumableStart"
    case "PUT":
      if (!session) return "PutObject"
      return isStatusQuery(req) ? "ResumableStatus" : "ResumableChunk"
    case "DELETE":
      return session ? "ResumableCancel" : "DeleteObject"
    case "GET":
      return session ? undefined : "GetObject"
    case "HEAD":
      return session ? undefined : "HeadObject"
    default:
      return undefined
  }
}

const isStatusQuery = (req: StorageRequest) => /^\s*bytes \*\//.test(req.request.headers["content-range"] ?? "")

export const handle = (
  env: Env,
  req: StorageRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, StorageConnectionReset> =>
  Effect.suspend(() => {
    const operation = operationOf(req)
    if (operation === undefined || req.key === "") {
      return answerAfterDrain(
        req,
        gcsError(req, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
      )
    }
    req.notes.operation = operation
    if (!req.query.has("upload_id")) {
      const denied = authorize(env, req)
      if (denied !== undefined) return answerAfterDrain(req, denied)
    }
    if (env.state.buckets.get(req.bucket) !== "gcs") {
      return answerAfterDrain(
        req,
        gcsError(req, 404, "NoSuchBucket", "The specified bucket does not exist.")
      )
    }
    return withFaults(env, req, { operation, key: req.key, partNumber: undefined }, renderFault(req), () => run(env, req, operation))
  })

const run = (env: Env, req: StorageRequest, operation: Operation): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const effect = (() => {
    switch (operation) {
      case "ResumableStart":
        return answerAfterDrain(req, startSession(env, req))
      case "ResumableChunk":
      case "ResumableStatus":
        return putToSession(env, req)
      case "ResumableCancel":
        return Effect.sync(() => cancelSession(env, req))
      case "PutObject":
        return putObject(env, req)
      case "DeleteObject":
        return Effect.sync(() => {
          if (!env.state.deleteObject(req.bucket, req.key)) {
            return gcsError(req, 404, "NoSuchKey", "The specified key does not exist.")
          }
          return emptyResponse({ status: 204 })
        })
      default:
        return Effect.sync(() => getObject(env, req))
    }
  })()
  return effect.pipe(
    Effect.catchTag("IncompleteBody", () => Effect.succeed(invalid(req, "The request body ended before its declared length."))),
    Effect.catchTag("BodyTooLarge", (error) =>
      Effect.succeed(closing(gcsError(req, 413, "EntityTooLarge", `The request body is larger than ${error.limit} bytes.`))))
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Resumable sessions

const sessionUrl = (env: Env, session: GcsSession) =>
  storeUrl(env, objectPath("gcs", session.bucket, session.key), formatQuery([["upload_id", session.uploadId]]))

const startSession = (env: Env, req: StorageRequest) => {
  if ((req.request.headers["x-goog-resumable"] ?? "").toLowerCase() !== "start") {
    return invalid(req, "A POST to a signed URL must carry x-goog-resumable: start.")
  }
  const uploadId = `ADPyc${randomId(48)}`
  const session: GcsSession = {
    uploadId,
    bucket: req.bucket,
    key: req.key,
    contentType: req.request.headers["x-upload-content-type"] ?? req.request.headers["content-type"] ??
      "application/octet-stream",
    startedAt: req.now,
    chunks: [],
    committed: 0,
    total: undefined,
    md5: createHash("md5"),
    sha1: createHash("sha1"),
    finished: undefined
  }
  env.state.gcsSessions.set(uploadId, session)
  return emptyResponse({
    status: 201,
    headers: { location: sessionUrl(env, session), "x-guploader-uploadid": uploadId }
  })
}

/** The session the request names, if it is for this bucket and key. */
const sessionOf = (env: Env, req: StorageRequest) => {
  const session = env.state.gcsSessions.get(req.query.get("upload_id") ?? "")
  return session !== undefined && session.bucket === req.bucket && session.key === req.key ? session : undefined
}

const noSuchUpload = (req: StorageRequest) =>
  gcsError(req, 404, "NoSuchUpload", "The requested upload was not found.", "No such upload session; it may have been cancelled.")

type ContentRange =
  | { readonly _tag: "Data"; readonly first: number; readonly last: number; readonly total: number | undefined }
  | { readonly _tag: "Status"; readonly total: number | undefined }

/** `bytes a-b/total`, `bytes a-b/*`, `bytes * /total`, `bytes * / *`; undefined when malformed. */
export const parseContentRange = (header: string): ContentRange | undefined => {
  const match = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/.exec(header)
  if (match === null) return undefined
  const total = match[3] === "*" ? undefined : Number(match[3])
  if (match[1] === undefined) return { _tag: "Status", total }
  const first = Number(match[1])
  const last = Number(match[2])
  return last < first ? undefined : { _tag: "Data", first, last, total }
}

const uploadHeaders = (session: GcsSession): Record<string, string> => ({ "x-guploader-uploadid": session.uploadId })

const incomplete = (session: GcsSession) =>
  emptyResponse({
    status: 308,
    headers: session.committed > 0
      ? { ...uploadHeaders(session), range: `bytes=0-${session.committed - 1}` }
      : uploadHeaders(session)
  })

const objectJson = (object: StoredObject) => ({
  kind: "storage#object",
  id: `${object.bucket}/${object.key}/${object.meta.generation}`,
  name: object.key,
  bucket: object.bucket,
  generation: object.meta.generation,
  metageneration: "1",
  contentType: object.contentType,
  storageClass: "STANDARD",
  size: String(object.size),
  md5Hash: object.md5 && base64(object.md5),
  etag: object.etag,
  timeCreated: new Date(object.lastModified).toISOString(),
  updated: new Date(object.lastModified).toISOString()
})

const finishedResponse = (session: GcsSession, object: StoredObject) =>
  HttpServerResponse.jsonUnsafe(objectJson(object), {
    status: 200,
    headers: { ...uploadHeaders(session), etag: object.etag, ...hashHeader(object) }
  })

const hashHeader = (object: StoredObject): Record<string, string> =>
  object.md5 === undefined ? {} : { "x-goog-hash": `md5=${base64(object.md5)}` }

const finish = (env: Env, req: StorageRequest, session: GcsSession): StoredObject => {
  const md5 = session.md5.digest()
  const object: StoredObject = {
    provider: "gcs",
    bucket: session.bucket,
    key: session.key,
    size: session.committed,
    body: env.state.keepBytes ? { chunks: session.chunks, size: session.committed } : undefined,
    md5,
    sha1: session.sha1.digest(),
    etag: `"${hex(md5)}"`,
    contentType: session.contentType,
    parts: undefined,
    lastModified: req.now,
    meta: { generation: String(req.now * 1000) }
  }
  env.state.putObject(object)
  session.finished = object
  return object
}

/** Persists `body` (which starts at byte `first` of the object) up to `end`, skipping what is already there. */
const persist = (env: Env, session: GcsSession, body: Chunks, first: number, end: number) => {
  if (end <= session.committed) return
  const slice = sliceChunks(body, session.committed - first, end - first)
  for (const chunk of slice.chunks) {
    session.md5.update(chunk)
    session.sha1.update(chunk)
    if (env.state.keepBytes) session.chunks.push(chunk)
  }
  session.committed = end
}

const putToSession = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const session = sessionOf(env, req)
  if (session === undefined) return yield* answerAfterDrain(req, noSuchUpload(req))
  if (session.finished !== undefined) {
    return yield* answerAfterDrain(req, finishedResponse(session, session.finished))
  }
  const header = req.request.headers["content-range"]
  const range = header === undefined ? undefined : parseContentRange(header)
  if (header !== undefined && range === undefined) {
    return yield* answerAfterDrain(req, invalid(req, `Malformed Content-Range header: ${header}`))
  }
  if (range?._tag === "Status") {
    yield* drainBody(req.request)
    if (range.total !== undefined && range.total === session.committed) {
      return finishedResponse(session, finish(env, req, session))
    }
    return incomplete(session)
  }
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: true })
  // No Content-Range: the whole object in one request.
  const data = range ?? { _tag: "Data" as const, first: 0, last: body.size - 1, total: body.size }
  if (data.last - data.first + 1 !== body.size) {
    return invalid(req, `Content-Range covers ${data.last - data.first + 1} bytes but the body has ${body.size}.`)
  }
  if (data.total !== undefined) {
    if (session.total !== undefined && session.total !== data.total) {
      return invalid(req, `The total size ${data.total} differs from the ${session.total} declared earlier.`)
    }
    if (data.last >= data.total && body.size > 0) {
      return invalid(req, `Content-Range ends at ${data.last}, past the total size ${data.total}.`)
    }
  }
  if (data.first > session.committed) {
    return invalid(
      req,
      `Invalid request. According to the Content-Range header, the upload offset is ${data.first} byte(s), ` +
        `which exceeds already uploaded size of ${session.committed} byte(s).`
    )
  }
  const end = data.last + 1
  const final = data.total !== undefined && end >= data.total
  if (final) {
    persist(env, session, body, data.first, data.total!)
    session.total = data.total
    return finishedResponse(session, finish(env, req, session))
  }
  const granularity = env.settings.gcsChunkGranularity
  if (body.size < granularity) {
    return invalid(
      req,
      `Invalid request. The number of bytes uploaded is required to be equal or greater than ${granularity}, ` +
        `except for the final request (it's recommended to be the exact multiple of ${granularity}). ` +
        `The received request contained ${body.size} bytes, which does not meet this requirement.`
    )
  }
  if (data.total !== undefined) session.total = data.total
  // GCS keeps whole multiples of the granularity and reports the rest as not received.
  persist(env, session, body, data.first, Math.floor(end / granularity) * granularity)
  return incomplete(session)
})

const cancelSession = (env: Env, req: StorageRequest) => {
  const session = sessionOf(env, req)
  if (session === undefined || session.finished !== undefined) return noSuchUpload(req)
  env.state.gcsSessions.delete(session.uploadId)
  return emptyResponse({ status: 499, headers: uploadHeaders(session) })
}

// ---------------------------------------------------------------------------------------------------------------
// Simple upload and downloads

const putObject = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true })
  const md5 = body.md5!
  const object: StoredObject = {
    provider: "gcs",
    bucket: req.bucket,
    key: req.key,
    size: body.size,
    body: env.state.keepBytes ? body : undefined,
    md5,
    sha1: undefined,
    etag: `"${hex(md5)}"`,
    contentType: req.request.headers["content-type"] ?? "application/octet-stream",
    parts: undefined,
    lastModified: req.now,
    meta: { generation: String(req.now * 1000) }
  }
  env.state.putObject(object)
  return emptyResponse({ status: 200, headers: { etag: object.etag, ...hashHeader(object) } })
})

const getObject = (env: Env, req: StorageRequest) => {
  const object = env.state.getObject(req.bucket, req.key)
  if (object === undefined || object.provider !== "gcs") {
    return gcsError(req, 404, "NoSuchKey", "The specified key does not exist.")
  }
  const range = parseRange(req.request.headers["range"], object.size)
  if (range._tag === "Unsatisfiable") {
    return gcsError(req, 416, "InvalidRange", "The requested range cannot be satisfied.")
  }
  const headers: Record<string, string> = {
    etag: object.etag,
    "last-modified": httpDate(object.lastModified),
    "content-type": req.query.get("response-content-type") ?? object.contentType,
    "x-goog-generation": object.meta.generation ?? "1",
    ...hashHeader(object)
  }
  const disposition = req.query.get("response-content-disposition")
  if (disposition !== null) headers["content-disposition"] = disposition
  return bytesResponse(req, object.body, object.size, range, headers)
}
