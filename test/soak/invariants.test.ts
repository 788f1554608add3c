import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FileSystem, Path } from "effect"
import { createHash } from "node:crypto"
import * as Assets from "../../src/Assets.ts"
import { check, type Source, snapshot } from "../../soak/invariants.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { IconikEmulator, inProcess, MiB, sampleBytes, withProxyStorages } from "../workflows/support.ts"

/** Writes `size` sample bytes to `name` in a scoped temporary folder; the path and the source's MD5. */
const media = (name: string, size: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-soak-" })
    const bytes = sampleBytes(size, size)
    const file = path.join(dir, name)
    yield* fs.writeFile(file, bytes)
    return { file, md5: createHash("md5").update(bytes).digest("hex") }
  })

const source = (workflow: Source["workflow"], name: string, size: number, md5: string, completed: boolean, assetId?: string): Source =>
  ({ workflow, name, size, md5, completed, assetId })

/** The violations of the emulator's current state, as `invariant: cause` sorted. */
const causes = (sources: ReadonlyArray<Source>, harness: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const result = check(yield* snapshot(emulator), sources, harness)
    return result.violations.map((v) => `${v.invariant}: ${v.cause}`).sort()
  })

const keep = { partSize: 5 * MiB, singlePutThreshold: MiB, onFailure: "keep" as const }

describe("soak invariants", () => {
  it.live("a clean ingest and a clean proxy upload break none", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const original = yield* media("clean.mov", 6 * MiB)
      const proxy = yield* media("clean-proxy.mp4", 300 * 1024)
      yield* ingestFile({ file: original.file, partSize: 5 * MiB, singlePutThreshold: MiB })
      const target = yield* Assets.create({ title: "target", type: "ASSET" })
      yield* uploadProxy({ assetId: target.id, file: proxy.file, storageId: emulator.storage("PROXIES", "GCS")!.id })
      assert.deepStrictEqual(
        yield* causes([
          source("ingestFile", "clean.mov", 6 * MiB, original.md5, true),
          source("uploadProxy", "clean-proxy.mp4", 300 * 1024, proxy.md5, true, target.id)
        ], [target.id]),
        []
      )
    }).pipe(Effect.scoped, Effect.provide(inProcess(withProxyStorages))))

  it.live("corrupt: a stored object with other bytes, another size, or none at all", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const sources: Array<Source> = []
      const objects: Array<{ bucket: string; key: string }> = []
      for (const name of ["a.mov", "b.mov", "c.mov"]) {
        const { file, md5 } = yield* media(name, 2 * MiB)
        const result = yield* ingestFile({ file })
        const location = emulator.state.locations.get(result.fileId)!
        objects.push(location)
        sources.push(source("ingestFile", name, 2 * MiB, md5, true))
      }
      // Same size, one byte changed; one byte short; gone.
      const altered = new Uint8Array(2 * MiB)
      altered.set(sampleBytes(2 * MiB, 2 * MiB))
      altered[1000] ^= 0xff
      yield* emulator.objectStore.putObject(objects[0]!.bucket, objects[0]!.key, altered)
      yield* emulator.objectStore.putObject(objects[1]!.bucket, objects[1]!.key, altered.subarray(1))
      yield* emulator.objectStore.deleteObject(objects[2]!.bucket, objects[2]!.key)
      assert.deepStrictEqual(yield* causes(sources), [
        "corrupt: CLOSED record without its object",
        "corrupt: stored MD5 differs",
        "corrupt: stored size differs"
      ])
      // A run that says it completed while its record never closed counts as corrupt too.
      const { file, md5 } = yield* media("d.mov", 1024)
      const failed = yield* Effect.exit(ingestFile({ file, storageId: "not-a-storage" }))
      assert.isTrue(Exit.isFailure(failed))
      assert.deepStrictEqual(
        yield* causes([source("ingestFile", "d.mov", 1024, md5, true)]),
        ["corrupt: completed without a CLOSED record"]
      )
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("duplicated: one source ingested twice, one proxy uploaded twice", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const original = yield* media("twice.mov", 4096)
      yield* ingestFile({ file: original.file })
      yield* ingestFile({ file: original.file })
      const proxy = yield* media("twice.mp4", 4096)
      const target = yield* Assets.create({ title: "target", type: "ASSET" })
      const storageId = emulator.storage("PROXIES", "S3")!.id
      yield* uploadProxy({ assetId: target.id, file: proxy.file, storageId })
      yield* uploadProxy({ assetId: target.id, file: proxy.file, storageId, newProxy: true })
      assert.deepStrictEqual(
        yield* causes([
          source("ingestFile", "twice.mov", 4096, original.md5, true),
          source("uploadProxy", "twice.mp4", 4096, proxy.md5, true, target.id)
        ], [target.id]),
        [
          "duplicated: more than one file record",
          "duplicated: more than one live asset",
          "duplicated: more than one proxy record"
        ]
      )
    }).pipe(Effect.scoped, Effect.provide(inProcess(withProxyStorages))))

  it.live("orphaned: OPEN records, empty assets, unfinished uploads on S3, GCS and B2, objects without a record", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const sources: Array<Source> = []
      // Every part / chunk upload fails; "keep" leaves what a crashed run would leave.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 500 }, operation: ["UploadPart", "ResumableChunk"] })
      for (const method of ["S3", "GCS"]) {
        const name = `left-${method}.mov`
        const { file, md5 } = yield* media(name, 6 * MiB)
        const exit = yield* Effect.exit(ingestFile({ file, storageId: emulator.storage("FILES", method)!.id, ...keep }))
        assert.isTrue(Exit.isFailure(exit), method)
        sources.push(source("ingestFile", name, 6 * MiB, md5, false))
      }
      yield* emulator.objectStore.clearFaults
      // The B2 engine cancels its large file when a part fails; a crashed client would not have.
      yield* emulator.objectStore.b2StartLargeFile("iconik-files-b2", "crashed/large.mov")
      yield* emulator.objectStore.putObject("iconik-files-s3", "stray/object.bin", sampleBytes(100))
      const found = yield* causes(sources)
      assert.deepStrictEqual(found, [
        ...Array(2).fill("orphaned: OPEN file record"),
        ...Array(2).fill("orphaned: live asset without a CLOSED file"),
        "orphaned: pending GCS resumable session",
        "orphaned: pending S3 multipart upload",
        "orphaned: stored object without a CLOSED record",
        "orphaned: unfinished B2 large file"
      ].sort())
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})

describe("soak invariants, files of one name in two sub-folders (the durable soak's folders)", () => {
  const twin = (directory: string, md5: string): Source => ({
    workflow: "ingestFile",
    name: "twin.mov",
    size: MiB,
    md5,
    completed: true,
    directory,
    externalId: `${directory}/twin.mov`
  })

  it.live("told apart by directory and external id: clean twins break nothing, a second asset of one is caught", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-soak-" })
      const md5s: Array<string> = []
      for (const [i, sub] of ["day1", "day2"].entries()) {
        yield* fs.makeDirectory(path.join(dir, sub))
        const bytes = sampleBytes(MiB, i + 1)
        yield* fs.writeFile(path.join(dir, sub, "twin.mov"), bytes)
        md5s.push(createHash("md5").update(bytes).digest("hex"))
        yield* ingestFile({ file: path.join(dir, sub, "twin.mov"), directoryPath: sub, externalId: `${sub}/twin.mov` })
      }
      const sources = [twin("day1", md5s[0]!), twin("day2", md5s[1]!)]
      assert.deepStrictEqual(yield* causes(sources), [])
      // By name alone the two would look like one file ingested twice.
      assert.deepStrictEqual(yield* causes([{ ...sources[0]!, directory: undefined, externalId: undefined }]), [
        "corrupt: stored MD5 differs",
        "duplicated: more than one file record",
        "duplicated: more than one live asset"
      ])
      // A second asset and record for day1's file is still a duplicate; day2's bytes under day1's record are corrupt.
      yield* ingestFile({ file: path.join(dir, "day1", "twin.mov"), directoryPath: "day1", externalId: "day1/twin.mov" })
      const day2 = [...emulator.state.files.values()].find((f) => f.directory_path === "day2")!
      const day2Object = emulator.state.locations.get(day2.id)!
      yield* emulator.objectStore.putObject(day2Object.bucket, day2Object.key, sampleBytes(MiB, 1))
      assert.deepStrictEqual(yield* causes(sources), [
        "corrupt: stored MD5 differs",
        "duplicated: more than one file record",
        "duplicated: more than one live asset"
      ])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})
