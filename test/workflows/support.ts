/**
 * Shared set-up for workflow tests: the Iconik emulator in one of two {@link modes} — in-process, or on a 127.0.0.1
 * socket — with an IconikClient for its admin, a StorageClient that reaches the emulator's object store, the Node file
 * system, and sample media.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Cause, Clock, Effect, Exit, FileSystem, Layer, Option, Path } from "effect"
import { HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import type { StorageClientOptions } from "../../src/storage/StorageClient.ts"
import { StorageClient } from "../../src/storage/StorageClient.ts"
import * as Testing from "../../src/testing/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"

export const MiB = 1024 * 1024

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

const storageOptions: StorageClientOptions = { retry: { baseDelay: 5, maxDelay: 20 } }

/** A storage client on the emulator's in-process HttpClient (in context): presigned URLs are answered without sockets. */
const storageInProcess = Layer.effect(StorageClient, StorageClient.make(storageOptions)).pipe(Layer.provide(NodeFileSystem.layer))

/** The production storage client, on its own node:http transport: it reaches the emulator's object store over the socket. */
const storageProduction = StorageClient.layerOptions(storageOptions)

/** Fast jobs, no rate limit: tests wait milliseconds, not seconds. */
export const testEmulatorOptions: Testing.IconikEmulatorOptions = {
  rateLimit: false,
  jobs: { startAfter: 20, duration: 60, abortAfter: 20 }
}

/** The default storages plus non-default PROXIES storages on GCS, Azure and B2 (pick one with `storageId`). */
export const withProxyStorages: Testing.IconikEmulatorOptions = {
  storages: [
    ...Testing.defaultStorages,
    { name: "Emulated GCS proxies", method: "GCS", purpose: "PROXIES", bucket: "iconik-proxies-gcs" },
    { name: "Emulated Azure proxies", method: "AZURE", purpose: "PROXIES", bucket: "iconik-proxies-azure" },
    { name: "Emulated B2 proxies", method: "B2", purpose: "PROXIES", bucket: "iconik-proxies-b2" }
  ]
}

/** Fast retries, and no client-side pacing (the emulator's rate limit is off too): 230 creates take no 4.6 s. */
const clientOptions: Testing.ClientOptions = { retry: { baseDelay: 5, maxDelay: 20 }, rateLimit: false }

/** The emulator in-process (no sockets), its client, a storage client on its in-process HttpClient and the platform. */
export const inProcess = (options: Testing.IconikEmulatorOptions = {}) =>
  Layer.mergeAll(storageInProcess, platform).pipe(
    Layer.provideMerge(IconikEmulator.layerClient({ ...testEmulatorOptions, ...options }, clientOptions))
  )

/**
 * The emulator on a real server on 127.0.0.1: the IconikClient talks to it over the socket, and the production
 * StorageClient (its own node:http transport, not the HttpClient in context) uploads to its object store URLs.
 */
export const overSocket = (options: Testing.ServerEmulatorOptions = {}) =>
  Layer.mergeAll(storageProduction, platform).pipe(
    Layer.provideMerge(IconikEmulator.layerServerClient({ ...testEmulatorOptions, ...options }, clientOptions))
  )

/**
 * Runs `test` against {@link overSocket} with the server on a TestClock (set to now) while the test keeps the live
 * clock: an object-store `Delay` fault holds its request until the test has ended, then lets it go. A test that
 * kills its client mid-request so never waits the delay out when the server stops.
 */
export const withDelaysHeld = <A, E, R>(test: Effect.Effect<A, E, R>, options: Testing.ServerEmulatorOptions = {}) =>
  Effect.scoped(Effect.gen(function*() {
    // The warning about a clock nobody moves would come while the test runs: the clock moves once, at the end.
    const clock = yield* TestClock.make({ warningDelay: "10 minutes" })
    yield* clock.setTime(Date.now())
    return yield* test.pipe(
      Effect.ensuring(clock.adjust("1 day")),
      Effect.scoped,
      Effect.provide(overSocket(options).pipe(Layer.provide(Layer.succeed(Clock.Clock, clock))))
    )
  }))

/** One way to run the emulator for a test. */
export interface Mode {
  readonly name: string
  readonly layer: (options?: Testing.ServerEmulatorOptions) => ReturnType<typeof overSocket>
}

/** Both ways, for `describe.each(modes)("… ($name)", ({ layer }) => …)`: every workflow is tested in each. */
export const modes: ReadonlyArray<Mode> = [
  { name: "in-process", layer: inProcess },
  { name: "over a socket", layer: overSocket }
]

/** The typed failure of an exit, if it failed with one. */
export const failureOf = <E>(exit: Exit.Exit<unknown, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.findErrorOption(exit.cause)) : undefined

/** Successful object-store requests of one operation (e.g. `ResumableChunk`, `UploadPart`) seen so far. */
export const storageRequests = (operation: Testing.ObjectStore.Operation) =>
  IconikEmulator.use((emulator) =>
    Effect.map(emulator.objectStore.requests, (requests) =>
      requests.filter((r) => r.operation === operation && r.status >= 200 && r.status < 400)
    ))

/** Deterministic sample media: `size` bytes of a repeating pattern seeded by `seed`. */
export const sampleBytes = (size: number, seed = 1): Uint8Array => {
  const bytes = new Uint8Array(size)
  let x = seed * 2654435761 >>> 0
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    bytes[i] = x >>> 24
  }
  return bytes
}

/** Writes sample media files into a fresh temporary folder (removed with the scope). */
export const mediaFolder = (files: Record<string, number>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-workflows-" })
    let seed = 1
    for (const [name, size] of Object.entries(files)) {
      const target = path.join(dir, name)
      yield* fs.makeDirectory(path.dirname(target), { recursive: true })
      yield* fs.writeFile(target, sampleBytes(size, seed++))
    }
    return dir
  })

export { HttpClient, IconikEmulator }

/** Records still OPEN (the emulator's `openRecords` also lists FAILED ones). */
export const stillOpen = IconikEmulator.use((emulator) =>
  Effect.map(emulator.openRecords, (records) => records.filter((r) => r.record.status === "OPEN")))
