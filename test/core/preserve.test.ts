/**
 * Data-preserving codecs: keys the spec does not declare survive decode → encode at every nesting level, a decoded
 * object sent back (GET → modify → PUT) keeps them on the server, request bodies carry the extra keys a caller adds on
 * purpose (`IconikSchema.extraFields`), and metadata maps take nulls and numbers.
 *
 * The property test draws values of every generated model with effect's `Arbitrary` (fixed seed), adds marker keys to
 * every struct in them, and checks decode → encode gives back exactly what went in.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Exit, Schema, SchemaAST } from "effect"
import { HttpClient } from "effect/http"
import * as Generated from "../../src/generated/index.ts"
import { assets, files } from "../../src/generated/index.ts"
import * as IconikSchema from "../../src/IconikSchema.ts"
import { IconikEmulator } from "../../src/testing/index.ts"

const seed = 20261205
const runsPerModel = 3

/** Every model (and input, patch, body, query and response struct) the generator emits, by `service.Name`. */
const models = Object.entries(Generated).flatMap(([service, module]) =>
  Object.entries(module as Record<string, unknown>).flatMap(([name, value]) =>
    Schema.isSchema(value) ? [{ name: `${service}.${name}`, schema: value as Schema.Codec<unknown> }] : []
  )
)

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/**
 * The value with a marker key added to every struct in it (objects that declare properties), however deep: inside
 * arrays, union members, record values and suspended (recursive) references. `count` tallies the keys added.
 */
const addMarkers = (ast: SchemaAST.AST, value: unknown, count: { added: number }): unknown => {
  switch (ast._tag) {
    case "Suspend":
      return addMarkers(ast.thunk(), value, count)
    case "Union": {
      const member = ast.types.find((type) => Schema.is(Schema.make(type))(value))
      return member === undefined ? value : addMarkers(member, value, count)
    }
    case "Arrays":
      if (!Array.isArray(value)) return value
      return value.map((item, i) => {
        const type = ast.elements[i] ?? ast.rest[0]
        return type === undefined ? item : addMarkers(type, item, count)
      })
    case "Objects": {
      if (!isPlainObject(value)) return value
      const declared = new Map(ast.propertySignatures.map((p) => [p.name, p.type]))
      const out: Record<string, unknown> = {}
      for (const [key, inner] of Object.entries(value)) {
        const type = declared.get(key) ??
          // A free-form record's values (the rest of an open struct is `unknown`: nothing to mark there).
          (declared.size === 0 ? ast.indexSignatures[0]?.type : undefined)
        out[key] = type === undefined ? inner : addMarkers(type, inner, count)
      }
      if (declared.size > 0) {
        count.added++
        out[`zz_added_later_${count.added}`] = { level: count.added, list: [1, null, "x"], flag: false }
      }
      return out
    }
    default:
      return value
  }
}

/** JSON's view of a value: what goes on the wire (`undefined` keys vanish). */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value) ?? "null")

describe("unknown keys survive decode → encode", () => {
  it.effect(`for every generated model (${models.length}), at every nesting level`, () =>
    Effect.gen(function*() {
      assert.isAbove(models.length, 1000)
      const failures: Array<string> = []
      let marked = 0
      let checked = 0
      for (const { name, schema } of models) {
        const decode = Schema.decodeUnknownExit(schema)
        const encode = Schema.encodeUnknownExit(schema)
        const result = yield* Arbitrary.checkEffect(
          Arbitrary.schema(schema),
          (value) => {
            // Numbers that JSON cannot carry (NaN, ±Infinity) turn into null on the wire: not a value Iconik can send.
            const base = wire(value)
            if (Exit.isFailure(decode(base))) return true
            checked++
            const count = { added: 0 }
            const input = wire(addMarkers(schema.ast, base, count))
            marked += count.added
            const decoded = decode(input)
            if (Exit.isFailure(decoded)) return false
            const encoded = encode(decoded.value)
            if (Exit.isFailure(encoded)) return false
            try {
              assert.deepStrictEqual(wire(decoded.value), input)
              assert.deepStrictEqual(wire(encoded.value), input)
              return true
            } catch {
              return false
            }
          },
          { runs: runsPerModel, seed, size: 4, maxShrinks: 5 }
        )
        if (result._tag !== "Passed") failures.push(`${name}: ${Arbitrary.formatCheckFailure(result) ?? result._tag}`)
      }
      assert.deepStrictEqual(failures.slice(0, 5), [])
      // Not vacuous: most draws are checked, most values hold structs, and many of those nest further structs.
      console.log(`preserve: ${checked} of ${models.length * runsPerModel} draws checked, ${marked} structs marked`)
      assert.isAbove(checked, models.length * runsPerModel * 0.8)
      assert.isAbove(marked, checked)
    }), { timeout: 300_000 })

  it("the markers reach nested structs: in arrays, in records and in recursive references", () => {
    const count = { added: 0 }
    const asset = addMarkers(assets.Asset.ast, {
      id: "a",
      title: "t",
      versions: [{ id: "v1" }, { id: "v2" }],
      created_by_user_info: { id: "u" }
    }, count) as Record<string, any>
    assert.strictEqual(count.added, 4)
    assert.deepStrictEqual(Object.keys(asset.versions[1]).filter((k) => k.startsWith("zz_")).length, 1)
  })

  it("a known key of the wrong type still fails: keeping the rest does not loosen the declared fields", () => {
    const decode = Schema.decodeUnknownExit(assets.Asset)
    assert.isTrue(Exit.isFailure(decode({ id: "a", title: 7, extra: 1 })))
    assert.isTrue(Exit.isFailure(decode({ id: "a", title: "t", versions: [{ id: 7, extra: 1 }] })))
    assert.isTrue(Exit.isSuccess(decode({ id: "a", title: "t", versions: [{ id: "v", extra: 1 }] })))
  })
})

describe("tolerance", () => {
  it("format and component metadata maps take nulls and numbers, and send them back", () => {
    const format = {
      id: "f",
      name: "ORIGINAL",
      metadata: [{ internet_media_type: "video/mp4", bit_rate: 8_000_000, language: null }],
      components: [{ id: "c", name: "video", type: "VIDEO", metadata: { width: 1920, codec: "h264", rotation: null } }]
    }
    const decoded = Schema.decodeUnknownSync(files.Format)(format)
    assert.deepStrictEqual(wire(decoded), format)
    assert.deepStrictEqual(wire(Schema.encodeSync(files.FormatInput)(decoded)), format)
  })

  it("a file's size may be sent as a numeric string, as Iconik's tutorial does; other text is rejected", () => {
    const body: files.FileCreateInput = { original_name: "a.mov", directory_path: "d", type: "FILE", size: "1024" }
    assert.deepStrictEqual(Schema.encodeSync(files.FileCreateInput)(body), body)
    const wrong = { ...body, size: "1 KiB" } as unknown as files.FileCreateInput
    assert.isTrue(Exit.isFailure(Schema.encodeUnknownExit(files.FileCreateInput)(wrong)))
  })
})

/** Request bodies the client put on the wire, in order. */
const sentBodies: Array<{ readonly method: string; readonly url: string; readonly body: unknown }> = []
const recordBodies = (client: HttpClient.HttpClient) =>
  HttpClient.tapRequest(client, (request) =>
    Effect.sync(() => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      sentBodies.push({ method: request.method, url: request.url, body: body === "" ? undefined : JSON.parse(body) })
    }))

const overSocket = IconikEmulator.layerServerClient(
  { rateLimit: false },
  { rateLimit: false, retry: false, transformClient: recordBodies }
)

const lastSent = (method: string, path: string) =>
  [...sentBodies].reverse().find((sent) => sent.method === method && new URL(sent.url).pathname === path)

describe("end to end, against the emulator over a socket", () => {
  it.live("GET → modify → PUT and PATCH of a decoded asset keep a key the SDK does not know", () =>
    Effect.gen(function*() {
      const laterField = { grade: "A", takes: [1, 2], reviewer: { name: "Ana", extra: null } }
      const created = yield* assets.createAsset({
        body: IconikSchema.extraFields({ title: "Interview" }, { x_added_later: laterField })
      })
      assert.deepStrictEqual(IconikSchema.open(created).x_added_later, laterField, "the server stored it")

      const asset = yield* assets.getAsset({ asset_id: created.id })
      assert.deepStrictEqual(IconikSchema.open(asset).x_added_later, laterField, "decoding kept it")
      yield* assets.updateAsset({ asset_id: asset.id, body: { ...asset, title: "Interview, take 2" } })
      const path = `/API/assets/v1/assets/${asset.id}/`
      assert.deepStrictEqual((lastSent("PUT", path)?.body as any)?.x_added_later, laterField, "the PUT sent it back")

      // The server keeps what it is sent: a changed value of the unknown key arrives too.
      const changed = { ...laterField, grade: "B" }
      const again = yield* assets.getAsset({ asset_id: asset.id })
      yield* assets.patchAsset({ asset_id: asset.id, body: IconikSchema.extraFields({ ...again }, { x_added_later: changed }) })
      const after = yield* assets.getAsset({ asset_id: asset.id })
      assert.strictEqual(after.title, "Interview, take 2")
      assert.deepStrictEqual(IconikSchema.open(after).x_added_later, changed)
      assert.deepStrictEqual(IconikSchema.open(after.versions![0]!), IconikSchema.open(asset.versions![0]!))
    }).pipe(Effect.provide(overSocket)))

  it.live("a file created with date_created / date_modified and a string size through the typed API sends them", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const storage = emulator.storage("FILES", "S3")!
      const asset = yield* assets.createAsset({ body: { title: "Dated" } })
      const format = yield* files.createAssetFormat({ asset_id: asset.id, body: { name: "ORIGINAL" } })
      const fileSet = yield* files.createAssetFileSet({
        asset_id: asset.id,
        body: { format_id: format.id, storage_id: storage.id, base_dir: "in", name: "originals", component_ids: [] }
      })
      const dates = { date_created: "2021-07-30T15:16:54+00:00", date_modified: "2021-07-31T09:00:00+00:00" }
      // As the tutorial does: the dates Iconik's spec marks read-only, and the size as a numeric string.
      const file = yield* files.createAssetFile({
        asset_id: asset.id,
        body: IconikSchema.extraFields({
          original_name: "take 1.mov",
          directory_path: "2026/day1",
          type: "FILE",
          size: "1024",
          storage_id: storage.id,
          file_set_id: fileSet.id,
          format_id: format.id
        }, dates)
      })
      const sent = lastSent("POST", `/API/files/v1/assets/${asset.id}/files/`)?.body as Record<string, unknown>
      assert.strictEqual(sent.date_created, dates.date_created)
      assert.strictEqual(sent.date_modified, dates.date_modified)
      assert.strictEqual(sent.original_name, "take 1.mov")
      assert.strictEqual(sent.size, "1024")
      assert.strictEqual(file.size, 1024, "stored as the number")
    }).pipe(Effect.provide(overSocket)))
})
