/**
 * Generates the module of one service: its models (interface + Schema), and per operation a definition and typed
 * function via `Endpoint.make`, plus `definitions` listing them.
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
import {
  anyValues,
  directReferences,
  hasProperties,
  isNumber,
  type Mode,
  modelNames,
  render,
  type RenderContext,
  type Rendered,
  structParts,
  unwrap
} from "./models.ts"
import { camelCase, isValidIdentifier, moduleIdentifiers, operationName, pascalCase, propertyKey } from "./naming.ts"
import { operationNameOverrides } from "./names.ts"
import {
  type DeclaredSuccess,
  type ModelPatch,
  modelOverlays,
  openModelOverlays,
  type OperationOverlay,
  operationOverlays,
  statusRules
} from "./overlay.ts"
import {
  type HttpMethod,
  type JsonSchema,
  type Operation,
  operationsOf,
  type Parameter,
  refName,
  type ServiceSpec
} from "./spec.ts"

export interface GeneratedOperation {
  readonly name: string
  readonly method: Uppercase<HttpMethod>
  /** The full path, e.g. `/API/assets/v1/assets/`. */
  readonly path: string
}

export interface GeneratedService {
  readonly service: string
  /** `users-notifications.ts` */
  readonly fileName: string
  /** `usersNotifications` */
  readonly moduleName: string
  readonly source: string
  readonly operations: ReadonlyArray<GeneratedOperation>
  /** Model consts (full models and input variants) plus operation-level query/body/response schemas. */
  readonly schemaCount: number
  readonly overlaysApplied: number
}

const declarableStatuses = [400, 403, 404, 409] as const

/** The module (written beside the services) with the helper every operation is made with. */
export const operationModule = "operation.ts"

interface BodySpec {
  readonly contentType: string
  readonly schema: JsonSchema
  readonly required: boolean
}

interface OperationSpec {
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

/** Roles listed after "Required roles:" in an operation's description. */
export const parseRoles = (description: string | undefined): ReadonlyArray<string> => {
  if (description === undefined) return []
  const index = description.indexOf("Required roles:")
  if (index < 0) return []
  return description
    .slice(index + "Required roles:".length)
    .split("\n")
    .map((line) => /^\s*-\s*([A-Za-z0-9_.:-]+)\s*$/.exec(line)?.[1])
    .filter((role): role is string => role !== undefined)
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

/** The JSON content of a body or response when there is one, else the first content type. */
const pickContent = (content: Readonly<Record<string, { readonly schema?: JsonSchema }>>) => {
  const types = Object.keys(content)
  const contentType = types.includes("application/json") ? "application/json" : types.sort()[0]
  return contentType === undefined ? undefined : { contentType, schema: content[contentType]?.schema }
}

/** The request body as the client sends it (see docs/naming.md for the non-JSON rules). */
const bodyOf = (operation: Operation): BodySpec | undefined => {
  const requestBody = operation.requestBody
  if (requestBody === undefined) return undefined
  const picked = pickContent(requestBody.content)
  if (picked === undefined) return undefined
  const required = requestBody.required === true
  const schema = picked.schema ?? {}
  if (picked.contentType === "application/xml") {
    return { contentType: picked.contentType, schema: { type: "string" }, required }
  }
  if (picked.contentType.startsWith("image/")) {
    // Iconik describes a raw image upload as an object with one binary property: the body is the bytes themselves.
    return { contentType: picked.contentType, schema: { type: "string", format: "binary" }, required }
  }
  return { contentType: picked.contentType, schema, required }
}

const successOf = (
  service: string,
  method: HttpMethod,
  operation: Operation,
  overlay: OperationOverlay | undefined,
  counters: { applied: number }
): ReadonlyArray<DeclaredSuccess> => {
  const byStatus = new Map<number, DeclaredSuccess>()
  for (const [code, response] of Object.entries(operation.responses)) {
    const status = Number(code)
    if (!Number.isInteger(status) || status < 200 || status > 299) continue
    const picked = response.content === undefined ? undefined : pickContent(response.content)
    byStatus.set(status, {
      status,
      schema: picked?.schema,
      contentType: picked === undefined || picked.contentType === "application/json" ? undefined : picked.contentType
    })
  }
  for (const rule of statusRules) if (rule.apply(method, byStatus)) counters.applied++
  for (const patch of overlay?.patches ?? []) {
    switch (patch.kind) {
      case "alsoAccept": {
        const like = byStatus.get(patch.like)
        if (like === undefined) {
          throw new Error(`overlay ${service} ${method} ${overlay!.path}: no ${patch.like} to copy`)
        }
        byStatus.set(patch.status, { ...like, status: patch.status })
        break
      }
      case "body":
        byStatus.set(patch.status, { status: patch.status, schema: patch.schema, optionalBody: patch.orEmpty })
        break
      case "noBody":
        byStatus.set(patch.status, { status: patch.status })
        break
    }
  }
  if (overlay !== undefined) counters.applied++
  return [...byStatus.values()].sort((a, b) => a.status - b.status)
}

const modelOverlayKey = (model: string, property: string) => `${model}.${property}`

export const generateService = (spec: ServiceSpec): GeneratedService => {
  const { service, document } = spec
  const components = document.components?.schemas ?? {}
  const names = modelNames(components)
  const counters = { applied: 0 }

  // One definition per model: for a merged `X` / `XSchema` pair the `XSchema` component.
  const modelSchemas = new Map<string, { readonly component: string; readonly schema: JsonSchema }>()
  for (const [component, model] of names) {
    const current = modelSchemas.get(model)
    if (current === undefined || component.endsWith("Schema")) {
      modelSchemas.set(model, { component, schema: components[component]! })
    }
  }
  const modelOf = (component: string): string => {
    const model = names.get(component)
    if (model === undefined) throw new Error(`${service}: reference to unknown component ${component}`)
    return model
  }

  const patches = new Map<string, ModelPatch>()
  for (const overlay of modelOverlays.filter((entry) => entry.service === service)) {
    const target = modelSchemas.get(overlay.model)
    const declared = target === undefined ? undefined : unwrap(target.schema).properties?.[overlay.property]
    if (overlay.patch.kind === "add") {
      // A property the spec leaves out: added to the model's schema, so it renders like any other.
      if (target === undefined || declared !== undefined || target.schema.$ref !== undefined) {
        throw new Error(`overlay ${service} ${overlay.model}.${overlay.property}: no such model, or already declared`)
      }
      const properties = { ...target.schema.properties, [overlay.property]: overlay.patch.schema }
      modelSchemas.set(overlay.model, { ...target, schema: { ...target.schema, properties } })
    } else if (declared === undefined) {
      throw new Error(`overlay ${service} ${overlay.model}.${overlay.property}: no such model property`)
    } else if (overlay.patch.kind === "anyValues") {
      anyValues(declared) // throws unless the property is a typed map or a list of them
    } else if (overlay.patch.kind === "numericString" && !isNumber(declared)) {
      throw new Error(`overlay ${service} ${overlay.model}.${overlay.property}: numericString on a non-number`)
    }
    patches.set(modelOverlayKey(overlay.model, overlay.property), overlay.patch)
    counters.applied++
  }
  const openModels = new Set<string>()
  for (const entry of openModelOverlays.filter((entry) => entry.service === service)) {
    if (!modelSchemas.has(entry.model)) throw new Error(`overlay ${service} ${entry.model}: no such model`)
    openModels.add(entry.model)
    counters.applied++
  }

  // Operations, named and checked for collisions.
  const operationSpecs: Array<OperationSpec> = []
  const usedOverlays = new Set<OperationOverlay>()
  const byName = new Map<string, string>()
  for (const { method, path, operation } of operationsOf(document)) {
    const overlay = operationOverlays.find(
      (entry) => entry.service === service && entry.method === method && entry.path === path
    )
    if (overlay !== undefined) usedOverlays.add(overlay)
    const success = successOf(service, method, operation, overlay, counters)
    const returnsList = success.some(({ schema }) => {
      const resolved = schema === undefined ? undefined : resolveTop(components, schema)
      return resolved?.type === "array" || resolved?.properties?.["objects"] !== undefined
    })
    const name = operationName({ service, method, path, returnsList })
    const key = `${method.toUpperCase()} ${path}`
    const clash = byName.get(name)
    if (clash !== undefined) {
      throw new Error(
        `${service}: operations ${clash} and ${key} are both named ${name}; add an override in codegen/names.ts`
      )
    }
    if (!isValidIdentifier(name)) throw new Error(`${service} ${key}: ${name} is not a valid identifier`)
    byName.set(name, key)
    const parameters = operation.parameters ?? []
    const templateOrder = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
    const pathParams = templateOrder.map(
      (param): Parameter =>
        parameters.find((candidate) => candidate.in === "path" && candidate.name === param) ??
          { name: param, in: "path", required: true }
    )
    operationSpecs.push({
      name,
      method,
      specPath: path,
      fullPath: spec.baseUrl.replace(/\/$/, "") + path,
      operation,
      pathParams,
      queryParams: parameters.filter((p) => p.in === "query"),
      body: bodyOf(operation),
      success,
      roles: parseRoles(operation.description)
    })
  }
  const namedOperations = new Set(byName.values())
  for (const key of Object.keys(operationNameOverrides).filter((key) => key.startsWith(`${service} `))) {
    if (!namedOperations.has(key.slice(service.length + 1))) {
      throw new Error(`codegen/names.ts: ${key} matches no operation`)
    }
  }
  for (const overlay of operationOverlays.filter((entry) => entry.service === service)) {
    if (!usedOverlays.has(overlay)) {
      throw new Error(`overlay ${service} ${overlay.method} ${overlay.path}: no such operation`)
    }
  }
  operationSpecs.sort((a, b) =>
    a.specPath === b.specPath
      ? methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method)
      : a.specPath < b.specPath
        ? -1
        : 1
  )

  // Input variants: models reachable from request bodies whose input shape differs from the response shape.
  const reachableInInput = new Set<string>()
  const visitInput = (schema: JsonSchema) => {
    for (const component of directReferences(schema, "input")) {
      const model = modelOf(component)
      if (reachableInInput.has(model)) continue
      reachableInInput.add(model)
      visitInput(modelSchemas.get(model)!.schema)
    }
  }
  for (const { body, queryParams } of operationSpecs) {
    if (body !== undefined) visitInput(body.schema)
    for (const param of queryParams) if (param.schema !== undefined) visitInput(param.schema)
  }
  const ownDifference = (model: string): boolean => {
    const node = unwrap(modelSchemas.get(model)!.schema)
    return Object.entries(node.properties ?? {}).some(([property, schema]) => {
      const unwrapped = unwrap(schema)
      const kind = patches.get(modelOverlayKey(model, property))?.kind
      return (
        unwrapped.readOnly === true ||
        kind === "present" || kind === "nullable" || kind === "add" || kind === "numericString" ||
        (unwrapped.writeOnly === true && (node.required ?? []).includes(property))
      )
    })
  }
  const hasInputVariant = new Set([...reachableInInput].filter(ownDifference))
  for (let changed = true; changed; ) {
    changed = false
    for (const model of reachableInInput) {
      if (hasInputVariant.has(model)) continue
      const references = directReferences(modelSchemas.get(model)!.schema, "input")
      if ([...references].some((component) => hasInputVariant.has(modelOf(component)))) {
        hasInputVariant.add(model)
        changed = true
      }
    }
  }
  // `XInput`, or `XBodyInput` where the spec already has a model `XInput` (e.g. Iconik's own `CollectionInputSchema`).
  const inputNames = new Map<string, string>()
  for (const model of [...hasInputVariant].sort()) {
    const name = [`${model}Input`, `${model}BodyInput`].find((candidate) => !modelSchemas.has(candidate))
    if (name === undefined) throw new Error(`${service}: no free name for the input variant of ${model}`)
    inputNames.set(model, name)
  }
  const inputNameOf = (model: string) => inputNames.get(model)!

  // Patch variants: the models PATCH bodies refer to, with every top-level property optional.
  const patchNames = new Map<string, string>()
  for (const { method, body } of operationSpecs) {
    const ref = method === "patch" && body !== undefined ? unwrap(body.schema).$ref : undefined
    if (ref === undefined) continue
    const model = modelOf(refName(ref))
    if (patchNames.has(model) || !hasProperties(modelSchemas.get(model)!.schema)) continue
    const name = [`${model}Patch`, `${model}PatchBody`].find((candidate) => !modelSchemas.has(candidate))
    if (name === undefined) throw new Error(`${service}: no free name for the patch variant of ${model}`)
    patchNames.set(model, name)
  }

  // Emission order: each const after the consts it uses; references within a cycle are suspended.
  const units = new Map<string, { readonly model: string; readonly mode: Mode }>()
  for (const model of modelSchemas.keys()) units.set(model, { model, mode: "output" })
  for (const model of hasInputVariant) units.set(inputNameOf(model), { model, mode: "input" })
  for (const [model, name] of patchNames) units.set(name, { model, mode: "patch" })
  const referenceName = (component: string, mode: Mode) => {
    const model = modelOf(component)
    if (mode === "patch" && patchNames.has(model)) return patchNames.get(model)!
    return mode !== "output" && hasInputVariant.has(model) ? inputNameOf(model) : model
  }
  const dependenciesOf = (unit: string): ReadonlyArray<string> => {
    const { model, mode } = units.get(unit)!
    const references = directReferences(modelSchemas.get(model)!.schema, mode)
    // A patch variant is partial at its top level only: what it refers to is the input variant.
    return [...references].map((component) => referenceName(component, mode === "patch" ? "input" : mode)).sort()
  }
  const order: Array<string> = []
  const visited = new Set<string>()
  const visit = (unit: string) => {
    if (visited.has(unit)) return
    visited.add(unit)
    for (const dependency of dependenciesOf(unit)) visit(dependency)
    order.push(unit)
  }
  for (const unit of [...units.keys()].sort()) visit(unit)
  const position = new Map(order.map((unit, index) => [unit, index]))

  const taken = new Set([...units.keys(), ...moduleIdentifiers])
  // Enums: one const per distinct literal set, named after the first model and property it types (`AssetStatus`,
  // `GetAssetQuerySort`), emitted before every model.
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
  const context: RenderContext = {
    modelOf,
    referenceName,
    mustSuspend: (from, to) => from !== undefined && (position.get(to) ?? -1) >= (position.get(from) ?? Infinity),
    patchOf: (model, property) => patches.get(modelOverlayKey(model, property)),
    isOpen: (model) => openModels.has(model),
    enumName
  }

  const claim = (name: string): string => {
    if (taken.has(name)) throw new Error(`${service}: generated name ${name} is already taken`)
    taken.add(name)
    return name
  }

  const chunks: Array<string> = []
  let schemaCount = 0
  for (const unit of order) {
    const { model, mode } = units.get(unit)!
    const { schema, component } = modelSchemas.get(model)!
    const description = unwrap(schema).description
    const docLines = [description === undefined ? undefined : description.replace(/\*\//g, "*\\/").trim()]
    if (mode === "input") docLines.push(`{@link ${model}} as sent in request bodies: without its read-only properties.`)
    else if (mode === "patch") {
      docLines.push(`{@link ${model}} as sent in PATCH bodies: only the properties that change, none read-only.`)
    }
    else if (component !== model) docLines.push(`Iconik's \`${component}\`.`)
    chunks.push(emitNamedSchema(context, unit, schema, mode, unit, model, docLines))
    schemaCount++
  }

  const operationChunks: Array<string> = []
  const generated: Array<GeneratedOperation> = []
  for (const op of operationSpecs) {
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
    operationChunks.push(local.join("\n"))
    generated.push({ name: op.name, method: op.method.toUpperCase() as Uppercase<HttpMethod>, path: op.fullPath })
  }

  const definitionsList =
    `/** Every operation of the ${service} service, for the client, pagination and the emulator. */\n` +
    `export const definitions: ReadonlyArray<Endpoint.Definition> = ${pure}[\n` +
    operationSpecs.map((op) => `  ${op.name}`).join(",\n") +
    "\n].map((operation) => operation.definition)\n"

  const header =
    `/**\n * The Iconik ${service} service (\`${spec.baseUrl}\`): models and operations.\n *\n` +
    ` * Generated by codegen/generate.ts from \`../shared/iconik-openapi/${service}.json\`; do not edit by hand.\n` +
    " */\n" +
    `import * as Schema from "effect/Schema"\n` +
    `import type * as Endpoint from "../Endpoint.ts"\n` +
    `import * as IconikSchema from "../IconikSchema.ts"\n` +
    `import { operation } from "./${operationModule}"\n`
  const enumChunks = [...enums.values()].map(({ name, literals }) => emitEnum(name, literals))
  const source = [header, ...enumChunks, ...chunks, ...operationChunks, definitionsList].join("\n")
  return {
    service,
    fileName: `${service}.ts`,
    moduleName: camelCase(service),
    source: source
      .split("\n")
      .map((line) => line.trimEnd())
      .join("\n"),
    operations: generated,
    schemaCount,
    overlaysApplied: counters.applied
  }
}

const methodOrder: ReadonlyArray<HttpMethod> = ["get", "post", "put", "patch", "delete"]

/** A schema with a top-level reference followed (one level: enough to see whether an answer is a page). */
const resolveTop = (components: Readonly<Record<string, JsonSchema>>, schema: JsonSchema): JsonSchema => {
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

/**
 * `export const Name: Schema.Codec<Name> = …` named by an `identifier` annotation (decode errors and docs then say
 * `Asset`, not the whole struct), marked pure so a bundler drops it when unused.
 */
const emitConst = (name: string, schema: Doc): string => {
  const head = `export const ${name}: Schema.Codec<${name}> = `
  const annotation = `.annotate({ identifier: ${JSON.stringify(name)} })`
  const printed = print(schema, 0, head.length, annotation.length)
  return head + (printed.startsWith(pure) ? "" : pure) + printed + annotation + "\n"
}

/** An exported interface (or type alias, for non-object schemas) and the const annotated with it. */
const emitNamedSchema = (
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
const emitEnum = (name: string, literals: ReadonlyArray<string>): string => {
  const quoted = literals.map((literal) => JSON.stringify(literal))
  const typeHead = `export type ${name} = `
  return (
    typeHead + print(typeApplication("IconikSchema.OpenEnum", [union(quoted)]), 0, typeHead.length) + "\n" +
    emitConst(name, pureCall("IconikSchema.OpenEnum", [arrayLiteral(quoted)]))
  )
}
