/**
 * Emits one operation of a service module: its query, body and response schemas where they are inline, and the
 * operation itself, a pure-marked `operation<Input, Success, Errors>({...definition})`.
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
import { emitConst, emitNamedSchema } from "./emit-models.ts"
import { hasProperties, type Mode, render, type RenderContext, type Rendered, unwrap } from "./models.ts"
import { pascalCase, propertyKey } from "./naming.ts"
import type { DeclaredSuccess } from "./overlay.ts"
import { type HttpMethod, type JsonSchema, type Operation, type Parameter, refName } from "./spec.ts"

const declarableStatuses = [400, 403, 404, 409] as const

export interface BodySpec {
  readonly contentType: string
  readonly schema: JsonSchema
  readonly required: boolean
}

export interface OperationSpec {
  readonly name: string
  readonly method: HttpMethod
  readonly specPath: string
  readonly fullPath: string
  readonly operation: Operation
  readonly pathParams: ReadonlyArray<Parameter>
  readonly queryParams: ReadonlyArray<Parameter>
  readonly body: BodySpec | undefined
  readonly success: ReadonlyArray<DeclaredSuccess>
  readonly roles: ReadonlyArray<string>
}

export interface OperationContext {
  readonly service: string
  readonly components: Readonly<Record<string, JsonSchema>>
  readonly render: RenderContext
  /** Reserves a module-level name; throws when it is taken. */
  readonly claim: (name: string) => string
}

/** The operation's source, and how many schemas it declared. */
export const emitOperation = (
  { service, components, render: context, claim }: OperationContext,
  op: OperationSpec
): { readonly source: string; readonly schemaCount: number } => {
  let schemaCount = 0
  const typeBase = pascalCase(op.name)
  const local: Array<string> = []
  const named = (suffix: string, schema: JsonSchema, mode: Mode): Rendered => {
    if (!hasProperties(schema) || unwrap(schema).$ref !== undefined) return render(context, schema, mode, undefined)
    const name = claim(typeBase + suffix)
    const doc = `${suffix.replace(/\d+$/, "")} of {@link ${op.name}}.`
    local.push(emitNamedSchema(context, name, schema, mode, undefined, undefined, [doc]))
    schemaCount++
    return { type: name, schema: name }
  }

  // Query parameters: a struct, optional unless required; headers (App-ID, Auth-Token) are the client's business.
  let query: Rendered | undefined
  let queryRequired = false
  if (op.queryParams.length > 0) {
    const name = claim(`${typeBase}Query`)
    const members: Array<{ key: string; value: Doc; doc?: string | undefined }> = []
    const fields: Array<{ key: string; value: Doc }> = []
    for (const param of [...op.queryParams].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rendered = render(
        context,
        { ...(param.schema ?? {}), nullable: false },
        "input",
        name,
        undefined,
        param.name
      )
      const key = propertyKey(param.name)
      const doc = param.description === undefined ? undefined : descriptionText(param.description)
      if (param.required === true) {
        queryRequired = true
        members.push({ key: `readonly ${key}`, value: rendered.type, doc })
        fields.push({ key, value: rendered.schema })
      } else {
        members.push({ key: `readonly ${key}?`, value: union([rendered.type, "undefined"]), doc })
        fields.push({ key, value: pureCall("Schema.optional", [rendered.schema]) })
      }
    }
    local.push(
      tsdoc(`Query parameters of {@link ${op.name}}.`, 0) +
        `export interface ${name} ${print(typeLiteral(members, true), 0, 0)}\n` +
        emitConst(name, pureCall("IconikSchema.Struct", [objectLiteral(fields)]))
    )
    schemaCount++
    query = { type: name, schema: name }
  }

  const bodyMode: Mode = op.method === "patch" ? "patch" : "input"
  const body = op.body === undefined ? undefined : { ...op.body, rendered: named("Body", op.body.schema, bodyMode) }
  const inlineResponses = op.success.filter(
    ({ schema }) => schema !== undefined && hasProperties(schema) && unwrap(schema).$ref === undefined
  )
  const success = op.success.map((entry) => {
    if (entry.schema === undefined) return { ...entry, rendered: undefined }
    const suffix = inlineResponses.length > 1 ? `Response${entry.status}` : "Response"
    return { ...entry, rendered: named(suffix, entry.schema, "output") }
  })

  const inputMembers: Array<{ key: string; value: Doc }> = op.pathParams.map((param) => ({
    key: `readonly ${propertyKey(param.name)}`,
    value: render(context, { ...(param.schema ?? { type: "string" }), nullable: false }, "input", undefined).type
  }))
  if (query !== undefined) {
    inputMembers.push(
      queryRequired
        ? { key: "readonly query", value: query.type }
        : { key: "readonly query?", value: union([query.type, "undefined"]) }
    )
  }
  if (body !== undefined) {
    inputMembers.push(
      body.required
        ? { key: "readonly body", value: body.rendered.type }
        : { key: "readonly body?", value: union([body.rendered.type, "undefined"]) }
    )
  }
  const allOptional = op.pathParams.length === 0 && !queryRequired && body?.required !== true
  const inputType: Doc = inputMembers.length === 0
    ? "void"
    : allOptional
      ? union([typeLiteral(inputMembers), "void"])
      : typeLiteral(inputMembers)

  const successTypes: Array<string> = []
  const addSuccessType = (type: string) => {
    if (!successTypes.includes(type)) successTypes.push(type)
  }
  for (const entry of success) {
    if (entry.rendered !== undefined) addSuccessType(print(entry.rendered.type, 0, 0))
    if (entry.rendered === undefined || entry.optionalBody === true) addSuccessType("void")
  }
  const successType: Doc = successTypes.length === 0 ? "void" : union(successTypes)

  const errors = declarableStatuses.filter(
    (status) =>
      op.operation.responses[String(status)] !== undefined ||
      (status === 403 && op.roles.length > 0) ||
      (status === 404 && op.pathParams.length > 0)
  )
  const errorType: Doc = errors.length === 0 ? "never" : union(errors.map(String))

  const queryNames = new Set(op.queryParams.map((param) => param.name))
  const paging =
    service === "search" && op.method === "post" && op.specPath === "/v1/search/"
      ? "search"
      : queryNames.has("last_id")
        ? "last_id"
        : queryNames.has("last_field_name")
          ? "last_field_name"
          : (queryNames.has("page") || queryNames.has("per_page")) && answersWithObjects(components, op.success)
            ? "page"
            : undefined

  const summary = (op.operation.summary ?? "").trim()
  const definition: Array<{ key: string; value: Doc }> = [
    { key: "service", value: JSON.stringify(service) },
    { key: "name", value: JSON.stringify(op.name) },
    { key: "method", value: JSON.stringify(op.method.toUpperCase()) },
    { key: "path", value: JSON.stringify(op.fullPath) }
  ]
  if (query !== undefined) definition.push({ key: "query", value: query.schema })
  if (body !== undefined) {
    definition.push({
      key: "body",
      value: objectLiteral([
        { key: "schema", value: body.rendered.schema },
        { key: "contentType", value: JSON.stringify(body.contentType) },
        { key: "required", value: String(body.required) }
      ])
    })
  }
  definition.push({
    key: "success",
    value: arrayLiteral(
      success.map((entry) =>
        objectLiteral([
          { key: "status", value: String(entry.status) },
          ...(entry.rendered === undefined ? [] : [{ key: "schema", value: entry.rendered.schema }]),
          ...(entry.contentType === undefined
            ? []
            : [{ key: "contentType", value: JSON.stringify(entry.contentType) }]),
          ...(entry.optionalBody === true ? [{ key: "optionalBody", value: "true" }] : [])
        ])
      )
    )
  })
  definition.push({ key: "errors", value: `[${errors.join(", ")}]` })
  definition.push({ key: "summary", value: JSON.stringify(summary) })
  definition.push({ key: "roles", value: `[${op.roles.map((role) => JSON.stringify(role)).join(", ")}]` })
  if (paging !== undefined) definition.push({ key: "paging", value: JSON.stringify(paging) })
  if (queryNames.has("scroll_id")) definition.push({ key: "scroll", value: "true" })
  if (op.operation.deprecated === true) definition.push({ key: "deprecated", value: "true" })

  const doc: Array<string> = [summary === "" ? op.name : summary, "", `\`${op.method.toUpperCase()} ${op.fullPath}\``]
  const text = descriptionText(op.operation.description)
  if (text !== undefined && text !== summary) doc.push("", text)
  doc.push("", op.roles.length > 0
    ? `Required roles: ${op.roles.map((role) => `\`${role}\``).join(", ")}.`
    : "Required roles: none listed in the spec.")
  if (op.operation.deprecated === true) doc.push("", "@deprecated Iconik marks this operation as deprecated.")

  const head = `export const ${claim(op.name)} = ${pure}`
  const generics = print(typeApplication("operation", [inputType, successType, errorType]), 0, head.length, 2)
  const lastLine = generics.slice(generics.lastIndexOf("\n") + 1)
  const column = (generics.includes("\n") ? lastLine.length : head.length + generics.length) + 1
  const definitionLiteral = print(objectLiteral(definition, true), 0, column, 1)
  local.push(tsdoc(doc.join("\n"), 0) + head + generics + "(" + definitionLiteral + ")\n")
  return { source: local.join("\n"), schemaCount }
}

/** The description without its roles list, `<br/>` as line breaks, and the spec's accidental doubling removed. */
const descriptionText = (description: string | undefined): string | undefined => {
  if (description === undefined) return undefined
  const index = description.indexOf("Required roles:")
  let text = (index < 0 ? description : description.slice(0, index)).replace(/<br\s*\/?>/g, "\n").trim()
  const half = text.length / 2
  if (Number.isInteger(half) && half > 0 && text.slice(0, half) === text.slice(half)) text = text.slice(0, half)
  text = text.replace(/\*\//g, "*\\/").split("\n").map((line) => line.trim()).join("\n").trim()
  return text.length === 0 ? undefined : text
}

/** A schema with a top-level reference followed (one level: enough to see whether an answer is a page). */
export const resolveTop = (components: Readonly<Record<string, JsonSchema>>, schema: JsonSchema): JsonSchema => {
  const node = unwrap(schema)
  return node.$ref === undefined ? node : unwrap(components[refName(node.$ref)] ?? {})
}

/**
 * Whether an answer is a list the `page` family can walk: an `objects` array, with `pages`/`next_url` or without
 * (playlist and sequence items, the multipart part-URL lists answer `{objects}` alone: walked while pages are full).
 */
const answersWithObjects = (
  components: Readonly<Record<string, JsonSchema>>,
  success: ReadonlyArray<DeclaredSuccess>
) =>
  success.some(({ schema }) => {
    const properties = schema === undefined ? undefined : resolveTop(components, schema).properties
    return properties?.["objects"] !== undefined
  })
