/**
 * Conformance: drives every route the emulator implements at least once, then checks each 2xx answer twice, with
 * two independent validators: the spec's own response schema (Iconik's OpenAPI documents, read from
 * `../shared/iconik-openapi` at test time, validated by Ajv after converting OpenAPI 3.0's `nullable`), and the SDK's
 * generated schema. The spec corrections the generator applies (codegen/overlay.ts) apply here too. Skipped when the
 * specs are not present.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { loadSpecs, specsDirectory } from "../../codegen/spec.ts"
import { allDefinitions } from "../../src/generated/index.ts"
import { IconikEmulator, routes } from "../../src/testing/index.ts"
import { declaredSuccesses, makeValidator } from "./spec-support.ts"
import { skipTitle } from "../support/skip.ts"
import { ok, storage } from "./support.ts"

const repoRoot = path.resolve(import.meta.dirname, "..", "..")
const specsPresent = fs.existsSync(specsDirectory(repoRoot))

// ---------------------------------------------------------------------------------------------------------------
// A scenario that calls every implemented route with a successful request


const A = "/API/assets/v1"
const F = "/API/files/v1"
const J = "/API/jobs/v1"
const M = "/API/metadata/v1"

const scenario = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  // Assets, versions, segments, history
  const asset = yield* ok("POST", `${A}/assets/`, { title: "Conformance", external_id: "c-1" })
  const a = `${A}/assets/${asset.id}`
  yield* ok("GET", `${A}/assets/`)
  yield* ok("GET", `${a}/`)
  yield* ok("PUT", `${a}/`, { title: "Conformance 2" })
  yield* ok("PATCH", `${a}/`, { title: "Conformance 3" })
  const v1 = asset.versions[0].id
  const versions = yield* ok("POST", `${a}/versions/`, {})
  const v2 = versions.versions[0].id
  yield* ok("PUT", `${a}/versions/${v2}/`, { status: "ACTIVE" })
  yield* ok("PATCH", `${a}/versions/${v2}/`, { transcribe_status: "N/A" })
  yield* ok("PUT", `${a}/versions/${v1}/promote/`)
  yield* ok("DELETE", `${a}/versions/${v2}/`)
  yield* ok("POST", `${a}/versions/`, {})
  yield* ok("DELETE", `${a}/versions/old/`)
  const current = (yield* ok("GET", `${a}/`)).versions[0].id

  const segment = yield* ok("POST", `${a}/segments/`, { segment_type: "COMMENT", segment_text: "hi", time_start_milliseconds: 0 })
  yield* ok("GET", `${a}/segments/`)
  yield* ok("GET", `${a}/segments/COMMENT/`)
  yield* ok("GET", `${a}/segments/${segment.id}/`)
  yield* ok("PUT", `${a}/segments/${segment.id}/`, { segment_type: "COMMENT", segment_text: "hello" })
  yield* ok("PATCH", `${a}/segments/${segment.id}/`, { segment_type: "COMMENT", segment_checked: true })
  yield* ok("POST", `${a}/segments/bulk/`, { objects: [{ segment_type: "MARKER" }, { segment_type: "MARKER" }] })
  yield* ok("PUT", `${a}/segments/bulk/`, { objects: [{ id: segment.id, segment_type: "COMMENT", segment_text: "bulk" }] })
  yield* ok("DELETE", `${a}/segments/bulk/`, { segment_type: "MARKER" })

  const history = yield* ok("POST", `${a}/history/`, { operation_type: "CUSTOM", operation_description: "checked" })
  yield* ok("GET", `${a}/history/`)
  yield* ok("GET", `${a}/history/${history.id}/`)
  yield* ok("DELETE", `${a}/history/${history.id}/`)

  // Collections
  const root = yield* ok("POST", `${A}/collections/`, { title: "Root" })
  const child = yield* ok("POST", `${A}/collections/`, { title: "Child", parent_id: root.id })
  const c = `${A}/collections/${child.id}`
  yield* ok("GET", `${A}/collections/`)
  yield* ok("GET", `${c}/`)
  yield* ok("PUT", `${c}/`, { title: "Child 2", parent_id: root.id })
  yield* ok("PATCH", `${c}/`, { external_id: "child" })
  yield* ok("POST", `${A}/collections/${root.id}/subcollections/`, { object_id: child.id, object_type: "collections" })
  yield* ok("POST", `${c}/contents/`, { object_id: asset.id, object_type: "assets" })
  yield* ok("GET", `${c}/contents/`)
  yield* ok("GET", `${A}/collections/${root.id}/contents/`)
  yield* ok("GET", `${c}/full/path/`)
  yield* ok("GET", `${c}/content/info/`)
  yield* ok("GET", `${c}/ancestors/`)

  // Storages
  yield* ok("GET", `${F}/storages/`)
  const exports = yield* ok("POST", `${F}/storages/`, { name: "Exports", method: "S3", purpose: "EXPORTS", settings: { bucket: "exports" } })
  yield* ok("GET", `${F}/storages/${exports.id}/`)
  yield* ok("PUT", `${F}/storages/${exports.id}/`, { name: "Exports 2", method: "S3", purpose: "EXPORTS", settings: { bucket: "exports" } })
  yield* ok("PATCH", `${F}/storages/${exports.id}/`, { name: "Exports 3", method: "S3", purpose: "EXPORTS", settings: { bucket: "exports" } })
  const spareStorage = yield* ok("POST", `${F}/storages/`, { name: "Spare", method: "S3", purpose: "EXPORTS", settings: { bucket: "spare" } })
  yield* ok("DELETE", `${F}/storages/${spareStorage.id}/`)
  const filesStorage = yield* ok("GET", `${F}/storages/matching/FILES/`)
  yield* ok("GET", `${F}/storages/matching/FILES/method/GCS/`)
  yield* ok("GET", `${F}/storages/PROXIES/default/`)

  // Formats, file sets, files
  const fa = `${F}/assets/${asset.id}`
  const format = yield* ok("POST", `${fa}/formats/`, { name: "ORIGINAL", components: [{ name: "video", type: "VIDEO" }] })
  yield* ok("GET", `${fa}/formats/`)
  yield* ok("GET", `${fa}/formats/${format.id}/`)
  yield* ok("GET", `${fa}/formats/ORIGINAL/`)
  yield* ok("PUT", `${fa}/formats/${format.id}/`, { name: "ORIGINAL" })
  yield* ok("PATCH", `${fa}/formats/${format.id}/`, { name: "ORIGINAL", is_online: true })
  yield* ok("GET", `${fa}/formats/${format.id}/components/`)
  const component = yield* ok("POST", `${fa}/formats/${format.id}/components/`, { name: "audio", type: "AUDIO" })
  const fc = `${fa}/formats/${format.id}/components/${component.id}`
  yield* ok("GET", `${fc}/`)
  yield* ok("PUT", `${fc}/`, { name: "audio 2", type: "AUDIO" })
  yield* ok("DELETE", `${fc}/`)
  const fileSet = yield* ok("POST", `${fa}/file_sets/`, {
    format_id: format.id,
    storage_id: filesStorage.id,
    base_dir: "in",
    name: "fs",
    component_ids: []
  })
  yield* ok("GET", `${fa}/file_sets/`)
  yield* ok("GET", `${fa}/file_sets/${fileSet.id}/`)
  yield* ok("PUT", `${fa}/file_sets/${fileSet.id}/`, { format_id: format.id, base_dir: "in", name: "fs2", component_ids: [] })
  yield* ok("PATCH", `${fa}/file_sets/${fileSet.id}/`, { format_id: format.id, base_dir: "in", name: "fs3", component_ids: [] })
  yield* ok("GET", `${fa}/formats/${format.id}/file_sets/`)
  yield* ok("GET", `${fa}/formats/${format.id}/storages/${filesStorage.id}/file_sets/`)
  const fileBody = { original_name: "a.mov", directory_path: "d", type: "FILE", size: 5, checksum: "abc", file_set_id: fileSet.id }
  const file = yield* ok("POST", `${fa}/files/`, fileBody)
  const f = `${fa}/files/${file.id}`
  yield* storage("PUT", file.upload_url, { body: "hello" })
  yield* ok("GET", `${fa}/files/`)
  yield* ok("GET", `${f}/`)
  yield* ok("PUT", `${f}/`, { ...fileBody, status: "OPEN" })
  yield* ok("PATCH", `${f}/`, { ...fileBody, status: "CLOSED" })
  yield* ok("GET", `${fa}/files/?generate_signed_url=true`)
  yield* ok("GET", `${fa}/file_sets/${fileSet.id}/files/`)
  yield* ok("GET", `${F}/file_sets/${fileSet.id}/files/`)
  yield* ok("GET", `${F}/files/checksum/abc/`)
  yield* ok("GET", `${f}/download_url/`)
  const started = yield* storage("POST", file.multipart_upload_url)
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!
  yield* ok("GET", `${f}/multipart_url/part/?upload_id=${uploadId}&parts_num=3&per_page=2`)
  yield* ok("GET", `${f}/multipart_url/?upload_id=${uploadId}&type=complete_url`)
  yield* ok("POST", `${f}/multipart_url/s3/part/`, { upload_id: uploadId, parts: [{ part_number: 1 }] })
  yield* ok("POST", `${f}/multipart/cleanup/`, { upload_id: uploadId, abort_upload: true })
  yield* ok("POST", `${f}/keyframes/`, {})
  yield* ok("POST", `${f}/mediainfo/`, {})
  yield* ok("POST", `${f}/capture/1000/`, {})

  const b2 = emulator.storage("FILES", "B2")!
  const b2Set = yield* ok("POST", `${fa}/file_sets/`, { format_id: format.id, storage_id: b2.id, base_dir: "b2", name: "b2", component_ids: [] })
  const b2File = yield* ok("POST", `${fa}/files/`, { ...fileBody, file_set_id: b2Set.id })
  const b2f = `${fa}/files/${b2File.id}`
  const large = yield* ok("POST", `${b2f}/multipart/b2/start/`, {})
  const sums: Array<string> = []
  for (const [index, text] of ["part one", "part two"].entries()) {
    const part = new TextEncoder().encode(text)
    sums.push(createHash("sha1").update(part).digest("hex"))
    yield* storage("POST", large.upload_url, {
      body: part,
      headers: { Authorization: large.authorization_token, "X-Bz-Part-Number": String(index + 1), "X-Bz-Content-Sha1": sums[index]! }
    })
  }
  yield* ok("POST", `${b2f}/multipart/b2/finish/`, { upload_file_id: large.upload_file_id, sha1_list: sums })
  const cancelled = yield* ok("POST", `${b2f}/multipart/b2/start/`, {})
  yield* ok("POST", `${b2f}/multipart/b2/cancel/`, { upload_file_id: cancelled.upload_file_id })

  // Proxies and keyframes
  const proxyBody = { name: "p.mp4", filename: "p.mp4", format: "MPEG-4", size: 5, resolution: { width: 1280, height: 720 } }
  const proxy = yield* ok("POST", `${fa}/proxies/`, proxyBody)
  yield* ok("POST", `${fa}/method/S3/proxies/`, proxyBody)
  const p = `${fa}/proxies/${proxy.id}`
  yield* storage("PUT", proxy.upload_url, { body: "hello" })
  yield* ok("GET", `${fa}/proxies/`)
  yield* ok("GET", `${p}/`)
  yield* ok("PUT", `${p}/`, { ...proxyBody, status: "OPEN" })
  yield* ok("PATCH", `${p}/`, { status: "CLOSED" })
  yield* ok("GET", `${fa}/proxies/`)
  yield* ok("GET", `${p}/download_url/`)
  const proxyUpload = yield* storage("POST", proxy.multipart_upload_url)
  const proxyUploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(proxyUpload.text)![1]!
  yield* ok("GET", `${p}/multipart_url/part/?upload_id=${proxyUploadId}&parts_num=2`)
  yield* ok("GET", `${p}/multipart_url/?upload_id=${proxyUploadId}&type=complete_url`)
  yield* ok("POST", `${p}/multipart/cleanup/`, { upload_id: proxyUploadId, abort_upload: true })
  yield* ok("POST", `${p}/keyframes/`, {})
  yield* ok("POST", `${p}/public/`)
  yield* ok("DELETE", `${p}/public/`)

  const keyframe = yield* ok("POST", `${fa}/keyframes/`, { type: "KEYFRAME", resolution: { width: 320, height: 180 } })
  yield* ok("POST", `${fa}/method/S3/keyframes/`, { type: "POSTER" })
  const k = `${fa}/keyframes/${keyframe.id}`
  yield* ok("GET", `${fa}/keyframes/`)
  yield* ok("GET", `${k}/`)
  yield* ok("PUT", `${k}/`, { type: "KEYFRAME", status: "OPEN" })
  yield* ok("PATCH", `${k}/`, { type: "KEYFRAME", status: "CLOSED" })
  yield* ok("POST", `${k}/public/`)
  yield* ok("DELETE", `${k}/public/`)

  const fv = `${fa}/versions/${current}`
  for (const list of ["formats", "file_sets", "files", "proxies", "keyframes"]) yield* ok("GET", `${fv}/${list}/`)
  yield* ok("POST", `${fv}/transcode/`, {})

  // Jobs (the triggers above created some)
  const job = yield* ok("POST", `${J}/jobs/`, { title: "Custom", type: "CUSTOM", status: "STARTED", progress_processed: 1, progress_total: 2 })
  const other = yield* ok("POST", `${J}/jobs/`, { title: "Other", type: "CUSTOM", status: "READY" })
  const jj = `${J}/jobs/${job.id}`
  yield* ok("GET", `${J}/jobs/`)
  yield* ok("GET", `${jj}/`)
  yield* ok("PUT", `${jj}/`, { title: "Custom", type: "CUSTOM", status: "STARTED" })
  yield* ok("PATCH", `${jj}/`, { title: "Custom", type: "CUSTOM", status: "STARTED", message: "half way" })
  const stepId = "0f2e4c1a-1dd2-11b2-8000-000000000001"
  yield* ok("PUT", `${jj}/steps/`, { steps: [{ id: stepId, label: "Copy", status: "IN_PROGRESS" }] })
  yield* ok("PATCH", `${jj}/steps/`, { steps: [{ id: stepId, label: "Copy", status: "DONE" }] })
  yield* ok("PUT", `${jj}/steps/${stepId}/`, { label: "Copy", status: "DONE" })
  yield* ok("PATCH", `${jj}/steps/${stepId}/`, { label: "Copy", status: "DONE", message: "ok" })
  yield* ok("PUT", `${J}/jobs/state/`, { job_ids: [job.id], action: "PAUSE" })
  yield* ok("PUT", `${J}/jobs/priority/`, { job_ids: [job.id], priority: 3 })
  yield* ok("DELETE", `${jj}/`)
  yield* ok("DELETE", `${J}/jobs/`, { job_ids: [other.id] })

  // Metadata
  yield* ok("POST", `${M}/fields/`, { name: "Genre", label: "Genre", field_type: "string" })
  yield* ok("POST", `${M}/fields/`, { name: "Scratch", label: "Scratch", field_type: "integer" })
  yield* ok("GET", `${M}/fields/`)
  yield* ok("GET", `${M}/fields/Genre/`)
  yield* ok("PUT", `${M}/fields/Genre/`, { label: "Genre", field_type: "string", multi: true })
  yield* ok("PATCH", `${M}/fields/Genre/`, { label: "Genre!", field_type: "string" })
  const view = yield* ok("POST", `${M}/views/`, { name: "Main", view_fields: [{ name: "Genre" }, { name: "__separator__" }] })
  const scratchView = yield* ok("POST", `${M}/views/`, { name: "Scratch", view_fields: [{ name: "Scratch" }] })
  yield* ok("GET", `${M}/views/`)
  yield* ok("GET", `${M}/views/${view.id}/`)
  yield* ok("PUT", `${M}/views/${view.id}/`, { name: "Main", view_fields: [{ name: "Genre", required: true }] })
  yield* ok("PATCH", `${M}/views/${view.id}/`, { name: "Main!", view_fields: [{ name: "Genre" }] })
  const values = { metadata_values: { Genre: { field_values: [{ value: "news" }] } } }
  yield* ok("PUT", `${M}/assets/${asset.id}/views/${view.id}/`, values)
  yield* ok("GET", `${M}/assets/${asset.id}/views/${view.id}/`)
  yield* ok("PUT", `${M}/assets/${asset.id}/segments/${segment.id}/views/${view.id}/`, values)
  yield* ok("GET", `${M}/assets/${asset.id}/segments/${segment.id}/views/${view.id}/`)
  yield* ok("GET", `${M}/assets/${asset.id}/versions/${current}/views/${view.id}/`)
  yield* ok("PUT", `${M}/assets/${asset.id}/`, values)
  yield* ok("GET", `${M}/assets/${asset.id}/`)
  yield* ok("DELETE", `${M}/views/${scratchView.id}/`)
  yield* ok("DELETE", `${M}/fields/Scratch/`)

  // Versions from another asset or version; files registered on a storage
  const donor = yield* ok("POST", `${A}/assets/`, { title: "Donor" })
  yield* ok("POST", `${a}/versions/from/assets/${donor.id}/`, {})
  yield* ok("POST", `${a}/versions/from/versions/${current}/`, {})
  yield* ok("POST", `${F}/storages/${filesStorage.id}/files/`, { original_name: "on.mov", directory_path: "s", type: "FILE" })
  yield* ok("GET", `${F}/storages/${filesStorage.id}/files/`)

  // Who is calling
  yield* ok("GET", "/API/users/v1/users/current/")
  yield* ok("GET", "/API/users/v1/users/current/roles/")
  yield* ok("GET", "/API/auth/v1/auth/token/")

  // Search
  yield* ok("POST", "/API/search/v1/search/", { query: "conformance", facets: ["status"] })
  yield* ok("POST", "/API/search/v1/search/", { doc_types: ["assets", "collections", "segments"] })

  // Deletions, the delete queue, restores
  yield* ok("DELETE", `${f}/`)
  yield* ok("DELETE", `${p}/`)
  yield* ok("DELETE", `${k}/`)
  yield* ok("DELETE", `${fa}/file_sets/${fileSet.id}/`)
  yield* ok("DELETE", `${fa}/formats/${format.id}/`)
  // The delete queues of file sets and formats
  yield* ok("GET", `${F}/delete_queue/file_sets/`)
  yield* ok("GET", `${F}/delete_queue/formats/`)
  yield* ok("DELETE", `${F}/delete_queue/file_sets/`, { ids: [fileSet.id] })
  yield* ok("DELETE", `${F}/delete_queue/formats/`, { ids: [format.id] })
  yield* ok("DELETE", `${fa}/file_sets/${fileSet.id}/`)
  yield* ok("POST", `${F}/delete_queue/file_sets/purge/`, { ids: [fileSet.id] })
  yield* ok("POST", `${F}/delete_queue/file_sets/purge/all/`)
  const spareFormat = yield* ok("POST", `${fa}/formats/`, { name: "SPARE" })
  yield* ok("DELETE", `${fa}/formats/${spareFormat.id}/`)
  yield* ok("POST", `${F}/delete_queue/formats/purge/`, { ids: [spareFormat.id] })
  yield* ok("POST", `${F}/delete_queue/formats/purge/all/`)
  yield* ok("DELETE", `${fa}/formats/${format.id}/?immediately=true`)
  yield* ok("DELETE", `${a}/segments/${segment.id}/`)
  yield* ok("DELETE", `${c}/contents/assets/${asset.id}/`)

  yield* ok("DELETE", `${a}/`)
  yield* ok("GET", `${A}/delete_queue/assets/`)
  yield* ok("DELETE", `${A}/delete_queue/assets/`, { ids: [asset.id] })
  yield* ok("POST", `${A}/delete_queue/assets/`, { ids: [asset.id] })
  yield* ok("POST", `${A}/delete_queue/assets/restore/all/`)
  yield* ok("POST", `${A}/delete_queue/bulk/`, { object_ids: [asset.id], object_type: "assets" })
  yield* ok("PUT", `${a}/restore/`)
  const spare = yield* ok("POST", `${A}/assets/`, { title: "Spare" })
  yield* ok("POST", `${A}/delete_queue/assets/`, { ids: [spare.id] })
  yield* ok("POST", `${A}/delete_queue/assets/purge/`, { ids: [spare.id] })
  yield* ok("POST", `${A}/delete_queue/assets/purge/all/`)

  yield* ok("DELETE", `${c}/`)
  yield* ok("GET", `${A}/delete_queue/collections/`)
  yield* ok("DELETE", `${A}/delete_queue/collections/`, { ids: [child.id] })
  yield* ok("POST", `${A}/delete_queue/collections/`, { ids: [child.id] })
  yield* ok("POST", `${A}/delete_queue/collections/restore/all/`)
  yield* ok("POST", `${A}/delete_queue/collections/`, { ids: [child.id] })
  yield* ok("PUT", `${c}/restore/`)
  yield* ok("POST", `${A}/delete_queue/collections/`, { ids: [child.id] })
  yield* ok("POST", `${A}/delete_queue/collections/purge/`, { ids: [child.id] })
  yield* ok("POST", `${A}/delete_queue/collections/purge/all/`)
  yield* ok("POST", `${A}/delete_queue/purge/all/`)
  yield* ok("DELETE", `${A}/collections/${root.id}/purge/`)
  yield* ok("DELETE", `${a}/purge/`)
})

const specsAbsent = specsPresent ? undefined : "the Iconik specs (../shared/iconik-openapi) are absent"
describe.skipIf(!specsPresent)(skipTitle("conformance with Iconik's OpenAPI documents", specsAbsent), () => {
  it.effect("every implemented route answers what the spec (and the SDK's schema) describes", () =>
    Effect.gen(function*() {
      yield* scenario
      const emulator = yield* IconikEmulator
      const requests = yield* emulator.requests
      const specs = loadSpecs(specsDirectory(repoRoot))
      const byService = new Map(specs.map((spec) => [spec.service, spec]))
      const validator = makeValidator(specs)
      const definitions = new Map(allDefinitions.map((d) => [`${d.method} ${d.path}`, d]))

      const covered = new Set<string>()
      const problems: Array<string> = []
      let checkedBySpec = 0
      for (const request of requests) {
        if (request.template === undefined || request.status < 200 || request.status >= 300) continue
        const key = `${request.method} ${request.template}`
        covered.add(key)
        const service = /^\/API\/([a-z0-9-]+)\//.exec(request.template)![1]!
        const spec = byService.get(service)!
        const specPath = request.template.slice(`/API/${service}`.length)
        const declared = declaredSuccesses(spec, request.method, specPath)
        if (declared === undefined) {
          problems.push(`${key}: not in the spec`)
          continue
        }
        const success = declared.get(request.status)
        if (success === undefined) {
          problems.push(`${key}: answered ${request.status}, the spec declares ${[...declared.keys()].join(", ")}`)
          continue
        }
        const text = request.responseBody ?? ""
        if (success.schema === undefined || text === "") continue
        const body = JSON.parse(text)
        const specError = validator(service, `${key} ${request.status}`, success.schema)(body)
        if (specError !== undefined) problems.push(`${key} ${request.status} (spec): ${specError}`)
        checkedBySpec++
        const sdkSchema = definitions.get(key)?.success.find((s) => s.status === request.status)?.schema
        if (sdkSchema !== undefined) {
          const decoded = Schema.decodeUnknownExit(sdkSchema as Schema.Codec<unknown, unknown>)(body)
          if (Exit.isFailure(decoded)) problems.push(`${key} ${request.status} (SDK): ${String(decoded.cause)}`.slice(0, 600))
        }
      }
      assert.deepStrictEqual(problems, [])
      const uncovered = routes.map((route) => `${route.method} ${route.path}`).filter((key) => !covered.has(key))
      assert.deepStrictEqual(uncovered, [])
      assert.isAbove(checkedBySpec, 100)
    }).pipe(Effect.provide(IconikEmulator.layer({
      rateLimit: false,
      recordResponses: true,
      // The emulator's own schema check is off: the SDK's schemas are checked here, independently.
      validateResponses: false,
      objectStore: { minPartSize: 1 }
    }))))
})
