/**
 * The pagination benchmark's server (started by bench/pagination.ts in its own process): every list the benchmark
 * walks, from document templates read on stdin, each page serialised once, each answer `BENCH_PAGINATION_LATENCY_MS`
 * late (or the `x-bench-latency-ms` header's). Prints its URL on stdout.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { envInt } from "./harness.ts"

const ASSETS = envInt("BENCH_PAGINATION_ASSETS", 10_000)
const CURSOR_ITEMS = envInt("BENCH_PAGINATION_CURSOR_ITEMS", 2_000)
const LATENCY_MS = envInt("BENCH_PAGINATION_LATENCY_MS", 20)

type Doc = Record<string, unknown>
interface Templates {
  readonly asset: Doc
  readonly hit: Doc
  readonly file: Doc
  readonly field: Doc
}

const idOf = (i: number) => `00000000-0000-1000-8000-${String(i).padStart(12, "0")}`

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** The server: every list of the benchmark, each page serialised once, each answer `LATENCY_MS` late. */
const startServer = (t: Templates) =>
  new Promise<{ readonly server: Http.Server; readonly url: string }>((resolve) => {
    const assetDocs = range(ASSETS).map((i) => ({ ...t.asset, id: idOf(i), title: `Asset ${i}` }))
    const hitDocs = range(ASSETS).map((i) => ({ ...t.hit, id: idOf(i), title: `Asset ${i}`, _sort: [i, idOf(i)] }))
    const fileDocs = range(CURSOR_ITEMS).map((i) => ({ ...t.file, id: idOf(i), name: `clip-${i}.mov` }))
    const fieldDocs = range(CURSOR_ITEMS).map((i) => ({ ...t.field, name: `field_${String(i).padStart(5, "0")}` }))
    const cache = new Map<string, string>()
    const once = (key: string, make: () => unknown) => {
      let text = cache.get(key)
      if (text === undefined) cache.set(key, (text = JSON.stringify(make())))
      return text
    }
    const answer = (url: URL, body: string): string | undefined => {
      const q = url.searchParams
      const perPage = Number(q.get("per_page") ?? 10)
      const path = url.pathname
      if (path === "/API/assets/v1/assets/" && q.get("scroll") === "true") {
        const offset = Number(q.get("scroll_id") ?? 0)
        return once(`scroll ${offset} ${perPage}`, () => ({
          objects: assetDocs.slice(offset, offset + perPage),
          per_page: perPage,
          total: ASSETS,
          scroll_id: String(offset + perPage)
        }))
      }
      if (path === "/API/assets/v1/assets/") {
        const page = Number(q.get("page") ?? 1)
        const pages = Math.ceil(ASSETS / perPage)
        if (page > pages) return undefined
        return once(`page ${page} ${perPage}`, () => ({
          objects: assetDocs.slice((page - 1) * perPage, page * perPage),
          page,
          pages,
          per_page: perPage,
          total: ASSETS,
          ...(page < pages ? { next_url: `${path}?page=${page + 1}&per_page=${perPage}` } : {})
        }))
      }
      if (path === "/API/search/v1/search/") {
        const after = (JSON.parse(body) as { search_after?: [number] }).search_after
        const start = after === undefined ? 0 : after[0] + 1
        return once(`search ${start} ${perPage}`, () => ({
          objects: hitDocs.slice(start, start + perPage),
          page: 1,
          pages: Math.ceil(ASSETS / perPage),
          per_page: perPage,
          total: ASSETS
        }))
      }
      if (path.endsWith("/files/")) {
        const lastId = q.get("last_id")
        const start = lastId === null ? 0 : Number(lastId.slice(-12)) + 1
        return once(`files ${start} ${perPage}`, () => ({
          objects: fileDocs.slice(start, start + perPage),
          per_page: perPage,
          total: CURSOR_ITEMS,
          ...(start + perPage < CURSOR_ITEMS ? { next_url: `${path}?per_page=${perPage}&last_id=${idOf(start + perPage - 1)}` } : {})
        }))
      }
      if (path === "/API/metadata/v1/fields/") {
        const last = q.get("last_field_name")
        const start = last === null ? 0 : Number(last.slice("field_".length)) + 1
        return once(`fields ${start} ${perPage}`, () => ({ objects: fieldDocs.slice(start, start + perPage), per_page: perPage, total: CURSOR_ITEMS }))
      }
      return undefined
    }
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const text = answer(new URL(req.url ?? "/", "http://x"), Buffer.concat(chunks).toString("utf8"))
        // A client may ask for another latency (the benchmark measures its own cost with 0).
        const asked = Number(req.headers["x-bench-latency-ms"])
        setTimeout(() => {
          const out = text ?? JSON.stringify({ errors: ["Requested page does not exist"] })
          res.writeHead(text === undefined ? 404 : 200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) })
          res.end(out)
        }, Number.isFinite(asked) ? asked : LATENCY_MS)
      })
    })
    server.keepAliveTimeout = 60_000
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
  })

const chunks: Array<Buffer> = []
process.stdin.on("data", (c: Buffer) => chunks.push(c))
process.stdin.on("end", async () => {
  const { url } = await startServer(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Templates)
  process.stdout.write(`${url}\n`)
})
