/** Helpers every route module shares: ids and dates, the index delay, and the asset shapes other services embed. */
import * as Effect from "effect/Effect"
import { type ApiFailure, notFound, param, type RouteContext } from "../Route.ts"
import type { IndexKind } from "../SearchIndex.ts"
import type { AssetDoc, Doc, EmulatorState } from "../State.ts"
import { answeredAsNull, withNulls } from "../Docs.ts"

export const newId = (context: RouteContext): string => context.state.ids.uuid(context.now)
export const stamp = (context: RouteContext): string => context.state.ids.now(context.now)

/** When a write made by this request shows in index-backed lists (`index_immediately=true`: at once). */
export const visibleAt = (context: RouteContext): number =>
  context.now + (context.query.flag("index_immediately") ? 0 : context.env.settings.indexDelayMillis)

/** Records a write the request made outside the records its path names (memberships, bulk bodies, jobs it starts). */
export const indexWrite = (
  context: RouteContext,
  kind: IndexKind,
  id: string,
  before: Doc | undefined,
  after: Doc | undefined
): void => context.state.index.write(kind, id, before, after, visibleAt(context), context.now)

/** The records of `kind` as an index-backed list answered now sees them (`index_immediately=true`: the live ones). */
export const indexedRecords = <A extends Doc>(context: RouteContext, kind: IndexKind, live: ReadonlyMap<string, A>): Array<A> =>
  context.query.flag("index_immediately") ? [...live.values()] : context.state.index.list(kind, live, context.now)

/** One record as an index-backed list answered now sees it. */
export const indexedView = <A extends Doc>(context: RouteContext, kind: IndexKind, id: string, live: A | undefined) =>
  context.query.flag("index_immediately") ? live : context.state.index.view(kind, id, live, context.now)

/** Marks a record deleted by the caller, as Iconik's soft deletes do (the record stays, with `status: DELETED`). */
export const softDelete = (context: RouteContext, doc: Doc & { status: string }): void => {
  doc.status = "DELETED"
  doc.date_deleted = stamp(context)
  doc.deleted_by_user = context.user.id
}

/** The record stored under `id`, or Iconik's 404 naming `what`; with `assetId`, only that asset's records count. */
export const requireRecord = <A extends Doc>(
  records: ReadonlyMap<string, A>,
  id: string,
  what: string,
  assetId?: string
): Effect.Effect<A, ApiFailure> =>
  Effect.suspend(() => {
    const record = records.get(id)
    return record === undefined || (assetId !== undefined && record.asset_id !== assetId)
      ? Effect.fail(notFound(what))
      : Effect.succeed(record)
  })

export const requireAsset = (context: RouteContext, id: string = param(context, "asset_id")) =>
  requireRecord(context.state.assets, id, "Asset")

/** The version new records belong to when the caller names none: the asset's current (first) version. */
export const currentVersionId = (asset: AssetDoc): string | undefined => asset.versions[0]?.id

export const presentAsset = (state: EmulatorState, asset: AssetDoc): Doc =>
  withNulls({
    ...asset,
    versions: asset.versions.map((version) => ({ ...version })),
    in_collections: state.collectionsContaining(asset.id)
  }, answeredAsNull.asset)

/** The denormalised list / search shape (`AssetElasticSchema`). */
export const presentAssetElastic = (state: EmulatorState, asset: AssetDoc): Doc => ({
  ...presentAsset(state, asset),
  object_type: "assets",
  ancestor_collections: state.ancestorsOf(asset.id),
  versions_number: asset.versions.length
})

/** Path templates of the files service, shared by its route modules (formats, files, proxies, storages). */
export const filesBase = "/API/files/v1"
export const filesAssetPath = `${filesBase}/assets/{asset_id}`
export const filesVersionPath = `${filesAssetPath}/versions/{version_id}`
