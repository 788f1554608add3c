/**
 * Generates `src/generated/<service>.ts` for every Iconik spec in `../shared/iconik-openapi` (relative to the
 * repository root) plus `src/generated/index.ts`, and package.json's `exports` entry for each service
 * (`codegen/emit-exports.ts`).
 *
 *   node codegen/generate.ts          write the files (and remove stale ones)
 *   node codegen/generate.ts --check  regenerate in memory; exit 1 listing the files that differ from the repository
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { operationNameOverrides } from "./names.ts"
import { applyRenames, loadRenames } from "./renames.ts"
import { packageJsonSource } from "./emit-exports.ts"
import { indexSource, operationModule, operationSource } from "./emit-index.ts"
import { generateService, type GeneratedService } from "./service.ts"
import { loadSpecs, specsDirectory } from "./spec.ts"

export interface Generated {
  readonly services: ReadonlyArray<GeneratedService>
  /** File name (relative to src/generated) → contents. */
  readonly files: ReadonlyMap<string, string>
}

/** Generates every module in memory. */
export const generate = (repoRoot: string): Generated => {
  const specs = loadSpecs(specsDirectory(repoRoot))
  const known = new Set(specs.map((spec) => spec.service))
  for (const key of Object.keys(operationNameOverrides)) {
    if (!known.has(key.split(" ")[0]!)) throw new Error(`codegen/names.ts: ${key} names no known service`)
  }
  const services = applyRenames(specs.map(generateService), loadRenames(path.join(repoRoot, "codegen", "renames.json")))
  const files = new Map<string, string>()
  for (const service of services) {
    if (service.fileName === operationModule || service.fileName === "index.ts") {
      throw new Error(`service ${service.service}: its module would replace src/generated/${service.fileName}`)
    }
    files.set(service.fileName, service.source)
  }
  files.set(operationModule, operationSource)
  files.set("index.ts", indexSource(services))
  return { services, files }
}

const main = () => {
  const repoRoot = path.resolve(import.meta.dirname, "..")
  const outputDirectory = path.join(repoRoot, "src", "generated")
  const check = process.argv.includes("--check")
  const { services, files } = generate(repoRoot)
  const existing = fs.existsSync(outputDirectory)
    ? fs.readdirSync(outputDirectory).filter((file) => file.endsWith(".ts"))
    : []
  const stale = existing.filter((file) => !files.has(file))
  const differing = [...files].filter(([file, source]) => {
    const target = path.join(outputDirectory, file)
    return !fs.existsSync(target) || fs.readFileSync(target, "utf8") !== source
  })
  const packageJsonPath = path.join(repoRoot, "package.json")
  const packageJson = fs.readFileSync(packageJsonPath, "utf8")
  const packageJsonWanted = packageJsonSource(packageJson, services)
  const packageJsonDiffers = packageJson !== packageJsonWanted

  if (check) {
    const problems = [
      ...differing.map(([file]) => `  differs: src/generated/${file}`),
      ...stale.map((file) => `  stale: src/generated/${file}`),
      ...(packageJsonDiffers ? ["  differs: package.json exports (an entry per service)"] : [])
    ]
    if (problems.length > 0) {
      console.error(`Generated code is out of date (run npm run generate):\n${problems.join("\n")}`)
      process.exit(1)
    }
    console.log(`src/generated is up to date (${files.size} files).`)
    return
  }

  fs.mkdirSync(outputDirectory, { recursive: true })
  for (const [file, source] of differing) fs.writeFileSync(path.join(outputDirectory, file), source)
  for (const file of stale) fs.rmSync(path.join(outputDirectory, file))
  if (packageJsonDiffers) fs.writeFileSync(packageJsonPath, packageJsonWanted)
  const operations = services.reduce((sum, service) => sum + service.operations.length, 0)
  const schemas = services.reduce((sum, service) => sum + service.schemaCount, 0)
  const overlays = services.reduce((sum, service) => sum + service.overlaysApplied, 0)
  for (const service of services) {
    const operationCount = String(service.operations.length).padStart(4)
    const schemaCount = String(service.schemaCount).padStart(5)
    console.log(`${service.service.padEnd(20)} ${operationCount} operations ${schemaCount} schemas`)
  }
  console.log(`total: ${operations} operations, ${schemas} schemas, ${overlays} overlay applications`)
  console.log(`${differing.length} files written, ${stale.length} removed${packageJsonDiffers ? ", package.json exports updated" : ""}`)
}

// Run only as a script, not when a test imports `generate`.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) main()
