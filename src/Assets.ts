/**
 * Assets: the asset itself, its segments, versions and history, and the delete queue. Each function calls one
 * generated operation of `../generated/assets.ts` (or, for {@link bulkDelete} with `permanently`, two), so encoding,
 * retries, typed errors and decoding all come from the client.
 *
 * Conventions shared by every facade module: ids come first and positionally; Iconik's own query and body objects
 * pass through unchanged (snake_case, exactly the fields the caller set); options invented here are camelCase;
 * `list*` returns one page, `stream*` every item (see Pagination). `update*` is PUT and `patch*` is PATCH.
 * Every function takes a last options object with `timeout` (per call); facade-specific options extend it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { CallOptions } from "./Endpoint.ts"
import * as assets from "./generated/assets.ts"
import { IconikInvalidRequest } from "./IconikError.ts"
import * as Pagination from "./Pagination.ts"

// ---------------------------------------------------------------------------------------------------------------
// Assets

/** One asset. `GET /API/assets/v1/assets/{asset_id}/` */
export const get = (assetId: string, query?: assets.GetAssetQuery, options?: CallOptions) =>
  assets.getAsset({ asset_id: assetId, query }, options)

/** One page of assets. `GET /API/assets/v1/assets/` */
export const list = (query?: assets.ListAssetsQuery, options?: CallOptions) => assets.listAssets({ query }, options)

/** Every asset matching `query`, page after page. `GET /API/assets/v1/assets/` */
export const stream = (query?: assets.ListAssetsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(assets.listAssets, { query }, paging)

/**
 * Creates an asset; the body is sent as given (no `date_*` or status defaults are added).
 * `POST /API/assets/v1/assets/` → 201
 */
export const create = (body: assets.AssetCreateInput, query?: assets.CreateAssetQuery, options?: CallOptions) =>
  assets.createAsset({ body, query }, options)

/** Replaces an asset's editable fields. `PUT /API/assets/v1/assets/{asset_id}/` */
export const update = (
  assetId: string,
  body: assets.AssetInput,
  query?: assets.UpdateAssetQuery,
  options?: CallOptions
) => assets.updateAsset({ asset_id: assetId, body, query }, options)

/** Changes the fields given in `body`. `PATCH /API/assets/v1/assets/{asset_id}/` */
export const patch = (
  assetId: string,
  body: Parameters<typeof assets.patchAsset>[0]["body"],
  query?: assets.PatchAssetQuery,
  options?: CallOptions
) => assets.patchAsset({ asset_id: assetId, body, query }, options)

/** Moves an asset to the delete queue. `DELETE /API/assets/v1/assets/{asset_id}/` → 204 */
const remove = (assetId: string, options?: CallOptions) => assets.deleteAsset({ asset_id: assetId }, options)
export { remove as delete }

/** Deletes an asset permanently, skipping the delete queue. `DELETE /API/assets/v1/assets/{asset_id}/purge/` → 204 */
export const purge = (assetId: string, options?: CallOptions) => assets.purgeAsset({ asset_id: assetId }, options)

// ---------------------------------------------------------------------------------------------------------------
// Delete queue

/** Options of {@link bulkDelete}. */
export interface BulkDeleteOptions extends CallOptions {
  /**
   * After the bulk call succeeded, purge exactly the objects it named from the delete queue (assets, or collections
   * deleted with `content_only: false`). Never the whole queue, and nothing at all if the bulk call failed.
   */
  readonly permanently?: boolean | undefined
}

const bulkPath = assets.createDeleteQueueBulk.definition.path

const purgeFor = (objectType: string, ids: ReadonlyArray<string>, options?: CallOptions) =>
  objectType === "assets"
    ? assets.purgeDeleteQueueAssets({ body: { ids } }, options)
    : assets.purgeDeleteQueueCollections({ body: { ids } }, options)

/**
 * Deletes up to 500 assets, collections or saved searches at once (asynchronous on Iconik's side), then, with
 * `permanently: true`, purges those same ids from the delete queue. The body goes out exactly as given:
 * Iconik's `content_only` defaults to true, which for collections deletes their contents but keeps the collections.
 *
 * `permanently` is refused before anything is sent when it cannot be precise: saved searches have no delete queue,
 * and collections deleted with `content_only` left on are not themselves in the queue (their contents are, under
 * ids this call does not know). Because Iconik queues the bulk delete (202), objects it has not yet moved to the
 * delete queue when the purge runs stay there, restorable; purge them later with {@link purgeDeleted}.
 *
 * `POST /API/assets/v1/delete_queue/bulk/` → 202, then `POST /API/assets/v1/delete_queue/assets/purge/` or
 * `POST /API/assets/v1/delete_queue/collections/purge/` with `{ids}`.
 */
export const bulkDelete = Effect.fn("Assets.bulkDelete")(function*(
  body: assets.BulkDelete,
  options?: BulkDeleteOptions
) {
  if (options?.permanently) {
    const refuse = (detail: string) => new IconikInvalidRequest({ method: "POST", path: bulkPath, detail })
    if (body.object_type !== "assets" && body.object_type !== "collections") {
      return yield* refuse(`permanently: ${body.object_type} have no delete queue to purge`)
    }
    if (body.object_type === "collections" && body.content_only !== false) {
      return yield* refuse(
        "permanently with collections needs content_only: false (otherwise the collections are not deleted)"
      )
    }
  }
  yield* assets.createDeleteQueueBulk({ body }, options)
  if (options?.permanently) yield* purgeFor(body.object_type, body.object_ids, options)
})

/** Purges the given assets from the delete queue (permanent). `POST /API/assets/v1/delete_queue/assets/purge/` */
export const purgeDeleted = (assetIds: ReadonlyArray<string>, options?: CallOptions) =>
  assets.purgeDeleteQueueAssets({ body: { ids: assetIds } }, options)

/**
 * Purges the **whole** delete queue, assets and collections, whoever deleted them (Pythonik's
 * `permanently_delete`). Prefer {@link purgeDeleted}. `POST /API/assets/v1/delete_queue/purge/all/` → 204
 */
export const purgeAllDeleted = (options?: CallOptions) => assets.createDeleteQueuePurgeAll(undefined, options)

/** One page of the assets in the delete queue. `GET /API/assets/v1/delete_queue/assets/` */
export const listDeleted = (query?: assets.ListDeleteQueueAssetsQuery, options?: CallOptions) =>
  assets.listDeleteQueueAssets({ query }, options)

/** Every asset in the delete queue. `GET /API/assets/v1/delete_queue/assets/` */
export const streamDeleted = (query?: assets.ListDeleteQueueAssetsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(assets.listDeleteQueueAssets, { query }, paging)

// ---------------------------------------------------------------------------------------------------------------
// Segments

/** One page of an asset's segments; `query` holds every filter Iconik offers. `GET …/assets/{asset_id}/segments/` */
export const listSegments = (assetId: string, query?: assets.ListAssetSegmentsQuery, options?: CallOptions) =>
  assets.listAssetSegments({ asset_id: assetId, query }, options)

/** Every segment of an asset matching `query`. `GET /API/assets/v1/assets/{asset_id}/segments/` */
export const streamSegments = (
  assetId: string,
  query?: assets.ListAssetSegmentsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(assets.listAssetSegments, { asset_id: assetId, query }, paging)

/** One segment. `GET /API/assets/v1/assets/{asset_id}/segments/{segment_id}/` */
export const getSegment = (
  assetId: string,
  segmentId: string,
  query?: assets.GetAssetSegmentQuery,
  options?: CallOptions
) => assets.getAssetSegment({ asset_id: assetId, segment_id: segmentId, query }, options)

/**
 * Creates a segment (marker, comment, transcription line…).
 * `POST /API/assets/v1/assets/{asset_id}/segments/` → 201
 */
export const createSegment = (assetId: string, body: assets.SegmentInput, options?: CallOptions) =>
  assets.createAssetSegment({ asset_id: assetId, body }, options)

/** Replaces a segment. `PUT /API/assets/v1/assets/{asset_id}/segments/{segment_id}/` */
export const updateSegment = (
  assetId: string,
  segmentId: string,
  body: assets.EditSegmentInput,
  query?: assets.UpdateAssetSegmentQuery,
  options?: CallOptions
) => assets.updateAssetSegment({ asset_id: assetId, segment_id: segmentId, body, query }, options)

/** Changes the fields given in `body`. `PATCH /API/assets/v1/assets/{asset_id}/segments/{segment_id}/` */
export const patchSegment = (
  assetId: string,
  segmentId: string,
  body: Parameters<typeof assets.patchAssetSegment>[0]["body"],
  query?: assets.PatchAssetSegmentQuery,
  options?: CallOptions
) => assets.patchAssetSegment({ asset_id: assetId, segment_id: segmentId, body, query }, options)

/** Options of {@link deleteSegment}. */
export interface DeleteSegmentOptions extends CallOptions {
  /** Keep the segment as deleted instead of removing it. Default true, and always sent (the spec gives no default). */
  readonly softDelete?: boolean | undefined
}

/** Deletes a segment. `DELETE /API/assets/v1/assets/{asset_id}/segments/{segment_id}/?soft_delete=` → 204 */
export const deleteSegment = (assetId: string, segmentId: string, options?: DeleteSegmentOptions) =>
  assets.deleteAssetSegment(
    { asset_id: assetId, segment_id: segmentId, query: { soft_delete: options?.softDelete ?? true } },
    options
  )

/** Options of {@link bulkDeleteSegments}; each flag is sent only when given (Iconik defaults both to true). */
export interface BulkDeleteSegmentsOptions extends CallOptions {
  /** `false` deletes asynchronously. */
  readonly immediately?: boolean | undefined
  /** `false` reindexes the asset afterwards. */
  readonly ignoreReindexing?: boolean | undefined
}

/**
 * Deletes an asset's segments by ids, type and/or version. The body goes out exactly as given.
 * `DELETE /API/assets/v1/assets/{asset_id}/segments/bulk/` → 204
 */
export const bulkDeleteSegments = (assetId: string, body: assets.DeleteSegments, options?: BulkDeleteSegmentsOptions) =>
  assets.deleteAssetSegmentsBulk(
    {
      asset_id: assetId,
      body,
      query: { immediately: options?.immediately, ignore_reindexing: options?.ignoreReindexing }
    },
    options
  )

// ---------------------------------------------------------------------------------------------------------------
// Versions

/**
 * Creates a new version of an asset from its current (or `source_version_id`) version. Answers with the asset's
 * versions. `POST /API/assets/v1/assets/{asset_id}/versions/` → 200
 */
export const createVersion = (assetId: string, body: assets.CreateAssetVersionInput, options?: CallOptions) =>
  assets.createAssetVersion({ asset_id: assetId, body }, options)

/**
 * Makes `sourceAssetId`'s media a new version of `assetId` (asynchronous; 409 while the source transcodes).
 * `POST /API/assets/v1/assets/{asset_id}/versions/from/assets/{source_asset_id}/` → 202
 */
export const createVersionFromAsset = (
  assetId: string,
  sourceAssetId: string,
  body: assets.CreateAssetVersionFromAssetInput,
  options?: CallOptions
) => assets.createAssetVersionsFromAsset({ asset_id: assetId, source_asset_id: sourceAssetId, body }, options)

/** Replaces a version. `PUT /API/assets/v1/assets/{asset_id}/versions/{version_id}/` */
export const updateVersion = (
  assetId: string,
  versionId: string,
  body: assets.AssetVersionInput,
  options?: CallOptions
) => assets.updateAssetVersion({ asset_id: assetId, version_id: versionId, body }, options)

/** Changes the fields given in `body`. `PATCH /API/assets/v1/assets/{asset_id}/versions/{version_id}/` */
export const patchVersion = (
  assetId: string,
  versionId: string,
  body: Parameters<typeof assets.patchAssetVersion>[0]["body"],
  options?: CallOptions
) => assets.patchAssetVersion({ asset_id: assetId, version_id: versionId, body }, options)

/**
 * Makes a version the asset's current one.
 * `PUT /API/assets/v1/assets/{asset_id}/versions/{version_id}/promote/` → 204
 */
export const promoteVersion = (assetId: string, versionId: string, options?: CallOptions) =>
  assets.promoteAssetVersion({ asset_id: assetId, version_id: versionId }, options)

/** Deletes every version but the current one. `DELETE /API/assets/v1/assets/{asset_id}/versions/old/` → 204 */
export const deleteOldVersions = (assetId: string, options?: CallOptions) =>
  assets.deleteAssetVersionsOld({ asset_id: assetId }, options)

/** Options of {@link deleteVersion}. */
export interface DeleteVersionOptions extends CallOptions {
  /** Remove the version completely. Sent only when given (Iconik's default is false). */
  readonly hardDelete?: boolean | undefined
}

/** Deletes a version. `DELETE /API/assets/v1/assets/{asset_id}/versions/{version_id}/?hard_delete=` → 204 */
export const deleteVersion = (assetId: string, versionId: string, options?: DeleteVersionOptions) =>
  assets.deleteAssetVersion(
    { asset_id: assetId, version_id: versionId, query: { hard_delete: options?.hardDelete } },
    options
  )

// ---------------------------------------------------------------------------------------------------------------
// History

/** One page of an asset's history. `GET /API/assets/v1/assets/{asset_id}/history/` */
export const listHistory = (assetId: string, query?: assets.ListAssetHistoryQuery, options?: CallOptions) =>
  assets.listAssetHistory({ asset_id: assetId, query }, options)

/** Every history entry of an asset. `GET /API/assets/v1/assets/{asset_id}/history/` */
export const streamHistory = (
  assetId: string,
  query?: assets.ListAssetHistoryQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(assets.listAssetHistory, { asset_id: assetId, query }, paging)

/**
 * Records an entry in an asset's history, e.g. `{ operation_type: "CUSTOM", operation_description: "…" }`.
 * `POST /API/assets/v1/assets/{asset_id}/history/` → 201
 */
export const createHistory = (assetId: string, body: assets.AssetHistoryInput, options?: CallOptions) =>
  assets.createAssetHistory({ asset_id: assetId, body }, options)
