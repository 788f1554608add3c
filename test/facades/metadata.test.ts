import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Metadata from "../../src/Metadata.ts"
import { scripted } from "./support.ts"

const values = {
  object_id: "a1",
  object_type: "assets",
  metadata_values: { rating: { field_values: [{ value: "5" }] } }
}
const noValues = { errors: ["Metadata values for this object and view doesn't exist"] }

describe("Metadata", () => {
  describe("values by view", () => {
    it.live("reads an asset's values in a view", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 200, body: values }))
        const got = yield* Metadata.getForAsset("a1", "v1").pipe(Effect.provide(layer))
        assert.deepStrictEqual(got, values)
        assert.deepStrictEqual(sent()[0]!.path, "/API/metadata/v1/assets/a1/views/v1/")
      }))

    it.live("emptyOnNotFound turns the 'no values in this view' 404 into empty values", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(() => ({ status: 404, body: noValues }))
        const empty = yield* Metadata.getForCollection("c1", "v1", { emptyOnNotFound: true }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(empty, { object_type: "collections", object_id: "c1", metadata_values: {} })
      }))

    it.live("without emptyOnNotFound the same 404 is a typed IconikNotFound", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(() => ({ status: 404, body: noValues }))
        const error = yield* Metadata.getForSegment("s1", "v1").pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "IconikNotFound")
      }))

    it.live("a 404 naming something else stays IconikNotFound even with emptyOnNotFound", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(() => ({ status: 404, body: { errors: ["View does not exist"] } }))
        const error = yield* Metadata.get("assets", "a1", "missing-view", { emptyOnNotFound: true }).pipe(
          Effect.flip,
          Effect.provide(layer)
        )
        assert.strictEqual(error._tag, "IconikNotFound")
        if (error._tag === "IconikNotFound") assert.deepStrictEqual(error.errors, ["View does not exist"])
      }))

    it.live("other failures are untouched by emptyOnNotFound", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted(() => ({ status: 403, body: { errors: ["Permission denied"] } }))
        const error = yield* Metadata.getForAsset("a1", "v1", { emptyOnNotFound: true }).pipe(
          Effect.flip,
          Effect.provide(layer)
        )
        assert.strictEqual(error._tag, "IconikForbidden")
      }))

    it.live("writes: per view, per segment of an asset, and direct", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 200, body: values }))
        const body = { metadata_values: { rating: { field_values: [{ value: "5" }] } } }
        yield* Metadata.putForAsset("a1", "v1", body).pipe(Effect.provide(layer))
        yield* Metadata.putForSegment("a1", "s1", "v1", body).pipe(Effect.provide(layer))
        yield* Metadata.putDirect("collections", "c1", body).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.body]), [
          ["PUT", "/API/metadata/v1/assets/a1/views/v1/", body],
          ["PUT", "/API/metadata/v1/assets/a1/segments/s1/views/v1/", body],
          ["PUT", "/API/metadata/v1/collections/c1/", body]
        ])
      }))
  })

  describe("views and fields", () => {
    it.live("replaceView is PUT, updateView is PATCH", () =>
      Effect.gen(function*() {
        const view = { id: "v1", name: "Basic", view_fields: [] }
        const { layer, sent } = yield* scripted(() => ({ status: 200, body: view }))
        const body = { name: "Basic", view_fields: [{ name: "rating" }] }
        yield* Metadata.replaceView("v1", body).pipe(Effect.provide(layer))
        yield* Metadata.updateView("v1", body).pipe(Effect.provide(layer))
        yield* Metadata.getView("v1", { merge_fields: true }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => `${s.method} ${s.path} ${JSON.stringify(s.query)}`), [
          "PUT /API/metadata/v1/views/v1/ {}",
          "PATCH /API/metadata/v1/views/v1/ {}",
          "GET /API/metadata/v1/views/v1/ {\"merge_fields\":\"true\"}"
        ])
      }))

    it.live("streamFields follows the last_field_name cursor until a short page", () =>
      Effect.gen(function*() {
        const field = (name: string) => ({ name, label: name, field_type: "string" })
        const { layer, sent } = yield* scripted((s) => ({
          status: 200,
          body: { objects: s.query.last_field_name === undefined ? [field("a"), field("b")] : [field("c")] }
        }))
        const names = yield* Metadata.streamFields({ filter: "a,b,c" }, { perPage: 2 }).pipe(
          Stream.map((f) => f.name),
          Stream.runCollect,
          Effect.provide(layer)
        )
        assert.deepStrictEqual(Array.from(names), ["a", "b", "c"])
        assert.deepStrictEqual(sent().map((s) => s.query), [
          { filter: "a,b,c", per_page: "2" },
          { filter: "a,b,c", per_page: "2", last_field_name: "b" }
        ])
      }))
  })
})
