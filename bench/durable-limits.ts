/**
 * One Iconik budget for a cluster: aggregate Iconik requests per second of 1 and 2 runner processes sharing the
 * budget of one App-ID through PostgreSQL (`ClusterLimits.layerPg`, defaults: 48 per second, burst 10), against the
 * emulator on 127.0.0.1 with Iconik's believed budget (50 per second, burst 50, 1000 per 20 s). Each runner
 * (test/durable/limits-runner.ts) has its own pool and Iconik client and makes cheap calls (`GET users/current`),
 * 16 at once. Beside them, 2 runners each with a budget of its own (what runners without the shared limiter do),
 * and the Iconik calls one small-file ingest makes, which turn requests per second into files per second.
 *
 * Needs `DATABASE_URL` (scripts/pg-up.sh); without it the section is skipped and writes nothing.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Path } from "effect"
import { dropFreshDatabase, freshDatabase } from "../test/support/postgres.ts"
import { busiest, type CallsReport, runCalls } from "../test/durable/limits-support.ts"
import { inProcess, mediaFolder } from "../test/workflows/support.ts"
import { IconikEmulator } from "../src/testing/index.ts"
import { ingestFile } from "../workflows/ingestFile.ts"
import { ingestFolder } from "../workflows/ingestFolder.ts"
import { envInt, fmt, type Row, writeResult } from "./harness.ts"

const CALLS = envInt("BENCH_DURABLE_LIMITS_CALLS", 1500)
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
  yield* Effect.promise(() => dropFreshDatabase(url))

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
      `${fmt(perFile.ingestFolder, 1)} per file (its duplicate check by checksum adds one). Files per second are ` +
      "the measured request rate divided by those."
    ],
    raw: { calls: CALLS, budget: BUDGET, measured, perFile }
  }, started)
})

Effect.runPromise(main).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
