/**
 * Upload benchmarks, all through the `uploadProxy` workflow (proxy record → S3 multipart on presigned URLs →
 * CLOSED):
 *
 * 1. a large file in 8 MiB parts, 4 in flight, to Ceph RadosGW through the emulator's real SigV4 presigned URLs, vs
 *    `@aws-sdk/lib-storage` `Upload` of the same file to the same RadosGW (same part size, queueSize 4);
 * 2. the same upload to a null S3 sink (the emulator's object store with `discardBodies`, in a process of its own,
 *    over a socket) vs raw `node:http` PUTs of the same bytes to the same sink;
 * 3. peak RSS of the workflow uploading a small and a large file, each in a fresh process running this file compiled
 *    to JavaScript (as the package is installed from npm), with reference runs from the TypeScript sources and with the Iconik
 *    calls on undici.
 *
 * Contenders alternate within every repetition, and the order rotates from one repetition to the next, so machine
 * noise hits them alike. The emulator runs in a child process so that its work is not charged to the uploader.
 *
 * Environment: BENCH_UPLOAD_MIB (large file, default 1024), BENCH_UPLOAD_SMALL_MIB (default 64), BENCH_UPLOAD_REPS
 * (RadosGW repetitions, default 3), BENCH_UPLOAD_SINK_REPS (null-sink repetitions, default 5), RGW_ENDPOINT (when
 * unset, RadosGW is started with scripts/rgw-up.sh on BENCH_UPLOAD_RGW_PORT, default 7495, and stopped at the end).
 * This file also runs the helpers it spawns: `--emulator [s3-endpoint]` serves an emulator and prints where, `--rss
 * <file>` runs one upload against `BENCH_UPLOAD_EMULATOR` and prints its peak RSS (helpers live here because every
 * other script in this folder is a section of its own).
 */
// Subpath imports, as in the library: an index module loads every module of its package and inflates the RSS measured.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import * as Readline from "node:readline"
import * as Assets from "../src/Assets.ts"
import * as Files from "../src/Files.ts"
import * as files from "../src/generated/files.ts"
import * as IconikClient from "../src/IconikClient.ts"
import { MiB } from "../src/storage/Parts.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { uploadProxy } from "../workflows/uploadProxy.ts"
import { envInt, fmt, median, type Row, runTsc, scratchDir, writeResult } from "./harness.ts"

const LARGE_MIB = envInt("BENCH_UPLOAD_MIB", 1024)
const SMALL_MIB = envInt("BENCH_UPLOAD_SMALL_MIB", 64)
const REPS = envInt("BENCH_UPLOAD_REPS", 3)
/** The null sink is quick and noisier: more repetitions. */
const SINK_REPS = envInt("BENCH_UPLOAD_SINK_REPS", 5)
const RGW_PORT = envInt("BENCH_UPLOAD_RGW_PORT", 7495)
const PART_SIZE = 8 * MiB
const CONCURRENCY = 4
/** The bucket the emulator gives its PROXIES storage; lib-storage writes beside the workflow's objects. */
const PROXY_BUCKET = "iconik-proxies"
/**
 * Read size of the raw baselines: of 64 KiB (Node's default) and 1 MiB, 1 MiB moved bytes faster and with less CPU
 * in trials, so it makes the higher ceiling.
 */
const RAW_READ_SIZE = 1 * MiB
/** The storage client's earlier read size, measured beside the current default (1 MiB) for comparison. */
const OLD_READ_SIZE = 64 * 1024

/** Where an emulator child answers, and its admin credentials. */
interface EmulatorInfo {
  readonly baseUrl: string
  readonly appId: string
  readonly authToken: string
}

// ---------------------------------------------------------------------------------------------------------------
// The uploader: the workflow on the production storage client (its own keep-alive node:http transport); Iconik calls
// on a keep-alive node:http transport too, as the `iconik` command does (or, to measure what that saves, on undici)

const clientLayer = (emulator: EmulatorInfo, readChunkSize?: number, iconikOnUndici = false) =>
  Layer.mergeAll(
    readChunkSize === undefined ? StorageClient.layer : StorageClient.layerOptions({ readChunkSize }),
    NodeFileSystem.layer,
    NodePath.layer,
    // A handful of Iconik calls per upload: the limiter is not what is measured.
    IconikClient.layer({ ...emulator, rateLimit: false }).pipe(
      Layer.provide(
        iconikOnUndici ? NodeHttpClient.layerUndici : NodeHttpClient.layerNodeHttpOptions({ keepAlive: true })
      )
    )
  )

type ClientRuntime = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof clientLayer>>, unknown>

const partsOf = (size: number) => Math.ceil(size / PART_SIZE)

/**
 * One `uploadProxy` of `file` into a new asset; checks the proxy is CLOSED with every part. Milliseconds.
 * `beforeUpload` runs once the asset exists, just before the workflow starts.
 */
const uploadWithWorkflow = (runtime: ClientRuntime, file: string, size: number, beforeUpload?: () => void) =>
  runtime.runPromise(Effect.gen(function*() {
    const asset = yield* Assets.create({ title: `upload bench ${Path.basename(file)}` })
    beforeUpload?.()
    const started = performance.now()
    // Multipart whatever the size (by default files up to 16 MiB go in one PUT), so that every size measures one path.
    const result = yield* uploadProxy({
      assetId: asset.id,
      file,
      partSize: PART_SIZE,
      concurrency: CONCURRENCY,
      singlePutThreshold: 0
    })
    const millis = performance.now() - started
    const proxy = yield* Files.getProxy(asset.id, result.proxyId)
    if (
      proxy.status !== "CLOSED" || result.size !== size || result.transfer.strategy !== "multipart" ||
      result.transfer.partsTotal !== partsOf(size)
    ) {
      const found = JSON.stringify({ status: proxy.status, result })
      return yield* Effect.die(new Error(`unexpected upload result: ${found}`))
    }
    return millis
  }))

// ---------------------------------------------------------------------------------------------------------------
// Child processes

const here = import.meta.dirname
const children = new Set<ChildProcess.ChildProcess>()

/** Serves an emulator until stdin closes (the parent went away) and prints its address as one JSON line. */
const runEmulator = async (externalS3Endpoint: string | undefined) => {
  const { IconikEmulator } = await import("../src/testing/index.ts")
  const { rgwTestCredentials } = await import("../src/testing/sigv4.ts")
  process.stdin.on("end", () => process.exit(0)).resume()
  await Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* IconikEmulator.serve({
        rateLimit: false,
        ...(externalS3Endpoint === undefined
          ? { objectStore: { discardBodies: true } }
          : { externalS3: { endpoint: externalS3Endpoint, ...rgwTestCredentials } })
      })
      console.log(JSON.stringify({ baseUrl: emulator.baseUrl, ...emulator.credentials } satisfies EmulatorInfo))
      return yield* Effect.never
    })).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )
}

const startEmulator = (externalS3Endpoint?: string) =>
  new Promise<{ info: EmulatorInfo; stop: () => void }>((resolve, reject) => {
    const args = [Path.join(here, "upload.ts"), "--emulator"]
    if (externalS3Endpoint !== undefined) args.push(externalS3Endpoint)
    const child = ChildProcess.spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] })
    children.add(child)
    const stop = () => {
      child.kill()
      children.delete(child)
    }
    child.once("exit", (code) => reject(new Error(`the emulator exited with code ${code}`)))
    child.once("error", reject)
    Readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve({ info: JSON.parse(line), stop }))
  })

/** One workflow upload in a fresh process; its peak RSS in MiB. */
const runRss = async (file: string) => {
  const emulator = JSON.parse(process.env.BENCH_UPLOAD_EMULATOR ?? "") as EmulatorInfo
  const readChunk = process.env.BENCH_UPLOAD_READ_CHUNK
  const readChunkSize = readChunk === undefined ? undefined : Number(readChunk)
  const iconikOnUndici = process.env.BENCH_UPLOAD_ICONIK_UNDICI === "1"
  const runtime = ManagedRuntime.make(clientLayer(emulator, readChunkSize, iconikOnUndici))
  let beforeUploadMiB = 0
  const millis = await uploadWithWorkflow(runtime, file, Fs.statSync(file).size, () => {
    // Peak so far: modules loaded, layers built, Iconik called once — what any use of the SDK costs.
    beforeUploadMiB = process.resourceUsage().maxRSS / 1024
  })
  await runtime.dispose()
  console.log(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, beforeUploadMiB, millis }))
}

/**
 * For reference: one raw node:http PUT of a file to a presigned URL (argv: file, url), as a script of its own so that
 * the process loads nothing else. Prints the same JSON as `--rss`.
 */
const rawPutScript = `
const Fs = require("node:fs"), Http = require("node:http")
const [file, url] = process.argv.slice(1)
const size = Fs.statSync(file).size
const started = performance.now()
const request = Http.request(url, { method: "PUT", headers: { "content-length": String(size) } }, (response) => {
  response.resume().on("end", () => {
    if (response.statusCode !== 200) throw new Error("PUT answered " + response.statusCode)
    const maxRssMiB = process.resourceUsage().maxRSS / 1024
    console.log(JSON.stringify({ maxRssMiB, beforeUploadMiB: 0, millis: performance.now() - started }))
  })
})
Fs.createReadStream(file, { highWaterMark: ${RAW_READ_SIZE} }).pipe(request)
`

/** Where `compileSelf` writes this file and the SDK modules it imports, as JavaScript. */
const compiledDir = Path.join(scratchDir, "compiled")

/** Compiles this file (and what it imports) to JavaScript, so that RSS is measured without Node's type stripping. */
const compileSelf = () => runTsc(["-p", Path.join(here, "tsconfig.compiled.json"), "--outDir", compiledDir])

const measureRss = (
  emulator: EmulatorInfo,
  file: string,
  options: {
    readonly rawPutUrl?: string
    readonly readChunkSize?: number
    readonly fromSources?: boolean
    readonly iconikOnUndici?: boolean
  } = {}
) =>
  new Promise<{ maxRssMiB: number; beforeUploadMiB: number; millis: number }>((resolve, reject) => {
    const script = options.fromSources === true
      ? Path.join(here, "upload.ts")
      : Path.join(compiledDir, "bench", "upload.js")
    const child = ChildProcess.execFile(
      process.execPath,
      options.rawPutUrl === undefined
        ? [script, "--rss", file]
        : ["-e", rawPutScript, file, options.rawPutUrl],
      {
        env: {
          ...process.env,
          BENCH_UPLOAD_EMULATOR: JSON.stringify(emulator),
          ...(options.readChunkSize === undefined ? {} : { BENCH_UPLOAD_READ_CHUNK: String(options.readChunkSize) }),
          ...(options.iconikOnUndici === true ? { BENCH_UPLOAD_ICONIK_UNDICI: "1" } : {})
        }
      },
      (error, stdout) => {
        children.delete(child)
        if (error) reject(error)
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!))
      }
    )
    children.add(child)
  })

// ---------------------------------------------------------------------------------------------------------------
// Sample media

/** A file of `size` bytes (an 8 MiB random block, numbered so that parts differ). */
const writeSample = (path: string, size: number) => {
  const block = Crypto.randomBytes(8 * MiB)
  const fd = Fs.openSync(path, "w")
  try {
    for (let offset = 0, n = 0; offset < size; offset += block.length, n++) {
      block.writeUInt32LE(n, 0)
      Fs.writeSync(fd, block, 0, Math.min(block.length, size - offset))
    }
  } finally {
    Fs.closeSync(fd)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Raw node:http baselines against the null sink

const rawAgent = new Http.Agent({ keepAlive: true })

/** One PUT of `length` bytes of `file` from `start`, streamed with an exact Content-Length. Its ETag. */
const putRange = (url: string, file: string, start: number, length: number) =>
  new Promise<string>((resolve, reject) => {
    const request = Http.request(url, {
      method: "PUT",
      agent: rawAgent,
      headers: { "content-length": String(length), "content-type": "application/octet-stream" }
    }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk)).on("error", reject).on("end", () => {
        if (response.statusCode !== 200) {
          reject(new Error(`PUT answered ${response.statusCode}: ${Buffer.concat(chunks)}`))
        }
        else resolve(String(response.headers.etag ?? ""))
      })
    })
    request.on("error", reject)
    Fs.createReadStream(file, { start, end: start + length - 1, highWaterMark: RAW_READ_SIZE })
      .on("error", reject)
      .pipe(request)
  })

const post = (url: string, body: string) =>
  new Promise<string>((resolve, reject) => {
    const headers = { "content-length": String(Buffer.byteLength(body)) }
    const request = Http.request(url, { method: "POST", agent: rawAgent, headers }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk)).on("error", reject).on("end", () => {
        const text = Buffer.concat(chunks).toString()
        if (response.statusCode !== 200 || text.includes("<Error>")) {
          reject(new Error(`POST answered ${response.statusCode}: ${text}`))
        }
        else resolve(text)
      })
    })
    request.on("error", reject)
    request.end(body)
  })

/** A new OPEN proxy record of `size` bytes: its S3 upload fields. */
const openProxy = (runtime: ClientRuntime, size: number) =>
  runtime.runPromise(Effect.gen(function*() {
    const asset = yield* Assets.create({ title: "upload bench raw" })
    const proxy = yield* Files.createProxy(asset.id, { name: "raw.bin", filename: "raw.bin", size, status: "OPEN" })
    return {
      assetId: asset.id,
      proxyId: proxy.id ?? "",
      uploadUrl: proxy.upload_url ?? "",
      multipartUrl: proxy.multipart_upload_url ?? ""
    }
  }))

/** The whole file in one PUT to the proxy's presigned PutObject URL. Milliseconds. */
const rawSinglePut = async (runtime: ClientRuntime, file: string, size: number) => {
  const { uploadUrl } = await openProxy(runtime, size)
  const started = performance.now()
  await putRange(uploadUrl, file, 0, size)
  return performance.now() - started
}

/**
 * The same multipart upload as the workflow's, by hand: 8 MiB range PUTs to the presigned part URLs, 4 at a time,
 * then Complete. The part URLs are fetched from Iconik before the clock starts. Milliseconds.
 */
const rawRangePuts = async (runtime: ClientRuntime, file: string, size: number) => {
  const proxy = await openProxy(runtime, size)
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await post(proxy.multipartUrl, ""))?.[1] ?? ""
  const partsNum = partsOf(size)
  const { urls, completeUrl } = await runtime.runPromise(Effect.gen(function*() {
    const urls = new Map<number, string>()
    for (let page = 1; urls.size < partsNum; page++) {
      const answer = yield* files.listAssetProxyMultipartUrlPart({
        asset_id: proxy.assetId,
        proxy_id: proxy.proxyId,
        query: { upload_id: uploadId, parts_num: partsNum, page, per_page: 100 }
      })
      for (const o of answer.objects ?? []) if (o.number != null && o.url != null) urls.set(o.number, o.url)
    }
    const completion = yield* Files.getS3CompleteUrls(proxy.assetId, proxy.proxyId, uploadId)
    return { urls, completeUrl: completion.complete_url ?? "" }
  }))
  const started = performance.now()
  const etags: Array<string> = []
  let next = 1
  const worker = async () => {
    for (let part = next++; part <= partsNum; part = next++) {
      const offset = (part - 1) * PART_SIZE
      etags[part - 1] = await putRange(urls.get(part)!, file, offset, Math.min(PART_SIZE, size - offset))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  await post(
    completeUrl,
    `<CompleteMultipartUpload>${
      etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
    }</CompleteMultipartUpload>`
  )
  return performance.now() - started
}

// ---------------------------------------------------------------------------------------------------------------
// RadosGW

interface Rgw {
  readonly endpoint: string
  /** Set when this run started the cluster (and stops it). */
  readonly stop: (() => void) | undefined
  /** The cluster's ceph.conf when it is on this machine (to run RadosGW's garbage collection between uploads). */
  readonly conf: string | undefined
}

const rgwEnv = () => ({
  ...process.env,
  RGW_PORT: String(RGW_PORT),
  // Away from the 6800–7300 range OSDs of other clusters on this machine bind to.
  MON_PORT: process.env.MON_PORT ?? String(RGW_PORT + 120)
})

const rgwConf = (port: string) => {
  const conf = Path.join(process.env.RGW_STATE_DIR ?? Path.join(Os.tmpdir(), `effect-iconik-rgw-${port}`), "ceph.conf")
  return Fs.existsSync(conf) ? conf : undefined
}

const startRgw = (): Rgw | { readonly error: string } => {
  const given = process.env.RGW_ENDPOINT
  if (given !== undefined && given !== "") {
    return { endpoint: given, stop: undefined, conf: rgwConf(new URL(given).port) }
  }
  const root = Path.join(here, "..")
  try {
    const out = ChildProcess.execFileSync("bash", [Path.join(root, "scripts/rgw-up.sh")], {
      env: rgwEnv(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000
    })
    const endpoint = /RGW_ENDPOINT=(\S+)/.exec(out)?.[1]
    if (endpoint === undefined) return { error: `rgw-up.sh printed no endpoint: ${out.trim()}` }
    // rgw-down.sh kills the cluster's daemons by their pid files and removes its state folder.
    const stop = () =>
      ChildProcess.execFileSync("bash", [Path.join(root, "scripts/rgw-down.sh")], { env: rgwEnv(), stdio: "ignore" })
    return { endpoint, stop, conf: rgwConf(String(RGW_PORT)) }
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error)
    const said = stderr.trim().split("\n").filter((line) => line.startsWith("rgw-up")).join("; ")
    return { error: said || stderr.slice(-300) }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics and rows

const mibPerSecond = (bytes: number, millis: number) => bytes / MiB / (millis / 1000)
const timeRow = (metric: string, bytes: number, { millis: samples }: Samples): Row => ({
  metric: `${metric} (median of ${samples.length})`,
  value: `${fmt(median(samples) / 1000)} s, ${fmt(mibPerSecond(bytes, median(samples)), 0)} MiB/s`
})

/** Per contender: wall-clock milliseconds, and CPU milliseconds of this process (the uploader's side), per run. */
interface Samples {
  readonly millis: Array<number>
  readonly cpuMillis: Array<number>
}

/** Runs the contenders once each per repetition, rotating who goes first. */
const alternate = async <K extends string>(
  label: string,
  reps: number,
  contenders: Record<K, () => Promise<number>>,
  afterEach: () => Promise<void> = async () => {}
) => {
  const names = Object.keys(contenders) as Array<K>
  const samples = Object.fromEntries(
    names.map((name): [K, Samples] => [name, { millis: [], cpuMillis: [] }])
  ) as Record<K, Samples>
  for (let rep = 0; rep < reps; rep++) {
    for (const name of names.map((_, i) => names[(i + rep) % names.length]!)) {
      const cpu = process.cpuUsage()
      const millis = await contenders[name]()
      const used = process.cpuUsage(cpu)
      samples[name].millis.push(millis)
      samples[name].cpuMillis.push((used.user + used.system) / 1000)
      console.error(`  ${label} rep ${rep + 1}/${reps} ${name}: ${fmt(millis / 1000)} s`)
      await afterEach()
    }
  }
  return samples
}

/** The uploader's CPU per GiB moved, for each contender (where the time goes on a 2-core machine). */
const cpuRow = (metric: string, bytes: number, samples: Record<string, Samples>): Row => ({
  metric: `${metric}: uploader CPU per GiB (median; grows with the machine's load)`,
  value: Object.entries(samples)
    .map(([name, s]) => `${name} ${fmt(median(s.cpuMillis) / 1000 / (bytes / 1024 / MiB))} s`)
    .join(", ")
})

// ---------------------------------------------------------------------------------------------------------------

const main = async () => {
  const started = new Date()
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-iconik-bench-upload-"))
  const large = Path.join(dir, `large-${LARGE_MIB}MiB.bin`)
  const small = Path.join(dir, `small-${SMALL_MIB}MiB.bin`)
  const largeSize = LARGE_MIB * MiB
  const smallSize = SMALL_MIB * MiB
  let rgw: Rgw | { readonly error: string } | undefined
  const runtimes: Array<ClientRuntime> = []
  const rows: Array<Row> = []
  // Child processes, the media and a RadosGW this run started go away however the run ends (Ctrl-C included).
  let cleanedUp = false
  const cleanUp = () => {
    if (cleanedUp) return
    cleanedUp = true
    for (const child of children) child.kill()
    rawAgent.destroy()
    if (rgw !== undefined && "stop" in rgw) rgw.stop?.()
    Fs.rmSync(dir, { recursive: true, force: true })
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      cleanUp()
      process.exit(130)
    })
  }
  const raw: Record<string, unknown> = {
    largeMiB: LARGE_MIB,
    smallMiB: SMALL_MIB,
    reps: REPS,
    sinkReps: SINK_REPS,
    partSize: PART_SIZE,
    concurrency: CONCURRENCY
  }
  try {
    writeSample(large, largeSize)
    writeSample(small, smallSize)

    // 2. Null sink -------------------------------------------------------------------------------------------------
    console.error(`upload: null sink, ${LARGE_MIB} MiB × ${SINK_REPS}`)
    const sink = await startEmulator()
    const sinkRuntime: ClientRuntime = ManagedRuntime.make(clientLayer(sink.info))
    const sinkRuntimeSmallReads: ClientRuntime = ManagedRuntime.make(clientLayer(sink.info, OLD_READ_SIZE))
    runtimes.push(sinkRuntime, sinkRuntimeSmallReads)
    const sinkContenders = {
      workflow: () => uploadWithWorkflow(sinkRuntime, large, largeSize),
      workflowReads64KiB: () => uploadWithWorkflow(sinkRuntimeSmallReads, large, largeSize),
      rawSinglePut: () => rawSinglePut(sinkRuntime, large, largeSize),
      rawRangePuts: () => rawRangePuts(sinkRuntime, large, largeSize)
    }
    // Warm-up: JIT, connections, page cache.
    await uploadWithWorkflow(sinkRuntime, small, smallSize)
    await uploadWithWorkflow(sinkRuntimeSmallReads, small, smallSize)
    await rawSinglePut(sinkRuntime, small, smallSize)
    await rawRangePuts(sinkRuntime, small, smallSize)
    const sinkSamples = await alternate("sink", SINK_REPS, sinkContenders)
    raw.sink = sinkSamples
    const ours = mibPerSecond(largeSize, median(sinkSamples.workflow.millis))
    const single = mibPerSecond(largeSize, median(sinkSamples.rawSinglePut.millis))
    const ranges = mibPerSecond(largeSize, median(sinkSamples.rawRangePuts.millis))
    const ceiling = Math.max(single, ranges)
    const sinkRatio = ours / ceiling
    // Same repetition, same machine weather: our time against the faster raw variant's in that repetition.
    const pairedSinkRatio = median(sinkSamples.workflow.millis.map((millis, i) =>
      Math.min(sinkSamples.rawSinglePut.millis[i]!, sinkSamples.rawRangePuts.millis[i]!) / millis
    ))
    rows.push(
      timeRow(`null sink: uploadProxy, ${LARGE_MIB} MiB, 8 MiB parts × 4`, largeSize, sinkSamples.workflow),
      timeRow(
        "null sink: uploadProxy with the storage client's readChunkSize at 64 KiB (the earlier default; now 1 MiB)",
        largeSize,
        sinkSamples.workflowReads64KiB
      ),
      timeRow(
        "null sink: raw node:http, one PUT streaming the file (exact Content-Length, 1 MiB reads)",
        largeSize,
        sinkSamples.rawSinglePut
      ),
      timeRow(
        "null sink: raw node:http, 8 MiB range PUTs × 4 to presigned part URLs + Complete (1 MiB reads)",
        largeSize,
        sinkSamples.rawRangePuts
      ),
      {
        metric: `null sink: uploadProxy ÷ the faster raw variant (${
          single >= ranges ? "one PUT" : "range PUTs"
        }), throughput`,
        value: `${fmt(sinkRatio)}${sinkRatio < 0.8 ? ` (short by ${fmt(0.8 - sinkRatio)})` : ""}`,
        target: "≥ 0.8",
        met: sinkRatio >= 0.8
      },
      { metric: "null sink: the same ratio taken within each repetition (median)", value: fmt(pairedSinkRatio) },
      cpuRow("null sink", largeSize, sinkSamples)
    )

    // 3. Peak RSS, each size in a fresh process (against the null sink) ---------------------------------------------
    console.error("upload: peak RSS (compiling the uploader to JavaScript first)")
    compileSelf()
    const rssSmall = await measureRss(sink.info, small)
    const rssLarge = await measureRss(sink.info, large)
    const rssSmallReads = await measureRss(sink.info, large, { readChunkSize: OLD_READ_SIZE })
    const rssSources = await measureRss(sink.info, large, { fromSources: true })
    const rssUndici = await measureRss(sink.info, large, { iconikOnUndici: true })
    const rawPutUrl = (await openProxy(sinkRuntime, largeSize)).uploadUrl
    const rssRaw = await measureRss(sink.info, large, { rawPutUrl })
    raw.rss = {
      small: rssSmall,
      large: rssLarge,
      largeReads64KiB: rssSmallReads,
      fromSources: rssSources,
      iconikOnUndici: rssUndici,
      rawPut: rssRaw
    }
    const rssRatio = rssLarge.maxRssMiB / rssSmall.maxRssMiB
    rows.push(
      {
        metric: `RSS before the upload starts (modules loaded, layers built, one Iconik call), ${SMALL_MIB} MiB / ${
          LARGE_MIB
        } MiB runs`,
        value: `${fmt(rssSmall.beforeUploadMiB, 1)} MiB / ${fmt(rssLarge.beforeUploadMiB, 1)} MiB`
      },
      {
        metric: `peak RSS, uploadProxy of ${SMALL_MIB} MiB (fresh process, compiled JavaScript)`,
        value: `${fmt(rssSmall.maxRssMiB, 1)} MiB`
      },
      {
        metric: `peak RSS, uploadProxy of ${LARGE_MIB} MiB (fresh process, compiled JavaScript)`,
        value: `${fmt(rssLarge.maxRssMiB, 1)} MiB${
          rssLarge.maxRssMiB > 150 ? ` (over by ${fmt(rssLarge.maxRssMiB - 150, 1)} MiB)` : ""
        }`,
        target: "≤ 150 MiB",
        met: rssLarge.maxRssMiB <= 150
      },
      {
        metric: `peak RSS ${LARGE_MIB} MiB − RSS before its upload (what the upload itself adds)`,
        value: `${fmt(rssLarge.maxRssMiB - rssLarge.beforeUploadMiB, 1)} MiB`
      },
      {
        metric: `peak RSS, uploadProxy of ${LARGE_MIB} MiB with readChunkSize 64 KiB (fresh process)`,
        value: `${fmt(rssSmallReads.maxRssMiB, 1)} MiB`
      },
      {
        metric: `for reference: peak RSS, uploadProxy of ${LARGE_MIB} MiB with the Iconik calls on undici`,
        value: `${fmt(rssUndici.maxRssMiB, 1)} MiB`
      },
      {
        metric: `for reference: peak RSS, uploadProxy of ${LARGE_MIB} MiB from the TypeScript sources (type stripping)`,
        value: `${fmt(rssSources.maxRssMiB, 1)} MiB`
      },
      {
        metric: `for reference: peak RSS of one raw node:http PUT of ${LARGE_MIB} MiB (1 MiB reads, fresh process)`,
        value: `${fmt(rssRaw.maxRssMiB, 1)} MiB`
      },
      {
        metric: `peak RSS ${LARGE_MIB} MiB ÷ ${SMALL_MIB} MiB`,
        value: `${fmt(rssRatio)}×${rssRatio > 1.25 ? ` (over by ${fmt(rssRatio - 1.25)}×)` : ""}`,
        target: "≤ 1.25×",
        met: rssRatio <= 1.25
      }
    )
    await Promise.all(runtimes.map((runtime) => runtime.dispose()))
    runtimes.length = 0
    sink.stop()

    // 1. RadosGW ---------------------------------------------------------------------------------------------------
    console.error(`upload: RadosGW, ${LARGE_MIB} MiB × ${REPS}`)
    rgw = startRgw()
    if ("error" in rgw) {
      rows.unshift({
        metric: "RadosGW: skipped, RadosGW could not start",
        value: rgw.error,
        target: "ours ≤ 0.9× lib-storage",
        met: false
      })
      raw.rgw = { skipped: rgw.error }
    } else {
      rows.unshift(...await benchRadosGw(rgw, { large, largeSize, small, smallSize }, raw, runtimes))
    }
  } finally {
    await Promise.all(runtimes.map((runtime) => runtime.dispose()))
    cleanUp()
  }

  writeResult({
    section: "upload",
    title: "Uploads (uploadProxy, S3 multipart)",
    rows,
    raw
  }, started)
}

const benchRadosGw = async (
  rgw: Rgw,
  media: { large: string; largeSize: number; small: string; smallSize: number },
  raw: Record<string, unknown>,
  runtimes: Array<ClientRuntime>
): Promise<Array<Row>> => {
  const S3 = await import("@aws-sdk/client-s3")
  const { Upload } = await import("@aws-sdk/lib-storage")
  const { rgwTestCredentials: { region, accessKeyId, secretAccessKey } } = await import("../src/testing/sigv4.ts")
  const emulator = await startEmulator(rgw.endpoint)
  try {
    const runtime: ClientRuntime = ManagedRuntime.make(clientLayer(emulator.info))
    const runtimeSmallReads: ClientRuntime = ManagedRuntime.make(clientLayer(emulator.info, OLD_READ_SIZE))
    runtimes.push(runtime, runtimeSmallReads)
    const s3Options = {
      endpoint: rgw.endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey }
    }
    // As users get it: over plain HTTP it signs each part's SHA-256 and, by default, adds a CRC32 checksum.
    const sdkDefault = new S3.S3Client(s3Options)
    const sdkNoChecksum = new S3.S3Client({ ...s3Options, requestChecksumCalculation: "WHEN_REQUIRED" })
    let key = 0
    const libStorage = (client: InstanceType<typeof S3.S3Client>, file: string) => async () => {
      const started = performance.now()
      await new Upload({
        client,
        params: { Bucket: PROXY_BUCKET, Key: `lib-storage/${key++}.bin`, Body: Fs.createReadStream(file) },
        partSize: PART_SIZE,
        queueSize: CONCURRENCY
      }).done()
      return performance.now() - started
    }

    /** Checks the last upload left one object of the expected size, deletes it and lets RadosGW free its space. */
    const expectAndDelete = (size: number) => async () => {
      const listed = await sdkDefault.send(new S3.ListObjectsV2Command({ Bucket: PROXY_BUCKET }))
      const objects = listed.Contents ?? []
      if (objects.length !== 1 || objects[0]!.Size !== size) {
        const found = JSON.stringify(objects.map((o) => [o.Key, o.Size]))
        throw new Error(`expected one object of ${size} bytes, found ${found}`)
      }
      await sdkDefault.send(new S3.DeleteObjectCommand({ Bucket: PROXY_BUCKET, Key: objects[0]!.Key! }))
      // RadosGW's memstore holds a few GiB: the parts of deleted objects go only once the GC has run.
      if (rgw.conf !== undefined) {
        const gc = ["-c", rgw.conf, "gc", "process", "--include-all"]
        ChildProcess.execFileSync("radosgw-admin", gc, { stdio: "ignore" })
      }
    }

    // Warm-up (and a check that the bucket starts empty).
    for (const warmUp of [
      () => uploadWithWorkflow(runtime, media.small, media.smallSize),
      () => uploadWithWorkflow(runtimeSmallReads, media.small, media.smallSize),
      libStorage(sdkDefault, media.small),
      libStorage(sdkNoChecksum, media.small)
    ]) {
      await warmUp()
      await expectAndDelete(media.smallSize)()
    }
    const samples = await alternate("rgw", REPS, {
      workflow: () => uploadWithWorkflow(runtime, media.large, media.largeSize),
      workflowReads64KiB: () => uploadWithWorkflow(runtimeSmallReads, media.large, media.largeSize),
      libStorage: libStorage(sdkDefault, media.large),
      libStorageNoChecksum: libStorage(sdkNoChecksum, media.large)
    }, expectAndDelete(media.largeSize))
    raw.rgw = { endpoint: rgw.endpoint, ...samples }
    sdkDefault.destroy()
    sdkNoChecksum.destroy()

    const ratio = median(samples.workflow.millis) / median(samples.libStorage.millis)
    const ratioNoChecksum = median(samples.workflow.millis) / median(samples.libStorageNoChecksum.millis)
    const pairedRatio = median(samples.workflow.millis.map((millis, i) => millis / samples.libStorage.millis[i]!))
    return [
      timeRow(
        `RadosGW: uploadProxy, ${LARGE_MIB} MiB, 8 MiB parts × 4, emulator's presigned URLs`,
        media.largeSize,
        samples.workflow
      ),
      timeRow(
        "RadosGW: lib-storage Upload, same part size, queueSize 4 (SDK defaults: CRC32 + signed payload)",
        media.largeSize,
        samples.libStorage
      ),
      {
        metric: "RadosGW: uploadProxy ÷ lib-storage, time",
        value: `${fmt(ratio)}×${ratio > 0.9 ? ` (over by ${fmt(ratio - 0.9)}×)` : ""}`,
        target: "≤ 0.9×",
        met: ratio <= 0.9
      },
      { metric: "RadosGW: the same ratio taken within each repetition (median)", value: `${fmt(pairedRatio)}×` },
      timeRow(
        "RadosGW: lib-storage Upload with requestChecksumCalculation WHEN_REQUIRED (no CRC32)",
        media.largeSize,
        samples.libStorageNoChecksum
      ),
      { metric: "RadosGW: uploadProxy ÷ lib-storage without CRC32, time", value: `${fmt(ratioNoChecksum)}×` },
      timeRow(
        "RadosGW: uploadProxy with the storage client's readChunkSize at 64 KiB (the earlier default; now 1 MiB)",
        media.largeSize,
        samples.workflowReads64KiB
      ),
      cpuRow("RadosGW", media.largeSize, samples)
    ]
  } finally {
    emulator.stop()
  }
}

// ---------------------------------------------------------------------------------------------------------------

const [mode, argument] = process.argv.slice(2)
if (mode === "--emulator") await runEmulator(argument)
else if (mode === "--rss") await runRss(argument!)
else await main()
