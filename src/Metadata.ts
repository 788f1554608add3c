/**
 * Metadata: the values of assets, collections and segments (per view or directly), views and fields. Each function
 * calls a generated operation of `../generated/metadata.ts`. Conventions as in Assets.
 *
 * Values look like `{ metadata_values: { <field>: { field_values: [{ value }], mode? } } }`, for reading and writing.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { CallOptions } from "./Endpoint.ts"
import * as metadata from "./generated/metadata.ts"
import type { IconikError } from "./IconikError.ts"
import * as Pagination from "./Pagination.ts"

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Options of the per-view getters. */
export interface ViewValuesOptions extends CallOptions {
  /**
   * Iconik answers 404 when the object simply has no values in the view. With this set, that 404 gives an empty
   * values object instead (Pythonik's `intercept_404`); a 404 naming something else (a missing view or object)
   * still fails with `IconikNotFound`.
   */
  readonly emptyOnNotFound?: boolean | undefined
  readonly query?: metadata.GetObjectViewMetadataQuery | undefined
}

/**
 * Whether an error is Iconik's "no values in this view" 404 (spec: "Metadata values for this object and view doesn't
 * exist"). A 404 without a message counts too, as Pythonik assumed; one whose message names another missing thing
 * (e.g. "View does not exist") does not.
 */
export const isNoValuesInView = (error: IconikError): boolean => {
  if (error._tag !== "IconikNotFound") return false
  const errors = error.errors
  const messages = errors === undefined ? [] : Array.isArray(errors) ? errors : Object.values(errors).map(String)
  return messages.length === 0 || messages.some((message) => /metadata values|no values/i.test(message))
}

/** The values object standing for "nothing set in this view". */
export const emptyValues = (objectType: string, objectId: string): metadata.MetadataValues => ({
  object_type: objectType,
  object_id: objectId,
  metadata_values: {}
})

/**
 * An object's values in a view (`objectType`: `assets`, `collections`, `segments`…).
 * `GET /API/metadata/v1/{object_type}/{object_id}/views/{view_id}/`
 */
export const get = (objectType: string, objectId: string, viewId: string, options?: ViewValuesOptions) => {
  const request = metadata.getObjectViewMetadata(
    { object_type: objectType, object_id: objectId, view_id: viewId, query: options?.query },
    options
  )
  return options?.emptyOnNotFound
    ? Effect.catchIf(request, isNoValuesInView, () => Effect.succeed(emptyValues(objectType, objectId)))
    : request
}

/** An asset's values in a view. `GET /API/metadata/v1/assets/{asset_id}/views/{view_id}/` */
export const getForAsset = (assetId: string, viewId: string, options?: ViewValuesOptions) =>
  get("assets", assetId, viewId, options)

/** A collection's values in a view. `GET /API/metadata/v1/collections/{collection_id}/views/{view_id}/` */
export const getForCollection = (collectionId: string, viewId: string, options?: ViewValuesOptions) =>
  get("collections", collectionId, viewId, options)

/** A segment's values in a view. `GET /API/metadata/v1/segments/{segment_id}/views/{view_id}/` */
export const getForSegment = (segmentId: string, viewId: string, options?: ViewValuesOptions) =>
  get("segments", segmentId, viewId, options)

/**
 * All of an object's values regardless of view (admin), in Iconik's per-field `{name, type, values}` shape.
 * `GET /API/metadata/v1/{object_type}/{object_id}/`
 */
export const getDirect = (
  objectType: string,
  objectId: string,
  query?: metadata.GetObjectMetadataQuery,
  options?: CallOptions
) => metadata.getObjectMetadata({ object_type: objectType, object_id: objectId, query }, options)

/**
 * Writes an object's values in a view; answers with the values now stored. The body is sent as given.
 * `PUT /API/metadata/v1/{object_type}/{object_id}/views/{view_id}/`
 */
export const put = (
  objectType: string,
  objectId: string,
  viewId: string,
  body: metadata.MetadataValues,
  query?: metadata.UpdateObjectViewMetadataQuery,
  options?: CallOptions
) =>
  metadata.updateObjectViewMetadata(
    { object_type: objectType, object_id: objectId, view_id: viewId, body, query },
    options
  )

/** Writes an asset's values in a view. `PUT /API/metadata/v1/assets/{asset_id}/views/{view_id}/` */
export const putForAsset = (
  assetId: string,
  viewId: string,
  body: metadata.MetadataValues,
  query?: metadata.UpdateObjectViewMetadataQuery,
  options?: CallOptions
) => put("assets", assetId, viewId, body, query, options)

/**
 * Writes values of an object belonging to an asset (`objectType` e.g. `segments`) in a view.
 * `PUT /API/metadata/v1/assets/{asset_id}/{object_type}/{object_id}/views/{view_id}/`
 */
export const putForAssetObject = (
  assetId: string,
  objectType: string,
  objectId: string,
  viewId: string,
  body: metadata.MetadataValues,
  query?: metadata.UpdateAssetObjectViewMetadataQuery,
  options?: CallOptions
) =>
  metadata.updateAssetObjectViewMetadata(
    { asset_id: assetId, object_type: objectType, object_id: objectId, view_id: viewId, body, query },
    options
  )

/**
 * Writes a segment's values in a view. `PUT /API/metadata/v1/assets/{asset_id}/segments/{segment_id}/views/{view_id}/`
 */
export const putForSegment = (
  assetId: string,
  segmentId: string,
  viewId: string,
  body: metadata.MetadataValues,
  query?: metadata.UpdateAssetObjectViewMetadataQuery,
  options?: CallOptions
) => putForAssetObject(assetId, "segments", segmentId, viewId, body, query, options)

/**
 * Writes an object's values without a view (admin only; Iconik accepts unknown ids).
 * `PUT /API/metadata/v1/{object_type}/{object_id}/`
 */
export const putDirect = (
  objectType: string,
  objectId: string,
  body: metadata.MetadataValues,
  query?: metadata.UpdateObjectMetadataQuery,
  options?: CallOptions
) => metadata.updateObjectMetadata({ object_type: objectType, object_id: objectId, body, query }, options)

// ---------------------------------------------------------------------------------------------------------------
// Views

/** Every metadata view (Iconik does not page this list). `GET /API/metadata/v1/views/` */
export const listViews = (options?: CallOptions) => metadata.listViews(undefined, options)

/** One view with its fields. `GET /API/metadata/v1/views/{view_id}/` */
export const getView = (viewId: string, query?: metadata.GetViewQuery, options?: CallOptions) =>
  metadata.getView({ view_id: viewId, query }, options)

/** Creates a view, `{ name, description?, view_fields: [{ name, … }] }`. `POST /API/metadata/v1/views/` → 201 */
export const createView = (body: metadata.MetadataViewCreateInput, options?: CallOptions) =>
  metadata.createView({ body }, options)

/** Replaces a view entirely (PUT). `PUT /API/metadata/v1/views/{view_id}/` */
export const replaceView = (viewId: string, body: metadata.MetadataViewInputInput, options?: CallOptions) =>
  metadata.updateView({ view_id: viewId, body }, options)

/**
 * Changes the parts of a view given in `body` (PATCH, as Pythonik's `update_view`).
 * `PATCH /API/metadata/v1/views/{view_id}/`
 */
export const updateView = (
  viewId: string,
  body: Parameters<typeof metadata.patchView>[0]["body"],
  options?: CallOptions
) =>
  metadata.patchView({ view_id: viewId, body }, options)

/** Deletes a view. `DELETE /API/metadata/v1/views/{view_id}/` → 204 */
export const deleteView = (viewId: string, options?: CallOptions) => metadata.deleteView({ view_id: viewId }, options)

// ---------------------------------------------------------------------------------------------------------------
// Fields

/** One page of field definitions (`filter`, `per_page`, `last_field_name`). `GET /API/metadata/v1/fields/` */
export const listFields = (query?: metadata.ListFieldsQuery, options?: CallOptions) =>
  metadata.listFields({ query }, options)

/** Every field definition, following the `last_field_name` cursor. `GET /API/metadata/v1/fields/` */
export const streamFields = (query?: metadata.ListFieldsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(metadata.listFields, { query }, paging)

/** One field definition. `GET /API/metadata/v1/fields/{field_name}/` */
export const getField = (fieldName: string, options?: CallOptions) =>
  metadata.getField({ field_name: fieldName }, options)

/** Creates a field, `{ name, label, field_type, … }`. `POST /API/metadata/v1/fields/` → 201 */
export const createField = (body: metadata.MetadataFieldCreateInput, options?: CallOptions) =>
  metadata.createField({ body }, options)

/** Replaces a field definition. `PUT /API/metadata/v1/fields/{field_name}/` */
export const updateField = (fieldName: string, body: metadata.MetadataFieldInput, options?: CallOptions) =>
  metadata.updateField({ field_name: fieldName, body }, options)

/** Changes the parts of a field definition given in `body`. `PATCH /API/metadata/v1/fields/{field_name}/` */
export const patchField = (
  fieldName: string,
  body: Parameters<typeof metadata.patchField>[0]["body"],
  options?: CallOptions
) =>
  metadata.patchField({ field_name: fieldName, body }, options)

/** Deletes a field. `DELETE /API/metadata/v1/fields/{field_name}/` → 204 */
export const deleteField = (fieldName: string, options?: CallOptions) =>
  metadata.deleteField({ field_name: fieldName }, options)
