/**
 * Recipe: search with filters: free text, plus exact terms, a date range and a metadata value, every hit (past
 * Iconik's 10 000-hit window), newest first.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… QUERY=interview SINCE=2026-01-01 GENRE=news node search-with-filters.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Stream } from "effect"
import { Iconik, Search } from "../src/index.ts"

export interface Filters {
  readonly query: string
  /** Created on or after this date (ISO 8601). */
  readonly since: string
  /** The value of the `genre` metadata field. */
  readonly genre: string
}

export const findAssets = Effect.fn("findAssets")(function*(filters: Filters) {
  const hits = Search.stream({
    doc_types: ["assets"],
    query: filters.query, // Iconik's query syntax: terms, "phrases", field:value, wildcards, OR, -not
    filter: {
      operator: "AND",
      terms: [
        { name: "status", value: "ACTIVE" },
        { name: "date_created", range: { min: filters.since } },
        { name: "metadata.genre", value_in: [filters.genre] }
      ]
    },
    sort: [{ name: "date_created", order: "desc" }],
    include_fields: ["id", "title", "date_created"] // smaller answers: only what is used
  })
  const found = yield* Stream.runCollect(hits)
  for (const hit of found) yield* Effect.log(`${hit.date_created} ${hit.id} ${hit.title}`)
  return found.map((hit) => ({ id: hit.id, title: hit.title }))
})

export const layer = Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main = Effect.gen(function*() {
  const filters = yield* Config.all({ query: Config.String("QUERY"), since: Config.String("SINCE"), genre: Config.String("GENRE") })
  return yield* findAssets(filters)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
