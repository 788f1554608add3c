/**
 * Shared set-up for workflow tests: the Iconik emulator (in-process or on a 127.0.0.1 socket) with an IconikClient for
 * its admin, a StorageClient that reaches the emulator's object store, the Node file system, and sample media.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { Effect, FileSystem, Layer, Path } from "effect"
import { HttpClient } from "effect/http"
import { StorageClient } from "../../src/storage/StorageClient.ts"
import * as Testing from "../../src/testing/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"

export const MiB = 1024 * 1024

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

/** A storage client on the HttpClient in context (the emulator's, so presigned URLs reach its object store). */
const storageOnContextClient = Layer.effect(StorageClient, StorageClient.make({ retry: { baseDelay: 5, maxDelay: 20 } }))
  .pipe(Layer.provide(NodeFileSystem.layer))

/** Fast jobs, no rate limit: tests wait milliseconds, not seconds. */
export const testEmulatorOptions: Testing.IconikEmulatorOptions = {
  rateLimit: false,
  jobs: { startAfter: 20, duration: 60, abortAfter: 20 }
}

/** The emulator in-process (no sockets), its client, a storage client and the platform. */
export const inProcess = (options: Testing.IconikEmulatorOptions = {}) =>
  Layer.mergeAll(storageOnContextClient, platform).pipe(
    Layer.provideMerge(
      IconikEmulator.layerClient({ ...testEmulatorOptions, ...options }, { retry: { baseDelay: 5, maxDelay: 20 } })
    )
  )

/** The emulator on a real server on 127.0.0.1, with the same clients talking to it over the socket. */
export const overSocket = (options: Testing.ServerEmulatorOptions = {}) =>
  Layer.mergeAll(storageOnContextClient, platform).pipe(
    Layer.provideMerge(
      IconikEmulator.layerServerClient({ ...testEmulatorOptions, ...options }, { retry: { baseDelay: 5, maxDelay: 20 } })
    )
  )

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
