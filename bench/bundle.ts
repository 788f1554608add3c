/**
 * What a user of the generated code pays, measured against the same `getAsset` call written with Effect alone:
 * the project's type-check time, a consumer's type-check time, and the size of a browser bundle (esbuild, minified,
 * and gzipped) for each form a program may import the SDK in. Each figure beside the one before the small-program
 * work (`bundle-before.json`). See docs/decisions/0019-generated-code-shape.md and 0021-small-programs.md.
 */
import * as Esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Zlib from "node:zlib"
import { effectOnlyDescription, type SdkForm, sdkForms, writePrograms } from "./bundle-programs.ts"
import { runTscTimed, type TscTimes } from "./bundle-tsc.ts"
import { fmt, type Row, scratchDir, writeResult } from "./harness.ts"

const root = Path.join(import.meta.dirname, "..")
const dir = Path.join(scratchDir, "bundle")
const started = new Date()
// `BENCH_SDK_ROOT`: measure the sources of another checkout (e.g. the previous commit's, for a before/after).
const programs = writePrograms(process.env["BENCH_SDK_ROOT"] ?? root, dir)
const before = JSON.parse(Fs.readFileSync(Path.join(import.meta.dirname, "bundle-before.json"), "utf8")) as Before

interface Size {
  readonly bytes: number
  readonly gzip: number
}
interface Before {
  readonly bundle: {
    readonly project: number
    readonly consumer: number
    readonly effectOnly: Size
    readonly module: Size
    readonly barrel: Size
  }
}

interface Bundle extends Size {
  /** Bytes each SDK source file contributes: what tells which modules were kept. */
  readonly bySource: ReadonlyArray<{ readonly file: string; readonly bytes: number }>
  /** Why the program does not bundle for the browser as is (it was then bundled with `node:` modules external). */
  readonly browserError?: string | undefined
}

const build = (entry: string, external: Array<string>) =>
  Esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    external
  })

const bundle = async (entry: string): Promise<Bundle> => {
  let browserError: string | undefined
  let result: Esbuild.BuildResult<{ write: false; metafile: true }>
  try {
    result = await build(entry, [])
  } catch (error) {
    const first = (error as Esbuild.BuildFailure).errors?.[0]
    browserError = first === undefined
      ? String(error)
      : `${first.text} (from ${first.location?.file.replace(/^.*node_modules\//, "") ?? "?"})`
    // Measured all the same, `node:` modules left out, so the figure shows what the rest costs.
    result = await build(entry, ["node:*"])
  }
  const code = result.outputFiles[0]!.contents
  const inputs = Object.entries(result.metafile.outputs)[0]![1].inputs
  const bySource = Object.entries(inputs)
    .filter(([file]) => !file.includes("node_modules"))
    .map(([file, { bytesInOutput }]) => ({ file: Path.relative(root, Path.resolve(file)), bytes: bytesInOutput }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  return { bytes: code.byteLength, gzip: Zlib.gzipSync(code, { level: 9 }).byteLength, bySource, browserError }
}

const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`
/** `before → after`, or the figure alone when there is no before. */
const change = (after: string, previous?: string) => (previous === undefined ? after : `${previous} → ${after}`)

const effectOnly = await bundle(programs.effectOnly)
const sdk: Partial<Record<SdkForm, Bundle>> = {}
for (const [form, file] of Object.entries(programs.sdk) as Array<[SdkForm, string]>) sdk[form] = await bundle(file)

// The consumers: the SDK programs type-checked on their own (what they reach of the SDK's sources included,
// libraries skipped): the small form, and the barrel form measured before.
const consumerTsc = (form: SdkForm) => {
  const file = programs.sdk[form]
  if (file === undefined) return undefined
  const tsconfig = Path.join(dir, `tsconfig.${form}.json`)
  Fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: "../../tsconfig.json",
      compilerOptions: { noUnusedLocals: false, types: ["node"] },
      include: [Path.basename(file)]
    })
  )
  return runTscTimed(["--noEmit", "-p", tsconfig])
}
const consumer = { subpaths: consumerTsc("subpaths"), barrel: consumerTsc("barrel") }
const project = runTscTimed(["--noEmit", "-p", "."])
/** Wall-clock seconds, the CPU seconds beside them. */
const tscValue = (times: TscTimes) => `${fmt(times.wallSeconds, 1)} s (CPU ${fmt(times.cpuSeconds, 1)} s)`

const labels: Record<SdkForm, string> = {
  subpaths: "SDK, `effect-iconik/client` + `effect-iconik/generated/assets` (namespace imports)",
  module: "SDK, the main entry's `{ Iconik }` + the service's module (`* as assets`)",
  barrel: "SDK, `{ Iconik }` + the `effect-iconik/generated` barrel's `{ assets }`",
  facade: "SDK, the main entry's facade: `{ Assets, Iconik }`, `Assets.get`"
}
const ratioTarget = 1.15
const rows: Array<Row> = [
  { metric: "tsc --noEmit, whole project", value: change(tscValue(project), `${fmt(before.bundle.project, 1)} s`) },
  ...(consumer.subpaths === undefined ? [] : [{
    metric: "tsc --noEmit, a consumer calling getAsset, small form (`client` + `generated/assets`; SDK sources reached)",
    value: tscValue(consumer.subpaths)
  }]),
  ...(consumer.barrel === undefined ? [] : [{
    metric: "tsc --noEmit, a consumer calling getAsset through the barrel (SDK sources reached)",
    value: change(tscValue(consumer.barrel), `${fmt(before.bundle.consumer, 1)} s`)
  }]),
  {
    metric: "browser bundle calling getAsset, minified (gzipped): Effect only",
    value: change(`${kb(effectOnly.bytes)} (${kb(effectOnly.gzip)})`, `${kb(before.bundle.effectOnly.bytes)} (${kb(before.bundle.effectOnly.gzip)})`)
  }
]
for (const form of sdkForms) {
  const measured = sdk[form]
  if (measured === undefined) continue
  const previous = form === "module" || form === "barrel" ? before.bundle[form] : undefined
  const ratio = measured.bytes / effectOnly.bytes
  const gzipRatio = measured.gzip / effectOnly.gzip
  const ratioOf = (size: Size, base: Size) => `${fmt(size.bytes / base.bytes)}×`
  rows.push({
    metric: `… ${labels[form]}: minified (gzipped)${measured.browserError === undefined ? "" : " — node: modules left external"}`,
    value: change(
      `${kb(measured.bytes)} (${kb(measured.gzip)})`,
      previous === undefined ? undefined : `${kb(previous.bytes)} (${kb(previous.gzip)})`
    )
  })
  rows.push({
    metric: "… SDK / Effect only, minified (gzipped)",
    value: change(
      `${fmt(ratio)}× (${fmt(gzipRatio)}×)`,
      previous === undefined
        ? undefined
        : `${ratioOf(previous, before.bundle.effectOnly)} (${fmt(previous.gzip / before.bundle.effectOnly.gzip)}×)`
    ),
    target: `≤ ${ratioTarget}×`,
    met: ratio <= ratioTarget
  })
  if (measured.browserError !== undefined) {
    rows.push({ metric: "… does not bundle for the browser as is", value: measured.browserError })
  }
}
const small = sdk.subpaths ?? sdk.module
if (small !== undefined) {
  rows.push({
    metric: "largest SDK files in the small-form bundle",
    value: small.bySource.slice(0, 4).map(({ file, bytes }) => `${file} ${kb(bytes)}`).join(", ")
  })
}

writeResult({
  section: "bundle",
  title: "Generated code: one-operation bundle and type-check time",
  rows,
  notes: [
    "Before → after: the figures before the small-program work (docs/decisions/0021-small-programs.md) are those " +
    "committed then (`bench/bundle-before.json`); after, this run. Bundles: esbuild, minified, ES2022, for the " +
    "browser; gzip level 9. tsc: wall-clock seconds, and the process's CPU seconds (user + system), which the " +
    "machine's load changes much less (the before figures are wall-clock only).",
    effectOnlyDescription,
    "esbuild keeps a namespace re-exported with `export * as` whole: `{ assets }` from the barrel keeps every " +
    "operation and model of the service, `{ Iconik }` from the main entry all of the client's module. A namespace " +
    "import of the entry itself (`import * as assets from \"effect-iconik/generated/assets\"`) keeps only what is " +
    "called."
  ],
  raw: { project, consumer, effectOnly, sdk }
}, started)
