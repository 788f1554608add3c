/**
 * A durable-workflow runner as its own process, for the crash tests: the worker layer over PostgreSQL
 * (`DATABASE_URL`; a socket runner when `RUNNER_PORT` is set) and an Iconik client from `ICONIK_*`. With `SUBMIT`
 * (a JSON `{ workflow, options }`) it submits that run first and prints `SUBMITTED <execution id>`; then it runs
 * until killed.
 */
import { NodeFileSystem, NodeHttpClient, NodePath, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import * as Engine from "../../durable/Engine.ts"
import * as Runs from "../../durable/Runs.ts"
import * as IconikClient from "../../src/IconikClient.ts"
import { StorageClient } from "../../src/storage/StorageClient.ts"

const iconik = IconikClient.layerConfig({ retry: { baseDelay: 5, maxDelay: 20 }, rateLimit: false }).pipe(
  Layer.provide(NodeHttpClient.layerNodeHttpOptions({ keepAlive: true }))
)
const storage = StorageClient.layerOptions({ retry: { baseDelay: 5, maxDelay: 20 } })
const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

const main = Effect.gen(function*() {
  const submit = process.env.SUBMIT
  if (submit !== undefined) {
    const { options, workflow } = JSON.parse(submit)
    const id = workflow === "ingestFolder" ? yield* Runs.submitIngestFolder(options) : yield* Runs.submitIngestFile(options)
    yield* Console.log(`SUBMITTED ${id}`)
  }
  yield* Console.log(`READY ${process.pid}`)
  return yield* Effect.never
})

main.pipe(
  Effect.provide(
    Engine.worker(Engine.layerPostgresConfig()).pipe(Layer.provide(Layer.mergeAll(iconik, storage, platform)), Layer.provideMerge(platform))
  ),
  NodeRuntime.runMain
)
