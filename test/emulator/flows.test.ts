/** Asset, collection, metadata and search flows through the SDK, against the in-process emulator. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { assets, metadata, search } from "../../src/generated/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

const emulator = IconikEmulator.layerClient({ rateLimit: false }, { rateLimit: false, retry: false })

describe("assets", () => {
  it.effect("create answers with versions[0]; versions, promote and delete keep their statuses", () =>
    Effect.gen(function*() {
      const asset = yield* assets.createAsset({ body: { title: "Interview", external_id: "ext-1" } })
      assert.match(asset.id, /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.match(asset.date_created ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/)
      assert.strictEqual(asset.versions?.length, 1)
      const first = asset.versions![0]!
      assert.strictEqual(first.version_number, 1)

      const versions = yield* assets.createAssetVersion({ asset_id: asset.id, body: {} })
      assert.strictEqual(versions.asset_id, asset.id)
      assert.deepStrictEqual(versions.versions?.map((v) => v.version_number), [2, 1])
      const second = versions.versions![0]!

      yield* assets.promoteAssetVersion({ asset_id: asset.id, version_id: first.id! })
      assert.strictEqual((yield* assets.getAsset({ asset_id: asset.id })).versions?.[0]?.id, first.id)

      yield* assets.deleteAssetVersion({ asset_id: asset.id, version_id: second.id!, query: { hard_delete: true } })
      const last = yield* assets.deleteAssetVersion({ asset_id: asset.id, version_id: first.id! }).pipe(Effect.flip)
      assert.strictEqual(last._tag, "IconikBadRequest")

      const updated = yield* assets.patchAsset({ asset_id: asset.id, body: { title: "Interview (final)", external_id: null } })
      assert.strictEqual(updated.title, "Interview (final)")
      // Cleared: Iconik answers an unset external_id as null.
      assert.isNull(updated.external_id)

      yield* assets.deleteAsset({ asset_id: asset.id })
      assert.strictEqual((yield* assets.getAsset({ asset_id: asset.id })).status, "DELETED")
      assert.strictEqual((yield* assets.listAssets()).total, 0)
      assert.strictEqual((yield* assets.listDeleteQueueAssets()).total, 1)
      yield* assets.createDeleteQueueAssetsPurgeAll()
      const gone = yield* assets.getAsset({ asset_id: asset.id }).pipe(Effect.flip)
      assert.strictEqual(gone._tag, "IconikNotFound")
    }).pipe(Effect.provide(emulator)))

  it.effect("segments: create, filtered list by type / time, bulk delete; history", () =>
    Effect.gen(function*() {
      const asset = yield* assets.createAsset({ body: { title: "Match" } })
      const make = (segment_type: string, start: number, text: string) =>
        assets.createAssetSegment({
          asset_id: asset.id,
          body: { segment_type, time_start_milliseconds: start, time_end_milliseconds: start + 1000, segment_text: text }
        })
      yield* make("COMMENT", 5000, "nice shot")
      yield* make("MARKER", 1000, "goal")
      yield* make("COMMENT", 9000, "offside?")
      const comments = yield* assets.listAssetSegments({ asset_id: asset.id, query: { segment_type: "COMMENT" } })
      assert.deepStrictEqual(comments.objects?.map((s) => s.segment_text), ["nice shot", "offside?"])
      const byType = yield* assets.listAssetSegmentsByType({ asset_id: asset.id, segment_type: "MARKER" })
      assert.deepStrictEqual(byType.objects?.map((s) => s.segment_text), ["goal"])
      const late = yield* assets.listAssetSegments({ asset_id: asset.id, query: { time_start_milliseconds__gte: 4000 } })
      assert.strictEqual(late.total, 2)
      yield* assets.deleteAssetSegmentsBulk({ asset_id: asset.id, body: { segment_type: "COMMENT" } })
      assert.strictEqual((yield* assets.listAssetSegments({ asset_id: asset.id })).total, 1)

      const entry = yield* assets.createAssetHistory({
        asset_id: asset.id,
        body: { operation_type: "CUSTOM", operation_description: "reviewed" }
      })
      const history = yield* assets.listAssetHistory({ asset_id: asset.id })
      assert.deepStrictEqual(history.objects?.map((h) => h.id), [entry.id])
    }).pipe(Effect.provide(emulator)))
})

describe("collections", () => {
  it.effect("contents add (201, no body) / list / remove drive in_collections; full path is a JSON string", () =>
    Effect.gen(function*() {
      const root = yield* assets.createCollection({ body: { title: "Projects" } })
      const child = yield* assets.createCollection({ body: { title: "Spring", parent_id: root.id } })
      const asset = yield* assets.createAsset({ body: { title: "Teaser" } })
      const added = yield* assets.addCollectionContent({
        collection_id: child.id,
        body: { object_id: asset.id, object_type: "assets" }
      })
      assert.isUndefined(added)
      assert.deepStrictEqual((yield* assets.getAsset({ asset_id: asset.id })).in_collections, [child.id])
      const contents = yield* assets.listCollectionContents({ collection_id: root.id })
      assert.deepStrictEqual(contents.objects?.map((o) => [o.id, o.object_type]), [[child.id, "collections"]])
      const childContents = yield* assets.listCollectionContents({
        collection_id: child.id,
        query: { object_types: "assets" }
      })
      assert.deepStrictEqual(childContents.objects?.map((o) => o.id), [asset.id])
      assert.strictEqual(yield* assets.getCollectionFullPath({ collection_id: child.id }), "Projects/Spring")
      const info = yield* assets.getCollectionContentInfo({ collection_id: root.id })
      assert.deepStrictEqual([info.assets_count, info.collections_count], [0, 1])

      yield* assets.removeCollectionContent({ collection_id: child.id, object_type: "assets", object_id: asset.id })
      assert.deepStrictEqual((yield* assets.getAsset({ asset_id: asset.id })).in_collections, [])
      const again = yield* assets.removeCollectionContent({
        collection_id: child.id,
        object_type: "assets",
        object_id: asset.id
      }).pipe(Effect.flip)
      assert.strictEqual(again._tag, "IconikNotFound")

      // DELETE answers 202 and the collection leaves lists.
      const deleted = yield* raw("DELETE", `/API/assets/v1/collections/${child.id}/`)
      assert.strictEqual(deleted.status, 202)
      assert.strictEqual((yield* assets.listCollections()).total, 1)
    }).pipe(Effect.provide(emulator)))
})

describe("metadata", () => {
  const setup = Effect.gen(function*() {
    yield* metadata.createField({ body: { name: "Genre", label: "Genre", field_type: "drop_down", options: [{ label: "News", value: "news" }, { label: "Sport", value: "sport" }] } })
    yield* metadata.createField({ body: { name: "Rating", label: "Rating", field_type: "integer" } })
    const view = yield* metadata.createView({ body: { name: "Editorial", view_fields: [{ name: "Genre" }, { name: "Rating" }] } })
    const asset = yield* assets.createAsset({ body: { title: "Final" } })
    return { view, asset }
  })

  it.effect("values through a view: 404 while empty (Iconik's quirk), PUT 200, modes, validation", () =>
    Effect.gen(function*() {
      const { view, asset } = yield* setup
      assert.deepStrictEqual(view.view_fields?.map((f) => [f.name, f.field_type]), [["Genre", "drop_down"], ["Rating", "integer"]])
      const target = { object_type: "assets", object_id: asset.id, view_id: view.id }
      const empty = yield* metadata.getObjectViewMetadata(target).pipe(Effect.flip)
      assert.strictEqual(empty._tag, "IconikNotFound")
      if (empty._tag === "IconikNotFound") {
        assert.deepStrictEqual(empty.errors, ["Metadata values for this object and view doesn't exist"])
      }
      const written = yield* metadata.updateObjectViewMetadata({
        ...target,
        body: { metadata_values: { Genre: { field_values: [{ value: "news" }] }, Rating: { field_values: [{ value: 4 }] } } }
      })
      assert.deepStrictEqual(written.metadata_values.Genre?.field_values, [{ value: "news" }])
      const read = yield* metadata.getObjectViewMetadata(target)
      assert.deepStrictEqual(read.metadata_values.Rating?.field_values, [{ value: 4 }])

      const invalid = yield* metadata.updateObjectViewMetadata({
        ...target,
        body: { metadata_values: { Genre: { field_values: [{ value: "weather" }] } } }
      }).pipe(Effect.flip)
      assert.strictEqual(invalid._tag, "IconikBadRequest")
      yield* metadata.updateObjectViewMetadata({
        ...target,
        body: { metadata_values: { Rating: { field_values: [], mode: "delete" } } }
      })
      assert.deepStrictEqual(Object.keys((yield* metadata.getObjectViewMetadata(target)).metadata_values), ["Genre"])
    }).pipe(Effect.provide(emulator)))

  it.effect("direct values (no view) are for admins: others get 403", () =>
    Effect.gen(function*() {
      const { asset } = yield* setup
      const written = yield* metadata.updateObjectMetadata({
        object_type: "assets",
        object_id: asset.id,
        body: { metadata_values: { Anything: { field_values: [{ value: "goes" }] } } }
      })
      assert.deepStrictEqual(written.metadata_values.Anything?.field_values, [{ value: "goes" }])
      const direct = yield* raw("GET", `/API/metadata/v1/assets/${asset.id}/`)
      assert.deepStrictEqual(direct.json, { Anything: { name: "Anything", type: "string", values: [{ value: "goes" }] } })
      const emulated = yield* IconikEmulator
      const denied = yield* raw("PUT", `/API/metadata/v1/assets/${asset.id}/`, {
        body: { metadata_values: {} },
        headers: { "App-ID": emulated.credentials.appId, "Auth-Token": "editor-token" }
      })
      assert.strictEqual(denied.status, 403)
    }).pipe(Effect.provide(IconikEmulator.layerClient({
      rateLimit: false,
      users: [{ email: "editor@example.com", token: "editor-token", roles: ["can_write_metadata_values"] }]
    }, { rateLimit: false, retry: false }))))
})

describe("search", () => {
  it.effect("query text, filters (term, value_in, exists, nested OR), doc_types, sort, facets, naive dates", () =>
    Effect.gen(function*() {
      yield* metadata.createField({ body: { name: "Genre", label: "Genre", field_type: "string" } })
      const view = yield* metadata.createView({ body: { name: "All", view_fields: [{ name: "Genre" }] } })
      const news = yield* assets.createAsset({ body: { title: "Evening news" } })
      const sport = yield* assets.createAsset({ body: { title: "Sport highlights", external_id: "s-1" } })
      const draft = yield* assets.createAsset({ body: { title: "Evening draft" } })
      const folder = yield* assets.createCollection({ body: { title: "Evening shows" } })
      yield* assets.addCollectionContent({ collection_id: folder.id, body: { object_id: news.id, object_type: "assets" } })
      for (const [asset, genre] of [[news, "news"], [sport, "sport"], [draft, "news"]] as const) {
        yield* metadata.updateObjectViewMetadata({
          object_type: "assets",
          object_id: asset.id,
          view_id: view.id,
          body: { metadata_values: { Genre: { field_values: [{ value: genre }] } } }
        })
      }
      const titles = (result: { readonly objects?: ReadonlyArray<{ readonly title: string }> | null | undefined }) =>
        result.objects?.map((o) => o.title)

      const evening = yield* search.search({ body: { query: "evening", sort: [{ name: "title", order: "asc" }] } })
      assert.deepStrictEqual(titles(evening), ["Evening draft", "Evening news", "Evening shows"])
      const onlyAssets = yield* search.search({
        body: { query: "evening", doc_types: ["assets"], sort: [{ name: "title", order: "desc" }] }
      })
      assert.deepStrictEqual(titles(onlyAssets), ["Evening news", "Evening draft"])
      const filtered = yield* search.search({
        body: {
          doc_types: ["assets"],
          filter: {
            operator: "AND",
            terms: [{ name: "metadata.Genre", value: "news" }],
            filters: [{ operator: "OR", terms: [{ name: "in_collections", value: folder.id }, { name: "external_id", exists: true }] }]
          }
        }
      })
      assert.deepStrictEqual(titles(filtered), ["Evening news"])
      const valueIn = yield* search.search({
        body: { doc_types: ["assets"], filter: { operator: "AND", terms: [{ name: "id", value_in: [sport.id, draft.id] }] } }
      })
      assert.strictEqual(valueIn.total, 2)
      const fielded = yield* search.search({ body: { query: `ancestor_collections:${folder.id}` } })
      assert.deepStrictEqual(titles(fielded), ["Evening news"])
      const missing = yield* search.search({
        body: { doc_types: ["assets"], filter: { operator: "AND", terms: [{ name: "external_id", missing: true }] } }
      })
      assert.strictEqual(missing.total, 2)
      const faceted = yield* search.search({ body: { doc_types: ["assets"], facets: ["metadata.Genre"] } })
      assert.deepStrictEqual(faceted.facets, {
        "metadata.Genre": { buckets: [{ key: "news", doc_count: 2 }, { key: "sport", doc_count: 1 }] }
      })
      const hit = (yield* raw("POST", "/API/search/v1/search/", { body: { query: "sport" } })).json as {
        objects: Array<{ date_created: string; _sort: Array<unknown>; metadata: Record<string, unknown> }>
      }
      assert.match(hit.objects[0]!.date_created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/)
      assert.isArray(hit.objects[0]!._sort)
      assert.deepStrictEqual(hit.objects[0]!.metadata, { Genre: ["sport"] })
    }).pipe(Effect.provide(emulator)))
})
