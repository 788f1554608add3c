/**
 * One download of the download benchmark, in a process of its own (spawned by download.ts, compiled to JavaScript
 * or from the TypeScript sources): `downloadToFile` or `@aws-sdk/client-s3` ranged `GetObject`s, same part size and
 * concurrency. Each contender loads only its own modules, before the clock starts, so the peak RSS it prints is its
 * own. Prints `{ millis, cpuMillis, peakRssMiB }` as JSON.
 *
 * Argument: one JSON {@link RunSpec}.
 */
import * as Fs from "node:fs"
import { performance } from "node:perf_hooks"

export type Contender = "ours" | "ours-md5" | "sdk"

export interface RunSpec {
  readonly contender: Contender
  readonly endpoint: string
  readonly credentials: { readonly region: string; readonly accessKeyId: string; readonly secretAccessKey: string }
  readonly bucket: string
  readonly key: string
  readonly size: number
  readonly md5: string
  readonly partSize: number
  readonly concurrency: number
  readonly target: string
}

export interface RunResult {
  readonly millis: number
  readonly cpuMillis: number
  readonly peakRssMiB: number
}

const sdk = async ({ bucket, concurrency, credentials, endpoint, key, partSize, size, target }: RunSpec) => {
  const S3 = await import("@aws-sdk/client-s3")
  const { region, ...keys } = credentials
  const client = new S3.S3Client({ endpoint, region, forcePathStyle: true, credentials: keys })
  return async () => {
    const handle = await Fs.promises.open(target, "w")
    const parts = Math.ceil(size / partSize)
    let next = 0
    const worker = async () => {
      while (next < parts) {
        const index = next++
        const start = index * partSize
        const end = Math.min(size, start + partSize) - 1
        const answer = await client.send(new S3.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }))
        let position = start
        for await (const chunk of answer.Body as AsyncIterable<Uint8Array>) {
          await handle.write(chunk, 0, chunk.length, position)
          position += chunk.length
        }
        // The same check as ours: every part complete.
        if (position !== end + 1) throw new Error(`sdk: part ${index + 1} ended after ${position - start} bytes`)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    await handle.close()
    if (Fs.statSync(target).size !== size) throw new Error("sdk: wrong size")
    client.destroy()
  }
}

const ours = async (spec: RunSpec) => {
  const { bucket, concurrency, credentials, endpoint, key, partSize, size, target } = spec
  const [{ downloadToFile }, StorageClient, NodeFileSystem, Effect, Layer, { presign }] = await Promise.all([
    import("../src/storage/Download.ts"),
    import("../src/storage/StorageClient.ts"),
    import("@effect/platform-node/NodeFileSystem"),
    import("effect/Effect"),
    import("effect/Layer"),
    import("../src/testing/sigv4.ts")
  ])
  const url = presign({ endpoint, ...credentials }, { method: "GET", bucket, key })
  const md5 = spec.contender === "ours-md5" ? spec.md5 : undefined
  const layer = Layer.mergeAll(StorageClient.layer(), NodeFileSystem.layer)
  return () =>
    Effect.runPromise(
      downloadToFile({ url, path: target, size, md5, partSize, concurrency, resume: false }).pipe(
        Effect.provide(layer)
      )
    )
}

const spec = JSON.parse(process.argv[2]!) as RunSpec
const run = spec.contender === "sdk" ? await sdk(spec) : await ours(spec)
const cpu = process.cpuUsage()
const started = performance.now()
await run()
const millis = performance.now() - started
const used = process.cpuUsage(cpu)
const result: RunResult = {
  millis,
  cpuMillis: (used.user + used.system) / 1000,
  peakRssMiB: process.resourceUsage().maxRSS / 1024
}
console.log(JSON.stringify(result))
