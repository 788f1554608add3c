/**
 * The Backblaze B2 side. B2 has no presigned URLs: an upload URL comes with an authorization token sent in the
 * `Authorization` header. The store seals its own tokens (scope: bucket, and file id for large-file parts; an
 * expiry) and serves `b2_upload_file`, `b2_upload_part` and downloads by name. Starting, finishing and cancelling
 * a large file go through Iconik's endpoints in the real flow, so they are plain functions the emulator calls.
 * Errors are B2's JSON `{status, code, message}`.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { hex, joinChunks, type Operation } from "./Model.ts"
import {
  answerAfterDrain,
  bodyLimit,
  type BodyTooLarge,
  bytesResponse,
  closing,
  declaredLength,
  type DefaultErrors,
  type Env,
  faultRenderer,
  type IncompleteBody,
  parseRange,
  readBody,
  type StorageConnectionReset,
  type StorageRequest,
  storeUrl,
  withFaults
} from "./Protocol.ts"
import { encodeRfc3986, formatQuery, httpDate, objectPath, openToken, randomId, sealToken } from "./Signing.ts"
import type { B2LargeFile, StoredObject, StoredPart } from "./State.ts"

const tokenPrefix = "4_"
const accountId = "emulator"
const maxPartNumber = 10_000

/** A B2 failure, for the large-file functions the emulator calls (its HTTP answers carry the same fields). */
export class B2Error extends Schema.TaggedError<B2Error>()("B2Error", {
  status: Schema.Number,
  code: Schema.String,
  message: Schema.String
}) {}

/** What `b2_upload_file` and `b2_finish_large_file` return. */
export interface B2FileInfo {
  readonly accountId: string
  readonly action: "upload"
  readonly bucketId: string
  readonly contentLength: number
  readonly contentMd5: string | null
  readonly contentSha1: string
  readonly contentType: string
  readonly fileId: string
  readonly fileInfo: Readonly<Record<string, string>>
  readonly fileName: string
  readonly uploadTimestamp: number
}

/** What `b2_cancel_large_file` returns. */
export interface B2CancelledFile {
  readonly fileId: string
  readonly accountId: string
  readonly bucketId: string
  readonly fileName: string
}

/** Iconik's `multipart/b2/start/` answer. */
export interface B2LargeFileStart {
  readonly upload_file_id: string
  readonly upload_url: string
  readonly authorization_token: string
}

/** A stable B2-looking bucket id for a bucket name. */
export const bucketId = (bucket: string): string => createHash("sha1").update(bucket).digest("hex").slice(0, 24)

// ---------------------------------------------------------------------------------------------------------------
// Tokens and URLs

type TokenKind = "upload" | "part" | "download"

const mintToken = (env: Env, kind: TokenKind, bucket: string, now: number, expiresInSeconds: number, fileId = "") =>
  sealToken(env.key, tokenPrefix, { k: kind, b: bucket, f: fileId, e: now + expiresInSeconds * 1000, n: randomId(6) })

const uploadFilePath = (bucket: string) => `${objectPath("b2", bucket, "")}/b2api/v2/b2_upload_file`
const uploadPartPath = (bucket: string, fileId: string) =>
  `${objectPath("b2", bucket, "")}/b2api/v2/b2_upload_part/${encodeRfc3986(fileId)}`

/** `b2_get_upload_url`: where to POST single files, and the token for the `Authorization` header. */
export const uploadUrl = (env: Env, bucket: string, now: number, expiresInSeconds: number) => ({
  bucketId: bucketId(bucket),
  uploadUrl: storeUrl(env, uploadFilePath(bucket), ""),
  authorizationToken: mintToken(env, "upload", bucket, now, expiresInSeconds)
})

/** A download URL by file name with a download authorization in the query, as B2's `?Authorization=` form. */
export const downloadUrl = (
  env: Env,
  bucket: string,
  key: string,
  now: number,
  expiresInSeconds: number,
  contentDisposition?: string | undefined
): string => {
  const query: Array<readonly [string, string]> = [
    ["Authorization", mintToken(env, "download", bucket, now, expiresInSeconds)]
  ]
  if (contentDisposition !== undefined) query.push(["b2ContentDisposition", contentDisposition])
  return storeUrl(
    env,
    `${objectPath("b2", bucket, "")}/file/${key.split("/").map(encodeRfc3986).join("/")}`,
    formatQuery(query)
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const b2Error = (status: number, code: string, message: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe({ status, code, message }, { status })

const defaultErrors: DefaultErrors = {
  byStatus: {
    400: ["bad_request", "Bad request"],
    401: ["bad_auth_token", "Invalid authorization token"],
    403: ["cap_exceeded", "Cap exceeded."],
    408: ["request_timeout", "The service timed out trying to read your request"],
    429: ["too_many_requests", "Too many requests"],
    500: ["internal_error", "An internal error occurred"],
    503: ["service_unavailable", "c001_v0001000_t0000 is too busy"]
  },
  otherwise: ["internal_error", "An internal error occurred"]
}

export const renderFault = faultRenderer(defaultErrors, b2Error)

const badRequest = (message: string) => b2Error(400, "bad_request", message)

// ---------------------------------------------------------------------------------------------------------------
// Dispatch

type Route =
  | { readonly operation: "UploadFile" }
  | { readonly operation: "UploadPart"; readonly fileId: string }
  | { readonly operation: "DownloadFile" | "HeadObject"; readonly fileName: string }

const routeOf = (req: StorageRequest): Route | undefined => {
  if (req.method === "POST" && req.key === "b2api/v2/b2_upload_file") return { operation: "UploadFile" }
  const part = /^b2api\/v2\/b2_upload_part\/(.+)$/.exec(req.key)
  if (req.method === "POST" && part !== null) return { operation: "UploadPart", fileId: part[1] }
  const file = /^file\/(.+)$/.exec(req.key)
  if (file !== null && (req.method === "GET" || req.method === "HEAD")) {
    return { operation: req.method === "GET" ? "DownloadFile" : "HeadObject", fileName: file[1] }
  }
  return undefined
}

/** Checks the token: sealed by this store, not expired, of the right kind, for this bucket (and file). */
const authorize = (env: Env, req: StorageRequest, kind: TokenKind, fileId: string) => {
  const token = req.request.headers["authorization"] ?? (kind === "download" ? req.query.get("Authorization") : null)
  if (token === undefined || token === null || token === "") {
    return b2Error(401, "bad_auth_token", "Missing Authorization header")
  }
  const claims = openToken(env.key, tokenPrefix, token)
  if (claims === undefined) return b2Error(401, "bad_auth_token", "Invalid authorization token")
  if (typeof claims.e !== "number" || req.now > claims.e) {
    return b2Error(401, "expired_auth_token", "Authorization token has expired")
  }
  if (claims.k !== kind || claims.b !== req.bucket || (kind === "part" && claims.f !== fileId)) {
    return b2Error(401, "unauthorized", "The authorization token is not valid for this request")
  }
  return undefined
}

export const handle = (
  env: Env,
  req: StorageRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, StorageConnectionReset> =>
  Effect.suspend(() => {
    const route = routeOf(req)
    if (route === undefined) {
      return answerAfterDrain(req, badRequest(`Unsupported request: ${req.method} ${req.key}`))
    }
    const operation: Operation = route.operation
    req.notes.operation = operation
    const denied = authorize(
      env,
      req,
      route.operation === "UploadFile" ? "upload" : route.operation === "UploadPart" ? "part" : "download",
      route.operation === "UploadPart" ? route.fileId : ""
    )
    if (denied !== undefined) return answerAfterDrain(req, denied)
    if (env.state.buckets.get(req.bucket) !== "b2") {
      return answerAfterDrain(req, badRequest(`Bucket ${req.bucket} does not exist`))
    }
    const partNumber = route.operation === "UploadPart" ? Number(req.request.headers["x-bz-part-number"]) : undefined
    const key = route.operation === "UploadFile"
      ? decodeFileName(req.request.headers["x-bz-file-name"] ?? "")
      : route.operation === "UploadPart"
      ? env.state.b2LargeFiles.get(route.fileId)?.key ?? ""
      : route.fileName
    const run = () =>
      (route.operation === "UploadFile"
        ? uploadFile(env, req)
        : route.operation === "UploadPart"
        ? uploadPart(env, req, route.fileId)
        : Effect.sync(() => download(env, req, route.fileName))).pipe(
          Effect.catchTag("IncompleteBody", () =>
            Effect.succeed(badRequest("The request body is shorter or longer than its Content-Length"))),
          Effect.catchTag("BodyTooLarge", (error) =>
            Effect.succeed(closing(badRequest(`The request body is larger than ${error.limit} bytes`))))
        )
    return withFaults(env, req, { operation, key, partNumber }, renderFault, run)
  })

/** B2 file names travel percent-encoded, with `+` for spaces. */
const decodeFileName = (header: string): string => {
  try {
    return decodeURIComponent(header.replace(/\+/g, " "))
  } catch {
    return header
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Uploads

interface VerifiedBody {
  readonly body: { readonly chunks: ReadonlyArray<Uint8Array>; readonly size: number }
  readonly sha1: Buffer
  readonly md5: Buffer
}

/**
 * Reads an upload body and checks `X-Bz-Content-Sha1`: a 40-digit hex digest is verified; `do_not_verify` and
 * `unverified:<hex>` are accepted as given; `hex_digits_at_end` means the last 40 bytes of the body are the digest.
 */
const readVerified = Effect.fnUntraced(function*(
  env: Env,
  req: StorageRequest
): Effect.fn.Return<VerifiedBody | HttpServerResponse.HttpServerResponse, IncompleteBody | BodyTooLarge> {
  const declared = declaredLength(req.request)
  if (declared._tag !== "Known") {
    return yield* answerAfterDrain(req, badRequest("Missing header: Content-Length"))
  }
  const sha1Header = req.request.headers["x-bz-content-sha1"]
  if (sha1Header === undefined) {
    return yield* answerAfterDrain(req, badRequest("Missing header: X-Bz-Content-Sha1"))
  }
  if (sha1Header === "hex_digits_at_end") {
    if (declared.length < 40) {
      return yield* answerAfterDrain(req, badRequest("Content-Length too small for hex_digits_at_end"))
    }
    const received = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: true })
    const all = Buffer.concat(received.chunks)
    const content = all.subarray(0, all.length - 40)
    const sha1 = createHash("sha1").update(content).digest()
    if (sha1.toString("hex") !== all.subarray(all.length - 40).toString("latin1").toLowerCase()) {
      return badRequest("Sha1 did not match data received")
    }
    const md5 = createHash("md5").update(content).digest()
    return { body: { chunks: env.state.keepBytes ? [content] : [], size: content.length }, sha1, md5 }
  }
  const received = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true, sha1: true })
  if (sha1Header !== "do_not_verify" && !sha1Header.startsWith("unverified:")) {
    if (!/^[0-9a-fA-F]{40}$/.test(sha1Header)) return badRequest(`Invalid X-Bz-Content-Sha1: ${sha1Header}`)
    if (sha1Header.toLowerCase() !== hex(received.sha1!)) return badRequest("Sha1 did not match data received")
  }
  return { body: received, sha1: received.sha1!, md5: received.md5! }
})

const isResponse = (u: VerifiedBody | HttpServerResponse.HttpServerResponse): u is HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.isHttpServerResponse(u)

const fileInfoOf = (req: StorageRequest): Record<string, string> => {
  const info: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.request.headers)) {
    if (name.startsWith("x-bz-info-")) info[name.slice("x-bz-info-".length)] = decodeFileName(value)
  }
  return info
}

const newFileId = (bucket: string) => `4_z${bucketId(bucket)}_f${randomId(12).replace(/[-_]/g, "0")}`

const fileInfoJson = (object: StoredObject): B2FileInfo => ({
  accountId,
  action: "upload",
  bucketId: bucketId(object.bucket),
  contentLength: object.size,
  contentMd5: object.parts === undefined && object.md5 !== undefined ? hex(object.md5) : null,
  contentSha1: object.parts === undefined && object.sha1 !== undefined ? hex(object.sha1) : "none",
  contentType: object.contentType,
  fileId: object.meta.fileId,
  fileInfo: JSON.parse(object.meta.fileInfo ?? "{}") as Record<string, string>,
  fileName: object.key,
  uploadTimestamp: object.lastModified
})

const uploadFile = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const nameHeader = req.request.headers["x-bz-file-name"]
  if (nameHeader === undefined || nameHeader === "") {
    return yield* answerAfterDrain(req, badRequest("Missing header: X-Bz-File-Name"))
  }
  const contentType = req.request.headers["content-type"]
  if (contentType === undefined) return yield* answerAfterDrain(req, badRequest("Missing header: Content-Type"))
  const verified = yield* readVerified(env, req)
  if (isResponse(verified)) return verified
  const fileId = newFileId(req.bucket)
  const object: StoredObject = {
    provider: "b2",
    bucket: req.bucket,
    key: decodeFileName(nameHeader),
    size: verified.body.size,
    body: env.state.keepBytes ? verified.body : undefined,
    md5: verified.md5,
    sha1: verified.sha1,
    etag: hex(verified.sha1),
    contentType: contentType === "b2/x-auto" ? "application/octet-stream" : contentType,
    parts: undefined,
    lastModified: req.now,
    meta: { fileId, fileInfo: JSON.stringify(fileInfoOf(req)) }
  }
  env.state.putObject(object)
  return HttpServerResponse.jsonUnsafe(fileInfoJson(object), { status: 200 })
})

const uploadPart = Effect.fnUntraced(function*(env: Env, req: StorageRequest, fileId: string) {
  const partNumber = Number(req.request.headers["x-bz-part-number"])
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxPartNumber) {
    return yield* answerAfterDrain(req, badRequest("X-Bz-Part-Number must be between 1 and 10000"))
  }
  if (!env.state.b2LargeFiles.has(fileId)) {
    return yield* answerAfterDrain(req, badRequest(`No active upload for: ${fileId}`))
  }
  const verified = yield* readVerified(env, req)
  if (isResponse(verified)) return verified
  // The file may have been finished or cancelled while the part was in flight.
  const file = env.state.b2LargeFiles.get(fileId)
  if (file === undefined) return badRequest(`No active upload for: ${fileId}`)
  const sha1 = hex(verified.sha1)
  file.parts.set(partNumber, {
    number: partNumber,
    size: verified.body.size,
    body: env.state.keepBytes ? verified.body : undefined,
    md5: verified.md5,
    sha1: verified.sha1,
    etag: sha1,
    lastModified: req.now
  })
  return HttpServerResponse.jsonUnsafe({
    fileId,
    partNumber,
    contentLength: verified.body.size,
    contentSha1: sha1,
    contentMd5: hex(verified.md5),
    serverSideEncryption: { algorithm: null, mode: null },
    uploadTimestamp: req.now
  }, { status: 200 })
})

const download = (env: Env, req: StorageRequest, rawName: string) => {
  const fileName = decodeFileName(rawName)
  const object = env.state.getObject(req.bucket, fileName)
  if (object === undefined || object.provider !== "b2") {
    return b2Error(404, "not_found", `File with such name does not exist: ${fileName}`)
  }
  const range = parseRange(req.request.headers["range"], object.size)
  if (range._tag === "Unsatisfiable") {
    return b2Error(416, "range_not_satisfiable", "The Range header in the request is outside the size of the file")
  }
  const info = fileInfoJson(object)
  const headers: Record<string, string> = {
    "content-type": object.contentType,
    "x-bz-file-name": encodeRfc3986(object.key),
    "x-bz-file-id": info.fileId,
    "x-bz-content-sha1": info.contentSha1,
    "x-bz-upload-timestamp": String(object.lastModified),
    "last-modified": httpDate(object.lastModified)
  }
  const disposition = req.query.get("b2ContentDisposition")
  if (disposition !== null) headers["content-disposition"] = disposition
  return bytesResponse(req, object.body, object.size, range, headers)
}

// ---------------------------------------------------------------------------------------------------------------
// Large files (called by the emulator's Iconik endpoints)

export const startLargeFile = (
  env: Env,
  options: {
    readonly bucket: string
    readonly key: string
    readonly contentType: string
    readonly fileInfo: Readonly<Record<string, string>>
    readonly now: number
    readonly expiresInSeconds: number
  }
): B2LargeFileStart => {
  const fileId = newFileId(options.bucket)
  const file: B2LargeFile = {
    fileId,
    bucket: options.bucket,
    key: options.key,
    contentType: options.contentType,
    fileInfo: options.fileInfo,
    startedAt: options.now,
    parts: new Map()
  }
  env.state.b2LargeFiles.set(fileId, file)
  return {
    upload_file_id: fileId,
    upload_url: storeUrl(env, uploadPartPath(options.bucket, fileId), ""),
    authorization_token: mintToken(env, "part", options.bucket, options.now, options.expiresInSeconds, fileId)
  }
}

const noActiveUpload = (fileId: string) =>
  new B2Error({ status: 400, code: "bad_request", message: `No active upload for: ${fileId}` })

/** Assembles the parts named by `sha1List` (part 1 first), as `b2_finish_large_file`. */
export const finishLargeFile = (
  env: Env,
  fileId: string,
  sha1List: ReadonlyArray<string>,
  now: number
): Effect.Effect<B2FileInfo, B2Error> =>
  Effect.suspend(() => {
    const file = env.state.b2LargeFiles.get(fileId)
    if (file === undefined) return Effect.fail(noActiveUpload(fileId))
    const problem = (message: string) => Effect.fail(new B2Error({ status: 400, code: "bad_request", message }))
    if (sha1List.length < 2) return problem("large files must have at least 2 parts")
    if (file.parts.size !== sha1List.length) {
      return problem(`Part count mismatch: ${file.parts.size} uploaded, ${sha1List.length} in partSha1Array`)
    }
    const chosen: Array<StoredPart> = []
    for (const [index, sha1] of sha1List.entries()) {
      const part = file.parts.get(index + 1)
      if (part === undefined) return problem(`Part number ${index + 1} has not been uploaded`)
      if (part.etag !== sha1.toLowerCase()) return problem(`Sha1 mismatch for part number ${index + 1}`)
      if (index < sha1List.length - 1 && part.size < env.settings.minPartSize) {
        return problem(`Part number ${index + 1} is smaller than the minimum part size`)
      }
      chosen.push(part)
    }
    const object: StoredObject = {
      provider: "b2",
      bucket: file.bucket,
      key: file.key,
      size: chosen.reduce((total, part) => total + part.size, 0),
      body: env.state.keepBytes ? joinChunks(chosen.map((part) => part.body!)) : undefined,
      md5: undefined,
      sha1: undefined,
      etag: "none",
      contentType: file.contentType,
      parts: chosen,
      lastModified: now,
      meta: { fileId, fileInfo: JSON.stringify(file.fileInfo) }
    }
    env.state.putObject(object)
    env.state.b2LargeFiles.delete(fileId)
    return Effect.succeed(fileInfoJson(object))
  })

/** Drops an unfinished large file and its parts, as `b2_cancel_large_file`. */
export const cancelLargeFile = (
  env: Env,
  fileId: string
): Effect.Effect<B2CancelledFile, B2Error> =>
  Effect.suspend(() => {
    const file = env.state.b2LargeFiles.get(fileId)
    if (file === undefined) return Effect.fail(noActiveUpload(fileId))
    env.state.b2LargeFiles.delete(fileId)
    return Effect.succeed({ fileId, accountId, bucketId: bucketId(file.bucket), fileName: file.key })
  })
