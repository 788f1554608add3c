/**
 * Recipe: export the metadata of every asset in a collection to a CSV file: one row per asset (id, object_type,
 * title), one column per field of a metadata view. The CSV can be edited and imported back (`iconik metadata import`).
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… COLLECTION_ID=… VIEW_ID=… OUT=collection.csv node export-collection-metadata.ts
 */
import { NodeHttpClient, NodeRuntime, NodeServices } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Iconik } from "../src/index.ts"
import { exportMetadata } from "../workflows/index.ts"

export const exportCollection = Effect.fn("exportCollection")(function*(collectionId: string, viewId: string, path: string) {
  // The collection's members are the search hits whose `in_collections` holds it (search is index-backed: an asset
  // added a moment ago may be missing for a moment).
  const { rows } = yield* exportMetadata({
    viewId,
    path,
    criteria: {
      doc_types: ["assets"],
      filter: { operator: "AND", terms: [{ name: "in_collections", value: collectionId }] }
    },
    concurrency: 8 // metadata reads in flight
  })
  yield* Effect.log(`${rows} assets written to ${path}`)
  return { rows, path }
})

export const layer = Layer.mergeAll(
  Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici)),
  NodeServices.layer
)

export const main = Effect.gen(function*() {
  const { collectionId, viewId, out } = yield* Config.all({
    collectionId: Config.String("COLLECTION_ID"),
    viewId: Config.String("VIEW_ID"),
    out: Config.String("OUT").pipe(Config.withDefault("collection.csv"))
  })
  return yield* exportCollection(collectionId, viewId, out)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
