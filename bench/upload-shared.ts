/**
 * What the upload sections share besides the uploader itself (upload-client.ts): the emulator child they start,
 * sample media, the raw node:http baselines, and the statistics of contenders run side by side.
 */
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import * as Readline from "node:readline"
import * as Assets from "../src/Assets.ts"
import * as Files from "../src/Files.ts"
import * as files from "../src/generated/files.ts"
import { MiB } from "../src/storage/Parts.ts"
import { type Chart, fmt, median, type Row } from "./harness.ts"
import {
  type ClientRuntime,
  CONCURRENCY,
  type EmulatorInfo,
  PART_SIZE,
  partsOf,
  retryReset
} from "./upload-client.ts"

/** The bucket the emulator gives its PROXIES storage; lib-storage writes beside the workflow's objects. */
export const PROXY_BUCKET = "iconik-proxies"
/**
 * Read size of the raw baselines: of 64 KiB (Node's default) and 1 MiB, 1 MiB moved bytes faster and with less CPU
 * in trials, so it makes the higher ceiling.
 */
export const RAW_READ_SIZE = 1 * MiB

// ---------------------------------------------------------------------------------------------------------------
// Child processes

/** Every child still running, for the driver to stop however it ends. */
export const children = new Set<ChildProcess.ChildProcess>()

/**
 * Starts upload-emulator.ts with `args` and waits for the JSON line saying where it answers (`storageUrl`: where the
 * store is reached, when not through the emulator's own address).
 */
export const startEmulator = (...args: ReadonlyArray<string>) =>
  new Promise<{ info: EmulatorInfo & { readonly storageUrl?: string }; stop: () => void }>((resolve, reject) => {
    const script = Path.join(import.meta.dirname, "upload-emulator.ts")
    const child = ChildProcess.spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"] })
    children.add(child)
    const stop = () => {
      child.kill()
      children.delete(child)
    }
    child.once("exit", (code) => reject(new Error(`the emulator exited with code ${code}`)))
    child.once("error", reject)
    Readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve({ info: JSON.parse(line), stop }))
  })

// ---------------------------------------------------------------------------------------------------------------
// Sample media

/** A file of `size` bytes (an 8 MiB random block, numbered so that parts differ). */
export const writeSample = (path: string, size: number) => {
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
// Raw node:http baselines

export const rawAgent = new Http.Agent({ keepAlive: true })

/** One PUT of `length` bytes of `file` from `start`, streamed with an exact Content-Length. Its ETag. */
export const putRange = (url: string, file: string, start: number, length: number) =>
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

export const post = (url: string, body: string) =>
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
export const openProxy = (runtime: ClientRuntime, size: number) =>
  runtime.runPromise(retryReset(Effect.gen(function*() {
    const asset = yield* Assets.create({ title: "upload bench raw" })
    const proxy = yield* Files.createProxy(asset.id, { name: "raw.bin", filename: "raw.bin", size, status: "OPEN" })
    return {
      assetId: asset.id,
      proxyId: proxy.id ?? "",
      uploadUrl: proxy.upload_url ?? "",
      multipartUrl: proxy.multipart_upload_url ?? ""
    }
  })))

/**
 * The same multipart upload as the workflow's, by hand: 8 MiB range PUTs to the presigned part URLs, `concurrency`
 * at a time (default 4), then Complete. By default the clock starts once the part URLs are fetched from Iconik;
 * `timeEveryCall` starts it before the proxy is created, as the workflow's does. Milliseconds.
 */
export const rawRangePuts = async (
  runtime: ClientRuntime,
  file: string,
  size: number,
  options: { readonly concurrency?: number; readonly timeEveryCall?: boolean } = {}
) => {
  const early = performance.now()
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
  const started = options.timeEveryCall === true ? early : performance.now()
  const etags: Array<string> = []
  let next = 1
  const worker = async () => {
    for (let part = next++; part <= partsNum; part = next++) {
      const offset = (part - 1) * PART_SIZE
      etags[part - 1] = await putRange(urls.get(part)!, file, offset, Math.min(PART_SIZE, size - offset))
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? CONCURRENCY }, worker))
  await post(
    completeUrl,
    `<CompleteMultipartUpload>${
      etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
    }</CompleteMultipartUpload>`
  )
  return performance.now() - started
}

// ---------------------------------------------------------------------------------------------------------------
// Statistics and rows

export const mibPerSecond = (bytes: number, millis: number) => bytes / MiB / (millis / 1000)
export const timeRow = (metric: string, bytes: number, { millis: samples }: Samples): Row => ({
  metric: `${metric} (median of ${samples.length})`,
  value: `${fmt(median(samples) / 1000)} s, ${fmt(mibPerSecond(bytes, median(samples)), 0)} MiB/s`
})

/** Per contender: wall-clock milliseconds, and CPU milliseconds of this process (the uploader's side), per run. */
export interface Samples {
  readonly millis: Array<number>
  readonly cpuMillis: Array<number>
}

/** Runs the contenders once each per repetition, rotating who goes first. */
export const alternate = async <K extends string>(
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
export const cpuRow = (metric: string, bytes: number, samples: Record<string, Samples>): Row => ({
  metric: `${metric}: uploader CPU per GiB (median; grows with the machine's load)`,
  value: Object.entries(samples)
    .map(([name, s]) => `${name} ${fmt(median(s.cpuMillis) / 1000 / (bytes / 1024 / MiB))} s`)
    .join(", ")
})

/** Seconds per upload, for a chart. */
export const inSeconds = (samples: Samples) => samples.millis.map((millis) => millis / 1000)

/**
 * The upload section's chart, from the samples in its results file (`raw`): RadosGW when it ran, then the null sink,
 * each contender's time per upload of the large file.
 */
export const uploadChart = (raw: Record<string, unknown>): Chart => {
  const size = `${raw.largeMiB} MiB`
  const rgw = raw.rgw as Partial<Record<"workflow" | "workflowReads64KiB" | "libStorage" | "libStorageNoChecksum", Samples>>
  const sink = raw.sink as Record<"workflow" | "workflowReads64KiB" | "rawSinglePut" | "rawRangePuts", Samples>
  return {
    title: `Uploads of ${size} in 8 MiB parts × 4, time per upload`,
    unit: "s",
    groups: [
      ...(rgw.workflow === undefined || rgw.workflowReads64KiB === undefined || rgw.libStorage === undefined ||
          rgw.libStorageNoChecksum === undefined
        ? []
        : [{
          label: `RadosGW on this machine, ${size}`,
          bars: [
            { label: "uploadProxy", samples: inSeconds(rgw.workflow) },
            { label: "uploadProxy, 64 KiB reads", samples: inSeconds(rgw.workflowReads64KiB) },
            { label: "lib-storage", samples: inSeconds(rgw.libStorage) },
            { label: "lib-storage without CRC32", samples: inSeconds(rgw.libStorageNoChecksum) }
          ]
        }]),
      {
        label: `null sink (the emulator's object store keeping no bytes), ${size}`,
        bars: [
          { label: "uploadProxy", samples: inSeconds(sink.workflow) },
          { label: "uploadProxy, 64 KiB reads", samples: inSeconds(sink.workflowReads64KiB) },
          { label: "raw node:http, one PUT", samples: inSeconds(sink.rawSinglePut) },
          { label: "raw node:http, range PUTs", samples: inSeconds(sink.rawRangePuts) }
        ]
      }
    ]
  }
}
