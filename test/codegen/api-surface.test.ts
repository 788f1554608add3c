/**
 * The API report's text round-trips, and the comparison sorts each difference into removed, changed, deprecated or
 * added (what `npm run api:check` prints).
 */
import { assert, describe, it } from "@effect/vitest"
import { compare, type Entry, formatDifference, isEmpty, parse, render, type Surface } from "../../scripts/api-surface.ts"

const surface = (entries: ReadonlyArray<Entry>, stability = "unstable"): Surface => ({
  sections: [{ entryPoint: "effect-iconik/generated", entries }],
  effectModules: [{ specifier: "effect/http/HttpClient", stability }]
})

const getAsset: Entry = { name: "assets.getAsset", kind: "const", deprecated: false, signature: "Operation<A, Asset, 404>" }
const asset: Entry = { name: "assets.Asset", kind: "interface", deprecated: false }
const assetConst: Entry = { name: "assets.Asset", kind: "const", deprecated: false, signature: "Codec<Asset>" }
const assetId: Entry = { name: "assets.Asset#id", kind: "property", deprecated: false, signature: "readonly string" }

describe("api report", () => {
  it("reads back what it writes, a type and a value of the same name included", () => {
    const text = render(surface([asset, assetId, assetConst, getAsset]))
    const entries = parse(text)
    assert.deepStrictEqual([...entries.keys()], [
      "effect-iconik/generated\tassets.Asset type",
      "effect-iconik/generated\tassets.Asset#id value",
      "effect-iconik/generated\tassets.Asset value",
      "effect-iconik/generated\tassets.getAsset value",
      "modules\teffect/http/HttpClient"
    ])
    assert.deepStrictEqual(entries.get("effect-iconik/generated\tassets.Asset#id value"), assetId)
    assert.isTrue(isEmpty(compare(entries, parse(text))))
  })

  it("sorts differences into removed, changed, deprecated and added", () => {
    const before = parse(render(surface([asset, assetId, assetConst, getAsset])))
    const after = parse(render(surface(
      [
        asset,
        { ...assetId, signature: "readonly number" },
        { ...getAsset, deprecated: true },
        { name: "assets.getAssetV2", kind: "const", deprecated: false, signature: "Operation<A, Asset, 404>" }
      ],
      "stable"
    )))
    const difference = compare(before, after)
    assert.deepStrictEqual(difference.removed, ["effect-iconik/generated  assets.Asset const: Codec<Asset>"])
    assert.deepStrictEqual(difference.changed, [
      {
        key: "effect-iconik/generated  assets.Asset#id value",
        before: "assets.Asset#id property: readonly string",
        after: "assets.Asset#id property: readonly number"
      },
      {
        key: "modules  effect/http/HttpClient",
        before: "effect/http/HttpClient unstable",
        after: "effect/http/HttpClient stable"
      }
    ])
    assert.deepStrictEqual(difference.deprecated, [
      "effect-iconik/generated  assets.getAsset const @deprecated: Operation<A, Asset, 404>"
    ])
    assert.deepStrictEqual(difference.added, [
      "effect-iconik/generated  assets.getAssetV2 const: Operation<A, Asset, 404>"
    ])
    const text = formatDifference(difference)
    assert.match(text, /^removed \(breaking\) \(1\):\n {2}effect-iconik\/generated {2}assets\.Asset const/)
    assert.include(text, "    was: assets.Asset#id property: readonly string\n    now: assets.Asset#id property: readonly number")
  })
})
