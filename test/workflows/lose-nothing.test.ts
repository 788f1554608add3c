/**
 * Lose nothing: faults after Iconik or the storage acted (a truncated 200, a reset after the work was done, one 500
 * on a completion) cost retries and reconciliation, never the upload, and leave nothing behind. Every test ends with
 * the same invariants: no OPEN record, no empty asset, no pending multipart upload, each stored object's MD5 equal to
 * its source's, and exactly one asset per ingested file.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import { createHash } from "node:crypto"
import * as Assets from "../../src/Assets.ts"
import * as Faults from "../../src/testing/emulator/Faults.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { failureOf, IconikEmulator, mediaFolder, MiB, modes, stillOpen } from "./support.ts"

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")

/**
 * The invariants. `sources` maps each uploaded record's id to its local file; `ingested` counts the files an ingest
 * made assets for (one asset each, none empty).
 */
const invariants = (sources: ReadonlyArray<{ readonly recordId: string; readonly path: string }>, ingested?: number) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const fs = yield* FileSystem.FileSystem
    assert.deepStrictEqual((yield* stillOpen).map((r) => `${r.kind} ${r.record.id}`), [], "no OPEN record")
    assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [], "no pending multipart upload")
    const live = [...emulator.state.assets.values()].filter((asset) => asset.status !== "DELETED")
    const empty = live.filter((asset) =>
      ![...emulator.state.files.values(), ...emulator.state.proxies.values()].some((r) =>
        r.asset_id === asset.id && r.status === "CLOSED"
      )
    )
    assert.deepStrictEqual(empty.map((asset) => asset.title), [], "no empty asset")
    if (ingested !== undefined) assert.strictEqual(live.length, ingested, "one asset per ingested file")
    for (const { path, recordId } of sources) {
      const location = emulator.state.locations.get(recordId)
      assert.isDefined(location, `record ${recordId} has a location`)
      const stored = yield* emulator.objectStore.readObject(location!.bucket, location!.key)
      assert.strictEqual(stored._tag, "Some", `object of ${recordId} is stored`)
      if (stored._tag === "Some") assert.strictEqual(md5(stored.value), md5(yield* fs.readFile(path)), "stored MD5 = source MD5")
    }
  })

const fileRoute = "/API/files/v1/assets/{asset_id}/files/{file_id}/"
const proxyRoute = "/API/files/v1/assets/{asset_id}/proxies/{proxy_id}/"

describe.each(modes)("lose nothing ($name)", ({ layer }) => {
  it.live("a truncated 200 to the CLOSE PATCH of an original: the record is read back, CLOSED, asset kept", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "close.mov": 11 * MiB })
      const file = path.join(dir, "close.mov")
      yield* emulator.addFault({ fault: Faults.truncatedBody, method: "PATCH", route: fileRoute, times: 1 })
      const result = yield* ingestFile({ file, partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
      assert.strictEqual(emulator.state.assets.get(result.assetId)?.status, "ACTIVE")
      yield* invariants([{ recordId: result.fileId, path: file }], 1)
    }).pipe(Effect.scoped, Effect.provide(layer())))

  it.live("a reset after the CLOSE PATCH of a proxy took effect: CLOSED, not FAILED", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 6 * MiB })
      const file = path.join(dir, "proxy.mp4")
      const asset = yield* Assets.create({ title: "Proxy close" })
      // Every PATCH of the proxy acts and then loses its answer: only reading the record back can tell it is done.
      yield* emulator.addFault({ fault: Faults.reset, method: "PATCH", route: proxyRoute })
      const result = yield* uploadProxy({ assetId: asset.id, file, partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.strictEqual(emulator.state.proxies.get(result.proxyId)?.status, "CLOSED")
      yield* invariants([{ recordId: result.proxyId, path: file }])
    }).pipe(Effect.scoped, Effect.provide(layer())))
})

export { failureOf }
