/**
 * Download benchmark: a large object from Ceph RadosGW (`RGW_ENDPOINT`) to disk with `downloadToFile` (ranged GETs on
 * a SigV4 presigned URL, 8 MiB parts, 4 in flight, size-verified; and once more MD5-verified) vs `@aws-sdk/client-s3`
 * ranged `GetObject`s with the same part size and concurrency, each part streamed to its offset in the file and its
 * length checked. Every run is a fresh process (download-run.ts), so each reports its own time, CPU and peak RSS;
 * each loads only its own modules, before its clock starts. Ours runs compiled to JavaScript (tsc, as the package is
 * installed from npm), like the SDK; one reference run from the TypeScript sources (Node's type stripping) is
 * reported beside it. Contenders alternate and the order rotates per repetition. A small object gives
 * the RSS ratio (memory must not grow with the file).
 *
 * Environment: RGW_ENDPOINT (required; the section is skipped without it), BENCH_DOWNLOAD_MIB (default 1024),
 * BENCH_DOWNLOAD_SMALL_MIB (default 64), BENCH_DOWNLOAD_REPS (default 3).
 */
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { rgwTestCredentials } from "../src/testing/sigv4.ts"
import type { Contender, RunResult, RunSpec } from "./download-run.ts"
import { envInt, fmt, median, type Row, runTsc, scratchDir, writeResult } from "./harness.ts"

const MiB = 1024 * 1024
const LARGE_MIB = envInt("BENCH_DOWNLOAD_MIB", 1024)
const SMALL_MIB = envInt("BENCH_DOWNLOAD_SMALL_MIB", 64)
const REPS = envInt("BENCH_DOWNLOAD_REPS", 3)
const PART_SIZE = 8 * MiB
const CONCURRENCY = 4
const BUCKET = "bench-download"

const here = import.meta.dirname
const root = Path.join(here, "..")
/** Where download-run.ts and what it imports are compiled to JavaScript. */
const compiledDir = Path.join(scratchDir, "compiled-download")

/** Compiles download-run.ts and the SDK modules it imports, as `npm run build` does (tsc, one file per module). */
const compileRunner = () => {
  const config = Path.join(scratchDir, "tsconfig.download.json")
  Fs.mkdirSync(scratchDir, { recursive: true })
  Fs.writeFileSync(
    config,
    JSON.stringify({
      extends: Path.join(root, "tsconfig.json"),
      compilerOptions: { noEmit: false, rootDir: root, outDir: compiledDir, declaration: false, sourceMap: false },
      files: [Path.join(here, "download-run.ts")],
      include: []
    })
  )
  return runTsc(["-p", config])
}

type Variant = Contender | "ours-ts"

const spawnRun = (variant: Variant, object: { key: string; size: number; md5: string }, endpoint: string): RunResult => {
  const target = Path.join(scratchDir, "download-target.bin")
  Fs.rmSync(target, { force: true })
  const contender: Contender = variant === "ours-ts" ? "ours" : variant
  const spec: RunSpec = {
    contender,
    endpoint,
    credentials: rgwTestCredentials,
    bucket: BUCKET,
    ...object,
    partSize: PART_SIZE,
    concurrency: CONCURRENCY,
    target
  }
  const script = variant === "ours-ts"
    ? Path.join(here, "download-run.ts")
    : Path.join(compiledDir, "bench", "download-run.js")
  const out = ChildProcess.execFileSync(process.execPath, [script, JSON.stringify(spec)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1024 * 1024
  })
  Fs.rmSync(target, { force: true })
  return JSON.parse(out.trim().split("\n").at(-1)!) as RunResult
}

/** Puts `mib` MiB of random bytes in the bucket (SDK multipart), its MD5 in the metadata; kept for later runs. */
const seed = async (endpoint: string, key: string, mib: number): Promise<string> => {
  const S3 = await import("@aws-sdk/client-s3")
  const { region, ...credentials } = rgwTestCredentials
  const client = new S3.S3Client({ endpoint, region, forcePathStyle: true, credentials })
  try {
    const head = await client.send(new S3.HeadObjectCommand({ Bucket: BUCKET, Key: key })).catch(() => undefined)
    const known = head?.Metadata?.["md5"]
    if (head?.ContentLength === mib * MiB && known !== undefined) return known
    const { Upload } = await import("@aws-sdk/lib-storage")
    await client.send(new S3.CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined)
    const file = Path.join(scratchDir, `download-seed-${mib}.bin`)
    Fs.mkdirSync(scratchDir, { recursive: true })
    const hash = Crypto.createHash("md5")
    const fd = Fs.openSync(file, "w")
    const block = Buffer.alloc(MiB)
    for (let i = 0; i < mib; i++) {
      Crypto.randomFillSync(block)
      hash.update(block)
      Fs.writeSync(fd, block)
    }
    Fs.closeSync(fd)
    const md5 = hash.digest("hex")
    await new Upload({
      client,
      params: { Bucket: BUCKET, Key: key, Body: Fs.createReadStream(file), Metadata: { md5 } },
      partSize: PART_SIZE,
      queueSize: 4
    }).done()
    Fs.rmSync(file, { force: true })
    return md5
  } finally {
    client.destroy()
  }
}

const main = async () => {
  const started = new Date()
  const endpoint = process.env.RGW_ENDPOINT
  if (endpoint === undefined || endpoint === "") {
    console.error("bench download: RGW_ENDPOINT is not set; skipped")
    return
  }
  const compileSeconds = compileRunner()
  console.error(`  compiled download-run.ts to JavaScript in ${fmt(compileSeconds)} s`)
  const large = { key: `large-${LARGE_MIB}`, size: LARGE_MIB * MiB, md5: await seed(endpoint, `large-${LARGE_MIB}`, LARGE_MIB) }
  const small = { key: `small-${SMALL_MIB}`, size: SMALL_MIB * MiB, md5: await seed(endpoint, `small-${SMALL_MIB}`, SMALL_MIB) }
  const samples: Record<Variant, Array<RunResult>> = { ours: [], sdk: [], "ours-md5": [], "ours-ts": [] }
  for (let rep = 0; rep < REPS; rep++) {
    // The TypeScript-sources reference runs once, in the first repetition.
    const variants: ReadonlyArray<Variant> = rep === 0 ? ["ours", "sdk", "ours-md5", "ours-ts"] : ["ours", "sdk", "ours-md5"]
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + rep) % variants.length]!
      const run = spawnRun(variant, large, endpoint)
      console.error(
        `  ${variant}: ${fmt(run.millis / 1000)} s, CPU ${fmt(run.cpuMillis / 1000)} s, peak RSS ${fmt(run.peakRssMiB, 0)} MiB`
      )
      samples[variant].push(run)
    }
  }
  const smallRuns = Array.from({ length: REPS }, () => spawnRun("ours", small, endpoint))
  const time = (v: Variant) => median(samples[v].map((r) => r.millis))
  const cpu = (v: Variant) => median(samples[v].map((r) => r.cpuMillis))
  const rss = (runs: ReadonlyArray<RunResult>) => Math.max(...runs.map((r) => r.peakRssMiB))
  const ratio = time("ours") / time("sdk")
  // How much the machine moved the figures: the same ratio within each repetition.
  const pairRatios = samples.ours.map((run, i) => run.millis / samples.sdk[i]!.millis)
  const rssRatio = rss(samples.ours) / rss(smallRuns)
  const mibPerSecond = (v: Variant) => (large.size / MiB) / (time(v) / 1000)
  const timed = (v: Variant) => `${fmt(time(v) / 1000)} s (${fmt(mibPerSecond(v), 0)} MiB/s), CPU ${fmt(cpu(v) / 1000)} s`
  const rows: Array<Row> = [
    {
      metric: `downloadToFile (compiled JavaScript), ${LARGE_MIB} MiB from RadosGW (size-verified), median of ${REPS}`,
      value: timed("ours")
    },
    { metric: "@aws-sdk/client-s3 ranged GetObject, same parts and concurrency (length-checked)", value: timed("sdk") },
    { metric: "time ratio downloadToFile ÷ SDK", value: `${fmt(ratio)}×`, target: "≤ 0.9×", met: ratio <= 0.9 },
    {
      metric: "time ratio within each repetition (runs side by side), lowest – highest",
      value: `${fmt(Math.min(...pairRatios))}× – ${fmt(Math.max(...pairRatios))}×`
    },
    { metric: "downloadToFile with MD5 verification (compiled JavaScript)", value: timed("ours-md5") },
    { metric: "downloadToFile from the TypeScript sources (type stripping), reference, 1 run", value: timed("ours-ts") },
    {
      metric: `peak RSS, ${LARGE_MIB} MiB (compiled JavaScript)`,
      value: `${fmt(rss(samples.ours), 0)} MiB`,
      target: "≤ 150 MiB",
      met: rss(samples.ours) <= 150
    },
    { metric: `peak RSS, SDK, ${LARGE_MIB} MiB`, value: `${fmt(rss(samples.sdk), 0)} MiB` },
    { metric: `peak RSS from the TypeScript sources, reference`, value: `${fmt(rss(samples["ours-ts"]), 0)} MiB` },
    {
      metric: `RSS(${LARGE_MIB} MiB) ÷ RSS(${SMALL_MIB} MiB) (compiled JavaScript)`,
      value: `${fmt(rssRatio)}`,
      target: "≤ 1.25",
      met: rssRatio <= 1.25
    }
  ]
  for (const row of rows) console.error(`  ${row.metric}: ${row.value}${row.target === undefined ? "" : ` (target ${row.target})`}`)
  const notes = [
    "Each run is a fresh process that loads its own modules before its clock starts; ours is compiled by tsc to one " +
    "JavaScript file per module, as the package is installed (the TypeScript-sources row adds Node's type stripping, " +
    "about 30 MiB of RSS). RadosGW runs on the same machine and needs more CPU per GiB than either client, so the " +
    "times depend on how much CPU the client leaves it; CPU is the client process's user + system time.",
    "downloadToFile also does what the SDK loop does not: it syncs the file to disk (in the background, every 4 parts, " +
    "and once before the rename) and keeps the resume checkpoint."
  ]
  writeResult({ section: "download", title: "Downloads from RadosGW", rows, notes, raw: { samples, smallRuns } }, started)
}

await main()
