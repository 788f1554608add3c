/**
 * The subset of OpenAPI 3.0 that Iconik's specs use, and loading them. The specs live outside the repository, in
 * `../shared/iconik-openapi` relative to the repository root; they are read, never copied.
 */
import * as fs from "node:fs"
import * as path from "node:path"

export interface JsonSchema {
  readonly $ref?: string
  readonly type?: string
  readonly format?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly nullable?: boolean
  readonly readOnly?: boolean
  readonly writeOnly?: boolean
  readonly description?: string
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: JsonSchema | boolean
  readonly items?: JsonSchema
  readonly allOf?: ReadonlyArray<JsonSchema>
  readonly oneOf?: ReadonlyArray<JsonSchema>
  readonly anyOf?: ReadonlyArray<JsonSchema>
}

export interface MediaType {
  readonly schema?: JsonSchema
}

export interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header" | "cookie"
  readonly required?: boolean
  readonly description?: string
  readonly schema?: JsonSchema
}

export interface Response {
  readonly description?: string
  readonly content?: Readonly<Record<string, MediaType>>
}

export interface Operation {
  readonly summary?: string
  readonly description?: string
  readonly deprecated?: boolean
  readonly parameters?: ReadonlyArray<Parameter>
  readonly requestBody?: {
    readonly required?: boolean
    readonly content: Readonly<Record<string, MediaType>>
  }
  readonly responses: Readonly<Record<string, Response>>
}

export const httpMethods = ["get", "post", "put", "patch", "delete"] as const
export type HttpMethod = (typeof httpMethods)[number]

export type PathItem = Partial<Record<HttpMethod, Operation>>

export interface Document {
  readonly servers: ReadonlyArray<{ readonly url: string }>
  readonly paths: Readonly<Record<string, PathItem>>
  readonly components?: { readonly schemas?: Readonly<Record<string, JsonSchema>> }
}

export interface ServiceSpec {
  /** The service's segment in `/API/<service>/`, e.g. `users-notifications`. */
  readonly service: string
  /** `servers[0].url`, e.g. `/API/assets/`. */
  readonly baseUrl: string
  readonly document: Document
}

/** The specs folder: `../shared/iconik-openapi` relative to the repository root. */
export const specsDirectory = (repoRoot: string): string => path.resolve(repoRoot, "..", "shared", "iconik-openapi")

/** Reads every `*.json` spec in the folder, sorted by service. */
export const loadSpecs = (directory: string): ReadonlyArray<ServiceSpec> =>
  fs
    .readdirSync(directory)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const document = JSON.parse(fs.readFileSync(path.join(directory, file), "utf8")) as Document
      const baseUrl = document.servers[0]?.url
      const match = baseUrl === undefined ? null : /^\/API\/([a-z0-9-]+)\/$/.exec(baseUrl)
      if (baseUrl === undefined || match === null) {
        throw new Error(`${file}: servers[0].url must look like /API/<service>/, got ${String(baseUrl)}`)
      }
      return { service: match[1]!, baseUrl, document }
    })

/** The component name a `#/components/schemas/<name>` reference points to. */
export const refName = (ref: string): string => {
  const prefix = "#/components/schemas/"
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`)
  return ref.slice(prefix.length)
}

/** Every (method, path, operation) of a spec; placeholder path items without operations contribute nothing. */
export const operationsOf = (
  document: Document
): ReadonlyArray<{ readonly method: HttpMethod; readonly path: string; readonly operation: Operation }> =>
  Object.entries(document.paths).flatMap(([specPath, item]) =>
    httpMethods.flatMap((method) => {
      const operation = item[method]
      return operation === undefined ? [] : [{ method, path: specPath, operation }]
    })
  )
