/**
 * `npm run soak [-- options]`: many ingestFile / uploadProxy runs against the emulator with about 10 % of Iconik and
 * storage requests faulted (429, 503, resets, truncated bodies, failing parts), deterministic from each seed. After
 * every run the emulator's records and object store are checked (see invariants.ts); per seed the report gives
 * completed, failed by cause and step, corrupt, duplicated and orphaned by cause, then PASS or FAIL. Exits 1 when a
 * seed fails, 2 on bad options.
 *
 *   --seeds a,b,c     seeds (default 1,2,3)
 *   --runs N          runs per seed (default 200)
 *   --max-size BYTES  largest file (default 64 MiB)
 *   --reduced         CI size: 40 runs per seed, files up to 8 MiB (explicit --runs / --max-size still win)
 *   --fault-rate R    share of requests faulted, 0 to 0.5 (default 0.1)
 *   --in-process      emulator without sockets (default: on a 127.0.0.1 server, real resets)
 *   --json FILE       also write the results as JSON
 *   --verbose         one line per run
 *
 * Every run gets a fresh emulator seeded `<seed>/<run>`, so any run can be replayed alone.
 *
 * `--durable` runs the durable soak instead (durable.ts): folder and single-file ingests on two runner processes over
 * a fresh PostgreSQL database (`DATABASE_URL`, required), runners SIGKILLed and restarted at seeded moments.
 *
 *   --folders N       folder runs per seed (default 5; reduced 3)
 *   --files N         files per folder, at least 2 (default 16; reduced 8)
 *   --singles N       single-file runs per seed (default 16; reduced 6)
 *   --kills N         single-runner kills per seed, besides the one whole-cluster kill (default 6; reduced 2)
 *   (--seeds, default 1,2,3,4,5 for the full durable soak; --max-size, --reduced, --fault-rate, --json and --verbose
 *   as above)
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as EffectPath from "effect/Path"
import * as References from "effect/References"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import * as Assets from "../src/Assets.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import { StorageClient, type StorageClientOptions } from "../src/storage/StorageClient.ts"
import {
  type ClientOptions,
  defaultStorages,
  IconikEmulator,
  type IconikEmulatorOptions,
  type SeedStorage
} from "../src/testing/index.ts"
import { ingestFile } from "../workflows/ingestFile.ts"
import * as Progress from "../workflows/Progress.ts"
import { uploadProxy } from "../workflows/uploadProxy.ts"
import { classify, count, type Failure, groupKey, sorted, timedOut, violationLines } from "./classify.ts"
import { check, lostB2Starts, snapshot, type Source, tally, type Violation } from "./invariants.ts"
import { type DurableSeedResult, durableReport, runDurableSeed } from "./durable.ts"
import { contentOf, type DurableSizes, iconikFaults, MiB, plan, retry, type RunPlan, storageFaults } from "./plan.ts"

// ---------------------------------------------------------------------------------------------------------------
// Options

interface SoakOptions {
  readonly seeds: ReadonlyArray<string>
  readonly runs: number
  readonly maxSize: number
  readonly faultRate: number
  readonly reduced: boolean
  readonly inProcess: boolean
  readonly json: string | undefined
  readonly verbose: boolean
  /** The durable soak's sizes, when `--durable`. */
  readonly durable: DurableSizes | undefined
}

class UsageError extends Error {}

const parseInteger = (flag: string, value: string | undefined, min: number, max: number): number => {
  const n = Number(value)
  if (value === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${value ?? "nothing"}`)
  }
  return n
}

/** The durable soak's count flags: the count each sets, and its bounds. */
const durableCounts = {
  "--folders": ["folders", 0, 100],
  "--files": ["files", 2, 1000],
  "--singles": ["singles", 0, 1000],
  "--kills": ["kills", 0, 20]
} as const

const parseOptions = (argv: ReadonlyArray<string>): SoakOptions => {
  let seeds = ["1", "2", "3"]
  let runs: number | undefined
  let maxSize: number | undefined
  let faultRate = 0.1
  let reduced = false
  let inProcess = false
  let json: string | undefined
  let verbose = false
  let durable = false
  let seedsGiven = false
  const counts: { folders?: number; files?: number; singles?: number; kills?: number } = {}
  const plainOnly: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => argv[++i]
    switch (arg) {
      case "--":
        break
      case "--seeds": {
        const list = value()?.split(",").map((s) => s.trim()).filter((s) => s !== "") ?? []
        if (list.length === 0) throw new UsageError("--seeds needs a comma-separated list, e.g. --seeds 1,2,3")
        seeds = list
        seedsGiven = true
        break
      }
      case "--runs":
        runs = parseInteger("--runs", value(), 1, 100_000)
        plainOnly.push(arg)
        break
      case "--durable":
        durable = true
        break
      case "--folders":
      case "--files":
      case "--singles":
      case "--kills": {
        const [key, min, max] = durableCounts[arg]
        counts[key] = parseInteger(arg, value(), min, max)
        break
      }
      case "--max-size":
        maxSize = parseInteger("--max-size", value(), 1024, 1024 * MiB)
        break
      case "--fault-rate": {
        const raw = value()
        const rate = Number(raw)
        if (raw === undefined || raw.trim() === "" || !Number.isFinite(rate) || rate < 0 || rate > 0.5) {
          throw new UsageError(`--fault-rate must be a number from 0 to 0.5, got ${raw ?? "nothing"}`)
        }
        faultRate = rate
        break
      }
      case "--reduced":
        reduced = true
        break
      case "--in-process":
        inProcess = true
        plainOnly.push(arg)
        break
      case "--json": {
        const file = value()
        if (file === undefined || file.startsWith("--")) throw new UsageError("--json needs a file name")
        json = file
        break
      }
      case "--verbose":
        verbose = true
        break
      default:
        throw new UsageError(`unknown option ${arg}`)
    }
  }
  if (durable && plainOnly.length > 0) throw new UsageError(`${plainOnly.join(", ")}: not an option of the durable soak`)
  if (!durable && Object.keys(counts).length > 0) throw new UsageError("--folders, --files, --singles and --kills need --durable")
  const folders = counts.folders ?? (reduced ? 3 : 5)
  const singles = counts.singles ?? (reduced ? 6 : 16)
  const largest = maxSize ?? (reduced ? 8 * MiB : 64 * MiB)
  if (durable && folders + singles === 0) throw new UsageError("the durable soak needs at least one folder or single-file run")
  return {
    // The full durable soak draws more kill plans: five seeds (about as long as the plain soak's three).
    seeds: durable && !reduced && !seedsGiven ? ["1", "2", "3", "4", "5"] : seeds,
    runs: runs ?? (reduced ? 40 : 200),
    maxSize: largest,
    faultRate,
    reduced,
    inProcess,
    json,
    verbose,
    durable: durable
      ? {
        folders,
        filesPerFolder: counts.files ?? (reduced ? 8 : 16),
        singles,
        runnerKills: counts.kills ?? (reduced ? 2 : 6),
        maxSize: largest
      }
      : undefined
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator of one run

/** The default storages plus PROXIES storages on GCS, Azure and B2. */
const storages: ReadonlyArray<SeedStorage> = [
  ...defaultStorages,
  { name: "Emulated GCS proxies", method: "GCS", purpose: "PROXIES", bucket: "iconik-proxies-gcs" },
  { name: "Emulated Azure proxies", method: "AZURE", purpose: "PROXIES", bucket: "iconik-proxies-azure" },
  { name: "Emulated B2 proxies", method: "B2", purpose: "PROXIES", bucket: "iconik-proxies-b2" }
]

const clientOptions: ClientOptions = { retry, rateLimit: false }
const storageOptions: StorageClientOptions = { retry }

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

const socketLayer = (options: IconikEmulatorOptions) =>
  Layer.mergeAll(StorageClient.layerOptions(storageOptions), platform).pipe(
    Layer.provideMerge(IconikEmulator.layerServerClient(options, clientOptions))
  )

const inProcessLayer = (options: IconikEmulatorOptions) =>
  Layer.mergeAll(
    Layer.effect(StorageClient, StorageClient.make(storageOptions)).pipe(Layer.provide(NodeFileSystem.layer)),
    platform
  ).pipe(Layer.provideMerge(IconikEmulator.layerClient(options, clientOptions)))

/** A run's time limit: generous for 64 MiB on a busy machine, short of "forever". */
const runTimeoutSeconds = 180

// ---------------------------------------------------------------------------------------------------------------
// One run

interface RunResult {
  readonly index: number
  readonly kind: string
  readonly size: number
  readonly completed: boolean
  readonly failure: Failure | undefined
  readonly violations: ReadonlyArray<Violation>
  readonly notices: ReadonlyArray<string>
  readonly iconikRequests: number
  readonly iconikFaulted: number
  readonly storageRequests: number
  readonly storageFaulted: number
  readonly millis: number
}

const runOne = (seed: string, run: RunPlan, options: SoakOptions, dir: string) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const name = `soak-${seed}-${run.index}.mov`
    const runDir = Path.join(dir, String(run.index))
    Fs.mkdirSync(runDir, { recursive: true })
    const file = Path.join(runDir, name)
    const bytes = contentOf(run.size, run.contentSeed)
    Fs.writeFileSync(file, bytes)
    const md5 = createHash("md5").update(bytes).digest("hex")
    const storage = emulator.storage(run.workflow === "ingestFile" ? "FILES" : "PROXIES", run.method)
    if (storage === undefined) return yield* Effect.die(new Error(`no ${run.method} storage for ${run.workflow}`))

    // Set-up the run does not own (the proxy's asset) happens before the faults start.
    const target = run.workflow === "uploadProxy"
      ? yield* Assets.create({ title: `proxy target ${run.index}`, type: "ASSET" }).pipe(Effect.orDie)
      : undefined
    for (const rule of iconikFaults(options.faultRate)) yield* emulator.addFault(rule)
    for (const rule of storageFaults(options.faultRate)) yield* emulator.objectStore.addFault(rule)
    const iconikBefore = (yield* emulator.requests).length

    let firstFailedStep: string | undefined
    // How far the logs had got when the first step failed: the requests after it are clean-up, not the cause.
    let cutoff: { readonly iconik: number; readonly storage: number } | undefined
    const transfer = { partSize: run.partSize, singlePutThreshold: run.singlePutThreshold, storageId: storage.id }
    const work: Effect.Effect<unknown, unknown, StorageClient | IconikClient | FileSystem.FileSystem | EffectPath.Path> =
      run.workflow === "ingestFile"
        ? ingestFile({ file, ...transfer })
        : uploadProxy({ file, assetId: target!.id, ...transfer })
    const outcome = yield* Effect.exit(work).pipe(
      Progress.tap((event) => {
        if (event._tag === "StepFailed" && firstFailedStep === undefined) {
          firstFailedStep = event.step
          cutoff = {
            iconik: emulator.state.requests.length,
            storage: Effect.runSync(emulator.objectStore.requests).length
          }
        }
      }),
      Effect.timeoutOption(Duration.seconds(runTimeoutSeconds))
    )

    const log = (yield* emulator.requests).slice(iconikBefore)
    const storageLog = yield* emulator.objectStore.requests
    const failure = Option.match(outcome, {
      onNone: () => timedOut(firstFailedStep, runTimeoutSeconds),
      onSome: (exit) =>
        classify(
          exit,
          firstFailedStep,
          cutoff === undefined ? log : log.slice(0, cutoff.iconik - iconikBefore),
          cutoff === undefined ? storageLog : storageLog.slice(0, cutoff.storage)
        )
    })
    const source: Source = {
      workflow: run.workflow,
      name,
      size: run.size,
      md5,
      assetId: target?.id,
      completed: failure === undefined
    }
    const state = yield* snapshot(emulator)
    const checked = check(state, [source], target === undefined ? [] : [target.id], { lostB2Starts: lostB2Starts(log, state) })
    return {
      completed: failure === undefined,
      failure,
      violations: checked.violations,
      notices: checked.notices,
      iconikRequests: log.length,
      iconikFaulted: log.filter((r) => r.fault !== undefined && r.fault !== "Latency").length,
      storageRequests: storageLog.length,
      storageFaulted: storageLog.filter((r) => r.fault !== undefined && r.fault !== "Delay").length
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(
      (options.inProcess ? inProcessLayer : socketLayer)({
        seed: `${seed}/${run.index}`,
        rateLimit: false,
        storages,
        jobs: { startAfter: 20, duration: 60, abortAfter: 20 }
      })
    ),
    Effect.ensuring(Effect.sync(() => Fs.rmSync(Path.join(dir, String(run.index)), { recursive: true, force: true })))
  )

// ---------------------------------------------------------------------------------------------------------------
// One seed, and the report

interface SeedResult {
  readonly seed: string
  readonly runs: number
  readonly seconds: number
  readonly completed: number
  readonly failed: number
  readonly failedRetryable: number
  readonly failures: Record<string, number>
  /** Failures per injected fault and request kind, e.g. `Iconik POST Reset`, `S3 CompleteMultipartUpload Fail 503`. */
  readonly failuresByFault: Record<string, number>
  readonly runMillis: { readonly p50: number; readonly max: number }
  readonly corrupt: number
  readonly duplicated: number
  readonly orphaned: number
  readonly violations: ReturnType<typeof tally>
  /** Runs whose checks found something, with what. */
  readonly badRuns: ReadonlyArray<{ readonly run: number; readonly kind: string; readonly violations: ReadonlyArray<Violation> }>
  readonly notices: Record<string, number>
  readonly byKind: Record<string, { runs: number; completed: number }>
  readonly iconikRequests: number
  readonly iconikFaulted: number
  readonly storageRequests: number
  readonly storageFaulted: number
  readonly bytes: number
  readonly pass: boolean
  readonly reasons: ReadonlyArray<string>
  readonly results: ReadonlyArray<RunResult>
}

const runSeed = (seed: string, options: SoakOptions) =>
  Effect.gen(function*() {
    const runs = plan(seed, options.runs, options.maxSize)
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "iconik-soak-"))
    const started = performance.now()
    const results: Array<RunResult> = []
    yield* Effect.gen(function*() {
      for (const run of runs) {
        const t0 = performance.now()
        const r = yield* runOne(seed, run, options, dir)
        const result: RunResult = { index: run.index, kind: run.kind, size: run.size, ...r, millis: Math.round(performance.now() - t0) }
        results.push(result)
        if (options.verbose) {
          const outcome = result.failure === undefined ? "ok" : `FAILED ${groupKey(result.failure)}`
          const bad = result.violations.length === 0 ? "" : ` — ${result.violations.map((v) => `${v.invariant}: ${v.cause}`).join("; ")}`
          console.error(`  ${seed}#${run.index} ${run.kind} ${run.size} B ${result.millis} ms ${outcome}${bad}`)
        } else if ((run.index + 1) % 20 === 0 || run.index + 1 === runs.length) {
          const failed = results.filter((x) => !x.completed).length
          const bad = results.filter((x) => x.violations.length > 0).length
          console.error(
            `  seed ${seed}: ${run.index + 1}/${runs.length} runs, ${failed} failed, ${bad} with violations (${((performance.now() - started) / 1000).toFixed(0)} s)`
          )
        }
      }
    }).pipe(Effect.ensuring(Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))))

    const failures: Record<string, number> = {}
    const failuresByFault: Record<string, number> = {}
    const notices: Record<string, number> = {}
    const byKind: Record<string, { runs: number; completed: number }> = {}
    const violations = results.flatMap((r) => r.violations)
    for (const r of results) {
      if (r.failure !== undefined) {
        count(failures, groupKey(r.failure))
        const request = r.failure.tag.startsWith("Iconik") ? `Iconik ${r.failure.where.split(" ")[0]}` : r.failure.where
        count(failuresByFault, `${request || r.failure.tag} ${r.failure.injected ?? "(no fault logged)"}`)
      }
      for (const n of r.notices) count(notices, n.split(":")[0]!)
      const k = (byKind[r.kind] ??= { runs: 0, completed: 0 })
      k.runs++
      if (r.completed) k.completed++
    }
    const counted = tally(violations)
    const total = (invariant: keyof typeof counted) => Object.values(counted[invariant]).reduce((a, b) => a + b, 0)
    const completed = results.filter((r) => r.completed).length
    const failedRetryable = results.filter((r) => r.failure?.retryableByDesign === true).length
    const corrupt = total("corrupt")
    const duplicated = total("duplicated")
    const orphaned = total("orphaned")
    const reasons: Array<string> = []
    if (completed < 0.99 * results.length) reasons.push(`completed ${pct(completed, results.length)} < 99 %`)
    if (failedRetryable > 0) reasons.push(`${failedRetryable} failures with a cause retryable by design`)
    if (corrupt > 0) reasons.push(`${corrupt} corrupt`)
    if (duplicated > 0) reasons.push(`${duplicated} duplicated`)
    if (orphaned > 0) reasons.push(`${orphaned} orphaned`)
    const result: SeedResult = {
      seed,
      runs: results.length,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      completed,
      failed: results.length - completed,
      failedRetryable,
      failures,
      failuresByFault,
      runMillis: runMillis(results),
      corrupt,
      duplicated,
      orphaned,
      violations: counted,
      badRuns: results.filter((r) => r.violations.length > 0).map((r) => ({ run: r.index, kind: r.kind, violations: r.violations })),
      notices,
      byKind,
      iconikRequests: sum(results, "iconikRequests"),
      iconikFaulted: sum(results, "iconikFaulted"),
      storageRequests: sum(results, "storageRequests"),
      storageFaulted: sum(results, "storageFaulted"),
      bytes: results.reduce((a, r) => a + r.size, 0),
      pass: reasons.length === 0,
      reasons,
      results
    }
    return result
  })

const sum = (results: ReadonlyArray<RunResult>, key: "iconikRequests" | "iconikFaulted" | "storageRequests" | "storageFaulted") =>
  results.reduce((a, r) => a + r[key], 0)

const runMillis = (results: ReadonlyArray<RunResult>) => {
  const millis = results.map((r) => r.millis).sort((a, b) => a - b)
  return { p50: millis[Math.floor(millis.length / 2)] ?? 0, max: millis[millis.length - 1] ?? 0 }
}

const pct = (n: number, of: number) => `${of === 0 ? "0" : ((100 * n) / of).toFixed(1)} %`


const report = (r: SeedResult): string => {
  const lines = [
    `seed ${r.seed}: ${r.runs} runs, ${(r.bytes / MiB).toFixed(1)} MiB in ${r.seconds} s; faulted ${pct(r.iconikFaulted, r.iconikRequests)} of ${r.iconikRequests} Iconik requests, ${pct(r.storageFaulted, r.storageRequests)} of ${r.storageRequests} storage requests`,
    `  completed ${r.completed} (${pct(r.completed, r.runs)})  failed ${r.failed} (retryable by design ${r.failedRetryable})  corrupt ${r.corrupt}  duplicated ${r.duplicated}  orphaned ${r.orphaned}`
  ]
  lines.push(`  by kind: ${Object.entries(r.byKind).sort().map(([k, v]) => `${k} ${v.completed}/${v.runs}`).join(", ")}`)
  lines.push(`  run time: median ${r.runMillis.p50} ms, longest ${r.runMillis.max} ms`)
  if (r.failed > 0) {
    lines.push(`  failed, by injected fault: ${sorted(r.failuresByFault).map(([k, n]) => `${n} × ${k}`).join(", ")}`)
    lines.push("  failed, by cause and step:")
    for (const [key, n] of sorted(r.failures)) lines.push(`    ${String(n).padStart(4)} × ${key}`)
  }
  lines.push(...violationLines(r.violations))
  const notices = sorted(r.notices)
  if (notices.length > 0) lines.push(`  notices (not counted): ${notices.map(([k, n]) => `${n} × ${k}`).join(", ")}`)
  lines.push(`  ${r.pass ? "PASS" : "FAIL"} seed ${r.seed}${r.pass ? "" : `: ${r.reasons.join("; ")}`}`)
  return lines.join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// Main

const main = (options: SoakOptions) =>
  Effect.gen(function*() {
    console.log(
      `soak: seeds ${options.seeds.join(",")} × ${options.runs} runs, files 1 KiB–${(options.maxSize / MiB).toFixed(options.maxSize < MiB ? 2 : 0)} MiB, ` +
        `${options.faultRate * 100} % of requests faulted, emulator ${options.inProcess ? "in-process" : "on 127.0.0.1"}` +
        `${options.reduced ? " (reduced)" : ""}`
    )
    const results: Array<SeedResult> = []
    for (const seed of options.seeds) {
      const result = yield* runSeed(seed, options)
      results.push(result)
      console.log(report(result))
    }
    const pass = results.every((r) => r.pass)
    console.log(`soak: ${pass ? "PASS" : "FAIL"} (${results.map((r) => `seed ${r.seed} ${r.pass ? "PASS" : "FAIL"}`).join(", ")})`)
    writeJson(options, pass, results)
    return pass
  }).pipe(Effect.provideService(References.MinimumLogLevel, "Error"))

const writeJson = (options: SoakOptions, pass: boolean, seeds: ReadonlyArray<SeedResult | DurableSeedResult>) => {
  if (options.json === undefined) return
  Fs.mkdirSync(Path.dirname(Path.resolve(options.json)), { recursive: true })
  const { json: _json, ...all } = options
  // The durable soak has no runs per seed and no in-process mode: its settings are its sizes.
  const settings = options.durable === undefined
    ? all
    : { seeds: all.seeds, faultRate: all.faultRate, reduced: all.reduced, verbose: all.verbose, durable: all.durable }
  Fs.writeFileSync(
    options.json,
    JSON.stringify({
      command: `npm run soak -- ${process.argv.slice(2).join(" ")}`.trim(),
      date: new Date().toISOString(),
      machine: `${Os.cpus().length} cores, Node ${process.version}`,
      settings,
      pass,
      seeds
    }, null, 1) + "\n"
  )
  console.log(`soak: results written to ${options.json}`)
}

/** The durable soak: one fresh database, emulator and pair of runners per seed. */
const mainDurable = (options: SoakOptions, sizes: DurableSizes) =>
  Effect.gen(function*() {
    console.log(
      `soak (durable): seeds ${options.seeds.join(",")} × ${sizes.folders} folders of ${sizes.filesPerFolder} files + ${sizes.singles} single files, ` +
        `files 1 KiB–${(sizes.maxSize / MiB).toFixed(0)} MiB, ${options.faultRate * 100} % of requests faulted, 2 socket runners, ` +
        `${sizes.runnerKills} runner kills + 1 whole-cluster kill per seed${options.reduced ? " (reduced)" : ""}`
    )
    const results: Array<DurableSeedResult> = []
    for (const seed of options.seeds) {
      const result = yield* runDurableSeed(seed, {
        seeds: options.seeds,
        sizes,
        faultRate: options.faultRate,
        seedTimeoutSeconds: options.reduced ? 240 : 600,
        verbose: options.verbose
      })
      results.push(result)
      console.log(durableReport(result))
    }
    const pass = results.every((r) => r.pass)
    console.log(`soak (durable): ${pass ? "PASS" : "FAIL"} (${results.map((r) => `seed ${r.seed} ${r.pass ? "PASS" : "FAIL"}`).join(", ")})`)
    writeJson(options, pass, results)
    return pass
  }).pipe(Effect.provideService(References.MinimumLogLevel, "Error"))

let options: SoakOptions | undefined
try {
  options = parseOptions(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  console.error(`soak: ${error.message}`)
  process.exitCode = 2
}
if (options?.durable !== undefined && process.env.DATABASE_URL === undefined) {
  // CI must run the durable soak: without a database it fails, it does not skip.
  console.error("soak: --durable needs a PostgreSQL in DATABASE_URL (scripts/pg-up.sh starts one)")
  process.exitCode = 3
  options = undefined
}
if (options !== undefined) {
  Effect.runPromise(options.durable === undefined ? main(options) : mainDurable(options, options.durable)).then(
    (pass) => {
      process.exitCode = pass ? 0 : 1
    },
    (error) => {
      console.error("soak: crashed", error)
      process.exitCode = 1
    }
  )
}
