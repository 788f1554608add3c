/**
 * A renamed operation keeps its old name as a `@deprecated` alias, and the API check calls that "deprecated", not
 * "removed". The rename is faked: a small spec whose one path changes between two versions, so the derived name
 * goes from `getWidget` to `getGizmo`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { applyRenames, parseRenames, type Rename, withDeprecatedAliases } from "../../codegen/renames.ts"
import { generateService } from "../../codegen/service.ts"
import type { ServiceSpec } from "../../codegen/spec.ts"
import { buildConfig, compare, parse, readSurface, render } from "../../scripts/api-surface.ts"

const repoRoot = path.resolve(import.meta.dirname, "..", "..")

/** One GET on `/v1/<resource>/{id}/` with a query parameter and an inline response: named `get<Resource>`. */
const spec = (resource: string): ServiceSpec => ({
  service: "widgets",
  baseUrl: "/API/widgets/",
  document: {
    servers: [{ url: "/API/widgets/" }],
    paths: {
      [`/v1/${resource}/{id}/`]: {
        get: {
          summary: "One widget",
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string" } },
            { name: "verbose", in: "query", schema: { type: "boolean" } }
          ],
          responses: {
            "200": {
              content: { "application/json": { schema: { type: "object", properties: { id: { type: "string" } } } } }
            }
          }
        }
      }
    }
  }
})

const renames: ReadonlyArray<Rename> = parseRenames(
  JSON.stringify({ $comment: "test", widgets: { getWidget: { to: "getGizmo", since: "0.2.0" } } })
)

describe("deprecated aliases of renamed operations", () => {
  it("the generator appends the old names as @deprecated aliases of the new operation and its types", () => {
    const before = generateService(spec("widgets"))
    const after = withDeprecatedAliases(generateService(spec("gizmos")), renames)
    assert.deepStrictEqual(before.operations.map((operation) => operation.name), ["getWidget"])
    assert.deepStrictEqual(after.operations.map((operation) => operation.name), ["getGizmo"])
    assert.include(after.source, "/** @deprecated Use {@link getGizmo} (renamed in 0.2.0: docs/compatibility.md). */\n" +
      "export const getWidget = getGizmo\n")
    assert.include(after.source, "export type GetWidgetQuery = GetGizmoQuery\n")
    assert.include(after.source, "export const GetWidgetQuery = GetGizmoQuery\n")
    assert.include(after.source, "export type GetWidgetResponse = GetGizmoResponse\n")
    // Without the rename, the module is what the generator wrote.
    assert.strictEqual(withDeprecatedAliases(before, []).source, before.source)
  })

  it("a rename to a missing operation, from a name still in use, or of an unknown service is an error", () => {
    const gizmos = generateService(spec("gizmos"))
    const widgets = generateService(spec("widgets"))
    assert.throws(
      () => withDeprecatedAliases(widgets, renames),
      /widgets\.getWidget → getGizmo: no operation getGizmo/
    )
    const backwards = parseRenames(JSON.stringify({ widgets: { getGizmo: { to: "getGizmo", since: "0.2.0" } } }))
    assert.throws(() => withDeprecatedAliases(gizmos, backwards), /getGizmo is already a name of the module/)
    const elsewhere = parseRenames(JSON.stringify({ gadgets: { getWidget: { to: "getGizmo", since: "0.2.0" } } }))
    assert.throws(() => applyRenames([gizmos], elsewhere), /gadgets\.getWidget names no known service/)
    assert.throws(() => parseRenames(JSON.stringify({ widgets: { getWidget: "getGizmo" } })), /expected \{ "to"/)
  })

  it("the alias works at run time and api:check reports it as deprecated, not removed", async () => {
    // Inside the repository (in the ignored .tmp/), so the modules resolve `effect` from its node_modules.
    fs.mkdirSync(path.join(repoRoot, ".tmp"), { recursive: true })
    const directory = fs.mkdtempSync(path.join(repoRoot, ".tmp", "renames-"))
    try {
      // The generated modules import `../Endpoint.ts`, `../IconikSchema.ts` and `./operation.ts`: point them at the package's.
      const write = (name: string, source: string) => {
        const file = path.join(directory, `${name}.ts`)
        fs.writeFileSync(
          file,
          source
            .replace('"../Endpoint.ts"', JSON.stringify(path.join(repoRoot, "src", "Endpoint.ts")))
            .replace('"../IconikSchema.ts"', JSON.stringify(path.join(repoRoot, "src", "IconikSchema.ts")))
            .replace('"./operation.ts"', JSON.stringify(path.join(repoRoot, "src", "generated", "operation.ts")))
        )
        return file
      }
      const beforeFile = write("before", generateService(spec("widgets")).source)
      const afterFile = write("after", withDeprecatedAliases(generateService(spec("gizmos")), renames).source)

      const module = (await import(pathToFileURL(afterFile).href)) as Record<string, { definition: { name: string } }>
      assert.strictEqual(module["getWidget"], module["getGizmo"])
      assert.strictEqual(module["getWidget"]!.definition.name, "getGizmo")

      const { options } = buildConfig(repoRoot)
      const report = (file: string) =>
        parse(render(readSurface([{ entryPoint: "effect-iconik/generated", file }], { options, fileNames: [] })))
      const difference = compare(report(beforeFile), report(afterFile))
      const names = (lines: ReadonlyArray<string>) => lines.map((line) => line.split(/\s+/)[1])

      assert.deepStrictEqual(difference.removed, [])
      assert.deepStrictEqual(
        names(difference.deprecated).sort(),
        ["GetWidgetQuery", "GetWidgetQuery", "GetWidgetResponse", "GetWidgetResponse", "getWidget"]
      )
      assert.includeMembers(names(difference.added), ["getGizmo", "GetGizmoQuery", "GetGizmoResponse"])
      // The members of the old types are still there, unchanged.
      assert.deepStrictEqual(difference.changed, [])
    } finally {
      fs.rmSync(directory, { recursive: true, force: true })
    }
  }, 180_000)
})
