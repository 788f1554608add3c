/**
 * Child of the upload benchmarks: `upload-emulator.ts [s3-endpoint]` serves an emulator until stdin closes (the
 * parent went away) and prints its address and admin credentials as one JSON line. Without an endpoint its S3
 * storage is the embedded object store as a null sink (`discardBodies`); with one, S3 storages live there (RadosGW).
 * It runs in a process of its own so that its work is not charged to the uploader.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import { IconikEmulator } from "../src/testing/index.ts"
import { rgwTestCredentials } from "../src/testing/sigv4.ts"
import type { EmulatorInfo } from "./upload-client.ts"

const externalS3Endpoint = process.argv[2]
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
