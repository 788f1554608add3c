/**
 * Model names and shapes for one service: component `XSchema` → model `X` (merging the spec's duplicate `X` /
 * `XSchema` pairs), which models need an input variant for request bodies, and the rendering of a JSON schema into a
 * TypeScript type and an effect Schema expression built from src/IconikSchema.ts and effect's `Schema`.
 */
import { arrayLiteral, type Doc, objectLiteral, pure, pureCall, typeApplication, typeLiteral, union } from "./format.ts"
import { isValidIdentifier, moduleIdentifiers, propertyKey } from "./naming.ts"
import type { ModelPatch } from "./overlay.ts"
import { type JsonSchema, refName } from "./spec.ts"

/**
 * Responses use the full model; request bodies the input variant, without read-only properties; PATCH bodies the
 * patch variant, the input variant with every property optional (a PATCH sends only what changes).
 */
export type Mode = "output" | "input" | "patch"

/** The mode of what a model's properties refer to: a patch is partial at its top level only. */
const childMode = (mode: Mode): Mode => (mode === "patch" ? "input" : mode)

export interface Rendered {
  readonly type: Doc
  readonly schema: Doc
}

const strippedName = (component: string): string =>
  component.endsWith("Schema") && component !== "Schema" ? component.slice(0, -"Schema".length) : component

const canonical = (value: unknown, rename: (component: string) => string): string =>
  JSON.stringify(value, (key, inner: unknown) => {
    if (key === "$ref" && typeof inner === "string") return rename(refName(inner))
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) {
      return Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    }
    return inner
  })

/**
 * Model name of every component. `XSchema` → `X`. When the spec also has a bare `X`: if both describe the same shape
 * (references compared by the names they end up with) they become one model `X`; otherwise `XSchema` keeps `X` and the
 * bare one becomes `XAlt`.
 */
export const modelNames = (components: Readonly<Record<string, JsonSchema>>): ReadonlyMap<string, string> => {
  const pairs = Object.keys(components)
    .filter((name) => name !== strippedName(name) && components[strippedName(name)] !== undefined)
    .map(strippedName)
  const merged = new Set(pairs)
  const nameOf = (component: string): string => {
    const stripped = strippedName(component)
    if (!pairs.includes(stripped) || merged.has(stripped) || component !== stripped) return stripped
    return `${stripped}Alt`
  }
  let changed = true
  while (changed) {
    changed = false
    for (const pair of [...merged]) {
      if (canonical(components[`${pair}Schema`], nameOf) !== canonical(components[pair], nameOf)) {
        merged.delete(pair)
        changed = true
      }
    }
  }
  const names = new Map<string, string>()
  const taken = new Map<string, string>()
  for (const component of Object.keys(components).sort()) {
    // A name the module itself uses (`Endpoint`, `Schema`) or a reserved word: keep the component's own name.
    const derived = nameOf(component)
    const name = isValidIdentifier(derived) && !moduleIdentifiers.has(derived) ? derived : component
    if (!isValidIdentifier(name) || moduleIdentifiers.has(name)) {
      throw new Error(`component ${component}: model name ${name} is not usable; add a rule in codegen/models.ts`)
    }
    const other = taken.get(name)
    const isMergedPair = other !== undefined && merged.has(name)
    if (other !== undefined && !isMergedPair) {
      throw new Error(`components ${other} and ${component} both map to ${name}`)
    }
    taken.set(name, component)
    names.set(component, name)
  }
  return names
}

/** The single `$ref` behind `allOf: [{$ref}]` (with its siblings such as `nullable`), or the schema itself. */
export const unwrap = (schema: JsonSchema): JsonSchema => {
  if (schema.allOf === undefined) return schema
  if (schema.allOf.length !== 1) throw new Error(`allOf with ${schema.allOf.length} members is not supported`)
  const { allOf, ...siblings } = schema
  return { ...allOf[0], ...siblings }
}

/** Component references reachable from a schema in a mode (input mode skips read-only properties). */
export const directReferences = (schema: JsonSchema, mode: Mode, into: Set<string> = new Set()): Set<string> => {
  const node = unwrap(schema)
  if (node.$ref !== undefined) {
    into.add(refName(node.$ref))
    return into
  }
  for (const property of Object.values(node.properties ?? {})) {
    if (mode !== "output" && unwrap(property).readOnly === true) continue
    directReferences(property, childMode(mode), into)
  }
  if (node.items !== undefined) directReferences(node.items, mode, into)
  if (typeof node.additionalProperties === "object") directReferences(node.additionalProperties, mode, into)
  for (const member of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) directReferences(member, mode, into)
  return into
}

const shortDescription = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined
  const cleaned = text
    .replace(/<br\s*\/?>/g, "\n")
    .replace(/\*\//g, "*\\/")
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim()
  return cleaned.length === 0 || cleaned.length > 400 ? undefined : cleaned
}

export interface RenderContext {
  /** Model name of a component. */
  readonly modelOf: (component: string) => string
  /** The name a reference renders to in a mode (the input variant where there is one). */
  readonly referenceName: (component: string, mode: Mode) => string
  /** Whether a reference from `from` to `to` must be suspended (`to` is defined later, e.g. in a cycle). */
  readonly mustSuspend: (from: string | undefined, to: string) => boolean
  /** Overlay patch for a property of a model (each kind says which modes it applies to: codegen/overlay.ts). */
  readonly patchOf: (model: string, property: string) => ModelPatch | undefined
  /** Whether a model's type names its undeclared keys too (responses only; every struct keeps them at run time). */
  readonly isOpen: (model: string) => boolean
  /**
   * The module-level name of a string enum, one per distinct literal set: `hint` (the property it types) and `owner`
   * (the model or const it is rendered in) name it the first time the set is seen.
   */
  readonly enumName: (literals: ReadonlyArray<string>, hint: string | undefined, owner: string | undefined) => string
}

const unknown: Rendered = { type: "unknown", schema: "Schema.Unknown" }

const isFreeFormObject = (node: JsonSchema): boolean =>
  node.type === "object" && Object.keys(node.properties ?? {}).length === 0

/** Whether a schema is an object with declared properties (a model gets an interface). */
export const hasProperties = (schema: JsonSchema): boolean => Object.keys(unwrap(schema).properties ?? {}).length > 0

/**
 * Renders a schema as a TypeScript type and a Schema expression. `from` names the const being defined (for
 * suspension of forward references); `model` names the model whose properties are rendered (for overlay patches).
 */
export const render = (
  context: RenderContext,
  schema: JsonSchema,
  mode: Mode,
  from: string | undefined,
  model?: string,
  hint?: string
): Rendered => {
  const node = unwrap(schema)
  const base = renderBase(context, node, mode, from, model, hint)
  return node.nullable === true
    ? { type: union([base.type, "null"]), schema: pureCall("Schema.NullOr", [base.schema]) }
    : base
}

const renderBase = (
  context: RenderContext,
  node: JsonSchema,
  mode: Mode,
  from: string | undefined,
  model: string | undefined,
  hint: string | undefined
): Rendered => {
  if (node.$ref !== undefined) {
    const name = context.referenceName(refName(node.$ref), mode)
    return context.mustSuspend(from, name)
      ? { type: name, schema: `${pure}Schema.suspend((): Schema.Codec<${name}> => ${name})` }
      : { type: name, schema: name }
  }
  const members = node.oneOf ?? node.anyOf
  if (members !== undefined) {
    const rendered = members.map((member) => render(context, member, mode, from))
    return {
      type: union(rendered.map((member) => member.type)),
      schema: pureCall("Schema.Union", [arrayLiteral(rendered.map((member) => member.schema))])
    }
  }
  if (node.properties !== undefined && Object.keys(node.properties).length > 0) {
    return renderStruct(context, node, mode, from, model)
  }
  switch (node.type) {
    case "string": {
      const literals = (node.enum ?? []).filter((value): value is string => typeof value === "string")
      if (literals.length > 0) {
        const name = context.enumName(literals, hint, model ?? from)
        return { type: name, schema: name }
      }
      if (node.format === "date-time") return { type: "string", schema: "IconikSchema.DateTimeString" }
      if (node.format === "binary") return { type: "Uint8Array", schema: "Schema.Uint8Array" }
      return { type: "string", schema: "Schema.String" }
    }
    case "integer":
    case "number":
      return { type: "number", schema: "Schema.Number" }
    case "boolean":
      return { type: "boolean", schema: "Schema.Boolean" }
    case "array": {
      const item = node.items === undefined ? unknown : render(context, node.items, mode, from, undefined, hint)
      return { type: typeApplication("ReadonlyArray", [item.type]), schema: pureCall("Schema.Array", [item.schema]) }
    }
    case "object": {
      const value =
        typeof node.additionalProperties === "object" ? render(context, node.additionalProperties, mode, from) : unknown
      if (!isFreeFormObject(node)) throw new Error("unreachable: object with properties")
      return {
        type: typeLiteral([{ key: "readonly [key: string]", value: value.type }]),
        schema: pureCall("Schema.Record", ["Schema.String", value.schema])
      }
    }
    default:
      return unknown
  }
}

export interface StructParts {
  readonly members: ReadonlyArray<{ readonly key: string; readonly value: Doc; readonly doc?: string | undefined }>
  readonly fields: ReadonlyArray<{ readonly key: string; readonly value: Doc }>
}

/** The properties of an object schema as type members and struct fields, applying the optional/readOnly rules. */
export const structParts = (
  context: RenderContext,
  node: JsonSchema,
  mode: Mode,
  from: string | undefined,
  model: string | undefined
): StructParts => {
  const required = new Set(node.required ?? [])
  const members: Array<{ key: string; value: Doc; doc?: string | undefined }> = []
  const fields: Array<{ key: string; value: Doc }> = []
  for (const property of Object.keys(node.properties ?? {}).sort()) {
    const propertySchema = unwrap(node.properties![property]!)
    if (mode !== "output" && propertySchema.readOnly === true) continue
    const patch = model === undefined ? undefined : patchIn(mode, context.patchOf(model, property))
    const isRequired = mode === "patch"
      ? false
      : patch?.kind === "present"
        ? true
        : patch?.kind === "nullable"
          ? false
          : required.has(property) && !(mode === "output" && propertySchema.writeOnly === true)
    const nullable = patch?.kind === "present" ? false : propertySchema.nullable === true
    const base = patch?.kind === "numericString"
      ? { type: union(["number", "IconikSchema.NumericString"]), schema: "IconikSchema.NumberOrNumericString" }
      : render(
        context,
        { ...(patch?.kind === "anyValues" ? anyValues(propertySchema) : propertySchema), nullable: false },
        childMode(mode),
        from,
        undefined,
        property
      )
    const key = propertyKey(property)
    const doc = shortDescription(propertySchema.description)
    if (isRequired) {
      members.push({ key: `readonly ${key}`, value: nullable ? union([base.type, "null"]) : base.type, doc })
      fields.push({ key, value: nullable ? pureCall("Schema.NullOr", [base.schema]) : base.schema })
    } else {
      members.push({ key: `readonly ${key}?`, value: union([base.type, "null", "undefined"]), doc })
      fields.push({ key, value: pureCall("IconikSchema.optional", [base.schema]) })
    }
  }
  return { members, fields }
}

/** Whether a patch applies to a shape: response-only kinds to the full model, `numericString` to request bodies. */
const patchIn = (mode: Mode, patch: ModelPatch | undefined): ModelPatch | undefined => {
  switch (patch?.kind) {
    case undefined:
      return undefined
    case "anyValues":
      return patch
    case "numericString":
      return mode === "output" ? undefined : patch
    default:
      return mode === "output" ? patch : undefined
  }
}

/** A string-valued map, or a list of them, with values of any JSON type (`anyValues`). */
export const anyValues = (schema: JsonSchema): JsonSchema => {
  const node = unwrap(schema)
  if (node.type === "array" && node.items !== undefined) return { ...node, items: anyValues(node.items) }
  if (node.type === "object" && typeof node.additionalProperties === "object" && !hasProperties(node)) {
    return { ...node, additionalProperties: {} }
  }
  throw new Error("anyValues applies to a map with typed values, or a list of them")
}

/** Whether a property is a number (`numericString`). */
export const isNumber = (schema: JsonSchema): boolean => ["integer", "number"].includes(unwrap(schema).type ?? "")

const renderStruct = (
  context: RenderContext,
  node: JsonSchema,
  mode: Mode,
  from: string | undefined,
  model: string | undefined
): Rendered => {
  const { members, fields } = structParts(context, node, mode, from, model)
  return { type: typeLiteral(members), schema: pureCall("IconikSchema.Struct", [objectLiteral(fields)]) }
}
