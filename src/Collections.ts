/**
 * Collections: the collection itself, its contents and its place in the tree. Each function calls one generated
 * operation of `../generated/assets.ts` (collections live in Iconik's assets service). Conventions as in Assets.
 *
 * @since 0.1.0
 */
import type { CallOptions } from "./Endpoint.ts"
import * as assets from "./generated/assets.ts"
import * as Pagination from "./Pagination.ts"

/** One collection. `GET /API/assets/v1/collections/{collection_id}/` */
export const get = (collectionId: string, options?: CallOptions) =>
  assets.getCollection({ collection_id: collectionId }, options)

/** One page of collections. `GET /API/assets/v1/collections/` */
export const list = (query?: assets.ListCollectionsQuery, options?: CallOptions) =>
  assets.listCollections({ query }, options)

/** Every collection matching `query`. `GET /API/assets/v1/collections/` */
export const stream = (query?: assets.ListCollectionsQuery, paging?: Pagination.PagingOptions) =>
  Pagination.items(assets.listCollections, { query }, paging)

/**
 * Creates a collection (a sub-collection when the body has `parent_id`); the body is sent as given.
 * `POST /API/assets/v1/collections/` → 201
 */
export const create = (body: assets.CollectionInput, query?: assets.CreateCollectionQuery, options?: CallOptions) =>
  assets.createCollection({ body, query }, options)

/** Replaces a collection's editable fields. `PUT /API/assets/v1/collections/{collection_id}/` */
export const update = (
  collectionId: string,
  body: assets.CollectionInput,
  query?: assets.UpdateCollectionQuery,
  options?: CallOptions
) => assets.updateCollection({ collection_id: collectionId, body, query }, options)

/** Changes the fields given in `body`. `PATCH /API/assets/v1/collections/{collection_id}/` */
export const patch = (
  collectionId: string,
  body: Parameters<typeof assets.patchCollection>[0]["body"],
  query?: assets.PatchCollectionQuery,
  options?: CallOptions
) => assets.patchCollection({ collection_id: collectionId, body, query }, options)

/**
 * Moves a collection to the delete queue (asynchronous).
 * `DELETE /API/assets/v1/collections/{collection_id}/` → 202
 */
const remove = (collectionId: string, options?: CallOptions) =>
  assets.deleteCollection({ collection_id: collectionId }, options)
export { remove as delete }

/**
 * How many assets and collections a collection holds. `GET /API/assets/v1/collections/{collection_id}/content/info/`
 */
export const info = (collectionId: string, query?: assets.GetCollectionContentInfoQuery, options?: CallOptions) =>
  assets.getCollectionContentInfo({ collection_id: collectionId, query }, options)

/** One page of a collection's contents. `GET /API/assets/v1/collections/{collection_id}/contents/` */
export const listContents = (
  collectionId: string,
  query?: assets.ListCollectionContentsQuery,
  options?: CallOptions
) => assets.listCollectionContents({ collection_id: collectionId, query }, options)

/**
 * Every object in a collection (assets and sub-collections). `GET /API/assets/v1/collections/{collection_id}/contents/`
 */
export const streamContents = (
  collectionId: string,
  query?: assets.ListCollectionContentsQuery,
  paging?: Pagination.PagingOptions
) => Pagination.items(assets.listCollectionContents, { collection_id: collectionId, query }, paging)

/**
 * Adds an object, e.g. `{ object_id: assetId, object_type: "assets" }`. Iconik answers 201 without a body.
 * `POST /API/assets/v1/collections/{collection_id}/contents/` → 201
 */
export const addContent = (collectionId: string, body: assets.CollectionContentInput, options?: CallOptions) =>
  assets.addCollectionContent({ collection_id: collectionId, body }, options)

/**
 * Removes an object from a collection (the object itself stays).
 * `DELETE /API/assets/v1/collections/{collection_id}/contents/{object_type}/{object_id}/` → 204
 */
export const removeContent = (collectionId: string, objectType: string, objectId: string, options?: CallOptions) =>
  assets.removeCollectionContent({ collection_id: collectionId, object_type: objectType, object_id: objectId }, options)

/**
 * The collection's path from the root, as text; with `{ get_upload_path: true }` the storage upload path used as a
 * file's `directory_path`. `GET /API/assets/v1/collections/{collection_id}/full/path/`
 */
export const fullPath = (collectionId: string, query?: assets.GetCollectionFullPathQuery, options?: CallOptions) =>
  assets.getCollectionFullPath({ collection_id: collectionId, query }, options)
