import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Collections from "../../src/Collections.ts"
import * as Search from "../../src/Search.ts"
import { scripted } from "./support.ts"

const hit = (n: number) => ({
  id: `h${n}`,
  object_type: "assets",
  title: `Hit ${n}`,
  status: "ACTIVE",
  files: [{ name: "a.mov" }],
  _sort: [n, `h${n}`]
})

describe("Search", () => {
  it.live("search sends the criteria as body and paging / signing as query", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted(() => ({ status: 200, body: { objects: [hit(1)], total: 1 } }))
      const page = yield* Search.search({ doc_types: ["assets"], query: "interview" }, {
        per_page: 50,
        generate_signed_url: false
      }).pipe(Effect.provide(layer))
      // Hits keep the flattened document, not only the spec's few fields.
      assert.deepStrictEqual(page.objects?.[0], hit(1))
      assert.deepStrictEqual(sent(), [{
        method: "POST",
        path: "/API/search/v1/search/",
        query: { per_page: "50", generate_signed_url: "false" },
        body: { doc_types: ["assets"], query: "interview" }
      }])
    }))

  it.live("stream continues with search_after from the last hit's _sort until a short page", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) => {
        const after = (s.body as { search_after?: [number, string] }).search_after
        const from = after === undefined ? 1 : after[0] + 1
        const hits = [from, from + 1].filter((n) => n <= 5).map(hit)
        return { status: 200, body: { objects: hits } }
      })
      const sort = [{ name: "date_created", order: "desc" }, { name: "id", order: "asc" }]
      const ids = yield* Search.stream({ doc_types: ["assets"], sort }, { perPage: 2 }, { generate_signed_url: false })
        .pipe(Stream.map((h) => h.id), Stream.runCollect, Effect.provide(layer))
      assert.deepStrictEqual(Array.from(ids), ["h1", "h2", "h3", "h4", "h5"])
      const bodies = sent().map((s) => (s.body as { search_after?: unknown }).search_after)
      assert.deepStrictEqual(bodies, [undefined, [2, "h2"], [4, "h4"]])
      // Always page 1: the position lives in search_after, which is what gets past 10 000 hits.
      assert.ok(sent().every((s) => s.query.page === "1" && s.query.generate_signed_url === "false"))
    }))
})

describe("Collections", () => {
  it.live("contents, info, full path and delete use the collection's paths", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) => {
        if (s.path.endsWith("/content/info/")) return { status: 200, body: { assets_count: 2, collections_count: 1 } }
        if (s.path.endsWith("/full/path/")) return { status: 200, body: "Root/Shows/S01" }
        if (s.method === "POST") return { status: 201 }
        if (s.method === "DELETE") return { status: s.path.includes("/contents/") ? 204 : 202 }
        return { status: 404 }
      })
      const info = yield* Collections.info("c1").pipe(Effect.provide(layer))
      assert.strictEqual(info.assets_count, 2)
      const path = yield* Collections.fullPath("c1", { get_upload_path: true }).pipe(Effect.provide(layer))
      assert.strictEqual(path, "Root/Shows/S01")
      yield* Collections.addContent("c1", { object_id: "a1", object_type: "assets" }).pipe(Effect.provide(layer))
      yield* Collections.removeContent("c1", "assets", "a1").pipe(Effect.provide(layer))
      yield* Collections.delete("c1").pipe(Effect.provide(layer))
      assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.query, s.body]), [
        ["GET", "/API/assets/v1/collections/c1/content/info/", {}, undefined],
        ["GET", "/API/assets/v1/collections/c1/full/path/", { get_upload_path: "true" }, undefined],
        ["POST", "/API/assets/v1/collections/c1/contents/", {}, { object_id: "a1", object_type: "assets" }],
        ["DELETE", "/API/assets/v1/collections/c1/contents/assets/a1/", {}, undefined],
        ["DELETE", "/API/assets/v1/collections/c1/", {}, undefined]
      ])
    }))
})
