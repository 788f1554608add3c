/** Helpers every route module shares: ids and dates, the index delay, and the asset shapes other services embed. */
import { Effect } from "effect"
import { notFound, param, type RouteContext } from "../Route.ts"
import type { AssetDoc, Doc, EmulatorState } from "../State.ts"

export const newId = (context: RouteContext): string => context.state.ids.uuid(context.now)
export const stamp = (context: RouteContext): string => context.state.ids.now(context.now)

/** Records when a new object shows in lists and search (`index_immediately=true` skips the index delay). */
export const markIndexed = (context: RouteContext, id: string): void => {
  const delay = context.query.flag("index_immediately") ? 0 : context.env.settings.indexDelayMillis
  context.state.indexedAt.set(id, context.now + delay)
}

/** Whether an object shows in an index-backed list answered now. */
export const isVisible = (context: RouteContext, id: string): boolean =>
  context.query.flag("index_immediately") || context.state.isIndexed(id, context.now)

export const requireAsset = (context: RouteContext, id: string = param(context, "asset_id")) =>
  Effect.suspend(() => {
    const asset = context.state.assets.get(id)
    return asset === undefined ? Effect.fail(notFound("Asset")) : Effect.succeed(asset)
  })

/** The version new records belong to when the caller names none: the asset's current (first) version. */
export const currentVersionId = (asset: AssetDoc): string | undefined => asset.versions[0]?.id

export const presentAsset = (state: EmulatorState, asset: AssetDoc): Doc => ({
  ...asset,
  versions: asset.versions.map((version) => ({ ...version })),
  in_collections: state.collectionsContaining(asset.id)
})

/** The denormalised list / search shape (`AssetElasticSchema`). */
export const presentAssetElastic = (state: EmulatorState, asset: AssetDoc): Doc => ({
  ...presentAsset(state, asset),
  object_type: "assets",
  ancestor_collections: state.ancestorsOf(asset.id),
  versions_number: asset.versions.length
})

