/**
 * `iconik metadata views` / `metadata fields <view-id>` (finding a view id without the web UI), and the words
 * `metadata import --apply` logs for its writes. In-process runs against the emulator on a 127.0.0.1 socket.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import { overSocket } from "../workflows/support.ts"
import { iconik } from "./support.ts"

const setUp = Effect.gen(function*() {
  yield* Metadata.createField({
    name: "status_choice",
    label: "Review status",
    field_type: "drop_down",
    options: [{ label: "To do", value: "todo" }, { label: "Done", value: "done" }]
  })
  yield* Metadata.createField({ name: "keywords", label: "Keywords", field_type: "tag_cloud", multi: true })
  const review = yield* Metadata.createView({
    name: "Review",
    description: "What editors fill in",
    view_fields: [{ name: "status_choice" }, { name: "keywords" }]
  })
  const empty = yield* Metadata.createView({ name: "Empty", view_fields: [] })
  return { review: review.id, empty: empty.id }
})

layer(overSocket(), { excludeTestServices: true })("iconik metadata views / fields (in-process)", (it) => {
  it.effect("views lists every view with its id; fields shows name, label, type and options", () =>
    Effect.gen(function*() {
      const ids = yield* setUp

      const listed = yield* iconik("metadata", "views")
      assert.strictEqual(listed.code, 0, listed.stderr)
      const lines = listed.stdout.split("\n")
      assert.include(lines, `${ids.review}\tReview\t2 fields\tWhat editors fill in`)
      assert.include(lines, `${ids.empty}\tEmpty\t0 fields`)

      const json = yield* iconik("metadata", "views", "--json")
      assert.strictEqual(json.code, 0, json.stderr)
      const views = JSON.parse(json.stdout) as Array<{ id: string; name: string; fields: number }>
      assert.deepStrictEqual(
        views.map((v) => [v.id, v.name, v.fields]).sort(),
        [[ids.empty, "Empty", 0], [ids.review, "Review", 2]].sort()
      )

      const fields = yield* iconik("metadata", "fields", ids.review)
      assert.strictEqual(fields.code, 0, fields.stderr)
      assert.include(fields.stdout, `View ${ids.review} (Review): 2 fields`)
      assert.include(fields.stdout, "  status_choice\tReview status\tdrop_down\ttodo | done")
      assert.include(fields.stdout, "  keywords\tKeywords\ttag_cloud (multi)")

      const fieldsJson = yield* iconik("metadata", "fields", ids.review, "--json")
      assert.strictEqual(fieldsJson.code, 0, fieldsJson.stderr)
      const doc = JSON.parse(fieldsJson.stdout)
      assert.strictEqual(doc.id, ids.review)
      assert.deepStrictEqual(doc.fields[0], {
        name: "status_choice",
        label: "Review status",
        type: "drop_down",
        multi: false,
        required: false,
        readOnly: false,
        options: [{ label: "To do", value: "todo" }, { label: "Done", value: "done" }]
      })
    }))

  it.effect("fields of a missing view: exit 5 naming the view", () =>
    Effect.gen(function*() {
      const ran = yield* iconik("metadata", "fields", "0b6e4d9c-e000-11ee-8000-00000000dead")
      assert.strictEqual(ran.code, 5, ran.stderr)
      assert.include(ran.stderr, "view 0b6e4d9c-e000-11ee-8000-00000000dead")
    }))

  it.effect("import --apply logs each write as a metadata write, not as an ingest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
      const view = yield* Metadata.createView({ name: "Ratings", view_fields: [{ name: "rating" }] })
      const asset = yield* Assets.create({ title: "Clip" })
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-cli-metadata-" })
      const csv = path.join(dir, "edits.csv")
      yield* fs.writeFileString(csv, `id,object_type,title,rating\r\n${asset.id},assets,Clip,4\r\n`)

      // Progress goes to stderr line by line when stderr is not a terminal (as under the test runner).
      const ran = yield* iconik("metadata", "import", csv, "--view-id", view.id, "--apply")
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.include(ran.stdout, "Wrote 1 objects")
      assert.include(ran.stderr, `wrote metadata of ${asset.id}`)
      assert.notInclude(ran.stderr, "ingested")
    }).pipe(Effect.scoped))
})
