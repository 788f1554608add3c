/**
 * The generated schemas on realistic Iconik payloads: the tolerance rules (nulls, unknown keys, new enum values, both
 * date layouts), list pages, request bodies that carry only what the caller set, input variants without read-only
 * properties, and the overlay's corrections.
 */
import { assert, describe, it } from "@effect/vitest"
import { Exit, Schema } from "effect"
import type { Definition } from "../src/Endpoint.ts"
import { assets, files, jobs, metadata, notifications, search } from "../src/generated/index.ts"
import * as IconikSchema from "../src/IconikSchema.ts"

const decode = <T>(schema: Schema.Codec<T>) => Schema.decodeUnknownSync(schema)
const decodeExit = <T>(schema: Schema.Codec<T>) => Schema.decodeUnknownExit(schema)

const liveAsset = {
  id: "2c5bfe1a-f149-11eb-a843-0a580a3db916",
  title: "Interview take 3",
  type: "ASSET",
  status: "SOMETHING_NEW",
  archive_status: "NOT_ARCHIVED",
  analyze_status: null,
  category: null,
  external_id: null,
  created_by_user: "6e1d8bfe-f149-11eb-8d12-0a580a3db916",
  date_created: "2021-07-30T15:16:54.406403+00:00",
  date_modified: "2021-07-30T15:16:54.406403",
  custom_keyframe: null,
  in_collections: [],
  is_online: true,
  versions: [
    {
      id: "2c6a1f3c-f149-11eb-a843-0a580a3db916",
      version_number: 1,
      status: "ACTIVE",
      transcribe_status: null,
      created_by_user: null,
      date_created: "2021-07-30T15:16:54.406403+00:00",
      analyze_status: "N/A"
    }
  ],
  a_field_iconik_added_later: { nested: true },
  default_version_id: "2c6a1f3c-f149-11eb-a843-0a580a3db916"
}

describe("generated models decode live data", () => {
  it("decodes an asset with nulls, unknown keys, a new enum value and both date layouts", () => {
    const asset = decode(assets.Asset)(liveAsset)
    assert.strictEqual(asset.id, liveAsset.id)
    assert.strictEqual(asset.title, "Interview take 3")
    assert.strictEqual(asset.status, "SOMETHING_NEW")
    assert.strictEqual(asset.analyze_status, null)
    assert.strictEqual(asset.date_created, "2021-07-30T15:16:54.406403+00:00")
    assert.strictEqual(asset.date_modified, "2021-07-30T15:16:54.406403")
    assert.strictEqual(asset.versions?.[0]?.transcribe_status, null)
    assert.deepStrictEqual(
      IconikSchema.open(asset).a_field_iconik_added_later,
      { nested: true },
      "unknown keys are kept, not fatal"
    )
  })

  it("still rejects what is really wrong: a malformed date, a wrong type, a missing required field", () => {
    assert.isTrue(Exit.isFailure(decodeExit(assets.Asset)({ ...liveAsset, date_created: "yesterday" })))
    assert.isTrue(Exit.isFailure(decodeExit(assets.Asset)({ ...liveAsset, is_online: "yes" })))
    const { title: _title, ...untitled } = liveAsset
    assert.isTrue(Exit.isFailure(decodeExit(assets.Asset)(untitled)))
  })

  it("requires the id of a main resource in responses (overlay), so `asset.id` is a string", () => {
    const { id: _id, ...withoutId } = liveAsset
    assert.isTrue(Exit.isFailure(decodeExit(assets.Asset)(withoutId)))
    assert.isTrue(Exit.isFailure(decodeExit(assets.Asset)({ ...liveAsset, id: null })))
    const id: string = decode(assets.Asset)(liveAsset).id
    assert.strictEqual(id, liveAsset.id)
  })

  it("accepts a collection whose title is null (overlay)", () => {
    const collection = decode(assets.Collection)({ id: "c1", title: null, status: "ACTIVE", parent_id: null })
    assert.strictEqual(collection.title, null)
    assert.strictEqual(collection.id, "c1")
  })

  it("decodes a job list page with facets and objects in their list (elastic) form", () => {
    const page = decode(jobs.Jobs)({
      objects: [
        {
          id: "j1",
          title: "Transcode",
          type: "TRANSCODE",
          status: "FINISHED",
          progress: 100,
          date_created: "2021-07-30T15:16:54.406403",
          related_objects: [{ object_id: "a1", object_type: "assets" }],
          steps: null
        },
        { id: "j2", title: "Delete jobs", type: "DELETE_JOBS", status: "READY", priority: 5 }
      ],
      page: 1,
      pages: 3,
      per_page: 2,
      total: 5,
      first_url: "/API/jobs/v1/jobs/?page=1&per_page=2",
      next_url: "/API/jobs/v1/jobs/?page=2&per_page=2",
      prev_url: null,
      last_url: "/API/jobs/v1/jobs/?page=3&per_page=2",
      scroll_id: null,
      facets: { status: { buckets: [] } }
    })
    assert.deepStrictEqual(
      page.objects?.map((job) => [job.id, job.type, job.status]),
      [["j1", "TRANSCODE", "FINISHED"], ["j2", "DELETE_JOBS", "READY"]]
    )
    assert.strictEqual(page.pages, 3)
    assert.strictEqual(page.prev_url, null)
  })

  it("decodes a metadata view whose view_fields are absent (overlay) and a field with an unknown field_type", () => {
    const view = decode(metadata.MetadataView)({ id: "v1", name: "Default" })
    assert.strictEqual(view.view_fields, undefined)
    const field = decode(metadata.MetadataField)({ name: "rating", label: "Rating", field_type: "star_rating_v2" })
    assert.strictEqual(field.field_type, "star_rating_v2")
  })
})

describe("search hits (overlay)", () => {
  it("keep `_sort`, `_highlight` and every undeclared field of the index document", () => {
    const hit = {
      id: "h1",
      object_type: "assets",
      title: "Clip",
      date_created: "2021-07-30T15:16:54.406403",
      _sort: [1627658214406, "h1"],
      _highlight: { title: ["<em>Clip</em>"] },
      status: "ACTIVE",
      files: [{ id: "f1" }]
    }
    const decoded = Schema.decodeUnknownSync(search.SearchDocuments)({ objects: [hit] })
    assert.deepStrictEqual(decoded.objects?.[0], hit)
  })
})

describe("generated request bodies", () => {
  it("encode only the fields the caller set: no defaults, no absent keys", () => {
    assert.deepStrictEqual(Schema.encodeSync(assets.AssetCreateInput)({ title: "New asset" }), { title: "New asset" })
    assert.deepStrictEqual(
      Schema.encodeSync(files.FileSetInput)({ name: "ORIGINAL", base_dir: "", component_ids: [], format_id: "f1" }),
      { name: "ORIGINAL", base_dir: "", component_ids: [], format_id: "f1" }
    )
    assert.deepStrictEqual(Schema.encodeSync(assets.AssetInput)({ title: "t", external_id: null }), {
      title: "t",
      external_id: null
    })
  })

  it("input variants leave out read-only properties, which the response model has", () => {
    const input = decode(assets.AssetInput)(liveAsset)
    // Not declared by the input variant, yet kept (like any undeclared key): a decoded asset sent back loses nothing.
    for (const readOnly of ["id", "date_modified", "created_by_user", "versions", "in_collections"]) {
      assert.deepStrictEqual(IconikSchema.open(input)[readOnly], (liveAsset as Record<string, unknown>)[readOnly])
    }
    assert.strictEqual(input.title, liveAsset.title)
    assert.strictEqual(input.date_created, liveAsset.date_created, "writable dates stay")
    // The input variant does not require the id that responses always carry.
    assert.isTrue(Exit.isSuccess(decodeExit(assets.AssetInput)({ title: "no id yet" })))
    // @ts-expect-error: `id` is read-only, so the input type does not have it
    const withId: assets.AssetInput = { title: "t", id: "x" }
    assert.strictEqual(withId.title, "t")
  })

  it("operations send the input variant and answer with the full model", () => {
    assert.strictEqual(assets.updateAsset.definition.body?.schema, assets.AssetInput)
    assert.strictEqual(assets.createAsset.definition.body?.schema, assets.AssetCreateInput)
    assert.deepStrictEqual(
      assets.createAsset.definition.success.map(({ status, schema }) => [status, schema]),
      [[201, assets.Asset]]
    )
  })

  it("PATCH bodies are partial: closing a file sends just its status", () => {
    assert.strictEqual(files.patchAssetFile.definition.body?.schema, files.FilePatch)
    assert.strictEqual(assets.patchAsset.definition.body?.schema, assets.AssetPatch)
    assert.deepStrictEqual(Schema.encodeUnknownSync(files.FilePatch)({ status: "CLOSED" }), { status: "CLOSED" })
    // PUT keeps the spec's required fields.
    assert.isTrue(Exit.isFailure(Schema.encodeUnknownExit(files.FileInput)({ status: "CLOSED" })))
  })
})

describe("generated definitions", () => {
  it("carry method, full path, path parameters, statuses, roles and paging family", () => {
    const getAsset = assets.getAsset.definition
    assert.strictEqual(getAsset.method, "GET")
    assert.strictEqual(getAsset.path, "/API/assets/v1/assets/{asset_id}/")
    assert.deepStrictEqual(getAsset.pathParams, ["asset_id"])
    assert.deepStrictEqual(getAsset.roles, ["can_read_assets"])
    assert.deepStrictEqual(getAsset.errors, [400, 403, 404])
    assert.strictEqual(assets.listAssets.definition.paging, "page")
    assert.strictEqual(assets.listAssets.definition.scroll, true)
    assert.strictEqual(search.search.definition.paging, "search")
    assert.strictEqual(metadata.listFields.definition.paging, "last_field_name")
    assert.strictEqual(files.listAssetFiles.definition.paging, "last_id")
    assert.strictEqual(assets.listPlaylistItems.definition.paging, "page") // `{objects}` alone: walked while full
    assert.strictEqual(assets.getAsset.definition.paging, undefined)
  })

  it("apply the overlay's status corrections", () => {
    const statuses = (definition: Definition) =>
      definition.success.map(({ status, schema }) => [status, schema !== undefined])
    assert.deepStrictEqual(statuses(notifications.getWebhook.definition), [[200, true], [201, true]])
    assert.strictEqual(files.getAssetKeyframe.definition.success[0]?.schema, files.Keyframe)
    // The marked-deleted object on 200 (which may also come empty), nothing on 204.
    assert.deepStrictEqual(files.deleteAssetFormat.definition.success, [
      { status: 200, schema: files.Format, optionalBody: true },
      { status: 204 }
    ])
    assert.deepStrictEqual(files.deleteAssetFileSet.definition.success, [
      { status: 200, schema: files.FileSet, optionalBody: true },
      { status: 204 }
    ])
    assert.deepStrictEqual(statuses(assets.addCollectionContent.definition), [[201, false]])
    assert.deepStrictEqual(statuses(jobs.updateJobsState.definition), [[201, false]])
    const fullPath = assets.getCollectionFullPath.definition.success[0]?.schema
    assert.strictEqual(decode(fullPath as Schema.Codec<string>)("/Projects/2021"), "/Projects/2021")
  })
})
