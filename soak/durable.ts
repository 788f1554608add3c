/**
 * The durable soak (`npm run soak -- --durable`): folder and single-file ingests submitted to the durable engine on a
 * fresh PostgreSQL database and worked by two socket-runner processes (`soak/runner.ts`) against the emulator on a
 * 127.0.0.1 socket with the plain soak's fault plan, while runners are SIGKILLed at seeded moments and started again
 * (and once per seed the whole cluster). When every run has ended, the emulator's records and object store are
 * checked with the plain soak's invariants (`invariants.ts`) and failures classified by `classify.ts`.
 *
 * Which process did what comes from the emulator's request log: every runner process calls Iconik with an App-ID of
 * its own, so a file whose asset was worked on by two processes was resumed by another runner after a kill.
 */
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import * as Engine from "../durable/Engine.ts"
import { IngestFile } from "../durable/IngestFile.ts"
import { IngestFolder } from "../durable/IngestFolder.ts"
import * as RunList from "../durable/RunList.ts"
import * as Runs from "../durable/Runs.ts"
import { defaultStorages, IconikEmulator, type IconikEmulatorShape, type SeedStorage, type UserOptions } from "../src/testing/index.ts"
import { freePort } from "../test/durable/processes.ts"
import { dropFreshDatabase, freshDatabase } from "../test/support/postgres.ts"
import { classify, count, type Failure, groupKey, sorted, timedOut, violationLines } from "./classify.ts"
import { check, lostB2Starts, snapshot, type Source, tally, type Violation } from "./invariants.ts"
import {
  contentOf,
  type DurablePlan,
  durablePlan,
  type DurableRun,
  type DurableSizes,
  iconikFaults,
  type KillPlan,
  MiB,
  storageFaults
} from "./plan.ts"

export interface DurableOptions {
  readonly seeds: ReadonlyArray<string>
  readonly sizes: DurableSizes
  readonly faultRate: number
  /** How long a seed may take before its unfinished runs count as timed out. */
  readonly seedTimeoutSeconds: number
  readonly verbose: boolean
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url))
const runnerProgram = Path.join(repoRoot, "soak", "runner.ts")

/** The default storages: FILES on S3, GCS, Azure and B2 (the durable soak ingests files only). */
const storages: ReadonlyArray<SeedStorage> = defaultStorages

/** One App-ID per runner process (the emulator logs each request's App-ID): more than a seed can start. */
const processSlots = 64
const appIdOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`
const users: ReadonlyArray<UserOptions> = Array.from({ length: processSlots }, (_, n) => ({
  email: `runner-${n}@soak.invalid`,
  token: `soak-runner-${n}`,
  appId: appIdOf(n),
  admin: true
}))

// ---------------------------------------------------------------------------------------------------------------
// Runner processes

interface RunnerProcess {
  /** `A1`, `B1`, `A2`, …: the slot and how many times it was started. */
  readonly label: string
  readonly appId: string
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<void>
  /** Set before the harness kills it: any other exit is a crash. */
  killed: boolean
}

/**
 * Around a kill, how early (a start answered but its answer not yet read) and how late (a start sent before the kill,
 * handled after it) an empty upload may have begun to count as cut off by the kill, in ms.
 */
const killWindow = { before: 250, after: 500 }

/** How long a runner may take to join the cluster on a busy 2-core machine. */
const readySeconds = 120

/** Starts a runner process (listed in `runners` at once, so the seed's clean-up kills it even before it is ready). */
const startRunner = async (
  label: string,
  n: number,
  env: Record<string, string>,
  runners: Array<RunnerProcess>
): Promise<RunnerProcess> => {
  if (n >= processSlots) throw new Error(`more than ${processSlots} runner processes in one seed`)
  const base: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("ICONIK_") && !key.startsWith("RUNNER_")) base[key] = value
  }
  const port = await freePort()
  const child = spawn(process.execPath, [runnerProgram], {
    env: { ...base, ...env, RUNNER_PORT: String(port), ICONIK_APP_ID: appIdOf(n), ICONIK_AUTH_TOKEN: `soak-runner-${n}` },
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const runner: RunnerProcess = { label, appId: appIdOf(n), child, output: () => output, exited, killed: false }
  runners.push(runner)
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner ${label} not ready after ${readySeconds} s:\n${output}`)), readySeconds * 1000)
    const onData = (chunk: Buffer) => {
      output += chunk
      if (output.includes("READY")) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk))
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`runner ${label} exited before it was ready (${signal ?? code}):\n${output}`))
    })
  })
  return runner
}

const killRunner = async (runner: RunnerProcess) => {
  runner.killed = true
  if (runner.child.exitCode === null && runner.child.signalCode === null) runner.child.kill("SIGKILL")
  await runner.exited
}

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

// ---------------------------------------------------------------------------------------------------------------
// Results

export interface FileResult {
  readonly run: number
  readonly kind: string
  readonly relative: string
  readonly size: number
  readonly completed: boolean
  /** How the run reported it: ingested, skipped (AlreadyIngested) or failed. */
  readonly outcome: "ingested" | "skipped" | "failed" | "unfinished"
  readonly failure: Failure | undefined
  /** The runner processes that sent requests for its asset, in the order first seen. */
  readonly processes: ReadonlyArray<string>
}

export interface KillEvent {
  readonly target: KillPlan["target"]
  /** The runner processes killed and the ones started after. */
  readonly killed: ReadonlyArray<string>
  readonly started: ReadonlyArray<string>
  /** Share of files CLOSED when it fired. */
  readonly closedShare: number
  /** Milliseconds after the first submission. */
  readonly atMillis: number
  /** When the SIGKILL was sent, ms since the epoch (to set beside the emulator's request times). */
  readonly atEpochMillis?: number | undefined
  readonly fired: boolean
}

export interface DurableSeedResult {
  readonly seed: string
  readonly runs: number
  readonly files: number
  readonly bytes: number
  readonly seconds: number
  readonly completed: number
  readonly failed: number
  readonly failedRetryable: number
  readonly skipped: number
  readonly unfinished: number
  readonly failures: Record<string, number>
  readonly corrupt: number
  readonly duplicated: number
  readonly orphaned: number
  readonly violations: ReturnType<typeof tally>
  readonly violationDetails: ReadonlyArray<Violation>
  readonly notices: Record<string, number>
  readonly byKind: Record<string, { runs: number; complete: number; files: number; completed: number }>
  readonly runStates: Record<string, number>
  /**
   * What `iconik runs` would show, checked against what was submitted: runs missing from `RunList.list` or listed in
   * another state than the engine reported, folders whose child runs (`RunList.folderProgress`) do not account for
   * every file.
   */
  readonly listingProblems: ReadonlyArray<string>
  readonly runnerKills: number
  readonly clusterKills: number
  readonly killsNotFired: number
  readonly processesStarted: number
  readonly restarts: number
  readonly runnerCrashes: ReadonlyArray<string>
  /** Each storage upload left pending, with the kill nearest its start: what a kill may have cut off. */
  readonly pendingNearKills: ReadonlyArray<string>
  /** Files whose asset was worked on by more than one runner process: resumed elsewhere after a kill. */
  readonly resumedOnAnotherRunner: number
  readonly kills: ReadonlyArray<KillEvent>
  readonly iconikRequests: number
  readonly iconikFaulted: number
  readonly storageRequests: number
  readonly storageFaulted: number
  readonly pass: boolean
  readonly reasons: ReadonlyArray<string>
  readonly results: ReadonlyArray<FileResult>
}

const workflowOf = (run: DurableRun): Runs.WorkflowName =>
  run.workflow === "ingestFolder" ? IngestFolder._tag as Runs.WorkflowName : IngestFile._tag as Runs.WorkflowName

const rowOf = (run: DurableRun, executionId: string): RunList.RunRow => ({
  executionId,
  workflow: workflowOf(run),
  submittedAt: 0,
  payload: {}
})

const ended = (state: RunList.StateName) => state === "complete" || state === "failed" || state === "cancelled"

/** A failed run's stored failure as an exit `classify` reads. */
const exitOf = (detail: unknown): Exit.Exit<unknown, unknown> =>
  Cause.isCause(detail) ? Exit.failCause(detail) : Exit.fail(detail)

interface IngestReport {
  readonly ingested?: ReadonlyArray<{ readonly path: string }>
  readonly skipped?: ReadonlyArray<{ readonly path: string; readonly reason: string }>
  readonly failed?: ReadonlyArray<{ readonly path: string; readonly reason: string; readonly message: string }>
}

// ---------------------------------------------------------------------------------------------------------------
// One seed

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

export const runDurableSeed = (seed: string, options: DurableOptions) =>
  Effect.gen(function*() {
    const plan: DurablePlan = durablePlan(seed, options.sizes)
    const emulator = yield* IconikEmulator
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "iconik-durable-soak-"))
    const url = yield* Effect.promise(() => freshDatabase("soak_durable"))
    const runners: Array<RunnerProcess> = []
    const cleanUp = Effect.promise(async () => {
      await Promise.all(runners.map(killRunner))
      await dropFreshDatabase(url)
      Fs.rmSync(dir, { recursive: true, force: true })
    })
    return yield* work(seed, plan, options, emulator, dir, url, runners).pipe(Effect.ensuring(cleanUp))
  }).pipe(
    Effect.provide(
      IconikEmulator.layerServer({
        seed: `durable/${seed}`,
        rateLimit: false,
        storages,
        users,
        jobs: { startAfter: 20, duration: 60, abortAfter: 20 }
      })
    )
  )

interface Planned {
  readonly run: DurableRun
  /** The local path submitted: the folder, or the file. */
  readonly path: string
  readonly sources: ReadonlyArray<Source & { readonly relative: string }>
}

const work = (
  seed: string,
  plan: DurablePlan,
  options: DurableOptions,
  emulator: IconikEmulatorShape,
  dir: string,
  url: string,
  runners: Array<RunnerProcess>
) =>
  Effect.gen(function*() {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)

    // The media: a folder per folder run, one file per single run.
    const planned: Array<Planned> = plan.runs.map((run) => {
      const root = Path.join(dir, run.workflow === "ingestFolder" ? `folder-${run.index}` : `single-${run.index}`)
      const sources = run.files.map((file) => {
        const path = Path.join(root, file.relative)
        Fs.mkdirSync(Path.dirname(path), { recursive: true })
        const bytes = contentOf(file.size, file.contentSeed)
        Fs.writeFileSync(path, bytes)
        const slash = file.relative.lastIndexOf("/")
        return {
          workflow: "ingestFile" as const,
          name: file.name,
          size: file.size,
          md5: createHash("md5").update(bytes).digest("hex"),
          completed: false,
          relative: file.relative,
          ...(run.workflow === "ingestFolder"
            ? { directory: slash < 0 ? "" : file.relative.slice(0, slash), externalId: file.relative }
            : {})
        }
      })
      return { run, path: run.workflow === "ingestFolder" ? root : Path.join(root, run.files[0]!.relative), sources }
    })
    const totalFiles = planned.reduce((a, p) => a + p.sources.length, 0)

    for (const rule of iconikFaults(options.faultRate)) yield* emulator.addFault(rule)
    for (const rule of storageFaults(options.faultRate)) yield* emulator.objectStore.addFault(rule)

    // Two socket runners, each process with an App-ID of its own.
    const env = { DATABASE_URL: url, ICONIK_BASE_URL: emulator.baseUrl }
    let processes = 0
    const generation = { A: 0, B: 0 }
    const labels = new Map<string, string>()
    const crashes: Array<string> = []
    const watchCrash = (runner: RunnerProcess) =>
      void runner.exited.then(() => {
        if (!runner.killed) crashes.push(`${runner.label} exited on its own (${runner.child.signalCode ?? runner.child.exitCode}): ${runner.output().slice(-400)}`)
      })
    // A restart goes on while the harness keeps watching: the next kill must not wait for it (work moves meanwhile).
    const launch = (slot: "A" | "B", afterMillis: number) => {
      const n = processes++
      const label = `${slot}${++generation[slot]}`
      labels.set(appIdOf(n), label)
      const ready = sleep(afterMillis).then(() => startRunner(label, n, env, runners)).then((runner) => {
        watchCrash(runner)
        return runner
      })
      ready.catch((error: unknown) => crashes.push(`${label} did not start: ${String(error).slice(0, 400)}`))
      return { label, ready }
    }
    const live = { A: launch("A", 0), B: launch("B", 0) }
    yield* Effect.promise(() => Promise.all([live.A.ready, live.B.ready]))

    const storageOf = (run: DurableRun) => emulator.storage("FILES", run.method)
    const submitted = new Map<number, string>()
    yield* Effect.gen(function*() {
      for (const p of planned) {
        const storage = storageOf(p.run)
        if (storage === undefined) return yield* Effect.die(new Error(`no ${p.run.method} FILES storage`))
        const transfer = { partSize: p.run.partSize, singlePutThreshold: p.run.singlePutThreshold, storageId: storage.id }
        const id = p.run.workflow === "ingestFolder"
          ? yield* Runs.submitIngestFolder({ folder: p.path, ...transfer })
          : yield* Runs.submitIngestFile({ file: p.path, ...transfer })
        submitted.set(p.run.index, id)
      }
    }).pipe(Effect.orDie)
    const submittedAt = performance.now()

    // Follow the runs, firing each kill when its share of files is CLOSED.
    const closedCount = () => [...emulator.state.files.values()].filter((f) => f.status === "CLOSED").length
    const states = new Map<number, RunList.RunStatus>()
    const kills: Array<KillEvent> = []
    let nextKill = 0
    let lastProgress = performance.now()
    const deadline = submittedAt + options.seedTimeoutSeconds * 1000
    while (performance.now() < deadline) {
      for (const p of planned) {
        if (states.has(p.run.index)) continue
        const status = yield* RunList.status(rowOf(p.run, submitted.get(p.run.index)!))
        if (ended(status.state)) states.set(p.run.index, status)
      }
      const allEnded = states.size === planned.length
      const share = closedCount() / totalFiles
      const kill = plan.kills[nextKill]
      if (kill !== undefined && (allEnded || share >= kill.afterClosed)) {
        nextKill++
        if (allEnded) {
          kills.push({ target: kill.target, killed: [], started: [], closedShare: share, atMillis: Math.round(performance.now() - submittedAt), fired: false })
          continue
        }
        const slots = kill.target === "cluster" ? (["A", "B"] as const) : [kill.target]
        // A runner still starting is killed once it is ready (it has joined the cluster and may hold work).
        const victims = yield* Effect.promise(() => Promise.all(slots.map((slot) => live[slot].ready)))
        yield* Effect.promise(() => sleep(kill.delayMillis))
        const at = Math.round(performance.now() - submittedAt)
        const shareNow = closedCount() / totalFiles
        const atEpochMillis = Date.now()
        yield* Effect.promise(() => Promise.all(victims.map(killRunner)))
        const fresh: Array<string> = []
        for (const slot of slots) {
          live[slot] = launch(slot, kill.restartAfterMillis)
          fresh.push(live[slot].label)
        }
        kills.push({ target: kill.target, killed: victims.map((r) => r.label), started: fresh, closedShare: shareNow, atMillis: at, atEpochMillis, fired: true })
        if (options.verbose) console.error(`  seed ${seed}: killed ${victims.map((r) => r.label).join(" ")} at ${at} ms (${(100 * shareNow).toFixed(0)} % CLOSED), started ${fresh.join(" ")}`)
        continue
      }
      if (allEnded && nextKill >= plan.kills.length) break
      if (performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now()
        console.error(
          `  seed ${seed}: ${closedCount()}/${totalFiles} files CLOSED, ${states.size}/${planned.length} runs ended, ${kills.length}/${plan.kills.length} kills (${(elapsed() / 1000).toFixed(0)} s)`
        )
      }
      yield* Effect.promise(() => sleep(250))
    }

    // Every run has ended (or the seed ran out of time): stop the runners before reading the final state.
    yield* Effect.promise(() => Promise.allSettled([live.A.ready, live.B.ready]))
    yield* Effect.promise(() => Promise.all(runners.map(killRunner)))
    const log = yield* emulator.requests
    const storageLog = yield* emulator.objectStore.requests

    const fileResults: Array<FileResult> = []
    const sources: Array<Source> = []
    const runStates: Record<string, number> = {}
    for (const p of planned) {
      const status = states.get(p.run.index)
      count(runStates, status?.state ?? "unfinished")
      const failureOf = (detail: unknown) => classify(exitOf(detail), undefined, log, storageLog)
      // Per file: how it ended, and why when it failed.
      const outcomes = new Map<string, { outcome: FileResult["outcome"]; failure: Failure | undefined }>()
      if (status === undefined) {
        for (const s of p.sources) outcomes.set(s.relative, { outcome: "unfinished", failure: timedOut(undefined, options.seedTimeoutSeconds) })
      } else if (status.state !== "complete") {
        const failure = status.state === "cancelled" ? timedOut(undefined, 0) : failureOf(status.detail)
        for (const s of p.sources) outcomes.set(s.relative, { outcome: "failed", failure })
      } else if (p.run.workflow === "ingestFile") {
        outcomes.set(p.sources[0]!.relative, { outcome: "ingested", failure: undefined })
      } else {
        const report = status.detail as IngestReport
        const children = new Map<string, RunList.RunRow>()
        for (const child of yield* RunList.children(status.executionId)) {
          if (typeof child.payload.item === "string") children.set(child.payload.item, child)
        }
        for (const item of report.ingested ?? []) outcomes.set(item.path, { outcome: "ingested", failure: undefined })
        for (const item of report.skipped ?? []) outcomes.set(item.path, { outcome: "skipped", failure: undefined })
        for (const item of report.failed ?? []) {
          const child = children.get(item.path)
          const childStatus = child === undefined ? undefined : yield* RunList.status(child)
          const detail = childStatus?.state === "failed"
            ? childStatus.detail
            : Object.assign(new Error(item.message), { _tag: item.reason })
          outcomes.set(item.path, { outcome: "failed", failure: failureOf(detail) })
        }
      }
      for (const s of p.sources) {
        const found = outcomes.get(s.relative) ?? {
          outcome: "failed" as const,
          failure: failureOf(new Error(`the folder's report does not list ${s.relative}`))
        }
        const { relative: _relative, ...source } = s
        // A file reported skipped must be held CLOSED by Iconik: checked as if completed.
        sources.push({ ...source, completed: found.outcome === "ingested" || found.outcome === "skipped" })
        fileResults.push({
          run: p.run.index,
          kind: p.run.kind,
          relative: s.relative,
          size: s.size,
          completed: found.outcome === "ingested" || found.outcome === "skipped",
          outcome: found.outcome,
          failure: found.failure,
          processes: []
        })
      }
    }

    // The runs as `iconik runs` lists them: every submitted run there once, ended as polled; a folder's children
    // account for each of its files.
    const listingProblems: Array<string> = []
    const listed = new Map((yield* RunList.list(10_000)).map((row) => [row.executionId, row]))
    for (const p of planned) {
      const id = submitted.get(p.run.index)!
      const row = listed.get(id)
      if (row === undefined) {
        listingProblems.push(`run ${p.run.index} (${id}) not listed`)
        continue
      }
      const shown = yield* RunList.status(row)
      const polled = states.get(p.run.index)?.state ?? "running"
      if (shown.state !== polled) listingProblems.push(`run ${p.run.index} listed ${shown.state}, polled ${polled}`)
      if (p.run.workflow === "ingestFolder" && polled === "complete") {
        const progress = yield* RunList.folderProgress(id)
        const report = states.get(p.run.index)!.detail as IngestReport
        // Every child ended, and the ones that completed are the files the report says were ingested.
        if (progress.done + progress.failed !== progress.started || progress.done !== (report.ingested?.length ?? 0)) {
          listingProblems.push(`folder run ${p.run.index}: children ${progress.started} started, ${progress.done} done, ${progress.failed} failed; report ${report.ingested?.length ?? 0} ingested, ${report.failed?.length ?? 0} failed`)
        }
      }
    }
    if (listed.size !== planned.length) listingProblems.push(`${listed.size} runs listed, ${planned.length} submitted`)

    // An upload started as its runner was SIGKILLed, still empty: the start's answer (its id or session URL) died with
    // the process, so nothing can name it, as with a lost answer (GCS drops such sessions after a week). Listed as
    // notices; one with bytes in it, or started away from any kill, stays an orphan.
    const full = yield* snapshot(emulator)
    const killTimes = kills.flatMap((k) => (k.atEpochMillis === undefined ? [] : [k.atEpochMillis]))
    const cutByKill = (p: (typeof full.pending)[number]) =>
      p.kind !== "blocks" && (p.bytes ?? 0) === 0 && (p.parts ?? 0) === 0 && p.startedAt !== undefined &&
      killTimes.some((t) => p.startedAt! >= t - killWindow.before && p.startedAt! <= t + killWindow.after)
    const state = { ...full, pending: full.pending.filter((p) => !cutByKill(p)) }
    const checked = check(state, sources, [], { lostB2Starts: lostB2Starts(log, state) })
    const killNotices = full.pending.filter(cutByKill).map((p) =>
      `empty upload started as its runner was killed: ${p.provider} ${p.kind} ${p.bucket}/${p.key}`
    )

    // Which runner processes worked on each file: the App-IDs of the requests on its asset.
    const assetOf = new Map<string, string>()
    for (const record of state.records) {
      if (record.kind !== "file" || record.status !== "CLOSED") continue
      const asset = state.assets.find((a) => a.id === record.assetId)
      if (asset !== undefined) assetOf.set(`${record.name}\u0000${record.directory ?? ""}\u0000${asset.externalId ?? ""}`, asset.id)
    }
    const byAsset = new Map<string, Array<string>>()
    for (const request of log) {
      const match = /\/assets\/([0-9a-f-]{36})/.exec(request.path)
      if (match === null || request.appId === undefined) continue
      const label = labels.get(request.appId)
      if (label === undefined) continue
      const seen = byAsset.get(match[1]!) ?? []
      if (!seen.includes(label)) seen.push(label)
      byAsset.set(match[1]!, seen)
    }
    const results = fileResults.map((r, i) => {
      const s = sources[i]!
      const asset = assetOf.get(`${s.name}\u0000${s.directory ?? ""}\u0000${s.externalId ?? ""}`)
      return asset === undefined ? r : { ...r, processes: byAsset.get(asset) ?? [] }
    })

    const pendingNearKills = full.pending.filter((p) => p.kind !== "blocks" && p.startedAt !== undefined).map((p) => {
      const nearest = kills.filter((k) => k.atEpochMillis !== undefined)
        .map((k) => ({ k, delta: k.atEpochMillis! - p.startedAt! }))
        .sort((a, b) => Math.abs(a.delta) - Math.abs(b.delta))[0]
      const when = nearest === undefined
        ? "no kill"
        : `${Math.abs(nearest.delta)} ms ${nearest.delta >= 0 ? "before" : "after"} the kill of ${nearest.k.killed.join(", ")}`
      return `${p.provider} ${p.kind} ${p.bucket}/${p.key}: ${p.parts ?? 0} parts, ${p.bytes ?? 0} bytes, started ${when}`
    })
    const failures: Record<string, number> = {}
    const notices: Record<string, number> = {}
    const byKind: DurableSeedResult["byKind"] = {}
    for (const r of results) if (r.failure !== undefined) count(failures, groupKey(r.failure))
    for (const n of [...checked.notices, ...killNotices]) count(notices, n.split(":")[0]!)
    for (const p of planned) {
      const k = (byKind[p.run.kind] ??= { runs: 0, complete: 0, files: 0, completed: 0 })
      k.runs++
      if (states.get(p.run.index)?.state === "complete") k.complete++
      const mine = results.filter((r) => r.run === p.run.index)
      k.files += mine.length
      k.completed += mine.filter((r) => r.completed).length
    }
    const counted = tally(checked.violations)
    const total = (invariant: keyof typeof counted) => Object.values(counted[invariant]).reduce((a, b) => a + b, 0)
    const completed = results.filter((r) => r.completed).length
    const failedRetryable = results.filter((r) => r.failure?.retryableByDesign === true).length
    const unfinished = results.filter((r) => r.outcome === "unfinished").length
    const fired = kills.filter((k) => k.fired)
    const clusterKills = fired.filter((k) => k.target === "cluster").length
    const reasons: Array<string> = []
    if (completed < 0.99 * results.length) reasons.push(`completed ${pct(completed, results.length)} < 99 %`)
    if (failedRetryable > 0) reasons.push(`${failedRetryable} failures with a cause retryable by design`)
    if (unfinished > 0) reasons.push(`${unfinished} files unfinished after ${options.seedTimeoutSeconds} s`)
    for (const invariant of ["corrupt", "duplicated", "orphaned"] as const) {
      if (total(invariant) > 0) reasons.push(`${total(invariant)} ${invariant}`)
    }
    if (clusterKills === 0) reasons.push("the whole-cluster kill did not fire before the work ended")
    if (listingProblems.length > 0) reasons.push(`${listingProblems.length} listing problem(s): ${listingProblems.join("; ")}`)
    if (crashes.length > 0) reasons.push(`${crashes.length} runner process(es) died on their own`)
    const result: DurableSeedResult = {
      seed,
      runs: planned.length,
      files: results.length,
      bytes: results.reduce((a, r) => a + r.size, 0),
      seconds: Math.round(elapsed() / 100) / 10,
      completed,
      failed: results.length - completed,
      failedRetryable,
      skipped: results.filter((r) => r.outcome === "skipped").length,
      unfinished,
      failures,
      corrupt: total("corrupt"),
      duplicated: total("duplicated"),
      orphaned: total("orphaned"),
      violations: counted,
      violationDetails: checked.violations,
      notices,
      byKind,
      runStates,
      listingProblems,
      runnerKills: fired.length - clusterKills,
      clusterKills,
      killsNotFired: kills.length - fired.length + (plan.kills.length - kills.length),
      processesStarted: processes,
      restarts: processes - 2,
      runnerCrashes: crashes,
      pendingNearKills,
      resumedOnAnotherRunner: results.filter((r) => r.processes.length > 1).length,
      kills,
      iconikRequests: log.length,
      iconikFaulted: log.filter((r) => r.fault !== undefined && r.fault !== "Latency").length,
      storageRequests: storageLog.length,
      storageFaulted: storageLog.filter((r) => r.fault !== undefined && r.fault !== "Delay").length,
      pass: reasons.length === 0,
      reasons,
      results
    }
    return result
  }).pipe(
    Effect.provide(Layer.mergeAll(Engine.layerPostgres({ url: Redacted.make(url), clientOnly: true }), platform))
  )

// ---------------------------------------------------------------------------------------------------------------
// The report

const pct = (n: number, of: number) => `${of === 0 ? "0" : ((100 * n) / of).toFixed(1)} %`


export const durableReport = (r: DurableSeedResult): string => {
  const lines = [
    `seed ${r.seed} (durable): ${r.runs} runs, ${r.files} files, ${(r.bytes / MiB).toFixed(1)} MiB in ${r.seconds} s; faulted ${pct(r.iconikFaulted, r.iconikRequests)} of ${r.iconikRequests} Iconik requests, ${pct(r.storageFaulted, r.storageRequests)} of ${r.storageRequests} storage requests`,
    `  kills: ${r.runnerKills} runner, ${r.clusterKills} whole cluster${r.killsNotFired > 0 ? ` (${r.killsNotFired} not fired: the work had ended)` : ""}; ${r.restarts} restarts; ${r.resumedOnAnotherRunner} files worked on by more than one runner process`,
    `  completed ${r.completed}/${r.files} files (${pct(r.completed, r.files)}, ${r.skipped} skipped as already ingested)  failed ${r.failed} (retryable by design ${r.failedRetryable})  corrupt ${r.corrupt}  duplicated ${r.duplicated}  orphaned ${r.orphaned}`,
    `  runs: ${sorted(r.runStates).map(([k, n]) => `${n} ${k}`).join(", ")} (${r.listingProblems.length === 0 ? "listed so by RunList, folder children matching" : `${r.listingProblems.length} listing problems`}); by kind: ${Object.entries(r.byKind).sort().map(([k, v]) => `${k} ${v.completed}/${v.files}`).join(", ")}`
  ]
  for (const k of r.kills) {
    lines.push(
      k.fired
        ? `    ${k.target === "cluster" ? "cluster" : `runner ${k.target}`} killed at ${(k.atMillis / 1000).toFixed(1)} s (${(100 * k.closedShare).toFixed(0)} % of files CLOSED): ${k.killed.join(", ")} → ${k.started.join(", ")}`
        : `    ${k.target === "cluster" ? "cluster" : `runner ${k.target}`} kill not fired: every run had ended`
    )
  }
  if (r.failed > 0) {
    lines.push("  failed, by cause:")
    for (const [key, n] of sorted(r.failures)) lines.push(`    ${String(n).padStart(4)} × ${key}`)
  }
  lines.push(...violationLines(r.violations))
  for (const v of r.violationDetails.slice(0, 10)) lines.push(`    ${v.invariant}: ${v.cause}: ${v.detail}`)
  for (const p of r.pendingNearKills) lines.push(`    pending: ${p}`)
  for (const c of r.runnerCrashes) lines.push(`  runner crash: ${c}`)
  const notices = sorted(r.notices)
  if (notices.length > 0) lines.push(`  notices (not counted): ${notices.map(([k, n]) => `${n} × ${k}`).join(", ")}`)
  lines.push(`  ${r.pass ? "PASS" : "FAIL"} seed ${r.seed} (durable)${r.pass ? "" : `: ${r.reasons.join("; ")}`}`)
  return lines.join("\n")
}
