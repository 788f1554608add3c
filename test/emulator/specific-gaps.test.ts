/**
 * Operations Iconik's spec describes that the emulator now answers specifically, over a real socket with raw HTTP:
 * upload fields read back from a GET of an OPEN record (and gone once CLOSED), versions made from another asset or
 * version, files registered on a storage, the delete queues of formats and file sets, components without metadata,
 * enum validation of request bodies, and the empty 201 of adding to a collection.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { IconikEmulator } from "../../src/testing/index.ts"
import { bytes, ok, raw, storage } from "./support.ts"

const A = "/API/assets/v1"
const F = "/API/files/v1"

const server = IconikEmulator.layerServer({ rateLimit: false, objectStore: { minPartSize: 16 } })

const uploadKeys = ["upload_url", "multipart_upload_url", "upload_method", "upload_credentials", "upload_filename"]

const uploadFieldsOf = (record: Record<string, unknown>) =>
  Object.fromEntries(uploadKeys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]))

/** An asset with an ORIGINAL format and a file set on the FILES storage of `method`. */
const fileSetOn = (method: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const asset = yield* ok("POST", `${A}/assets/`, { title: `On ${method}` })
    const format = yield* ok("POST", `${F}/assets/${asset.id}/formats/`, { name: "ORIGINAL" })
    const fileSet = yield* ok("POST", `${F}/assets/${asset.id}/file_sets/`, {
      format_id: format.id,
      storage_id: emulator.storage("FILES", method)!.id,
      base_dir: "in",
      name: "original",
      component_ids: []
    })
    return { asset, format, fileSet }
  })

describe("specific operations, over a socket", () => {
  it.effect("an OPEN proxy's GET answers the create answer's upload fields; a client using them succeeds; CLOSED drops them", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const content = bytes(40)
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Proxy" })
      const p = `${F}/assets/${asset.id}/proxies`
      const created = yield* ok("POST", `${p}/`, { name: "p.mp4", filename: "p.mp4", size: content.length, status: "OPEN" })
      const got = yield* ok("GET", `${p}/${created.id}/`)
      assert.deepStrictEqual(uploadFieldsOf(got), uploadFieldsOf(created))
      assert.isString(got.multipart_upload_url)
      assert.strictEqual(got.storage_method, "S3")

      // The S3 multipart flow, driven only by what the GET answered.
      const started = yield* storage("POST", got.multipart_upload_url)
      assert.strictEqual(started.status, 200)
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!
      const parts = yield* ok("GET", `${p}/${got.id}/multipart_url/part/?upload_id=${uploadId}&parts_num=2&per_page=100`)
      const etags: Array<string> = []
      for (const [index, part] of [content.subarray(0, 20), content.subarray(20)].entries()) {
        const url = parts.objects.find((o: { number: number }) => o.number === index + 1).url
        const put = yield* storage("PUT", url, { body: part })
        assert.strictEqual(put.status, 200)
        etags.push(put.headers["etag"]!)
      }
      const urls = yield* ok("GET", `${p}/${got.id}/multipart_url/?upload_id=${uploadId}&type=complete_url`)
      const xml = `<CompleteMultipartUpload>${
        etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
      }</CompleteMultipartUpload>`
      const completed = yield* storage("POST", urls.complete_url, { body: xml, headers: { "Content-Type": "application/xml" } })
      assert.strictEqual(completed.status, 200)
      assert.notInclude(completed.text, "<Error>")
      yield* ok("PATCH", `${p}/${got.id}/`, { status: "CLOSED" })

      const closed = yield* ok("GET", `${p}/${got.id}/`)
      assert.strictEqual(closed.status, "CLOSED")
      assert.deepStrictEqual(uploadFieldsOf(closed), {})
      assert.deepStrictEqual(yield* emulator.verifyClosedUploads, [])
    }).pipe(Effect.provide(server)))

  it.effect("an OPEN file's GET answers the create answer's upload fields on GCS, Azure and B2", () =>
    Effect.gen(function*() {
      for (const method of ["S3", "GCS", "AZURE", "B2"]) {
        const { asset, fileSet } = yield* fileSetOn(method)
        const created = yield* ok("POST", `${F}/assets/${asset.id}/files/`, {
          original_name: "a.mov",
          directory_path: "d",
          type: "FILE",
          size: 5,
          file_set_id: fileSet.id
        })
        const got = yield* ok("GET", `${F}/assets/${asset.id}/files/${created.id}/`)
        assert.isString(got.upload_url, method)
        assert.deepStrictEqual(uploadFieldsOf(got), uploadFieldsOf(created), method)
        if (method === "B2") {
          assert.isString(got.upload_filename)
          assert.isString(got.upload_credentials.authorizationToken)
        }
        yield* ok("PATCH", `${F}/assets/${asset.id}/files/${created.id}/`, { status: "CLOSED" })
        assert.deepStrictEqual(uploadFieldsOf(yield* ok("GET", `${F}/assets/${asset.id}/files/${created.id}/`)), {}, method)
      }
    }).pipe(Effect.provide(server)))

  it.effect("a version from another asset copies its media into a new current version; from a version too", () =>
    Effect.gen(function*() {
      const { asset: source, fileSet } = yield* fileSetOn("S3")
      yield* ok("POST", `${F}/assets/${source.id}/files/`, {
        original_name: "a.mov",
        directory_path: "d",
        type: "FILE",
        status: "CLOSED",
        file_set_id: fileSet.id
      })
      const target = yield* ok("POST", `${A}/assets/`, { title: "Target" })
      const fromAsset = yield* raw("POST", `${A}/assets/${target.id}/versions/from/assets/${source.id}/`, { body: {} })
      assert.strictEqual(fromAsset.status, 202)
      assert.strictEqual(fromAsset.text, "")
      const after = yield* ok("GET", `${A}/assets/${target.id}/`)
      assert.strictEqual(after.versions.length, 2)
      const current = after.versions[0].id
      const formats = yield* ok("GET", `${F}/assets/${target.id}/versions/${current}/formats/`)
      assert.deepStrictEqual(formats.objects.map((f: { name: string }) => f.name), ["ORIGINAL"])
      const copied = yield* ok("GET", `${F}/assets/${target.id}/versions/${current}/files/`)
      assert.deepStrictEqual(copied.objects.map((f: { original_name: string }) => f.original_name), ["a.mov"])

      const fromVersion = yield* raw("POST", `${A}/assets/${target.id}/versions/from/versions/${current}/`, {
        body: { exclude_format_ids: [formats.objects[0].id] }
      })
      assert.strictEqual(fromVersion.status, 202)
      const third = (yield* ok("GET", `${A}/assets/${target.id}/`)).versions
      assert.strictEqual(third.length, 3)
      assert.strictEqual((yield* ok("GET", `${F}/assets/${target.id}/versions/${third[0].id}/formats/`)).objects.length, 0)

      const missing = yield* raw("POST", `${A}/assets/${target.id}/versions/from/versions/${source.versions[0].id}/`, { body: {} })
      assert.strictEqual(missing.status, 404)
      // A source being transcoded is refused.
      yield* ok("POST", `${F}/assets/${source.id}/versions/${source.versions[0].id}/transcode/`, {})
      const busy = yield* raw("POST", `${A}/assets/${target.id}/versions/from/assets/${source.id}/`, { body: {} })
      assert.strictEqual(busy.status, 409)
    }).pipe(Effect.provide(server)))

  it.effect("files registered on a storage are listed there, filtered by directory", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const s = `${F}/storages/${emulator.storage("FILES", "S3")!.id}/files`
      const first = yield* raw("POST", `${s}/`, { body: { original_name: "a.mov", directory_path: "x", type: "FILE", size: 3 } })
      assert.strictEqual(first.status, 201)
      assert.strictEqual((first.json as { status: string }).status, "CLOSED")
      yield* ok("POST", `${s}/`, { original_name: "b.mov", directory_path: "y", type: "FILE" })
      const all = yield* ok("GET", `${s}/`)
      assert.deepStrictEqual(all.objects.map((f: { original_name: string }) => f.original_name).sort(), ["a.mov", "b.mov"])
      const inX = yield* ok("GET", `${s}/?directory_path=x`)
      assert.deepStrictEqual(inX.objects.map((f: { id: string }) => f.id), [(first.json as { id: string }).id])
      const bad = yield* raw("POST", `${s}/`, { body: { original_name: "c.mov", type: "FILE" } })
      assert.strictEqual(bad.status, 400)
      assert.deepStrictEqual(Object.keys((bad.json as { errors: object }).errors), ["directory_path"])
    }).pipe(Effect.provide(server)))

  it.effect("deleted formats and file sets wait in their delete queues: restored, purged", () =>
    Effect.gen(function*() {
      const { asset, format, fileSet } = yield* fileSetOn("S3")
      const fa = `${F}/assets/${asset.id}`
      yield* ok("DELETE", `${fa}/file_sets/${fileSet.id}/`)
      yield* ok("DELETE", `${fa}/formats/${format.id}/`)
      const formats = yield* ok("GET", `${F}/delete_queue/formats/`)
      assert.deepStrictEqual(formats.objects.map((f: { id: string }) => f.id), [format.id])
      const fileSets = yield* ok("GET", `${F}/delete_queue/file_sets/`)
      assert.deepStrictEqual(fileSets.objects.map((f: { id: string }) => f.id), [fileSet.id])

      const restored = yield* raw("DELETE", `${F}/delete_queue/formats/`, { body: { ids: [format.id] } })
      assert.strictEqual(restored.status, 204)
      assert.strictEqual((yield* ok("GET", `${fa}/formats/${format.id}/`)).status, "ACTIVE")
      assert.strictEqual((yield* ok("GET", `${F}/delete_queue/formats/`)).objects.length, 0)
      // Not queued (any more): a 400 that names it, and nothing changes.
      const notQueued = yield* raw("POST", `${F}/delete_queue/formats/purge/`, { body: { ids: [format.id] } })
      assert.strictEqual(notQueued.status, 400)
      assert.strictEqual((yield* raw("GET", `${fa}/formats/${format.id}/`)).status, 200)

      const purged = yield* raw("POST", `${F}/delete_queue/file_sets/purge/`, { body: { ids: [fileSet.id] } })
      assert.strictEqual(purged.status, 204)
      assert.strictEqual((yield* raw("GET", `${fa}/file_sets/${fileSet.id}/`)).status, 404)
      yield* ok("DELETE", `${fa}/formats/${format.id}/`)
      assert.strictEqual((yield* raw("POST", `${F}/delete_queue/formats/purge/all/`)).status, 204)
      assert.strictEqual((yield* raw("GET", `${fa}/formats/${format.id}/`)).status, 404)
    }).pipe(Effect.provide(server)))

  it.effect("a component created without metadata answers metadata: {}", () =>
    Effect.gen(function*() {
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Components" })
      const format = yield* ok("POST", `${F}/assets/${asset.id}/formats/`, {
        name: "ORIGINAL",
        components: [{ name: "video", type: "VIDEO" }]
      })
      assert.deepStrictEqual(format.components[0].metadata, {})
      const component = yield* ok("POST", `${F}/assets/${asset.id}/formats/${format.id}/components/`, { name: "a", type: "AUDIO" })
      assert.deepStrictEqual(component.metadata, {})
    }).pipe(Effect.provide(server)))

  it.effect("a body with a value outside its enum is a 400 naming the field", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const answer = yield* raw("POST", "/API/jobs/v1/jobs/", { body: { title: "t", type: "CUSTOM", status: "NOT_A_STATUS" } })
      assert.strictEqual(answer.status, 400)
      const errors = (answer.json as { errors: Record<string, string> }).errors
      assert.deepStrictEqual(Object.keys(errors), ["status"])
      assert.match(errors.status!, /^Must be one of: READY, /)
      assert.strictEqual(emulator.state.jobs.size, 0)
      const nested = yield* raw("POST", "/API/jobs/v1/jobs/", {
        body: { title: "t", type: "CUSTOM", status: "READY", related_objects: [{ object_id: "x", object_type: 7 }] }
      })
      assert.strictEqual(nested.status, 400)
      assert.deepStrictEqual(Object.keys((nested.json as { errors: object }).errors), ["related_objects.0.object_type"])
    }).pipe(Effect.provide(server)))

  it.effect("adding to a collection answers 201 with no body", () =>
    Effect.gen(function*() {
      const asset = yield* ok("POST", `${A}/assets/`, { title: "Member" })
      const collection = yield* ok("POST", `${A}/collections/`, { title: "Box" })
      const added = yield* raw("POST", `${A}/collections/${collection.id}/contents/`, {
        body: { object_id: asset.id, object_type: "assets" }
      })
      assert.strictEqual(added.status, 201)
      assert.strictEqual(added.text, "")
      assert.deepStrictEqual((yield* ok("GET", `${A}/assets/${asset.id}/`)).in_collections, [collection.id])
    }).pipe(Effect.provide(server)))
})
