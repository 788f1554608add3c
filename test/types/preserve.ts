/**
 * Type-level checks of the preserving codecs, compiled by `npm run typecheck` (never run): a misspelled declared key
 * is still a compile error in request bodies, extra keys pass only through `IconikSchema.extraFields`, and the
 * undeclared keys of a decoded object read through `IconikSchema.open`.
 */
import type * as Effect from "effect/Effect"
import { assets, files } from "../../src/generated/index.ts"
import type { IconikClient } from "../../src/IconikClient.ts"
import * as IconikSchema from "../../src/IconikSchema.ts"

declare const asset: assets.Asset
type Call = Effect.Effect<unknown, unknown, IconikClient>

export const checks: ReadonlyArray<Call> = [
  // A plain body: declared keys only.
  assets.createAsset({ body: { title: "Interview" } }),
  // @ts-expect-error: `titel` is not a key of the body
  assets.createAsset({ body: { titel: "Interview" } }),
  // @ts-expect-error: a misspelled key next to a spread of a decoded object is caught too
  assets.updateAsset({ asset_id: asset.id, body: { ...asset, titel: "Interview" } }),
  // GET → modify → PUT: the decoded object (with whatever it carries) goes back as the body.
  assets.updateAsset({ asset_id: asset.id, body: { ...asset, title: "Interview, take 2" } }),

  // The escape hatch: extra keys on purpose, the declared ones still checked against the call's body type.
  files.createAssetFile({
    asset_id: asset.id,
    body: IconikSchema.extraFields(
      { original_name: "a.mov", directory_path: "d", type: "FILE", size: "1024" },
      { date_created: "2021-07-30T15:16:54+00:00", date_modified: "2021-07-30T15:16:54+00:00" }
    )
  }),
  files.createAssetFile({
    asset_id: asset.id,
    // @ts-expect-error: a misspelled declared key inside the escape hatch is still an error
    body: IconikSchema.extraFields({ original_nme: "a.mov", directory_path: "d", type: "FILE" }, { date_created: "x" })
  }),
  files.createAssetFile({
    asset_id: asset.id,
    // @ts-expect-error: the extras may not set a declared key (that one is checked in the body)
    body: IconikSchema.extraFields({ original_name: "a.mov", directory_path: "d", type: "FILE" }, { size: "many" })
  }),
  // @ts-expect-error: a size in words is not a numeric string
  files.createAssetFile({ asset_id: asset.id, body: { original_name: "a", directory_path: "d", type: "FILE", size: "1 KiB" } }),
  // Query parameters take the escape hatch too (an undocumented flag Iconik accepts).
  assets.getAsset({ asset_id: asset.id, query: IconikSchema.extraFields({}, { index_immediately: true }) })
]

// Reading: declared keys are typed, a misspelled one is an error, undeclared ones read as `unknown` through `open`.
export const title: string = asset.title
// @ts-expect-error: `titel` is not a key of Asset
export const misspelled = asset.titel
export const later: unknown = IconikSchema.open(asset).a_field_iconik_added_later
// @ts-expect-error: an undeclared key is `unknown`, not silently a string
export const notAString: string = IconikSchema.open(asset).a_field_iconik_added_later
