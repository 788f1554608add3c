/**
 * Child of the upload benchmarks: serves an emulator until stdin closes (the parent went away) and prints its
 * address and admin credentials as one JSON line. It runs in a process of its own so that its work is not charged to
 * the uploader.
 *
 * - `upload-emulator.ts`: S3 storage is the embedded object store as a null sink (`discardBodies`);
 * - `upload-emulator.ts <s3-endpoint>`: S3 storages live there (RadosGW);
 * - `upload-emulator.ts --slow-link <json>` (`SlowLink`): the null sink behind a slow link: every storage request
 *   waits `latencyMillis` (the object store's delay fault), and storage URLs point at a proxy capping each
 *   connection at `bytesPerSecond` (slowlink-throttle.ts). Iconik calls go to the emulator directly. Also prints
 *   `storageUrl`, where S3 clients reach the store (`{storageUrl}/_storage/s3/{bucket}/{key}`).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import { IconikEmulator } from "../src/testing/index.ts"
import { delay } from "../src/testing/objectstore/Faults.ts"
import { rgwTestCredentials } from "../src/testing/sigv4.ts"
import { startThrottle } from "./slowlink-throttle.ts"
import type { EmulatorInfo } from "./upload-client.ts"

export interface SlowLink {
  readonly latencyMillis: number
  readonly bytesPerSecond: number
  /** The object store's signing secret, for clients that sign their own requests (lib-storage). */
  readonly signingSecret: string
}

const [first, second] = process.argv.slice(2)
const slowLink = first === "--slow-link" ? (JSON.parse(second ?? "") as SlowLink) : undefined
const externalS3Endpoint = first === "--slow-link" ? undefined : first
process.stdin.on("end", () => process.exit(0)).resume()
await Effect.runPromise(
  Effect.scoped(Effect.gen(function*() {
    const emulator = yield* IconikEmulator.serve({
      rateLimit: false,
      ...(externalS3Endpoint !== undefined
        ? { externalS3: { endpoint: externalS3Endpoint, ...rgwTestCredentials } }
        : slowLink === undefined
        ? { objectStore: { discardBodies: true } }
        : {
          objectStore: {
            discardBodies: true,
            signingSecret: slowLink.signingSecret,
            faults: { rules: [{ fault: delay(slowLink.latencyMillis) }] }
          }
        })
    })
    let storageUrl: string | undefined
    if (slowLink !== undefined) {
      const throttle = yield* Effect.acquireRelease(
        Effect.promise(() => startThrottle(Number(new URL(emulator.baseUrl).port), slowLink.bytesPerSecond)),
        (throttle) => Effect.promise(throttle.close)
      )
      yield* emulator.objectStore.setBaseUrl(throttle.url)
      storageUrl = throttle.url
    }
    const info: EmulatorInfo & { readonly storageUrl?: string } = {
      baseUrl: emulator.baseUrl,
      ...emulator.credentials,
      ...(storageUrl === undefined ? {} : { storageUrl })
    }
    console.log(JSON.stringify(info))
    return yield* Effect.never
  })).pipe(Effect.provide(NodeHttpClient.layerUndici))
)
