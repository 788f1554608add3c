/**
 * Conformance of every operation: for each of the generated definitions (one per operation in Iconik's OpenAPI
 * documents), a request built from the definition — path parameters from records created first, a minimal valid body
 * from the request schema — must be answered with a status the spec declares, and a 2xx body must validate with Ajv
 * against the spec's own schema. Operations the generic store serves must succeed, say so in `x-emulator-fidelity`,
 * and read back what a write stored. The bulk runs in-process; a sample runs over a socket. Skipped without the specs.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadSpecs, type ServiceSpec, specsDirectory } from "../../codegen/spec.ts"
import type { Definition } from "../../src/Endpoint.ts"
import { allDefinitions } from "../../src/generated/index.ts"
import { synthesize } from "../../src/testing/emulator/Conform.ts"
import { IconikEmulator, routes } from "../../src/testing/index.ts"
import { declaredSuccesses, makeValidator, minimalValue, propertySchema } from "./spec-support.ts"
import { ok, raw } from "./support.ts"

const repoRoot = path.resolve(import.meta.dirname, "..", "..")
const specsPresent = fs.existsSync(specsDirectory(repoRoot))

const fill = { uuid: () => "0f2e4c1a-1dd2-11b2-8000-00000000abcd", now: "2026-01-01T00:00:00.000000+00:00" }

const isItemTemplate = (template: string) => /\{[^}]+\}\/$/.test(template)
const collectionOf = (template: string) => template.replace(/\{[^}]+\}\/$/, "")

type Method = Definition["method"]
const order: Record<Method, number> = { GET: 0, POST: 1, PUT: 2, PATCH: 3, DELETE: 4 }

interface Outcome {
  readonly definition: Definition
  readonly path: string
  readonly status: number
  readonly fidelity: string | undefined
  readonly json: unknown
  readonly text: string
  readonly body: unknown
}

/** Records the operations need, created through the specific routes. */
const fixtures = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  const A = "/API/assets/v1"
  const F = "/API/files/v1"
  const asset = yield* ok("POST", `${A}/assets/`, { title: "Conformance" })
  const other = yield* ok("POST", `${A}/assets/`, { title: "Other" })
  const collection = yield* ok("POST", `${A}/collections/`, { title: "Box" })
  const storage = emulator.storage("FILES", "S3")!
  const fa = `${F}/assets/${asset.id}`
  const format = yield* ok("POST", `${fa}/formats/`, { name: "ORIGINAL" })
  const fileSet = yield* ok("POST", `${fa}/file_sets/`, {
    format_id: format.id,
    storage_id: storage.id,
    base_dir: "in",
    name: "fs",
    component_ids: []
  })
  const file = yield* ok("POST", `${fa}/files/`, { original_name: "a.mov", directory_path: "d", type: "FILE", file_set_id: fileSet.id })
  const proxy = yield* ok("POST", `${fa}/proxies/`, { name: "p.mp4" })
  const keyframe = yield* ok("POST", `${fa}/keyframes/`, { type: "KEYFRAME" })
  const segment = yield* ok("POST", `${A}/assets/${asset.id}/segments/`, { segment_type: "COMMENT", segment_text: "hi" })
  const history = yield* ok("POST", `${A}/assets/${asset.id}/history/`, { operation_type: "CUSTOM" })
  const job = yield* ok("POST", "/API/jobs/v1/jobs/", { title: "Job", type: "CUSTOM", status: "STARTED" })
  yield* ok("POST", "/API/metadata/v1/fields/", { name: "Genre", label: "Genre", field_type: "string" })
  const view = yield* ok("POST", "/API/metadata/v1/views/", { name: "Main", view_fields: [{ name: "Genre" }] })
  const admin = [...emulator.state.users.values()].find((user) => user.admin)!
  const params: Record<string, string> = {
    asset_id: asset.id,
    source_asset_id: other.id,
    related_to_asset_id: other.id,
    collection_id: collection.id,
    version_id: asset.versions[0].id,
    source_version_id: asset.versions[0].id,
    format_id: format.id,
    file_set_id: fileSet.id,
    file_id: file.id,
    proxy_id: proxy.id,
    keyframe_id: keyframe.id,
    segment_id: segment.id,
    history_entity_id: history.id,
    storage_id: storage.id,
    job_id: job.id,
    view_id: view.id,
    field_name: "Genre",
    user_id: admin.id,
    system_domain_id: emulator.state.systemDomainId,
    object_type: "assets",
    object_id: asset.id,
    object_key: asset.id,
    purpose: "FILES",
    method: "S3",
    storage_method: "S3",
    name: "ORIGINAL",
    format_name: "ORIGINAL",
    milliseconds: "1000",
    checksum: "abc",
    segment_type: "COMMENT",
    permission: "read"
  }
  return params
})

/** Body fields that must name existing records for the specific routes to accept them. */
const bodyOverrides = (params: Readonly<Record<string, string>>): Record<string, unknown> => ({
  asset_id: params.asset_id,
  collection_id: params.collection_id,
  format_id: params.format_id,
  file_set_id: params.file_set_id,
  storage_id: params.storage_id,
  version_id: params.version_id,
  view_id: params.view_id,
  object_id: params.asset_id,
  object_type: "assets"
})

type Specs = ReadonlyMap<string, ServiceSpec>

const operationOf = (specs: Specs, definition: Definition) => {
  const spec = specs.get(definition.service)!
  const specPath = definition.path.slice(`/API/${definition.service}`.length)
  return { spec, specPath, operation: spec.document.paths[specPath]?.[definition.method.toLowerCase() as "get"] }
}

/**
 * A minimal valid JSON body from the spec's request schema (required fields only), references pointed at the
 * fixtures where the spec allows the value.
 */
const bodyFor = (specs: Specs, definition: Definition, params: Readonly<Record<string, string>>): unknown => {
  if (definition.body === undefined || definition.body.contentType !== "application/json") return undefined
  const { spec, operation } = operationOf(specs, definition)
  const schema = operation?.requestBody?.content?.["application/json"]?.schema
  const components = spec.document.components?.schemas ?? {}
  const body = minimalValue(schema, components)
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) }
  for (const [key, value] of Object.entries(bodyOverrides(params))) {
    if (!(key in out) || typeof out[key] !== "string") continue
    const allowed = propertySchema(schema, components, key)?.enum
    if (allowed === undefined || allowed.includes(value)) out[key] = value
  }
  return out
}

/** The required query parameters, minimal. */
const queryFor = (definition: Definition): string => {
  if (definition.query === undefined) return ""
  const value = synthesize(definition.query.ast, "", fill) as Record<string, unknown>
  const entries = Object.entries(value ?? {}).filter(([, v]) => v !== undefined && v !== null && typeof v !== "object")
  return entries.length === 0 ? "" : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`
}

const definitionsByKey = new Map(allDefinitions.map((d) => [`${d.method} ${d.path}`, d]))

const specificKeys = new Set(routes.map((route) => `${route.method} ${route.path}`))

/**
 * Fills a template's parameters. The item of an operation the generic store serves is a record created by its
 * collection's POST; other parameters come from the fixtures, else from a record created the same way, else a UUID.
 */
const resolvePath = (
  specs: Specs,
  definition: Definition,
  params: Record<string, string>,
  created: Map<string, string>
): Effect.Effect<string, never, IconikEmulator> =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const segments = definition.path.split("/").filter((s) => s !== "")
    const generic = !specificKeys.has(`${definition.method} ${definition.path}`)
    let out = ""
    let prefix = ""
    for (const [index, segment] of segments.entries()) {
      const match = /^\{([^}]+)\}$/.exec(segment)
      if (match === null) {
        out += `/${segment}`
        prefix += `/${segment}`
        continue
      }
      const name = match[1]!
      const creator = definitionsByKey.get(`POST ${prefix}/`)
      const isItem = index === segments.length - 1 && generic && creator !== undefined &&
        !specificKeys.has(`POST ${prefix}/`)
      let value = isItem ? undefined : params[name]
      if (value === undefined) {
        const key = `${out}/`
        value = created.get(key)
        if (value === undefined && creator !== undefined) {
          const answer = yield* raw("POST", key, { body: bodyFor(specs, creator, params) ?? {} })
          const id = (answer.json as { id?: unknown } | undefined)?.id
          // Answers without an id: the newest record the generic store keeps there.
          const kept = [...(emulator.state.generic.get(key)?.keys() ?? [])].pop()
          if (answer.status < 300) value = typeof id === "string" ? id : kept
        }
        value ??= params[name] ?? "0f2e4c1a-1dd2-11b2-8000-000000000042"
        created.set(key, value)
      }
      out += `/${encodeURIComponent(value)}`
      prefix += `/${segment}`
    }
    return `${out}/`
  })

const call = (specs: Specs, definition: Definition, params: Record<string, string>, created: Map<string, string>) =>
  Effect.gen(function*() {
    const target = yield* resolvePath(specs, definition, params, created)
    const body = bodyFor(specs, definition, params)
    const answer = yield* raw(definition.method, `${target}${queryFor(definition)}`, body === undefined ? undefined : { body })
    return {
      definition,
      path: target,
      status: answer.status,
      fidelity: answer.headers["x-emulator-fidelity"],
      json: answer.json,
      text: answer.text,
      body
    } satisfies Outcome
  })

/** Every definition, reads first and deletes last (deepest paths first), so fixtures live until the end. */
const ordered = [...allDefinitions].sort((a, b) =>
  order[a.method] - order[b.method] || (a.method === "DELETE" ? b.path.length - a.path.length : 0)
)

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

describe.skipIf(!specsPresent)("conformance of all operations with Iconik's OpenAPI documents", () => {
  it.effect("every operation answers a declared status; 2xx bodies validate against the spec; generic writes read back", () =>
    Effect.gen(function*() {
      const specs = loadSpecs(specsDirectory(repoRoot))
      const byService: Specs = new Map(specs.map((spec) => [spec.service, spec]))
      const validate = makeValidator(specs)
      const params = yield* fixtures
      const created = new Map<string, string>()
      const problems: Array<string> = []
      const counts = { specific: 0, generic: 0, specificRefused: 0, validated: 0, readBack: 0 }

      for (const definition of ordered) {
        const outcome = yield* call(byService, definition, params, created)
        const key = `${definition.method} ${definition.path}`
        const spec = byService.get(definition.service)!
        const specPath = definition.path.slice(`/API/${definition.service}`.length)
        const operation = spec.document.paths[specPath]?.[definition.method.toLowerCase() as "get"]
        if (operation === undefined) {
          problems.push(`${key}: not in the spec`)
          continue
        }
        if (outcome.status === 501) problems.push(`${key}: 501`)
        if (outcome.fidelity === "generic") counts.generic++
        else counts.specific++
        const declared = declaredSuccesses(spec, definition.method, specPath)!
        if (outcome.status >= 300 && outcome.status < 400 && outcome.status in operation.responses) continue
        if (outcome.status >= 200 && outcome.status < 300) {
          const success = declared.get(outcome.status)
          if (success === undefined) {
            problems.push(`${key}: answered ${outcome.status}, the spec declares ${[...declared.keys()].join(", ")}`)
            continue
          }
          if (success.schema !== undefined && outcome.text !== "" && (success.contentType ?? "application/json").includes("json")) {
            const error = validate(definition.service, `${key} ${outcome.status}`, success.schema)(outcome.json)
            if (error !== undefined) problems.push(`${key} ${outcome.status}: ${error}`)
            counts.validated++
          }
        } else {
          const declaredError = outcome.status in operation.responses
          if (!declaredError && outcome.status !== 404 && outcome.status !== 400) {
            problems.push(`${key}: answered ${outcome.status}, not declared: ${outcome.text.slice(0, 300)}`)
          }
          if (!(typeof outcome.json === "object" && outcome.json !== null && "errors" in outcome.json)) {
            problems.push(`${key}: error ${outcome.status} without Iconik's error body: ${outcome.text.slice(0, 200)}`)
          }
          if (outcome.fidelity === "generic") problems.push(`${key}: the generic store refused: ${outcome.status} ${outcome.text.slice(0, 300)}`)
          else counts.specificRefused++
          continue
        }

        // A generic write reads back: a create through the item's GET, an item write through its own GET.
        if (outcome.fidelity !== "generic" || definition.method === "GET" || definition.method === "DELETE") continue
        const sent = outcome.body
        if (sent === null || typeof sent !== "object" || Array.isArray(sent)) continue
        let readPath: string | undefined
        if (isItemTemplate(definition.path) && definitionsByKey.has(`GET ${definition.path}`)) readPath = outcome.path
        else {
          const id = (outcome.json as { id?: unknown } | undefined)?.id
          const itemGet = allDefinitions.find((d) =>
            d.method === "GET" && isItemTemplate(d.path) && collectionOf(d.path) === definition.path
          )
          if (definition.method === "POST" && typeof id === "string" && itemGet !== undefined) readPath = `${outcome.path}${id}/`
        }
        if (readPath === undefined) continue
        const read = yield* raw("GET", readPath)
        if (read.status !== 200) {
          problems.push(`${key}: the follow-up GET ${readPath} answered ${read.status}`)
          continue
        }
        const stored = read.json as Record<string, unknown>
        for (const [field, value] of Object.entries(sent as Record<string, unknown>)) {
          if (field in stored && !sameValue(stored[field], value) && field !== "id") {
            problems.push(`${key}: wrote ${field}=${JSON.stringify(value)}, read back ${JSON.stringify(stored[field])}`)
          }
        }
        counts.readBack++
      }

      assert.deepStrictEqual(problems, [])
      assert.strictEqual(counts.specific + counts.generic, allDefinitions.length)
      assert.isAbove(counts.validated, 500)
      assert.isAbove(counts.readBack, 50)
      console.log(`conformance-all: ${JSON.stringify(counts)}`)
    }).pipe(Effect.provide(IconikEmulator.layer({ rateLimit: false, objectStore: { minPartSize: 1 } }))), { timeout: 120_000 })

  it.effect("a sample over a socket: generic and specific answers carry their fidelity; strict answers 501", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const webhook = yield* raw("POST", "/API/notifications/v1/webhooks/", {
        body: { name: "hook", url: "http://127.0.0.1:1/", event_type: "assets", status: "ENABLED" }
      })
      assert.strictEqual(webhook.status, 201)
      assert.strictEqual(webhook.headers["x-emulator-fidelity"], "generic")
      const id = (webhook.json as { id: string }).id
      const read = yield* raw("GET", `/API/notifications/v1/webhooks/${id}/`)
      assert.strictEqual((read.json as { name: string }).name, "hook")
      const replaced = yield* raw("PUT", `/API/notifications/v1/webhooks/${id}/`, {
        body: { url: "http://127.0.0.1:2/", event_type: "collections", status: "DISABLED" }
      })
      assert.strictEqual((replaced.json as { status: string }).status, "DISABLED")
      // PUT replaces: the name it left out is gone.
      assert.isUndefined((replaced.json as { name?: string }).name)
      const group = yield* raw("POST", "/API/users/v1/groups/", { body: { name: "editors", description: "they edit" } })
      const g = `/API/users/v1/groups/${(group.json as { id: string }).id}/`
      const merged = yield* raw("PATCH", g, { body: { name: "writers" } })
      assert.deepInclude(merged.json as object, { name: "writers", description: "they edit" })
      const list = yield* raw("GET", "/API/notifications/v1/webhooks/")
      assert.deepStrictEqual((list.json as { objects: Array<{ id: string }> }).objects.map((o) => o.id), [id])
      assert.strictEqual((yield* raw("DELETE", `/API/notifications/v1/webhooks/${id}/`)).status, 204)
      assert.strictEqual((yield* raw("GET", `/API/notifications/v1/webhooks/${id}/`)).status, 404)
      const bad = yield* raw("POST", "/API/notifications/v1/webhooks/", {
        body: { name: "hook", url: "http://127.0.0.1:1/", event_type: "assets", status: "NOPE" }
      })
      assert.strictEqual(bad.status, 400)
      const specific = yield* raw("GET", "/API/assets/v1/assets/")
      assert.strictEqual(specific.headers["x-emulator-fidelity"], "specific")
      assert.isTrue(emulator.baseUrl.startsWith("http://127.0.0.1:"))
    }).pipe(Effect.provide(IconikEmulator.layerServer({ rateLimit: false }))))

  it.effect("strict: operations without a specific route answer 501", () =>
    Effect.gen(function*() {
      const generic = yield* raw("GET", "/API/notifications/v1/webhooks/")
      assert.strictEqual(generic.status, 501)
      assert.strictEqual((yield* raw("GET", "/API/assets/v1/assets/")).status, 200)
    }).pipe(Effect.provide(IconikEmulator.layer({ rateLimit: false, strict: true }))))
})
