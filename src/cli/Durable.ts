/**
 * The commands of the durable engine (`effect-iconik/durable`): `iconik worker` runs a runner against a PostgreSQL,
 * `iconik ingest … --database` submits an ingest to the runners and follows it, `iconik runs` lists, shows, resumes
 * and cancels runs. The engine, `@effect/sql-pg` and the durable workflows are loaded only by these commands (the
 * others do not pay for them). The database URL is `Redacted` from the flag or `DATABASE_URL` to the driver, and is
 * only ever printed without its password.
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import type { SqlClient } from "effect/sql"
import type { WorkflowEngine } from "effect/workflow"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as IngestFileModule from "../../durable/IngestFile.ts"
import type * as RunListModule from "../../durable/RunList.ts"
import type * as RunsModule from "../../durable/Runs.ts"
import type { IngestFolderReport } from "../../workflows/ingestFolder.ts"
import * as LocalFile from "../../workflows/LocalFile.ts"
import * as Options from "../../workflows/Options.ts"
import { scrubSecrets } from "../Redaction.ts"
import { StorageClient } from "../storage/StorageClient.ts"
import * as Connection from "./Connection.ts"
import { integerFlag, integerFlagOr, numberFlagOr } from "./Flags.ts"
import * as Output from "./Output.ts"
import { formatBytes } from "./ProgressBar.ts"

const MiB = 1024 * 1024

// ---------------------------------------------------------------------------------------------------------------
// The database

/** `--database`: the engine's PostgreSQL. */
export const databaseFlag = Flag.Redacted("database").pipe(
  Flag.withMetavar("URL"),
  Flag.withDescription(
    "PostgreSQL of the durable engine, postgres://user[:password]@host:port/database (default: $DATABASE_URL); " +
      "prefer the variable for a password, flags show in ps"
  ),
  Flag.optional
)

/** The database could not be reached, or refused the connection. */
export class DatabaseUnreachable extends Schema.TaggedError<DatabaseUnreachable>()("DatabaseUnreachable", {
  /** The URL without its password. */
  database: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `Could not connect to the database ${this.database}: ${this.detail}`
  }
}

/** A database URL as it may be printed: without its password (and without a query string, which may hold one). */
export const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.password = ""
    parsed.search = ""
    return parsed.toString()
  } catch {
    return "(not a URL)"
  }
}

const passwordOf = (url: string): string | undefined => {
  try {
    const password = decodeURIComponent(new URL(url).password)
    return password === "" ? undefined : password
  } catch {
    return undefined
  }
}

/** A connection failure's words (each distinct message down its chain of causes), without the password. */
const failureText = (cause: Cause.Cause<unknown>, url: string): string => {
  const said: Array<string> = []
  let error: unknown = Cause.squash(cause)
  for (let depth = 0; depth < 5 && error !== undefined && error !== null; depth++) {
    const text = error instanceof Error ? error.message : typeof error === "string" ? error : ""
    const code = typeof error === "object" && "code" in error && typeof error.code === "string" ? error.code : undefined
    const words = code !== undefined && !text.includes(code) ? `${text} (${code})` : text
    if (words.trim() !== "" && !said.some((earlier) => earlier.includes(words.trim()))) said.push(words.trim())
    error = typeof error === "object" && "cause" in error ? error.cause : undefined
  }
  const text = said.length === 0 ? "no details given" : said.join(": ")
  const password = passwordOf(url)
  return scrubSecrets(password === undefined ? text : text.split(password).join("***"), [Redacted.make(url)])
}

export interface Database {
  readonly url: Redacted.Redacted<string>
  /** For messages. */
  readonly display: string
}

/**
 * The database of `--database`, else `DATABASE_URL`: checked to be a `postgres://` URL (a usage error otherwise,
 * exit 2), and not read further.
 */
export const resolveDatabase = (flag: Option.Option<Redacted.Redacted<string>>): Effect.Effect<Database, Options.InvalidOption> =>
  Effect.gen(function*() {
    const given = Option.isSome(flag)
      ? flag
      : yield* Effect.orElseSucceed(Config.option(Config.Redacted("DATABASE_URL")), () => Option.none())
    if (Option.isNone(given) || Redacted.value(given.value).trim() === "") {
      return yield* new Options.InvalidOption({
        option: "--database",
        value: "none",
        expected: "a PostgreSQL URL (postgres://user@host:port/database), from --database or DATABASE_URL"
      })
    }
    const text = Redacted.value(given.value).trim()
    let protocol = ""
    try {
      protocol = new URL(text).protocol
    } catch {
      // reported below
    }
    if (protocol !== "postgres:" && protocol !== "postgresql:") {
      return yield* new Options.InvalidOption({
        option: "--database",
        value: protocol === "" ? "(not a URL)" : displayUrl(text),
        expected: "a PostgreSQL URL: postgres://user[:password]@host:port/database"
      })
    }
    return { url: Redacted.make(text), display: displayUrl(text) }
  })

/** The modules of the durable engine, loaded on first use. */
const load = Effect.promise(async () => {
  const [Engine, Runs, RunList, IngestFile, ClusterLimits, PgClient] = await Promise.all([
    import("../../durable/Engine.ts"),
    import("../../durable/Runs.ts"),
    import("../../durable/RunList.ts"),
    import("../../durable/IngestFile.ts"),
    import("../../durable/ClusterLimits.ts"),
    import("@effect/sql-pg/PgClient")
  ])
  return { Engine, Runs, RunList, IngestFile, ClusterLimits, PgClient }
})

/**
 * Connects to the database once (a short query, 10 s at most) so a wrong URL, a refused password or a server that is
 * down ends in one line ({@link DatabaseUnreachable}), and checks that it holds the engine's tables when `tables`.
 */
const probe = (database: Database, options: { readonly tables: boolean }) =>
  Effect.gen(function*() {
    const { PgClient, RunList } = yield* load
    const unreachable = (cause: Cause.Cause<unknown>) =>
      new DatabaseUnreachable({ database: database.display, detail: failureText(cause, Redacted.value(database.url)) })
    yield* Effect.gen(function*() {
      const { SqlClient } = yield* Effect.promise(() => import("effect/sql"))
      const sql = yield* SqlClient.SqlClient
      yield* sql`SELECT 1`.pipe(
        Effect.timeoutOrElse({
          duration: Duration.seconds(10),
          orElse: () => Effect.fail(new Error("no answer within 10 s"))
        }),
        Effect.catchCause((cause) => Effect.fail(unreachable(cause)))
      )
      if (options.tables) yield* RunList.requireTables(database.display)
    }).pipe(
      Effect.provide(PgClient.layer({ url: database.url, onnotice: () => {} } as import("@effect/sql-pg/PgClient").PgClientConfig)),
      Effect.catchCause((cause) => {
        const error = Cause.findErrorOption(cause)
        if (Option.isSome(error) && typeof error.value === "object" && error.value !== null && "_tag" in error.value) {
          const tag = (error.value as { _tag: string })._tag
          if (tag === "DatabaseUnreachable" || tag === "EngineTablesMissing") return Effect.failCause(cause)
        }
        return Effect.fail(unreachable(cause))
      }),
      Effect.scoped
    )
  })

/** The engine as a client of the runners: submits, polls, resumes, cancels; runs nothing. */
const clientEngine = (database: Database) =>
  Layer.unwrap(Effect.map(load, ({ Engine }) => Engine.layerPostgres({ url: database.url, clientOnly: true })))

// ---------------------------------------------------------------------------------------------------------------
// worker

const port = { min: 1, max: 65_535 }

export const workerFlags = {
  database: databaseFlag,
  runnerHost: Flag.String("runner-host").pipe(
    Flag.withDescription(
      "This runner's address for the other runners (several runners on one database; needs --runner-port). " +
        "Default: a single runner, which owns every shard"
    ),
    Flag.optional
  ),
  runnerPort: integerFlag("runner-port", "Port this runner listens on for the other runners (with --runner-host; default: 127.0.0.1)", port)
    .pipe(Flag.optional),
  concurrency: integerFlagOr("concurrency", "Uploads running at once on this worker", Options.ranges.concurrency, 4).pipe(
    Flag.withAlias("c")
  ),
  requestsPerSecond: numberFlagOr(
    "requests-per-second",
    "Iconik requests per second per App-ID, shared by every worker on the database",
    { min: 0, max: 10_000, minExclusive: true, describe: "above 0 to 10000" },
    48
  )
}

const stamp = () => new Date().toISOString()

/** A line for the worker's log: a run's start and end. */
const runLine = (executionId: string, workflow: string, payload: unknown, what: string) => {
  const item = typeof payload === "object" && payload !== null && "file" in payload
    ? ` ${String(payload.file)}`
    : typeof payload === "object" && payload !== null && "folder" in payload
    ? ` ${String(payload.folder)}`
    : ""
  return `${stamp()} run ${executionId} ${workflow}${item}: ${what}`
}

/**
 * The engine with every `register` wrapped so that each run's execution logs a line when it starts and when it
 * ends (an execution resumed after a crash or a hand-over starts again, and says so the same way).
 */
const loggingEngine: Layer.Layer<WorkflowEngine.WorkflowEngine, never, WorkflowEngine.WorkflowEngine> =
  Layer.unwrap(Effect.map(
    Effect.promise(() => import("effect/workflow")),
    ({ WorkflowEngine }) =>
      Layer.effect(
        WorkflowEngine.WorkflowEngine,
        Effect.gen(function*() {
          const inner = yield* WorkflowEngine.WorkflowEngine
          const logged = (workflow: string, payload: unknown, executionId: string) =>
          <A, E2, R2>(execute: Effect.Effect<A, E2, R2>) =>
            Effect.andThen(
              Output.note(runLine(executionId, workflow, payload, "started")),
              Effect.onExit(execute, (exit) => {
                if (exit._tag === "Success") return Output.note(runLine(executionId, workflow, payload, "complete"))
                if (Cause.hasInterruptsOnly(exit.cause)) {
                  return Output.note(runLine(executionId, workflow, payload, "stopped here (suspended, cancelled or handed over)"))
                }
                return Output.note(runLine(executionId, workflow, payload, `failed: ${failureWords(Cause.squash(exit.cause))}`))
              })
            )
          const register: typeof inner.register = (workflow, execute) =>
            inner.register(workflow, (payload, executionId) => logged(workflow._tag, payload, executionId)(execute(payload, executionId)))
          return WorkflowEngine.WorkflowEngine.of({ ...inner, register })
        })
      )
  ))

type WorkerArgs = {
  readonly [K in keyof typeof workerFlags]: (typeof workerFlags)[K] extends Flag.Flag<infer A> ? A : never
}

/** The body of `iconik worker`: runs until interrupted (Ctrl-C, SIGTERM), then hands its shards over. */
export const runWorker = (args: WorkerArgs, global: Connection.GlobalOptions) =>
  Output.reporting(
    global.json,
    Effect.gen(function*() {
      const database = yield* resolveDatabase(args.database)
      if (Option.isSome(args.runnerHost) !== Option.isSome(args.runnerPort) && Option.isNone(args.runnerPort)) {
        return yield* new Options.InvalidOption({ option: "--runner-host", value: args.runnerHost.pipe(Option.getOrElse(() => "")), expected: "--runner-port too" })
      }
      const credentials = yield* Connection.resolveCredentials(global)
      yield* probe(database, { tables: false })
      const { ClusterLimits, Engine, PgClient } = yield* load
      const runner = Option.isSome(args.runnerPort)
        ? { host: Option.getOrElse(args.runnerHost, () => "127.0.0.1"), port: args.runnerPort.value }
        : undefined
      const pg = PgClient.layer({ url: database.url, onnotice: () => {} } as import("@effect/sql-pg/PgClient").PgClientConfig)
      const limits = ClusterLimits.layerPg({ requestsPerSecond: args.requestsPerSecond }).pipe(Layer.provide(pg))
      // Uploads at once on this worker: a semaphore of its own (the cluster's request budget bounds the calls).
      const slots = Layer.effect(
        ClusterLimits.UploadSlots,
        Effect.map(Semaphore.make(args.concurrency), (semaphore) => ({
          withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Semaphore.withPermit(semaphore, effect)
        }))
      )
      const iconik = ClusterLimits.layerClient({ ...credentials }).pipe(
        Layer.provide(NodeHttpClient.layerNodeHttpOptions({ keepAlive: true }))
      )
      const engine = Engine.layerPostgres({ url: database.url, runner })
      const app = Engine.workflows.pipe(
        Layer.provide(loggingEngine),
        Layer.provide(engine),
        Layer.provide(Layer.mergeAll(iconik, StorageClient.layer, slots)),
        Layer.provide(limits)
      )
      return yield* Effect.scoped(Effect.gen(function*() {
        // Said once the engine runs (its tables made, its shards taken): from then on submitted runs are picked up.
        yield* Layer.build(app)
        yield* Output.note(
          `${stamp()} worker on ${database.display}${runner === undefined ? " (single runner)" : ` as runner ${runner.host}:${runner.port}`}, ` +
            `${args.concurrency} uploads at once, ${args.requestsPerSecond} requests/s per App-ID for the cluster; Ctrl-C stops it`
        )
        return yield* Effect.never
      })).pipe(
        Effect.onInterrupt(() =>
          Output.note(`${stamp()} worker stopped; its runs continue on the other runners, or when a worker starts again`)
        )
      )
    })
  )

// ---------------------------------------------------------------------------------------------------------------
// ingest --database

export interface DurableIngestArgs {
  readonly path: string
  readonly database: Option.Option<Redacted.Redacted<string>>
  readonly detach: boolean
  readonly title: Option.Option<string>
  readonly collectionId: Option.Option<string>
  readonly storageId: Option.Option<string>
  readonly concurrency: number
  readonly partSize: number
  readonly transcode: boolean
  readonly noWait: boolean
  readonly noSkip: boolean
  readonly followSymlinks: boolean
  readonly keepOnFailure: boolean
}

const failureWords = (error: unknown) =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

const failureReason = (error: unknown) =>
  typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "Failed"

const ended = (state: { readonly _tag: string }) => state._tag === "Succeeded" || state._tag === "Failed"

/** What a submission may use: the engine and its database (provided by {@link submitAndFollow}), the local files. */
type SubmissionContext = WorkflowEngine.WorkflowEngine | SqlClient.SqlClient | FileSystem.FileSystem | Path.Path

/** What {@link submitAndFollow} submits, and how it shows the run while it goes and once it has ended. */
export interface Submission<A> {
  readonly workflow: RunsModule.WorkflowName
  /** What the run works on (a file, a folder, a CSV), for the lines printed. */
  readonly path: string
  /** Hands the run to the engine; its execution id (the same input again: the same id). */
  readonly submit: (modules: Effect.Success<typeof load>) => Effect.Effect<string, unknown, SubmissionContext>
  /** A line saying how far the run is (printed when it changes), if the run can say. */
  readonly progress?:
    | ((executionId: string, modules: Effect.Success<typeof load>) => Effect.Effect<string, unknown, SubmissionContext>)
    | undefined
  /** Prints the result of a run that succeeded (as the plain command prints it). */
  readonly succeeded: (result: A, executionId: string) => Effect.Effect<void, unknown, SubmissionContext>
  /** A run's failure that is an answer, not an error (e.g. "the proxy is up already"): handled, else it fails. */
  readonly failed?: ((error: unknown, executionId: string) => Option.Option<Effect.Effect<void, unknown, SubmissionContext>>) | undefined
}

/**
 * A command's `--database` form: the database checked (see {@link resolveDatabase}), then `submission` prepared
 * (reading what it submits), then the run submitted to the workers and followed until it ends (Ctrl-C detaches: the
 * run goes on), or, with `detach`, its id printed at once.
 */
export const onWorkers = <A, E, R>(
  databaseOption: Option.Option<Redacted.Redacted<string>>,
  detach: boolean,
  global: Connection.GlobalOptions,
  submission: Effect.Effect<Submission<A>, E, R>
) =>
  Output.reporting(
    global.json,
    Effect.gen(function*() {
      const database = yield* resolveDatabase(databaseOption)
      return yield* submitAndFollow(database, detach, global, yield* submission)
    })
  )

const submitAndFollow = <A>(
  database: Database,
  detach: boolean,
  global: Connection.GlobalOptions,
  submission: Submission<A>
) =>
    Effect.gen(function*() {
      yield* probe(database, { tables: false })
      const modules = yield* load
      const { workflow, path } = submission
      const body = Effect.gen(function*() {
        // Submitting the same input again joins its run (same execution id): a rerun after a detach is harmless.
        const executionId = yield* submission.submit(modules)
        const again = `iconik runs show ${executionId}`
        if (detach) {
          return yield* Output.result(global.json, { executionId, workflow, path }, () => [
            `Submitted run ${executionId} for ${path}`,
            `The workers do the work; follow it with: ${again}`
          ])
        }
        yield* Output.note(`Submitted run ${executionId} to the workers on ${database.display}; Ctrl-C stops following (the work goes on)`)
        let last = ""
        const show = Effect.gen(function*() {
          if (submission.progress === undefined || global.quiet) return
          const line = yield* submission.progress(executionId, modules)
          if (line === last) return
          last = line
          yield* Output.note(line)
        })
        const final = yield* Effect.gen(function*() {
          while (true) {
            const state = yield* modules.Runs.poll(workflow, executionId)
            if (ended(state)) return state
            yield* show
            yield* Effect.sleep(Duration.seconds(1))
          }
        }).pipe(
          Effect.onInterrupt(() =>
            Output.note(`Detached: run ${executionId} goes on on the workers; follow it again with: ${again}`)
          )
        )
        if (final._tag === "Failed") {
          const handled = submission.failed?.(final.error, executionId) ?? Option.none()
          return yield* Option.isSome(handled) ? handled.value : Effect.fail(final.error)
        }
        if (final._tag === "Succeeded") return yield* submission.succeeded(final.result as A, executionId)
      })
      return yield* body.pipe(Effect.provide(Layer.merge(clientEngine(database), modules.Engine.layerSql(database.url))))
    })

/**
 * The body of `iconik ingest … --database`: one run for a file, or for a folder whose files become runs of their own
 * on any worker.
 */
export const runDurableIngest = (args: DurableIngestArgs, global: Connection.GlobalOptions) =>
  onWorkers(args.database, args.detach, global, Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const paths = yield* Path.Path
    const absolute = paths.resolve(args.path)
    const info = yield* fs.stat(absolute).pipe(
      Effect.mapError(() => new LocalFile.LocalFileError({ path: absolute, reason: "NotFound", detail: "" }))
    )
    const folder = info.type === "Directory"
    // The workers read the same paths: the folder is listed here only to say how many files to expect.
    const listing = folder ? yield* LocalFile.listFolder(absolute, { followSymlinks: args.followSymlinks }) : undefined
    const common = {
      collectionId: Option.getOrUndefined(args.collectionId),
      storageId: Option.getOrUndefined(args.storageId),
      partSize: args.partSize * MiB,
      transcode: args.transcode,
      wait: !args.noWait,
      onFailure: args.keepOnFailure ? "keep" as const : "delete" as const
    }
    const files = listing?.files.length ?? 1
    const finished = new Map<string, RunListModule.RunStatus>()
    const showFile = (executionId: string, result: IngestFileModule.IngestFileResult) =>
      Output.result(global.json, { executionId, ...result }, () =>
        `Asset ${result.assetId}: file ${result.fileId} CLOSED, ${formatBytes(Number(info.size))} (run ${executionId})`)
    const showFolder = (executionId: string, report: IngestFolderReport) =>
      Effect.gen(function*() {
        yield* Output.result(global.json, { executionId, ...report }, () => [
          `${report.folder}: ${report.ingested.length} ingested, ${report.skipped.length} skipped, ${report.failed.length} failed (${report.files} files, ${formatBytes(report.bytes)}; run ${executionId})`,
          ...report.ingested.map((i) => `  ingested ${i.path} → asset ${i.assetId}${i.resumed ? " (resumed)" : ""}`),
          ...report.skipped.map((s) => `  skipped  ${s.path}: ${s.reason}`),
          ...report.failed.map((f) => `  FAILED   ${f.path}: ${f.reason}: ${f.message}`)
        ])
        if (report.failed.length > 0) return yield* Output.partial(report.failed.length, report.files, "files")
      })
    return {
      workflow: folder ? "effect-iconik/ingestFolder" : "effect-iconik/ingestFile",
      path: absolute,
      submit: ({ Runs }) =>
        folder
          ? Runs.submitIngestFolder({
            ...common,
            folder: absolute,
            concurrency: args.concurrency,
            skipExisting: !args.noSkip,
            followSymlinks: args.followSymlinks
          })
          : Runs.submitIngestFile({ ...common, file: absolute, title: Option.getOrUndefined(args.title), concurrency: args.concurrency }),
      progress: (executionId, { RunList }) =>
        folder
          ? Effect.map(RunList.folderProgress(executionId, finished), (p) =>
            `${p.done}/${files} files done, ${p.failed} failed, ${formatBytes(p.bytes)}`)
          : Effect.succeed("1 file in progress"),
      succeeded: (result, executionId) =>
        folder ? showFolder(executionId, result as IngestFolderReport) : showFile(executionId, result as IngestFileModule.IngestFileResult)
    } satisfies Submission<unknown>
  }))

// ---------------------------------------------------------------------------------------------------------------
// runs

type RunStatus = RunListModule.RunStatus

const runFile = (run: RunStatus) =>
  typeof run.payload.file === "string" ? run.payload.file : typeof run.payload.folder === "string" ? run.payload.folder : ""

type Shown = RunStatus & { readonly files?: RunListModule.FolderProgress | undefined }

/** A run with, for a folder, how far its files are. */
const withFiles = (run: RunStatus) =>
  Effect.gen(function*() {
    if (run.workflow !== "effect-iconik/ingestFolder") return run as Shown
    const { RunList } = yield* load
    return { ...run, files: yield* RunList.folderProgress(run.executionId) } as Shown
  })

const filesText = (run: Shown) => {
  if (run.files === undefined) return ""
  const report = run.state === "complete" ? run.detail as IngestFolderReport : undefined
  if (report !== undefined) {
    return ` (${report.files} files: ${report.ingested.length} ingested, ${report.skipped.length} skipped, ${report.failed.length} failed)`
  }
  return ` (${run.files.done}/${run.files.started} files done${run.files.failed > 0 ? `, ${run.files.failed} failed` : ""})`
}

const stateText = (run: RunStatus) => {
  if (run.state === "failed") return `failed: ${failureWords(run.detail)}`
  if (run.state === "suspended") return `suspended${run.detail === undefined ? "" : `: ${String(run.detail)}`}`
  return run.state
}

const runJson = (run: Shown) => ({
  executionId: run.executionId,
  workflow: run.workflow,
  state: run.state,
  submittedAt: new Date(run.submittedAt).toISOString(),
  file: runFile(run) || undefined,
  ...(run.files === undefined ? {} : { files: run.files }),
  ...(run.state === "complete" ? { result: run.detail } : {}),
  ...(run.state === "failed" ? { error: { reason: failureReason(run.detail), message: failureWords(run.detail) } } : {})
})

/** Runs `body` with the engine (client only) and its database, checked first. */
const withRuns = <A, E, R>(
  databaseOption: Option.Option<Redacted.Redacted<string>>,
  global: Connection.GlobalOptions,
  body: (database: Database) => Effect.Effect<A, E, R>
) =>
  Output.reporting(
    global.json,
    Effect.gen(function*() {
      const database = yield* resolveDatabase(databaseOption)
      yield* probe(database, { tables: true })
      const { Engine } = yield* load
      return yield* body(database).pipe(
        Effect.provide(Layer.merge(clientEngine(database), Engine.layerSql(database.url)))
      )
    })
  )

const limitFlag = integerFlagOr("limit", "Show the newest this many runs", { min: 1, max: 10_000 }, 50)

const runIdArgument = Argument.String("run-id").pipe(Argument.withDescription("The run's id (`iconik runs` lists them)"))

const statusOf = (executionId: string) =>
  Effect.gen(function*() {
    const { RunList } = yield* load
    return yield* withFiles(yield* RunList.status(yield* RunList.find(executionId)))
  })

export const runsCommand = <R>(root: Effect.Effect<Connection.GlobalOptions, never, R>) => {
  const show = Command.make("show", { runId: runIdArgument, database: databaseFlag }, (args) =>
    Effect.flatMap(root, (global) =>
      withRuns(args.database, global, () =>
        Effect.gen(function*() {
          const run = yield* statusOf(args.runId)
          yield* Output.result(global.json, runJson(run), () => [
            `Run ${run.executionId} (${run.workflow}): ${stateText(run)}${filesText(run)}`,
            `  submitted ${new Date(run.submittedAt).toISOString()}`,
            ...(runFile(run) === "" ? [] : [`  file ${runFile(run)}`]),
            ...(run.state === "complete" && typeof run.detail === "object" && run.detail !== null && "assetId" in run.detail
              ? [`  asset ${String(run.detail.assetId)}`]
              : [])
          ])
        })))).pipe(Command.withDescription("One run: its state, file and result (or why it failed)"))

  /** A run in one of these states will not change again: nothing to resume or cancel. */
  const hasEnded = (run: { readonly state: string }) =>
    run.state === "complete" || run.state === "failed" || run.state === "cancelled"

  /**
   * A subcommand acting on a run that has not ended; one that has is reported as it is (`{…, [done]: false}`), with
   * nothing sent.
   */
  const onLiveRun = <A, E, R>(
    verb: "resume" | "cancel",
    done: "resumed" | "cancelled",
    act: (run: Shown, global: Connection.GlobalOptions) => Effect.Effect<A, E, R>
  ) =>
    Command.make(verb, { runId: runIdArgument, database: databaseFlag }, (args) =>
      Effect.flatMap(root, (global) =>
        withRuns(args.database, global, () =>
          Effect.gen(function*() {
            const run = yield* statusOf(args.runId)
            if (hasEnded(run)) {
              return yield* Output.result(global.json, { ...runJson(run), [done]: false }, () =>
                `Run ${run.executionId} has ended (${run.state}): nothing to ${verb}`)
            }
            return yield* act(run, global)
          }))))

  const resume = onLiveRun("resume", "resumed", (run, global) =>
    Effect.gen(function*() {
      const { Runs } = yield* load
      yield* Runs.resume(run.workflow, run.executionId)
      yield* Output.result(global.json, { ...runJson(run), resumed: true }, () =>
        `Run ${run.executionId}: asked the workers to resume it (it was ${run.state})`)
    })).pipe(Command.withDescription("Wake a suspended run; the workers continue it from its last completed step"))

  const cancel = onLiveRun("cancel", "cancelled", (run, global) =>
    Effect.gen(function*() {
      const { Runs } = yield* load
      yield* Runs.cancel(run.workflow, run.executionId)
      // The worker stops the run and then cleans up (upload aborted, record FAILED, asset deleted): wait for its end.
      const ended = yield* Runs.join(run.workflow, run.executionId, { every: 500 }).pipe(
        Effect.timeoutOption(Duration.seconds(60))
      )
      yield* Output.result(global.json, { ...runJson(run), cancelled: true, ended: Option.isSome(ended) }, () =>
        Option.isSome(ended)
          ? `Run ${run.executionId} cancelled: its upload aborted, what it made cleaned up${run.workflow === "effect-iconik/ingestFolder" ? " (its files' runs are cancelled too; CLOSED files are kept)" : ""}`
          : `Run ${run.executionId}: cancel sent; no worker has ended it yet (it ends when a worker picks it up)`)
    })).pipe(
      Command.withDescription("Stop a run and clean up what it made: its upload aborted, its record FAILED, its new asset deleted")
    )

  const prune = Command.make("prune", {
    database: databaseFlag,
    olderThanDays: numberFlagOr(
      "older-than-days",
      "Delete runs that finished at least this many days ago (0: every finished run)",
      { min: 0, max: 36_500 },
      7
    )
  }, (args) =>
    Effect.flatMap(root, (global) =>
      withRuns(args.database, global, () =>
        Effect.gen(function*() {
          const { RunList } = yield* load
          const finishedBefore = new Date(Date.now() - args.olderThanDays * 86_400_000)
          const pruned = yield* RunList.pruneFinished({ finishedBefore })
          yield* Output.result(global.json, { pruned, finishedBefore: finishedBefore.toISOString() }, () =>
            `Pruned ${pruned} finished run${pruned === 1 ? "" : "s"} (finished before ${finishedBefore.toISOString()}); running and suspended runs are kept`)
        })))).pipe(
      Command.withDescription(
        "Delete what finished runs keep in the database (their messages, replies and checkpoints); a pruned run " +
          "submitted again runs again"
      )
    )

  return Command.make("runs", { database: databaseFlag, limit: limitFlag }, (args) =>
    Effect.flatMap(root, (global) =>
      withRuns(args.database, global, () =>
        Effect.gen(function*() {
          const { RunList } = yield* load
          const rows = yield* RunList.list(args.limit)
          const runs = yield* Effect.forEach(rows, (row) => Effect.flatMap(RunList.status(row), withFiles), { concurrency: 8 })
          yield* Output.result(global.json, runs.map(runJson), () =>
            runs.length === 0
              ? "No runs"
              : [
                "RUN\tSTATE\tSUBMITTED\tWORKFLOW\tFILE",
                ...runs.map((run) =>
                  `${run.executionId}\t${stateText(run)}${filesText(run)}\t${new Date(run.submittedAt).toISOString()}\t${run.workflow}\t${runFile(run)}`
                )
              ])
        })))).pipe(
    Command.withDescription("The durable engine's runs and their state (running, suspended, complete, failed), newest first"),
    Command.withSubcommands([show, resume, cancel, prune]),
    Command.withExamples([
      { command: "iconik runs --database postgres://iconik@db:5432/iconik", description: "List runs" },
      { command: "iconik runs cancel 1f2e…", description: "Stop a run; what it made is cleaned up" },
      { command: "iconik runs prune --older-than-days 30", description: "Forget runs that finished a month ago" }
    ])
  )
}

export const workerCommand = <R>(root: Effect.Effect<Connection.GlobalOptions, never, R>) =>
  Command.make("worker", workerFlags, (args) => Effect.flatMap(root, (global) => runWorker(args, global))).pipe(
    Command.withDescription(
      "Run a durable-engine runner against a PostgreSQL until Ctrl-C (its shards go to the other runners); it runs " +
        "the ingests `iconik ingest … --database` submits"
    ),
    Command.withExamples([
      { command: "DATABASE_URL=postgres://iconik@db/iconik iconik worker", description: "One runner" },
      { command: "iconik worker --database postgres://iconik@db/iconik --runner-host 10.0.0.5 --runner-port 34431", description: "One of several runners" }
    ])
  )
