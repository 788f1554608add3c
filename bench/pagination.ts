/**
 * Pagination speed: the SDK's streams vs a plain page-by-page loop over the same client, against a tiny server on
 * 127.0.0.1 (its own process: bench/pagination-server.ts) that answers every request 20 ms late from pages serialised
 * once, so what is timed is the paging and the client, not a server's CPU. Its documents are copies of the emulator's (taken in-process at start),
 * so they decode as Iconik's do. 10 000 assets in 100 pages for the `page` family (page count known: later pages in
 * parallel), for `search_after` and for scroll; 2 000 files (last_id) and 2 000 metadata fields (last_field_name) in
 * 20 pages. Cursor families are sequential by nature: their ratio shows the stream's overhead. The client's limiter
 * is off (what is measured is the paging); the `page` family also runs with 4 pages in flight and with the default
 * limiter (50 req/s), in the same rounds, and once without added latency to show one page's round trip.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { assets, files, metadata, search } from "../src/generated/index.ts"
import * as IconikClient from "../src/IconikClient.ts"
import * as Pagination from "../src/Pagination.ts"
import * as Search from "../src/Search.ts"
import { IconikEmulator } from "../src/testing/index.ts"
import { envInt, fmt, median, type Row, writeResult } from "./harness.ts"

const ASSETS = envInt("BENCH_PAGINATION_ASSETS", 10_000)
const CURSOR_ITEMS = envInt("BENCH_PAGINATION_CURSOR_ITEMS", 2_000)
const PER_PAGE = 100
const LATENCY_MS = envInt("BENCH_PAGINATION_LATENCY_MS", 20)
const REPEATS = envInt("BENCH_PAGINATION_REPEATS", 5)
/** Page requests in flight for the `page` family; unset: the SDK's default. */
const CONCURRENCY = process.env.BENCH_PAGINATION_CONCURRENCY === undefined ? undefined : envInt("BENCH_PAGINATION_CONCURRENCY", 4)
/** Only these families (comma-separated name prefixes), e.g. `page`; unset: all. */
const ONLY = process.env.BENCH_PAGINATION_ONLY?.split(",")

type Doc = Record<string, unknown>

/** One asset, one search hit, one file and one metadata field as the emulator answers them (raw JSON). */
const templates = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  const get = (path: string, body?: unknown) =>
    Effect.gen(function*() {
      let request = HttpClientRequest.make(body === undefined ? "GET" : "POST")(`${emulator.baseUrl}${path}`).pipe(
        HttpClientRequest.setHeaders({ "App-ID": emulator.credentials.appId, "Auth-Token": emulator.credentials.authToken })
      )
      if (body !== undefined) request = HttpClientRequest.bodyText(request, JSON.stringify(body), "application/json")
      const response = yield* emulator.httpClient.execute(request)
      return ((JSON.parse(yield* response.text) as { objects: Array<Doc> }).objects)[0]!
    })
  const asset = yield* assets.createAsset({ body: { title: "Template" } })
  const format = yield* files.createAssetFormat({ asset_id: asset.id, body: { name: "ORIGINAL" } })
  const fileSet = yield* files.createAssetFileSet({
    asset_id: asset.id,
    body: { format_id: format.id, base_dir: "media", name: "originals", component_ids: [] }
  })
  yield* files.createAssetFile({
    asset_id: asset.id,
    body: { original_name: "clip.mov", directory_path: "day1", type: "FILE", size: 10, file_set_id: fileSet.id, format_id: format.id }
  })
  yield* metadata.createField({ body: { name: "field_template", label: "Field", field_type: "string" } })
  return {
    asset: yield* get("/API/assets/v1/assets/"),
    hit: yield* get("/API/search/v1/search/?generate_signed_url=false", { doc_types: ["assets"] }),
    file: yield* get(`/API/files/v1/assets/${asset.id}/files/`),
    field: yield* get("/API/metadata/v1/fields/")
  }
}).pipe(Effect.provide(IconikEmulator.layerClient({ rateLimit: false }, { rateLimit: false })))

const idOf = (i: number) => `00000000-0000-1000-8000-${String(i).padStart(12, "0")}`

/** The server in its own process (bench/pagination-server.ts), so its work does not share the client's event loop. */
const startServer = (t: Effect.Success<typeof templates>) =>
  new Promise<{ readonly child: ChildProcess.ChildProcess; readonly url: string }>((resolve, reject) => {
    const child = ChildProcess.spawn(process.execPath, [Path.join(import.meta.dirname, "pagination-server.ts")], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, BENCH_PAGINATION_ASSETS: String(ASSETS), BENCH_PAGINATION_CURSOR_ITEMS: String(CURSOR_ITEMS), BENCH_PAGINATION_LATENCY_MS: String(LATENCY_MS) }
    })
    child.stdin!.end(JSON.stringify(t))
    child.stdout!.setEncoding("utf8").once("data", (line: string) => resolve({ child, url: line.trim() }))
    child.once("exit", (code) => reject(new Error(`the pagination server exited (${code})`)))
  })

const criteria = { doc_types: ["assets"] }
const noUrls = { generate_signed_url: false } as const

/** One family: the SDK's stream and the plain loop, each answering the number of items seen. */
interface Family {
  readonly name: string
  readonly pages: number
  readonly stream: Effect.Effect<number, unknown, IconikClient.IconikClient>
  readonly loop: Effect.Effect<number, unknown, IconikClient.IconikClient>
}

const count = <A, E, R>(stream: Stream.Stream<A, E, R>) => Stream.runFold(stream, () => 0, (n) => n + 1)

const families = (assetId: string, concurrency = CONCURRENCY): ReadonlyArray<Family> => [
  {
    name: "page (page/per_page, page count known)",
    pages: Math.ceil(ASSETS / PER_PAGE),
    stream: count(Pagination.items(assets.listAssets, {}, { perPage: PER_PAGE, concurrency })),
    loop: Effect.gen(function*() {
      let n = 0
      for (let page = 1;; page++) {
        const answer = yield* assets.listAssets({ query: { page, per_page: PER_PAGE } })
        n += answer.objects?.length ?? 0
        if (page >= (answer.pages ?? 0)) return n
      }
    })
  },
  {
    name: "search (search_after)",
    pages: Math.ceil(ASSETS / PER_PAGE) + 1,
    stream: count(Search.stream(criteria, { perPage: PER_PAGE }, noUrls)),
    loop: Effect.gen(function*() {
      let n = 0
      let after: ReadonlyArray<unknown> | undefined
      const sort = [...Pagination.defaultSearchSort]
      for (;;) {
        const body = after === undefined ? { ...criteria, sort } : { ...criteria, sort, search_after: [...after] }
        const answer = yield* search.search({ body, query: { ...noUrls, per_page: PER_PAGE, page: 1 } })
        const hits = answer.objects ?? []
        n += hits.length
        const last = hits.at(-1)?._sort
        if (hits.length < PER_PAGE || !last) return n
        after = last
      }
    })
  },
  {
    name: "scroll (scroll_id)",
    pages: Math.ceil(ASSETS / PER_PAGE) + 1,
    stream: count(Pagination.items(assets.listAssets, {}, { perPage: PER_PAGE, scroll: true })),
    loop: Effect.gen(function*() {
      let n = 0
      let scrollId: string | undefined
      for (;;) {
        const answer = yield* assets.listAssets({
          query: { per_page: PER_PAGE, scroll: true, ...(scrollId === undefined ? {} : { scroll_id: scrollId }) }
        })
        const objects = answer.objects ?? []
        if (objects.length === 0 || !answer.scroll_id) return n
        n += objects.length
        scrollId = answer.scroll_id
      }
    })
  },
  {
    name: "last_id (asset files)",
    pages: Math.ceil(CURSOR_ITEMS / PER_PAGE),
    stream: count(Pagination.items(files.listAssetFiles, { asset_id: assetId }, { perPage: PER_PAGE })),
    loop: Effect.gen(function*() {
      let n = 0
      let lastId: string | undefined
      for (;;) {
        const answer = yield* files.listAssetFiles({
          asset_id: assetId,
          query: { per_page: PER_PAGE, ...(lastId === undefined ? {} : { last_id: lastId }) }
        })
        const objects = answer.objects ?? []
        n += objects.length
        if (!answer.next_url || objects.length === 0) return n
        lastId = objects.at(-1)!.id!
      }
    })
  },
  {
    name: "last_field_name (metadata fields)",
    pages: Math.ceil(CURSOR_ITEMS / PER_PAGE) + 1,
    stream: count(Pagination.items(metadata.listFields, {}, { perPage: PER_PAGE })),
    loop: Effect.gen(function*() {
      let n = 0
      let last: string | undefined
      for (;;) {
        const answer = yield* metadata.listFields({
          query: { per_page: PER_PAGE, ...(last === undefined ? {} : { last_field_name: last }) }
        })
        const objects = answer.objects ?? []
        n += objects.length
        if (objects.length < PER_PAGE) return n
        last = objects.at(-1)!.name
      }
    })
  }
]

/** One way to walk a list, run to its end; answers the number of items seen. */
interface Variant {
  readonly label: string
  readonly run: () => Promise<number>
}

interface Measured {
  readonly name: string
  readonly pages: number
  readonly items: number
  readonly millis: Readonly<Record<string, ReadonlyArray<number>>>
}

/** Runs the variants one after the other in each round, so machine noise falls on all alike; round 0 warms up. */
const measure = async (name: string, pages: number, variants: ReadonlyArray<Variant>): Promise<Measured> => {
  const millis: Record<string, Array<number>> = Object.fromEntries(variants.map((v) => [v.label, []]))
  let items = -1
  for (let round = 0; round <= REPEATS; round++) {
    for (const variant of variants) {
      const t0 = performance.now()
      const n = await variant.run()
      const ms = performance.now() - t0
      if (items !== -1 && n !== items) throw new Error(`${name}: ${variant.label} saw ${n} items, not ${items}`)
      items = n
      if (round > 0) millis[variant.label]!.push(ms)
    }
  }
  return { name, pages, items, millis }
}

const main = async () => {
  const started = new Date()
  const t = await Effect.runPromise(templates)
  const { child, url } = await startServer(t)
  const runtime = (rateLimit: false | undefined, latencyMillis?: number) =>
    ManagedRuntime.make(
      IconikClient.layer({
        appId: "bench",
        authToken: "bench-token",
        baseUrl: url,
        rateLimit,
        retry: false,
        transformClient: latencyMillis === undefined
          ? undefined
          : HttpClient.mapRequest(HttpClientRequest.setHeader("x-bench-latency-ms", String(latencyMillis)))
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    )
  const free = runtime(false)
  const limited = runtime(undefined)
  const bare = runtime(false, 0)
  const on = (rt: typeof free, effect: Effect.Effect<number, unknown, IconikClient.IconikClient>) => () => rt.runPromise(effect)
  const results: Array<Measured> = []
  const selected = families(idOf(999_999)).filter((f) => ONLY === undefined || ONLY.some((o) => f.name.startsWith(o)))
  for (const family of selected) {
    const isPage = family.name.startsWith("page")
    const variants: Array<Variant> = [{ label: "stream", run: on(free, family.stream) }]
    if (isPage) {
      // The same walk with 4 pages in flight (the previous default), and with the client's default limiter.
      variants.push({ label: "stream, concurrency 4", run: on(free, families("", 4)[0]!.stream) })
      variants.push({ label: "stream, default limiter", run: on(limited, family.stream) })
    }
    variants.push({ label: "loop", run: on(free, family.loop) })
    const m = await measure(family.name, family.pages, variants)
    console.error(`bench pagination: ${m.name}: ${variants.map((v) => `${v.label} ${fmt(median(m.millis[v.label]!), 0)} ms`).join(", ")}`)
    results.push(m)
  }
  // With no added latency the loop shows one page's round trip: what parallel pages cannot hide.
  const pageFamily = families("")[0]!
  const roundTrip = await measure("page, no added latency", pageFamily.pages, [{ label: "loop", run: on(bare, pageFamily.loop) }])
  await Promise.all([free.dispose(), limited.dispose(), bare.dispose()])
  child.removeAllListeners("exit")
  child.kill()

  const rows: Array<Row> = []
  for (const m of results) {
    const loop = median(m.millis.loop!)
    for (const [label, samples] of Object.entries(m.millis)) {
      if (label === "loop") continue
      const ratio = median(samples) / loop
      const headline = label === "stream" && m.name.startsWith("page")
      rows.push({
        metric: `${m.name}: ${m.items} items, ${m.pages} requests — ${label} vs sequential loop (medians of ${samples.length})`,
        value: `${fmt(median(samples), 0)} ms vs ${fmt(loop, 0)} ms = ${fmt(ratio)}×`,
        target: headline ? "≤ 0.33×" : undefined,
        met: headline ? ratio <= 0.33 : undefined
      })
    }
  }
  const perPage = median(roundTrip.millis.loop!) / pageFamily.pages
  const inFlight = CONCURRENCY ?? Pagination.defaultConcurrency
  const floor = Math.max(pageFamily.pages * perPage, (1 + Math.ceil((pageFamily.pages - 1) / inFlight)) * (LATENCY_MS + perPage)) /
    (pageFamily.pages * (LATENCY_MS + perPage))
  rows.push({
    metric: "page family, no added latency: one page's round trip (sequential loop ÷ pages; client, loopback, server)",
    value: `${fmt(perPage, 1)} ms`
  })
  rows.push({
    metric: `best page-family ratio that round trip allows, were it all client CPU (${inFlight} in flight, ${LATENCY_MS} ms latency)`,
    value: `${fmt(floor)}×`
  })
  writeResult({
    section: "pagination",
    title: `Pagination: streams vs a sequential loop (${LATENCY_MS} ms per request, local server)`,
    rows,
    raw: { latencyMillis: LATENCY_MS, perPage: PER_PAGE, repeats: REPEATS, concurrency: inFlight, families: results, roundTrip }
  }, started)
}

await main()
