/**
 * Deprecated aliases for renamed operations. When a newer spec changes an operation's derived name (a new path, a
 * new override in names.ts), the old name must keep working for a deprecation window (docs/compatibility.md): the
 * rename is recorded in `codegen/renames.json` and the generator appends, to the service's module, the old name and
 * the old names of the operation's own types (`<Name>Query`, `<Name>Body`, `<Name>Response…`) as `@deprecated`
 * aliases of the new ones.
 *
 * renames.json: `{ "<service>": { "<oldName>": { "to": "<newName>", "since": "<version>" } } }`. An alias is
 * removed with its entry, in a major version, once the window is over. When an operation is renamed again, point
 * every older entry at the newest name.
 */
import * as fs from "node:fs"
import { pascalCase } from "./naming.ts"
import type { GeneratedService } from "./service.ts"

export interface Rename {
  readonly service: string
  /** The name users may still import. */
  readonly from: string
  /** The operation's current name. */
  readonly to: string
  /** The version that made the rename. */
  readonly since: string
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The renames of a renames.json text, checked for shape. */
export const parseRenames = (text: string, file = "codegen/renames.json"): ReadonlyArray<Rename> => {
  const data: unknown = JSON.parse(text)
  if (!isRecord(data)) throw new Error(`${file}: expected an object of services`)
  const renames: Array<Rename> = []
  for (const [service, entries] of Object.entries(data)) {
    if (service.startsWith("$")) continue // "$comment"
    if (!isRecord(entries)) throw new Error(`${file}: ${service}: expected an object of old name → { to, since }`)
    for (const [from, entry] of Object.entries(entries)) {
      if (!isRecord(entry) || typeof entry["to"] !== "string" || typeof entry["since"] !== "string") {
        throw new Error(`${file}: ${service}.${from}: expected { "to": "<newName>", "since": "<version>" }`)
      }
      renames.push({ service, from, to: entry["to"], since: entry["since"] })
    }
  }
  return renames
}

export const loadRenames = (file: string): ReadonlyArray<Rename> =>
  fs.existsSync(file) ? parseRenames(fs.readFileSync(file, "utf8"), file) : []

/** The names a module declares at top level (`export const|interface|type <name>`). */
const exportedNames = (source: string): ReadonlySet<string> =>
  new Set([...source.matchAll(/^export (?:const|interface|type) ([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]!))

/** The module with the deprecated aliases of its renamed operations appended. */
export const withDeprecatedAliases = (service: GeneratedService, renames: ReadonlyArray<Rename>): GeneratedService => {
  const own = renames.filter((rename) => rename.service === service.service)
  if (own.length === 0) return service
  const declared = exportedNames(service.source)
  const operations = new Set(service.operations.map((operation) => operation.name))
  const chunks: Array<string> = []
  const aliased = new Set<string>()
  const claim = (rename: Rename, name: string) => {
    if (declared.has(name) || aliased.has(name)) {
      throw new Error(
        `codegen/renames.json: ${service.service}.${rename.from} → ${rename.to}: ${name} is already a name of the ` +
          `module; remove the rename (the old name is in use again)`
      )
    }
    aliased.add(name)
  }
  for (const rename of [...own].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))) {
    if (!operations.has(rename.to)) {
      throw new Error(
        `codegen/renames.json: ${service.service}.${rename.from} → ${rename.to}: no operation ${rename.to} ` +
          `(renamed again? point the entry at the current name)`
      )
    }
    const why = `renamed in ${rename.since}: docs/compatibility.md`
    claim(rename, rename.from)
    chunks.push(`/** @deprecated Use {@link ${rename.to}} (${why}). */\nexport const ${rename.from} = ${rename.to}\n`)
    // The operation's own types: its name in PascalCase and a suffix (see service.ts).
    const newBase = pascalCase(rename.to)
    const oldBase = pascalCase(rename.from)
    for (const name of [...declared].sort()) {
      const suffix = name.startsWith(newBase) ? name.slice(newBase.length) : undefined
      if (suffix === undefined || !/^(Query|Body|Response\d*)$/.test(suffix)) continue
      const old = oldBase + suffix
      claim(rename, old)
      const doc = `/** @deprecated Use {@link ${name}} (${why}). */\n`
      chunks.push(`${doc}export type ${old} = ${name}\n${doc}export const ${old} = ${name}\n`)
    }
  }
  const section = `// Deprecated names of renamed operations (codegen/renames.json).\n\n${chunks.join("\n")}`
  return { ...service, source: `${service.source}\n${section}` }
}

/** Every service with its aliases; a rename naming no service is an error. */
export const applyRenames = (
  services: ReadonlyArray<GeneratedService>,
  renames: ReadonlyArray<Rename>
): ReadonlyArray<GeneratedService> => {
  const known = new Set(services.map((service) => service.service))
  for (const rename of renames) {
    if (!known.has(rename.service)) {
      throw new Error(`codegen/renames.json: ${rename.service}.${rename.from} names no known service`)
    }
  }
  return services.map((service) => withDeprecatedAliases(service, renames))
}
