/**
 * The embedded object store as a service: buckets per provider, presigned URLs, inspection for assertions, fault
 * injection, and one HTTP handler that serves all four protocols under a base path (default `/_storage`):
 *
 *   `{baseUrl}{basePath}/s3/{bucket}/{key}`      S3 REST (path style)
 *   `{baseUrl}{basePath}/gcs/{bucket}/{key}`     GCS XML API + resumable sessions
 *   `{baseUrl}{basePath}/azure/{container}/{blob}` Azure Blob
 *   `{baseUrl}{basePath}/b2/{bucket}/…`          B2 upload endpoints and downloads by name
 *
 * The handler strips the base path when the mount left it on the URL and works as well when a router already
 * removed it. Time (URL expiry, timestamps, fault delays) comes from effect's Clock, so TestClock drives it.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Azure from "./Azure.ts"
import * as B2 from "./B2.ts"
import { type FaultConfig, FaultPlan, type FaultRule } from "./Faults.ts"
import * as Gcs from "./Gcs.ts"
import {
  concatChunks,
  digestChunks,
  hex,
  type ObjectStat,
  type PendingUpload,
  type Provider,
  providers,
  type RequestRecord
} from "./Model.ts"
import {
  byteLimit,
  type Env,
  type RequestNotes,
  type StorageConnectionReset,
  type StorageRequest,
  type StoreSettings
} from "./Protocol.ts"
import * as S3 from "./S3.ts"
import { makeSigningKey } from "./Signing.ts"
import { objectStat, StoreState, type StoredObject } from "./State.ts"

export interface ObjectStoreOptions {
  /** Path prefix the handler is mounted under. Default `/_storage`. */
  readonly basePath?: string | undefined
  /** Scheme, host and port minted URLs point at (no path). Default `http://127.0.0.1`; see `setBaseUrl`. */
  readonly baseUrl?: string | undefined
  /** HMAC secret; fixed for reproducible URLs, random by default. */
  readonly signingSecret?: string | undefined
  /** Lifetime of presigned URLs and tokens. Default 3600 s. */
  readonly defaultExpiresInSeconds?: number | undefined
  /** Smallest non-last part for S3 multipart and B2 large files. Default 5 MiB; lower it for small test parts. */
  readonly minPartSize?: number | undefined
  /** GCS resumable chunks (except the last) are whole multiples of this. Default 256 KiB. */
  readonly gcsChunkGranularity?: number | undefined
  /**
   * Largest request body the store reads, in bytes. Bodies are kept in memory (objects, parts, blocks), so this bounds
   * what one request can take; the providers' own maxima apply within it (S3 PUT and part 5 GiB, Azure Put Blob
   * 5000 MiB and Put Block 4000 MiB, B2 5 GB). A larger body is refused with the provider's error while it is read.
   * Default 5 GiB: lower it on a server with little memory.
   */
  readonly maxBodyBytes?: number | undefined
  /** Null sink: accept and hash bodies, answer ETags, keep no bytes (benchmarks). Default false. */
  readonly discardBodies?: boolean | undefined
  /** Faults active from the start (more can be added with `addFault`). */
  readonly faults?: FaultConfig | undefined
  /** Buckets to create up front. */
  readonly buckets?: ReadonlyArray<{ readonly name: string; readonly provider: Provider }> | undefined
}

export interface SignOptions {
  /** Default: the store's `defaultExpiresInSeconds`. */
  readonly expiresInSeconds?: number | undefined
}

export interface DownloadOptions extends SignOptions {
  /** Served back as `Content-Disposition` (e.g. `attachment; filename="a.mp4"`). */
  readonly contentDisposition?: string | undefined
}

export interface AzureSignOptions extends SignOptions {
  /** SAS permission letters among `r`, `c`, `w`, `d`. Default `rcw`. */
  readonly permissions?: string | undefined
}

export interface B2StartOptions extends SignOptions {
  readonly contentType?: string | undefined
  readonly fileInfo?: Readonly<Record<string, string>> | undefined
}

export interface ObjectStoreShape {
  /** Serves every protocol; mount it under `basePath` (or anywhere that leaves `/{provider}/…` after the prefix). */
  readonly handler: Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    StorageConnectionReset,
    HttpServerRequest.HttpServerRequest
  >
  readonly basePath: string
  readonly baseUrl: Effect.Effect<string>
  /** Points minted URLs at a server (call it once the port is known). */
  readonly setBaseUrl: (url: string) => Effect.Effect<void>
  /** Creates (idempotently) a bucket / container speaking one provider's protocol. */
  readonly createBucket: (name: string, provider: Provider) => Effect.Effect<void>

  // S3 presigned URLs (the `upload_url`, `multipart_upload_url` and part / complete / abort URLs Iconik hands out)
  readonly signS3Put: (bucket: string, key: string, options?: SignOptions) => Effect.Effect<string>
  readonly signS3CreateMultipart: (bucket: string, key: string, options?: SignOptions) => Effect.Effect<string>
  readonly signS3UploadPart: (
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    options?: SignOptions
  ) => Effect.Effect<string>
  readonly signS3Complete: (bucket: string, key: string, uploadId: string, options?: SignOptions) => Effect.Effect<string>
  /** A presigned `DELETE ?uploadId=` (S3's AbortMultipartUpload). */
  readonly signS3Abort: (bucket: string, key: string, uploadId: string, options?: SignOptions) => Effect.Effect<string>
  readonly signS3ListParts: (bucket: string, key: string, uploadId: string, options?: SignOptions) => Effect.Effect<string>
  readonly signS3Delete: (bucket: string, key: string, options?: SignOptions) => Effect.Effect<string>
  /** A download URL for any provider's bucket (ranged GETs supported). */
  readonly signGet: (bucket: string, key: string, options?: DownloadOptions) => Effect.Effect<string>
  /** The GCS signed URL to `POST` with `x-goog-resumable: start`. */
  readonly signGcsResumableStart: (bucket: string, key: string, options?: SignOptions) => Effect.Effect<string>
  /** A GCS signed URL for a single `PUT` of the whole object. */
  readonly signGcsPut: (bucket: string, key: string, options?: SignOptions) => Effect.Effect<string>
  /** An Azure blob URL with a SAS (Put Blob, Put Block, Put Block List, Get Blob with the right permissions). */
  readonly signAzureBlob: (bucket: string, key: string, options?: AzureSignOptions) => Effect.Effect<string>
  /** `b2_get_upload_url`: upload URL and token for single files (the file name travels in `X-Bz-File-Name`). */
  readonly b2GetUploadUrl: (
    bucket: string,
    options?: SignOptions
  ) => Effect.Effect<{ readonly bucketId: string; readonly uploadUrl: string; readonly authorizationToken: string }>
  /** Starts a B2 large file; returns Iconik's `multipart/b2/start/` shape (part URL + token scoped to the file). */
  readonly b2StartLargeFile: (bucket: string, key: string, options?: B2StartOptions) => Effect.Effect<B2.B2LargeFileStart>
  readonly b2FinishLargeFile: (
    uploadFileId: string,
    sha1List: ReadonlyArray<string>
  ) => Effect.Effect<B2.B2FileInfo, B2.B2Error>
  readonly b2CancelLargeFile: (uploadFileId: string) => Effect.Effect<B2.B2CancelledFile, B2.B2Error>
  /** Aborts an S3 multipart upload, GCS session or B2 large file by id (Iconik's multipart cleanup). */
  readonly abortUpload: (uploadId: string) => Effect.Effect<boolean>

  // Inspection
  readonly stat: (bucket: string, key: string) => Effect.Effect<Option.Option<ObjectStat>>
  /** The object's bytes; None when it does not exist or the store discarded its bytes. */
  readonly readObject: (bucket: string, key: string) => Effect.Effect<Option.Option<Uint8Array>>
  readonly listObjects: (bucket: string) => Effect.Effect<ReadonlyArray<ObjectStat>>
  /** Seeds an object directly (files "already on storage", download tests). */
  readonly putObject: (
    bucket: string,
    key: string,
    bytes: Uint8Array,
    options?: { readonly contentType?: string | undefined }
  ) => Effect.Effect<ObjectStat>
  readonly deleteObject: (bucket: string, key: string) => Effect.Effect<boolean>
  /** Uploads started and not finished or aborted: S3 multipart, GCS sessions, Azure uncommitted blocks, B2 large files. */
  readonly pendingUploads: Effect.Effect<ReadonlyArray<PendingUpload>>
  /** Every request handled so far, in arrival order of their answers. */
  readonly requests: Effect.Effect<ReadonlyArray<RequestRecord>>

  // Faults
  readonly addFault: (rule: FaultRule) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
}

/** The object store service. */
export class ObjectStore extends Context.Service<ObjectStore, ObjectStoreShape>()(
  "effect-iconik/testing/objectstore/ObjectStore"
) {}

const normalizeBasePath = (path: string | undefined): string => {
  const trimmed = (path ?? "/_storage").replace(/\/+$/, "")
  return trimmed === "" ? "" : trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/** Builds a store. It needs nothing from the environment; Clock is read per call. */
export const make = (options: ObjectStoreOptions = {}): Effect.Effect<ObjectStoreShape> =>
  Effect.sync(() => {
    const settings: StoreSettings = {
      basePath: normalizeBasePath(options.basePath),
      minPartSize: options.minPartSize ?? 5 * 1024 * 1024,
      gcsChunkGranularity: options.gcsChunkGranularity ?? 256 * 1024,
      defaultExpiresInSeconds: options.defaultExpiresInSeconds ?? 3600,
      maxBodyBytes: byteLimit("objectStore.maxBodyBytes", options.maxBodyBytes, 5 * 1024 * 1024 * 1024)
    }
    let baseUrl = (options.baseUrl ?? "http://127.0.0.1").replace(/\/+$/, "")
    const state = new StoreState(!(options.discardBodies ?? false))
    const env: Env = {
      settings,
      state,
      key: makeSigningKey(options.signingSecret),
      faults: new FaultPlan(options.faults),
      baseUrl: () => baseUrl
    }
    for (const bucket of options.buckets ?? []) state.buckets.set(bucket.name, bucket.provider)

    let requestCounter = 0
    const nextRequestId = () => (++requestCounter).toString(16).toUpperCase().padStart(16, "0")

    const expires = (options?: SignOptions) => options?.expiresInSeconds ?? settings.defaultExpiresInSeconds

    /** Runs `f` with the current time after checking the bucket speaks `provider` (a test bug otherwise). */
    const withBucket = <A>(bucket: string, provider: Provider | undefined, f: (now: number, provider: Provider) => A) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const actual = state.buckets.get(bucket)
        if (actual === undefined || (provider !== undefined && actual !== provider)) {
          return Effect.die(
            new Error(
              actual === undefined
                ? `Object store: no bucket named "${bucket}" (call createBucket first)`
                : `Object store: bucket "${bucket}" is ${actual}, not ${provider}`
            )
          )
        }
        return Effect.succeed(f(now, actual))
      })

    const s3 = (
      method: S3.PresignS3["method"],
      bucket: string,
      key: string,
      params: ReadonlyArray<readonly [string, string]>,
      options?: SignOptions
    ) =>
      withBucket(bucket, "s3", (now) =>
        S3.presign(env, { method, bucket, key, params, now, expiresInSeconds: expires(options) }))

    const handler: ObjectStoreShape["handler"] = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const now = yield* Clock.currentTimeMillis
      const requestId = nextRequestId()
      const url = new URL(request.url, "http://store.invalid")
      let path = url.pathname
      if (settings.basePath !== "" && (path === settings.basePath || path.startsWith(`${settings.basePath}/`))) {
        path = path.slice(settings.basePath.length)
      }
      const [, provider, rawBucket, ...rest] = path.split("/")
      let bucket: string
      let key: string
      try {
        bucket = decodeURIComponent(rawBucket ?? "")
        key = rest.map(decodeURIComponent).join("/")
      } catch {
        return HttpServerResponse.text("Malformed path", { status: 400 })
      }
      if (!providers.includes(provider as Provider) || bucket === "") {
        return HttpServerResponse.text("Not Found", { status: 404 })
      }
      const notes: RequestNotes = { operation: undefined, partNumber: undefined, fault: undefined }
      const req: StorageRequest = {
        request,
        method: request.method.toUpperCase(),
        provider: provider as Provider,
        bucket,
        key,
        query: url.searchParams,
        now,
        requestId,
        notes
      }
      const protocol = provider === "s3" ? S3.handle : provider === "gcs" ? Gcs.handle : provider === "azure"
        ? Azure.handle
        : B2.handle
      return yield* protocol(env, req).pipe(
        Effect.onExit((exit) =>
          Effect.flatMap(Clock.currentTimeMillis, (at) =>
            Effect.sync(() => {
              state.requests.push({
                provider: req.provider,
                operation: notes.operation,
                method: req.method,
                bucket,
                key,
                partNumber: notes.partNumber,
                status: Exit.isSuccess(exit) ? exit.value.status : 0,
                fault: notes.fault,
                at
              })
            }))
        )
      )
    })

    const seeded = (provider: Provider, bucket: string, key: string, bytes: Uint8Array, contentType: string, now: number) => {
      const body = { chunks: [bytes.slice()], size: bytes.length }
      const md5 = digestChunks("md5", body)
      const sha1 = digestChunks("sha1", body)
      const object: StoredObject = {
        provider,
        bucket,
        key,
        size: bytes.length,
        body: state.keepBytes ? body : undefined,
        md5,
        sha1,
        etag: provider === "b2"
          ? hex(sha1)
          : provider === "azure"
          ? `"0x8D${hex(md5).slice(0, 13).toUpperCase()}"`
          : `"${hex(md5)}"`,
        contentType,
        parts: undefined,
        lastModified: now,
        meta: provider === "b2"
          ? { fileId: `4_z${B2.bucketId(bucket)}_f${hex(md5).slice(0, 16)}`, fileInfo: "{}" }
          : provider === "gcs"
          ? { generation: String(now * 1000) }
          : {}
      }
      state.putObject(object)
      return objectStat(object)
    }

    return ObjectStore.of({
      handler,
      basePath: settings.basePath,
      baseUrl: Effect.sync(() => baseUrl),
      setBaseUrl: (url) =>
        Effect.sync(() => {
          baseUrl = url.replace(/\/+$/, "")
        }),
      createBucket: (name, provider) =>
        Effect.suspend(() => {
          const existing = state.buckets.get(name)
          if (existing !== undefined && existing !== provider) {
            return Effect.die(new Error(`Object store: bucket "${name}" already exists as ${existing}`))
          }
          state.buckets.set(name, provider)
          return Effect.void
        }),

      signS3Put: (bucket, key, options) => s3("PUT", bucket, key, [], options),
      signS3CreateMultipart: (bucket, key, options) => s3("POST", bucket, key, [["uploads", ""]], options),
      signS3UploadPart: (bucket, key, uploadId, partNumber, options) =>
        s3("PUT", bucket, key, [["partNumber", String(partNumber)], ["uploadId", uploadId]], options),
      signS3Complete: (bucket, key, uploadId, options) => s3("POST", bucket, key, [["uploadId", uploadId]], options),
      signS3Abort: (bucket, key, uploadId, options) => s3("DELETE", bucket, key, [["uploadId", uploadId]], options),
      signS3ListParts: (bucket, key, uploadId, options) => s3("GET", bucket, key, [["uploadId", uploadId]], options),
      signS3Delete: (bucket, key, options) => s3("DELETE", bucket, key, [], options),
      signGet: (bucket, key, options) =>
        withBucket(bucket, undefined, (now, provider) => {
          const expiresInSeconds = expires(options)
          const disposition = options?.contentDisposition
          switch (provider) {
            case "s3":
              return S3.presign(env, {
                method: "GET",
                bucket,
                key,
                params: disposition === undefined ? [] : [["response-content-disposition", disposition]],
                now,
                expiresInSeconds
              })
            case "gcs":
              return Gcs.presign(env, {
                method: "GET",
                bucket,
                key,
                params: disposition === undefined ? [] : [["response-content-disposition", disposition]],
                signedHeaders: "host",
                now,
                expiresInSeconds
              })
            case "azure":
              return Azure.presign(env, {
                bucket,
                key,
                permissions: "r",
                contentDisposition: disposition,
                now,
                expiresInSeconds
              })
            case "b2":
              return B2.downloadUrl(env, bucket, key, now, expiresInSeconds, disposition)
          }
        }),
      signGcsResumableStart: (bucket, key, options) =>
        withBucket(bucket, "gcs", (now) =>
          Gcs.presign(env, {
            method: "POST",
            bucket,
            key,
            params: [],
            signedHeaders: "host;x-goog-resumable",
            now,
            expiresInSeconds: expires(options)
          })),
      signGcsPut: (bucket, key, options) =>
        withBucket(bucket, "gcs", (now) =>
          Gcs.presign(env, {
            method: "PUT",
            bucket,
            key,
            params: [],
            signedHeaders: "host",
            now,
            expiresInSeconds: expires(options)
          })),
      signAzureBlob: (bucket, key, options) =>
        withBucket(bucket, "azure", (now) =>
          Azure.presign(env, {
            bucket,
            key,
            permissions: options?.permissions ?? "rcw",
            now,
            expiresInSeconds: expires(options)
          })),
      b2GetUploadUrl: (bucket, options) =>
        withBucket(bucket, "b2", (now) => B2.uploadUrl(env, bucket, now, expires(options))),
      b2StartLargeFile: (bucket, key, options) =>
        withBucket(bucket, "b2", (now) =>
          B2.startLargeFile(env, {
            bucket,
            key,
            contentType: options?.contentType ?? "application/octet-stream",
            fileInfo: options?.fileInfo ?? {},
            now,
            expiresInSeconds: expires(options)
          })),
      b2FinishLargeFile: (uploadFileId, sha1List) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => B2.finishLargeFile(env, uploadFileId, sha1List, now)),
      b2CancelLargeFile: (uploadFileId) => B2.cancelLargeFile(env, uploadFileId),
      abortUpload: (uploadId) => Effect.sync(() => state.abortUpload(uploadId)),

      stat: (bucket, key) =>
        Effect.sync(() => Option.map(Option.fromNullishOr(state.getObject(bucket, key)), objectStat)),
      readObject: (bucket, key) =>
        Effect.sync(() => {
          const body = state.getObject(bucket, key)?.body
          return body === undefined ? Option.none() : Option.some(concatChunks(body))
        }),
      listObjects: (bucket) => Effect.sync(() => state.listObjects(bucket).map(objectStat)),
      putObject: (bucket, key, bytes, options) =>
        withBucket(bucket, undefined, (now, provider) =>
          seeded(provider, bucket, key, bytes, options?.contentType ?? "application/octet-stream", now)),
      deleteObject: (bucket, key) => Effect.sync(() => state.deleteObject(bucket, key)),
      pendingUploads: Effect.sync(() => state.pendingUploads()),
      requests: Effect.sync(() => [...state.requests]),

      addFault: (rule) => Effect.sync(() => env.faults.add(rule)),
      clearFaults: Effect.sync(() => env.faults.clear())
    })
  })

/** A layer with a fresh store (no server: mount `handler` yourself, or use `layerServer`). */
export const layer = (options?: ObjectStoreOptions): Layer.Layer<ObjectStore> =>
  Layer.effect(ObjectStore, make(options))
