/**
 * Answers that fit a schema: {@link conform} keeps what a stored record holds where the schema accepts it and fills
 * what the schema requires but the record lacks with a minimal valid value ({@link synthesize}). The generic store
 * answers through these, so its answers decode with the operation's response schema whatever was written.
 */
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { enumIssues } from "./Enums.ts"

/** Fresh values the synthesised fields need: ids and the request's timestamp. */
export interface Fill {
  readonly uuid: () => string
  readonly now: string
}

const deciders = new WeakMap<SchemaAST.AST, (value: unknown) => boolean>()

/** Whether the value decodes with the schema node. */
export const accepts = (ast: SchemaAST.AST, value: unknown): boolean => {
  let decide = deciders.get(ast)
  if (decide === undefined) {
    const decode = Schema.decodeUnknownExit(Schema.make(ast) as Schema.Codec<unknown, unknown>)
    decide = (input) => Exit.isSuccess(decode(input))
    deciders.set(ast, decide)
  }
  return decide(value)
}

/** Whether the value decodes and keeps to the enums the schema annotates (open in decoding, closed in answers). */
export const fits = (ast: SchemaAST.AST, value: unknown): boolean => accepts(ast, value) && enumIssues(ast, value).length === 0

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

const isOptional = (ast: SchemaAST.AST): boolean => ast.context?.isOptional === true

const literalsOf = SchemaAST.resolveAt<ReadonlyArray<string>>("iconikEnum")

/** Candidate strings for a field, most plausible first (its name hints at ids and dates). */
const stringCandidates = (name: string, fill: Fill): ReadonlyArray<string> => {
  const lower = name.toLowerCase()
  const id = lower === "id" || lower.endsWith("_id") || lower.endsWith("_key") || lower.endsWith("_user") ||
      lower.endsWith("_by")
    ? [fill.uuid()]
    : []
  const date = lower.includes("date") || lower.endsWith("_at") || lower.includes("time") ? [fill.now] : []
  const url = lower.includes("url") ? ["/"] : []
  return [...id, ...date, ...url, "", fill.now, fill.uuid(), "emulated"]
}

/** Deeper than this, a union with `null` answers `null` (recursive schemas end). */
const maxDepth = 6

/** A minimal value the schema node accepts, `undefined` when none is found. */
export const synthesize = (ast: SchemaAST.AST, name: string, fill: Fill, depth = 0): unknown => {
  switch (ast._tag) {
    case "Suspend":
      return synthesize(ast.thunk(), name, fill, depth)
    case "String": {
      const literals = literalsOf(ast)
      if (literals !== undefined && literals.length > 0) return literals[0]
      return stringCandidates(name, fill).find((candidate) => accepts(ast, candidate)) ?? ""
    }
    case "Number":
      // 1 before 0: the spec's minimums (not in the generated schemas) are 0 or 1.
      return [1, 0, 1000].find((candidate) => accepts(ast, candidate)) ?? 1
    case "Boolean":
      return false
    case "Literal":
      return ast.literal
    case "Enum":
      return ast.enums[0]?.[1]
    case "Null":
      return null
    case "Undefined":
    case "Void":
      return undefined
    case "Unknown":
    case "Any":
    case "ObjectKeyword":
      return {}
    case "Arrays": {
      const items = ast.elements.map((element) => synthesize(element, name, fill, depth + 1))
      if (accepts(ast, items)) return items
      const rest = ast.rest[0]
      return rest === undefined ? items : [...items, synthesize(rest, name, fill, depth + 1)]
    }
    case "Objects":
      return conform(ast, {}, fill, depth)
    case "Union": {
      const nullable = ast.types.some((member) => member._tag === "Null")
      if (nullable && depth >= maxDepth) return null
      for (const member of ast.types) {
        if (member._tag === "Null" || member._tag === "Undefined") continue
        const value = synthesize(member, name, fill, depth + 1)
        if (accepts(member, value)) return value
      }
      return nullable ? null : undefined
    }
    default:
      return undefined
  }
}

/** Whether a union member could hold the value at all. */
const couldHold = (ast: SchemaAST.AST, value: unknown): boolean => {
  switch (ast._tag) {
    case "Suspend":
      return couldHold(ast.thunk(), value)
    case "Objects":
      return isRecord(value)
    case "Arrays":
      return Array.isArray(value)
    case "Union":
      return ast.types.some((member) => couldHold(member, value))
    default:
      return accepts(ast, value)
  }
}

/**
 * The value reshaped to the schema node: declared fields kept where valid (conformed in turn), required ones that
 * are missing or invalid synthesised, optional invalid ones dropped, undeclared keys dropped unless an index
 * signature takes them.
 */
export const conform = (ast: SchemaAST.AST, value: unknown, fill: Fill, depth = 0): unknown => {
  switch (ast._tag) {
    case "Suspend":
      return conform(ast.thunk(), value, fill, depth)
    case "Objects": {
      const input = isRecord(value) ? value : {}
      const out: Record<string, unknown> = {}
      const named = new Set<PropertyKey>()
      for (const property of ast.propertySignatures) {
        const name = String(property.name)
        named.add(property.name)
        const given = input[name]
        if (given !== undefined) {
          const shaped = conform(property.type, given, fill, depth + 1)
          if (fits(property.type, shaped)) {
            out[name] = shaped
            continue
          }
        }
        if (!isOptional(property.type)) out[name] = synthesize(property.type, name, fill, depth + 1)
      }
      for (const index of ast.indexSignatures) {
        for (const [key, item] of Object.entries(input)) {
          if (named.has(key) || key in out) continue
          const shaped = conform(index.type, item, fill, depth + 1)
          if (fits(index.type, shaped)) out[key] = shaped
        }
      }
      return out
    }
    case "Arrays": {
      if (!Array.isArray(value)) return synthesize(ast, "", fill, depth)
      const items = value.map((item, i) => {
        const itemAst = i < ast.elements.length ? ast.elements[i] : ast.rest[0]
        return itemAst === undefined ? item : conform(itemAst, item, fill, depth + 1)
      })
      return fits(ast, items) ? items : synthesize(ast, "", fill, depth)
    }
    case "Union": {
      for (const member of ast.types) if (fits(member, value)) return conform(member, value, fill, depth)
      for (const member of ast.types) {
        if (!couldHold(member, value)) continue
        const shaped = conform(member, value, fill, depth)
        if (fits(member, shaped)) return shaped
      }
      return synthesize(ast, "", fill, depth)
    }
    default:
      return fits(ast, value) ? value : synthesize(ast, "", fill, depth)
  }
}

/** The node under Suspends. */
export const resolved = (ast: SchemaAST.AST): SchemaAST.AST => (ast._tag === "Suspend" ? resolved(ast.thunk()) : ast)

/** The item schema of a list envelope (`{objects: [...]}`), if the schema is one. */
export const listItemOf = (ast: SchemaAST.AST): SchemaAST.AST | undefined => {
  const node = resolved(ast)
  if (node._tag !== "Objects") return undefined
  const objects = node.propertySignatures.find((property) => property.name === "objects")
  if (objects === undefined) return undefined
  const array = arrayIn(objects.type)
  return array === undefined ? undefined : array.rest[0] ?? array.elements[0]
}

/** The array schema a node is, or holds among (nested) union members. */
const arrayIn = (ast: SchemaAST.AST): SchemaAST.Arrays | undefined => {
  const node = resolved(ast)
  if (node._tag === "Arrays") return node
  if (node._tag !== "Union") return undefined
  for (const member of node.types) {
    const found = arrayIn(member)
    if (found !== undefined) return found
  }
  return undefined
}
