/**
 * The shape of the generated code that bundlers and readers rely on (docs/decisions/0019-generated-code-shape.md):
 * a bundle calling one operation keeps only that operation and its models, models are named in decode errors, and
 * each enum's literal list is written once per module.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Esbuild from "esbuild"
import * as fs from "node:fs"
import * as path from "node:path"
import * as assets from "../../src/generated/assets.ts"

const repoRoot = path.resolve(import.meta.dirname, "..", "..")
const generatedDir = path.join(repoRoot, "src", "generated")

describe("generated code shape", () => {
  it("a bundle calling getAsset keeps getAsset and its models, not the service's other operations", async () => {
    const result = await Esbuild.build({
      stdin: {
        contents: 'import * as assets from "./src/generated/assets.ts"\nexport const run = assets.getAsset',
        resolveDir: repoRoot,
        loader: "ts"
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "error"
    })
    const code = result.outputFiles[0]!.text
    assert.include(code, "/API/assets/v1/assets/{asset_id}/") // the called operation
    assert.include(code, '"ASSET"') // a literal of Asset's `type` enum: the answer's model is there
    assert.notInclude(code, "/API/assets/v1/collections/") // another operation of the same service
    assert.notInclude(code, "CollectionElastic") // a model only other operations use
  })

  it("the main entry and the small-program entries bundle for a browser (no Node-only module reached)", async () => {
    const result = await Esbuild.build({
      stdin: {
        contents: [
          'import { Assets, Iconik, Tracing } from "./src/index.ts"',
          'import * as assets from "./src/generated/assets.ts"',
          "export const run = [Assets.get, Iconik.layer, Tracing.layerOtlp, assets.getAsset]"
        ].join("\n"),
        resolveDir: repoRoot,
        loader: "ts"
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent"
    }).catch((error: Esbuild.BuildFailure) => error)
    assert.deepStrictEqual("errors" in result ? result.errors.map((e) => e.text) : [], [])
  })

  it("a model's schema is named by its identifier in decode errors", () => {
    const message = Effect.runSync(Effect.flip(Schema.decodeUnknownEffect(assets.Asset)(5))).message
    assert.include(message, "Expected Asset")
  })

  it("each enum's literal list appears once per generated module", () => {
    for (const file of fs.readdirSync(generatedDir).filter((name) => name.endsWith(".ts"))) {
      const source = fs.readFileSync(path.join(generatedDir, file), "utf8")
      const lists = [...source.matchAll(/IconikSchema\.OpenEnum\(\[([^\]]*)\]\)/g)].map((match) =>
        match[1]!.replace(/\s+/g, "")
      )
      const repeated = lists.filter((list, index) => lists.indexOf(list) !== index)
      assert.deepStrictEqual(repeated, [], `${file} repeats an enum`)
    }
  })
})
