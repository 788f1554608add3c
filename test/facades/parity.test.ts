/**
 * docs/pythonik-parity.md must name, for each of Pythonik's 104 methods, effect-iconik functions that exist. When the
 * shared reference list is next to the repository (../shared/pythonik-parity.md), the method names must match it too.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Assets from "../../src/Assets.ts"
import * as Collections from "../../src/Collections.ts"
import * as Files from "../../src/Files.ts"
import * as Jobs from "../../src/Jobs.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Search from "../../src/Search.ts"
import { skipTitle } from "../support/skip.ts"

const root = path.resolve(import.meta.dirname, "../..")
const facades: Record<string, Record<string, unknown>> = { Assets, Collections, Files, Jobs, Metadata, Search }

interface Row {
  readonly method: string
  readonly references: ReadonlyArray<string>
}

/** `## `AssetSpec` → …` / `## 2. `AssetSpec` — …` headings, then the first backticked name of each table row. */
const pythonikMethods = (markdown: string, withReferences: boolean): Array<Row> => {
  const rows: Array<Row> = []
  let spec: string | undefined
  for (const line of markdown.split("\n")) {
    if (line.startsWith("## ")) {
      spec = /`(\w+Spec)`/.exec(line)?.[1]
      continue
    }
    if (spec === undefined || !line.startsWith("| `")) continue
    const cells = line.split("|").map((cell) => cell.trim())
    const names = [...cells[1]!.matchAll(/`([a-z_][a-z0-9_]*)\s*(?:\(|`)/g)].map((m) => m[1]!)
    const references = withReferences ? [...cells[2]!.matchAll(/`([A-Z]\w*)\.(\w+)`/g)].map((m) => `${m[1]}.${m[2]}`) : []
    for (const name of names) rows.push({ method: `${spec}.${name}`, references })
  }
  return rows
}

/** The module behind a reference: a facade, or a storage-layer module under src/storage. */
const moduleFor = async (name: string): Promise<Record<string, unknown> | undefined> => {
  if (name in facades) return facades[name]
  const file = path.join(root, "src", "storage", `${name}.ts`)
  return fs.existsSync(file) ? await import(file) : undefined
}

const doc = fs.readFileSync(path.join(root, "docs", "pythonik-parity.md"), "utf8")
const rows = pythonikMethods(doc, true)

describe("docs/pythonik-parity.md", () => {
  it("lists each of Pythonik's 104 methods once", () => {
    const methods = rows.map((row) => row.method)
    assert.strictEqual(methods.length, 104)
    assert.strictEqual(new Set(methods).size, 104, "a method is listed twice")
  })

  it("maps every method to at least one facade function", () => {
    for (const row of rows) {
      assert.ok(row.references.some((ref) => ref.split(".")[0]! in facades), `${row.method} has no facade function`)
    }
  })

  it("names only functions that exist", async () => {
    for (const row of rows) {
      for (const reference of row.references) {
        const [moduleName, functionName] = reference.split(".") as [string, string]
        const module = await moduleFor(moduleName)
        assert.ok(module !== undefined, `${row.method}: no module ${moduleName}`)
        assert.strictEqual(typeof module![functionName], "function", `${row.method}: ${reference} is not a function`)
      }
    }
  })

  const reference = path.resolve(root, "..", "shared", "pythonik-parity.md")
  const absent = fs.existsSync(reference) ? undefined : "../shared/pythonik-parity.md is absent"
  it.skipIf(absent !== undefined)(skipTitle("covers exactly the methods of the shared Pythonik reference", absent), () => {
    const expected = pythonikMethods(fs.readFileSync(reference, "utf8"), false).map((row) => row.method).sort()
    assert.deepStrictEqual(rows.map((row) => row.method).sort(), expected)
  })
})
