/**
 * Generates the module of one service: reads the spec (models, overlays, operations and their names, input and patch
 * variants, emission order), then assembles what the emitters write: enums and models (emit-models.ts), operations
 * (emit-operations.ts) and `definitions` listing them. The package index and the operation helper: emit-index.ts.
 */
import { emitEnum, emitModel, enumNamer } from "./emit-models.ts"
import { type BodySpec, emitOperation, type OperationSpec, resolveTop } from "./emit-operations.ts"
import { pure } from "./format.ts"
import {
  anyValues,
  directReferences,
  hasProperties,
  isNumber,
  type Mode,
  modelNames,
  type RenderContext,
  unwrap
} from "./models.ts"
import { camelCase, isValidIdentifier, moduleIdentifiers, operationName } from "./naming.ts"
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
  const { enumName, enums } = enumNamer(service, taken)
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
    chunks.push(emitModel(context, unit, units.get(unit)!, modelSchemas.get(units.get(unit)!.model)!))
    schemaCount++
  }

  const operationChunks: Array<string> = []
  const generated: Array<GeneratedOperation> = []
  for (const op of operationSpecs) {
    const emitted = emitOperation({ service, components, render: context, claim }, op)
    operationChunks.push(emitted.source)
    schemaCount += emitted.schemaCount
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
    `import { operation } from "./operation.ts"\n`
  const enumChunks = enums().map(({ name, literals }) => emitEnum(name, literals))
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

