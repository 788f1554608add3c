/** The index delay: index-backed lists and search see writes late, direct GETs and per-asset lists at once. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { IconikEmulator } from "../../src/testing/index.ts"
import { ok } from "./support.ts"

const A = "/API/assets/v1"
const F = "/API/files/v1"
const M = "/API/metadata/v1"
const S = "/API/search/v1/search/"

const emulatorLayer = IconikEmulator.layerClient({ rateLimit: false, indexDelay: "5 seconds" }, { rateLimit: false, retry: false })


const ids = (page: { readonly objects?: ReadonlyArray<{ readonly id: string }> }) => (page.objects ?? []).map((o) => o.id)
const titles = (page: { readonly objects?: ReadonlyArray<{ readonly title: string }> }) =>
  (page.objects ?? []).map((o) => o.title)
const searchFor = (query: string) => ok("POST", S, { query, doc_types: ["assets"] })

describe("index delay", () => {
  it.effect("a new asset shows in lists, contents, search and files-by-checksum only after the delay", () =>
    Effect.gen(function*() {
      const collection = yield* ok("POST", `${A}/collections/`, { title: "Dailies" })
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Interview", collection_id: collection.id })
      const format = yield* ok("POST", `${F}/assets/${asset.id}/formats/`, { name: "ORIGINAL" })
      const storage = (yield* IconikEmulator).storage("FILES")!
      const fileSet = yield* ok("POST", `${F}/assets/${asset.id}/file_sets/`, {
        format_id: format.id,
        storage_id: storage.id,
        base_dir: "in",
        name: "fs",
        component_ids: []
      })
      const file = yield* ok("POST", `${F}/assets/${asset.id}/files/`, {
        original_name: "a.mov",
        directory_path: "d",
        type: "FILE",
        size: 5,
        checksum: "c0ffee",
        file_set_id: fileSet.id
      })

      // The database answers at once: direct GETs and an asset's own formats and files.
      assert.strictEqual((yield* ok("GET", `${A}/assets/${asset.id}/`)).title, "Interview")
      assert.deepStrictEqual(ids(yield* ok("GET", `${F}/assets/${asset.id}/formats/`)), [format.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${F}/assets/${asset.id}/files/`)), [file.id])
      // The index does not know yet.
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/assets/`)), [])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/collections/`)), [])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/collections/${collection.id}/contents/`)), [])
      assert.deepStrictEqual(ids(yield* searchFor("Interview")), [])
      assert.deepStrictEqual(ids(yield* ok("GET", `${F}/files/checksum/c0ffee/`)), [])

      yield* TestClock.adjust("4999 millis")
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/assets/`)), [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/assets/`)), [asset.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/collections/`)), [collection.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/collections/${collection.id}/contents/`)), [asset.id])
      assert.deepStrictEqual(ids(yield* searchFor("Interview")), [asset.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${F}/files/checksum/c0ffee/`)), [file.id])
    }).pipe(Effect.provide(emulatorLayer)))

  it.effect("a change shows late: lists and search keep the old version until the delay has passed", () =>
    Effect.gen(function*() {
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Rushes" })
      yield* TestClock.adjust("5 seconds")
      yield* ok("PATCH", `${A}/assets/${asset.id}/`, { title: "Final cut" })

      assert.strictEqual((yield* ok("GET", `${A}/assets/${asset.id}/`)).title, "Final cut")
      assert.deepStrictEqual(titles(yield* ok("GET", `${A}/assets/`)), ["Rushes"])
      assert.deepStrictEqual(ids(yield* searchFor("Rushes")), [asset.id])
      assert.deepStrictEqual(ids(yield* searchFor("Final")), [])
      // Every write counts from when it was made: a second change keeps the first one's schedule.
      yield* TestClock.adjust("2 seconds")
      yield* ok("PATCH", `${A}/assets/${asset.id}/`, { title: "Final cut v2" })
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual(titles(yield* ok("GET", `${A}/assets/`)), ["Final cut"])
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(titles(yield* ok("GET", `${A}/assets/`)), ["Final cut v2"])
      assert.deepStrictEqual(ids(yield* searchFor("Rushes")), [])
    }).pipe(Effect.provide(emulatorLayer)))

  it.effect("deletes and removals from a collection show late too", () =>
    Effect.gen(function*() {
      const collection = yield* ok("POST", `${A}/collections/`, { title: "Dailies" })
      const kept = yield* ok("POST", `${A}/assets/`, { title: "Kept", collection_id: collection.id })
      const gone = yield* ok("POST", `${A}/assets/`, { title: "Gone", collection_id: collection.id })
      yield* TestClock.adjust("5 seconds")
      assert.sameMembers(ids(yield* ok("GET", `${A}/collections/${collection.id}/contents/`)), [kept.id, gone.id])

      yield* ok("DELETE", `${A}/collections/${collection.id}/contents/assets/${kept.id}/`)
      yield* ok("DELETE", `${A}/assets/${gone.id}/`)
      assert.strictEqual((yield* ok("GET", `${A}/assets/${gone.id}/`)).status, "DELETED")
      assert.sameMembers(ids(yield* ok("GET", `${A}/collections/${collection.id}/contents/`)), [kept.id, gone.id])
      assert.sameMembers(ids(yield* ok("GET", `${A}/assets/`)), [kept.id, gone.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/delete_queue/assets/`)), [])

      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/collections/${collection.id}/contents/`)), [])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/assets/`)), [kept.id])
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/delete_queue/assets/`)), [gone.id])
    }).pipe(Effect.provide(emulatorLayer)))

  it.effect("metadata values reach search late", () =>
    Effect.gen(function*() {
      yield* ok("POST", `${M}/fields/`, { name: "Genre", label: "Genre", field_type: "string" })
      const view = yield* ok("POST", `${M}/views/`, { name: "Main", view_fields: [{ name: "Genre" }] })
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Clip" })
      yield* TestClock.adjust("5 seconds")
      const values = { metadata_values: { Genre: { field_values: [{ value: "news" }] } } }
      yield* ok("PUT", `${M}/assets/${asset.id}/views/${view.id}/`, values)
      const byGenre = { doc_types: ["assets"], filter: { operator: "AND", terms: [{ name: "metadata.Genre", value: "news" }] } }
      assert.deepStrictEqual(ids(yield* ok("POST", S, byGenre)), [])
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(ids(yield* ok("POST", S, byGenre)), [asset.id])
    }).pipe(Effect.provide(emulatorLayer)))

  it.effect("index_immediately=true on a write or a read skips the delay", () =>
    Effect.gen(function*() {
      const first = yield* ok("POST", `${A}/assets/?index_immediately=true`, { title: "Now" })
      const second = yield* ok("POST", `${A}/assets/`, { title: "Later" })
      assert.deepStrictEqual(ids(yield* ok("GET", `${A}/assets/`)), [first.id])
      assert.sameMembers(ids(yield* ok("GET", `${A}/assets/?index_immediately=true`)), [first.id, second.id])
    }).pipe(Effect.provide(emulatorLayer)))

  it.effect("without a delay (the default) every write shows at once", () =>
    Effect.gen(function*() {
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Rushes" })
      yield* ok("PATCH", `${A}/assets/${asset.id}/`, { title: "Final" })
      assert.deepStrictEqual(titles(yield* ok("GET", `${A}/assets/`)), ["Final"])
      assert.deepStrictEqual(ids(yield* searchFor("Final")), [asset.id])
    }).pipe(Effect.provide(IconikEmulator.layerClient({ rateLimit: false }, { rateLimit: false, retry: false }))))
})
