/**
 * The durable engine from the shell: `iconik worker` as a real process on a fresh PostgreSQL database, the emulator
 * on a 127.0.0.1 socket, and `iconik ingest --database` / `iconik runs` driving it (in this process, or as a process
 * where a signal is what is tested). Skipped without `DATABASE_URL` (scripts/pg-up.sh starts one), but for the bad
 * database URL, which needs no database.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Path } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import { type ChildProcess, spawn } from "node:child_process"
import { ExitCode } from "../../src/cli/Failure.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"
import { skipTitle } from "../support/skip.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, stillOpen, storageRequests } from "../workflows/support.ts"
import { envFor, iconikWithEnv, repoRoot, runIconik } from "./support.ts"

type Emulator = IconikEmulator["Service"]

/** Starts `iconik worker` on `database`; stopped (SIGTERM, then SIGKILL) when the scope closes. */
const worker = (emulator: Emulator, database: string) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly child: ChildProcess; readonly log: () => string }>((resume) => {
      const child = spawn(`${repoRoot}node_modules/.bin/node`, [`${repoRoot}src/cli/main.ts`, "worker", "--concurrency", "2"], {
        cwd: repoRoot,
        env: { ...process.env, ...envFor(emulator), DATABASE_URL: database }
      })
      let log = ""
      const ready = () => resume(Effect.succeed({ child, log: () => log }))
      child.stdout.on("data", (chunk) => (log += chunk))
      child.stderr.on("data", (chunk) => {
        log += chunk
        if (log.includes(" worker on ")) ready()
      })
      child.on("exit", (code) => resume(Effect.die(new Error(`the worker exited (${code}) before it was ready:\n${log}`))))
    }),
    ({ child }) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        const hard = setTimeout(() => child.kill("SIGKILL"), 20_000)
        child.once("exit", () => {
          clearTimeout(hard)
          resume(Effect.void)
        })
        child.kill("SIGTERM")
      })
  )

/** A fresh database for one test, dropped when its scope closes. */
const database = Effect.acquireRelease(
  Effect.promise(() => freshDatabase("cli_durable")),
  (url) => Effect.promise(() => dropFreshDatabase(url))
)

const json = <A>(text: string): A => JSON.parse(text) as A

interface Listed {
  readonly executionId: string
  readonly state: string
  readonly file?: string
}

/** `iconik runs --json` until every run listed is `state` (the workers finish in their own time). */
const runsWhen = (env: Record<string, string>, done: (runs: ReadonlyArray<Listed>) => boolean) =>
  Effect.gen(function*() {
    for (let attempt = 0; attempt < 240; attempt++) {
      const ran = yield* iconikWithEnv(env, "runs", "--json")
      assert.strictEqual(ran.code, 0, ran.stderr)
      const runs = json<ReadonlyArray<Listed>>(ran.stdout)
      if (done(runs)) return runs
      yield* Effect.sleep("500 millis")
    }
    return assert.fail("the runs did not end")
  })

/** Every original of the emulator by file name: CLOSED ones, and all. */
const originals = IconikEmulator.use((emulator) =>
  Effect.sync(() => {
    const files = [...emulator.state.files.values()]
    return {
      closed: files.filter((f) => f.status === "CLOSED").map((f) => f.name).sort(),
      all: files.map((f) => f.name).sort()
    }
  }))

describe(skipTitle("iconik worker, ingest --database, runs", pgSkipReason), () => {
  it.live.skipIf(pgSkipReason !== undefined)("a folder submitted to a worker: every file CLOSED once; runs lists each complete", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      yield* worker(emulator, url)
      const dir = yield* mediaFolder({ "a.mov": 300_000, "b.mov": 200_000, "sub/c.wav": 1000 })
      const env = envFor(emulator)
      const ran = yield* iconikWithEnv(env, "ingest", dir, "--database", url, "--json", "--quiet")
      assert.strictEqual(ran.code, 0, ran.stderr)
      const report = json<{ executionId: string; ingested: ReadonlyArray<{ path: string }>; failed: ReadonlyArray<unknown> }>(
        ran.stdout
      )
      assert.deepStrictEqual(report.ingested.map((i) => i.path).sort(), ["a.mov", "b.mov", "sub/c.wav"])
      assert.deepStrictEqual(report.failed, [])
      const files = yield* originals
      assert.deepStrictEqual(files.closed, ["a.mov", "b.mov", "c.wav"])
      assert.deepStrictEqual(files.all, files.closed)
      assert.deepStrictEqual(yield* stillOpen, [])

      // Submitting the same folder again joins the finished run: nothing is uploaded twice.
      const again = yield* iconikWithEnv(env, "ingest", dir, "--database", url, "--json", "--quiet")
      assert.strictEqual(again.code, 0, again.stderr)
      assert.strictEqual(json<{ executionId: string }>(again.stdout).executionId, report.executionId)
      assert.deepStrictEqual((yield* originals).all, ["a.mov", "b.mov", "c.wav"])

      // One run for the folder (its files' runs are its children), complete, with its files counted.
      const listed = yield* iconikWithEnv({ ...env, DATABASE_URL: url }, "runs", "--json")
      assert.strictEqual(listed.code, 0, listed.stderr)
      const runs = json<ReadonlyArray<Listed & { files: { done: number; failed: number } }>>(listed.stdout)
      assert.deepStrictEqual(runs.map((r) => [r.executionId, r.state, r.file, r.files.done, r.files.failed]), [
        [report.executionId, "complete", dir, 3, 0]
      ])
      const shown = yield* iconikWithEnv({ ...env, DATABASE_URL: url }, "runs", "show", report.executionId)
      assert.strictEqual(shown.code, 0, shown.stderr)
      assert.include(shown.stdout, "complete (3 files: 3 ingested, 0 skipped, 0 failed)")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)

  it.live.skipIf(pgSkipReason !== undefined)("Ctrl-C on the follower detaches: exit 130, the run goes on and completes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      yield* worker(emulator, url)
      const dir = yield* mediaFolder({ "slow.mov": 200_000, "quick.mov": 1000 })
      // The uploads are held a while, so the follower is interrupted while they run.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 3_000 }, operation: "PutObject", times: 2 })
      const env = envFor(emulator)
      const ran = yield* runIconik(["ingest", dir, "--database", url], {
        env,
        onStart: (child) => {
          let seen = ""
          child.stderr?.on("data", (chunk) => {
            seen += chunk
            if (seen.includes("files done")) child.kill("SIGINT")
          })
        }
      })
      assert.strictEqual(ran.code, ExitCode.Interrupted, ran.stderr)
      assert.match(ran.stderr, /Detached: run [0-9a-f]+ goes on on the workers; follow it again with: iconik runs show /)
      const runs = yield* runsWhen({ ...env, DATABASE_URL: url }, (runs) => runs.length === 1 && runs[0]!.state !== "running")
      assert.deepStrictEqual(runs.map((r) => r.state), ["complete"])
      assert.deepStrictEqual((yield* originals).all, ["quick.mov", "slow.mov"])
      assert.deepStrictEqual((yield* originals).closed, ["quick.mov", "slow.mov"])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)

  it.live.skipIf(pgSkipReason !== undefined)("runs cancel of a run held mid-upload: no OPEN record, no orphan upload, listed cancelled", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      const { log } = yield* worker(emulator, url)
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "big.mov": 21 * MiB })
      // Multipart (above the single-PUT threshold); part 2 hangs until the run is cancelled.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 15_000 }, operation: "UploadPart", partNumber: 2 })
      const env = { ...envFor(emulator), DATABASE_URL: url }
      const submitted = yield* iconikWithEnv(
        env,
        "ingest",
        path.join(dir, "big.mov"),
        "--database",
        url,
        "--detach",
        "--part-size",
        "5",
        "--concurrency",
        "1",
        "--json"
      )
      assert.strictEqual(submitted.code, 0, submitted.stderr)
      const run = json<{ executionId: string }>(submitted.stdout)
      // Wait for part 1 to be stored: the upload is under way.
      for (let i = 0; i < 240 && (yield* storageRequests("UploadPart")).length === 0; i++) yield* Effect.sleep("250 millis")
      assert.isAbove((yield* storageRequests("UploadPart")).length, 0)

      const cancelled = yield* iconikWithEnv(env, "runs", "cancel", run!.executionId, "--json")
      assert.strictEqual(cancelled.code, 0, cancelled.stderr)
      assert.deepInclude(json<object>(cancelled.stdout), { cancelled: true, ended: true })
      assert.deepStrictEqual(yield* emulator.objectStore.pendingUploads, [], log())
      assert.deepStrictEqual((yield* stillOpen).map((r) => r.record.status), [], log())
      const shown = yield* iconikWithEnv(env, "runs", "show", run!.executionId, "--json")
      assert.strictEqual(json<Listed>(shown.stdout).state, "cancelled")

      // Cancelling it again: it has ended, nothing is done. An id no run has: not found.
      const again = yield* iconikWithEnv(env, "runs", "cancel", run!.executionId)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stdout, `Run ${run!.executionId} has ended (cancelled): nothing to cancel`)
      const unknown = yield* iconikWithEnv(env, "runs", "cancel", "0123456789abcdef")
      assert.strictEqual(unknown.code, ExitCode.NotFound, unknown.stderr)
      assert.include(unknown.stderr, "error: No run 0123456789abcdef in this database")
      assert.deepStrictEqual((yield* stillOpen).map((r) => r.record.status), [], log())
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)

  it.live.skipIf(pgSkipReason !== undefined)("upload-proxy --database: the proxy CLOSED once by the worker; again: the same run, or nothing to upload", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      yield* worker(emulator, url)
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "p.mp4": 300_000 })
      const asset = yield* Assets.create({ title: "proxied" })
      const env = envFor(emulator)
      const argv = ["upload-proxy", path.join(dir, "p.mp4"), "--asset-id", asset.id, "--database", url, "--json", "--quiet"]
      const ran = yield* iconikWithEnv(env, ...argv)
      assert.strictEqual(ran.code, 0, ran.stderr)
      const result = json<{ executionId: string; assetId: string; proxyId: string; size: number }>(ran.stdout)
      assert.strictEqual(result.assetId, asset.id)
      assert.strictEqual(result.size, 300_000)
      const proxies = () => [...emulator.state.proxies.values()].filter((p) => p.asset_id === asset.id)
      assert.deepStrictEqual(proxies().map((p) => [p.id, p.status]), [[result.proxyId, "CLOSED"]])

      // The same file again joins the finished run (same id, its result); a new run of it finds the proxy up already.
      const again = yield* iconikWithEnv(env, ...argv)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.deepStrictEqual(json<object>(again.stdout), result)
      const pruned = yield* iconikWithEnv({ ...env, DATABASE_URL: url }, "runs", "prune", "--older-than-days", "0", "--json")
      assert.strictEqual(pruned.code, 0, pruned.stderr)
      const afterPrune = yield* iconikWithEnv(env, ...argv)
      assert.strictEqual(afterPrune.code, 0, afterPrune.stderr)
      assert.deepStrictEqual(json<object>(afterPrune.stdout), {
        assetId: asset.id,
        proxyId: result.proxyId,
        size: 300_000,
        alreadyUploaded: true
      })
      assert.strictEqual(proxies().length, 1)
      assert.deepStrictEqual(yield* stillOpen, [])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)

  it.live.skipIf(pgSkipReason !== undefined)("metadata import --database: the worker writes the CSV's changes; --detach prints the run", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      yield* worker(emulator, url)
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const assets = yield* Effect.forEach(["alpha", "beta"], (title) => Assets.create({ title }))
      yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
      const view = yield* Metadata.createView({ name: "Review", view_fields: [{ name: "rating" }] })
      const dir = yield* fs.makeTempDirectoryScoped()
      const csv = path.join(dir, "ratings.csv")
      yield* fs.writeFileString(
        csv,
        ["id,object_type,title,rating", ...assets.map((a, i) => `${a.id},assets,${a.title},${i + 4}`)].join("\r\n")
      )
      const env = envFor(emulator)
      const ran = yield* iconikWithEnv(env, "metadata", "import", csv, "--view-id", view.id, "--apply", "--database", url, "--json", "--quiet")
      assert.strictEqual(ran.code, 0, ran.stderr)
      const report = json<{ executionId: string; written: number; failed: ReadonlyArray<unknown> }>(ran.stdout)
      assert.strictEqual(report.written, 2)
      assert.deepStrictEqual(report.failed, [])
      const ratings = yield* Effect.forEach(assets, (a) =>
        Effect.map(Metadata.getForAsset(a.id, view.id), (values) => values.metadata_values?.rating?.field_values?.[0]?.value))
      assert.deepStrictEqual(ratings, [4, 5])

      // A dry run of another CSV, detached: the run's id at once, then listed complete with its diff.
      yield* fs.writeFileString(csv, ["id,object_type,title,rating", `${assets[0]!.id},assets,alpha,9`].join("\r\n"))
      const detached = yield* iconikWithEnv(env, "metadata", "import", csv, "--view-id", view.id, "--database", url, "--detach", "--json")
      assert.strictEqual(detached.code, 0, detached.stderr)
      const submitted = json<{ executionId: string; workflow: string; path: string }>(detached.stdout)
      assert.deepStrictEqual([submitted.workflow, submitted.path], ["effect-iconik/importMetadata", csv])
      assert.notStrictEqual(submitted.executionId, report.executionId)
      const runs = yield* runsWhen({ ...env, DATABASE_URL: url }, (runs) => runs.every((r) => r.state !== "running"))
      assert.deepStrictEqual(runs.map((r) => [r.executionId, r.state]).sort(), [[report.executionId, "complete"], [submitted.executionId, "complete"]].sort())
      const shown = yield* iconikWithEnv({ ...env, DATABASE_URL: url }, "runs", "show", submitted.executionId, "--json")
      const dry = json<{ result: { dryRun: boolean; changes: ReadonlyArray<{ after: unknown }> } }>(shown.stdout).result
      assert.deepStrictEqual([dry.dryRun, dry.changes.map((c) => c.after)], [true, [["9"]]])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)

  it.live.skipIf(pgSkipReason !== undefined)("a database without the engine's tables, an unknown run: one line each, exits 11 and 5", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const url = yield* database
      const env = envFor(emulator)
      const empty = yield* iconikWithEnv(env, "runs", "--database", url)
      assert.strictEqual(empty.code, ExitCode.Database, empty.stderr)
      assert.include(empty.stderr, "error: No durable workflow engine in the database")
      yield* worker(emulator, url)
      const unknown = yield* iconikWithEnv(env, "runs", "show", "0123456789abcdef", "--database", url)
      assert.strictEqual(unknown.code, ExitCode.NotFound, unknown.stderr)
      assert.include(unknown.stderr, "error: No run 0123456789abcdef in this database")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 180_000)
})

describe("a bad database URL", () => {
  it.live("unreachable: exit 11, one line naming the database without its password", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const env = envFor(emulator)
      // Port 1 on loopback: nothing listens there.
      const secret = "pa55-word-never-shown"
      for (const argv of [["runs"], ["runs", "cancel", "abc"], ["ingest", repoRoot + "package.json", "--detach"]]) {
        const ran = yield* iconikWithEnv(env, ...argv, "--database", `postgres://iconik:${secret}@127.0.0.1:1/iconik`)
        assert.strictEqual(ran.code, ExitCode.Database, `${argv.join(" ")}: ${ran.stderr}`)
        assert.include(ran.stderr, "error: Could not connect to the database postgres://iconik@127.0.0.1:1/iconik")
        assert.notInclude(ran.stderr + ran.stdout, secret)
      }
      const fromEnv = yield* iconikWithEnv({ ...env, DATABASE_URL: `postgres://iconik:${secret}@127.0.0.1:1/iconik` }, "runs", "--json")
      assert.strictEqual(fromEnv.code, ExitCode.Database)
      assert.notInclude(fromEnv.stderr + fromEnv.stdout, secret)
      const notUrl = yield* iconikWithEnv(env, "runs", "--database", `mysql://iconik:${secret}@127.0.0.1/x`)
      assert.strictEqual(notUrl.code, ExitCode.Usage, notUrl.stderr)
      assert.notInclude(notUrl.stderr + notUrl.stdout, secret)
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 60_000)
})
