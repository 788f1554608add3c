/**
 * Recipe: ingest a folder (sub-folders included) into Iconik, optionally into a collection. A rerun skips what is
 * already there, so an interrupted batch is finished by running the same command again.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… FOLDER=./rushes [COLLECTION_ID=…] node ingest-folder.ts
 */
import { NodeHttpClient, NodeRuntime, NodeServices } from "@effect/platform-node"
import { Config, Effect, Layer, Option } from "effect"
import { Iconik } from "../src/index.ts"
import { StorageClient } from "../src/storage/index.ts"
import { ingestFolder, Progress } from "../workflows/index.ts"

export const ingestRushes = Effect.fn("ingestRushes")(function*(folder: string, collectionId?: string) {
  const report = yield* ingestFolder({
    folder,
    collectionId,
    concurrency: 4, // files in flight, and storage transfers at once across them
    include: (path) => !path.endsWith(".tmp")
  }).pipe(
    // One line per file as it settles; `Progress.reduce` gives what a progress bar needs.
    Progress.tap((event) => {
      if (event._tag === "ItemFinished") console.log(`${event.outcome} ${event.item} ${event.reason ?? ""}`)
    })
  )
  for (const failure of report.failed) yield* Effect.logWarning(`${failure.path}: ${failure.reason}: ${failure.message}`)
  yield* Effect.log(`${report.ingested.length} ingested, ${report.skipped.length} skipped, ${report.failed.length} failed`)
  return report
})

export const layer = Layer.mergeAll(
  Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici)),
  StorageClient.layer,
  NodeServices.layer
)

export const main = Effect.gen(function*() {
  const folder = yield* Config.String("FOLDER")
  const collectionId = yield* Config.option(Config.String("COLLECTION_ID"))
  return yield* ingestRushes(folder, Option.getOrUndefined(collectionId))
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
