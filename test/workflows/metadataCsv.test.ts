import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path, Stream } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Csv from "../../workflows/Csv.ts"
import { exportMetadata, exportMetadataCsv, importMetadata, planMetadataImport } from "../../workflows/metadataCsv.ts"
import { searchAll } from "../../workflows/searchAll.ts"
import { IconikEmulator, modes } from "./support.ts"

const setUp = Effect.gen(function*() {
  yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
  yield* Metadata.createField({ name: "tags", label: "Tags", field_type: "tag_cloud", multi: true })
  yield* Metadata.createField({ name: "approved", label: "Approved", field_type: "boolean" })
  const view = yield* Metadata.createView({
    name: "Review",
    view_fields: [{ name: "rating" }, { name: "tags" }, { name: "approved" }]
  })
  const a = yield* Assets.create({ title: "Alpha, the first" })
  const b = yield* Assets.create({ title: "Beta \"quoted\"" })
  yield* Metadata.putForAsset(a.id, view.id, {
    metadata_values: {
      rating: { field_values: [{ value: 3 }] },
      tags: { field_values: [{ value: "red" }, { value: "blue" }] }
    }
  })
  return { viewId: view.id, a: a.id, b: b.id }
})

describe("metadata CSV", () => {
  it("parses and formats RFC 4180 CSV", () => {
    const text = Csv.format([["id", "title"], ["1", "a, \"b\"\nc"], ["2", " padded "]])
    assert.strictEqual(text, "id,title\r\n1,\"a, \"\"b\"\"\nc\"\r\n2,\" padded \"\r\n")
    assert.deepStrictEqual(Csv.parse(`\uFEFF${text}`), [["id", "title"], ["1", "a, \"b\"\nc"], ["2", " padded "]])
    assert.instanceOf(Csv.parse("a,\"b"), Csv.CsvParseError)
  })
})

describe.each(modes)("metadata CSV and searchAll ($name)", ({ layer }) => {
  it.live("exports search hits with their view values, and imports edits with a dry-run diff first", () =>
    Effect.gen(function*() {
      const { a, b, viewId } = yield* setUp
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const out = path.join(dir, "review.csv")
      const exported = yield* exportMetadata({ viewId, path: out, criteria: { doc_types: ["assets"], sort: [{ name: "title", order: "asc" }] } })
      assert.strictEqual(exported.rows, 2)
      const parsed = Csv.parseRecords(yield* fs.readFileString(out))
      if (parsed instanceof Csv.CsvParseError) return assert.fail(parsed.message)
      assert.deepStrictEqual(parsed.header, ["id", "object_type", "title", "rating", "tags", "approved"])
      const byId = new Map(parsed.records.map((r) => [r.id, r]))
      assert.deepStrictEqual(byId.get(a), { id: a, object_type: "assets", title: "Alpha, the first", rating: "3", tags: "red|blue", approved: "" })
      assert.strictEqual(byId.get(b)?.title, "Beta \"quoted\"")
      assert.strictEqual(byId.get(b)?.rating, "")

      // Edit: a's rating 3 → 5, b gets tags and approved; a's tags stay the same.
      const edited = Csv.format([
        ["id", "object_type", "title", "rating", "tags", "approved"],
        [a, "assets", "Alpha, the first", "5", "red|blue", ""],
        [b, "assets", "ignored title", "", "green", "yes"]
      ])
      const plan = yield* planMetadataImport({ viewId, csv: edited })
      assert.deepStrictEqual(
        plan.changes.map((c) => [c.objectId, c.field, c.before, c.after]),
        [[a, "rating", ["3"], ["5"]], [b, "tags", [], ["green"]], [b, "approved", [], ["true"]]]
      )
      // The plan wrote nothing.
      const still = yield* Metadata.getForAsset(a, viewId)
      assert.deepStrictEqual(still.metadata_values.rating?.field_values, [{ value: 3 }])

      const dry = yield* importMetadata({ viewId, csv: edited, dryRun: true })
      assert.strictEqual(dry.written, 0)
      const applied = yield* importMetadata({ viewId, csv: edited })
      assert.strictEqual(applied.written, 2)
      assert.deepStrictEqual(applied.failed, [])
      const after = yield* Metadata.getForAsset(a, viewId)
      assert.deepStrictEqual(after.metadata_values.rating?.field_values, [{ value: 5 }])
      const bAfter = yield* Metadata.getForAsset(b, viewId)
      assert.deepStrictEqual(bAfter.metadata_values.approved?.field_values, [{ value: true }])
      // Importing the same CSV again changes nothing.
      const again = yield* planMetadataImport({ viewId, csv: edited })
      assert.deepStrictEqual(again.changes, [])
      assert.strictEqual(again.unchanged, 2)
    }).pipe(Effect.scoped, Effect.provide(layer())))

  it.live("refuses a CSV with a bad cell or an unknown column before writing anything", () =>
    Effect.gen(function*() {
      const { a, viewId } = yield* setUp
      const emulator = yield* IconikEmulator
      const bad = Csv.format([["id", "rating"], [a, "five"]])
      const exit = yield* Effect.exit(importMetadata({ viewId, csv: bad }))
      assert.isTrue(Exit.isFailure(exit))
      const unknown = Csv.format([["id", "colour"], [a, "red"]])
      const exit2 = yield* Effect.exit(importMetadata({ viewId, csv: unknown }))
      assert.isTrue(Exit.isFailure(exit2))
      const writes = (yield* emulator.requests).filter((r) => r.method === "PUT" && r.path.includes("/views/"))
      assert.strictEqual(writes.length, 1) // the set-up's own write
    }).pipe(Effect.provide(layer())))

  it.live("searchAll streams every hit across pages", () =>
    Effect.gen(function*() {
      yield* Effect.forEach(Array.from({ length: 230 }, (_, i) => i), (i) => Assets.create({ title: `clip ${i}` }), {
        concurrency: 8,
        discard: true
      })
      const hits = yield* Stream.runCollect(searchAll({ doc_types: ["assets"] }, { perPage: 100 }))
      assert.strictEqual(hits.length, 230)
      assert.strictEqual(new Set(hits.map((h) => h.id)).size, 230)
      const csvLines = yield* Stream.runCollect(exportMetadataCsv({ viewId: (yield* setUp).viewId }))
      assert.strictEqual(csvLines.length, 1 + 232)
    }).pipe(Effect.provide(layer())))
})
