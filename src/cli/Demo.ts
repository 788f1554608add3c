/**
 * `iconik demo`: the SDK end to end with no credentials and no network. It starts the Iconik emulator in-process
 * (with its embedded object store behind presigned URLs), makes sample media in a temporary folder, ingests the
 * original (S3 multipart) and uploads a proxy with progress bars, then reads the records back through the API and
 * checks them: sizes, checksum, CLOSED statuses, finished jobs, stored objects. Any failed check fails the command.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Path from "effect/Path"
import * as Schema from "effect/Schema"
import * as Assets from "../Assets.ts"
import * as Files from "../Files.ts"
import * as Jobs from "../Jobs.ts"
import { StorageClient } from "../storage/StorageClient.ts"
import { IconikEmulator } from "../testing/index.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import * as LocalFile from "../../workflows/LocalFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { formatBytes, withProgressBar } from "./ProgressBar.ts"
import * as Output from "./Output.ts"

const MiB = 1024 * 1024
/** Above this the original goes up in parts (so the default 12 MiB demo shows a multipart upload). */
const singlePutThreshold = 8 * MiB

/** Some checks of the demo failed. */
export class VerificationFailed extends Schema.TaggedError<VerificationFailed>()("VerificationFailed", {
  failed: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.failed.length} check${this.failed.length === 1 ? "" : "s"} failed: ${this.failed.join("; ")}`
  }
}

export interface DemoOptions {
  /** Size of the sample original, in bytes. Default 12 MiB (three 5 MiB-or-less parts). */
  readonly originalBytes?: number | undefined
  /** Size of the sample proxy. Default 3 MiB (one PUT). */
  readonly proxyBytes?: number | undefined
  readonly json: boolean
  readonly progress: boolean
}

export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/** Sample media: deterministic pseudo-random bytes (incompressible, like real media). */
const sampleBytes = (size: number, seed: number) => {
  const bytes = new Uint8Array(size)
  let x = seed >>> 0
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    bytes[i] = x >>> 24
  }
  return bytes
}

/** The in-process emulator, its admin's client, and a storage client that reaches its object store. */
export const demoLayer = Layer.effect(StorageClient, StorageClient.make()).pipe(
  Layer.provide(NodeFileSystem.layer),
  Layer.provideMerge(
    IconikEmulator.layerClient({ seed: "demo", jobs: { startAfter: 100, duration: 300, abortAfter: 100 } })
  )
)

export const runDemo = (options: DemoOptions) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const emulator = yield* IconikEmulator
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-demo-" })
    const originalPath = path.join(dir, "interview-03.mov")
    const proxyPath = path.join(dir, "interview-03-proxy.mp4")
    yield* fs.writeFile(originalPath, sampleBytes(options.originalBytes ?? 12 * MiB, 3))
    yield* fs.writeFile(proxyPath, sampleBytes(options.proxyBytes ?? 3 * MiB, 7))
    if (!options.json) yield* Output.note(`Iconik emulator running in-process at ${emulator.baseUrl}; sample media in ${dir}`)

    const progress = { enabled: options.progress }
    const ingested = yield* withProgressBar(
      ingestFile({
        file: originalPath,
        title: "Interview 03",
        partSize: 5 * MiB,
        singlePutThreshold,
        transcode: true,
        wait: { interval: 100 }
      }),
      progress
    )
    const proxied = yield* withProgressBar(
      uploadProxy({
        assetId: ingested.assetId,
        file: proxyPath,
        proxy: { format: "MPEG-4", codec: "h264", frame_rate: "25", resolution: { width: 1280, height: 720 } },
        keyframes: true,
        wait: { interval: 100 }
      }),
      progress
    )

    // Read everything back through the API, as a client would, and compare with the local files.
    const asset = yield* Assets.get(ingested.assetId)
    const file = yield* Files.getFile(ingested.assetId, ingested.fileId)
    const proxy = yield* Files.getProxy(ingested.assetId, proxied.proxyId)
    const transcodeJob = ingested.jobId === undefined ? undefined : yield* Jobs.get(ingested.jobId)
    const keyframesJob = proxied.keyframesJobId === undefined ? undefined : yield* Jobs.get(proxied.keyframesJobId)
    const originalInfo = yield* LocalFile.inspect(originalPath)
    const proxyInfo = yield* LocalFile.inspect(proxyPath)
    const checksum = yield* LocalFile.checksum(originalPath)
    const stored = (yield* emulator.verifyClosedUploads).filter((m) => m.kind !== "keyframe")
    const open = (yield* emulator.openRecords).filter((r) => r.record.status === "OPEN")

    const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail })
    const checks: ReadonlyArray<Check> = [
      check("asset", asset.title === "Interview 03", `"${asset.title}" (${asset.id})`),
      check("original CLOSED", file.status === "CLOSED", `file ${file.id} is ${file.status}`),
      check("original size", file.size === originalInfo.size, `${file.size} bytes, local ${originalInfo.size}`),
      check("original checksum", file.checksum === checksum, `md5 ${file.checksum}`),
      check(
        "original upload",
        ingested.transfer.strategy === (originalInfo.size > singlePutThreshold ? "multipart" : "single"),
        `S3 ${ingested.transfer.strategy}, ${ingested.transfer.partsTotal ?? 1} part(s)`
      ),
      check("proxy CLOSED", proxy.status === "CLOSED", `proxy ${proxy.id} is ${proxy.status}`),
      check("proxy size", proxy.size === proxyInfo.size, `${proxy.size} bytes, local ${proxyInfo.size}`),
      check("transcode job", transcodeJob?.status === "FINISHED", `${transcodeJob?.id ?? "none"} ${transcodeJob?.status ?? ""}`),
      check("keyframes job", keyframesJob?.status === "FINISHED", `${keyframesJob?.id ?? "none"} ${keyframesJob?.status ?? ""}`),
      check("stored objects", stored.length === 0, stored.length === 0 ? "every CLOSED record has its bytes" : `${stored.length} mismatches`),
      check("no OPEN records", open.length === 0, `${open.length} open`)
    ]
    const summary = {
      assetId: asset.id,
      fileId: file.id,
      proxyId: proxy.id,
      bytes: originalInfo.size + proxyInfo.size,
      checks
    }
    const failed = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)
    // With --json a failure prints only its error document, so stdout holds one JSON value either way.
    if (!options.json || failed.length === 0) yield* Output.result(options.json, summary, () => [
      `Demo: ingested ${formatBytes(originalInfo.size)} and a ${formatBytes(proxyInfo.size)} proxy into the emulator`,
      ...checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(18)} ${c.detail}`)
    ])
    if (failed.length > 0) return yield* new VerificationFailed({ failed })
    return summary
  }).pipe(Effect.scoped, Effect.provide(demoLayer))
