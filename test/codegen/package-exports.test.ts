/**
 * package.json `exports` as the generator writes it: the barrel and an entry per service, each pointing at that
 * service's compiled module and its declarations; other entries kept in place; a gone service's entry removed. And
 * the committed package.json is what the generator would write.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { packageJsonSource, withGeneratedExports } from "../../codegen/emit-exports.ts"
import type { GeneratedService } from "../../codegen/service.ts"
import { generate } from "../../codegen/generate.ts"

const root = Path.join(import.meta.dirname, "..", "..")
const service = (fileName: string) => ({ fileName }) as GeneratedService

describe("package.json exports", () => {
  it("has the barrel then one entry per service, other entries kept, a gone service's entry removed", () => {
    const exports = withGeneratedExports(
      {
        ".": { types: "./dist/src/index.d.ts", default: "./dist/src/index.js" },
        "./generated": { types: "old", default: "old" },
        "./generated/retired": { types: "./dist/src/generated/retired.d.ts", default: "./dist/src/generated/retired.js" },
        "./testing": { types: "./dist/src/testing/index.d.ts", default: "./dist/src/testing/index.js" }
      },
      [service("users.ts"), service("assets.ts"), service("users-notifications.ts")]
    )
    assert.deepStrictEqual(Object.keys(exports), [
      ".",
      "./generated",
      "./generated/assets",
      "./generated/users-notifications",
      "./generated/users",
      "./testing"
    ])
    assert.deepStrictEqual(exports["./generated"], {
      types: "./dist/src/generated/index.d.ts",
      default: "./dist/src/generated/index.js"
    })
    assert.deepStrictEqual(exports["./generated/users-notifications"], {
      types: "./dist/src/generated/users-notifications.d.ts",
      default: "./dist/src/generated/users-notifications.js"
    })
  })

  it("the committed package.json has an entry for every generated service, compiled from its module", () => {
    const text = Fs.readFileSync(Path.join(root, "package.json"), "utf8")
    const { services } = generate(root)
    assert.strictEqual(packageJsonSource(text, services), text)
    const exports = JSON.parse(text).exports as Record<string, { types: string; default: string }>
    for (const { fileName } of services) {
      const entry = exports[`./generated/${fileName.replace(/\.ts$/, "")}`]
      assert.isDefined(entry, fileName)
      assert.isTrue(Fs.existsSync(Path.join(root, entry!.default.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"))))
    }
  })
})
