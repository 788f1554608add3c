/**
 * Child of the upload benchmark: `upload-rss.ts <file>` runs one workflow upload in a fresh process against the
 * emulator in `BENCH_UPLOAD_EMULATOR` and prints one JSON line: its peak RSS, the RSS before the upload started and
 * the upload's milliseconds. `BENCH_UPLOAD_READ_CHUNK` sets the storage client's read size,
 * `BENCH_UPLOAD_ICONIK_UNDICI=1` puts the Iconik calls on undici. The driver runs it compiled to JavaScript.
 */
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Fs from "node:fs"
import { clientLayer, type EmulatorInfo, uploadWithWorkflow } from "./upload-client.ts"

const file = process.argv[2]
if (file === undefined) throw new Error("usage: upload-rss.ts <file>")
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
