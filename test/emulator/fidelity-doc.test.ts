/**
 * docs/emulator.md lists which operations are specific and which generic: the table between its `fidelity` markers is
 * generated from the routes, and this test fails when it is stale. `UPDATE_EMULATOR_DOC=1` rewrites it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { allDefinitions } from "../../src/generated/index.ts"
import { fidelityMarkdown, fidelityRows } from "../../src/testing/emulator/Fidelity.ts"
import { routes } from "../../src/testing/index.ts"

const docPath = path.resolve(import.meta.dirname, "..", "..", "docs", "emulator.md")
const begin = "<!-- fidelity:begin (generated from the routes; UPDATE_EMULATOR_DOC=1 regenerates) -->"
const end = "<!-- fidelity:end -->"

describe("docs/emulator.md", () => {
  it("lists the specific and generic operations as the routes are now", () => {
    const doc = fs.readFileSync(docPath, "utf8")
    const start = doc.indexOf(begin)
    const stop = doc.indexOf(end)
    assert.isTrue(start >= 0 && stop > start, "the fidelity markers are in the doc")
    const current = `${begin}\n\n${fidelityMarkdown(allDefinitions, routes)}\n${end}`
    const written = doc.slice(start, stop + end.length)
    if (process.env.UPDATE_EMULATOR_DOC === "1" && written !== current) {
      fs.writeFileSync(docPath, doc.slice(0, start) + current + doc.slice(stop + end.length))
      return
    }
    assert.strictEqual(written, current, "the fidelity table is stale: run with UPDATE_EMULATOR_DOC=1")
  })

  it("counts every operation once", () => {
    const rows = fidelityRows(allDefinitions, routes)
    const counted = rows.reduce((sum, row) => sum + row.specific.length + row.generic.length, 0)
    assert.strictEqual(counted, allDefinitions.length)
    assert.isAbove(rows.find((row) => row.service === "files")!.specific.length, 80)
  })
})
