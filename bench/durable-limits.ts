/**
 * One Iconik budget for a cluster: aggregate Iconik requests per second of 1 and 2 runner processes sharing the
 * budget of one App-ID through PostgreSQL (`ClusterLimits.layerPg`, defaults: 48 per second, burst 10), against the
 * emulator on 127.0.0.1 with Iconik's believed budget (50 per second, burst 50, 1000 per 20 s). Each runner
 * (test/durable/limits-runner.ts) has its own pool and Iconik client and makes cheap calls (`GET users/current`),
 * 16 at once. Beside them, 2 runners each with a budget of its own (what runners without the shared limiter do),
 * and the Iconik calls one small-file ingest makes, which turn requests per second into files per second; then
 * real small-file ingests (`ingestFolder`) by 1 and 2 runners sharing the budget.
 *
 * Needs `DATABASE_URL` (scripts/pg-up.sh); without it the section is skipped and writes nothing.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePathLayer from "@effect/platform-node/NodePath"
import { Effect, Layer, Path } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as NodePath from "node:path"
import * as Redacted from "effect/Redacted"
import { performance } from "node:perf_hooks"
import * as Engine from "../durable/Engine.ts"
import * as Runs from "../durable/Runs.ts"
import { dropFreshDatabase, freshDatabase } from "../test/support/postgres.ts"
import {
  busiest,
  type CallsReport,
  freePort,
  runCalls,
  shardsSettled,
  startWorker,
  stopWorker
} from "../test/durable/limits-support.ts"
import { inProcess, mediaFolder } from "../test/workflows/support.ts"
import { IconikEmulator } from "../src/testing/index.ts"
import { ingestFile } from "../workflows/ingestFile.ts"
import { ingestFolder } from "../workflows/ingestFolder.ts"
import { envInt, fmt, type Row, writeResult } from "./harness.ts"

const CALLS = envInt("BENCH_DURABLE_LIMITS_CALLS", 1500)
const FILES = envInt("BENCH_DURABLE_LIMITS_FILES", 300)
const DURABLE_FILES = envInt("BENCH_DURABLE_LIMITS_DURABLE_FILES", 1000)
const BUDGET = 50

if (process.env.DATABASE_URL === undefined) {
  console.error("durable-limits: DATABASE_URL is not set (scripts/pg-up.sh starts one); skipped")
  process.exit(0)
}

interface Scenario {
  readonly name: string
  readonly runners: number
  readonly layer: "pg" | "memory"
}

interface Measured {
  readonly scenario: Scenario
  readonly ok: number
  readonly rateLimited: number
  readonly requestsPerSecond: number
  readonly busiestSecond: number
  readonly busiest20s: number
  readonly roundTripsPerRequest: number
  readonly lateSlots: number
}

const current = "/API/users/v1/users/current/"

/** One scenario on a fresh emulator (its budget full, its windows empty): `CALLS` calls split between the runners. */
const measure = (url: string, scenario: Scenario) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator.serve({})
    const reports: ReadonlyArray<CallsReport> = yield* Effect.promise(() =>
      runCalls(url, scenario.runners, {
        LIMITS_BASE_URL: emulator.baseUrl,
        LIMITS_APP_ID: emulator.credentials.appId,
        LIMITS_AUTH_TOKEN: emulator.credentials.authToken,
        LIMITS_CALLS: String(Math.ceil(CALLS / scenario.runners)),
        LIMITS_CONCURRENCY: "16",
        ...(scenario.layer === "memory" ? { LIMITS_LAYER: "memory" } : {})
      })
    )
    const requests = (yield* emulator.requests).filter((r) => r.path === current)
    const ok = requests.filter((r) => r.status === 200).map((r) => r.at).sort((a, b) => a - b)
    const granted = reports.reduce((n, r) => n + r.granted, 0)
    return {
      scenario,
      ok: ok.length,
      rateLimited: requests.filter((r) => r.status === 429).length,
      // From the first answered request to the last, as the server saw them.
      requestsPerSecond: (ok.length - 1) / ((ok.at(-1)! - ok[0]!) / 1000),
      busiestSecond: busiest(ok, 1000),
      busiest20s: busiest(ok, 20_000),
      roundTripsPerRequest: reports.reduce((n, r) => n + r.roundTrips, 0) / Math.max(1, granted),
      lateSlots: reports.reduce((n, r) => n + r.late, 0)
    } satisfies Measured
  }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))

/** Iconik calls of one small-file ingestFile, and per file of a 4-file ingestFolder (in-process emulator). */
const callsPerFile = Effect.gen(function*() {
  const emulator = yield* IconikEmulator
  const path = yield* Path.Path
  const dir = yield* mediaFolder({ "one.mov": 100_000, "f/a.mov": 1000, "f/b.mov": 2000, "f/c.mov": 3000, "f/d.mov": 4000 })
  const before = (yield* emulator.requests).length
  yield* ingestFile({ file: path.join(dir, "one.mov") })
  const single = (yield* emulator.requests).slice(before)
  const middle = (yield* emulator.requests).length
  yield* ingestFolder({ folder: path.join(dir, "f") })
  const folder = (yield* emulator.requests).slice(middle)
  const shape = (list: typeof single) => list.map((r) => `${r.method} ${r.template ?? r.path}`)
  return { ingestFile: single.length, ingestFolder: folder.length / 4, singleCalls: shape(single), folderCalls: shape(folder) }
}).pipe(Effect.scoped, Effect.provide(inProcess()))

/** Small files (2 KiB, each its own content) in a folder per runner: `r<i>/r<i>-<k>.bin`. */
const makeFolders = (runners: number, perRunner: number) => {
  const root = Fs.mkdtempSync(NodePath.join(Os.tmpdir(), "bench-durable-limits-"))
  for (let i = 0; i < runners; i++) {
    Fs.mkdirSync(NodePath.join(root, `r${i}`))
    for (let k = 0; k < perRunner; k++) {
      const bytes = Buffer.alloc(2048, `${i}/${k} `)
      Fs.writeFileSync(NodePath.join(root, `r${i}`, `r${i}-${k}.bin`), bytes)
    }
  }
  return root
}

interface Ingested {
  readonly runners: number
  readonly files: number
  readonly failed: number
  readonly rateLimited: number
  readonly calls: number
  readonly seconds: number
  readonly filesPerSecond: number
}

/** `FILES` small files ingested with ingestFolder (8 at once per runner), split between the runners. */
const measureIngest = (url: string, runners: number) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator.serve({})
    const perRunner = Math.ceil(FILES / runners)
    const root = makeFolders(runners, perRunner)
    yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
    const reports = yield* Effect.promise(() =>
      runCalls(url, runners, (i) => ({
        LIMITS_BASE_URL: emulator.baseUrl,
        LIMITS_APP_ID: emulator.credentials.appId,
        LIMITS_AUTH_TOKEN: emulator.credentials.authToken,
        LIMITS_FOLDER: NodePath.join(root, `r${i}`),
        LIMITS_CONCURRENCY: "8"
      }), "ingest")
    )
    const requests = yield* emulator.requests
    // From the start of the calls to the end of the slowest runner.
    const seconds = Math.max(...reports.map((r) => r.millis)) / 1000
    const files = reports.reduce((n, r) => n + r.ok, 0)
    return {
      runners,
      files,
      failed: reports.reduce((n, r) => n + r.failed, 0),
      rateLimited: requests.filter((r) => r.status === 429).length,
      calls: requests.length,
      seconds,
      filesPerSecond: files / seconds
    } satisfies Ingested
  }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))

interface DurableIngested {
  readonly files: number
  readonly failed: number
  readonly rateLimited: number
  readonly calls: number
  readonly busiestSecond: number
  readonly busiest20s: number
  readonly seconds: number
  readonly filesPerSecond: number
}

/**
 * The durable form: `DURABLE_FILES` small files as one durable `IngestFolder` run, worked by 2 `iconik worker`
 * processes (socket runners, the cluster's budget shared through the database at 48/s, 8 uploads each), submitted
 * once their shard split has settled; files per second from the submission to the folder's run complete.
 */
const measureDurable = () =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator.serve({})
    const url = yield* Effect.acquireRelease(
      Effect.promise(() => freshDatabase("bench_durable_limits_runs")),
      (db) => Effect.promise(() => dropFreshDatabase(db))
    )
    const env = {
      ICONIK_BASE_URL: emulator.baseUrl,
      ICONIK_APP_ID: emulator.credentials.appId,
      ICONIK_AUTH_TOKEN: emulator.credentials.authToken
    }
    for (let i = 0; i < 2; i++) {
      const port = yield* Effect.promise(freePort)
      yield* Effect.acquireRelease(
        Effect.promise(() => startWorker(url, port, env, { concurrency: 8, requestsPerSecond: 48 })),
        (worker) => Effect.promise(() => stopWorker(worker))
      )
    }
    yield* Effect.promise(() => shardsSettled(url, 2))
    const root = makeFolders(1, DURABLE_FILES)
    yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
    const engine = Engine.layerPostgres({ url: Redacted.make(url), clientOnly: true })
    const started = performance.now()
    const id = yield* Runs.submitIngestFolder({ folder: NodePath.join(root, "r0"), concurrency: 16 }).pipe(Effect.provide(engine))
    const state = yield* Runs.join("effect-iconik/ingestFolder", id, { every: 250 }).pipe(Effect.provide(engine))
    const seconds = (performance.now() - started) / 1000
    if (state._tag !== "Succeeded") throw new Error(`the folder's run ended ${state._tag}: ${JSON.stringify(state)}`)
    const report = state.result as { readonly ingested: ReadonlyArray<unknown>; readonly failed: ReadonlyArray<unknown> }
    const requests = yield* emulator.requests
    const answered = requests.filter((r) => r.status !== 429).map((r) => r.at)
    return {
      files: report.ingested.length,
      failed: report.failed.length,
      rateLimited: requests.filter((r) => r.status === 429).length,
      calls: requests.length,
      busiestSecond: busiest(answered, 1000),
      busiest20s: busiest(answered, 20_000),
      seconds,
      filesPerSecond: report.ingested.length / seconds
    } satisfies DurableIngested
  }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, NodeFileSystem.layer, NodePathLayer.layer)))

const main = Effect.gen(function*() {
  const started = new Date()
  const perFile = yield* callsPerFile
  const url = yield* Effect.promise(() => freshDatabase("bench_durable_limits"))
  const scenarios: ReadonlyArray<Scenario> = [
    { name: "1 runner, shared budget", runners: 1, layer: "pg" },
    { name: "2 runners, shared budget", runners: 2, layer: "pg" },
    { name: "2 runners, a budget each (no sharing)", runners: 2, layer: "memory" }
  ]
  const measured: Array<Measured> = []
  for (const scenario of scenarios) {
    console.error(`durable-limits: ${scenario.name}`)
    measured.push(yield* measure(url, scenario))
  }
  const ingests: Array<Ingested> = []
  for (const runners of [1, 2]) {
    console.error(`durable-limits: ingestFolder, ${runners} runner(s)`)
    ingests.push(yield* measureIngest(url, runners))
  }
  yield* Effect.promise(() => dropFreshDatabase(url))
  console.error(`durable-limits: durable IngestFolder, 2 worker processes, ${DURABLE_FILES} files`)
  const durable = yield* measureDurable()

  const target = 0.9 * BUDGET
  const rows: Array<Row> = []
  for (const m of measured) {
    const shared = m.scenario.layer === "pg"
    rows.push({
      metric: `${m.scenario.name}: aggregate requests per second (server's view), ${CALLS} calls`,
      value: `${fmt(m.requestsPerSecond, 1)}/s (${fmt((100 * m.requestsPerSecond) / BUDGET, 0)} % of ${BUDGET}/s)`,
      ...(shared ? { target: `≥ ${fmt(target, 0)}/s (90 %)`, met: m.requestsPerSecond >= target } : {})
    })
    rows.push({
      metric: `${m.scenario.name}: answered 429; busiest second; busiest 20 s`,
      value: `${m.rateLimited}; ${m.busiestSecond}; ${m.busiest20s}`,
      ...(shared ? { target: "0; ≤ 100; ≤ 1000", met: m.rateLimited === 0 && m.busiestSecond <= 100 && m.busiest20s <= 1000 } : {})
    })
    if (shared) {
      rows.push({
        metric: `${m.scenario.name}: database round trips per request (slots dropped late)`,
        value: `${fmt(m.roundTripsPerRequest, 3)} (${m.lateSlots})`
      })
    }
  }
  const two = measured[1]!
  for (const [name, calls] of [["ingestFile", perFile.ingestFile], ["ingestFolder", perFile.ingestFolder]] as const) {
    const files = two.requestsPerSecond / calls
    const filesTarget = target / calls
    rows.push({
      metric: `Small files per second, 2 runners sharing the budget: ${name} (${fmt(calls, 1)} Iconik calls per file)`,
      value: `${fmt(files, 2)} files/s`,
      target: `≥ ${fmt(filesTarget, 2)} files/s (90 % of ${BUDGET}/s ÷ calls per file)`,
      met: files >= filesTarget
    })
  }
  for (const i of ingests) {
    const callsEach = i.calls / Math.max(1, i.files)
    const filesTarget = target / callsEach
    rows.push({
      metric: `ingestFolder, ${i.runners} runner(s) sharing the budget: ${i.files} small files (${i.failed} failed), ` +
        `${fmt(callsEach, 2)} Iconik calls per file, ${i.rateLimited} answered 429`,
      value: `${fmt(i.filesPerSecond, 2)} files/s (${fmt(i.seconds, 1)} s)`,
      target: `≥ ${fmt(filesTarget, 2)} files/s (90 % of ${BUDGET}/s ÷ calls per file)`,
      met: i.filesPerSecond >= filesTarget && i.failed === 0 && i.rateLimited === 0
    })
  }
  {
    const callsEach = durable.calls / Math.max(1, durable.files)
    const filesTarget = target / callsEach
    rows.push({
      metric: `durable IngestFolder, 2 worker processes sharing the budget: ${durable.files} small files (${durable.failed} ` +
        `failed), ${fmt(callsEach, 2)} Iconik calls per file, ${durable.rateLimited} answered 429, busiest second ` +
        `${durable.busiestSecond}, busiest 20 s ${durable.busiest20s}`,
      value: `${fmt(durable.filesPerSecond, 2)} files/s (${fmt(durable.seconds, 1)} s)`,
      target: `≥ ${fmt(filesTarget, 2)} files/s (90 % of ${BUDGET}/s ÷ calls per file); 0 answered 429`,
      met: durable.filesPerSecond >= filesTarget && durable.failed === 0 && durable.rateLimited === 0 &&
        durable.busiestSecond <= 2 * BUDGET && durable.busiest20s <= 1000
    })
  }
  writeResult({
    section: "durable-limits",
    title: "Cluster budget: runners sharing one App-ID's rate limit over PostgreSQL",
    rows,
    notes: [
      "Setup: the emulator on 127.0.0.1 with Iconik's believed budget (50 requests per second, burst 50, 1000 per " +
      "20 s), PostgreSQL 15 on 127.0.0.1, runner processes each with its own pool and Iconik client making " +
      "`GET users/current` 16 at once, all started together. The shared limiter runs at 48 per second with a burst " +
      "of 10 (its defaults), a little under the budget so that network jitter never bunches requests past it; the " +
      "rate is counted at the server from its first answered request to its last.",
      `Calls per small file: ingestFile ${perFile.ingestFile} (${perFile.singleCalls.join(", ")}); ingestFolder ` +
      `${fmt(perFile.ingestFolder, 1)} per file (its duplicate check by checksum adds one). The \"small files per ` +
      "second\" rows divide the measured request rate by those; the ingestFolder rows ingest real files (2 KiB each, " +
      `${FILES} split between the runners, 8 at once per runner, the emulator's object store over the socket) ` +
      "and count files per second from the start of the runners' work to the end of the slowest."
    ],
    raw: { calls: CALLS, files: FILES, durableFiles: DURABLE_FILES, budget: BUDGET, measured, ingests, durable, perFile }
  }, started)
})

Effect.runPromise(main).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
