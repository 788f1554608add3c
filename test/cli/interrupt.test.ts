/**
 * Ctrl-C (SIGINT) during `ingest` / `upload-proxy`: after its clean-up the command says on stderr, in one line, what
 * was cleaned up or kept and whether a rerun resumes, then exits 130. A real process (the signal is what is tested)
 * against the emulator on a 127.0.0.1 socket.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Console, Effect, FileSystem, Path } from "effect"
import type { ChildProcess } from "node:child_process"
import * as Assets from "../../src/Assets.ts"
import * as Interrupted from "../../src/cli/Interrupted.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { IconikEmulator, inProcess, mediaFolder, MiB, overSocket, stillOpen } from "../workflows/support.ts"
import { envFor, runIconik } from "./support.ts"

/** Sends SIGINT once the upload's checkpoint holds a stored part (the upload is under way). */
const interruptMidUpload = (checkpointPath: string) => (child: ChildProcess) => {
  const poll = setInterval(() => {
    void Effect.runPromise(
      FileSystem.FileSystem.use((fs) => fs.readFileString(checkpointPath)).pipe(
        Effect.orElseSucceed(() => ""),
        // The poll runs outside the test's fiber: it brings its own file system.
        Effect.provide(NodeFileSystem.layer)
      )
    ).then((text) => {
      if (text.includes("{\"part\"")) {
        clearInterval(poll)
        child.kill("SIGINT")
      }
    })
  }, 50)
  child.once("exit", () => clearInterval(poll))
}

const interruptedLines = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("Interrupted"))

describe("Ctrl-C says what was cleaned up", () => {
  it.live("ingest: the upload aborted, the file FAILED, the asset deleted; the line names them; exit 130", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "cancel.mov": 21 * MiB })
      const media = path.join(dir, "cancel.mov")
      // Above the 16 MiB single-PUT threshold: multipart. Part 2 hangs long enough to be interrupted (not longer: the server waits for it when the test ends).
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 8_000 }, operation: "UploadPart", partNumber: 2 })
      const ran = yield* runIconik(["ingest", media, "--part-size", "5", "--concurrency", "1", "--quiet"], {
        env: envFor(emulator),
        onStart: interruptMidUpload(Checkpoint.pathFor(media, "ingestFile"))
      })
      assert.strictEqual(ran.code, 130, `${ran.code} ${ran.signal} ${ran.stderr}`)
      const [asset] = [...emulator.state.assets.values()]
      const [file] = [...emulator.state.files.values()]
      assert.strictEqual(asset?.status, "DELETED")
      assert.strictEqual(file?.status, "FAILED")
      assert.deepStrictEqual(interruptedLines(ran.stderr), [
        `Interrupted: aborted the upload, marked file ${file!.id} FAILED and deleted asset ${asset!.id}; a rerun starts over`
      ])
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("upload-proxy --keep-on-failure: the partial upload kept, the line says so, and the rerun resumes it", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 21 * MiB })
      const media = path.join(dir, "proxy.mp4")
      const asset = yield* Assets.create({ title: "Interrupted proxy" })
      yield* emulator.objectStore.addFault({
        fault: { _tag: "Delay", millis: 8_000 },
        operation: "UploadPart",
        partNumber: 2,
        times: 1
      })
      const args = ["upload-proxy", media, "--asset-id", asset.id, "--part-size", "5", "--concurrency", "1", "--quiet"]
      const checkpoint = Checkpoint.pathFor(media, "uploadProxy")
      const ran = yield* runIconik([...args, "--keep-on-failure"], {
        env: envFor(emulator),
        onStart: interruptMidUpload(checkpoint)
      })
      assert.strictEqual(ran.code, 130, `${ran.code} ${ran.signal} ${ran.stderr}`)
      const [proxy] = [...emulator.state.proxies.values()]
      assert.strictEqual(proxy?.status, "OPEN")
      assert.isTrue(yield* fs.exists(checkpoint))
      assert.deepStrictEqual(interruptedLines(ran.stderr), [
        `Interrupted: kept the partial upload (proxy ${proxy!.id} on asset ${asset.id}) and its checkpoint; run the same command again to resume it`
      ])

      const rerun = yield* runIconik([...args, "--json"], { env: envFor(emulator) })
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      const result = JSON.parse(rerun.stdout)
      assert.strictEqual(result.proxyId, proxy!.id)
      assert.isTrue(result.transfer.resumed)
      assert.strictEqual(emulator.state.proxies.get(proxy!.id)?.status, "CLOSED")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)
})

describe("the Ctrl-C line for a folder", () => {
  it.live("counts what was cleaned up: files CLOSED before the interruption are not called FAILED", () =>
    Effect.gen(function*() {
      const dir = yield* mediaFolder({ "a.mov": 10, "b.mov": 10, "c.mov": 10 })
      const lines: Array<string> = []
      const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
        error: (...parts: ReadonlyArray<unknown>) => lines.push(parts.map(String).join(" "))
      })
      const tracker = Interrupted.make({ command: "ingest", keep: false, path: dir })
      const step = (tag: "StepCompleted" | "StepFailed", step: string, item: string) =>
        tracker.onEvent(
          tag === "StepCompleted"
            ? { _tag: tag, workflow: "ingestFile", step, item, millis: 1 }
            : { _tag: tag, workflow: "ingestFile", step, item, reason: "Interrupted", message: "interrupted" }
        )
      const base = "http://127.0.0.1:1/API"
      // a.mov went in (its PATCH closed it); b.mov and c.mov were interrupted and cleaned up.
      tracker.onResponse("PATCH", `${base}/files/v1/assets/A/files/FA/`, 200)
      step("StepCompleted", "close file", "a.mov")
      for (const [item, asset, file] of [["b.mov", "B", "FB"], ["c.mov", "C", "FC"]] as const) {
        step("StepFailed", "upload file", item)
        tracker.onResponse("PATCH", `${base}/files/v1/assets/${asset}/files/${file}/`, 200)
        step("StepCompleted", "mark file failed", item)
        tracker.onResponse("DELETE", `${base}/assets/v1/assets/${asset}/`, 204)
        step("StepCompleted", "delete asset", item)
      }
      yield* tracker.report.pipe(Effect.provideService(Console.Console, capture))
      assert.deepStrictEqual(lines, [
        "Interrupted: aborted the uploads, marked 2 files FAILED and deleted 2 assets; run the same command again to ingest the files not in yet"
      ])
    }).pipe(Effect.scoped, Effect.provide(inProcess())))
})
