/**
 * Servers that would lead a walk astray: a cursor that does not advance, and a page count nobody should follow. Each
 * walk must end with a typed IconikPaginationError, without requesting the pages it refuses.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as Iconik from "../../src/IconikClient.ts"
import * as Pagination from "../../src/Pagination.ts"
import * as Search from "../../src/Search.ts"
import { searchAll } from "../../workflows/searchAll.ts"
import { json, startServer, type TestServer } from "../support/httpServer.ts"
import { listFields, listFiles, listItems, search } from "../support/operations.ts"

const clientFor = (server: TestServer) =>
  Iconik.layer({ appId: "app", authToken: "t", baseUrl: server.url, rateLimit: false }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

const query = (url: string) => new URL(url, "http://x").searchParams
const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `id-${String(from + i).padStart(5, "0")}`, name: `f${from + i}` }))

/**
 * A guard against a walk that never ends (the bug under test): past `limit` requests the server answers 400, so an
 * unguarded walk fails with IconikBadRequest instead of hanging the test.
 */
const stopAfter = (server: TestServer, limit: number) => server.requests.length > limit

/** Runs the walk and answers its failure. */
const failureOf = <A, E>(stream: Stream.Stream<A, E, Iconik.IconikClient>, server: TestServer) =>
  stream.pipe(Stream.runCollect, Effect.flip, Effect.provide(clientFor(server)))

const assertPagingError = (
  error: unknown,
  expected: { readonly family: string; readonly reason: string; readonly cursor?: string }
) => {
  assert.instanceOf(error, Pagination.IconikPaginationError, `expected IconikPaginationError, got ${String(error)}`)
  const e = error as Pagination.IconikPaginationError
  assert.strictEqual(e.family, expected.family)
  assert.strictEqual(e.reason, expected.reason)
  if (expected.cursor !== undefined) assert.strictEqual(e.cursor, expected.cursor)
}

describe("Pagination against servers that do not advance", () => {
  it.live("search: a server ignoring search_after (the same page again) fails after the second request", () =>
    Effect.gen(function*() {
      const hits = items(0, 10).map((h, k) => ({ ...h, _sort: [k, h.id] }))
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: hits, page: 1, per_page: 10, total: 1_000 })
      })
      const error = yield* failureOf(Pagination.items(search, { body: { query: "x" } }, { perPage: 10 }), server)
      assertPagingError(error, { family: "search", reason: "CursorDidNotAdvance", cursor: `search_after=[9,"id-00009"]` })
      assert.strictEqual(server.requests.length, 2)
    }))

  it.live("Search.stream and searchAll fail the same way, having emitted the first page once", () =>
    Effect.gen(function*() {
      const hits = items(0, 5).map((h, k) => ({ ...h, title: `Clip ${k}`, object_type: "assets", _sort: [k, h.id] }))
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: hits, page: 1, per_page: 5, total: 1_000 })
      })
      const seen: Array<string> = []
      const error = yield* failureOf(
        searchAll({ doc_types: ["assets"] }, { perPage: 5 }).pipe(Stream.tap((hit) => Effect.sync(() => seen.push(hit.id)))),
        server
      )
      assertPagingError(error, { family: "search", reason: "CursorDidNotAdvance" })
      assert.deepStrictEqual(seen, hits.map((h) => h.id))
      const again = yield* failureOf(Search.stream({ doc_types: ["assets"] }, { perPage: 5 }), server)
      assertPagingError(again, { family: "search", reason: "CursorDidNotAdvance" })
      assert.strictEqual(server.requests.length, 4)
    }))

  it.live("last_id: the same last_id again", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: items(0, 10), next_url: "/API/files/v1/files/?last_id=id-00009" })
      })
      const error = yield* failureOf(Pagination.items(listFiles, undefined, { perPage: 10 }), server)
      assertPagingError(error, { family: "last_id", reason: "CursorDidNotAdvance", cursor: "last_id=id-00009" })
      assert.strictEqual(server.requests.length, 2)
    }))

  it.live("last_field_name: the same last field name again", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: items(0, 10) })
      })
      const error = yield* failureOf(Pagination.items(listFields, undefined, { perPage: 10 }), server)
      assertPagingError(error, { family: "last_field_name", reason: "CursorDidNotAdvance", cursor: "last_field_name=f9" })
      assert.strictEqual(server.requests.length, 2)
    }))

  it.live("scroll: the same scroll_id with the same hits; the same scroll_id with new hits goes on", () =>
    Effect.gen(function*() {
      let stuck = true
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        const offset = stuck ? 0 : (server.requests.length - 1) * 10
        // Elasticsearch may answer one scroll_id for the whole scroll: only repeated hits mean it is stuck.
        json(res, 200, { objects: offset >= 30 ? [] : items(offset, 10), scroll_id: "s-1" })
      })
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10, scroll: true }), server)
      assertPagingError(error, { family: "scroll", reason: "CursorDidNotAdvance", cursor: "scroll_id=s-1" })
      assert.strictEqual(server.requests.length, 2)
      stuck = false
      server.requests.length = 0
      const all = yield* Pagination.items(listItems, undefined, { perPage: 10, scroll: true }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.deepStrictEqual(all.map((i) => i.id), items(0, 30).map((i) => i.id))
    }))

  it.live("page family without a page count: the same next_url (the server ignores page)", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: items(0, 10), page: 1, next_url: "/API/assets/v1/items/?page=2&per_page=10" })
      })
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10 }), server)
      assertPagingError(error, { family: "page", reason: "CursorDidNotAdvance", cursor: "page=2" })
      assert.strictEqual(server.requests.length, 2)
    }))

  it.live("page family, answers with objects alone: the same full page again", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        if (stopAfter(server, 20)) return json(res, 400, { errors: ["guard: too many requests"] })
        json(res, 200, { objects: items(0, 10) })
      })
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10 }), server)
      assertPagingError(error, { family: "page", reason: "CursorDidNotAdvance", cursor: "page=2" })
      assert.strictEqual(server.requests.length, 2)
    }))
})

describe("Pagination page limit", () => {
  it.live("a first page announcing 100 000 000 pages fails before any other page is requested", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const page = Number(query(req.url).get("page"))
        // Without the limit the walk would request page 2, 3, …: those answer 404 so the test ends either way.
        if (page > 1) return json(res, 404, { errors: ["Requested page does not exist"] })
        json(res, 200, { objects: items(0, 10), page: 1, pages: 100_000_000, per_page: 10, total: 1_000_000_000 })
      })
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10 }), server)
      assertPagingError(error, { family: "page", reason: "TooManyPages", cursor: "pages=100000000" })
      assert.strictEqual(server.requests.length, 1)
    }))

  it.live("a known page count within maxPages is walked; one above it is refused", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const page = Number(query(req.url).get("page"))
        json(res, 200, { objects: items((page - 1) * 10, 10), page, pages: 5, per_page: 10, total: 50 })
      })
      const all = yield* Pagination.items(listItems, undefined, { perPage: 10, maxPages: 5 }).pipe(
        Stream.runCollect,
        Effect.provide(clientFor(server))
      )
      assert.strictEqual(all.length, 50)
      server.requests.length = 0
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10, maxPages: 4 }), server)
      assertPagingError(error, { family: "page", reason: "TooManyPages", cursor: "pages=5" })
      assert.strictEqual(server.requests.length, 1)
    }))

  it.live("cursor families stop after maxPages pages, having emitted them, without requesting another", () =>
    Effect.gen(function*() {
      // An endless, always-advancing search: only the limit ends it.
      const server = yield* startServer((req, res) => {
        const body = JSON.parse(req.body)
        const start = body.search_after ? Number(body.search_after[0]) + 1 : 0
        json(res, 200, { objects: items(start, 10).map((h, k) => ({ ...h, _sort: [start + k] })), page: 1, per_page: 10 })
      })
      let emitted = 0
      const error = yield* failureOf(
        Pagination.items(search, { body: {} }, { perPage: 10, maxPages: 7 }).pipe(Stream.tap(() => Effect.sync(() => emitted++))),
        server
      )
      assertPagingError(error, { family: "search", reason: "TooManyPages", cursor: "search_after=[69]" })
      assert.strictEqual(server.requests.length, 7)
      assert.strictEqual(emitted, 70)
    }))

  it.live("the page walk without a count stops after maxPages pages too", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req, res) => {
        const page = Number(query(req.url).get("page"))
        json(res, 200, { objects: items((page - 1) * 10, 10), page, next_url: `/API/assets/v1/items/?page=${page + 1}` })
      })
      const error = yield* failureOf(Pagination.items(listItems, undefined, { perPage: 10, maxPages: 3 }), server)
      assertPagingError(error, { family: "page", reason: "TooManyPages", cursor: "page=4" })
      assert.strictEqual(server.requests.length, 3)
    }))

  it.live("options outside their range fail with a typed error before any request", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, res) => json(res, 200, { objects: [] }))
      for (const options of [{ perPage: 0 }, { concurrency: Number.NaN }, { maxPages: 0 }, { maxPages: 1.5 }]) {
        const error = yield* failureOf(Pagination.items(listItems, undefined, options), server)
        assertPagingError(error, { family: "page", reason: "InvalidOption" })
      }
      const scrollless = yield* failureOf(Pagination.items(listFiles, undefined, { scroll: true }), server)
      assertPagingError(scrollless, { family: "scroll", reason: "InvalidOption" })
      const bad = yield* failureOf(searchAll(undefined, { perPage: 5000 }), server)
      assert.strictEqual((bad as { _tag: string })._tag, "InvalidOption")
      assert.strictEqual(server.requests.length, 0)
    }))
})
