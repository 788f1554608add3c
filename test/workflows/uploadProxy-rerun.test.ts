/**
 * `uploadProxy` run again for the same file and asset makes no second proxy: an OPEN one left with its checkpoint is
 * resumed, a CLOSED one of the same file (name and size) means nothing to do (`ProxyAlreadyUploaded`), unless
 * `newProxy` asks for another. Also through the `iconik upload-proxy` command.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Files from "../../src/Files.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { ProxyAlreadyUploaded, uploadProxy } from "../../workflows/uploadProxy.ts"
import { iconik } from "../cli/support.ts"
import { failureOf, IconikEmulator, mediaFolder, MiB, overSocket, stillOpen } from "./support.ts"

const proxiesOf = (assetId: string) =>
  IconikEmulator.use((emulator) =>
    Effect.sync(() =>
      [...emulator.state.proxies.values()].filter((p) => p.asset_id === assetId && p.status !== "DELETED")
        .map((p) => ({ id: p.id, status: p.status }))
    ))

const storageWrites = IconikEmulator.use((emulator) =>
  Effect.map(emulator.objectStore.requests, (requests) => requests.filter((r) => r.method !== "GET" && r.method !== "HEAD").length))

const setUp = (size: number) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ "proxy.mp4": size })
    const asset = yield* Assets.create({ title: "Rerun" })
    return { file: path.join(dir, "proxy.mp4"), assetId: asset.id }
  })

describe("uploadProxy run twice for the same file", () => {
  it.live("a CLOSED proxy of the file: ProxyAlreadyUploaded, nothing sent; newProxy uploads a second one", () =>
    Effect.gen(function*() {
      const { assetId, file } = yield* setUp(6 * MiB)
      const options = { assetId, file, partSize: 5 * MiB, singlePutThreshold: MiB }
      const first = yield* uploadProxy(options)
      const writes = yield* storageWrites

      const again = failureOf(yield* Effect.exit(uploadProxy(options)))
      assert.instanceOf(again, ProxyAlreadyUploaded)
      assert.strictEqual((again as ProxyAlreadyUploaded).proxyId, first.proxyId)
      assert.deepStrictEqual(yield* proxiesOf(assetId), [{ id: first.proxyId, status: "CLOSED" }])
      assert.strictEqual(yield* storageWrites, writes, "bytes went to storage for a proxy already there")

      const forced = yield* uploadProxy({ ...options, newProxy: true })
      assert.notStrictEqual(forced.proxyId, first.proxyId)
      assert.deepStrictEqual((yield* proxiesOf(assetId)).map((p) => p.status), ["CLOSED", "CLOSED"])
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("another file of the same name (other size) is not taken for it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { assetId, file } = yield* setUp(2 * MiB)
      const first = yield* uploadProxy({ assetId, file })
      yield* fs.writeFile(file, new Uint8Array(3 * MiB).fill(7))
      const second = yield* uploadProxy({ assetId, file })
      assert.notStrictEqual(second.proxyId, first.proxyId)
      assert.deepStrictEqual((yield* proxiesOf(assetId)).map((p) => p.status), ["CLOSED", "CLOSED"])
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("an OPEN proxy left with its checkpoint (interrupted, kept) is resumed: still one proxy", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const { assetId, file } = yield* setUp(16 * MiB)
      const options = { assetId, file, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 }
      // Part 3 fails for good on the first run, which keeps what it made.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 403, code: "AccessDenied" }, operation: "UploadPart", partNumber: 3, times: 1 })
      const failed = failureOf(yield* Effect.exit(uploadProxy({ ...options, onFailure: "keep" })))
      assert.strictEqual(failed?._tag, "StorageError")
      const [open] = yield* proxiesOf(assetId)
      assert.strictEqual(open?.status, "OPEN")
      assert.isTrue(yield* fs.exists(Checkpoint.pathFor(file, "uploadProxy")))

      const rerun = yield* uploadProxy(options)
      assert.strictEqual(rerun.proxyId, open!.id)
      assert.isTrue(rerun.transfer.resumed)
      assert.deepStrictEqual(yield* proxiesOf(assetId), [{ id: open!.id, status: "CLOSED" }])
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("an OPEN proxy of the file without a checkpoint cannot be continued: marked FAILED, one new proxy, none OPEN", () =>
    Effect.gen(function*() {
      const { assetId, file } = yield* setUp(MiB)
      const orphan = yield* Files.createProxy(assetId, { name: "proxy.mp4", filename: "proxy.mp4", size: MiB, status: "OPEN" })
      const result = yield* uploadProxy({ assetId, file })
      assert.notStrictEqual(result.proxyId, orphan.id)
      assert.deepStrictEqual(
        (yield* proxiesOf(assetId)).sort((a, b) => (a.id === orphan.id ? -1 : b.id === orphan.id ? 1 : 0)),
        [{ id: orphan.id, status: "FAILED" }, { id: result.proxyId, status: "CLOSED" }]
      )
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("iconik upload-proxy twice: the second says 'already uploaded', exits 0 and sends nothing", () =>
    Effect.gen(function*() {
      const { assetId, file } = yield* setUp(3 * MiB)
      const first = yield* iconik("upload-proxy", file, "--asset-id", assetId, "--quiet", "--json")
      assert.strictEqual(first.code, 0, first.stderr)
      const proxyId = JSON.parse(first.stdout).proxyId as string
      const writes = yield* storageWrites

      const second = yield* iconik("upload-proxy", file, "--asset-id", assetId, "--quiet")
      assert.strictEqual(second.code, 0, second.stderr)
      assert.include(second.stdout, `Proxy ${proxyId} of proxy.mp4 already uploaded (CLOSED) on asset ${assetId}: nothing uploaded`)
      const json = yield* iconik("upload-proxy", file, "--asset-id", assetId, "--quiet", "--json")
      assert.deepStrictEqual(JSON.parse(json.stdout), { assetId, proxyId, size: 3 * MiB, alreadyUploaded: true })
      assert.strictEqual(yield* storageWrites, writes)
      assert.deepStrictEqual(yield* proxiesOf(assetId), [{ id: proxyId, status: "CLOSED" }])

      const forced = yield* iconik("upload-proxy", file, "--asset-id", assetId, "--quiet", "--json", "--new-proxy")
      assert.strictEqual(forced.code, 0, forced.stderr)
      assert.notStrictEqual(JSON.parse(forced.stdout).proxyId, proxyId)
      assert.strictEqual((yield* proxiesOf(assetId)).length, 2)
    }).pipe(Effect.scoped, Effect.provide(overSocket())))
})
