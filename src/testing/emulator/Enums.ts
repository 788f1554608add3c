/**
 * Iconik's own enum check on request bodies. The generated schemas keep enums open (any string decodes, so a newer
 * server value never breaks the SDK), with the known literals in an `iconikEnum` annotation. Iconik itself refuses a
 * value outside the enum with a 400 naming the field; this walks a body alongside its schema and finds such values.
 */
import * as SchemaAST from "effect/SchemaAST"

export interface EnumIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const literalsOf = SchemaAST.resolveAt<ReadonlyArray<string>>("iconikEnum")

/** Whether a union member could hold the value at all (the member decoding already chose). */
const couldHold = (ast: SchemaAST.AST, value: unknown): boolean => {
  switch (ast._tag) {
    case "String":
    case "Literal":
    case "Enum":
    case "TemplateLiteral":
      return typeof value === "string"
    case "Objects":
      return value !== null && typeof value === "object" && !Array.isArray(value)
    case "Arrays":
      return Array.isArray(value)
    case "Suspend":
      return couldHold(ast.thunk(), value)
    case "Union":
      return ast.types.some((member) => couldHold(member, value))
    default:
      return false
  }
}

/** Values of `value` outside the enums its schema `ast` annotates, with their paths (empty when there are none). */
export const enumIssues = (
  ast: SchemaAST.AST,
  value: unknown,
  path: ReadonlyArray<PropertyKey> = []
): ReadonlyArray<EnumIssue> => {
  switch (ast._tag) {
    case "String": {
      const literals = literalsOf(ast)
      return literals === undefined || typeof value !== "string" || literals.includes(value)
        ? []
        : [{ path, message: `Must be one of: ${literals.join(", ")}.` }]
    }
    case "Suspend":
      return enumIssues(ast.thunk(), value, path)
    case "Union": {
      const candidates = ast.types.filter((member) => couldHold(member, value))
      if (candidates.length === 0) return []
      let first: ReadonlyArray<EnumIssue> | undefined
      for (const member of candidates) {
        const issues = enumIssues(member, value, path)
        if (issues.length === 0) return []
        first ??= issues
      }
      return first ?? []
    }
    case "Objects": {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return []
      const record = value as Record<PropertyKey, unknown>
      const out: Array<EnumIssue> = []
      const named = new Set<PropertyKey>()
      for (const property of ast.propertySignatures) {
        named.add(property.name)
        if (property.name in record) out.push(...enumIssues(property.type, record[property.name], [...path, property.name]))
      }
      for (const index of ast.indexSignatures) {
        for (const key of Object.keys(record)) {
          if (!named.has(key)) out.push(...enumIssues(index.type, record[key], [...path, key]))
        }
      }
      return out
    }
    case "Arrays": {
      if (!Array.isArray(value)) return []
      return value.flatMap((item, i) => {
        const itemAst = i < ast.elements.length ? ast.elements[i] : ast.rest[0]
        return itemAst === undefined ? [] : enumIssues(itemAst, item, [...path, i])
      })
    }
    default:
      return []
  }
}
