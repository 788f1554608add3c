/**
 * Files: formats, file sets, files, proxies, keyframes and storages (Iconik's files service), plus the multipart
 * part-URL helpers an upload needs. Each function calls generated operations of `../generated/files.ts`; the bytes
 * themselves never go through here (see the storage layer). Conventions as in Assets: ids first, Iconik's query and
 * body objects unchanged, `update*` = PUT, `patch*` = PATCH, `list*` one page, `stream*` every item.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { CallOptions, Definition } from "./Endpoint.ts"
import * as files from "./generated/files.ts"
import type { IconikClient } from "./IconikClient.ts"
import { IconikInvalidRequest } from "./IconikError.ts"
import * as Pagination from "./Pagination.ts"
import { makePartUrlResolver } from "./PartUrls.ts"

// ---------------------------------------------------------------------------------------------------------------
// Formats

/** One page of an asset's formats (ORIGINAL, PPRO_PROXY…). `GET /API/files/v1/assets/{asset_id}/formats/` */
export const listFormats = (assetId: string, query?: files.ListAssetFormatsQuery, options?: CallOptions) =>
  files.listAssetFormats({ asset_id: assetId, query }, options)

/** Every format of an asset. `GET /API/files/v1/assets/{asset_id}/formats/` */
export const streamFormats = (
  assetId: string,
  query?: files.ListAssetFormatsQuery,
  paging?: Pagination.PagingOptions
) =>
  Pagination.items(files.listAssetFormats, { asset_id: assetId, query }, paging)

/** One format. `GET /API/files/v1/assets/{asset_id}/formats/{format_id}/` */
export const getFormat = (assetId: string, formatId: string, options?: CallOptions) =>
  files.getAssetFormat({ asset_id: assetId, format_id: formatId }, options)

/**
 * Creates a format, e.g. `{ name: "ORIGINAL", storage_methods: ["S3"] }`.
 * `POST /API/files/v1/assets/{asset_id}/formats/` → 201
 */
export const createFormat = (assetId: string, body: files.FormatInput, options?: CallOptions) =>
  files.createAssetFormat({ asset_id: assetId, body }, options)

/** Replaces a format. `PUT /API/files/v1/assets/{asset_id}/formats/{format_id}/` */
export const updateFormat = (
  assetId: string,
  formatId: string,
  body: files.FormatInput,
  query?: files.UpdateAssetFormatQuery,
  options?: CallOptions
) => files.updateAssetFormat({ asset_id: assetId, format_id: formatId, body, query }, options)

/** Changes the fields given in `body`. `PATCH /API/files/v1/assets/{asset_id}/formats/{format_id}/` */
export const patchFormat = (
  assetId: string,
  formatId: string,
  body: Parameters<typeof files.patchAssetFormat>[0]["body"],
  query?: files.PatchAssetFormatQuery,
  options?: CallOptions
) => files.patchAssetFormat({ asset_id: assetId, format_id: formatId, body, query }, options)

/** Options of {@link deleteFormat} and {@link deleteFileSet}. */
export interface DeleteOptions extends CallOptions {
  /** Skip the delete queue (Iconik then answers 204). Sent only when given. */
  readonly immediately?: boolean | undefined
}

/**
 * Deletes a format: the format marked deleted on 200, `undefined` on 204 (`immediately`).
 * `DELETE /API/files/v1/assets/{asset_id}/formats/{format_id}/` → 200 | 204
 */
export const deleteFormat = (assetId: string, formatId: string, options?: DeleteOptions) =>
  files.deleteAssetFormat(
    { asset_id: assetId, format_id: formatId, query: { immediately: options?.immediately } },
    options
  )

/** A format's components. `GET /API/files/v1/assets/{asset_id}/formats/{format_id}/components/` */
export const listFormatComponents = (assetId: string, formatId: string, options?: CallOptions) =>
  files.listAssetFormatComponents({ asset_id: assetId, format_id: formatId }, options)

/** Adds a component to a format; answers with that component. `POST …/formats/{format_id}/components/` → 200 */
export const createFormatComponent = (
  assetId: string,
  formatId: string,
  body: files.ComponentInput,
  options?: CallOptions
) => files.createAssetFormatComponent({ asset_id: assetId, format_id: formatId, body }, options)

/** One page of a version's formats. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/formats/` */
export const listFormatsByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFormatsQuery,
  options?: CallOptions
) => files.listAssetVersionFormats({ asset_id: assetId, version_id: versionId, query }, options)

/** Every format of a version. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/formats/` */
export const streamFormatsByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFormatsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetVersionFormats, { asset_id: assetId, version_id: versionId, query }, paging)

/** One page of the formats in the delete queue. `GET /API/files/v1/delete_queue/formats/` */
export const listDeletedFormats = (query?: files.ListDeleteQueueFormatsQuery, options?: CallOptions) =>
  files.listDeleteQueueFormats({ query }, options)

/** Every format in the delete queue. `GET /API/files/v1/delete_queue/formats/` */
export const streamDeletedFormats = (query?: files.ListDeleteQueueFormatsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(files.listDeleteQueueFormats, { query }, paging)

// ---------------------------------------------------------------------------------------------------------------
// File sets

/** One page of an asset's file sets. `GET /API/files/v1/assets/{asset_id}/file_sets/` */
export const listFileSets = (assetId: string, query?: files.ListAssetFileSetsQuery, options?: CallOptions) =>
  files.listAssetFileSets({ asset_id: assetId, query }, options)

/** Every file set of an asset. `GET /API/files/v1/assets/{asset_id}/file_sets/` */
export const streamFileSets = (
  assetId: string,
  query?: files.ListAssetFileSetsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetFileSets, { asset_id: assetId, query }, paging)

/** One file set. `GET /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/` */
export const getFileSet = (assetId: string, fileSetId: string, options?: CallOptions) =>
  files.getAssetFileSet({ asset_id: assetId, file_set_id: fileSetId }, options)

/**
 * Creates a file set. Iconik requires `base_dir` and `component_ids` even when empty: they are sent as given.
 * `POST /API/files/v1/assets/{asset_id}/file_sets/` → 201
 */
export const createFileSet = (assetId: string, body: files.FileSetInput, options?: CallOptions) =>
  files.createAssetFileSet({ asset_id: assetId, body }, options)

/** Replaces a file set. `PUT /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/` */
export const updateFileSet = (assetId: string, fileSetId: string, body: files.FileSetInput, options?: CallOptions) =>
  files.updateAssetFileSet({ asset_id: assetId, file_set_id: fileSetId, body }, options)

/** Changes the fields given in `body`. `PATCH /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/` */
export const patchFileSet = (
  assetId: string,
  fileSetId: string,
  body: Parameters<typeof files.patchAssetFileSet>[0]["body"],
  options?: CallOptions
) =>
  files.patchAssetFileSet({ asset_id: assetId, file_set_id: fileSetId, body }, options)

/** Options of {@link deleteFileSet}. */
export interface DeleteFileSetOptions extends DeleteOptions {
  /** Keep the objects on storage. Sent only when given (Iconik's default is false). */
  readonly keepSource?: boolean | undefined
}

/**
 * Deletes a file set: the file set marked deleted on 200, `undefined` on 204 (`immediately`).
 * `DELETE /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/?keep_source=&immediately=` → 200 | 204
 */
export const deleteFileSet = (assetId: string, fileSetId: string, options?: DeleteFileSetOptions) =>
  files.deleteAssetFileSet(
    {
      asset_id: assetId,
      file_set_id: fileSetId,
      query: { keep_source: options?.keepSource, immediately: options?.immediately }
    },
    options
  )

/** One page of the files in a file set. `GET /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/files/` */
export const listFileSetFiles = (
  assetId: string,
  fileSetId: string,
  query?: files.ListAssetFileSetFilesQuery,
  options?: CallOptions
) => files.listAssetFileSetFiles({ asset_id: assetId, file_set_id: fileSetId, query }, options)

/** Every file in a file set. `GET /API/files/v1/assets/{asset_id}/file_sets/{file_set_id}/files/` */
export const streamFileSetFiles = (
  assetId: string,
  fileSetId: string,
  query?: files.ListAssetFileSetFilesQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetFileSetFiles, { asset_id: assetId, file_set_id: fileSetId, query }, paging)

/** One page of a version's file sets. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/file_sets/` */
export const listFileSetsByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFileSetsQuery,
  options?: CallOptions
) => files.listAssetVersionFileSets({ asset_id: assetId, version_id: versionId, query }, options)

/** Every file set of a version. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/file_sets/` */
export const streamFileSetsByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFileSetsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetVersionFileSets, { asset_id: assetId, version_id: versionId, query }, paging)

/** One page of the file sets in the delete queue. `GET /API/files/v1/delete_queue/file_sets/` */
export const listDeletedFileSets = (query?: files.ListDeleteQueueFileSetsQuery, options?: CallOptions) =>
  files.listDeleteQueueFileSets({ query }, options)

/** Every file set in the delete queue. `GET /API/files/v1/delete_queue/file_sets/` */
export const streamDeletedFileSets = (
  query?: files.ListDeleteQueueFileSetsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listDeleteQueueFileSets, { query }, paging)

// ---------------------------------------------------------------------------------------------------------------
// Files

/** One page of an asset's files. `GET /API/files/v1/assets/{asset_id}/files/` */
export const listFiles = (assetId: string, query?: files.ListAssetFilesQuery, options?: CallOptions) =>
  files.listAssetFiles({ asset_id: assetId, query }, options)

/** Every file of an asset. `GET /API/files/v1/assets/{asset_id}/files/` */
export const streamFiles = (assetId: string, query?: files.ListAssetFilesQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(files.listAssetFiles, { asset_id: assetId, query }, paging)

/** One file. `GET /API/files/v1/assets/{asset_id}/files/{file_id}/` */
export const getFile = (assetId: string, fileId: string, query?: files.GetAssetFileQuery, options?: CallOptions) =>
  files.getAssetFile({ asset_id: assetId, file_id: fileId, query }, options)

/**
 * Registers a file; the answer carries the upload URLs / credentials for its storage.
 * `POST /API/files/v1/assets/{asset_id}/files/` → 201
 */
export const createFile = (assetId: string, body: files.FileCreateInput, options?: CallOptions) =>
  files.createAssetFile({ asset_id: assetId, body }, options)

/** Replaces a file record. `PUT /API/files/v1/assets/{asset_id}/files/{file_id}/` */
export const updateFile = (assetId: string, fileId: string, body: files.FileInput, options?: CallOptions) =>
  files.updateAssetFile({ asset_id: assetId, file_id: fileId, body }, options)

/**
 * Changes the fields given, e.g. `{ status: "CLOSED" }` after upload.
 * `PATCH /API/files/v1/assets/{asset_id}/files/{file_id}/`
 */
export const patchFile = (
  assetId: string,
  fileId: string,
  body: Parameters<typeof files.patchAssetFile>[0]["body"],
  options?: CallOptions
) =>
  files.patchAssetFile({ asset_id: assetId, file_id: fileId, body }, options)

/** Deletes a file record (not the stored object). `DELETE /API/files/v1/assets/{asset_id}/files/{file_id}/` → 204 */
export const deleteFile = (assetId: string, fileId: string, options?: CallOptions) =>
  files.deleteAssetFile({ asset_id: assetId, file_id: fileId }, options)

/** One page of a version's files. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/files/` */
export const listFilesByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFilesQuery,
  options?: CallOptions
) => files.listAssetVersionFiles({ asset_id: assetId, version_id: versionId, query }, options)

/** Every file of a version. `GET /API/files/v1/assets/{asset_id}/versions/{version_id}/files/` */
export const streamFilesByVersion = (
  assetId: string,
  versionId: string,
  query?: files.ListAssetVersionFilesQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetVersionFiles, { asset_id: assetId, version_id: versionId, query }, paging)

/**
 * Starts a mediainfo job on a file; `body` (e.g. `{ priority: 5 }`) is sent as given, `{}` when absent.
 * `POST /API/files/v1/assets/{asset_id}/files/{file_id}/mediainfo/` → 200 `{job_id}`
 */
export const createMediainfoJob = (
  assetId: string,
  fileId: string,
  body?: files.TranscodeRequest,
  options?: CallOptions
) => files.createAssetFileMediainfo({ asset_id: assetId, file_id: fileId, body: body ?? {} }, options)

/**
 * Starts a transcode job making keyframes (and proxies) from a file; `undefined` when Iconik skips it because of the
 * storage's transcode-ignore pattern.
 * `POST /API/files/v1/assets/{asset_id}/files/{file_id}/keyframes/` → 200 `{job_id}` | 204
 */
export const createKeyframesJob = (
  assetId: string,
  fileId: string,
  body?: files.TranscodeRequest,
  options?: CallOptions
) => files.createAssetFileKeyframe({ asset_id: assetId, file_id: fileId, body: body ?? {} }, options)

// ---------------------------------------------------------------------------------------------------------------
// Proxies

/** One page of an asset's proxies. `GET /API/files/v1/assets/{asset_id}/proxies/` */
export const listProxies = (assetId: string, query?: files.ListAssetProxiesQuery, options?: CallOptions) =>
  files.listAssetProxies({ asset_id: assetId, query }, options)

/** Every proxy of an asset. `GET /API/files/v1/assets/{asset_id}/proxies/` */
export const streamProxies = (
  assetId: string,
  query?: files.ListAssetProxiesQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetProxies, { asset_id: assetId, query }, paging)

/** One proxy. `GET /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/` */
export const getProxy = (assetId: string, proxyId: string, query?: files.GetAssetProxyQuery, options?: CallOptions) =>
  files.getAssetProxy({ asset_id: assetId, proxy_id: proxyId, query }, options)

/**
 * Registers a proxy; the answer carries `upload_url` / `multipart_url` for the proxy storage.
 * `POST /API/files/v1/assets/{asset_id}/proxies/` → 201
 */
export const createProxy = (assetId: string, body: files.ProxyInput, options?: CallOptions) =>
  files.createAssetProxy({ asset_id: assetId, body }, options)

/** Replaces a proxy record. `PUT /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/` */
export const updateProxy = (assetId: string, proxyId: string, body: files.ProxyUpdateInput, options?: CallOptions) =>
  files.updateAssetProxy({ asset_id: assetId, proxy_id: proxyId, body }, options)

/**
 * Changes the fields given, e.g. `{ status: "CLOSED" }` after upload.
 * `PATCH /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/`
 */
export const patchProxy = (
  assetId: string,
  proxyId: string,
  body: Parameters<typeof files.patchAssetProxy>[0]["body"],
  options?: CallOptions
) =>
  files.patchAssetProxy({ asset_id: assetId, proxy_id: proxyId, body }, options)

/** Deletes a proxy. `DELETE /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/` → 204 */
export const deleteProxy = (assetId: string, proxyId: string, options?: CallOptions) =>
  files.deleteAssetProxy({ asset_id: assetId, proxy_id: proxyId }, options)

/**
 * Asks Iconik to make keyframes and a poster from an uploaded proxy.
 * `POST /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/keyframes/` → 200 `{job_id}`
 */
export const createProxyKeyframesJob = (
  assetId: string,
  proxyId: string,
  body?: files.TranscodeRequest,
  options?: CallOptions
) => files.createAssetProxyKeyframe({ asset_id: assetId, proxy_id: proxyId, body: body ?? {} }, options)

// ---------------------------------------------------------------------------------------------------------------
// Multipart upload URLs (S3)

export { IconikPartUrlMissing } from "./PartUrls.ts"

/** S3's limit on parts per upload. */
const maxParts = 10_000

/** One upload's part-URL list, through the generated operation for a proxy or an original file. */
const partUrls = <Ids extends Record<string, string>, E>(
  operation: {
    (
      input: Ids & { readonly query: { readonly upload_id: string; readonly parts_num: number; readonly per_page: number; readonly page: number } },
      options?: CallOptions
    ): Effect.Effect<files.MultiPartUploadURLs, E, IconikClient>
    readonly definition: Definition
  },
  ids: Ids,
  uploadId: string,
  partsNum: number,
  options: CallOptions | undefined
) => {
  const path = operation.definition.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(ids[name] ?? ""))
  return Effect.andThen(
    checkPartCount(path, partsNum),
    makePartUrlResolver({
      path,
      partsNum,
      fetchPage: ({ page, perPage }) =>
        Effect.map(
          operation({ ...ids, query: { upload_id: uploadId, parts_num: partsNum, per_page: perPage, page } }, options),
          (answer) => answer.objects ?? []
        )
    })
  )
}

const checkPartCount = (path: string, value: number) =>
  Number.isInteger(value) && value >= 1 && value <= maxParts
    ? Effect.void
    : Effect.fail(
      new IconikInvalidRequest({
        method: "GET",
        path,
        detail: `the part number or count must be an integer from 1 to ${maxParts}, got ${value}`
      })
    )

const proxyPartUrls = (assetId: string, proxyId: string, uploadId: string, partsNum: number, options?: CallOptions) =>
  partUrls(files.listAssetProxyMultipartUrlPart, { asset_id: assetId, proxy_id: proxyId }, uploadId, partsNum, options)

const filePartUrls = (assetId: string, fileId: string, uploadId: string, partsNum: number, options?: CallOptions) =>
  partUrls(files.listAssetFileMultipartUrlPart, { asset_id: assetId, file_id: fileId }, uploadId, partsNum, options)

/**
 * The presigned PUT URL (with `number`, `key`…) for part `partNumber` of a proxy's S3 multipart upload. Iconik's
 * `parts_num` is a part *count* and its answer is paged, so this asks for the page holding that part and picks
 * `number === partNumber`; {@link IconikPartUrlMissing} if Iconik does not list it.
 * `GET /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/multipart_url/part/?upload_id=&parts_num=&per_page=&page=`
 */
export const getS3PartUrl = (
  assetId: string,
  proxyId: string,
  uploadId: string,
  partNumber: number,
  options?: CallOptions
) => Effect.flatMap(proxyPartUrls(assetId, proxyId, uploadId, partNumber, options), (list) => list.find(partNumber))

/**
 * The presigned PUT URLs of parts 1..`partsCount` of a proxy's S3 multipart upload, in part order, over as many
 * pages as Iconik needs. `GET /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/multipart_url/part/`
 */
export const getS3PartUrls = (
  assetId: string,
  proxyId: string,
  uploadId: string,
  partsCount: number,
  options?: CallOptions
) => Effect.flatMap(proxyPartUrls(assetId, proxyId, uploadId, partsCount, options), (list) => list.all)

/** Options of {@link getS3CompleteUrls}. */
export interface CompleteUrlOptions extends CallOptions {
  /** The highest part number uploaded. Sent only when given. */
  readonly maxPartNumber?: number | undefined
}

/**
 * The presigned `complete_url` (CompleteMultipartUpload) and `abort_url` of a proxy's S3 multipart upload.
 * `GET /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/multipart_url/?upload_id=&type=complete_url`
 */
export const getS3CompleteUrls = (assetId: string, proxyId: string, uploadId: string, options?: CompleteUrlOptions) =>
  files.getAssetProxyMultipartUrl({
    asset_id: assetId,
    proxy_id: proxyId,
    query: { upload_id: uploadId, type: "complete_url", max_part_number: options?.maxPartNumber }
  }, options)

/** Options of {@link cleanupMultipart}. */
export interface CleanupOptions extends CallOptions {
  /** Also abort the S3 upload. Sent only when given. */
  readonly abortUpload?: boolean | undefined
}

/**
 * Tells Iconik to clean up an abandoned proxy multipart upload (and abort it on S3 with `abortUpload`).
 * `POST /API/files/v1/assets/{asset_id}/proxies/{proxy_id}/multipart/cleanup/` → 200
 */
export const cleanupMultipart = (assetId: string, proxyId: string, uploadId: string, options?: CleanupOptions) =>
  files.createAssetProxyMultipartCleanup({
    asset_id: assetId,
    proxy_id: proxyId,
    body: { upload_id: uploadId, abort_upload: options?.abortUpload }
  }, options)

/**
 * {@link getS3PartUrl} for an original file's upload.
 * `GET /API/files/v1/assets/{asset_id}/files/{file_id}/multipart_url/part/`
 */
export const getFileS3PartUrl = (
  assetId: string,
  fileId: string,
  uploadId: string,
  partNumber: number,
  options?: CallOptions
) => Effect.flatMap(filePartUrls(assetId, fileId, uploadId, partNumber, options), (list) => list.find(partNumber))

/**
 * {@link getS3PartUrls} for an original file's upload.
 * `GET /API/files/v1/assets/{asset_id}/files/{file_id}/multipart_url/part/`
 */
export const getFileS3PartUrls = (
  assetId: string,
  fileId: string,
  uploadId: string,
  partsCount: number,
  options?: CallOptions
) => Effect.flatMap(filePartUrls(assetId, fileId, uploadId, partsCount, options), (list) => list.all)

/**
 * {@link getS3CompleteUrls} for an original file's upload.
 * `GET /API/files/v1/assets/{asset_id}/files/{file_id}/multipart_url/?upload_id=&type=complete_url`
 */
export const getFileS3CompleteUrls = (
  assetId: string,
  fileId: string,
  uploadId: string,
  options?: CompleteUrlOptions
) =>
  files.getAssetFileMultipartUrl({
    asset_id: assetId,
    file_id: fileId,
    query: { upload_id: uploadId, type: "complete_url", max_part_number: options?.maxPartNumber }
  }, options)

/**
 * Cleans up an abandoned multipart upload of an original file; the body (`upload_id`, `abort_upload`,
 * `parts_number`…) is sent as given.
 * `POST /API/files/v1/assets/{asset_id}/files/{file_id}/multipart/cleanup/` → 200
 */
export const cleanupFileMultipart = (
  assetId: string,
  fileId: string,
  body: files.MultipartUploadCleanup,
  options?: CallOptions
) => files.createAssetFileMultipartCleanup({ asset_id: assetId, file_id: fileId, body }, options)

// ---------------------------------------------------------------------------------------------------------------
// Keyframes

/** One page of an asset's keyframes. `GET /API/files/v1/assets/{asset_id}/keyframes/` */
export const listKeyframes = (assetId: string, query?: files.ListAssetKeyframesQuery, options?: CallOptions) =>
  files.listAssetKeyframes({ asset_id: assetId, query }, options)

/** Every keyframe of an asset. `GET /API/files/v1/assets/{asset_id}/keyframes/` */
export const streamKeyframes = (
  assetId: string,
  query?: files.ListAssetKeyframesQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listAssetKeyframes, { asset_id: assetId, query }, paging)

/** One keyframe. `GET /API/files/v1/assets/{asset_id}/keyframes/{keyframe_id}/` */
export const getKeyframe = (
  assetId: string,
  keyframeId: string,
  query?: files.GetAssetKeyframeQuery,
  options?: CallOptions
) => files.getAssetKeyframe({ asset_id: assetId, keyframe_id: keyframeId, query }, options)

/**
 * Registers a keyframe (`type` required); the answer carries its `upload_url`.
 * `POST /API/files/v1/assets/{asset_id}/keyframes/` → 201
 */
export const createKeyframe = (
  assetId: string,
  body: files.KeyframeInput,
  query?: files.CreateAssetKeyframeQuery,
  options?: CallOptions
) => files.createAssetKeyframe({ asset_id: assetId, body, query }, options)

/** Replaces a keyframe. `PUT /API/files/v1/assets/{asset_id}/keyframes/{keyframe_id}/` */
export const updateKeyframe = (assetId: string, keyframeId: string, body: files.KeyframeInput, options?: CallOptions) =>
  files.updateAssetKeyframe({ asset_id: assetId, keyframe_id: keyframeId, body }, options)

/**
 * Changes the fields given, e.g. `{ status: "CLOSED" }`.
 * `PATCH /API/files/v1/assets/{asset_id}/keyframes/{keyframe_id}/`
 */
export const patchKeyframe = (
  assetId: string,
  keyframeId: string,
  body: Parameters<typeof files.patchAssetKeyframe>[0]["body"],
  options?: CallOptions
) =>
  files.patchAssetKeyframe({ asset_id: assetId, keyframe_id: keyframeId, body }, options)

/** Deletes a keyframe. `DELETE /API/files/v1/assets/{asset_id}/keyframes/{keyframe_id}/` → 204 */
export const deleteKeyframe = (
  assetId: string,
  keyframeId: string,
  query?: files.DeleteAssetKeyframeQuery,
  options?: CallOptions
) => files.deleteAssetKeyframe({ asset_id: assetId, keyframe_id: keyframeId, query }, options)

// ---------------------------------------------------------------------------------------------------------------
// Storages

/** One page of storages. `GET /API/files/v1/storages/` */
export const listStorages = (query?: files.ListStoragesQuery, options?: CallOptions) =>
  files.listStorages({ query }, options)

/** Every storage. `GET /API/files/v1/storages/` */
export const streamStorages = (query?: files.ListStoragesQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(files.listStorages, { query }, paging)

/** One storage. `GET /API/files/v1/storages/{storage_id}/` */
export const getStorage = (storageId: string, options?: CallOptions) =>
  files.getStorage({ storage_id: storageId }, options)

/**
 * The storage Iconik would pick for a purpose (`FILES`, `PROXIES`, `KEYFRAMES`…).
 * `GET /API/files/v1/storages/matching/{purpose}/`
 */
export const matchingStorage = (purpose: string, query?: files.ListMatchingStoragesQuery, options?: CallOptions) =>
  files.listMatchingStorages({ purpose, query }, options)

/** The default storage for a purpose. `GET /API/files/v1/storages/{purpose}/default/` */
export const defaultStorage = (purpose: string, options?: CallOptions) =>
  files.getDefaultStorage({ purpose }, options)

/** One page of the files on a storage. `GET /API/files/v1/storages/{storage_id}/files/` */
export const listStorageFiles = (storageId: string, query?: files.ListStorageFilesQuery, options?: CallOptions) =>
  files.listStorageFiles({ storage_id: storageId, query }, options)

/** Every file on a storage. `GET /API/files/v1/storages/{storage_id}/files/` */
export const streamStorageFiles = (
  storageId: string,
  query?: files.ListStorageFilesQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(files.listStorageFiles, { storage_id: storageId, query }, paging)

/**
 * Registers a file found on a storage; answers with that file.
 * `POST /API/files/v1/storages/{storage_id}/files/` → 201
 */
export const createStorageFile = (storageId: string, body: files.FileBaseInput, options?: CallOptions) =>
  files.createStorageFile({ storage_id: storageId, body }, options)
