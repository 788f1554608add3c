/**
 * One runner of the durable soak as its own process: the durable worker over PostgreSQL (`DATABASE_URL`, a socket
 * runner on `RUNNER_PORT`) with an Iconik client from `ICONIK_*` and a storage client, both on the soak's short
 * back-offs. It prints `READY <pid>` once it has joined the cluster, then runs until it is killed. Each runner
 * process is started with an App-ID of its own, so the emulator's request log tells which process sent what.
 */
import { NodeFileSystem, NodeHttpClient, NodePath, NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Engine from "../durable/Engine.ts"
import * as IconikClient from "../src/IconikClient.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { retry } from "./plan.ts"

const iconik = IconikClient.layerConfig({ retry, rateLimit: false }).pipe(
  Layer.provide(NodeHttpClient.layerNodeHttpOptions({ keepAlive: true }))
)
const storage = StorageClient.layerOptions({ retry })
const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

const main = Effect.gen(function*() {
  yield* Console.log(`READY ${process.pid}`)
  return yield* Effect.never
})

main.pipe(
  Effect.provide(
    Engine.worker(Engine.layerPostgresConfig()).pipe(
      Layer.provide(Layer.mergeAll(iconik, storage, platform)),
      Layer.provideMerge(platform)
    )
  ),
  // Faults are the point of the soak: their warnings would drown the runner's output.
  Effect.provideService(References.MinimumLogLevel, "Error"),
  NodeRuntime.runMain
)
