/**
 * The cold start a Node user feels: from process start to the first `getAsset` answer (from a tiny local server),
 * its time and peak RSS, for the SDK against the same call written with Effect alone. Each program is built the way
 * Node loads an installed package: every module it imports evaluated (esbuild, dependencies left to Node, no tree
 * shaking), then run in a fresh process, alternating, `COLDSTART_RUNS` times each (median).
 */
import { spawn } from "node:child_process"
import * as Esbuild from "esbuild"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import { assetAnswer, writePrograms } from "./bundle-programs.ts"
import { envInt, fmt, median, scratchDir, writeResult } from "./harness.ts"

const root = Path.join(import.meta.dirname, "..")
const dir = Path.join(scratchDir, "coldstart")
const runs = envInt("COLDSTART_RUNS", 7)
const started = new Date()
// `BENCH_SDK_ROOT`: measure the sources of another checkout (e.g. the previous commit's, for a before/after).
const programs = writePrograms(process.env["BENCH_SDK_ROOT"] ?? root, dir)

const build = async (entry: string) => {
  const outfile = entry.replace(/\.ts$/, ".mjs")
  await Esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: "external",
    treeShaking: false,
    format: "esm",
    platform: "node",
    target: "node22",
    logLevel: "error"
  })
  return outfile
}
const built = {
  sdk: await build(programs.sdk),
  sdkModule: await build(programs.sdkModule),
  effectOnly: await build(programs.effectOnly)
}

const server = Http.createServer((request, response) => {
  const ok = request.method === "GET" && request.url?.startsWith(`/API/assets/v1/assets/${assetAnswer.id}/`)
  response.writeHead(ok ? 200 : 404, { "content-type": "application/json" })
  response.end(JSON.stringify(ok ? assetAnswer : { errors: ["not found"] }))
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// Set before the program is imported: prints milliseconds since the process started and the peak RSS so far.
const reporter = "data:text/javascript," + encodeURIComponent(
  "globalThis.reportAnswer = (title) => { console.log(JSON.stringify({ title, ms: performance.now(), " +
    "maxRssKiB: process.resourceUsage().maxRSS })); process.exit(0) }"
)

interface Sample {
  readonly ms: number
  readonly maxRssKiB: number
}
const runOnce = async (file: string): Promise<Sample> => {
  // Asynchronously: this process's server answers the child.
  const child = spawn(process.execPath, ["--import", reporter, file], {
    env: { ...process.env, BENCH_BASE_URL: baseUrl }
  })
  let out = ""
  child.stdout.on("data", (chunk) => (out += chunk))
  child.stderr.on("data", (chunk) => process.stderr.write(chunk))
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
  const line = out.trim().split("\n").at(-1) ?? ""
  if (code !== 0 || !line.startsWith("{")) throw new Error(`${file} exited with ${code}: ${out}`)
  const parsed = JSON.parse(line) as Sample & { title: string }
  if (parsed.title !== assetAnswer.title) throw new Error(`${file} answered ${parsed.title}`)
  return parsed
}

const samples = { sdk: [] as Array<Sample>, sdkModule: [] as Array<Sample>, effectOnly: [] as Array<Sample> }
const kinds = ["sdk", "sdkModule", "effectOnly"] as const
for (const kind of kinds) await runOnce(built[kind]) // warm the file cache before measuring
for (let i = 0; i < runs; i++) for (const kind of kinds) samples[kind].push(await runOnce(built[kind]))
server.close()

const summary = (list: ReadonlyArray<Sample>) => ({
  ms: median(list.map((sample) => sample.ms)),
  rssMiB: median(list.map((sample) => sample.maxRssKiB)) / 1024
})
const sdk = summary(samples.sdk)
const sdkModule = summary(samples.sdkModule)
const effectOnly = summary(samples.effectOnly)
const timeRatio = sdk.ms / effectOnly.ms
const rssRatio = sdk.rssMiB / effectOnly.rssMiB
const moduleTimeRatio = sdkModule.ms / effectOnly.ms
const moduleRssRatio = sdkModule.rssMiB / effectOnly.rssMiB

writeResult({
  section: "coldstart",
  title: "Cold start: process start to the first getAsset answer",
  rows: [
    { metric: `time, Effect only (median of ${runs})`, value: `${fmt(effectOnly.ms, 0)} ms` },
    { metric: "time, SDK through `effect-iconik/generated`", value: `${fmt(sdk.ms, 0)} ms` },
    { metric: "… SDK / Effect only", value: `${fmt(timeRatio)}×`, target: "≤ 1.2×", met: timeRatio <= 1.2 },
    { metric: "time, SDK through the service's module", value: `${fmt(sdkModule.ms, 0)} ms` },
    {
      metric: "… SDK / Effect only",
      value: `${fmt(moduleTimeRatio)}×`,
      target: "≤ 1.2×",
      met: moduleTimeRatio <= 1.2
    },
    { metric: "peak RSS, Effect only", value: `${fmt(effectOnly.rssMiB, 1)} MiB` },
    { metric: "peak RSS, SDK through `effect-iconik/generated`", value: `${fmt(sdk.rssMiB, 1)} MiB` },
    { metric: "… SDK / Effect only", value: `${fmt(rssRatio)}×`, target: "≤ 1.2×", met: rssRatio <= 1.2 },
    { metric: "peak RSS, SDK through the service's module", value: `${fmt(sdkModule.rssMiB, 1)} MiB` },
    {
      metric: "… SDK / Effect only",
      value: `${fmt(moduleRssRatio)}×`,
      target: "≤ 1.2×",
      met: moduleRssRatio <= 1.2
    }
  ],
  raw: { runs, samples }
}, started)
