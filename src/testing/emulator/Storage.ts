/**
 * Where the emulator's storages keep bytes, and the signed URLs it hands out for them. Iconik never receives media:
 * creating a file, proxy or keyframe answers URLs for its storage, and the client uploads there directly. Storages of
 * method S3, GCS, AZURE and B2 map onto the embedded object store's buckets; an S3 storage may instead point at an
 * external S3 (e.g. RadosGW), for which real SigV4 URLs are minted.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { type ObjectStoreShape, type Provider, providers } from "../objectstore/index.ts"
import * as SigV4 from "../sigv4.ts"
import { ApiFailure, badRequest, failure } from "./Reply.ts"
import type { Doc, ObjectLocation, StorageDoc, UploadKind } from "./Records.ts"

/** One storage's byte store: the embedded object store, or an external S3. */
export interface StorageBackend {
  /** `upload_url`, `multipart_upload_url`, `upload_credentials`, `upload_filename`, `upload_method` for a new record. */
  readonly uploadFields: (location: ObjectLocation, kind: UploadKind) => Effect.Effect<Doc, ApiFailure>
  /** Presigned S3 UploadPart URLs. */
  readonly partUrl: (location: ObjectLocation, uploadId: string, partNumber: number) => Effect.Effect<string, ApiFailure>
  readonly completeUrl: (location: ObjectLocation, uploadId: string) => Effect.Effect<string, ApiFailure>
  readonly abortUrl: (location: ObjectLocation, uploadId: string) => Effect.Effect<string, ApiFailure>
  readonly listPartsUrl: (location: ObjectLocation, uploadId: string) => Effect.Effect<string, ApiFailure>
  /** Aborts a multipart upload server-side (Iconik's multipart cleanup). */
  readonly abortUpload: (location: ObjectLocation, uploadId: string) => Effect.Effect<void, ApiFailure>
  readonly downloadUrl: (location: ObjectLocation, contentDisposition?: string) => Effect.Effect<string, ApiFailure>
  readonly b2Start: (location: ObjectLocation) => Effect.Effect<Doc, ApiFailure>
  readonly b2Finish: (uploadFileId: string, sha1List: ReadonlyArray<string>) => Effect.Effect<void, ApiFailure>
  readonly b2Cancel: (uploadFileId: string) => Effect.Effect<void, ApiFailure>
  /** Size of the stored object, if it exists. */
  readonly objectSize: (location: ObjectLocation) => Effect.Effect<Option.Option<number>>
  /** Writes an object directly (what Iconik's transcoders produce: keyframes, posters, proxies). */
  readonly putObject: (location: ObjectLocation, bytes: Uint8Array, contentType: string) => Effect.Effect<void>
}

/** Iconik storage methods the embedded store speaks, and its protocol for each. */
export const providerOf = (method: string): Provider | undefined =>
  providers.find((provider) => provider === method.toLowerCase())

/** Bucket and key only: a location also carries fields the presigner would read as request options. */
const objectRef = (location: ObjectLocation) => ({ bucket: location.bucket, key: location.key })

/** Object keys are relative, single-slashed paths. */
export const objectKey = (...parts: ReadonlyArray<string | undefined>): string =>
  parts.filter((part): part is string => part !== undefined && part !== "")
    .join("/")
    .split("/")
    .filter((segment) => segment !== "" && segment !== ".")
    .join("/")

export const bucketOf = (storage: StorageDoc): string => {
  const bucket = storage.settings.bucket ?? storage.settings.container
  return typeof bucket === "string" && bucket !== "" ? bucket : storage.id
}

const s3Only = (location: ObjectLocation) =>
  location.method === "S3" ? Effect.void : Effect.fail(badRequest(`Multipart URLs are not supported for ${location.method} storage`))

const b2Failure = (error: { readonly status: number; readonly code: string; readonly message: string }) =>
  failure(error.status >= 500 ? 500 : 400, `${error.code}: ${error.message}`)

/** A backend on the embedded object store. */
export const embedded = (store: ObjectStoreShape): StorageBackend => ({
  uploadFields: (location, kind) =>
    Effect.gen(function*() {
      const { bucket, key } = location
      switch (location.method) {
        case "S3": {
          const fields: Doc = { upload_url: yield* store.signS3Put(bucket, key), upload_method: "PUT" }
          // Keyframes have no multipart URL (a single image).
          if (kind !== "keyframe") fields.multipart_upload_url = yield* store.signS3CreateMultipart(bucket, key)
          return fields
        }
        case "GCS":
          return { upload_url: yield* store.signGcsResumableStart(bucket, key), upload_method: "POST" }
        case "AZURE":
          return { upload_url: yield* store.signAzureBlob(bucket, key), upload_method: "PUT" }
        case "B2": {
          const upload = yield* store.b2GetUploadUrl(bucket)
          return {
            upload_url: upload.uploadUrl,
            upload_method: "POST",
            upload_filename: key,
            upload_credentials: {
              authorizationToken: upload.authorizationToken,
              bucketId: upload.bucketId,
              uploadUrl: upload.uploadUrl
            }
          }
        }
        default:
          return {}
      }
    }),
  partUrl: (location, uploadId, partNumber) =>
    Effect.andThen(s3Only(location), store.signS3UploadPart(location.bucket, location.key, uploadId, partNumber)),
  completeUrl: (location, uploadId) =>
    Effect.andThen(s3Only(location), store.signS3Complete(location.bucket, location.key, uploadId)),
  abortUrl: (location, uploadId) =>
    Effect.andThen(s3Only(location), store.signS3Abort(location.bucket, location.key, uploadId)),
  listPartsUrl: (location, uploadId) =>
    Effect.andThen(s3Only(location), store.signS3ListParts(location.bucket, location.key, uploadId)),
  abortUpload: (_location, uploadId) => Effect.asVoid(store.abortUpload(uploadId)),
  downloadUrl: (location, contentDisposition) =>
    store.signGet(location.bucket, location.key, contentDisposition === undefined ? undefined : { contentDisposition }),
  b2Start: (location) =>
    location.method === "B2"
      ? Effect.map(store.b2StartLargeFile(location.bucket, location.key), (start) => ({ ...start, status: "started" }))
      : Effect.fail(badRequest(`B2 large files need a B2 storage, not ${location.method}`)),
  b2Finish: (uploadFileId, sha1List) =>
    store.b2FinishLargeFile(uploadFileId, sha1List).pipe(Effect.asVoid, Effect.mapError(b2Failure)),
  b2Cancel: (uploadFileId) => store.b2CancelLargeFile(uploadFileId).pipe(Effect.asVoid, Effect.mapError(b2Failure)),
  objectSize: (location) => Effect.map(store.stat(location.bucket, location.key), Option.map((stat) => stat.size)),
  putObject: (location, bytes, contentType) => Effect.asVoid(store.putObject(location.bucket, location.key, bytes, { contentType }))
})

/** An external S3 (e.g. RadosGW on 127.0.0.1) that S3 storages point at instead of the embedded store. */
export type ExternalS3Options = SigV4.S3Endpoint

const notOnExternalS3 = (what: string) => Effect.fail(badRequest(`${what} is not available on an external S3 storage`))

/**
 * A backend on an external S3: real SigV4 presigned URLs (valid for an hour of wall-clock time, whatever the Clock
 * says), and the emulator's own calls (multipart cleanup, size checks) made with `http`.
 */
export const externalS3 = (endpoint: ExternalS3Options, http: HttpClient.HttpClient): StorageBackend => {
  const send = (url: string, method: "DELETE" | "HEAD") =>
    http.execute(HttpClientRequest.make(method)(url)).pipe(
      Effect.flatMap((response) => Effect.as(Effect.ignore(response.text), response)),
      Effect.mapError(() => failure(502, "The external S3 did not answer"))
    )
  return {
    uploadFields: (location, kind) =>
      Effect.sync(() => {
        const fields: Doc = { upload_url: SigV4.presignPutObject(endpoint, objectRef(location)), upload_method: "PUT" }
        if (kind !== "keyframe") fields.multipart_upload_url = SigV4.presignCreateMultipartUpload(endpoint, objectRef(location))
        return fields
      }),
    partUrl: (location, uploadId, partNumber) =>
      Effect.sync(() => SigV4.presignUploadPart(endpoint, { ...objectRef(location), uploadId, partNumber })),
    completeUrl: (location, uploadId) =>
      Effect.sync(() => SigV4.presignCompleteMultipartUpload(endpoint, { ...objectRef(location), uploadId })),
    abortUrl: (location, uploadId) =>
      Effect.sync(() => SigV4.presignAbortMultipartUpload(endpoint, { ...objectRef(location), uploadId })),
    listPartsUrl: (location, uploadId) =>
      Effect.sync(() => SigV4.presignListParts(endpoint, { ...objectRef(location), uploadId })),
    abortUpload: (location, uploadId) =>
      Effect.asVoid(send(SigV4.presignAbortMultipartUpload(endpoint, { ...objectRef(location), uploadId }), "DELETE")),
    downloadUrl: (location, contentDisposition) =>
      Effect.sync(() =>
        SigV4.presign(endpoint, {
          method: "GET",
          bucket: location.bucket,
          key: location.key,
          query: contentDisposition === undefined ? undefined : { "response-content-disposition": contentDisposition }
        })
      ),
    b2Start: () => notOnExternalS3("B2 large files"),
    b2Finish: () => notOnExternalS3("B2 large files"),
    b2Cancel: () => notOnExternalS3("B2 large files"),
    objectSize: (location) =>
      send(SigV4.presign(endpoint, { method: "HEAD", bucket: location.bucket, key: location.key }), "HEAD").pipe(
        Effect.map((response) => {
          const length = Number(response.headers["content-length"])
          return response.status === 200 && Number.isFinite(length) ? Option.some(length) : Option.none()
        }),
        Effect.orElseSucceed(() => Option.none())
      ),
    putObject: (location, bytes, contentType) =>
      http.execute(
        HttpClientRequest.put(SigV4.presignPutObject(endpoint, objectRef(location))).pipe(
          HttpClientRequest.bodyUint8Array(bytes, contentType)
        )
      ).pipe(Effect.flatMap((response) => Effect.ignore(response.text)), Effect.ignore)
  }
}

/** Creates an external S3 bucket if it does not exist yet. */
export const ensureExternalBucket = (endpoint: ExternalS3Options, http: HttpClient.HttpClient, bucket: string) =>
  SigV4.createBucket(endpoint, bucket).pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.orDie)
