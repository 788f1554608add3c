/**
 * The Azure Blob side: service-SAS-shaped URLs (`sv`, `sr`, `sp`, `st`, `se`, `sig`) whose signature covers the
 * path and the SAS parameters only (so `comp=block&blockid=…` can be appended, as Azure clients do) and whose `sp`
 * grants permissions, and the block blob calls: Put Blob, Put Block, Put Block List, Get Block List, Get Blob
 * (ranged), Delete Blob. Errors are Azure's XML with `x-ms-error-code`.
 */
import { randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { base64, joinChunks, type Operation } from "./Model.ts"
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
  parseRange,
  readBody,
  type StorageConnectionReset,
  type StorageRequest,
  storeUrl,
  unescapeXml,
  withFaults,
  xmlElements
} from "./Protocol.ts"
import {
  canonicalQuery,
  formatQuery,
  hmac,
  httpDate,
  isoSeconds,
  objectPath,
  parseIso,
  sameSignature,
  stringToSign
} from "./Signing.ts"
import type { StoredObject, StoredPart } from "./State.ts"

const apiVersion = "2023-11-03"

/** Parameters that belong to the SAS token (everything else, such as `comp` or `blockid`, is the client's own). */
const sasParameters = new Set(["sv", "sr", "sp", "st", "se", "spr", "sip", "si", "rscc", "rscd", "rsce", "rscl", "rsct"])

// ---------------------------------------------------------------------------------------------------------------
// Presigning

export interface PresignAzure {
  readonly bucket: string
  readonly key: string
  /** Letters of `r` (read), `c` (create), `w` (write), `d` (delete). */
  readonly permissions: string
  readonly contentDisposition?: string | undefined
  readonly now: number
  readonly expiresInSeconds: number
}

const signatureFor = (env: Env, path: string, query: URLSearchParams): string =>
  hmac(
    env.key,
    stringToSign({ scheme: "azure", method: undefined, path, query: canonicalQuery(query, (n) => sasParameters.has(n)) })
  ).toString("base64")

export const presign = (env: Env, options: PresignAzure): string => {
  const entries: Array<readonly [string, string]> = [
    ["sv", apiVersion],
    ["sr", "b"],
    ["sp", options.permissions],
    // A start slightly in the past, as SAS generators do to absorb clock skew.
    ["st", isoSeconds(options.now - 5 * 60_000)],
    ["se", isoSeconds(options.now + options.expiresInSeconds * 1000)],
    ["spr", "https,http"]
  ]
  if (options.contentDisposition !== undefined) entries.push(["rscd", options.contentDisposition])
  const path = objectPath("azure", options.bucket, options.key)
  const signature = signatureFor(env, path, new URLSearchParams(entries.map(([k, v]) => [k, v])))
  return storeUrl(env, path, formatQuery([...entries, ["sig", signature]]))
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const azureError = (
  req: StorageRequest,
  status: number,
  code: string,
  message: string,
  extra: ReadonlyArray<readonly [string, string | number | undefined]> = []
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(
    `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${escapeXml(code)}</Code><Message>${
      escapeXml(`${message}\nRequestId:${req.requestId}\nTime:${new Date(req.now).toISOString()}`)
    }</Message>${xmlElements(extra)}</Error>`,
    { status, contentType: "application/xml", headers: { ...standardHeaders(req), "x-ms-error-code": code } }
  )

const standardHeaders = (req: StorageRequest): Record<string, string> => ({
  "x-ms-request-id": req.requestId,
  "x-ms-version": apiVersion,
  date: httpDate(req.now)
})

const defaultErrors: DefaultErrors = {
  byStatus: {
    400: ["InvalidInput", "One of the request inputs is not valid."],
    403: ["AuthenticationFailed", "Server failed to authenticate the request."],
    404: ["BlobNotFound", "The specified blob does not exist."],
    409: ["LeaseIdMissing", "There is currently a lease on the blob and no lease ID was specified in the request."],
    500: ["InternalError", "The server encountered an internal error. Please retry the request."],
    503: ["ServerBusy", "The server is currently unable to receive requests. Please retry your request."]
  },
  otherwise: ["InternalError", "The server encountered an internal error."]
}

export const renderFault = (req: StorageRequest) =>
  faultRenderer(defaultErrors, (status, code, message) => azureError(req, status, code, message))

const authenticationFailed = (req: StorageRequest, detail: string) =>
  azureError(
    req,
    403,
    "AuthenticationFailed",
    "Server failed to authenticate the request. " +
      "Make sure the value of Authorization header is formed correctly including the signature.",
    [["AuthenticationErrorDetail", detail]]
  )

// ---------------------------------------------------------------------------------------------------------------
// Authorization

/** The SAS permission letter each operation needs (any one of them). */
const requiredPermissions: Partial<Record<Operation, string>> = {
  PutBlob: "cw",
  PutBlock: "cw",
  PutBlockList: "cw",
  GetBlockList: "r",
  GetObject: "r",
  HeadObject: "r",
  DeleteObject: "d"
}

const authorize = (env: Env, req: StorageRequest, operation: Operation) => {
  const signature = req.query.get("sig")
  if (signature === null) {
    return azureError(
      req,
      401,
      "NoAuthenticationInformation",
      "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."
    )
  }
  const path = objectPath("azure", req.bucket, req.key)
  if (!sameSignature(signatureFor(env, path, req.query), signature)) {
    return authenticationFailed(req, "Signature did not match. String to sign used was the store's canonical SAS form.")
  }
  const start = parseIso(req.query.get("st") ?? "") ?? Number.NEGATIVE_INFINITY
  const expiry = parseIso(req.query.get("se") ?? "")
  if (expiry === undefined) return authenticationFailed(req, "se is mandatory. Cannot be empty")
  if (req.now > expiry || req.now < start) {
    return authenticationFailed(
      req,
      `Signature not valid in the specified time frame: Start [${
        Number.isFinite(start) ? httpDate(start) : ""
      }] - Expiry [${httpDate(expiry)}] - Current [${httpDate(req.now)}]`
    )
  }
  const granted = req.query.get("sp") ?? ""
  const needed = requiredPermissions[operation] ?? ""
  if (![...needed].some((letter) => granted.includes(letter))) {
    return azureError(
      req,
      403,
      "AuthorizationPermissionMismatch",
      "This request is not authorized to perform this operation using this permission."
    )
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch

const operationOf = (req: StorageRequest): Operation | undefined => {
  const comp = req.query.get("comp")
  switch (req.method) {
    case "PUT":
      return comp === null ? "PutBlob" : comp === "block" ? "PutBlock" : comp === "blocklist" ? "PutBlockList" : undefined
    case "GET":
      return comp === null ? "GetObject" : comp === "blocklist" ? "GetBlockList" : undefined
    case "HEAD":
      return comp === null ? "HeadObject" : undefined
    case "DELETE":
      return comp === null ? "DeleteObject" : undefined
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
        azureError(req, 400, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb.")
      )
    }
    req.notes.operation = operation
    const denied = authorize(env, req, operation)
    if (denied !== undefined) return answerAfterDrain(req, denied)
    if (env.state.buckets.get(req.bucket) !== "azure") {
      return answerAfterDrain(
        req,
        azureError(req, 404, "ContainerNotFound", "The specified container does not exist.")
      )
    }
    return withFaults(env, req, { operation, key: req.key, partNumber: undefined }, renderFault(req), () => run(env, req, operation))
  })

const run = (env: Env, req: StorageRequest, operation: Operation): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  const effect = (() => {
    switch (operation) {
      case "PutBlob":
        return putBlob(env, req)
      case "PutBlock":
        return putBlock(env, req)
      case "PutBlockList":
        return putBlockList(env, req)
      case "GetBlockList":
        return Effect.sync(() => getBlockList(env, req))
      case "DeleteObject":
        return Effect.sync(() => {
          if (!env.state.deleteObject(req.bucket, req.key)) {
            return azureError(req, 404, "BlobNotFound", "The specified blob does not exist.")
          }
          env.state.dropAzureBlocks(req.bucket, req.key)
          return emptyResponse({ status: 202, headers: standardHeaders(req) })
        })
      default:
        return Effect.sync(() => getBlob(env, req))
    }
  })()
  return effect.pipe(
    Effect.catchTag("IncompleteBody", () =>
      Effect.succeed(
        azureError(req, 400, "InvalidInput", "The request body is shorter or longer than its Content-Length.")
      )),
    Effect.catchTag("BodyTooLarge", () =>
      Effect.succeed(closing(azureError(
        req,
        413,
        "RequestBodyTooLarge",
        "The request body is too large and exceeds the maximum permissible limit."
      ))))
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

/** Azure wants a Content-Length on uploads. */
const lengthProblem = (req: StorageRequest) =>
  declaredLength(req.request)._tag === "Known"
    ? undefined
    : azureError(req, 411, "MissingContentLengthHeader", "Content-Length HTTP header is missing")

const md5Problem = (req: StorageRequest, md5: Buffer) => {
  const header = req.request.headers["content-md5"]
  return header === undefined || Buffer.from(header, "base64").equals(md5)
    ? undefined
    : azureError(
      req,
      400,
      "Md5Mismatch",
      "The MD5 value specified in the request did not match with the MD5 value calculated by the server."
    )
}

const newEtag = () => `"0x8D${randomBytes(7).toString("hex").toUpperCase().slice(0, 13)}"`

const putBlob = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const blobType = req.request.headers["x-ms-blob-type"]
  if (blobType === undefined) {
    return yield* answerAfterDrain(
      req,
      azureError(req, 400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.", [
        ["HeaderName", "x-ms-blob-type"]
      ])
    )
  }
  if (blobType !== "BlockBlob") {
    return yield* answerAfterDrain(
      req,
      azureError(req, 400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.", [
        ["HeaderName", "x-ms-blob-type"],
        ["HeaderValue", blobType]
      ])
    )
  }
  const problem = lengthProblem(req)
  if (problem !== undefined) return yield* answerAfterDrain(req, problem)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true })
  const md5 = body.md5!
  const mismatch = md5Problem(req, md5)
  if (mismatch !== undefined) return mismatch
  const object: StoredObject = {
    provider: "azure",
    bucket: req.bucket,
    key: req.key,
    size: body.size,
    body: env.state.keepBytes ? body : undefined,
    md5,
    sha1: undefined,
    etag: newEtag(),
    contentType: req.request.headers["x-ms-blob-content-type"] ?? req.request.headers["content-type"] ??
      "application/octet-stream",
    parts: undefined,
    lastModified: req.now,
    meta: {}
  }
  env.state.putObject(object)
  // Put Blob replaces the blob and discards its uncommitted blocks.
  env.state.dropAzureBlocks(req.bucket, req.key)
  return created(req, object, { "content-md5": base64(md5) })
})

const created = (req: StorageRequest, object: StoredObject, extra: Record<string, string> = {}) =>
  emptyResponse({
    status: 201,
    headers: {
      ...standardHeaders(req),
      ...extra,
      etag: object.etag,
      "last-modified": httpDate(object.lastModified),
      "x-ms-request-server-encrypted": "true"
    }
  })

/** Block ids are base64 of at most 64 bytes, and all ids of one blob have the same length. */
const blockIdProblem = (env: Env, req: StorageRequest, blockId: string | null) => {
  if (blockId === null || blockId === "") {
    return azureError(
      req,
      400,
      "MissingRequiredQueryParameter",
      "A query parameter that's mandatory for this request is not specified.",
      [["QueryParameterName", "blockid"]]
    )
  }
  const decoded = Buffer.from(blockId, "base64")
  if (decoded.length === 0 || decoded.length > 64 || decoded.toString("base64") !== blockId) {
    return azureError(
      req,
      400,
      "InvalidQueryParameterValue",
      "Value for one of the query parameters specified in the request URI is invalid.",
      [["QueryParameterName", "blockid"], ["QueryParameterValue", blockId]]
    )
  }
  const existing = env.state.azureBlocks.get(`${req.bucket}\u0000${req.key}`)
  const other = existing === undefined ? undefined : existing.blocks.keys().next().value
  if (other !== undefined && Buffer.from(other, "base64").length !== decoded.length) {
    return azureError(req, 400, "InvalidBlobOrBlock", "The specified blob or block content is invalid.")
  }
  return undefined
}

const putBlock = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const blockId = req.query.get("blockid")
  const bad = blockIdProblem(env, req, blockId) ?? lengthProblem(req)
  if (bad !== undefined) return yield* answerAfterDrain(req, bad)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: env.state.keepBytes, md5: true })
  const md5 = body.md5!
  const mismatch = md5Problem(req, md5)
  if (mismatch !== undefined) return mismatch
  const set = env.state.azureBlockSet(req.bucket, req.key, req.now)
  set.blocks.set(blockId!, {
    number: set.blocks.size + 1,
    size: body.size,
    body: env.state.keepBytes ? body : undefined,
    md5,
    sha1: undefined,
    etag: blockId!,
    lastModified: req.now
  })
  return emptyResponse({
    status: 201,
    headers: {
      ...standardHeaders(req),
      "content-md5": base64(md5),
      "x-ms-request-server-encrypted": "true"
    }
  })
})

/** The `(list, id)` entries of a Put Block List document, or undefined when it is not one. */
export const parseBlockList = (
  xml: string
): ReadonlyArray<{ readonly list: "Latest" | "Committed" | "Uncommitted"; readonly id: string }> | undefined => {
  if (!/<BlockList[\s>]/.test(xml)) return undefined
  return [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([\s\S]*?)<\/\1>/g)].map((match) => ({
    list: match[1] as "Latest" | "Committed" | "Uncommitted",
    id: unescapeXml(match[2].trim())
  }))
}

const putBlockList = Effect.fnUntraced(function*(env: Env, req: StorageRequest) {
  const problem = lengthProblem(req)
  if (problem !== undefined) return yield* answerAfterDrain(req, problem)
  const body = yield* readBody(req.request, { limit: bodyLimit(env, req), keep: true })
  const entries = parseBlockList(Buffer.concat(body.chunks).toString("utf8").replace(/^\uFEFF/, ""))
  if (entries === undefined) {
    return azureError(req, 400, "InvalidXmlDocument", "XML specified is not syntactically valid.")
  }
  const uncommitted = env.state.azureBlocks.get(`${req.bucket}\u0000${req.key}`)?.blocks ?? new Map<string, StoredPart>()
  const existing = env.state.getObject(req.bucket, req.key)
  const committed = new Map((existing?.parts ?? []).map((part) => [part.etag, part]))
  const chosen: Array<StoredPart> = []
  for (const { id, list } of entries) {
    const block = list === "Committed"
      ? committed.get(id)
      : list === "Uncommitted"
      ? uncommitted.get(id)
      : uncommitted.get(id) ?? committed.get(id)
    if (block === undefined) {
      return azureError(req, 400, "InvalidBlockList", "The specified block list is invalid.")
    }
    chosen.push({ ...block, number: chosen.length + 1 })
  }
  const object: StoredObject = {
    provider: "azure",
    bucket: req.bucket,
    key: req.key,
    size: chosen.reduce((total, block) => total + block.size, 0),
    body: env.state.keepBytes ? joinChunks(chosen.map((block) => block.body!)) : undefined,
    md5: undefined,
    sha1: undefined,
    etag: newEtag(),
    contentType: req.request.headers["x-ms-blob-content-type"] ?? existing?.contentType ?? "application/octet-stream",
    parts: chosen,
    lastModified: req.now,
    meta: {}
  }
  env.state.putObject(object)
  // Committing a list discards every block that is not in it.
  env.state.dropAzureBlocks(req.bucket, req.key)
  return created(req, object)
})

const getBlockList = (env: Env, req: StorageRequest) => {
  const type = (req.query.get("blocklisttype") ?? "committed").toLowerCase()
  const object = env.state.getObject(req.bucket, req.key)
  const uncommitted = env.state.azureBlocks.get(`${req.bucket}\u0000${req.key}`)?.blocks
  if (object === undefined && (uncommitted === undefined || uncommitted.size === 0)) {
    return azureError(req, 404, "BlobNotFound", "The specified blob does not exist.")
  }
  const blocks = (parts: Iterable<StoredPart>) =>
    [...parts].map((part) => `<Block>${xmlElements([["Name", part.etag], ["Size", part.size]])}</Block>`).join("")
  const committedXml = type === "committed" || type === "all"
    ? `<CommittedBlocks>${blocks(object?.parts ?? [])}</CommittedBlocks>`
    : ""
  const uncommittedXml = type === "uncommitted" || type === "all"
    ? `<UncommittedBlocks>${blocks(uncommitted?.values() ?? [])}</UncommittedBlocks>`
    : ""
  return HttpServerResponse.text(
    `<?xml version="1.0" encoding="utf-8"?><BlockList>${committedXml}${uncommittedXml}</BlockList>`,
    {
      status: 200,
      contentType: "application/xml",
      headers: object === undefined
        ? standardHeaders(req)
        : { ...standardHeaders(req), etag: object.etag, "last-modified": httpDate(object.lastModified) }
    }
  )
}

const getBlob = (env: Env, req: StorageRequest) => {
  const object = env.state.getObject(req.bucket, req.key)
  if (object === undefined || object.provider !== "azure") {
    return azureError(req, 404, "BlobNotFound", "The specified blob does not exist.")
  }
  const rangeHeader = req.request.headers["x-ms-range"] ?? req.request.headers["range"]
  const range = parseRange(rangeHeader, object.size)
  if (range._tag === "Unsatisfiable") {
    return azureError(req, 416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
  }
  const headers: Record<string, string> = {
    ...standardHeaders(req),
    etag: object.etag,
    "last-modified": httpDate(object.lastModified),
    "content-type": object.contentType,
    "x-ms-blob-type": "BlockBlob"
  }
  if (range._tag === "Full" && object.parts === undefined && object.md5 !== undefined) {
    headers["content-md5"] = base64(object.md5)
  }
  const disposition = req.query.get("rscd")
  if (disposition !== null) headers["content-disposition"] = disposition
  return bytesResponse(req, object.body, object.size, range, headers)
}
