/**
 * The S3 side of the store: presigned URLs with SigV4-shaped query parameters (`X-Amz-Date`, `X-Amz-Expires`,
 * `X-Amz-Signature`, …) bound to method, path and every query parameter, and the REST calls Iconik's S3 upload
 * flows use: PutObject, the multipart family (Create, UploadPart, Complete, Abort, ListParts), Get/Head (ranged)
 * and Delete. Errors are S3's XML `<Error>` documents with S3's codes and statuses.
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { hex, joinChunks, type Operation } from "./Model.ts"
import {
  answerAfterDrain,
  bodyLimit,
  bytesResponse,
  closing,
  declaredLength,
  type DefaultErrors,
  emptyResponse,
  type Env,
  escapeXml,
  faultRenderer,
  IncompleteBody,
  parseRange,
  readBody,
  StorageConnectionReset,
  type StorageRequest,
  storeUrl,
  unescapeXml,
  withFaults,
  xmlDeclaration,
  xmlElements
} from "./Protocol.ts"
import { checkV4, httpDate, objectPath, presignV4, randomId, type V4Style } from "./Signing.ts"
import type { StoredObject, StoredPart } from "./State.ts"

const namespace = "http://s3.amazonaws.com/doc/2006-03-01/"
const maxPartNumber = 10_000

// ---------------------------------------------------------------------------------------------------------------
// Presigning

export interface PresignS3 {
  readonly method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE"
  readonly bucket: string
  readonly key: string
  /** Operation parameters (`uploads`, `uploadId`, `partNumber`, `response-content-disposition`, …). */
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly now: number
  readonly expiresInSeconds: number
}

/** The store's S3 query signing (exported for clients that sign their own requests, e.g. the slow-link bench). */
export const style: V4Style = {
  scheme: "s3",
  prefix: "X-Amz",
  algorithm: "AWS4-HMAC-SHA256",
  credential: (day) => `EMULATOR/${day}/us-east-1/s3/aws4_request`
}

export const presign = (env: Env, options: PresignS3): string => {
  const path = objectPath("s3", options.bucket, options.key)
  return storeUrl(env, path, presignV4(env.key, style, { ...options, path, signedHeaders: "host" }))
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** An S3 `<Error>` answer. Extra elements follow S3's (e.g. `UploadId`, `PartNumber`, `Header`). */
export const s3Error = (
  req: StorageRequest,
  status: number,
  code: string,
  message: string,
  extra: ReadonlyArray<readonly [string, string | number | undefined]> = []
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(
    `${xmlDeclaration}<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${
      xmlElements(extra)
    }<RequestId>${req.requestId}</RequestId><HostId>${req.requestId}</HostId></Error>`,
    { status, contentType: "application/xml", headers: { "x-amz-request-id": req.requestId } }
  )

const defaultErrors: DefaultErrors = {
  byStatus: {
    400: ["InvalidRequest", "Invalid Request"],
    403: ["AccessDenied", "Access Denied"],
    404: ["NoSuchKey", "The specified key does not exist."],
    409: ["OperationAborted", "A conflicting conditional operation is currently in progress against this resource."],
    500: ["InternalError", "We encountered an internal error. Please try again."],
    501: ["NotImplemented", "A header you provided implies functionality that is not implemented"],
    503: ["SlowDown", "Please reduce your request rate."]
  },
  otherwise: ["InternalError", "We encountered an internal error."]
}

export const renderFault = (req: StorageRequest) =>
  faultRenderer(defaultErrors, (status, code, message) => s3Error(req, status, code, message))

const noSuchUpload = (req: StorageRequest, uploadId: string) =>
  s3Error(
    req,
    404,
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    [["UploadId", uploadId]]
  )

const incompleteBody = (req: StorageRequest, error: IncompleteBody) =>
  s3Error(
    req,
    400,
    "IncompleteBody",
    "You did not provide the number of bytes specified by the Content-Length HTTP header",
    [["NumberBytesExpected", error.declared], ["NumberBytesProvided", error.received]]
  )

// ---------------------------------------------------------------------------------------------------------------
// Authorization

const authorize = (env: Env, req: StorageRequest): HttpServerResponse.HttpServerResponse | undefined => {
  const path = objectPath("s3", req.bucket, req.key)
  const refusal = checkV4(env.key, style, { method: req.method, path, query: req.query, now: req.now })
  switch (refusal?._tag) {
    case undefined:
      return undefined
    case "Unsigned":
      return s3Error(req, 403, "AccessDenied", "Access Denied")
    case "Mismatch":
      return s3Error(
        req,
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
      )
    case "Malformed":
      return s3Error(req, 400, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be given.")
    case "Expired":
      return s3Error(req, 403, "AccessDenied", "Request has expired", [
        ["X-Amz-Expires", refusal.expiresIn],
        ["Expires", new Date(refusal.expiresAt).toISOString()],
        ["ServerTime", new Date(req.now).toISOString()]
      ])
  }
}

/** S3 wants an exact Content-Length on uploads; a chunked body is "not implemented", a missing length is 411. */
const lengthProblem = (req: StorageRequest): HttpServerResponse.HttpServerResponse | undefined => {
  const declared = declaredLength(req.request)
  if (declared._tag === "Chunked") {
    return s3Error(req, 501, "NotImplemented", "A header you provided implies functionality that is not implemented", [
      ["Header", "Transfer-Encoding"]
    ])
  }
  if (declared._tag === "Missing") {
    return s3Error(req, 411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
  }
  return undefined
}

/** Checks a `Content-MD5` header against the received digest. */
const digestProblem = (req: StorageRequest, md5: Buffer): HttpServerResponse.HttpServerResponse | undefined => {
  const header = req.request.headers["content-md5"]
  if (header === undefined) return undefined
  const given = Buffer.from(header, "base64")
  if (given.length !== 16) return s3Error(req, 400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
  return given.equals(md5)
    ? undefined
    : s3Error(req, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch

const operationOf = (req: StorageRequest): Operation | undefined => {
  const q = req.query
  switch (req.method) {
    case "PUT":
      return q.has("uploadId") || q.has("partNumber") ? "UploadPart" : "PutObject"
    case "POST":
      return q.has("uploads") ? "CreateMultipartUpload" : q.has("uploadId") ? "CompleteMultipartUpload" : undefined
    case "DELETE":
      return q.has("uploadId") ? "AbortMultipartUpload" : "DeleteObject"
    case "GET":
      return q.has("uploadId") ? "ListParts" : "GetObject"
    case "HEAD":
      return "HeadObject"
    default:
      return undefined
  }
}

export const handle = (
  env: Env,
  req: StorageRequest
): Effect.Effect<HttpServerResponse.HttpServerResponse, StorageConnectionReset> =>
  Effect.suspend(() => {
    const operation = operationOf(req)
    if (operation === undefined || req.key === "") {
      return answerAfterDrain(
        req,
        s3Error(req, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.", [
          ["Method", req.method],
          ["ResourceType", req.key === "" ? "BUCKET" : "OBJECT"]
        ])
      )
    }
    req.notes.operation = operation
    const denied = authorize(env, req)
    if (denied !== undefined) return answerAfterDrain(req, denied)
    if (env.state.buckets.get(req.bucket) !== "s3") {
      return answerAfterDrain(
        req,
        s3Error(req, 404, "NoSuchBucket", "The specified bucket does not exist", [["BucketName", req.bucket]])
      )
    }
    const partNumber = operation === "UploadPart" ? Number(req.query.get("partNumber")) : undefined
    return withFaults(env, req, { operation, key: req.key, partNumber }, renderFault(req), () => run(env, req, operation))
  })

const run = (
  env: Env,
  req: StorageRequest,
  operation: Operation
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const effect = (() => {
    switch (operation) {
      case "PutObject":
        return putObject(env, req)
      case "CreateMultipartUpload":
        return Effect.sync(() => createMultipartUpload(env, req))
      case "UploadPart":
        return uploadPart(env, req)
      case "CompleteMultipartUpload":
        return completeMultipartUpload(env, req)
      case "AbortMultipartUpload":
        return Effect.sync(() => abortMultipartUpload(env, req))
      case "ListParts":
        return Effect.sync(() => listParts(env, req))
      case "DeleteObject":
        return Effect.sync(() => {
          env.state.deleteObject(req.bucket, req.key)
          return emptyResponse({ status: 204, headers: { "x-amz-request-id": req.requestId } })
        })
      default:
        return Effect.sync(() => getObject(env, req))
    }
  })()
  return effect.pipe(
    Effect.catchTag("IncompleteBody", (error) => Effect.succeed(incompleteBody(req, error))),
    Effect.catchTag("BodyTooLarge", (error) =>
      Effect.succeed(closing(s3Error(req, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", [
        ["MaxSizeAllowed", error.limit]
      ]))))
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

const putObject = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const problem = lengthProblem(req)
  if (problem !== undefined) return yield* answerAfterDrain(req, problem)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true })
  const md5 = body.md5!
  const badDigest = digestProblem(req, md5)
  if (badDigest !== undefined) return badDigest
  const etag = `"${hex(md5)}"`
  env.state.putObject({
    provider: "s3",
    bucket: req.bucket,
    key: req.key,
    size: body.size,
    body: env.state.keepBytes ? body : undefined,
    md5,
    sha1: undefined,
    etag,
    contentType: req.request.headers["content-type"] ?? "binary/octet-stream",
    parts: undefined,
    lastModified: req.now,
    meta: {}
  })
  return emptyResponse({ status: 200, headers: { etag, "x-amz-request-id": req.requestId } })
})

const createMultipartUpload = (env: Env, req: StorageRequest) => {
  const uploadId = randomId(32)
  env.state.s3Uploads.set(uploadId, {
    uploadId,
    bucket: req.bucket,
    key: req.key,
    contentType: req.request.headers["content-type"] ?? "binary/octet-stream",
    startedAt: req.now,
    parts: new Map()
  })
  return xmlResponse(
    req,
    `<InitiateMultipartUploadResult xmlns="${namespace}">${
      xmlElements([["Bucket", req.bucket], ["Key", req.key], ["UploadId", uploadId]])
    }</InitiateMultipartUploadResult>`
  )
}

const xmlResponse = (req: StorageRequest, body: string) =>
  HttpServerResponse.text(xmlDeclaration + body, {
    status: 200,
    contentType: "application/xml",
    headers: { "x-amz-request-id": req.requestId }
  })

/** The open upload the request names, if it belongs to this bucket and key. */
const openUpload = (env: Env, req: StorageRequest) => {
  const upload = env.state.s3Uploads.get(req.query.get("uploadId") ?? "")
  return upload !== undefined && upload.bucket === req.bucket && upload.key === req.key ? upload : undefined
}

const uploadPart = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const uploadId = req.query.get("uploadId") ?? ""
  const partNumber = Number(req.query.get("partNumber"))
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxPartNumber) {
    return yield* answerAfterDrain(
      req,
      s3Error(req, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", [
        ["ArgumentName", "partNumber"],
        ["ArgumentValue", req.query.get("partNumber") ?? ""]
      ])
    )
  }
  if (openUpload(env, req) === undefined) return yield* answerAfterDrain(req, noSuchUpload(req, uploadId))
  const problem = lengthProblem(req)
  if (problem !== undefined) return yield* answerAfterDrain(req, problem)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true })
  const md5 = body.md5!
  const badDigest = digestProblem(req, md5)
  if (badDigest !== undefined) return badDigest
  // The upload may have been completed or aborted while the part was in flight.
  const upload = openUpload(env, req)
  if (upload === undefined) return noSuchUpload(req, uploadId)
  const etag = `"${hex(md5)}"`
  upload.parts.set(partNumber, {
    number: partNumber,
    size: body.size,
    body: env.state.keepBytes ? body : undefined,
    md5,
    sha1: undefined,
    etag,
    lastModified: req.now
  })
  return emptyResponse({ status: 200, headers: { etag, "x-amz-request-id": req.requestId } })
})

const stripQuotes = (etag: string) => etag.trim().replace(/^"|"$/g, "")

/** The `(PartNumber, ETag)` pairs of a CompleteMultipartUpload document, or undefined when it is malformed. */
export const parseCompleteDocument = (
  xml: string
): ReadonlyArray<{ readonly partNumber: number; readonly etag: string }> | undefined => {
  if (!/<CompleteMultipartUpload[\s>]/.test(xml)) return undefined
  const parts: Array<{ partNumber: number; etag: string }> = []
  for (const match of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const number = /<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(match[1])
    const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(match[1])
    if (number === null || etag === null) return undefined
    parts.push({ partNumber: Number(number[1]), etag: unescapeXml(etag[1]) })
  }
  return parts.length === 0 ? undefined : parts
}

const completeMultipartUpload = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const uploadId = req.query.get("uploadId") ?? ""
  if (openUpload(env, req) === undefined) return yield* answerAfterDrain(req, noSuchUpload(req, uploadId))
  const problem = lengthProblem(req)
  if (problem !== undefined) return yield* answerAfterDrain(req, problem)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: true })
  const upload = openUpload(env, req)
  if (upload === undefined) return noSuchUpload(req, uploadId)
  const requested = parseCompleteDocument(Buffer.concat(body.chunks).toString("utf8"))
  if (requested === undefined) {
    return s3Error(
      req,
      400,
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema"
    )
  }
  const chosen: Array<StoredPart> = []
  for (const [index, { etag, partNumber }] of requested.entries()) {
    if (index > 0 && partNumber <= requested[index - 1].partNumber) {
      return s3Error(
        req,
        400,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        [["UploadId", uploadId]]
      )
    }
    const part = upload.parts.get(partNumber)
    if (part === undefined || stripQuotes(part.etag) !== stripQuotes(etag)) {
      return s3Error(
        req,
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, " +
          "or the specified entity tag may not match the part's entity tag.",
        [["UploadId", uploadId], ["PartNumber", partNumber], ["ETag", etag]]
      )
    }
    chosen.push(part)
  }
  for (const part of chosen.slice(0, -1)) {
    if (part.size < env.settings.minPartSize) {
      return s3Error(req, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", [
        ["ProposedSize", part.size],
        ["MinSizeAllowed", env.settings.minPartSize],
        ["PartNumber", part.number],
        ["ETag", part.etag]
      ])
    }
  }
  const composite = createHash("md5")
  for (const part of chosen) composite.update(part.md5!)
  const etag = `"${composite.digest("hex")}-${chosen.length}"`
  const object: StoredObject = {
    provider: "s3",
    bucket: req.bucket,
    key: req.key,
    size: chosen.reduce((total, part) => total + part.size, 0),
    body: env.state.keepBytes ? joinChunks(chosen.map((part) => part.body!)) : undefined,
    md5: undefined,
    sha1: undefined,
    etag,
    contentType: upload.contentType,
    parts: chosen,
    lastModified: req.now,
    meta: {}
  }
  env.state.putObject(object)
  env.state.s3Uploads.delete(uploadId)
  return xmlResponse(
    req,
    `<CompleteMultipartUploadResult xmlns="${namespace}">${
      xmlElements([
        ["Location", storeUrl(env, objectPath("s3", req.bucket, req.key), "")],
        ["Bucket", req.bucket],
        ["Key", req.key],
        ["ETag", etag]
      ])
    }</CompleteMultipartUploadResult>`
  )
})

const abortMultipartUpload = (env: Env, req: StorageRequest) => {
  const uploadId = req.query.get("uploadId") ?? ""
  if (openUpload(env, req) === undefined) return noSuchUpload(req, uploadId)
  env.state.s3Uploads.delete(uploadId)
  return emptyResponse({ status: 204, headers: { "x-amz-request-id": req.requestId } })
}

const listParts = (env: Env, req: StorageRequest) => {
  const uploadId = req.query.get("uploadId") ?? ""
  const upload = openUpload(env, req)
  if (upload === undefined) return noSuchUpload(req, uploadId)
  const maxParts = Math.max(0, Math.min(1000, Number(req.query.get("max-parts") ?? 1000) || 1000))
  const marker = Number(req.query.get("part-number-marker") ?? 0) || 0
  const all = [...upload.parts.values()].filter((part) => part.number > marker).sort((a, b) => a.number - b.number)
  const page = all.slice(0, maxParts)
  const truncated = all.length > page.length
  const parts = page.map((part) =>
    `<Part>${
      xmlElements([
        ["PartNumber", part.number],
        ["LastModified", new Date(part.lastModified).toISOString()],
        ["ETag", part.etag],
        ["Size", part.size]
      ])
    }</Part>`
  ).join("")
  return xmlResponse(
    req,
    `<ListPartsResult xmlns="${namespace}">${
      xmlElements([
        ["Bucket", req.bucket],
        ["Key", req.key],
        ["UploadId", uploadId],
        ["PartNumberMarker", marker],
        ["NextPartNumberMarker", page.length > 0 ? page[page.length - 1].number : marker],
        ["MaxParts", maxParts],
        ["IsTruncated", String(truncated)]
      ])
    }${parts}<StorageClass>STANDARD</StorageClass></ListPartsResult>`
  )
}

const getObject = (env: Env, req: StorageRequest) => {
  const object = env.state.getObject(req.bucket, req.key)
  if (object === undefined || object.provider !== "s3") {
    return s3Error(req, 404, "NoSuchKey", "The specified key does not exist.", [["Key", req.key]])
  }
  const range = parseRange(req.request.headers["range"], object.size)
  if (range._tag === "Unsatisfiable") {
    return s3Error(req, 416, "InvalidRange", "The requested range is not satisfiable", [
      ["RangeRequested", req.request.headers["range"]],
      ["ActualObjectSize", object.size]
    ])
  }
  const headers: Record<string, string> = {
    etag: object.etag,
    "last-modified": httpDate(object.lastModified),
    "content-type": req.query.get("response-content-type") ?? object.contentType,
    "x-amz-request-id": req.requestId
  }
  const disposition = req.query.get("response-content-disposition")
  if (disposition !== null) headers["content-disposition"] = disposition
  return bytesResponse(req, object.body, object.size, range, headers)
}
