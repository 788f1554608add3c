/**
 * Names: operation names derived from verb + path (the specs have no operationIds), model names derived from component
 * names, module identifiers derived from service names. The rules are documented in docs/naming.md; the exceptions
 * live in names.ts.
 */
import { operationNameOverrides } from "./names.ts"
import type { HttpMethod } from "./spec.ts"

const words = (text: string): Array<string> => text.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0)

const capitalize = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1)

/** `multipart_url` → `MultipartUrl`; `users-notifications` → `UsersNotifications`. */
export const pascalCase = (text: string): string => words(text).map(capitalize).join("")

/** `users-notifications` → `usersNotifications`. */
export const camelCase = (text: string): string => {
  const pascal = pascalCase(text)
  return pascal.charAt(0).toLowerCase() + pascal.slice(1)
}

const uncountable = new Set(["media", "metadata", "data", "info", "settings", "status", "analysis", "series", "news"])

/** English singular of the last word of a PascalCase noun, for the usual plural shapes in Iconik paths. */
export const singular = (noun: string): string => {
  const lastWord = /[A-Z0-9][a-z0-9]*$/.exec(noun)?.[0] ?? noun
  const head = noun.slice(0, noun.length - lastWord.length)
  const lower = lastWord.toLowerCase()
  if (uncountable.has(lower) || lower.length <= 3) return noun
  if (lower.endsWith("ies") && lower.length > 4) return head + lastWord.slice(0, -3) + "y"
  if (/(ss|x|ch|sh)es$/.test(lower) || lower.endsWith("uses")) return head + lastWord.slice(0, -2)
  if (lower.endsWith("s") && !/(ss|us|is)$/.test(lower)) return head + lastWord.slice(0, -1)
  return noun
}

/** Segments after the version whose operations read better as a verb of their own (`reindexAsset`). */
const actionSegments = new Set([
  "archive",
  "analyze",
  "cancel",
  "copy",
  "export",
  "login",
  "logout",
  "merge",
  "move",
  "promote",
  "purge",
  "reindex",
  "restore",
  "transcode",
  "transcribe",
  "validate"
])

const isParameter = (segment: string): boolean => segment.startsWith("{") && segment.endsWith("}")

const parameterName = (segment: string): string => segment.slice(1, -1)

const snakeCase = (pascal: string): string => pascal.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase()

/**
 * Whether `{parameter}` picks one item of the `segment` before it: `assets/{asset_id}`, `fields/{field_name}`,
 * `versions/{source_version_id}`, `temporary_files/{file_id}`, `relation_types/{relation_type}` do;
 * `segments/{segment_type}`, `categories/{name}`, `custom_actions/{context}` do not (they select by something else).
 */
const identifies = (segment: string, parameter: string): boolean => {
  const item = snakeCase(singular(pascalCase(segment)))
  const name = parameterName(parameter)
  const stem = name.replace(/_(id|name|key)$/, "")
  if (name === "id" || stem === item) return true
  return name.endsWith("_id") && (stem.endsWith(`_${item}`) || stem.startsWith(`${item}_`) || item.endsWith(`_${stem}`))
}

/** `{related_to_asset_id}` → `RelatedToAsset`: a parameter with no static segment before it names a noun itself. */
const parameterNoun = (parameter: string): string => pascalCase(parameterName(parameter).replace(/_(id|name|key)$/, ""))

/** `segments/{segment_type}` → `ByType`: the qualifier for a parameter that selects without identifying. */
const byQualifier = (segment: string, parameter: string): string => {
  const item = snakeCase(singular(pascalCase(segment)))
  const stem = parameterName(parameter).replace(/_(id|name|key)$/, "")
  return "By" + pascalCase(stem.startsWith(`${item}_`) ? stem.slice(item.length + 1) : stem)
}

type Token =
  | { readonly kind: "static"; readonly segment: string }
  | { readonly kind: "parameter"; readonly segment: string }
  /** `{object_type}/{object_id}` or `{object_type}/{object_key}`: a reference to any object, read as `Object`. */
  | { readonly kind: "object" }

const tokenize = (segments: ReadonlyArray<string>): Array<Token> => {
  const tokens: Array<Token> = []
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!
    const next = segments[index + 1]
    if (segment === "{object_type}" && (next === "{object_id}" || next === "{object_key}")) {
      tokens.push({ kind: "object" })
      index++
    } else {
      tokens.push({ kind: isParameter(segment) ? "parameter" : "static", segment })
    }
  }
  return tokens
}

export interface NamingInput {
  readonly service: string
  readonly method: HttpMethod
  /** The spec path, e.g. `/v1/assets/{asset_id}/`. */
  readonly path: string
  /** Whether a GET answers with a list (an `objects` page or an array): `list…` rather than `get…`. */
  readonly returnsList: boolean
}

/**
 * The derived (not overridden) name of an operation; docs/naming.md states the rule with examples:
 * 1. the path after its version segment gives nouns. A static segment becomes PascalCase, singular when a parameter
 *    that identifies its items follows (`assets/{asset_id}` → `Asset`), plural plus `By<Parameter>` when the
 *    parameter selects by something else (`segments/{segment_type}` → `SegmentsByType`; singular when it ends the
 *    path and the answer is not a list); `by/{period}` reads as `ByPeriod`. `{object_type}/{object_id}` reads as
 *    `Object`; any other parameter with no static segment before it names a noun itself (`{related_to_asset_id}` →
 *    `RelatedToAsset`). Repeated neighbours collapse;
 * 2. the verb comes from the method: GET → `get`, or `list` when it answers a list and the path does not end with an
 *    identifying parameter; POST → `create` (with the last noun singular), PUT → `update`, PATCH → `patch`,
 *    DELETE → `delete`. A POST or PUT whose last segment is an action (`reindex`, `restore`, `purge`, …) uses that
 *    action as the verb instead, and so does a DELETE whose last segment is `purge`;
 * 3. a path of another version than `v1` gets its version as suffix (`V2`).
 */
export const deriveOperationName = ({ method, path, returnsList }: NamingInput): string => {
  const [version, ...segments] = path.split("/").filter((segment) => segment.length > 0)
  const tokens = tokenize(segments)
  const nouns: Array<string> = []
  let endsIdentified = false
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!
    if (token.kind === "object") {
      nouns.push("Object")
      endsIdentified = true
      continue
    }
    if (token.kind === "parameter") {
      nouns.push(parameterNoun(token.segment))
      endsIdentified = true
      continue
    }
    const noun = pascalCase(token.segment)
    const next = tokens[index + 1]
    if (next === undefined || next.kind === "static") {
      nouns.push(noun)
      endsIdentified = false
    } else if (next.kind === "object") {
      nouns.push(singular(noun) + "Object")
      endsIdentified = true
      index++
    } else if (token.segment === "by") {
      nouns.push(`By${parameterNoun(next.segment)}`)
      endsIdentified = false
      index++
    } else if (identifies(token.segment, next.segment)) {
      nouns.push(singular(noun))
      endsIdentified = true
      index++
    } else {
      const endsPath = index + 2 === tokens.length
      nouns.push((endsPath && !returnsList ? singular(noun) : noun) + byQualifier(token.segment, next.segment))
      endsIdentified = false
      index++
    }
  }
  const last = segments[segments.length - 1]
  const isAction = last !== undefined &&
    (((method === "post" || method === "put") && actionSegments.has(last)) || (method === "delete" && last === "purge"))
  let verb: string
  if (isAction) {
    verb = last
    nouns.pop()
  } else {
    if (method === "post" && last !== undefined && !isParameter(last) && nouns.length > 0) {
      nouns.push(singular(nouns.pop()!))
    }
    verb = {
      get: returnsList && !endsIdentified ? "list" : "get",
      post: "create",
      put: "update",
      patch: "patch",
      delete: "delete"
    }[method]
  }
  const collapsed = nouns.filter((noun, position) => noun !== nouns[position - 1])
  const suffix = version !== undefined && version !== "v1" ? pascalCase(version) : ""
  return verb + collapsed.join("") + suffix
}

/** The operation's name: the override table first, then the derivation. */
export const operationName = (input: NamingInput): string =>
  operationNameOverrides[`${input.service} ${input.method.toUpperCase()} ${input.path}`] ?? deriveOperationName(input)

const reservedWords = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await any unknown never object string " +
    "number boolean symbol bigint undefined"
  ).split(" ")
)

/** Identifiers the generated modules import or declare themselves; a model may not take them. */
export const moduleIdentifiers = new Set(["Schema", "IconikSchema", "Endpoint", "definitions"])

export const isValidIdentifier = (name: string): boolean =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !reservedWords.has(name)

/** A property key as written in TypeScript: bare when it is an identifier, quoted otherwise. */
export const propertyKey = (name: string): string =>
  /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name)
