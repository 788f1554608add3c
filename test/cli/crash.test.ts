/**
 * `iconik ingest` of a large file killed (SIGKILL) mid-upload, then run again: the rerun resumes the upload into the
 * same asset and file, sending only the parts S3 does not hold. Once on Node 22 directly, once through the bin on
 * the machine's older Node (whose Node 22 child must stop with it, or it would go on uploading beside the rerun).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, FileSystem, Option, Path, Schedule } from "effect"
import type { ChildProcess } from "node:child_process"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { IconikEmulator, mediaFolder, MiB, stillOpen, storageRequests, withDelaysHeld } from "../workflows/support.ts"
import { envFor, type Ran, runIconik } from "./support.ts"
import { awaitGone, childrenOf, runWrapper, skipReason, titled } from "./wrapper.ts"

const json = (text: string) => JSON.parse(text) as any

const fileSize = 48 * MiB
const partSize = 5 // MiB: 10 parts, the last one 3 MiB
const parts = Math.ceil(fileSize / (partSize * MiB))
const concurrency = 2
/** Parts 1–3 go in; 4 and 5 (both slots) hang on their first try, so the kill finds them in flight. */
const storedBeforeKill = [1, 2, 3]
const inFlight = [4, 5]

interface Runner {
  readonly name: string
  readonly skip: boolean
  readonly run: (
    args: ReadonlyArray<string>,
    options: { readonly env: Record<string, string>; readonly onStart: (child: ChildProcess) => void }
  ) => Effect.Effect<Ran>
  /** The processes that run the CLI, given the process started (the wrapper's child too). */
  readonly cliProcesses: (started: ChildProcess) => ReadonlyArray<number>
}

const runners: ReadonlyArray<Runner> = [
  { name: "on Node 22", skip: false, run: runIconik, cliProcesses: (started) => [started.pid!] },
  {
    name: titled("through the bin on the older Node"),
    skip: skipReason !== undefined,
    run: runWrapper,
    cliProcesses: (started) => [started.pid!, ...childrenOf(started.pid!)]
  }
]

describe("iconik ingest killed mid-upload, then run again", () => {
  for (const runner of runners) {
    it.live.skipIf(runner.skip)(
      `${runner.name}: one asset, CLOSED, the stored object's MD5 is the file's, no stored part sent again`,
      () =>
        withDelaysHeld(Effect.gen(function*() {
          const emulator = yield* IconikEmulator
          const env = envFor(emulator)
          const fs = yield* FileSystem.FileSystem
          const path = yield* Path.Path
          const dir = yield* mediaFolder({ "rushes.mxf": fileSize })
          const media = path.join(dir, "rushes.mxf")
          const md5 = createHash("md5").update(readFileSync(media)).digest("hex")
          const args = ["ingest", media, "--part-size", String(partSize), "--concurrency", String(concurrency), "--quiet"]
          // Held until the test has ended (the server's clock is a TestClock): the kill lands first, and the rerun
          // finishes before the killed run's parts could arrive.
          yield* emulator.objectStore.addFault({
            fault: { _tag: "Delay", millis: 15_000 },
            operation: "UploadPart",
            partNumber: inFlight,
            times: 1
          })

          let started: ChildProcess | undefined
          const first = yield* Effect.forkChild(runner.run(args, { env, onStart: (child) => (started = child) }))
          // Watch the object store until parts 1–3 are in (or the run ends by itself: the assertions say why).
          const stored = Effect.map(storageRequests("UploadPart"), (requests) => new Set(requests.map((r) => r.partNumber)))
          yield* Effect.suspend(() => stored).pipe(
            Effect.repeat({
              until: (done) =>
                started !== undefined && (done.size >= storedBeforeKill.length || started.exitCode !== null),
              schedule: Schedule.spaced("20 millis")
            })
          )
          const processes = runner.cliProcesses(started!)
          started!.kill("SIGKILL")
          const crashed = yield* Fiber.join(first)
          assert.strictEqual(crashed.signal, "SIGKILL", `${crashed.code} ${crashed.stderr}`)
          // No process of the killed run goes on uploading beside the rerun.
          yield* Effect.forEach(processes, (pid) => awaitGone(pid), { discard: true })

          const afterKill = yield* storageRequests("UploadPart")
          assert.deepStrictEqual(afterKill.map((r) => r.partNumber!).sort((a, b) => a - b), storedBeforeKill)
          assert.strictEqual(emulator.state.assets.size, 1)
          assert.isTrue(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
          yield* emulator.objectStore.clearFaults

          const rerun = yield* runner.run([...args, "--json"], { env, onStart: () => {} })
          assert.strictEqual(rerun.code, 0, rerun.stderr)
          const result = json(rerun.stdout)
          assert.isTrue(result.transfer.resumed)
          assert.strictEqual(result.transfer.partsTotal, parts)
          assert.strictEqual(result.transfer.partsUploaded, parts - storedBeforeKill.length)

          // Exactly one asset, its file CLOSED, and the object S3 composed has the file's bytes.
          assert.deepStrictEqual([...emulator.state.assets.keys()], [result.assetId])
          assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
          const location = emulator.state.locations.get(result.fileId)!
          const object = Option.getOrUndefined(yield* emulator.objectStore.stat(location.bucket, location.key))
          assert.strictEqual(object?.size, fileSize)
          assert.strictEqual(object?.md5, md5)

          // Every UploadPart either run sent, by part number: the parts stored before the kill went once; only the
          // parts in flight at the kill were sent again.
          const sent = new Map<number, number>()
          for (const r of yield* emulator.objectStore.requests) {
            if (r.operation === "UploadPart") sent.set(r.partNumber!, (sent.get(r.partNumber!) ?? 0) + 1)
          }
          for (const part of storedBeforeKill) assert.strictEqual(sent.get(part), 1, `part ${part} sent again`)
          const sentAgain = [...sent].filter(([, times]) => times > 1).map(([part]) => part)
          assert.isTrue(sentAgain.every((part) => inFlight.includes(part)), `sent again: ${sentAgain.join(", ")}`)
          const succeeded = (yield* storageRequests("UploadPart")).map((r) => r.partNumber!)
          for (let part = 1; part <= parts; part++) assert.include(succeeded, part)

          assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
          assert.deepStrictEqual(yield* stillOpen, [])
          assert.isFalse(yield* fs.exists(Checkpoint.pathFor(media, "ingestFile")))
        })),
      180_000
    )
  }
})
