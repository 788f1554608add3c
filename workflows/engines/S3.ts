/**
 * S3: one presigned PUT up to the single-PUT threshold, else multipart through Iconik's part URLs, completion and
 * clean-up endpoints (for proxies and original files alike).
 */
import * as Effect from "effect/Effect"
import * as Files from "../../src/Files.ts"
import * as files from "../../src/generated/files.ts"
import type { IconikClient } from "../../src/IconikClient.ts"
import type { IconikError } from "../../src/IconikError.ts"
import { MiB } from "../../src/storage/Parts.ts"
import {
  type S3CompletionUrls,
  type S3PartUrlsPage,
  type S3PartUrlsQuery,
  s3PartRules,
  uploadS3Multipart
} from "../../src/storage/S3Multipart.ts"
import { chooseS3Strategy, uploadS3Single } from "../../src/storage/S3Single.ts"
import { StorageProtocolError } from "../../src/storage/StorageError.ts"
import { missingField, type TransferTarget, type UploadEngine } from "./Engine.ts"

/** Iconik's side of an S3 multipart upload. */
interface S3Endpoints {
  /** The part-URL list's path (for errors; no query string, so no upload id). */
  readonly partUrlsPath: string
  readonly partUrls: (query: S3PartUrlsQuery) => Effect.Effect<S3PartUrlsPage, IconikError, IconikClient>
  readonly completionUrls: (uploadId: string) => Effect.Effect<S3CompletionUrls, IconikError, IconikClient>
  readonly cleanup: (uploadId: string) => Effect.Effect<void, IconikError, IconikClient>
  /** The record's download URL: reads the object when a completion's answer was lost. */
  readonly objectUrl: Effect.Effect<string, IconikError | StorageProtocolError, IconikClient>
}

const partsPage = (answer: files.MultiPartUploadURLs): S3PartUrlsPage => ({
  objects: (answer.objects ?? []).flatMap((o) =>
    typeof o.number === "number" && typeof o.url === "string" ? [{ number: o.number, url: o.url }] : []
  )
})

const completion = (answer: files.MultiPartURLs): S3CompletionUrls => ({
  completeUrl: answer.complete_url ?? "",
  abortUrl: answer.abort_url ?? undefined,
  listPartsUrls: (answer.list_parts_url ?? []).filter((url): url is string => typeof url === "string" && url !== "")
})

const urlOf = (answer: { readonly url?: string | null | undefined }) =>
  answer.url
    ? Effect.succeed(answer.url)
    : Effect.fail(new StorageProtocolError({ provider: "S3", operation: "VerifyObject", detail: "Iconik gave no download URL" }))

const pathOf = (template: string, ids: Record<string, string>) =>
  template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(ids[name] ?? ""))

const s3Endpoints = (target: Pick<TransferTarget, "kind" | "assetId" | "recordId">): S3Endpoints => {
  const { assetId, recordId } = target
  const pageQuery = (q: S3PartUrlsQuery) => ({ upload_id: q.uploadId, parts_num: q.partsNum, page: q.page, per_page: q.perPage })
  if (target.kind === "proxy") {
    const ids = { asset_id: assetId, proxy_id: recordId }
    return {
      partUrlsPath: pathOf(files.listAssetProxyMultipartUrlPart.definition.path, ids),
      partUrls: (q) => Effect.map(files.listAssetProxyMultipartUrlPart({ ...ids, query: pageQuery(q) }), partsPage),
      completionUrls: (uploadId) => Effect.map(Files.getS3CompleteUrls(assetId, recordId, uploadId), completion),
      cleanup: (uploadId) => Effect.asVoid(Files.cleanupMultipart(assetId, recordId, uploadId, { abortUpload: true })),
      objectUrl: Effect.flatMap(files.getAssetProxyDownloadUrl(ids), urlOf)
    }
  }
  const ids = { asset_id: assetId, file_id: recordId }
  return {
    partUrlsPath: pathOf(files.listAssetFileMultipartUrlPart.definition.path, ids),
    partUrls: (q) => Effect.map(files.listAssetFileMultipartUrlPart({ ...ids, query: pageQuery(q) }), partsPage),
    completionUrls: (uploadId) => Effect.map(Files.getFileS3CompleteUrls(assetId, recordId, uploadId), completion),
    cleanup: (uploadId) => Effect.asVoid(Files.cleanupFileMultipart(assetId, recordId, { upload_id: uploadId, abort_upload: true })),
    objectUrl: Effect.flatMap(files.getAssetFileDownloadUrl(ids), urlOf)
  }
}

export const s3Engine: UploadEngine = {
  method: "S3",
  partPlan: (size, options) =>
    chooseS3Strategy(size, options.singlePutThreshold) === "single"
      ? undefined
      : { rules: s3PartRules, partSize: options.partSize ?? 8 * MiB },
  upload: (input) =>
    Effect.gen(function*() {
      const { target, file, resume, onProgress } = input
      const multipartUrl = target.fields.multipart_upload_url ?? undefined
      const single = resume?.upload.uploadId === undefined &&
        (multipartUrl === undefined || chooseS3Strategy(file.size, input.singlePutThreshold) === "single")
      if (single) {
        const uploadUrl = target.fields.upload_url
        if (!uploadUrl) return yield* missingField("S3", "upload_url")
        yield* uploadS3Single({ path: file.path, uploadUrl, contentType: input.contentType, onProgress })
        return { method: "S3", strategy: "single", size: file.size, resumed: false }
      }
      const endpoints = s3Endpoints(target)
      const uploadId = resume?.upload.uploadId
      const result = yield* uploadS3Multipart({
        path: file.path,
        multipartUploadUrl: multipartUrl,
        contentType: input.contentType,
        getPartUrls: endpoints.partUrls,
        partUrlsPath: endpoints.partUrlsPath,
        getCompletionUrls: endpoints.completionUrls,
        cleanup: endpoints.cleanup,
        getObjectUrl: endpoints.objectUrl,
        resume: uploadId === undefined ? undefined : { uploadId, uploadedParts: resume?.parts ?? [] },
        partSize: resume?.upload.partSize ?? input.partSize,
        concurrency: input.concurrency,
        onFailure: input.onFailure,
        onProgress
      })
      return {
        method: "S3",
        strategy: "multipart",
        size: result.size,
        partsUploaded: result.uploadedParts,
        partsTotal: result.parts.length,
        resumed: uploadId !== undefined
      }
    }),
  resumable: (upload) => upload.uploadId !== undefined,
  discard: (target, upload) => (upload.uploadId === undefined ? Effect.void : s3Endpoints(target).cleanup(upload.uploadId))
}
