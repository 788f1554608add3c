/**
 * Every operation in Iconik's specs has exactly one generated definition and function. Reads the specs directly (not
 * through the generator), so an operation the generator drops makes this fail.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Definition } from "../src/Endpoint.ts"
import * as generated from "../src/generated/index.ts"

const specsDirectory = path.resolve(import.meta.dirname, "..", "..", "shared", "iconik-openapi")
const methods = ["get", "post", "put", "patch", "delete"] as const

interface SpecOperation {
  readonly service: string
  readonly method: string
  readonly path: string
}

const readSpecOperations = (): ReadonlyArray<SpecOperation> =>
  fs
    .readdirSync(specsDirectory)
    .filter((file) => file.endsWith(".json"))
    .flatMap((file) => {
      const document = JSON.parse(fs.readFileSync(path.join(specsDirectory, file), "utf8")) as {
        servers: ReadonlyArray<{ url: string }>
        paths: Record<string, Record<string, unknown>>
      }
      const base = document.servers[0]!.url.replace(/\/$/, "")
      const service = base.split("/")[2]!
      return Object.entries(document.paths).flatMap(([specPath, item]) =>
        methods
          .filter((method) => item[method] !== undefined)
          .map((method) => ({ service, method: method.toUpperCase(), path: base + specPath }))
      )
    })

const moduleName = (service: string) => service.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())

const modules = generated as unknown as Record<string, Record<string, unknown> | undefined>

if (!fs.existsSync(specsDirectory)) {
  describe("generated coverage", () => {
    it.skip("skipped: the Iconik specs (../shared/iconik-openapi relative to the repository root) are absent", () => {})
  })
} else {
  describe("generated coverage", () => {
    const specOperations = readSpecOperations()
    const definitions = generated.allDefinitions

    it("reads a plausible number of operations from the specs", () => {
      assert.isAtLeast(specOperations.length, 800)
    })

    it("has exactly one definition per spec operation, with the right method, full path and service", () => {
      const missing: Array<string> = []
      const duplicated: Array<string> = []
      for (const operation of specOperations) {
        const matches = definitions.filter(
          (definition) => definition.method === operation.method && definition.path === operation.path
        )
        if (matches.length === 0) missing.push(`${operation.method} ${operation.path}`)
        if (matches.length > 1) duplicated.push(`${operation.method} ${operation.path}`)
        for (const match of matches) assert.strictEqual(match.service, operation.service, match.path)
      }
      assert.deepStrictEqual(missing, [], "spec operations without a definition")
      assert.deepStrictEqual(duplicated, [], "spec operations with several definitions")
      assert.strictEqual(definitions.length, specOperations.length, "definitions that match no spec operation")
    })

    it("exports each definition's function from its service module", () => {
      const absent: Array<string> = []
      for (const definition of definitions) {
        const operation: unknown = modules[moduleName(definition.service)]?.[definition.name]
        if (typeof operation !== "function" || (operation as { definition?: Definition }).definition !== definition) {
          absent.push(`${moduleName(definition.service)}.${definition.name}`)
        }
      }
      assert.deepStrictEqual(absent, [])
    })

    it("never gives two operations of a service the same name", () => {
      const seen = new Map<string, string>()
      const collisions: Array<string> = []
      for (const definition of definitions) {
        const key = `${definition.service}.${definition.name}`
        const previous = seen.get(key)
        if (previous !== undefined) collisions.push(`${key}: ${previous} and ${definition.method} ${definition.path}`)
        seen.set(key, `${definition.method} ${definition.path}`)
      }
      assert.deepStrictEqual(collisions, [])
    })

    it("lists the path parameters of each path template, in order", () => {
      for (const definition of definitions) {
        const template = [...definition.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1])
        assert.deepStrictEqual([...definition.pathParams], template, definition.path)
      }
    })
  })
}
