/**
 * What a user of the generated code pays, measured against the same `getAsset` call written with Effect alone:
 * the project's type-check time, a consumer's type-check time, and the size of a browser bundle (esbuild, minified,
 * and gzipped). See docs/decisions/0019-generated-code-shape.md.
 */
import * as Esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { writePrograms } from "./bundle-programs.ts"
import { fmt, runTsc, scratchDir, writeResult } from "./harness.ts"

const root = Path.join(import.meta.dirname, "..")
const dir = Path.join(scratchDir, "bundle")
const started = new Date()
// `BENCH_SDK_ROOT`: measure the sources of another checkout (e.g. the previous commit's, for a before/after).
const programs = writePrograms(process.env["BENCH_SDK_ROOT"] ?? root, dir)

const bundle = async (entry: string) => {
  const result = await Esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "error"
  })
  const code = result.outputFiles[0]!.contents
  // Bytes each SDK source file contributes: what tells which generated modules were kept.
  const inputs = Object.entries(result.metafile.outputs)[0]![1].inputs
  const bySource = Object.entries(inputs)
    .filter(([file]) => !file.includes("node_modules"))
    .map(([file, { bytesInOutput }]) => ({ file: Path.relative(root, Path.resolve(file)), bytes: bytesInOutput }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  return { bytes: code.byteLength, gzip: Zlib.gzipSync(code, { level: 9 }).byteLength, bySource }
}

const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`
const sdk = await bundle(programs.sdk)
const sdkModule = await bundle(programs.sdkModule)
const effectOnly = await bundle(programs.effectOnly)
const ratio = sdkModule.bytes / effectOnly.bytes
const barrelRatio = sdk.bytes / effectOnly.bytes
const gzipRatio = sdkModule.gzip / effectOnly.gzip

// The consumer: the SDK program type-checked on its own (what it reaches of the SDK included, libraries skipped).
Fs.writeFileSync(
  Path.join(dir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.json",
    compilerOptions: { noUnusedLocals: false, types: ["node"] },
    include: ["sdk.ts"]
  })
)
const consumer = runTsc(["--noEmit", "-p", Path.join(dir, "tsconfig.json")])
const project = runTsc(["--noEmit", "-p", "."])

writeResult({
  section: "bundle",
  title: "Generated code: one-operation bundle and type-check time",
  rows: [
    { metric: "tsc --noEmit, whole project", value: `${fmt(project, 1)} s` },
    {
      metric: "tsc --noEmit, a consumer calling getAsset (SDK sources it reaches included)",
      value: `${fmt(consumer, 1)} s`
    },
    {
      metric: "browser bundle calling getAsset, minified: Effect only (HttpClient + Schema)",
      value: kb(effectOnly.bytes)
    },
    { metric: "… SDK, the service's module imported (`* as assets`)", value: kb(sdkModule.bytes) },
    { metric: "… SDK / Effect only", value: `${fmt(ratio)}×`, target: "≤ 1.15×", met: ratio <= 1.15 },
    {
      metric: "… gzipped: SDK / Effect only",
      value: `${kb(sdkModule.gzip)} / ${kb(effectOnly.gzip)} = ${fmt(gzipRatio)}×`
    },
    { metric: "… SDK through the `effect-iconik/generated` barrel (`{ assets }`)", value: kb(sdk.bytes) },
    { metric: "… barrel / Effect only", value: `${fmt(barrelRatio)}×` },
    {
      metric: "largest SDK files in the module-import bundle",
      value: sdkModule.bySource.slice(0, 3).map(({ file, bytes }) => `${file} ${kb(bytes)}`).join(", ")
    }
  ],
  raw: { project, consumer, sdk, sdkModule, effectOnly }
}, started)
