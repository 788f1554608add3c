/**
 * Core benchmarks: `getAsset` round trip through the SDK vs raw fetch + JSON.parse against the same local server, and
 * decoding a 100-hit search page vs JSON.parse alone.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Schema } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import * as assets from "../src/generated/assets.ts"
import * as search from "../src/generated/search.ts"
import * as Iconik from "../src/IconikClient.ts"
import { hit } from "./core-fixtures.ts"
import { envInt, fmt, stats, writeResult } from "./harness.ts"

const CALLS = envInt("BENCH_CALLS", 5000)
const WARMUP = 500
const BATCH = 250

const asset = {
  id: "2c5bfe1a-f149-11eb-a843-0a580a3db916",
  title: "Interview 03",
  type: "ASSET",
  status: "ACTIVE",
  archive_status: "NOT_ARCHIVED",
  analyze_status: "N/A",
  is_online: true,
  category: null,
  created_by_user: "d1a3e0a6-f149-11eb-a843-0a580a3db916",
  custom_keyframe: null,
  custom_poster: null,
  date_created: "2021-07-30T15:16:54.406403+00:00",
  date_modified: "2021-07-30T15:16:54.406403+00:00",
  external_id: null,
  in_collections: ["5a1ea3b2-f149-11eb-a843-0a580a3db916"],
  versions: [{
    id: "2c5c0a72-f149-11eb-a843-0a580a3db916",
    version_number: 1,
    status: "ACTIVE",
    date_created: "2021-07-30T15:16:54.406403+00:00",
    created_by_user: "d1a3e0a6-f149-11eb-a843-0a580a3db916",
    analyze_status: "N/A",
    transcribe_status: "N/A",
    face_recognition_status: "N/A",
    is_online: true
  }],
  warning: null,
  new_key_from_the_future: { nested: true }
}

const searchPage = JSON.stringify({
  objects: Array.from({ length: 100 }, (_, i) => hit(i)),
  page: 1,
  pages: 120,
  per_page: 100,
  total: 12_000,
  facets: {},
  next_url: "/API/search/v1/search/?page=2&per_page=100"
})

const startServer = () =>
  new Promise<{ server: Http.Server; url: string }>((resolve) => {
    const body = JSON.stringify(asset)
    const server = Http.createServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      res.end(body)
    })
    server.keepAliveTimeout = 60_000
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
  })

const roundTrip = async () => {
  const { server, url } = await startServer()
  const headers = { "App-ID": "bench", "Auth-Token": "bench-token", Accept: "application/json" }
  const rawCall = async () => {
    const res = await fetch(`${url}/API/assets/v1/assets/${asset.id}/`, { headers })
    return JSON.parse(await res.text())
  }
  const layer = Iconik.layer({ appId: "bench", authToken: "bench-token", baseUrl: url, rateLimit: false }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )
  const sdkSamples: Array<number> = []
  const rawSamples: Array<number> = []
  const program = Effect.gen(function*() {
    const sdkBatch = (n: number, record: boolean) =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          const t0 = performance.now()
          yield* assets.getAsset({ asset_id: asset.id })
          if (record) sdkSamples.push(performance.now() - t0)
        }
      })
    const rawBatch = (n: number, record: boolean) =>
      Effect.promise(async () => {
        for (let i = 0; i < n; i++) {
          const t0 = performance.now()
          await rawCall()
          if (record) rawSamples.push(performance.now() - t0)
        }
      })
    yield* sdkBatch(WARMUP, false)
    yield* rawBatch(WARMUP, false)
    // Interleave batches so machine noise hits both sides alike.
    for (let done = 0; done < CALLS; done += BATCH) {
      const n = Math.min(BATCH, CALLS - done)
      yield* sdkBatch(n, true)
      yield* rawBatch(n, true)
    }
  }).pipe(Effect.provide(layer))
  await Effect.runPromise(program)
  server.close()
  return { sdk: stats(sdkSamples), raw: stats(rawSamples) }
}

const decodeSearch = () => {
  const decode = Schema.decodeUnknownSync(search.SearchDocuments)
  const check = decode(JSON.parse(searchPage))
  if (check.objects?.length !== 100) throw new Error("search page did not decode to 100 hits")
  const parse = () => JSON.parse(searchPage)
  const parseDecode = () => decode(JSON.parse(searchPage))
  const timed = (f: () => void, runs: number) => {
    const t0 = performance.now()
    for (let i = 0; i < runs; i++) f()
    return performance.now() - t0
  }
  timed(parse, 200)
  timed(parseDecode, 200)
  // 2000 runs each, alternated in rounds so that JIT warm-up, GC and machine noise fall on both alike.
  const rounds = 10
  const runs = 200
  let parseMillis = 0
  let decodeMillis = 0
  for (let round = 0; round < rounds; round++) {
    parseMillis += timed(parse, runs)
    decodeMillis += timed(parseDecode, runs)
  }
  const perSecond = (millis: number) => (rounds * runs) / (millis / 1000)
  return { parseOnly: perSecond(parseMillis), parseAndDecode: perSecond(decodeMillis) }
}

const main = async () => {
  const rt = await roundTrip()
  const dec = decodeSearch()
  const ratio = rt.sdk.p50 / rt.raw.p50
  writeResult({
    section: "core",
    title: "Client round trip and decoding",
    rows: [
      { metric: `getAsset round trip p50 (SDK, ${rt.sdk.n} calls)`, value: `${fmt(rt.sdk.p50, 3)} ms` },
      { metric: `raw fetch + JSON.parse p50 (${rt.raw.n} calls)`, value: `${fmt(rt.raw.p50, 3)} ms` },
      { metric: "SDK ÷ raw at p50", value: `${fmt(ratio)}×`, target: "≤ 1.2×", met: ratio <= 1.2 },
      { metric: "SDK ÷ raw at p90", value: `${fmt(rt.sdk.p90 / rt.raw.p90)}×` },
      { metric: "100-hit search page: JSON.parse + decode", value: `${fmt(dec.parseAndDecode, 0)} pages/s` },
      { metric: "100-hit search page: JSON.parse alone", value: `${fmt(dec.parseOnly, 0)} pages/s` },
      { metric: "decode cost (parse+decode time ÷ parse time)", value: `${fmt(dec.parseOnly / dec.parseAndDecode)}×` }
    ],
    raw: { roundTrip: rt, decode: dec }
  })
}

await main()
