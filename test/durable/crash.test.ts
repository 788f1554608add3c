/**
 * Runners as real processes on PostgreSQL, killed with SIGKILL mid-ingest (a part upload or a create held by the
 * emulator), then restarted: the work resumes from the last completed step, nothing is sent or made twice, and the
 * emulator ends with every file CLOSED once, its stored object's MD5 the file's, no OPEN record, no unfinished
 * upload and no second asset.
 */
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Path, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { afterAll } from "vitest"
import { check, type Source, snapshot } from "../../soak/invariants.ts"
import * as Faults from "../../src/testing/emulator/Faults.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"
import { eventually, freePort, kill, runnerEnv, startRunner } from "./processes.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, sampleBytes, storageRequests, withDelaysHeld } from "../workflows/support.ts"

const databases: Array<string> = []
afterAll(async () => {
  for (const url of databases) await dropFreshDatabase(url)
})

const violations = (sources: ReadonlyArray<Source>) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    return check(yield* snapshot(emulator), sources).violations.map((v) => `${v.invariant}: ${v.cause} (${v.detail})`)
  })

/** A folder of `count` files of `size` bytes (`<stem>-<n><extension>`), and what the soak's invariants expect of them. */
const folderOf = (stem: string, extension: string, count: number, size: number) =>
  Effect.gen(function*() {
    const files: Record<string, number> = {}
    for (let i = 1; i <= count; i++) files[`${stem}-${i}${extension}`] = size
    const dir = yield* mediaFolder(files)
    const sources = Object.entries(files).map(([name, size], i): Source => ({
      workflow: "ingestFile",
      name,
      size,
      md5: createHash("md5").update(sampleBytes(size, i + 1)).digest("hex"),
      completed: true
    }))
    return { dir, sources }
  })

const closedFiles = IconikEmulator.use((emulator) =>
  Effect.succeed([...emulator.state.files.values()].filter((f) => f.status === "CLOSED")))

const fileSize = 48 * MiB
const partSize = 5 * MiB // 10 parts
const parts = Math.ceil(fileSize / partSize)
/** Parts 1–3 go in; 4 and 5 (both slots) hang on their first try, so the kill finds them in flight. */
const storedBeforeKill = [1, 2, 3]
const inFlight = [4, 5]

describe.skipIf(pgSkipReason !== undefined)("durable runners killed mid-ingest (PostgreSQL)", () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  it.live(`one runner stopped (${signal}) mid-upload, restarted: the upload resumes, no stored part sent again, one asset`, () =>
    withDelaysHeld(Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* Effect.promise(() => freshDatabase("durable_crash"))
      databases.push(url)
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "rushes.mxf": fileSize })
      const media = path.join(dir, "rushes.mxf")
      const md5 = createHash("md5").update(readFileSync(media)).digest("hex")
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 15_000 }, operation: "UploadPart", partNumber: inFlight, times: 1 })

      const submit = JSON.stringify({ workflow: "ingestFile", options: { file: media, partSize, concurrency: 2 } })
      const first = yield* startRunner({ ...runnerEnv(emulator, url), SUBMIT: submit })
      const stored = Effect.map(storageRequests("UploadPart"), (requests) => new Set(requests.map((r) => r.partNumber)))
      yield* eventually("parts 1–3 stored", Effect.map(stored, (done) => done.size >= storedBeforeKill.length || first.child.exitCode !== null), [first])
      yield* kill(first, signal)
      assert.deepStrictEqual([...(yield* stored)].sort((a, b) => a! - b!), storedBeforeKill, first.output())
      assert.strictEqual(emulator.state.assets.size, 1)
      yield* emulator.objectStore.clearFaults

      // Restarted: nothing is submitted; the runner finds the execution in the database and resumes it.
      const second = yield* startRunner(runnerEnv(emulator, url))
      yield* eventually("the file CLOSED", Effect.map(closedFiles, (closed) => closed.length > 0), [second])
      const pending = yield* emulator.objectStore.pendingUploads

      const sent = new Map<number, number>()
      for (const r of yield* emulator.objectStore.requests) {
        if (r.operation === "UploadPart") sent.set(r.partNumber!, (sent.get(r.partNumber!) ?? 0) + 1)
      }
      for (const part of storedBeforeKill) assert.strictEqual(sent.get(part), 1, `part ${part} sent again\n${second.output()}`)
      const sentAgain = [...sent].filter(([, times]) => times > 1).map(([part]) => part)
      assert.isTrue(sentAgain.every((part) => inFlight.includes(part)), `sent again: ${sentAgain.join(", ")}`)
      assert.strictEqual(sent.size, parts)
      assert.deepStrictEqual(pending, [])
      assert.strictEqual(emulator.state.assets.size, 1, "a second asset was made")
      assert.deepStrictEqual(
        yield* violations([{ workflow: "ingestFile", name: "rushes.mxf", size: fileSize, md5, completed: true }]),
        []
      )
    }).pipe(Effect.scoped)), 240_000)
  }

  // The create's POST acts, its answer is lost, and the runner dies while it looks for what the POST made (that
  // read is held): the step ran, its result was never stored. The restarted runner runs it again, finding first.
  for (const create of [
    { what: "asset", route: "/API/assets/v1/assets/", lookUp: "/API/assets/v1/assets/", made: "assets" as const },
    { what: "file", route: "/API/files/v1/assets/{asset_id}/files/", lookUp: "/API/files/v1/assets/{asset_id}/files/", made: "files" as const }
  ]) {
    it.live(`one runner killed in the ${create.what} create after it acted, restarted: no second ${create.what}, nothing OPEN`, () =>
      withDelaysHeld(Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const url = yield* Effect.promise(() => freshDatabase("durable_crash"))
        databases.push(url)
        const path = yield* Path.Path
        const dir = yield* mediaFolder({ "still.tif": MiB })
        const media = path.join(dir, "still.tif")
        const md5 = createHash("md5").update(readFileSync(media)).digest("hex")
        yield* emulator.addFault({ fault: Faults.lostAnswer, method: "POST", route: create.route, times: 1 })
        yield* emulator.addFault({ fault: Faults.latency(15_000), method: "GET", route: create.lookUp, times: 1 })

        const submit = JSON.stringify({ workflow: "ingestFile", options: { file: media, indexWait: 2_000 } })
        const first = yield* startRunner({ ...runnerEnv(emulator, url), SUBMIT: submit })
        // Once the POST has acted and lost its answer, the step cannot end: its look-up is held.
        const acted = Effect.map(emulator.requests, (requests) =>
          requests.some((r) => r.method === "POST" && r.template === create.route))
        yield* eventually(`the ${create.what} create acted`, acted, [first])
        yield* kill(first)
        assert.strictEqual(emulator.state[create.made].size, 1)
        assert.strictEqual([...emulator.state.files.values()].filter((f) => f.status === "CLOSED").length, 0)

        const second = yield* startRunner(runnerEnv(emulator, url))
        yield* eventually("the file CLOSED", Effect.map(closedFiles, (closed) => closed.length > 0), [second])
        assert.strictEqual(
          [...emulator.state.assets.values()].filter((a) => a.status !== "DELETED").length,
          1,
          `a second asset\n${second.output()}`
        )
        assert.deepStrictEqual(
          yield* violations([{ workflow: "ingestFile", name: "still.tif", size: MiB, md5, completed: true }]),
          [],
          second.output()
        )
      }).pipe(Effect.scoped)), 240_000)
  }

  // The CLOSE acts, its answer is lost and its resend held, and the runner dies: the file is CLOSED in Iconik but the
  // run never recorded it. The restarted runner must take that file as done, not ingest it again beside it. Small
  // and large files (one activity, or an activity per stage).
  for (const media of [{ name: "small.wav", size: MiB }, { name: "large.mov", size: 12 * MiB }]) {
    it.live(`one runner killed after the CLOSE of a ${media.name.split(".")[0]} file acted, restarted: no second asset or file`, () =>
      withDelaysHeld(Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const url = yield* Effect.promise(() => freshDatabase("durable_crash"))
        databases.push(url)
        const path = yield* Path.Path
        const dir = yield* mediaFolder({ [media.name]: media.size })
        const file = path.join(dir, media.name)
        const md5 = createHash("md5").update(readFileSync(file)).digest("hex")
        const close = "/API/files/v1/assets/{asset_id}/files/{file_id}/"
        yield* emulator.addFault({ fault: Faults.lostAnswer, method: "PATCH", route: close, times: 1 })
        yield* emulator.addFault({ fault: Faults.latency(15_000), method: "PATCH", route: close, times: 1 })

        const submit = JSON.stringify({ workflow: "ingestFile", options: { file, partSize: 5 * MiB } })
        const first = yield* startRunner({ ...runnerEnv(emulator, url), SUBMIT: submit })
        yield* eventually("the file CLOSED", Effect.map(closedFiles, (closed) => closed.length > 0), [first])
        yield* kill(first)

        const second = yield* startRunner(runnerEnv(emulator, url))
        // The run's end, as the engine records it: the reply to its run message, other than a suspension.
        const runEnded = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ readonly n: string }>`SELECT count(*)::text AS n FROM cluster_replies r
            JOIN cluster_messages m ON r.request_id = m.id
            WHERE m.tag = 'run' AND r.kind = 0 AND r.payload NOT LIKE '%"_tag":"Suspended"%'`
          return Number(rows[0]?.n ?? 0) > 0
        }).pipe(Effect.orDie)
        yield* eventually("the run ended after the restart", runEnded, [second]).pipe(
          Effect.provide(PgClient.layer({ url: Redacted.make(url) }))
        )
        assert.strictEqual([...emulator.state.assets.values()].filter((a) => a.status !== "DELETED").length, 1, `a second asset\n${second.output()}`)
        assert.strictEqual(emulator.state.files.size, 1, "a second file record")
        assert.deepStrictEqual(
          yield* violations([{ workflow: "ingestFile", name: media.name, size: media.size, md5, completed: true }]),
          [],
          second.output()
        )
      }).pipe(Effect.scoped)), 240_000)
  }

  // A folder on two socket runners; every file's second part is slow (20 s on the live clock), so when the kill comes
  // each runner holds uploads in flight. Killing one (or both, then starting one again): the survivors finish.
  for (const scenario of [
    { name: "two socket runners, one killed mid-ingest of a folder: the other finishes every file", killAll: false },
    { name: "the whole cluster killed mid-ingest of a folder, then a runner started: every file finishes", killAll: true }
  ]) {
    it.live(scenario.name, () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const url = yield* Effect.promise(() => freshDatabase("durable_failover"))
        databases.push(url)
        const { dir, sources } = yield* folderOf("reel", ".mxf", 8, 6 * MiB)
        yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 20_000 }, operation: "UploadPart", partNumber: [2], times: 8 })

        const [portA, portB, portC] = yield* Effect.promise(() => Promise.all([freePort(), freePort(), freePort()]))
        const env = runnerEnv(emulator, url)
        const submit = JSON.stringify({ workflow: "ingestFolder", options: { folder: dir, partSize: 5 * MiB, singlePutThreshold: MiB, concurrency: 8 } })
        const a = yield* startRunner({ ...env, RUNNER_PORT: String(portA), SUBMIT: submit })
        const b = yield* startRunner({ ...env, RUNNER_PORT: String(portB) })
        // Every file's first part is in: the runners hold the second parts of their files in flight.
        const firstParts = Effect.map(storageRequests("UploadPart"), (requests) => requests.filter((r) => r.partNumber === 1).length)
        yield* eventually("every file's first part stored", Effect.map(firstParts, (n) => n >= 8), [a, b])
        assert.strictEqual((yield* closedFiles).length, 0, "nothing may be CLOSED before the kill")
        yield* kill(a)
        const survivors = scenario.killAll
          ? yield* Effect.andThen(kill(b), Effect.map(startRunner({ ...env, RUNNER_PORT: String(portC) }), (c) => [c]))
          : [b]

        yield* eventually("every file CLOSED", Effect.map(closedFiles, (closed) => closed.length >= 8), [a, ...survivors], 180)
        yield* eventually(
          "no upload pending",
          Effect.map(emulator.objectStore.pendingUploads, (pending) => pending.length === 0),
          [a, ...survivors],
          60
        )
        assert.strictEqual(
          [...emulator.state.assets.values()].filter((asset) => asset.status !== "DELETED").length,
          8,
          "one asset per file"
        )
        assert.deepStrictEqual(yield* violations(sources), [], survivors.map((r) => r.output()).join("\n---\n"))
      }).pipe(Effect.scoped, Effect.provide(overSocket())), 300_000)
  }

  // Small files run with no activity: a runner stopped (SIGTERM) interrupts its runs, which clean up as the plain
  // workflow does; the next runner runs them again from the start. The first runner is alone, so it holds every run,
  // and each file's single PUT is held (60 s, past the stop's 15 s wait for runs to end), so the stop cuts them all.
  it.live("a runner stopped (SIGTERM) mid-ingest of a folder of small files, another started: it finishes every file", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* Effect.promise(() => freshDatabase("durable_stop"))
      databases.push(url)
      const { dir, sources } = yield* folderOf("still", ".tif", 10, MiB)
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 60_000 }, operation: "PutObject", times: 10 })

      const env = runnerEnv(emulator, url)
      const submit = JSON.stringify({ workflow: "ingestFolder", options: { folder: dir, singlePutThreshold: 2 * MiB, concurrency: 10 } })
      const a = yield* startRunner({ ...env, SUBMIT: submit })
      const fileRecords = Effect.sync(() => emulator.state.files.size)
      yield* eventually("every file's record made", Effect.map(fileRecords, (n) => n >= 10), [a])
      yield* kill(a, "SIGTERM")
      const b = yield* startRunner(env)

      yield* eventually("every file CLOSED", Effect.map(closedFiles, (closed) => closed.length >= 10), [a, b], 180)
      const assets = [...emulator.state.assets.values()]
      assert.strictEqual(assets.filter((asset) => asset.status !== "DELETED").length, 10, "one asset per file")
      // The stopped runner's runs cleaned up what they had made, and their files started over.
      assert.isAbove(assets.filter((asset) => asset.status === "DELETED").length, 0, "no run was cut off by the stop")
      assert.deepStrictEqual(yield* violations(sources), [], b.output())
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 300_000)
})
