/** The storage floor's `StorageClient` reaches the in-process emulator's object store through `layerHttpClient`. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { assets, files } from "../../src/generated/index.ts"
import { StorageClient, uploadS3Single } from "../../src/storage/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { bytes } from "./support.ts"

const emulator = IconikEmulator.layerClient({ rateLimit: false })
const storageClient = Layer.effect(StorageClient, StorageClient.make()).pipe(
  Layer.provide(IconikEmulator.layerHttpClient),
  Layer.provide(NodeFileSystem.layer)
)

describe("StorageClient on the in-process emulator", () => {
  it.effect("uploads a proxy with a single PUT to the emulator's presigned URL", () =>
    Effect.gen(function*() {
      const content = bytes(4096, 5)
      const directory = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "emulator-"))),
        (created) => Effect.sync(() => fs.rmSync(created, { recursive: true, force: true }))
      )
      const file = path.join(directory, "proxy.mp4")
      fs.writeFileSync(file, content)
      const asset = yield* assets.createAsset({ body: { title: "Via StorageClient" } })
      const proxy = yield* files.createAssetProxy({ asset_id: asset.id, body: { name: "proxy.mp4", size: content.length } })
      const result = yield* uploadS3Single({ path: file, uploadUrl: proxy.upload_url! })
      assert.strictEqual(result.size, 4096)
      yield* files.patchAssetProxy({ asset_id: asset.id, proxy_id: proxy.id!, body: { status: "CLOSED" } })
      const emulated = yield* IconikEmulator
      assert.deepStrictEqual(yield* emulated.verifyClosedUploads, [])
      const stored = yield* emulated.objectStore.readObject("iconik-proxies", `${asset.id}/proxies/${proxy.id}/proxy.mp4`)
      assert.isTrue(stored._tag === "Some" && Buffer.from(stored.value).equals(content), "stored bytes differ")
    }).pipe(Effect.scoped, Effect.provide(Layer.provideMerge(storageClient, emulator))))
})
