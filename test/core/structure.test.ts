/**
 * No import cycles among the shipped modules (`src/**` and `workflows/**`), type-only imports included: a cycle makes
 * two modules one concern, and at run time it leaves one of them half-initialised when the other loads first. Imports
 * and re-exports are read with the TypeScript compiler's own pre-processor, so comments and strings do not count.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import * as Iconik from "../../src/IconikClient.ts"
import { Storage, StorageClient } from "../../src/storage/index.ts"

const root = path.resolve(import.meta.dirname, "../..")
const roots = ["src", "workflows"]

const relative = (file: string) => path.relative(root, file).split(path.sep).join("/")

const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(full)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : []
  })

/** The project file a relative specifier names (`./X.ts`, `./X.js`, `./X`, `./dir`), or undefined. */
const resolve = (from: string, specifier: string): string | undefined => {
  if (!specifier.startsWith(".")) return undefined
  const base = path.resolve(path.dirname(from), specifier)
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, path.join(base, "index.ts")]
  return candidates.find((candidate) => candidate.endsWith(".ts") && fs.existsSync(candidate))
}

/** Every module's project imports: `import`, `import type`, `export ... from`, `import("...")`. */
const importGraph = (): Map<string, Set<string>> => {
  const graph = new Map<string, Set<string>>()
  for (const file of roots.flatMap((dir) => sourceFiles(path.join(root, dir))).sort()) {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true)
    const targets = new Set<string>()
    for (const imported of info.importedFiles) {
      const target = resolve(file, imported.fileName)
      if (target !== undefined) targets.add(relative(target))
    }
    graph.set(relative(file), targets)
  }
  return graph
}

/**
 * Every elementary cycle, each rotated to start at its smallest module (so one cycle has one spelling). From each
 * start, only modules after it are walked, so each cycle is found once. Stops past `limit` cycles.
 */
const cycles = (graph: Map<string, Set<string>>, limit = 500): Array<Array<string>> => {
  const nodes = [...graph.keys()].sort()
  const found: Array<Array<string>> = []
  for (const start of nodes) {
    const stack: Array<string> = [start]
    const onStack = new Set([start])
    const walk = (node: string) => {
      for (const next of graph.get(node) ?? []) {
        if (found.length > limit) return
        if (next === start) found.push([...stack])
        else if (next > start && !onStack.has(next) && graph.has(next)) {
          stack.push(next)
          onStack.add(next)
          walk(next)
          stack.pop()
          onStack.delete(next)
        }
      }
    }
    walk(start)
  }
  return found
}

const spell = (cycle: ReadonlyArray<string>) => [...cycle, cycle[0]].join(" -> ")

/**
 * Cycles allowed to remain, each spelled as the test prints it (none today: the emulator's were untangled by moving
 * its records to `Records.ts`, its replies and failures to `Reply.ts`, and giving the search index its own view of the
 * state). A line added here must say why the cycle cannot be broken.
 */
const known: ReadonlyArray<string> = []

describe("module structure", () => {
  const graph = importGraph()

  it("reads the imports it is meant to check", () => {
    // Guards the reader itself: a parser that saw nothing would find no cycle.
    assert.isAbove(graph.size, 50)
    assert.isTrue(graph.get("src/Endpoint.ts")?.has("src/IconikClient.ts"))
    assert.isTrue(graph.get("src/IconikClient.ts")?.has("src/Definition.ts"))
  })

  it("finds a cycle when there is one", () => {
    const sample = new Map([
      ["a.ts", new Set(["b.ts"])],
      ["b.ts", new Set(["c.ts"])],
      ["c.ts", new Set(["a.ts", "d.ts"])],
      ["d.ts", new Set<string>()]
    ])
    assert.deepStrictEqual(cycles(sample).map(spell), ["a.ts -> b.ts -> c.ts -> a.ts"])
  })

  it("Definition.ts imports nothing from the SDK", () => {
    assert.deepStrictEqual([...graph.get("src/Definition.ts") ?? []], [])
  })

  it("has no import cycle but the known ones", () => {
    const found = cycles(graph).map(spell)
    const unknown = found.filter((cycle) => !known.includes(cycle))
    assert.deepStrictEqual(unknown, [], `import cycles:\n${unknown.join("\n")}`)
    const gone = known.filter((cycle) => !found.includes(cycle))
    assert.deepStrictEqual(gone, [], `known cycles no longer there (remove them from the list):\n${gone.join("\n")}`)
  })
})

describe("client layers", () => {
  it("both clients are built by module functions: Iconik.layer(options), Storage.layer(options)", () => {
    assert.isFunction(Iconik.layer)
    assert.isFunction(Iconik.layerConfig)
    assert.isFunction(Storage.layer)
    assert.isFunction(Storage.make)
  })

  it.effect("Storage.layer() and its deprecated aliases provide the storage client", () =>
    Effect.gen(function*() {
      const layers = [Storage.layer(), Storage.layer({ retry: false }), StorageClient.layer, StorageClient.layerOptions({})]
      for (const layer of layers) {
        const client = yield* Effect.provide(StorageClient.useSync((client) => client), layer)
        assert.isFunction(client.send)
      }
    }))
})
