/**
 * A small AWS Signature Version 4 query presigner for an external S3 endpoint (e.g. a local RadosGW), path-style
 * URLs, `UNSIGNED-PAYLOAD`, only `host` signed — the kind of URL Iconik hands out. Used by the emulator to give out
 * real S3 URLs and by tests to drive S3 directly. node:crypto only.
 */
import { createHash, createHmac } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientError from "effect/http/HttpClientError"
import { compactDate, encodeRfc3986 } from "./objectstore/Signing.ts"

export interface S3Endpoint {
  /** e.g. `http://127.0.0.1:7480` */
  readonly endpoint: string
  /** e.g. `us-east-1` (RadosGW accepts any region for its default zone group). */
  readonly region: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** `bucket.host/key` URLs instead of the default path style `host/bucket/key` (RadosGW wants path style). */
  readonly virtualHosted?: boolean | undefined
}

/** The keys `scripts/rgw-up.sh` creates. */
export const rgwTestCredentials = { region: "us-east-1", accessKeyId: "test", secretAccessKey: "testsecret" } as const

export interface PresignRequest {
  readonly method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE"
  readonly bucket: string
  /** Object key; omit for bucket-level requests. */
  readonly key?: string | undefined
  /** Sub-resources and parameters, e.g. `{ uploads: "" }`, `{ partNumber: "3", uploadId }`. */
  readonly query?: Readonly<Record<string, string>> | undefined
  /** Validity in seconds (default 3600, at most 604 800). */
  readonly expiresIn?: number | undefined
  /** Signing time (default: now). */
  readonly now?: Date | undefined
}

const sha256Hex = (value: string) => createHash("sha256").update(value, "utf8").digest("hex")
const hmac = (key: string | Buffer, value: string) => createHmac("sha256", key).update(value, "utf8").digest()

/** Presigns a request: the URL carries `X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`, `-Signature`. */
export const presign = (endpoint: S3Endpoint, request: PresignRequest): string => {
  const base = new URL(endpoint.endpoint)
  const now = request.now ?? new Date()
  const timestamp = compactDate(now.getTime())
  const day = timestamp.slice(0, 8)
  const scope = `${day}/${endpoint.region}/s3/aws4_request`
  const basePath = base.pathname.replace(/\/+$/, "")
  const keyPath = request.key === undefined ? "" : `/${request.key.split("/").map(encodeRfc3986).join("/")}`
  const host = endpoint.virtualHosted === true ? `${request.bucket}.${base.host}` : base.host
  const path = endpoint.virtualHosted === true
    ? `${basePath}${keyPath === "" ? "/" : keyPath}`
    : `${basePath}/${encodeRfc3986(request.bucket)}${keyPath}`
  const params: Record<string, string> = {
    ...request.query,
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `${endpoint.accessKeyId}/${scope}`,
    "X-Amz-Date": timestamp,
    "X-Amz-Expires": String(request.expiresIn ?? 3600),
    "X-Amz-SignedHeaders": "host"
  }
  const canonicalQuery = Object.entries(params)
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&")
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    `host:${host}`,
    "",
    "host",
    "UNSIGNED-PAYLOAD"
  ].join("\n")
  const stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope, sha256Hex(canonicalRequest)].join("\n")
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${endpoint.secretAccessKey}`, day), endpoint.region), "s3"), "aws4_request")
  const signature = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex")
  return `${base.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`
}

interface ObjectRef {
  readonly bucket: string
  readonly key: string
  readonly expiresIn?: number | undefined
}

/** `PUT /bucket/key`: S3 single PUT (Iconik's `upload_url`). */
export const presignPutObject = (endpoint: S3Endpoint, ref: ObjectRef) => presign(endpoint, { method: "PUT", ...ref })

/** `GET /bucket/key`: download. */
export const presignGetObject = (endpoint: S3Endpoint, ref: ObjectRef) => presign(endpoint, { method: "GET", ...ref })

/** `POST /bucket/key?uploads`: CreateMultipartUpload (Iconik's `multipart_upload_url`). */
export const presignCreateMultipartUpload = (endpoint: S3Endpoint, ref: ObjectRef) =>
  presign(endpoint, { method: "POST", ...ref, query: { uploads: "" } })

/** `PUT /bucket/key?partNumber&uploadId`: UploadPart. */
export const presignUploadPart = (endpoint: S3Endpoint, ref: ObjectRef & { uploadId: string; partNumber: number }) =>
  presign(endpoint, {
    method: "PUT",
    bucket: ref.bucket,
    key: ref.key,
    expiresIn: ref.expiresIn,
    query: { partNumber: String(ref.partNumber), uploadId: ref.uploadId }
  })

const uploadRequest = (method: PresignRequest["method"], ref: ObjectRef & { uploadId: string }): PresignRequest => ({
  method,
  bucket: ref.bucket,
  key: ref.key,
  expiresIn: ref.expiresIn,
  query: { uploadId: ref.uploadId }
})

/** `POST /bucket/key?uploadId`: CompleteMultipartUpload (Iconik's `complete_url`). */
export const presignCompleteMultipartUpload = (endpoint: S3Endpoint, ref: ObjectRef & { uploadId: string }) =>
  presign(endpoint, uploadRequest("POST", ref))

/** `DELETE /bucket/key?uploadId`: AbortMultipartUpload (Iconik's `abort_url`). */
export const presignAbortMultipartUpload = (endpoint: S3Endpoint, ref: ObjectRef & { uploadId: string }) =>
  presign(endpoint, uploadRequest("DELETE", ref))

/** `GET /bucket/key?uploadId`: ListParts (Iconik's `list_parts_url`). */
export const presignListParts = (endpoint: S3Endpoint, ref: ObjectRef & { uploadId: string }) =>
  presign(endpoint, uploadRequest("GET", ref))

/** `GET /bucket?uploads`: ListMultipartUploads (in-progress uploads of a bucket). */
export const presignListMultipartUploads = (endpoint: S3Endpoint, bucket: string) =>
  presign(endpoint, { method: "GET", bucket, query: { uploads: "" } })

/** `PUT /bucket`: CreateBucket. */
export const presignCreateBucket = (endpoint: S3Endpoint, bucket: string) =>
  presign(endpoint, { method: "PUT", bucket })

/** S3 refused to create a bucket (other than "you already own it"). */
export class BucketSetupError extends Schema.TaggedError<BucketSetupError>()("BucketSetupError", {
  bucket: Schema.String,
  status: Schema.Number,
  body: Schema.String
}) {
  override get message() {
    return `could not create bucket ${this.bucket}: ${this.status} ${this.body.slice(0, 300)}`
  }
}

/** Creates a bucket for test setup; succeeds when it already exists and is ours. */
export const createBucket = (
  endpoint: S3Endpoint,
  bucket: string
): Effect.Effect<void, BucketSetupError | HttpClientError.HttpClientError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(
      HttpClientRequest.put(presignCreateBucket(endpoint, bucket)).pipe(
        HttpClientRequest.setHeader("content-length", "0")
      )
    )
    const body = yield* response.text
    if (response.status === 200 || (response.status === 409 && body.includes("BucketAlreadyOwnedByYou"))) return
    return yield* new BucketSetupError({ bucket, status: response.status, body })
  })
