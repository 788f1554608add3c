/**
 * The same durable ingests on each engine (memory, PostgreSQL), over the emulator on a 127.0.0.1 socket, checked from
 * the emulator's records and object store: every file CLOSED exactly once with the source's MD5, no OPEN record, no
 * unfinished storage upload, no second asset.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Layer, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Csv from "../../workflows/Csv.ts"
import { createHash } from "node:crypto"
import * as Engine from "../../durable/Engine.ts"
import * as Runs from "../../durable/Runs.ts"
import * as RunList from "../../durable/RunList.ts"
import { check, type Source, snapshot } from "../../soak/invariants.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, sampleBytes, storageRequests } from "../workflows/support.ts"
import { engines } from "./engines.ts"

const media = (name: string, size: number, seed: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-durable-" })
    const bytes = sampleBytes(size, seed)
    const file = path.join(dir, name)
    yield* fs.writeFile(file, bytes)
    return { file, source: { workflow: "ingestFile", name, size, md5: createHash("md5").update(bytes).digest("hex"), completed: true } as Source }
  })

const violations = (sources: ReadonlyArray<Source>, harnessAssets: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    return check(yield* snapshot(emulator), sources, harnessAssets).violations.map((v) => `${v.invariant}: ${v.cause} (${v.detail})`)
  })

describe.each(engines)("durable workflows on the $name engine", (engine) => {
  const run = <A, E>(test: Effect.Effect<A, E, any>) =>
    Effect.promise(() => engine.layer()).pipe(
      Effect.flatMap((layer) =>
        test.pipe(
          Effect.provide(Engine.worker(layer as typeof Engine.layerMemory).pipe(Layer.provideMerge(overSocket()))),
          Effect.scoped
        )
      )
    )

  it.live.skipIf(engine.skip !== undefined)("one file, multipart: CLOSED once with its MD5; a second submission joins the first", () =>
    run(Effect.gen(function*() {
      const { file, source } = yield* media("clip.mov", 6 * MiB, 1)
      const options = { file, partSize: 5 * MiB, singlePutThreshold: MiB }
      const result = yield* Runs.runIngestFile(options)
      assert.strictEqual(result.size, 6 * MiB)
      assert.strictEqual(result.transfer.strategy, "multipart")
      // The same file again: the same execution, its result, nothing sent again.
      const parts = (yield* storageRequests("UploadPart")).length
      const again = yield* Runs.runIngestFile(options)
      assert.strictEqual(again.fileId, result.fileId)
      assert.strictEqual((yield* storageRequests("UploadPart")).length, parts)
      const emulator = yield* IconikEmulator
      assert.strictEqual([...emulator.state.assets.values()].filter((a) => a.status !== "DELETED").length, 1)
      assert.deepStrictEqual(yield* violations([source]), [])
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a failing ingest fails with the step's typed error; nothing is left behind", () =>
    run(Effect.gen(function*() {
      const { file } = yield* media("bad.mov", 1024, 2)
      const exit = yield* Effect.exit(Runs.runIngestFile({ file, storageId: "not-a-storage" }))
      assert.strictEqual(exit._tag, "Failure")
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      assert.strictEqual((error as any)?.error?._tag, "IconikNotFound")
      assert.deepStrictEqual(yield* violations([]), [])
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a folder: one child execution per file, hidden entries left out, each file CLOSED once", () =>
    run(Effect.gen(function*() {
      const sizes: Record<string, number> = { "a.mov": 6 * MiB, "sub/b.mov": 2 * MiB, "sub/c.wav": 1024, ".hidden": 10 }
      const dir = yield* mediaFolder(sizes)
      const report = yield* Runs.runIngestFolder({ folder: dir, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 2 })
      assert.deepStrictEqual(report.ingested.map((i) => i.path).sort(), ["a.mov", "sub/b.mov", "sub/c.wav"])
      assert.deepStrictEqual(report.failed, [])
      const sources = Object.entries(sizes).filter(([name]) => !name.startsWith(".")).map(([name, size], i) => ({
        workflow: "ingestFile" as const,
        name: name.slice(name.lastIndexOf("/") + 1),
        size,
        md5: createHash("md5").update(sampleBytes(size, i + 1)).digest("hex"),
        completed: true
      }))
      assert.deepStrictEqual(yield* violations(sources), [])
    })), 120_000)

  it.live.skipIf(engine.skip !== undefined || engine.name !== "postgres")("runs are listed with their state, and finished ones pruned", () =>
    run(Effect.gen(function*() {
      const dir = yield* mediaFolder({ "x.mov": 1000, "y.mov": 2000 })
      yield* Runs.runIngestFolder({ folder: dir })
      // A folder's files are runs of their own, listed under the folder's run.
      const runs = yield* RunList.list(100)
      assert.deepStrictEqual(runs.map((r) => r.workflow), ["effect-iconik/ingestFolder"])
      assert.strictEqual((yield* RunList.status(runs[0]!)).state, "complete")
      const files = yield* Effect.forEach(yield* RunList.children(runs[0]!.executionId), RunList.status)
      assert.deepStrictEqual(files.map((f) => `${f.workflow} ${f.state}`), [
        "effect-iconik/ingestFile complete",
        "effect-iconik/ingestFile complete"
      ])
      assert.strictEqual(yield* RunList.pruneFinished(), 3)
      assert.deepStrictEqual(yield* RunList.list(100), [])
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a proxy, multipart: CLOSED once with its MD5 on the caller's asset", () =>
    run(Effect.gen(function*() {
      const target = yield* Assets.create({ title: "target", type: "ASSET" })
      const { file, source } = yield* media("proxy.mp4", 6 * MiB, 3)
      const result = yield* Runs.runUploadProxy({ assetId: target.id, file, partSize: 5 * MiB, singlePutThreshold: MiB })
      assert.strictEqual(result.transfer.strategy, "multipart")
      const emulator = yield* IconikEmulator
      assert.strictEqual(emulator.state.proxies.get(result.proxyId)?.status, "CLOSED")
      assert.deepStrictEqual(yield* violations([{ ...source, workflow: "uploadProxy", assetId: target.id }], [target.id]), [])
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a metadata CSV import: the changed objects written, the unchanged left", () =>
    run(Effect.gen(function*() {
      yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
      const view = yield* Metadata.createView({ name: "Review", view_fields: [{ name: "rating" }] })
      const a = yield* Assets.create({ title: "a" })
      const b = yield* Assets.create({ title: "b" })
      yield* Metadata.putForAsset(a.id, view.id, { metadata_values: { rating: { field_values: [{ value: 3 }] } } })
      const csv = Csv.format([["id", "object_type", "rating"], [a.id, "assets", "3"], [b.id, "assets", "5"]])
      const report = yield* Runs.runImportMetadata({ viewId: view.id, csv })
      assert.strictEqual(report.written, 1)
      assert.strictEqual(report.unchanged, 1)
      assert.deepStrictEqual(report.failed, [])
      const values = yield* Metadata.get("assets", b.id, view.id)
      assert.deepStrictEqual(values.metadata_values.rating?.field_values?.map((v) => v.value), [5])
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a bad option fails before anything is submitted", () =>
    run(Effect.gen(function*() {
      const dir = yield* mediaFolder({ "a.mov": 10 })
      const exit = yield* Effect.exit(Runs.submitIngestFolder({ folder: dir, concurrency: 0 }))
      assert.strictEqual(exit._tag === "Failure" ? (exit.cause.reasons[0] as any)?.error?._tag : undefined, "InvalidOption")
      const emulator = yield* IconikEmulator
      assert.strictEqual(emulator.state.assets.size, 0)
    })), 60_000)
})
