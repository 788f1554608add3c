import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Jobs from "../../src/Jobs.ts"
import * as Metadata from "../../src/Metadata.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, stillOpen, withDelaysHeld } from "../workflows/support.ts"
import { envFor, iconik, iconikWithEnv, runIconik } from "./support.ts"

const json = (text: string) => JSON.parse(text) as any

/** The server-side emulator and the env a CLI run needs to reach it. */
const server = IconikEmulator.useSync((emulator) => ({ emulator, env: envFor(emulator) }))

/**
 * The commands themselves, run in this process (`runCli`, output captured) against the emulator on a 127.0.0.1
 * socket: the CLI's own client and storage uploads go over the socket as in a child process. What only a process
 * shows (its exit status, signals, everything it prints, stdout written directly) is in the next block.
 */
describe("iconik CLI (in-process against the emulator server)", () => {
  it.live("demo: in-process emulator, every check ok, exit 0", () =>
    Effect.gen(function*() {
      const ran = yield* iconikWithEnv({}, "demo", "--json", "--size", "6")
      assert.strictEqual(ran.code, 0, ran.stderr)
      const summary = json(ran.stdout)
      assert.isAbove(summary.checks.length, 8)
      assert.isTrue(summary.checks.every((c: { ok: boolean }) => c.ok))
    }), 120_000)

  it.live("ingest a file and a folder with --json; the folder rerun skips everything", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "one.mov": 6 * MiB, "two.wav": 300 * 1024, "sub/three.mp4": 1024 })
      const single = yield* iconik("ingest", path.join(dir, "one.mov"), "--json", "--title", "First", "--part-size", "5")
      assert.strictEqual(single.code, 0, single.stderr)
      const result = json(single.stdout)
      assert.strictEqual(emulator.state.assets.get(result.assetId)?.title, "First")
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")

      const folder = yield* iconik("ingest", dir, "--json", "--concurrency", "2")
      assert.strictEqual(folder.code, 0, folder.stderr)
      const report = json(folder.stdout)
      // one.mov went in above: same checksum, skipped.
      assert.deepStrictEqual(report.skipped.map((s: { path: string }) => s.path), ["one.mov"])
      assert.deepStrictEqual(report.ingested.map((i: { path: string }) => i.path).sort(), ["sub/three.mp4", "two.wav"])
      const again = yield* iconik("ingest", dir, "--json")
      assert.strictEqual(json(again.stdout).skipped.length, 3)
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("typed errors: exit codes and messages, and the token is never printed", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const env = envFor(emulator)
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "p.mp4": 1024 })
      const secret = "sekrit-token-0123456789"

      // 401: a wrong token, given as a flag (and once more in a child process, in the block below).
      const unauthorized = yield* iconik(
        "upload-proxy", path.join(dir, "p.mp4"), "--asset-id", "0b6e4d9c-e000-11ee-8000-000000000001", "--auth-token", secret, "--json"
      )
      assert.strictEqual(unauthorized.code, 3)
      assert.include(unauthorized.stderr, "check ICONIK_AUTH_TOKEN")
      assert.strictEqual(json(unauthorized.stdout).error.tag, "IconikUnauthorized")
      assert.notInclude(unauthorized.stdout + unauthorized.stderr, secret)
      assert.notInclude(unauthorized.stdout + unauthorized.stderr, emulator.credentials.authToken)

      // 404: which object.
      const missingAsset = "0b6e4d9c-e000-11ee-8000-00000000beef"
      const notFound = yield* iconik("upload-proxy", path.join(dir, "p.mp4"), "--asset-id", missingAsset)
      assert.strictEqual(notFound.code, 5)
      assert.include(notFound.stderr, `asset ${missingAsset}`)
      assert.notInclude(notFound.stdout + notFound.stderr, emulator.credentials.authToken)

      // 403: the role the operation needs.
      yield* emulator.addUser({ email: "viewer@example.com", token: "viewer-token", roles: ["can_read_assets"] })
      const asset = yield* Assets.create({ title: "locked" })
      const forbidden = yield* iconikWithEnv(
        { ...env, ICONIK_AUTH_TOKEN: "viewer-token" },
        "upload-proxy", path.join(dir, "p.mp4"), "--asset-id", asset.id
      )
      assert.strictEqual(forbidden.code, 4)
      assert.include(forbidden.stderr, "can_write_proxies")

      // A bad path: exit 8 before any request.
      const before = (yield* emulator.requests).length
      const badPath = yield* iconik("upload-proxy", "/no/such/file.mp4", "--asset-id", asset.id)
      assert.strictEqual(badPath.code, 8)
      assert.include(badPath.stderr, "/no/such/file.mp4")
      assert.strictEqual((yield* emulator.requests).length, before)

      // Storage refuses: exit 7 with the provider's code; nothing left OPEN.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 403, code: "AccessDenied" }, operation: "PutObject" })
      const storage = yield* iconik("upload-proxy", path.join(dir, "p.mp4"), "--asset-id", asset.id)
      assert.strictEqual(storage.code, 7)
      assert.include(storage.stderr, "AccessDenied")
      assert.deepStrictEqual(yield* stillOpen, [])

      // Missing credentials: usage error.
      const noCredentials = yield* iconikWithEnv({ ICONIK_BASE_URL: emulator.baseUrl }, "search", "x")
      assert.strictEqual(noCredentials.code, 2)
      assert.include(noCredentials.stderr, "ICONIK_APP_ID")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("search (JSON lines), metadata export/import, jobs watch", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* Effect.forEach(["alpha", "beta", "gamma"], (title) => Assets.create({ title }), { discard: true })
      const search = yield* iconik("search", "--json", "--per-page", "2")
      assert.strictEqual(search.code, 0, search.stderr)
      const hits = search.stdout.trim().split("\n").map(json)
      assert.deepStrictEqual(hits.map((h) => h.title).sort(), ["alpha", "beta", "gamma"])

      yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
      const view = yield* Metadata.createView({ name: "Review", view_fields: [{ name: "rating" }] })
      const exported = yield* iconik("metadata", "export", "--view-id", view.id)
      assert.strictEqual(exported.code, 0, exported.stderr)
      const lines = exported.stdout.trim().split("\r\n")
      assert.strictEqual(lines[0], "id,object_type,title,rating")
      assert.strictEqual(lines.length, 4)
      const dir = yield* fs.makeTempDirectoryScoped()
      const csvPath = path.join(dir, "edit.csv")
      yield* fs.writeFileString(csvPath, lines.map((line, i) => (i === 0 ? line : `${line}${i}`)).join("\r\n"))
      const dry = yield* iconik("metadata", "import", csvPath, "--view-id", view.id)
      assert.strictEqual(dry.code, 0, dry.stderr)
      assert.include(dry.stdout, "Dry run: 3 changes")
      assert.strictEqual((yield* emulator.requests).filter((r) => r.method === "PUT").length, 0)
      const applied = yield* iconik("metadata", "import", csvPath, "--view-id", view.id, "--apply", "--json")
      assert.strictEqual(json(applied.stdout).written, 3)
      const outPath = path.join(dir, "after.csv")
      const toFile = yield* iconik("metadata", "export", "--view-id", view.id, "--out", outPath, "--json")
      assert.deepStrictEqual(json(toFile.stdout), { rows: 3, path: outPath })
      const after = (yield* fs.readFileString(outPath)).trim().split("\r\n").slice(1).map((line) => line.split(",").at(-1))
      assert.deepStrictEqual(after.sort(), ["1", "2", "3"])

      const done = yield* Jobs.create({ title: "done", type: "CUSTOM", status: "FINISHED" })
      const watchDone = yield* iconik("jobs", "watch", done.id, "--json")
      assert.strictEqual(watchDone.code, 0, watchDone.stderr)
      assert.strictEqual(json(watchDone.stdout).status, "FINISHED")
      const aborted = yield* Jobs.create({ title: "gave up", type: "CUSTOM", status: "ABORTED" })
      const watchAborted = yield* iconik("jobs", "watch", aborted.id)
      assert.strictEqual(watchAborted.code, 10)
      assert.include(watchAborted.stderr, "ABORTED")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

})

/** What only a child process shows: its exit status, everything it prints, and how it dies of a signal. */
describe("iconik CLI (child process against the emulator server)", () => {
  it.live("a typed error in a child process: exit 3, the message on stderr, the token printed nowhere", () =>
    Effect.gen(function*() {
      const { emulator, env } = yield* server
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "p.mp4": 1024 })
      const secret = "sekrit-token-0123456789"
      const ran = yield* runIconik(
        ["upload-proxy", path.join(dir, "p.mp4"), "--asset-id", "0b6e4d9c-e000-11ee-8000-000000000001", "--auth-token", secret, "--json"],
        { env }
      )
      assert.strictEqual(ran.code, 3, ran.stderr)
      assert.include(ran.stderr, "check ICONIK_AUTH_TOKEN")
      assert.strictEqual(json(ran.stdout).error.tag, "IconikUnauthorized")
      assert.notInclude(ran.stdout + ran.stderr, secret)
      assert.notInclude(ran.stdout + ran.stderr, emulator.credentials.authToken)
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("a crash (SIGKILL) mid-upload: the rerun uploads only the missing parts", () =>
    withDelaysHeld(Effect.gen(function*() {
      const { emulator, env } = yield* server
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "huge.mxf": 21 * MiB })
      const media = path.join(dir, "huge.mxf")
      // Part 3 hangs, so the process is killed with parts 1 and 2 stored and checkpointed.
      // (Held until the test has ended: the server's clock is a TestClock.)
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 15_000 }, operation: "UploadPart", partNumber: 3, times: 1 })
      const killed = yield* Deferred.make<void>()
      const checkpointPath = Checkpoint.pathFor(media, "ingestFile")
      const first = yield* Effect.forkChild(
        runIconik(["ingest", media, "--part-size", "5", "--concurrency", "1", "--quiet"], {
          env,
          onStart: (child) => {
            // Should the run end by itself, stop waiting (the assertions below then say why).
            child.on("exit", () => Deferred.doneUnsafe(killed, Effect.void))
            const poll = setInterval(() => {
              void fs.readFileString(checkpointPath).pipe(Effect.orElseSucceed(() => ""), Effect.runPromise).then((text) => {
                if (text.split("\n").filter((l) => l.startsWith("{\"part\"")).length >= 2) {
                  clearInterval(poll)
                  child.kill("SIGKILL")
                  Deferred.doneUnsafe(killed, Effect.void)
                }
              })
            }, 50)
          }
        })
      )
      yield* Deferred.await(killed)
      const crashed = yield* Fiber.join(first)
      assert.strictEqual(crashed.signal, "SIGKILL", crashed.stderr)
      assert.strictEqual(yield* fs.exists(checkpointPath), true)
      yield* emulator.objectStore.clearFaults

      const before = (yield* emulator.objectStore.requests).length
      // Only the killed run needs a process: the rerun runs in this process.
      const rerun = yield* iconikWithEnv(env, "ingest", media, "--part-size", "5", "--json")
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      const result = json(rerun.stdout)
      assert.isTrue(result.transfer.resumed)
      const parts = (yield* emulator.objectStore.requests).slice(before)
        .filter((r) => r.operation === "UploadPart" && r.status === 200)
        .map((r) => r.partNumber)
      assert.deepStrictEqual(parts.sort(), [3, 4, 5])
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")
      assert.strictEqual(emulator.state.assets.size, 1)
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "file"), [])
      assert.isFalse(yield* fs.exists(checkpointPath))
    })), 120_000)

  it.live("emulator --port 0: a server other runs of the CLI can use", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "served.mov": 2 * MiB })
      const ready = yield* Deferred.make<Record<string, string>>()
      let server: import("node:child_process").ChildProcess | undefined
      const running = yield* Effect.forkChild(
        runIconik(["emulator", "--port", "0"], {
          onStart: (child) => {
            server = child
            let out = ""
            child.stdout?.on("data", (chunk) => {
              out += chunk
              const env: Record<string, string> = {}
              for (const match of out.matchAll(/(ICONIK_[A-Z_]+)=(\S+)/g)) env[match[1]!] = match[2]!
              if (env.ICONIK_BASE_URL && env.ICONIK_APP_ID && env.ICONIK_AUTH_TOKEN) Deferred.doneUnsafe(ready, Effect.succeed(env))
            })
          }
        })
      )
      const env = yield* Deferred.await(ready)
      assert.match(env.ICONIK_BASE_URL!, /^http:\/\/127\.0\.0\.1:\d+$/)
      // The server is the child process under test; its clients can run in this process.
      const ingested = yield* iconikWithEnv(env, "ingest", path.join(dir, "served.mov"), "--json")
      assert.strictEqual(ingested.code, 0, ingested.stderr)
      const search = yield* iconikWithEnv(env, "search", "--json")
      assert.strictEqual(JSON.parse(search.stdout.trim()).title, "served.mov")
      server?.kill("SIGINT")
      const stopped = yield* Fiber.join(running)
      assert.isTrue(stopped.code === 130 || stopped.signal === "SIGINT" || stopped.code === 0, JSON.stringify(stopped))
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("Ctrl-C (SIGINT) mid-upload: the upload is aborted, the file FAILED, the asset deleted, exit 130", () =>
    withDelaysHeld(Effect.gen(function*() {
      const { emulator, env } = yield* server
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "cancel.mov": 21 * MiB })
      const media = path.join(dir, "cancel.mov")
      // Part 2 hangs until the test has ended (the server's clock is a TestClock), so it is interrupted.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 8_000 }, operation: "UploadPart", partNumber: 2 })
      const checkpointPath = Checkpoint.pathFor(media, "ingestFile")
      const ran = yield* runIconik(["ingest", media, "--part-size", "5", "--concurrency", "1", "--quiet"], {
        env,
        onStart: (child) => {
          const poll = setInterval(() => {
            void fs.readFileString(checkpointPath).pipe(Effect.orElseSucceed(() => ""), Effect.runPromise).then((text) => {
              if (text.includes("{\"part\"")) {
                clearInterval(poll)
                child.kill("SIGINT")
              }
            })
          }, 50)
        }
      })
      assert.strictEqual(ran.code, 130, `${ran.code} ${ran.signal} ${ran.stderr} ${ran.stdout}`)
      assert.deepStrictEqual(yield* stillOpen, [])
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [])
      assert.isTrue([...emulator.state.assets.values()].every((asset) => asset.status !== "ACTIVE"))
      assert.isFalse(yield* fs.exists(checkpointPath))
    })), 120_000)
})
