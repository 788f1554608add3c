/**
 * Recipe: set metadata on many assets from code: a list of asset ids and values, written concurrently, and a report
 * of what failed (one missing asset or a bad value does not stop the others).
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… VIEW_ID=… UPDATES=updates.json node bulk-metadata.ts
 *   updates.json: [{ "assetId": "…", "values": { "genre": ["news"], "rating": [4] } }, …]
 */
import { NodeHttpClient, NodeRuntime, NodeServices } from "@effect/platform-node"
import { Config, Effect, FileSystem, Layer, Schema } from "effect"
import { Iconik, Metadata } from "../src/index.ts"

export const Update = Schema.Struct({
  assetId: Schema.String,
  /** Field name → its new values (they replace the current ones). */
  values: Schema.Record(Schema.String, Schema.Array(Schema.Union([Schema.String, Schema.Number, Schema.Boolean])))
})
export type Update = typeof Update.Type

export interface Failure {
  readonly assetId: string
  readonly error: string // the error's tag: IconikNotFound, IconikBadRequest (a value the field refuses), …
  readonly message: string
}

export const updateMetadata = Effect.fn("updateMetadata")(
  function*(viewId: string, updates: ReadonlyArray<Update>, concurrency = 8) {
    // The client retries 429s and 5xx on these PUTs (they are idempotent) and paces every call; what is left is ours.
    const [updated, failed] = yield* Effect.partition(updates, (update) =>
      Metadata.putForAsset(update.assetId, viewId, {
        metadata_values: Object.fromEntries(
          Object.entries(update.values).map(([field, values]) => [
            field,
            { field_values: values.map((value) => ({ value })), mode: "overwrite" }
          ])
        )
      }).pipe(
        Effect.as(update.assetId),
        Effect.mapError((e): Failure => ({ assetId: update.assetId, error: e._tag, message: e.message }))
      ), { concurrency })
    for (const failure of failed) yield* Effect.logWarning(`${failure.assetId}: ${failure.message}`)
    yield* Effect.log(`${updated.length} updated, ${failed.length} failed`)
    return { updated, failed }
  }
)

export const layer = Layer.mergeAll(
  Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici)),
  NodeServices.layer
)

export const main = Effect.gen(function*() {
  const viewId = yield* Config.String("VIEW_ID")
  const file = yield* Config.String("UPDATES").pipe(Config.withDefault("updates.json"))
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(file)
  const updates = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Array(Update)))(text)
  return yield* updateMetadata(viewId, updates)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
