/**
 * Shapes: what a recording keeps of an answer. Every value becomes its kind (uuid, date-time, url, string, integer,
 * number, boolean, null), upper-case constants keep their value (`enum:CLOSED`, they are part of the contract, not
 * customer data), objects keep their keys and arrays keep the shapes of up to three elements. Names, titles, paths,
 * checksums, tokens and signed URLs are never kept.
 */

export type Shape =
  | string
  | ReadonlyArray<Shape>
  | { readonly [key: string]: Shape }

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/
const constant = /^[A-Z][A-Z0-9_]{1,40}$/
const url = /^https?:\/\//

/** At most this many elements of an array are kept: enough to show it is a list and of what. */
export const maxElements = 3

export const shapeOf = (value: unknown): Shape => {
  if (value === null || value === undefined) return "null"
  if (typeof value === "boolean") return "boolean"
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number"
  if (typeof value === "string") {
    if (uuid.test(value)) return "uuid"
    if (dateTime.test(value)) return "date-time"
    if (url.test(value)) return "url"
    if (constant.test(value)) return `enum:${value}`
    return "string"
  }
  if (Array.isArray(value)) return value.slice(0, maxElements).map(shapeOf)
  if (typeof value === "object") {
    const out: Record<string, Shape> = {}
    for (const key of Object.keys(value).sort()) out[key] = shapeOf((value as Record<string, unknown>)[key])
    return out
  }
  return "string"
}

/** The kind a leaf compares by: constants are strings, and a uuid or a date-time is a string of a known form. */
const kindOf = (leaf: string): string => (leaf.startsWith("enum:") ? "string" : leaf)

const isObject = (shape: Shape): shape is { readonly [key: string]: Shape } =>
  typeof shape === "object" && !Array.isArray(shape)

const describe = (shape: Shape): string =>
  typeof shape === "string" ? kindOf(shape) : Array.isArray(shape) ? "array" : "object"

/** Numbers: an integer where the other side has a number with a fraction is the same JSON type. */
const sameKind = (a: string, b: string) =>
  a === b || (a === "integer" && b === "number") || (a === "number" && b === "integer")

/** Merges the shapes of an array's elements, so lists compare by the union of what their elements show. */
const mergeElements = (elements: ReadonlyArray<Shape>): Shape | undefined => {
  if (elements.length === 0) return undefined
  if (elements.every(isObject)) {
    const merged: Record<string, Shape> = {}
    for (const element of elements) {
      for (const [key, value] of Object.entries(element)) {
        if (!(key in merged) || merged[key] === "null") merged[key] = value
      }
    }
    return merged
  }
  return elements.find((element) => element !== "null") ?? elements[0]
}

/**
 * The differences between a recorded shape and the emulator's, as readable lines (`path: what differs`). A recorded
 * `null` matches any kind (Iconik answers null for many optional fields), but a key on one side only is a
 * difference. `openMaps` lists paths whose keys are data, not schema (metadata maps): only their kinds compare.
 */
export const compareShapes = (
  recorded: Shape,
  actual: Shape,
  path = "body",
  openMaps: ReadonlyArray<RegExp> = []
): Array<string> => {
  if (recorded === "null" || actual === "null") return []
  if (typeof recorded === "string" || typeof actual === "string") {
    if (typeof recorded === "string" && typeof actual === "string") {
      return sameKind(kindOf(recorded), kindOf(actual))
        ? []
        : [`${path}: recorded ${kindOf(recorded)}, emulator ${kindOf(actual)}`]
    }
    return [`${path}: recorded ${describe(recorded)}, emulator ${describe(actual)}`]
  }
  if (Array.isArray(recorded) !== Array.isArray(actual)) {
    return [`${path}: recorded ${describe(recorded)}, emulator ${describe(actual)}`]
  }
  if (Array.isArray(recorded)) {
    const left = mergeElements(recorded)
    const right = mergeElements(actual as ReadonlyArray<Shape>)
    if (left === undefined || right === undefined) return []
    return compareShapes(left, right, `${path}[]`, openMaps)
  }
  const left = recorded as { readonly [key: string]: Shape }
  const right = actual as { readonly [key: string]: Shape }
  if (openMaps.some((pattern) => pattern.test(path))) return []
  const out: Array<string> = []
  for (const key of Object.keys(left)) {
    if (!(key in right)) out.push(`${path}.${key}: recorded, missing in the emulator's answer`)
    else out.push(...compareShapes(left[key]!, right[key]!, `${path}.${key}`, openMaps))
  }
  for (const key of Object.keys(right)) {
    if (!(key in left)) out.push(`${path}.${key}: in the emulator's answer, not recorded`)
  }
  return out
}
