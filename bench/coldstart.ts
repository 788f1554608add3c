/**
 * The cold start a Node user feels: from process start to the first `getAsset` answer (from a tiny local server),
 * its time and peak RSS, for the SDK against the same call written with Effect alone. Each program is built the way
 * Node loads an installed package: every module it imports evaluated (esbuild, dependencies left to Node, no tree
 * shaking), then run in a fresh process, alternating, `COLDSTART_RUNS` times each (median). Each figure beside the
 * one before the small-program work (`bundle-before.json`, docs/decisions/0021-small-programs.md).
 */
import { spawn } from "node:child_process"
import * as Esbuild from "esbuild"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import * as Fs from "node:fs"
import { assetAnswer, effectOnlyDescription, type SdkForm, sdkForms, writePrograms } from "./bundle-programs.ts"
import { envInt, fmt, median, type Row, scratchDir, writeResult } from "./harness.ts"

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
type Kind = SdkForm | "effectOnly"
const built: Partial<Record<Kind, string>> = { effectOnly: await build(programs.effectOnly) }
for (const [form, file] of Object.entries(programs.sdk) as Array<[SdkForm, string]>) built[form] = await build(file)
const kinds = Object.keys(built) as Array<Kind>

const server = Http.createServer((request, response) => {
  const ok = request.method === "GET" && request.url?.startsWith(`/API/assets/v1/assets/${assetAnswer.id}/`)
  response.writeHead(ok ? 200 : 404, { "content-type": "application/json" })
  response.end(JSON.stringify(ok ? assetAnswer : { errors: ["not found"] }))
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// Set before the program is imported: prints milliseconds since the process started and the peak RSS so far.
const reporter = "data:text/javascript," + encodeURIComponent(
  "globalThis.reportAnswer = (title) => { const cpu = process.cpuUsage(); console.log(JSON.stringify({ title, " +
    "ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS })); " +
    "process.exit(0) }"
)

interface Sample {
  readonly ms: number
  /** The process's CPU time (user + system) until the answer: what the machine's load changes much less. */
  readonly cpuMs: number
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

const samples: Partial<Record<Kind, Array<Sample>>> = {}
for (const kind of kinds) await runOnce(built[kind]!) // warm the file cache before measuring
for (let i = 0; i < runs; i++) {
  for (const kind of kinds) (samples[kind] ??= []).push(await runOnce(built[kind]!))
}
server.close()

interface Summary {
  readonly ms: number
  readonly cpuMs?: number | undefined
  readonly rssMiB: number
}
const summary = (list: ReadonlyArray<Sample>): Summary => ({
  ms: median(list.map((sample) => sample.ms)),
  cpuMs: median(list.map((sample) => sample.cpuMs)),
  rssMiB: median(list.map((sample) => sample.maxRssKiB)) / 1024
})
const before = JSON.parse(Fs.readFileSync(Path.join(import.meta.dirname, "bundle-before.json"), "utf8")) as {
  readonly coldstart: Record<"effectOnly" | "module" | "barrel", Summary>
}
const effectOnly = summary(samples.effectOnly!)
/** `before → after`, or the figure alone when there is no before. */
const change = (after: string, previous?: string) => (previous === undefined ? after : `${previous} → ${after}`)
const ms = (summary: Summary) => `${fmt(summary.ms, 0)} ms`
const cpu = (summary: Summary) => `${fmt(summary.cpuMs ?? Number.NaN, 0)} ms`
const mib = (summary: Summary) => `${fmt(summary.rssMiB, 1)} MiB`

const labels: Record<SdkForm, string> = {
  subpaths: "SDK, `effect-iconik/client` + `effect-iconik/generated/assets`",
  module: "SDK, the main entry's `{ Iconik }` + the service's module",
  barrel: "SDK, `{ Iconik }` + the `effect-iconik/generated` barrel",
  facade: "SDK, the main entry's facade (`Assets.get`)"
}
const target = 1.2
const rows: Array<Row> = [
  {
    metric: `time, Effect only (median of ${runs})`,
    value: change(ms(effectOnly), ms(before.coldstart.effectOnly))
  },
  { metric: "CPU time (user + system), Effect only", value: cpu(effectOnly) },
  {
    metric: "peak RSS, Effect only",
    value: change(mib(effectOnly), mib(before.coldstart.effectOnly))
  }
]
const results: Partial<Record<SdkForm, Summary>> = {}
for (const form of sdkForms) {
  const list = samples[form]
  if (list === undefined) continue
  const measured = (results[form] = summary(list))
  const previous = form === "module" || form === "barrel" ? before.coldstart[form] : undefined
  const timeRatio = measured.ms / effectOnly.ms
  const rssRatio = measured.rssMiB / effectOnly.rssMiB
  const cpuRatio = measured.cpuMs! / effectOnly.cpuMs!
  rows.push(
    { metric: `time, ${labels[form]}`, value: change(ms(measured), previous && ms(previous)) },
    {
      metric: "… SDK / Effect only",
      value: change(`${fmt(timeRatio)}×`, previous && `${fmt(previous.ms / before.coldstart.effectOnly.ms)}×`),
      target: `≤ ${target}×`,
      met: timeRatio <= target
    },
    {
      metric: `CPU time, ${labels[form]}`,
      value: `${cpu(measured)} = ${fmt(cpuRatio)}× Effect only`,
      target: `≤ ${target}×`,
      met: cpuRatio <= target
    },
    { metric: `peak RSS, ${labels[form]}`, value: change(mib(measured), previous && mib(previous)) },
    {
      metric: "… SDK / Effect only",
      value: change(`${fmt(rssRatio)}×`, previous && `${fmt(previous.rssMiB / before.coldstart.effectOnly.rssMiB)}×`),
      target: `≤ ${target}×`,
      met: rssRatio <= target
    }
  )
}

writeResult({
  section: "coldstart",
  title: "Cold start: process start to the first getAsset answer",
  rows,
  notes: [
    "Before → after: the figures before the small-program work (docs/decisions/0021-small-programs.md) are those " +
    "committed then (`bench/bundle-before.json`); after, this run. Each program is run in a fresh Node process " +
    "against a local server; time is `performance.now()` at the answer, RSS the process's peak. CPU time (user + " +
    "system, to the answer) is shown too: on a loaded machine wall-clock time stretches every program alike and " +
    "squeezes the ratios, the CPU time much less.",
    effectOnlyDescription
  ],
  raw: { runs, effectOnly, results, samples }
}, started)
