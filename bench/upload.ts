/**
 * Upload benchmarks, all through the `uploadProxy` workflow (proxy record → S3 multipart on presigned URLs →
 * CLOSED):
 *
 * 1. a large file in 8 MiB parts, 4 in flight, to Ceph RadosGW through the emulator's real SigV4 presigned URLs, vs
 *    `@aws-sdk/lib-storage` `Upload` of the same file to the same RadosGW (same part size, queueSize 4);
 * 2. the same upload to a null S3 sink (the emulator's object store with `discardBodies`, in a process of its own,
 *    over a socket) vs raw `node:http` PUTs of the same bytes to the same sink;
 * 3. peak RSS of the workflow uploading a small and a large file, each in a fresh process running upload-rss.ts
 *    compiled to JavaScript (as the package is installed from npm), with reference runs from the TypeScript sources
 *    and with the Iconik calls on undici.
 *
 * Contenders alternate within every repetition, and the order rotates from one repetition to the next, so machine
 * noise hits them alike. The emulator runs in a child process (upload-emulator.ts) so that its work is not charged
 * to the uploader; the uploader is upload-client.ts, RadosGW comes from upload-rgw.ts.
 *
 * Environment: BENCH_UPLOAD_MIB (large file, default 1024), BENCH_UPLOAD_SMALL_MIB (default 64), BENCH_UPLOAD_REPS
 * (RadosGW repetitions, default 3), BENCH_UPLOAD_SINK_REPS (null-sink repetitions, default 5), RGW_ENDPOINT (when
 * unset, RadosGW is started with scripts/rgw-up.sh on BENCH_UPLOAD_RGW_PORT, default 7495, and stopped at the end).
 */
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { MiB } from "../src/storage/Parts.ts"
import { envInt, fmt, median, type Row, runTsc, scratchDir, writeResult } from "./harness.ts"
import {
  type ClientRuntime,
  clientLayer,
  CONCURRENCY,
  type EmulatorInfo,
  PART_SIZE,
  uploadWithWorkflow
} from "./upload-client.ts"
import { type Rgw, startRgw } from "./upload-rgw.ts"
import {
  alternate,
  children,
  uploadChart,
  cpuRow,
  mibPerSecond,
  openProxy,
  PROXY_BUCKET,
  putRange,
  RAW_READ_SIZE,
  rawAgent,
  rawRangePuts,
  startEmulator,
  timeRow,
  writeSample
} from "./upload-shared.ts"

const LARGE_MIB = envInt("BENCH_UPLOAD_MIB", 1024)
const SMALL_MIB = envInt("BENCH_UPLOAD_SMALL_MIB", 64)
const REPS = envInt("BENCH_UPLOAD_REPS", 3)
/** The null sink is quick and noisier: more repetitions. */
const SINK_REPS = envInt("BENCH_UPLOAD_SINK_REPS", 5)
/** The storage client's earlier read size, measured beside the current default (1 MiB) for comparison. */
const OLD_READ_SIZE = 64 * 1024

const here = import.meta.dirname

// ---------------------------------------------------------------------------------------------------------------
// Peak RSS

/**
 * For reference: one raw node:http PUT of a file to a presigned URL (argv: file, url), as a script of its own so that
 * the process loads nothing else. Prints the same JSON as upload-rss.ts.
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

/** Where `compileSelf` writes upload-rss.ts and the SDK modules it imports, as JavaScript. */
const compiledDir = Path.join(scratchDir, "compiled")

/** Compiles upload-rss.ts (and what it imports) to JavaScript, so that RSS is measured without Node's type stripping. */
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
      ? Path.join(here, "upload-rss.ts")
      : Path.join(compiledDir, "bench", "upload-rss.js")
    const child = ChildProcess.execFile(
      process.execPath,
      options.rawPutUrl === undefined
        ? [script, file]
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
// Raw node:http baseline against the null sink

/** The whole file in one PUT to the proxy's presigned PutObject URL. Milliseconds. */
const rawSinglePut = async (runtime: ClientRuntime, file: string, size: number) => {
  const { uploadUrl } = await openProxy(runtime, size)
  const started = performance.now()
  await putRange(uploadUrl, file, 0, size)
  return performance.now() - started
}

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
    chart: uploadChart(raw),
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

await main()
