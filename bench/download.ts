/**
 * Download benchmark: a large object from Ceph RadosGW (`RGW_ENDPOINT`) to disk with `downloadToFile` (ranged GETs on
 * a SigV4 presigned URL, 8 MiB parts, 4 in flight, size-verified; and once more MD5-verified) vs `@aws-sdk/client-s3`
 * ranged `GetObject`s with the same part size and concurrency, each part streamed to its offset in the file. Every run
 * is a fresh child process (this file with `--run`), so each reports its own peak RSS; contenders alternate and the
 * order rotates per repetition. A small object gives the RSS ratio (memory must not grow with the file).
 *
 * Environment: RGW_ENDPOINT (required; the section is skipped without it), BENCH_DOWNLOAD_MIB (default 1024),
 * BENCH_DOWNLOAD_SMALL_MIB (default 64), BENCH_DOWNLOAD_REPS (default 3).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { downloadToFile } from "../src/storage/Download.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { presign, rgwTestCredentials } from "../src/testing/sigv4.ts"
import { envInt, fmt, median, type Row, scratchDir, writeResult } from "./harness.ts"

const MiB = 1024 * 1024
const LARGE_MIB = envInt("BENCH_DOWNLOAD_MIB", 1024)
const SMALL_MIB = envInt("BENCH_DOWNLOAD_SMALL_MIB", 64)
const REPS = envInt("BENCH_DOWNLOAD_REPS", 3)
const PART_SIZE = 8 * MiB
const CONCURRENCY = 4
const BUCKET = "bench-download"

type Contender = "ours" | "ours-md5" | "sdk"

interface RunResult {
  readonly millis: number
  readonly peakRssMiB: number
}

const s3Client = async (endpoint: string) => {
  const S3 = await import("@aws-sdk/client-s3")
  const { region, accessKeyId, secretAccessKey } = rgwTestCredentials
  return { S3, client: new S3.S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } }) }
}

const endpointOf = (endpoint: string) => ({ endpoint, ...rgwTestCredentials })

/** One download in this process (a child): prints its time and peak RSS as JSON. */
const runOne = async (contender: Contender, endpoint: string, key: string, size: number, md5: string, target: string) => {
  const started = performance.now()
  if (contender === "sdk") {
    const { S3, client } = await s3Client(endpoint)
    const handle = await Fs.promises.open(target, "w")
    const parts = Math.ceil(size / PART_SIZE)
    let next = 0
    const worker = async () => {
      while (next < parts) {
        const index = next++
        const start = index * PART_SIZE
        const end = Math.min(size, start + PART_SIZE) - 1
        const answer = await client.send(new S3.GetObjectCommand({ Bucket: BUCKET, Key: key, Range: `bytes=${start}-${end}` }))
        let position = start
        for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) {
          await handle.write(chunk, 0, chunk.length, position)
          position += chunk.length
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    await handle.close()
    client.destroy()
  } else {
    const url = presign(endpointOf(endpoint), { method: "GET", bucket: BUCKET, key })
    await Effect.runPromise(
      downloadToFile({
        url,
        path: target,
        size,
        md5: contender === "ours-md5" ? md5 : undefined,
        partSize: PART_SIZE,
        concurrency: CONCURRENCY,
        resume: false
      }).pipe(Effect.provide(Layer.mergeAll(StorageClient.layer, NodeFileSystem.layer)))
    )
  }
  const millis = performance.now() - started
  if (Fs.statSync(target).size !== size) throw new Error(`${contender}: wrong size`)
  const result: RunResult = { millis, peakRssMiB: process.resourceUsage().maxRSS / 1024 }
  console.log(JSON.stringify(result))
}

const spawnRun = (contender: Contender, endpoint: string, key: string, size: number, md5: string, target: string): RunResult => {
  Fs.rmSync(target, { force: true })
  const out = ChildProcess.execFileSync(
    process.execPath,
    [import.meta.filename, "--run", contender, endpoint, key, String(size), md5, target],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1024 * 1024 }
  )
  Fs.rmSync(target, { force: true })
  return JSON.parse(out.trim().split("\n").at(-1)!) as RunResult
}

/** Writes `size` random bytes to the bucket with the SDK (multipart); answers the MD5. */
const seed = async (endpoint: string, key: string, mib: number): Promise<string> => {
  const { S3, client } = await s3Client(endpoint)
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
  await new Upload({ client, params: { Bucket: BUCKET, Key: key, Body: Fs.createReadStream(file) }, partSize: PART_SIZE, queueSize: 4 }).done()
  Fs.rmSync(file, { force: true })
  client.destroy()
  return hash.digest("hex")
}

const main = async () => {
  const started = new Date()
  const endpoint = process.env.RGW_ENDPOINT
  if (endpoint === undefined || endpoint === "") {
    console.error("bench download: RGW_ENDPOINT is not set; skipped")
    return
  }
  const large = { key: `large-${LARGE_MIB}`, size: LARGE_MIB * MiB, md5: await seed(endpoint, `large-${LARGE_MIB}`, LARGE_MIB) }
  const small = { key: `small-${SMALL_MIB}`, size: SMALL_MIB * MiB, md5: await seed(endpoint, `small-${SMALL_MIB}`, SMALL_MIB) }
  const target = Path.join(scratchDir, "download-target.bin")
  const contenders: ReadonlyArray<Contender> = ["ours", "sdk", "ours-md5"]
  const samples: Record<Contender, Array<RunResult>> = { ours: [], sdk: [], "ours-md5": [] }
  for (let rep = 0; rep < REPS; rep++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + rep) % contenders.length]!
      const run = spawnRun(contender, endpoint, large.key, large.size, large.md5, target)
      console.error(`  ${contender}: ${fmt(run.millis / 1000)} s, peak RSS ${fmt(run.peakRssMiB, 0)} MiB`)
      samples[contender].push(run)
    }
  }
  const smallRuns = Array.from({ length: REPS }, () => spawnRun("ours", endpoint, small.key, small.size, small.md5, target))
  const time = (c: Contender) => median(samples[c].map((r) => r.millis))
  const rss = (runs: ReadonlyArray<RunResult>) => Math.max(...runs.map((r) => r.peakRssMiB))
  const ratio = time("ours") / time("sdk")
  const rssRatio = rss(samples.ours) / rss(smallRuns)
  const mibPerSecond = (c: Contender) => (large.size / MiB) / (time(c) / 1000)
  const rows: Array<Row> = [
    { metric: `downloadToFile, ${LARGE_MIB} MiB from RadosGW (size-verified), median of ${REPS}`, value: `${fmt(time("ours") / 1000)} s (${fmt(mibPerSecond("ours"), 0)} MiB/s)` },
    { metric: "@aws-sdk/client-s3 ranged GetObject, same parts and concurrency", value: `${fmt(time("sdk") / 1000)} s (${fmt(mibPerSecond("sdk"), 0)} MiB/s)` },
    { metric: "time ratio downloadToFile ÷ SDK", value: `${fmt(ratio)}×`, target: "≤ 0.9×", met: ratio <= 0.9 },
    { metric: "downloadToFile with MD5 verification", value: `${fmt(time("ours-md5") / 1000)} s` },
    { metric: `peak RSS, ${LARGE_MIB} MiB`, value: `${fmt(rss(samples.ours), 0)} MiB`, target: "≤ 150 MiB", met: rss(samples.ours) <= 150 },
    { metric: `peak RSS, SDK, ${LARGE_MIB} MiB`, value: `${fmt(rss(samples.sdk), 0)} MiB` },
    { metric: `RSS(${LARGE_MIB} MiB) ÷ RSS(${SMALL_MIB} MiB)`, value: `${fmt(rssRatio)}`, target: "≤ 1.25", met: rssRatio <= 1.25 }
  ]
  for (const row of rows) console.error(`  ${row.metric}: ${row.value}${row.target === undefined ? "" : ` (target ${row.target})`}`)
  writeResult({ section: "download", title: "Downloads from RadosGW", rows, raw: { samples, smallRuns } }, started)
}

if (process.argv[2] === "--run") {
  const [, , , contender, endpoint, key, size, md5, target] = process.argv
  await runOne(contender as Contender, endpoint!, key!, Number(size), md5!, target!)
} else {
  await main()
}
