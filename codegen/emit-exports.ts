/**
 * The `exports` of package.json for the generated code: `effect-iconik/generated` (the barrel) and one entry per
 * service, `effect-iconik/generated/<service>`. A program that imports the service's own entry as a namespace lets
 * a bundler keep only the operations and models it calls; the barrel's `export * as` namespaces are kept whole.
 * Written by `npm run generate` so a new service gets its entry; `--check` reports an entry missing or stale.
 */
import type { GeneratedService } from "./service.ts"

interface Target {
  readonly types: string
  readonly default: string
}

const target = (module: string): Target => ({
  types: `./dist/src/generated/${module}.d.ts`,
  default: `./dist/src/generated/${module}.js`
})

/** The subpath of a service's own entry: `./generated/users-notifications`. */
export const serviceSubpath = (service: GeneratedService) => `./generated/${service.fileName.replace(/\.ts$/, "")}`

/**
 * `exports` with the generated entries as `services` make them: the barrel, then each service's entry right after
 * it (sorted), every other entry kept in place. A `./generated/<name>` entry of a service that is gone is removed.
 */
export const withGeneratedExports = (
  exports: Readonly<Record<string, unknown>>,
  services: ReadonlyArray<GeneratedService>
): Record<string, unknown> => {
  const generated: Record<string, Target> = { "./generated": target("index") }
  for (const service of [...services].sort((a, b) => a.fileName.localeCompare(b.fileName))) {
    generated[serviceSubpath(service)] = target(service.fileName.replace(/\.ts$/, ""))
  }
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(exports)) {
    if (key === "./generated" || key.startsWith("./generated/")) {
      if (key === "./generated") Object.assign(result, generated)
      continue
    }
    result[key] = value
  }
  // No barrel entry yet: the generated entries go after the main one.
  if (!("./generated" in result)) Object.assign(result, generated)
  return result
}

/** package.json's text with its `exports` updated (the file's two-space layout kept). */
export const packageJsonSource = (text: string, services: ReadonlyArray<GeneratedService>): string => {
  const manifest = JSON.parse(text) as Record<string, unknown>
  const exports = (manifest["exports"] ?? {}) as Record<string, unknown>
  return `${JSON.stringify({ ...manifest, exports: withGeneratedExports(exports, services) }, null, 2)}\n`
}
