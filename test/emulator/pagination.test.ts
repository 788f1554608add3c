/** Every paging family, walked with the SDK's Pagination streams and checked on the wire. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { TestClock } from "effect/testing"
import * as Pagination from "../../src/Pagination.ts"
import { assets, files, metadata, search } from "../../src/generated/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

const unlimited = { rateLimit: false } as const
const emulatorLayer = (options?: Parameters<typeof IconikEmulator.layerClient>[0]) =>
  IconikEmulator.layerClient({ rateLimit: false, ...options }, { ...unlimited, retry: false })

const createAssets = (count: number, title = (i: number) => `Asset ${String(i).padStart(2, "0")}`) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => assets.createAsset({ body: { title: title(i) } }))

const uniqueIds = (items: ReadonlyArray<{ readonly id?: string | null | undefined }>) => new Set(items.map((i) => i.id)).size

describe("page family", () => {
  it.effect("envelope with host-relative URLs, 404 past the last page, and the SDK stream reads every page", () =>
    Effect.gen(function*() {
      yield* createAssets(25)
      const third = yield* assets.listAssets({ query: { page: 3, per_page: 10 } })
      assert.strictEqual(third.objects?.length, 5)
      assert.deepStrictEqual(
        [third.page, third.pages, third.per_page, third.total],
        [3, 3, 10, 25]
      )
      assert.strictEqual(third.first_url, "/API/assets/v1/assets/?page=1&per_page=10")
      assert.strictEqual(third.prev_url, "/API/assets/v1/assets/?page=2&per_page=10")
      assert.isUndefined(third.next_url)
      const past = yield* assets.listAssets({ query: { page: 4, per_page: 10 } }).pipe(Effect.flip)
      assert.strictEqual(past._tag, "IconikNotFound")
      if (past._tag === "IconikNotFound") assert.deepStrictEqual(past.errors, ["Requested page does not exist"])
      const all = yield* Stream.runCollect(Pagination.items(assets.listAssets, {}, { perPage: 7 }))
      assert.strictEqual(all.length, 25)
      assert.strictEqual(uniqueIds(all), 25)
      // Newest first by default; `sort` changes it.
      const byTitle = yield* assets.listAssets({ query: { sort: "title,asc", per_page: 3 } })
      assert.deepStrictEqual(byTitle.objects?.map((a) => a.title), ["Asset 00", "Asset 01", "Asset 02"])
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("legacy scroll: scroll_id until an empty page", () =>
    Effect.gen(function*() {
      yield* createAssets(12)
      const all = yield* Stream.runCollect(Pagination.items(assets.listAssets, {}, { perPage: 5, scroll: true }))
      assert.strictEqual(uniqueIds(all), 12)
      const emulator = yield* IconikEmulator
      const scrolls = (yield* emulator.requests).filter((r) => r.query.includes("scroll=true"))
      assert.strictEqual(scrolls.length, 4) // 5 + 5 + 2 + the empty page
      assert.strictEqual(emulator.state.scrolls.size, 0)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("the index delay hides new objects from lists until it passes, unless index_immediately=true", () =>
    Effect.gen(function*() {
      const [asset] = yield* createAssets(1)
      assert.strictEqual((yield* assets.getAsset({ asset_id: asset!.id })).id, asset!.id)
      assert.strictEqual((yield* assets.listAssets()).total, 0)
      const immediate = yield* raw("GET", "/API/assets/v1/assets/?index_immediately=true")
      assert.strictEqual((immediate.json as { total: number }).total, 1)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* assets.listAssets()).total, 1)
    }).pipe(Effect.provide(emulatorLayer({ indexDelay: "2 seconds" }))))
})

describe("cursor families", () => {
  it.effect("files lists continue with last_id while next_url is set", () =>
    Effect.gen(function*() {
      const [asset] = yield* createAssets(1)
      const format = yield* files.createAssetFormat({ asset_id: asset!.id, body: { name: "ORIGINAL" } })
      const fileSet = yield* files.createAssetFileSet({
        asset_id: asset!.id,
        body: { format_id: format.id, base_dir: "media", name: "originals", component_ids: [] }
      })
      yield* Effect.forEach(Array.from({ length: 13 }, (_, i) => i), (i) =>
        files.createAssetFile({
          asset_id: asset!.id,
          body: {
            original_name: `clip-${i}.mov`,
            directory_path: "day1",
            type: "FILE",
            size: 10,
            file_set_id: fileSet.id,
            format_id: format.id
          }
        }))
      const first = yield* files.listAssetFiles({ asset_id: asset!.id, query: { per_page: 5 } })
      assert.strictEqual(first.objects?.length, 5)
      assert.match(first.next_url ?? "", /^\/API\/files\/v1\/assets\/[^/]+\/files\/\?per_page=5&last_id=/)
      const all = yield* Stream.runCollect(Pagination.items(files.listAssetFiles, { asset_id: asset!.id }, { perPage: 5 }))
      assert.strictEqual(all.length, 13)
      assert.strictEqual(uniqueIds(all), 13)
      const lastRequest = (yield* (yield* IconikEmulator).requests).at(-1)!
      assert.match(lastRequest.query, /last_id=/)
    }).pipe(Effect.provide(emulatorLayer())))

  it.effect("metadata fields continue with last_field_name", () =>
    Effect.gen(function*() {
      yield* Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) =>
        metadata.createField({ body: { name: `field_${String(i).padStart(2, "0")}`, label: `Field ${i}`, field_type: "string" } }))
      const first = yield* metadata.listFields({ query: { per_page: 5 } })
      assert.deepStrictEqual(first.objects?.map((f) => f.name), ["field_00", "field_01", "field_02", "field_03", "field_04"])
      const all = yield* Stream.runCollect(Pagination.items(metadata.listFields, {}, { perPage: 5 }))
      assert.deepStrictEqual(all.map((f) => f.name), Array.from({ length: 12 }, (_, i) => `field_${String(i).padStart(2, "0")}`))
    }).pipe(Effect.provide(emulatorLayer())))
})

describe("search paging", () => {
  it.effect("search_after with the last hit's _sort walks past the page window; page × per_page beyond it is 400", () =>
    Effect.gen(function*() {
      yield* createAssets(23, (i) => `Clip ${String(i % 5)}`)
      const criteria = { doc_types: ["assets"], sort: [{ name: "title", order: "asc" }] }
      const seen: Array<string> = []
      let after: ReadonlyArray<unknown> | undefined
      for (;;) {
        const answer = yield* raw("POST", "/API/search/v1/search/?per_page=10", {
          body: after === undefined ? criteria : { ...criteria, search_after: after }
        })
        assert.strictEqual(answer.status, 200)
        const hits = (answer.json as { objects: Array<{ id: string; title: string; _sort: Array<unknown> }> }).objects
        seen.push(...hits.map((hit) => hit.id))
        if (hits.length < 10) break
        after = hits.at(-1)!._sort
        // The title, then the id as a tie-breaker.
        assert.strictEqual(after.length, 2)
      }
      assert.strictEqual(seen.length, 23)
      assert.strictEqual(new Set(seen).size, 23)
      const tooDeep = yield* search.search({ body: { doc_types: ["assets"] }, query: { page: 1001, per_page: 10 } }).pipe(Effect.flip)
      assert.strictEqual(tooDeep._tag, "IconikBadRequest")
      const pastEnd = yield* search.search({ body: { doc_types: ["assets"] }, query: { page: 4, per_page: 10 } }).pipe(Effect.flip)
      assert.strictEqual(pastEnd._tag, "IconikNotFound")
    }).pipe(Effect.provide(emulatorLayer())))
})
