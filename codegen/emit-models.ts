/**
 * Emits the models of a service module: each named schema (an interface or type alias and its const) and each
 * enum, every const named by an `identifier` annotation and marked pure (docs/decisions/0019-generated-code-shape.md).
 */
import {
  arrayLiteral,
  type Doc,
  objectLiteral,
  pure,
  pureCall,
  render as print,
  tsdoc,
  typeApplication,
  typeLiteral,
  union
} from "./format.ts"
import { hasProperties, type Mode, render, type RenderContext, structParts, unwrap } from "./models.ts"
import { isValidIdentifier, pascalCase } from "./naming.ts"
import type { JsonSchema } from "./spec.ts"

/** A model of the module: its full (`output`) shape, or its input or patch variant. */
export interface ModelUnit {
  readonly model: string
  readonly mode: Mode
}

/** One model's interface (or type alias) and const, with its doc: the spec's description and what the variant is. */
export const emitModel = (
  context: RenderContext,
  unit: string,
  { model, mode }: ModelUnit,
  { schema, component }: { readonly schema: JsonSchema; readonly component: string }
): string => {
  const description = unwrap(schema).description
  const docLines = [description === undefined ? undefined : description.replace(/\*\//g, "*\\/").trim()]
  if (mode === "input") docLines.push(`{@link ${model}} as sent in request bodies: without its read-only properties.`)
  else if (mode === "patch") {
    docLines.push(`{@link ${model}} as sent in PATCH bodies: only the properties that change, none read-only.`)
  }
  else if (component !== model) docLines.push(`Iconik's \`${component}\`.`)
  return emitNamedSchema(context, unit, schema, mode, unit, model, docLines)
}

/**
 * Names the module's enums, one per distinct literal set: after the first model (or const) and property it types
 * (`AssetStatus`, `GetAssetQuerySort`), with a numeric suffix when that is taken. `taken` holds the module's names
 * and receives the enums'; `enums` lists them in the order they were first seen.
 */
export const enumNamer = (service: string, taken: Set<string>) => {
  const enums = new Map<string, { readonly name: string; readonly literals: ReadonlyArray<string> }>()
  const enumName = (literals: ReadonlyArray<string>, hint: string | undefined, owner: string | undefined): string => {
    const key = JSON.stringify(literals)
    const known = enums.get(key)
    if (known !== undefined) return known.name
    const base = pascalCase(hint ?? "enum")
    const named = owner === undefined || base.startsWith(owner) ? base : `${owner}${base}`
    const candidates = [named, ...Array.from({ length: 98 }, (_, index) => `${named}${index + 2}`)]
    const name = candidates.find((candidate) => isValidIdentifier(candidate) && !taken.has(candidate))
    if (name === undefined) throw new Error(`${service}: no free name for the enum ${key}`)
    taken.add(name)
    enums.set(key, { name, literals })
    return name
  }
  return { enumName, enums: () => [...enums.values()] }
}

/**
 * `export const Name: Schema.Codec<Name> = …` named by an `identifier` annotation (decode errors and docs then say
 * `Asset`, not the whole struct), marked pure so a bundler drops it when unused.
 */
export const emitConst = (name: string, schema: Doc): string => {
  const head = `export const ${name}: Schema.Codec<${name}> = `
  const annotation = `.annotate({ identifier: ${JSON.stringify(name)} })`
  const printed = print(schema, 0, head.length, annotation.length)
  return head + (printed.startsWith(pure) ? "" : pure) + printed + annotation + "\n"
}

/** An exported interface (or type alias, for non-object schemas) and the const annotated with it. */
export const emitNamedSchema = (
  context: RenderContext,
  name: string,
  schema: JsonSchema,
  mode: Mode,
  from: string | undefined,
  model: string | undefined,
  docLines: ReadonlyArray<string | undefined>
): string => {
  const doc = tsdoc(docLines.filter((line): line is string => line !== undefined && line !== "").join("\n\n"), 0)
  const node = unwrap(schema)
  if (hasProperties(node) && node.$ref === undefined) {
    const parts = structParts(context, node, mode, from, model)
    const { fields } = parts
    const open = mode === "output" && model !== undefined && context.isOpen(model)
    const struct = pureCall("IconikSchema.Struct", [objectLiteral(fields)])
    const members = open
      ? [...parts.members, { key: "readonly [key: string]", value: "unknown", doc: "Any other field Iconik sends, kept." }]
      : parts.members
    return doc + `export interface ${name} ${print(typeLiteral(members, true), 0, 0)}\n` + emitConst(name, struct)
  }
  const rendered = render(context, schema, mode, from)
  const typeHead = `export type ${name} = `
  return doc + typeHead + print(rendered.type, 0, typeHead.length) + "\n" + emitConst(name, rendered.schema)
}

/** A named enum: its type (the known literals, open to newer ones) and its schema. */
export const emitEnum = (name: string, literals: ReadonlyArray<string>): string => {
  const quoted = literals.map((literal) => JSON.stringify(literal))
  const typeHead = `export type ${name} = `
  return (
    typeHead + print(typeApplication("IconikSchema.OpenEnum", [union(quoted)]), 0, typeHead.length) + "\n" +
    emitConst(name, pureCall("IconikSchema.OpenEnum", [arrayLiteral(quoted)]))
  )
}
