import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Assets from "../../src/Assets.ts"
import { scripted } from "./support.ts"

const asset = { id: "a1", title: "Interview 03", status: "ACTIVE" }
const segment = { id: "s1", segment_type: "MARKER" }

describe("Assets", () => {
  it.live("get, create, update (PUT), patch and delete send the spec's method, path, query and body", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) =>
        s.method === "DELETE" ? { status: 204 } : { status: s.method === "POST" ? 201 : 200, body: asset }
      )
      const got = yield* Assets.get("a1").pipe(Effect.provide(layer))
      assert.deepStrictEqual(got, asset)
      yield* Assets.create({ title: "Interview 03" }, { apply_default_acls: true }).pipe(Effect.provide(layer))
      yield* Assets.update("a1", { title: "New" }).pipe(Effect.provide(layer))
      yield* Assets.patch("a1", { title: "New" }).pipe(Effect.provide(layer))
      const deleted = yield* Assets.delete("a1").pipe(Effect.provide(layer))
      assert.strictEqual(deleted, undefined)
      assert.deepStrictEqual(sent(), [
        { method: "GET", path: "/API/assets/v1/assets/a1/", query: {}, body: undefined },
        // Exactly the caller's body: no date_* or status defaults.
        {
          method: "POST",
          path: "/API/assets/v1/assets/",
          query: { apply_default_acls: "true" },
          body: { title: "Interview 03" }
        },
        { method: "PUT", path: "/API/assets/v1/assets/a1/", query: {}, body: { title: "New" } },
        { method: "PATCH", path: "/API/assets/v1/assets/a1/", query: {}, body: { title: "New" } },
        { method: "DELETE", path: "/API/assets/v1/assets/a1/", query: {}, body: undefined }
      ])
    }))

  it.live("deleteSegment always sends soft_delete (true unless told otherwise)", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted(() => ({ status: 204 }))
      yield* Assets.deleteSegment("a1", "s1").pipe(Effect.provide(layer))
      yield* Assets.deleteSegment("a1", "s2", { softDelete: false }).pipe(Effect.provide(layer))
      const [soft, hard] = sent()
      assert.strictEqual(soft!.method, "DELETE")
      assert.strictEqual(soft!.path, "/API/assets/v1/assets/a1/segments/s1/")
      assert.deepStrictEqual(soft!.query, { soft_delete: "true" })
      assert.strictEqual(hard!.path, "/API/assets/v1/assets/a1/segments/s2/")
      assert.deepStrictEqual(hard!.query, { soft_delete: "false" })
    }))

  it.live("segments: create, update (PUT), patch, bulk delete and list filters", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) =>
        s.method === "DELETE"
          ? { status: 204 }
          : s.method === "GET"
          ? { status: 200, body: { objects: [segment], page: 1, pages: 1 } }
          : { status: s.method === "POST" ? 201 : 200, body: segment }
      )
      yield* Assets.createSegment("a1", { segment_type: "MARKER", time_start_milliseconds: 10 }).pipe(
        Effect.provide(layer)
      )
      yield* Assets.updateSegment("a1", "s1", { segment_type: "MARKER" }).pipe(Effect.provide(layer))
      yield* Assets.patchSegment("a1", "s1", { segment_type: "MARKER", segment_text: "hi" }).pipe(Effect.provide(layer))
      yield* Assets.bulkDeleteSegments("a1", { segment_type: "COMMENT" }, { immediately: false }).pipe(
        Effect.provide(layer)
      )
      const page = yield* Assets.listSegments("a1", {
        segment_type: "MARKER",
        time_start_milliseconds__gte: 0,
        include_users: true
      }).pipe(Effect.provide(layer))
      assert.strictEqual(page.objects?.[0]?.id, "s1")
      const [create, update, patch, bulk, list] = sent()
      assert.deepStrictEqual(create, {
        method: "POST",
        path: "/API/assets/v1/assets/a1/segments/",
        query: {},
        body: { segment_type: "MARKER", time_start_milliseconds: 10 }
      })
      assert.deepStrictEqual([update!.method, update!.path], ["PUT", "/API/assets/v1/assets/a1/segments/s1/"])
      assert.deepStrictEqual([patch!.method, patch!.body], ["PATCH", { segment_type: "MARKER", segment_text: "hi" }])
      // Only the flag the caller set goes out; the body is exactly the caller's.
      assert.deepStrictEqual(bulk, {
        method: "DELETE",
        path: "/API/assets/v1/assets/a1/segments/bulk/",
        query: { immediately: "false" },
        body: { segment_type: "COMMENT" }
      })
      assert.deepStrictEqual(list!.query, {
        segment_type: "MARKER",
        time_start_milliseconds__gte: "0",
        include_users: "true"
      })
    }))

  it.live("versions: from asset, promote, delete old, delete with hard_delete only when asked", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) => ({ status: s.method === "POST" ? 202 : 204 }))
      yield* Assets.createVersionFromAsset("a1", "a2", { copy_previous_version_segments: true }).pipe(
        Effect.provide(layer)
      )
      yield* Assets.promoteVersion("a1", "v2").pipe(Effect.provide(layer))
      yield* Assets.deleteOldVersions("a1").pipe(Effect.provide(layer))
      yield* Assets.deleteVersion("a1", "v1").pipe(Effect.provide(layer))
      yield* Assets.deleteVersion("a1", "v1", { hardDelete: true }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(sent().map((s) => `${s.method} ${s.path} ${JSON.stringify(s.query)}`), [
        "POST /API/assets/v1/assets/a1/versions/from/assets/a2/ {}",
        "PUT /API/assets/v1/assets/a1/versions/v2/promote/ {}",
        "DELETE /API/assets/v1/assets/a1/versions/old/ {}",
        "DELETE /API/assets/v1/assets/a1/versions/v1/ {}",
        "DELETE /API/assets/v1/assets/a1/versions/v1/ {\"hard_delete\":\"true\"}"
      ])
    }))

  it.live("history: create sends the entry as given; stream walks every page", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) => {
        if (s.method === "POST") return { status: 201, body: { operation_type: "CUSTOM" } }
        const page = Number(s.query.page)
        return { status: 200, body: { objects: [{ operation_type: "CUSTOM", id: `h${page}` }], page, pages: 3 } }
      })
      yield* Assets.createHistory("a1", { operation_type: "CUSTOM", operation_description: "checked" }).pipe(
        Effect.provide(layer)
      )
      const entries = yield* Assets.streamHistory("a1", undefined, { perPage: 1 }).pipe(
        Stream.runCollect,
        Effect.provide(layer)
      )
      assert.deepStrictEqual(Array.from(entries).map((e) => e.id), ["h1", "h2", "h3"])
      assert.deepStrictEqual(sent()[0]!.body, { operation_type: "CUSTOM", operation_description: "checked" })
      assert.deepStrictEqual(sent().slice(1).map((s) => s.path), Array(3).fill("/API/assets/v1/assets/a1/history/"))
    }))

  describe("bulkDelete", () => {
    it.live("permanently purges exactly the deleted ids, after the bulk call succeeded", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) =>
          s.path === "/API/assets/v1/delete_queue/bulk/" ? { status: 202 } : { status: 204 }
        )
        yield* Assets.bulkDelete({ object_ids: ["a1", "a2"], object_type: "assets" }, { permanently: true }).pipe(
          Effect.provide(layer)
        )
        assert.deepStrictEqual(sent(), [
          {
            method: "POST",
            path: "/API/assets/v1/delete_queue/bulk/",
            query: {},
            body: { object_ids: ["a1", "a2"], object_type: "assets" }
          },
          { method: "POST", path: "/API/assets/v1/delete_queue/assets/purge/", query: {}, body: { ids: ["a1", "a2"] } }
        ])
      }))

    it.live("collections deleted with content_only: false are purged from the collections queue", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) => ({ status: s.path.endsWith("/bulk/") ? 202 : 201 }))
        yield* Assets.bulkDelete(
          { object_ids: ["c1"], object_type: "collections", content_only: false },
          { permanently: true }
        ).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => [s.path, s.body]), [
          ["/API/assets/v1/delete_queue/bulk/", { object_ids: ["c1"], object_type: "collections", content_only: false }],
          ["/API/assets/v1/delete_queue/collections/purge/", { ids: ["c1"] }]
        ])
      }))

    it.live("a failed bulk call purges nothing", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 400, body: { errors: { object_ids: "invalid" } } }))
        const error = yield* Assets.bulkDelete({ object_ids: ["a1"], object_type: "assets" }, { permanently: true })
          .pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "IconikBadRequest")
        assert.deepStrictEqual(sent().map((s) => s.path), ["/API/assets/v1/delete_queue/bulk/"])
      }))

    it.live("without permanently nothing is purged; imprecise purges are refused before sending", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 202 }))
        yield* Assets.bulkDelete({ object_ids: ["a1"], object_type: "assets" }).pipe(Effect.provide(layer))
        assert.strictEqual(sent().length, 1)
        const savedSearches = yield* Assets.bulkDelete(
          { object_ids: ["q1"], object_type: "saved_searches" },
          { permanently: true }
        ).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(savedSearches._tag, "IconikInvalidRequest")
        const contentOnly = yield* Assets.bulkDelete({ object_ids: ["c1"], object_type: "collections" }, {
          permanently: true
        }).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(contentOnly._tag, "IconikInvalidRequest")
        assert.strictEqual(sent().length, 1)
      }))

    it.live("purgeDeleted purges the given ids; purgeAllDeleted is the explicit whole-queue call", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 204 }))
        yield* Assets.purgeDeleted(["a9"]).pipe(Effect.provide(layer))
        yield* Assets.purgeAllDeleted().pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.body]), [
          ["POST", "/API/assets/v1/delete_queue/assets/purge/", { ids: ["a9"] }],
          ["POST", "/API/assets/v1/delete_queue/purge/all/", undefined]
        ])
      }))
  })

  it.live("stream follows the page family", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* scripted((s) => {
        const page = Number(s.query.page)
        return { status: 200, body: { objects: [{ id: `a${page}`, title: "t" }], page, pages: 2 } }
      })
      const all = yield* Assets.stream({ sort: "date_created,desc" }, { perPage: 1 }).pipe(
        Stream.runCollect,
        Effect.provide(layer)
      )
      assert.deepStrictEqual(Array.from(all).map((a) => a.id), ["a1", "a2"])
      assert.deepStrictEqual(sent()[0]!.query, { sort: "date_created,desc", per_page: "1", page: "1" })
    }))
})
