/**
 * Recipe: upload a proxy to an asset that already exists, then let Iconik make keyframes from it.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… ASSET_ID=… PROXY_FILE=./interview-03.mp4 node upload-proxy.ts
 */
import { NodeHttpClient, NodeRuntime, NodeServices } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Iconik } from "../src/index.ts"
import { StorageClient } from "../src/storage/index.ts"
import { uploadProxy } from "../workflows/index.ts"

/** Proxy record → upload to the PROXIES storage → CLOSED → keyframes job, waited for. */
export const uploadProxyTo = Effect.fn("uploadProxyTo")(function*(assetId: string, file: string) {
  const result = yield* uploadProxy({
    assetId,
    file,
    concurrency: 4, // parts in flight (S3 multipart, GCS chunks, Azure blocks)
    keyframes: true,
    wait: { timeout: "15 minutes" } // JobWaitTimeout after that; the job itself goes on in Iconik
  })
  const { method, strategy } = result.transfer
  yield* Effect.log(`proxy ${result.proxyId}: ${result.size} bytes, ${method} ${strategy}, keyframes ${result.keyframesJobStatus}`)
  return result
})

/** Iconik from ICONIK_APP_ID / ICONIK_AUTH_TOKEN / ICONIK_BASE_URL, a client for presigned URLs, Node's files. */
export const layer = Layer.mergeAll(
  Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici)),
  StorageClient.layer,
  NodeServices.layer
)

export const main = Effect.gen(function*() {
  const assetId = yield* Config.String("ASSET_ID")
  const file = yield* Config.String("PROXY_FILE")
  return yield* uploadProxyTo(assetId, file)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
