/**
 * Operation names that the derivation rule (codegen/naming.ts, docs/naming.md) gets wrong, ambiguous or unreadable.
 * Keyed by `<service> <METHOD> <spec path>`. The generator fails when a key matches no operation, and when two
 * operations of a service end up with the same name, so this table is the place to resolve a collision.
 *
 * Keep names stable: renaming an operation is a breaking change for users.
 */
export const operationNameOverrides: Readonly<Record<string, string>> = {
  // auth: /auth/token/ validates, refreshes and revokes the caller's token; /auth/token/{token_id}/ is another token.
  "auth GET /v1/auth/token/": "validateAuthToken",
  "auth PUT /v1/auth/token/": "refreshAuthToken",
  "auth DELETE /v1/auth/token/": "revokeAuthToken",

  // files: POST restores an archived format, PUT a deleted one (both end in /restore/).
  "files POST /v1/assets/{asset_id}/formats/{format_id}/restore/": "restoreArchivedAssetFormat",
  "files GET /v1/files/checksum/{checksum}/": "listFilesByChecksum",
  "files GET /v1/storages/matching/{purpose}/": "listMatchingStorages",
  "files GET /v1/storages/matching/{purpose}/method/{method}/": "listMatchingStoragesByMethod",
  "files GET /v1/storages/{purpose}/default/": "getDefaultStorage",

  // users: the calling user.
  "users GET /v1/users/current/": "getCurrentUser",
  "users PUT /v1/users/current/": "updateCurrentUser",
  "users PATCH /v1/users/current/": "patchCurrentUser",
  "users GET /v1/users/current/roles/": "listCurrentUserRoles",

  // stats: a POST on one logs recipient tests its connection.
  "stats POST /v1/system/logs/recipients/{logs_recipient_id}/": "testSystemLogsRecipient",

  // assets: adding to a collection, custom actions keyed by context and id.
  "assets POST /v1/collections/{collection_id}/contents/": "addCollectionContent",
  "assets DELETE /v1/collections/{collection_id}/contents/{object_type}/{object_id}/": "removeCollectionContent",
  "assets GET /v1/custom_actions/{context}/": "listCustomActionsByContext",
  "assets POST /v1/custom_actions/{context}/": "createCustomAction",
  "assets GET /v1/custom_actions/{context}/{action_id}/": "getCustomAction",
  "assets PUT /v1/custom_actions/{context}/{action_id}/": "updateCustomAction",
  "assets PATCH /v1/custom_actions/{context}/{action_id}/": "patchCustomAction",
  "assets DELETE /v1/custom_actions/{context}/{action_id}/": "deleteCustomAction",
  "assets POST /v1/custom_actions/{context}/{action_id}/callback/": "callbackCustomAction",
  "assets POST /v1/custom_actions/shared/{context}/{action_id}/callback/": "callbackSharedCustomAction",
  "assets DELETE /v1/assets/{asset_id}/relations/{relation_type}/{related_to_asset_id}/": "deleteAssetRelation",
  "assets POST /v1/assets/{asset_id}/relations/{relation_type}/{related_to_asset_id}/": "createAssetRelationTo",
  "assets POST /v1/assets/{asset_id}/relations/{relation_type}/{related_to_asset_id}/reverse/":
    "createAssetRelationReverse",

  // metadata: the values endpoints read as "…Metadata"; the bare derivation (`getObject`) says nothing.
  "metadata GET /v1/{object_type}/{object_id}/": "getObjectMetadata",
  "metadata PUT /v1/{object_type}/{object_id}/": "updateObjectMetadata",
  "metadata GET /v1/{object_type}/{object_id}/views/{view_id}/": "getObjectViewMetadata",
  "metadata PUT /v1/{object_type}/{object_id}/views/{view_id}/": "updateObjectViewMetadata",
  "metadata GET /v1/assets/{asset_id}/versions/{version_id}/views/{view_id}/": "getAssetVersionViewMetadata",
  "metadata GET /v1/assets/{asset_id}/{object_type}/{object_id}/views/{view_id}/": "getAssetObjectViewMetadata",
  "metadata PUT /v1/assets/{asset_id}/{object_type}/{object_id}/views/{view_id}/": "updateAssetObjectViewMetadata",
  "metadata GET /v1/assets/{asset_id}/{object_type}/{object_id}/versions/{version_id}/views/{view_id}/":
    "getAssetObjectVersionViewMetadata",
  "metadata POST /v1/{object_type}/views/{view_id}/": "createBulkViewMetadata",
  "metadata PUT /v1/{object_type}/views/{view_id}/": "updateBulkViewMetadata",
  "metadata PUT /v1/{object_type}/content/views/{view_id}/": "updateContentViewMetadata",
  "metadata GET /v1/{object_type}/categories/{name}/views/": "getObjectTypeCategoryViews",

  // search: the search itself, and saved searches (`/search/saved/{search_id}/`).
  "search POST /v1/search/": "search",
  "search GET /v1/search/saved/": "listSavedSearches",
  "search POST /v1/search/saved/": "createSavedSearch",
  "search GET /v1/search/saved/{search_id}/": "getSavedSearchResults",
  "search PUT /v1/search/saved/{search_id}/": "updateSavedSearch",
  "search PATCH /v1/search/saved/{search_id}/": "patchSavedSearch",
  "search DELETE /v1/search/saved/{search_id}/": "deleteSavedSearch",
  "search GET /v1/search/saved/{search_id}/content/info/": "getSavedSearchContentInfo",
  "search POST /v1/search/saved/{search_id}/convert_to_collection/": "convertSavedSearchToCollection",
  "search POST /v1/search/saved/{search_id}/reindex/": "reindexSavedSearch",
  "search GET /v1/search/saved/groups/": "listSavedSearchGroups",
  "search POST /v1/search/saved/group/": "createSavedSearchGroup",
  "search GET /v1/search/saved/group/{group_id}/": "getSavedSearchGroup",
  "search PUT /v1/search/saved/group/{group_id}/": "updateSavedSearchGroup",
  "search PATCH /v1/search/saved/group/{group_id}/": "patchSavedSearchGroup",
  "search DELETE /v1/search/saved/group/{group_id}/": "deleteSavedSearchGroup",
  "search POST /v1/search/saved/group/{group_id}/search/{search_id}/": "addSavedSearchToGroup",
  "search DELETE /v1/search/saved/group/{group_id}/search/{search_id}/": "removeSavedSearchFromGroup",
  "search POST /v1/search/saved/groups/{group_id}/reindex/": "reindexSavedSearchGroup",
  "search POST /v1/search/suggest/": "suggestSearch"
}
