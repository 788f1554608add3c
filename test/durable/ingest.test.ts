/**
 * The same durable ingests on each engine (memory, PostgreSQL), over the emulator on a 127.0.0.1 socket, checked from
 * the emulator's records and object store: every file CLOSED exactly once with the source's MD5, no OPEN record, no
 * unfinished storage upload, no second asset.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Effect, FileSystem, Layer, Path, Semaphore, Stream, Tracer } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Csv from "../../workflows/Csv.ts"
import type { IngestFolderReport } from "../../workflows/ingestFolder.ts"
import { createHash } from "node:crypto"
import * as ClusterLimits from "../../durable/ClusterLimits.ts"
import * as Engine from "../../durable/Engine.ts"
import * as Runs from "../../durable/Runs.ts"
import * as RunList from "../../durable/RunList.ts"
import { check, type Source, snapshot } from "../../soak/invariants.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, sampleBytes, stillOpen, storageRequests } from "../workflows/support.ts"
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

/** Waits (polling, bounded) until `condition` holds. */
const until = <E, R>(what: string, condition: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 600; attempt++) {
      if (yield* condition) return
      yield* Effect.sleep("50 millis")
    }
    return assert.fail(`timed out waiting: ${what}`)
  })

/**
 * Upload slots that count: how many are held now, the most held at once, and how many times one was taken. `bound`
 * of them, as `ClusterLimits.layerMemory` makes them.
 */
const countingSlots = (bound: number) => {
  const counts = { held: 0, most: 0, taken: 0 }
  const layer = Layer.effect(
    ClusterLimits.UploadSlots,
    Effect.map(Semaphore.make(bound), (semaphore) => ({
      withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Semaphore.withPermit(
          semaphore,
          Effect.acquireUseRelease(
            Effect.sync(() => {
              counts.taken++
              counts.most = Math.max(counts.most, ++counts.held)
            }),
            () => effect,
            () => Effect.sync(() => counts.held--)
          )
        )
    }))
  )
  return { counts, layer }
}

/**
 * The activities the engine records, by execution: on PostgreSQL its `activity` requests in `cluster_messages`; on
 * the memory engine (which keeps no table) the spans Effect opens for each activity, named after it. Each activity
 * counted once, however often a replay met it. The spans are those of the current test (`run` clears them).
 */
const activitySpans: Array<Tracer.NativeSpan> = []
const tracer = Tracer.make({
  span(options) {
    const span = new Tracer.NativeSpan(options)
    activitySpans.push(span)
    return span
  }
})
const activitiesOf = (engineName: string, executionId: string) =>
  engineName === "postgres"
    ? Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ readonly payload: string }>`
        SELECT payload FROM cluster_messages WHERE tag = 'activity' AND entity_id = ${executionId}`
      return [...new Set(rows.map((row) => (JSON.parse(row.payload) as { readonly name: string }).name))].sort()
    })
    : Effect.sync(() =>
      [
        ...new Set(
          activitySpans.filter((span) => span.attributes.get("executionId") === executionId && !span.name.startsWith("effect-iconik/"))
            // The memory engine runs a child in its parent's fiber, so the child's steps carry the parent's item.
            .map((span) => span.name.replace(/^[^:]*: /, ""))
        )
      ].sort()
    )

/**
 * The file system, except that the first read of a file named `name` finds it removed (it is removed then, for
 * real): a file that goes between the folder's listing and its checksum.
 */
const removedAtFirstRead = (name: string) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) => {
      let removed = false
      return FileSystem.FileSystem.of({
        ...fs,
        stream: (path, options) => {
          if (removed || !path.endsWith(`/${name}`)) return fs.stream(path, options)
          removed = true
          return Stream.unwrap(Effect.as(Effect.orDie(fs.remove(path)), fs.stream(path, options)))
        }
      })
    })
  )

/** The executions a folder's run `executionId` started (its files'). */
const childRuns = (engineName: string, executionId: string) =>
  engineName === "postgres"
    ? Effect.map(RunList.children(executionId), (runs) => runs.map((r) => r.executionId))
    : Effect.sync(() => [
      ...new Set(activitySpans.flatMap((span) => {
        const id = span.attributes.get("executionId")
        return typeof id === "string" && id !== executionId ? [id] : []
      }))
    ])

/** A run's end as `Runs.join` sees it: cancelled when it ended with interrupts only. */
const endOf = (workflow: Runs.WorkflowName, executionId: string) =>
  Effect.map(Runs.join(workflow, executionId, { every: 100 }), (state) =>
    state._tag === "Failed" && Cause.isCause(state.error) && Cause.hasInterruptsOnly(state.error) ? "cancelled" : state._tag)

describe.each(engines)("durable workflows on the $name engine", (engine) => {
  const run = <A, E>(
    test: Effect.Effect<A, E, any>,
    options?: { readonly holdDelays?: boolean; readonly worker?: Layer.Layer<never, never, FileSystem.FileSystem> }
  ) =>
    Effect.promise(() => engine.layer()).pipe(
      Effect.flatMap((layer) =>
        Effect.gen(function*() {
          // Held delays: the emulator's clock does not move, so a `Delay` fault holds its request until the test ends.
          const clock = yield* TestClock.make({ warningDelay: "10 minutes" })
          yield* clock.setTime(Date.now())
          const emulator = options?.holdDelays === true ? overSocket().pipe(Layer.provide(Layer.succeed(Clock.Clock, clock))) : overSocket()
          activitySpans.length = 0
          return yield* test.pipe(
            Effect.ensuring(clock.adjust("1 day")),
            Effect.scoped,
            Effect.withTracer(tracer),
            Effect.provide(Engine.worker(layer as typeof Engine.layerMemory).pipe(
              // Given to the test too: the memory engine runs a run in the context of whoever starts it.
              Layer.provideMerge(Layer.mergeAll(Layer.succeed(Tracer.Tracer, tracer), options?.worker ?? Layer.empty)),
              Layer.provideMerge(emulator)
            ))
          )
        })
      ),
      Effect.scoped
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

  it.live.skipIf(engine.skip !== undefined)("upload slots: held for the storage transfer only, never more than the bound at once", () => {
    const slots = countingSlots(1)
    return run(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      // Each file's transcode job never ends (the emulator's clock does not move): every run waits on its job, after
      // its CLOSE. A slot held for a whole run would let one file in and keep the others waiting for ever.
      const sizes = { "a.wav": 1024, "b.wav": 2048, "c.wav": 3072, "big.mov": 6 * MiB }
      const dir = yield* mediaFolder(sizes)
      yield* Runs.submitIngestFolder({
        folder: dir,
        partSize: 5 * MiB,
        singlePutThreshold: MiB,
        concurrency: 4,
        partConcurrency: 1,
        transcode: true,
        wait: true
      })
      const closed = Effect.sync(() => [...emulator.state.files.values()].filter((f) => f.status === "CLOSED").map((f) => f.name).sort())
      yield* until("every file CLOSED", Effect.map(closed, (names) => names.length === 4))
      assert.deepStrictEqual(yield* closed, Object.keys(sizes).sort())
      yield* until("every transcode job started", Effect.sync(() => emulator.state.jobs.size === 4))
      // Every run now waits on its job: none holds a slot.
      assert.strictEqual(slots.counts.held, 0)
      assert.strictEqual(slots.counts.most, 1)
      // One slot per file's transfer (the large file's too: its upload is one step).
      assert.strictEqual(slots.counts.taken, 4)
    }), { holdDelays: true, worker: slots.layer })
  }, 60_000)

  it.live.skipIf(engine.skip !== undefined)("upload slots: a proxy's run holds one for its transfer only, not while it waits on its keyframes job", () => {
    const slots = countingSlots(1)
    return run(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const target = yield* Assets.create({ title: "target", type: "ASSET" })
      const { file } = yield* media("proxy.mp4", 6 * MiB, 3)
      // The keyframes job never ends (the emulator's clock does not move): the run waits on it after its CLOSE.
      yield* Runs.submitUploadProxy({ assetId: target.id, file, partSize: 5 * MiB, singlePutThreshold: MiB, keyframes: true, wait: true })
      yield* until("the proxy CLOSED and its keyframes job started", Effect.sync(() =>
        [...emulator.state.proxies.values()].some((p) => p.status === "CLOSED") && emulator.state.jobs.size === 1))
      assert.strictEqual(slots.counts.held, 0)
      assert.strictEqual(slots.counts.taken, 1)
    }), { holdDelays: true, worker: slots.layer })
  }, 60_000)

  it.live.skipIf(engine.skip !== undefined)("activities: a small file takes none, a large file one per stage; the folder checksums them in one", () =>
    run(Effect.gen(function*() {
      const dir = yield* mediaFolder({ "s0.wav": 1024, "s1.wav": 1024, "s2.wav": 1024, "big.mov": 6 * MiB })
      const id = yield* Runs.submitIngestFolder({ folder: dir, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 4 })
      const state = yield* Runs.join("effect-iconik/ingestFolder", id, { every: 100 })
      assert.strictEqual(state._tag, "Succeeded", JSON.stringify(state))
      // The folder: its listing, its storage, and one checksum activity for the four files (all within 8 MiB).
      assert.deepStrictEqual(yield* activitiesOf(engine.name, id), [
        "checksum and look up 4 files from big.mov",
        "find FILES storage",
        "inspect files",
        "list folder"
      ])
      const children = yield* Effect.forEach(yield* childRuns(engine.name, id), (child) => activitiesOf(engine.name, child))
      const perStage = [
        "check file",
        "check file unchanged",
        "close file",
        "create asset",
        "create file",
        "create file set",
        "create format",
        "upload file"
      ].join(", ")
      // A small file's ingest is its run's body, unrecorded, run again whole after a crash (taking over what the
      // cut-off attempt left, a CLOSED file included: see the crash tests); the large one's a stage per activity.
      assert.deepStrictEqual(children.map((names) => names.join(", ")).sort(), [perStage, "", "", ""].sort())
    })), 60_000)

  it.live.skipIf(engine.skip !== undefined)("a file of a checksum group removed before its checksum fails alone; the others are ingested", () =>
    run(Effect.gen(function*() {
      const sizes = { "g0.wav": 1000, "g1.wav": 2000, "gone.wav": 3000, "g3.wav": 4000, "g4.wav": 5000 }
      const dir = yield* mediaFolder(sizes)
      const id = yield* Runs.submitIngestFolder({ folder: dir, concurrency: 2 })
      const state = yield* Runs.join("effect-iconik/ingestFolder", id, { every: 100 })
      assert.strictEqual(state._tag, "Succeeded", JSON.stringify(state))
      const report = (state as { readonly result: IngestFolderReport }).result
      assert.deepStrictEqual(report.ingested.map((i) => i.path).sort(), ["g0.wav", "g1.wav", "g3.wav", "g4.wav"])
      assert.deepStrictEqual(report.failed.map(({ path, reason }) => ({ path, reason })), [{ path: "gone.wav", reason: "LocalFileError" }])
      assert.include(report.failed[0]!.message, "gone.wav")
      // All five were checksummed in one activity: the failure was one file's, inside the group.
      assert.include(yield* activitiesOf(engine.name, id), "checksum and look up 5 files from g0.wav")
      const sources = Object.entries(sizes).flatMap(([name, size], i): Array<Source> =>
        name === "gone.wav" ? [] : [{
          workflow: "ingestFile",
          name,
          size,
          md5: createHash("md5").update(sampleBytes(size, i + 1)).digest("hex"),
          completed: true
        }]
      )
      assert.deepStrictEqual(yield* violations(sources), [])
    }), { worker: removedAtFirstRead("gone.wav") }), 60_000)

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

  it.live.skipIf(engine.skip !== undefined)("cancel mid-upload: the upload aborted, no OPEN record, the asset gone; the run cancelled", () =>
    run(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const { file } = yield* media("held.mov", 12 * MiB, 5)
      // Part 2 is held until the test ends: the run is cancelled while its upload is under way.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "UploadPart", partNumber: 2 })
      const id = yield* Runs.submitIngestFile({ file, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 })
      yield* until("part 1 stored", Effect.map(storageRequests("UploadPart"), (parts) => parts.length === 1))
      assert.strictEqual((yield* emulator.objectStore.pendingUploads).length, 1)
      yield* Runs.cancel("effect-iconik/ingestFile", id)
      assert.strictEqual(yield* endOf("effect-iconik/ingestFile", id), "cancelled")
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      // Stopped mid-upload: the upload was never completed, it was aborted.
      assert.deepStrictEqual((yield* storageRequests("CompleteMultipartUpload")).length, 0)
      assert.deepStrictEqual(yield* stillOpen, [])
      // The asset it made is deleted (its file FAILED first): no record, asset or object is left.
      assert.deepStrictEqual(yield* violations([]), [])
      if (engine.name === "postgres") {
        assert.strictEqual((yield* RunList.status(yield* RunList.find(id))).state, "cancelled")
      }
      // Cancelling it again, or an id no run has: nothing happens.
      yield* Runs.cancel("effect-iconik/ingestFile", id)
      yield* Runs.cancel("effect-iconik/ingestFile", "0123456789abcdef")
      assert.strictEqual(yield* endOf("effect-iconik/ingestFile", id), "cancelled")
      assert.deepStrictEqual(yield* violations([]), [])
    }), { holdDelays: true }), 60_000)

  it.live.skipIf(engine.skip !== undefined)("cancel of a folder mid-upload: its files' runs cancelled and cleaned up, a CLOSED file kept", () =>
    run(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const sizes = { "done.wav": 1024, "held.mov": 12 * MiB }
      const dir = yield* mediaFolder(sizes)
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "UploadPart", partNumber: 2 })
      const id = yield* Runs.submitIngestFolder({
        folder: dir,
        partSize: 5 * MiB,
        singlePutThreshold: MiB,
        concurrency: 2,
        partConcurrency: 1
      })
      const closed = Effect.map(stillOpen, () => [...emulator.state.files.values()].filter((f) => f.status === "CLOSED").map((f) => f.name))
      yield* until(
        "done.wav CLOSED and held.mov's part 1 stored",
        Effect.map(Effect.all([closed, storageRequests("UploadPart")]), ([names, parts]) => names.includes("done.wav") && parts.length === 1)
      )
      yield* Runs.cancel("effect-iconik/ingestFolder", id)
      assert.strictEqual(yield* endOf("effect-iconik/ingestFolder", id), "cancelled")
      // The folder's run passes the cancel on to its files' runs as it ends: they end (and clean up) after it.
      yield* until(
        "held.mov cleaned up",
        Effect.map(Effect.all([emulator.objectStore.pendingUploads, stillOpen]), ([pending, open]) => pending.length === 0 && open.length === 0)
      )
      assert.deepStrictEqual(yield* closed, ["done.wav"])
      assert.deepStrictEqual((yield* storageRequests("CompleteMultipartUpload")).length, 0)
      const done: Source = {
        workflow: "ingestFile",
        name: "done.wav",
        size: 1024,
        md5: createHash("md5").update(sampleBytes(1024, 1)).digest("hex"),
        completed: true
      }
      yield* until("held.mov's asset deleted", Effect.map(violations([done]), (found) => found.length === 0))
      if (engine.name === "postgres") {
        // The file's run ends once its clean-up has run.
        const files = Effect.map(
          Effect.flatMap(RunList.children(id), (runs) => Effect.forEach(runs, RunList.status)),
          (runs) => runs.map((f) => `${(f.payload as { file: string }).file.split("/").pop()} ${f.state}`).sort()
        )
        yield* until("held.mov's run ended", Effect.map(files, (states) => !states.includes("held.mov running")))
        assert.deepStrictEqual(yield* files, ["done.wav complete", "held.mov cancelled"])
      }
    }), { holdDelays: true }), 60_000)

  it.live.skipIf(engine.skip !== undefined)("cancel of a proxy upload mid-upload: the upload aborted, no OPEN proxy record", () =>
    run(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const target = yield* Assets.create({ title: "target", type: "ASSET" })
      const { file } = yield* media("proxy.mp4", 12 * MiB, 6)
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "UploadPart", partNumber: 2 })
      const id = yield* Runs.submitUploadProxy({ assetId: target.id, file, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 1 })
      yield* until("part 1 stored", Effect.map(storageRequests("UploadPart"), (parts) => parts.length === 1))
      yield* Runs.cancel("effect-iconik/uploadProxy", id)
      assert.strictEqual(yield* endOf("effect-iconik/uploadProxy", id), "cancelled")
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      assert.deepStrictEqual((yield* storageRequests("CompleteMultipartUpload")).length, 0)
      assert.deepStrictEqual(yield* stillOpen, [])
      // The caller's asset stays; its proxy record is FAILED or gone, and no object is stored.
      assert.deepStrictEqual(yield* violations([], [target.id]), [])
    }), { holdDelays: true }), 60_000)

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
