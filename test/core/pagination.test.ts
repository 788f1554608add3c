import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as Iconik from "../../src/IconikClient.ts"
import * as Pagination from "../../src/Pagination.ts"
import { json, startServer, type TestServer } from "../support/httpServer.ts"
import { listFields, listFiles, listItems, search } from "../support/operations.ts"

const clientFor = (server: TestServer) =>
  Iconik.layer({ appId: "app", authToken: "t", baseUrl: server.url, rateLimit: false }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

const all = Array.from({ length: 237 }, (_, i) => ({ id: `id-${String(i).padStart(5, "0")}`, name: `field_${String(i).padStart(5, "0")}` }))

const query = (url: string) => new URL(url, "http://x").searchParams

describe("Pagination over a real socket", () => {
  it.live("page family: page 1 tells the page count, the rest come concurrently, in order", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let maxInFlight = 0
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const page = Number(q.get("page"))
        const perPage = Number(q.get("per_page"))
        const pages = Math.ceil(all.length / perPage)
        if (page > pages) return json(res, 404, { errors: ["Requested page does not exist"] })
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        // Later pages answer sooner, so order must come from the stream, not from arrival.
        setTimeout(() => {
          inFlight--
          json(res, 200, { objects: all.slice((page - 1) * perPage, page * perPage), page, pages, per_page: perPage, total: all.length })
        }, 30 - page)
      })
      const items = yield* Pagination.items(listItems, undefined, { perPage: 20, concurrency: 3 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), all.map((i) => i.id))
      assert.strictEqual(server.requests.length, 12)
      assert.isAtLeast(maxInFlight, 2)
      assert.isAtMost(maxInFlight, 3)
    }))

  it.live("page family without a page count follows next_url", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const page = Number(q.get("page"))
        const perPage = Number(q.get("per_page"))
        const objects = all.slice((page - 1) * perPage, page * perPage)
        const more = page * perPage < all.length
        json(res, 200, { objects, page, next_url: more ? `/API/assets/v1/items/?page=${page + 1}&per_page=${perPage}` : null })
      })
      const items = yield* Pagination.items(listItems, undefined, { perPage: 100 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), all.map((i) => i.id))
      assert.deepStrictEqual(server.requests.map((r) => query(r.url).get("page")), ["1", "2", "3"])
    }))

  it.live("scroll: scroll=true then scroll_id until an empty page", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const offset = q.has("scroll_id") ? Number(q.get("scroll_id")) : 0
        const perPage = Number(q.get("per_page"))
        json(res, 200, { objects: all.slice(offset, offset + perPage), scroll_id: String(offset + perPage) })
      })
      const items = yield* Pagination.items(listItems, undefined, { perPage: 100, scroll: true }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), all.map((i) => i.id))
      // 100 + 100 + 37 + the empty page; scroll=true on each, then the scroll_id the previous page answered.
      assert.deepStrictEqual(
        server.requests.map((r) => [query(r.url).get("scroll"), query(r.url).get("scroll_id")]),
        [["true", null], ["true", "100"], ["true", "200"], ["true", "300"]]
      )
    }))

  it.live("last_id family: the cursor is the last item's id", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const perPage = Number(q.get("per_page"))
        const start = q.has("last_id") ? all.findIndex((i) => i.id === q.get("last_id")) + 1 : 0
        const objects = all.slice(start, start + perPage)
        const more = start + perPage < all.length
        json(res, 200, { objects, next_url: more ? `/API/files/v1/files/?last_id=${objects.at(-1)!.id}` : null })
      })
      const items = yield* Pagination.items(listFiles, undefined, { perPage: 50 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), all.map((i) => i.id))
      assert.strictEqual(query(server.requests[1]!.url).get("last_id"), "id-00049")
    }))

  it.live("last_id family, answers without next_url: continue while pages are full", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const start = q.has("last_id") ? all.findIndex((i) => i.id === q.get("last_id")) + 1 : 0
        json(res, 200, { objects: all.slice(start, start + Number(q.get("per_page"))) })
      })
      const items = yield* Pagination.items(listFiles, undefined, { perPage: 50 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), all.map((i) => i.id))
      assert.strictEqual(server.requests.length, 5) // 4 full pages, then 37 items
    }))

  it.live("page family, answers with objects alone: continue while full, a 404 past the end ends the walk", () =>
    Effect.gen(function*() {
      let items: ReadonlyArray<{ readonly id: string }> = all
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const page = Number(q.get("page"))
        const perPage = Number(q.get("per_page"))
        if ((page - 1) * perPage >= items.length && page > 1) {
          return json(res, 404, { errors: ["Requested page does not exist"] })
        }
        json(res, 200, { objects: items.slice((page - 1) * perPage, page * perPage) })
      })
      const walk = Pagination.items(listItems, undefined, { perPage: 50 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual((yield* walk).map((i) => i.id), all.map((i) => i.id))
      assert.strictEqual(server.requests.length, 5)
      items = all.slice(0, 200) // exactly 4 full pages: page 5 answers 404
      assert.deepStrictEqual((yield* walk).map((i) => i.id), items.map((i) => i.id))
      assert.strictEqual(server.requests.length, 10)
    }))

  it.live("last_field_name family: continue while pages are full", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const perPage = Number(q.get("per_page"))
        const start = q.has("last_field_name") ? all.findIndex((i) => i.name === q.get("last_field_name")) + 1 : 0
        json(res, 200, { objects: all.slice(start, start + perPage) })
      })
      const items = yield* Pagination.items(listFields, undefined, { perPage: 100 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.name), all.map((i) => i.name))
      assert.strictEqual(query(server.requests[1]!.url).get("last_field_name"), "field_00099")
    }))

  it.live("search family goes past the 10 000-hit window with search_after", () =>
    Effect.gen(function*() {
      const hits = Array.from({ length: 12_345 }, (_, i) => ({ id: `h${i}` }))
      const server = yield* startServer((req, res) => {
        const q = query(req.url)
        const perPage = Number(q.get("per_page"))
        const page = Number(q.get("page") ?? 1)
        // Like Elasticsearch: page-based access stops at 10 000 hits.
        if (page * perPage > 10_000) return json(res, 400, { errors: ["Result window is too large"] })
        const body = JSON.parse(req.body)
        const start = body.search_after ? Number(body.search_after[0]) + 1 : 0
        const objects = hits.slice(start, start + perPage).map((h, k) => ({ ...h, _sort: [start + k, h.id] }))
        json(res, 200, { objects, total: hits.length, page: 1, per_page: perPage })
      })
      const items = yield* Pagination.items(search, { body: { query: "x" } }, { perPage: 1000 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(items.map((i) => i.id), hits.map((h) => h.id))
      assert.strictEqual(server.requests.length, 13)
      const bodies = server.requests.map((r) => JSON.parse(r.body))
      assert.isTrue(bodies.every((b) => Array.isArray(b.sort) && b.sort.length > 0), "a sort is always sent")
      // The cursor is the previous page's last `_sort`.
      assert.deepStrictEqual(
        bodies.map((b) => b.search_after?.[0]),
        [undefined, ...Array.from({ length: 12 }, (_, k) => (k + 1) * 1000 - 1)]
      )
    }))

  it.live("a failing page fails the stream with its typed error", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const page = Number(query(req.url).get("page"))
        if (page === 2) return json(res, 400, { errors: { per_page: "too large" } })
        json(res, 200, { objects: all.slice(0, 10), page, pages: 3 })
      })
      const error = yield* Pagination.items(listItems, undefined, { perPage: 10 }).pipe(
        Stream.runCollect,
        Effect.flip,
        Effect.provide(clientFor(server))
      )
      assert.strictEqual(error._tag, "IconikBadRequest")
    }))
})
