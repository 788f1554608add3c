/**
 * The spec side of the conformance suites: Iconik's OpenAPI documents as an independent validator (Ajv, after
 * converting OpenAPI 3.0's `nullable`), and the success answers each operation declares with the generator's
 * corrections (codegen/overlay.ts) applied.
 */
import AjvModule from "ajv"
import { operationOverlays, statusRules, type DeclaredSuccess } from "../../codegen/overlay.ts"
import type { JsonSchema, ServiceSpec } from "../../codegen/spec.ts"

// ---------------------------------------------------------------------------------------------------------------
// OpenAPI 3.0 → JSON Schema for Ajv

/** `nullable: true` becomes `anyOf [schema, null]`; local `$ref`s point into the service's registered document. */
export const toJsonSchema = (schema: unknown, service: string): unknown => {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(item, service))
  if (schema === null || typeof schema !== "object") return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key === "example" || key === "examples") continue
    if (key === "$ref" && typeof value === "string") out.$ref = `iconik-${service}${value}`
    else if (key === "properties" && value !== null && typeof value === "object") {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, toJsonSchema(property, service)]))
    } else out[key] = toJsonSchema(value, service)
  }
  return (schema as { nullable?: boolean }).nullable === true ? { anyOf: [out, { type: "null" }] } : out
}

const formatsOf = (value: unknown, into: Set<string>): Set<string> => {
  if (Array.isArray(value)) for (const item of value) formatsOf(item, into)
  else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (key === "format" && typeof item === "string") into.add(item)
      else formatsOf(item, into)
    }
  }
  return into
}

export const makeValidator = (specs: ReadonlyArray<ServiceSpec>) => {
  const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new(options: object) => {
    addFormat(name: string, format: RegExp | true): void
    addSchema(schema: object): void
    compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown }
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
  const formats = new Set<string>()
  for (const spec of specs) formatsOf(spec.document.components, formats)
  for (const format of formats) {
    if (format === "uuid") ajv.addFormat(format, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
    // Iconik sends naive timestamps in search hits although the spec says date-time: both layouts are accepted.
    else if (format === "date-time") ajv.addFormat(format, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/)
    else ajv.addFormat(format, true)
  }
  for (const spec of specs) {
    ajv.addSchema({ $id: `iconik-${spec.service}`, components: toJsonSchema(spec.document.components ?? {}, spec.service) })
  }
  const cache = new Map<string, ReturnType<typeof ajv.compile>>()
  return (service: string, key: string, schema: JsonSchema) => {
    let validate = cache.get(key)
    if (validate === undefined) cache.set(key, validate = ajv.compile(toJsonSchema(schema, service) as object))
    return (body: unknown) => (validate!(body) ? undefined : JSON.stringify(validate!.errors).slice(0, 600))
  }
}

/** The spec's declared 2xx answers of an operation, with the generator's corrections applied. */
export const declaredSuccesses = (spec: ServiceSpec, method: string, specPath: string): Map<number, DeclaredSuccess> | undefined => {
  const operation = spec.document.paths[specPath]?.[method.toLowerCase() as "get"]
  if (operation === undefined) return undefined
  const responses = new Map<number, DeclaredSuccess>()
  for (const [code, response] of Object.entries(operation.responses)) {
    const status = Number(code)
    if (!(status >= 200 && status < 300)) continue
    const [contentType, media] = Object.entries(response.content ?? {})[0] ?? []
    responses.set(status, { status, schema: media?.schema, contentType })
  }
  for (const rule of statusRules) rule.apply(method.toLowerCase(), responses)
  for (const overlay of operationOverlays) {
    if (overlay.service !== spec.service || overlay.method !== method.toLowerCase() || overlay.path !== specPath) continue
    for (const patch of overlay.patches) {
      if (patch.kind === "body") responses.set(patch.status, { status: patch.status, schema: patch.schema })
      else if (patch.kind === "noBody") responses.set(patch.status, { status: patch.status })
      else responses.set(patch.status, { ...responses.get(patch.like)!, status: patch.status })
    }
  }
  return responses
}

// ---------------------------------------------------------------------------------------------------------------
// Minimal valid values from the spec's schemas (request bodies for conformance calls)

type Loose = JsonSchema & {
  readonly minItems?: number
  readonly minLength?: number
  readonly minimum?: number
  readonly default?: unknown
}

const minimalString = (schema: Loose, name: string): string => {
  const lower = name.toLowerCase()
  if (schema.format === "uuid" || lower === "id" || lower.endsWith("_id")) return "0f2e4c1a-1dd2-11b2-8000-00000000beef"
  if (schema.format === "date-time") return "2026-01-01T00:00:00.000000+00:00"
  if (schema.format === "date") return "2026-01-01"
  if (schema.format === "email") return "someone@example.invalid"
  if (schema.format === "url" || schema.format === "uri" || lower.includes("url")) return "http://127.0.0.1:1/"
  return "x".repeat(Math.max(schema.minLength ?? 1, 1))
}

/**
 * The smallest value the spec's schema accepts: required (non-read-only) properties only, `minItems` items, the
 * first enum value, numbers at their minimum (at least 1). `$ref`s resolve in the service's components.
 */
export const minimalValue = (
  schema: JsonSchema | undefined,
  components: Readonly<Record<string, JsonSchema>>,
  name = "",
  depth = 0
): unknown => {
  if (schema === undefined || depth > 12) return {}
  if (schema.$ref !== undefined) return minimalValue(components[schema.$ref.split("/").pop()!], components, name, depth + 1)
  if (schema.allOf !== undefined) {
    return Object.assign({}, ...schema.allOf.map((part) => minimalValue(part, components, name, depth + 1)))
  }
  const choice = schema.oneOf?.[0] ?? schema.anyOf?.[0]
  if (choice !== undefined) return minimalValue(choice, components, name, depth + 1)
  if (schema.enum !== undefined && schema.enum.length > 0) return schema.enum[0]
  const loose = schema as Loose
  switch (schema.type) {
    case "array":
      return Array.from({ length: loose.minItems ?? 0 }, () => minimalValue(schema.items, components, name, depth + 1))
    case "string":
      return minimalString(loose, name)
    case "integer":
    case "number":
      return Math.max(loose.minimum ?? 1, 1)
    case "boolean":
      return false
    default: {
      const out: Record<string, unknown> = {}
      for (const required of schema.required ?? []) {
        const property = schema.properties?.[required]
        if (property?.readOnly === true) continue
        out[required] = minimalValue(property, components, required, depth + 1)
      }
      return out
    }
  }
}

/** The schema a property of an object schema has, `$ref`s resolved (undefined when unknown). */
export const propertySchema = (
  schema: JsonSchema | undefined,
  components: Readonly<Record<string, JsonSchema>>,
  property: string
): JsonSchema | undefined => {
  let current = schema
  for (let i = 0; current?.$ref !== undefined && i < 10; i++) current = components[current.$ref.split("/").pop()!]
  let found = current?.properties?.[property]
  for (let i = 0; found?.$ref !== undefined && i < 10; i++) found = components[found.$ref.split("/").pop()!]
  return found
}
