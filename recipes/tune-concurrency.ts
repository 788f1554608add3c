/**
 * Recipe: tune concurrency and the rate limit. A report over many assets makes one call per asset: `concurrency`
 * says how many are in flight, the client's rate limit how many start per second (shared by every call of the
 * client, retries included). Iconik answers 429 past its budget; the client waits the Retry-After and retries, and
 * counts each 429 in `Iconik.rateLimitedTotal`: if that count grows, lower `ICONIK_RATE`.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… QUERY=interview CONCURRENCY=16 ICONIK_RATE=20 node tune-concurrency.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Metric, Stream } from "effect"
import { Files, Iconik, Search } from "../src/index.ts"

/** How many assets match `query`, and the bytes of their files. */
export const sizeReport = Effect.fn("sizeReport")(function*(query: string, concurrency: number) {
  const before = (yield* Metric.value(Iconik.rateLimitedTotal)).count
  const sizes = Search.stream({ doc_types: ["assets"], query }).pipe(
    Stream.mapEffect((hit) => Files.listFiles(hit.id), { concurrency }), // `concurrency` listFiles in flight
    Stream.map((page) => (page.objects ?? []).reduce((sum, file) => sum + (file.size ?? 0), 0))
  )
  const perAsset = yield* Stream.runCollect(sizes)
  const rateLimited = (yield* Metric.value(Iconik.rateLimitedTotal)).count - before
  const bytes = perAsset.reduce((sum, size) => sum + size, 0)
  yield* Effect.log(`${perAsset.length} assets, ${bytes} bytes; 429s met: ${rateLimited}`)
  return { assets: perAsset.length, bytes, rateLimited }
})

/** The client's pace: `requestsPerSecond` sustained, `burst` at once after a quiet spell (defaults 50 and 50). */
export const layer = (rate: { readonly requestsPerSecond: number; readonly burst: number }) =>
  Iconik.layerConfig({ rateLimit: rate, timeout: "30 seconds" }).pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main = Effect.gen(function*() {
  const { query, concurrency, requestsPerSecond, burst } = yield* Config.all({
    query: Config.String("QUERY"),
    concurrency: Config.Int("CONCURRENCY").pipe(Config.withDefault(8)),
    requestsPerSecond: Config.Number("ICONIK_RATE").pipe(Config.withDefault(50)),
    burst: Config.Int("ICONIK_BURST").pipe(Config.withDefault(50))
  })
  return yield* sizeReport(query, concurrency).pipe(Effect.provide(layer({ requestsPerSecond, burst })))
})

if (import.meta.main) NodeRuntime.runMain(main)
