/**
 * The `iconik` command: workflows from the shell. Every command reads credentials from the environment (or flags),
 * draws progress on stderr, prints its result on stdout (JSON with `--json`) and exits with a code that says what
 * went wrong (see `Failure.ExitCode` and docs/cli.md).
 */
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import type * as jobs from "../generated/jobs.ts"
import * as Jobs from "../Jobs.ts"
import * as Metadata from "../Metadata.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { ingestFolder, type SkippedItem } from "../../workflows/ingestFolder.ts"
import * as LocalFile from "../../workflows/LocalFile.ts"
import * as Options from "../../workflows/Options.ts"
import * as Progress from "../../workflows/Progress.ts"
import { exportMetadata, exportMetadataCsv, importMetadata, type MetadataImportReport } from "../../workflows/metadataCsv.ts"
import { searchAll } from "../../workflows/searchAll.ts"
import { type ProxyAlreadyUploaded, uploadProxy, type UploadProxyResult } from "../../workflows/uploadProxy.ts"
import * as Connection from "./Connection.ts"
import { integerFlag, integerFlagOr, numberFlag, numberFlagOr, switchFlag, textFlag } from "./Flags.ts"
import { downloadCommand } from "./Download.ts"
import * as Durable from "./Durable.ts"
import * as Interrupted from "./Interrupted.ts"
import { ExitCode } from "./Failure.ts"
import * as Output from "./Output.ts"
import { formatBytes, withProgressBar } from "./ProgressBar.ts"

const MiB = 1024 * 1024

/** The package's version, from the package.json above this file (in `src/cli/` or, compiled, `dist/src/cli/`). */
export const version: string = (() => {
  const require = createRequire(import.meta.url)
  for (const candidate of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string }
      if (pkg.name === "effect-iconik" && typeof pkg.version === "string") return pkg.version
    } catch {
      // not there: try the next one up
    }
  }
  return "0.0.0"
})()

// ---------------------------------------------------------------------------------------------------------------
// Shared flags

const root = Command.make("iconik").pipe(
  Command.withSharedFlags(Connection.globalFlags),
  Command.withDescription(
    "Iconik from the shell: upload proxies, ingest files and folders, search, move metadata through CSV, watch jobs. " +
      "Credentials come from ICONIK_APP_ID / ICONIK_AUTH_TOKEN / ICONIK_BASE_URL."
  )
)

/** The accepted range of every numeric flag. */
const flagRanges = {
  concurrency: Options.ranges.concurrency,
  /** Whole MiB (so GCS's 256 KiB multiples hold): S3's smallest part to its largest. */
  partSizeMiB: { min: 5, max: 5 * 1024, describe: "5 to 5120 MiB" },
  /** Iconik caps `per_page` at 1000. */
  perPage: { min: 1, max: 1000 },
  limit: { min: 1, max: Number.MAX_SAFE_INTEGER, describe: "1 upwards" },
  interval: { min: 0, max: 86_400, minExclusive: true, describe: "above 0 to 86400 seconds" },
  timeout: { min: 0, max: Number.MAX_SAFE_INTEGER, minExclusive: true, describe: "above 0" },
  port: { min: 0, max: 65_535 },
  /** MiB of sample media the demo writes. */
  demoSizeMiB: { min: 1, max: 1024, describe: "1 to 1024 MiB" }
} as const

const concurrency = integerFlagOr("concurrency", "Uploads in flight (parts, files) at once", flagRanges.concurrency, 4).pipe(
  Flag.withAlias("c")
)
const partSize = integerFlagOr("part-size", "Part size in MiB for multipart uploads", flagRanges.partSizeMiB, 8)
const storageId = Flag.String("storage-id").pipe(
  Flag.withDescription("Storage to upload to (default: Iconik's default storage for the purpose)"),
  Flag.optional
)
const noWait = switchFlag("no-wait", "Start the job, do not wait for it")
const keepOnFailure = switchFlag(
  "keep-on-failure",
  "On failure or Ctrl-C, keep the partial upload and its record so a rerun resumes it"
)
const detach = switchFlag("detach", "With --database: submit and return at once (prints the run id)")

/** Runs a command body with the Iconik and storage clients, reporting failures. */
const withIconik = <A, E, R>(
  body: (global: Connection.GlobalOptions) => Effect.Effect<A, E, R>,
  observe?: Connection.Observer
) =>
  Effect.flatMap(root, (global) =>
    Output.reporting(global.json, Effect.provide(body(global), Connection.layer(global, observe))))

/**
 * Runs an upload command's workflow so that Ctrl-C ends with one line on stderr saying what was cleaned up or kept
 * and whether a rerun resumes (after the workflow's own clean-up: its finalizers run first).
 */
const withInterruptReport = (options: Interrupted.TrackerOptions) => {
  const tracker = Interrupted.make(options)
  return {
    observe: tracker,
    run: <A, E, R>(workflow: Effect.Effect<A, E, R>) =>
      Progress.tap(workflow, tracker.onEvent).pipe(Effect.onInterrupt(() => tracker.report))
  }
}

const progressFor = (global: Connection.GlobalOptions) => ({ enabled: !global.quiet })

// ---------------------------------------------------------------------------------------------------------------
// upload-proxy

/** The result lines of an upload-proxy, plain or durable. */
const showProxy = (global: Connection.GlobalOptions, result: UploadProxyResult, executionId?: string) =>
  Output.result(global.json, executionId === undefined ? result : { executionId, ...result }, () => [
    `Proxy ${result.proxyId} CLOSED on asset ${result.assetId}: ${formatBytes(result.size)} via ${result.transfer.method} ${result.transfer.strategy}` +
    (result.transfer.resumed ? ` (resumed, ${result.transfer.partsUploaded} of ${result.transfer.partsTotal} parts sent)` : "") +
    (executionId === undefined ? "" : ` (run ${executionId})`),
    ...(result.keyframesJobId === undefined ? [] : [`Keyframes job ${result.keyframesJobId}: ${result.keyframesJobStatus ?? "started"}`])
  ])

/** A rerun after the proxy went up: done already, nothing to do (exit 0). */
const showProxyAlreadyUploaded = (
  global: Connection.GlobalOptions,
  already: Pick<ProxyAlreadyUploaded, "assetId" | "proxyId" | "name" | "size">
) =>
  Output.result(
    global.json,
    { assetId: already.assetId, proxyId: already.proxyId, size: already.size, alreadyUploaded: true },
    () =>
      `Proxy ${already.proxyId} of ${already.name} already uploaded (CLOSED) on asset ${already.assetId}: nothing uploaded (--new-proxy uploads another)`
  )

const isProxyAlreadyUploaded = (error: unknown): error is Pick<ProxyAlreadyUploaded, "assetId" | "proxyId" | "name" | "size"> =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "ProxyAlreadyUploaded"

const uploadProxyCommand = Command.make(
  "upload-proxy",
  {
    file: Argument.String("file").pipe(Argument.withDescription("The proxy media file")),
    assetId: Flag.String("asset-id").pipe(Flag.withDescription("The asset the proxy belongs to")),
    storageId,
    concurrency,
    partSize,
    keyframes: switchFlag("keyframes", "Make keyframes and a poster from the proxy once uploaded"),
    noWait,
    keepOnFailure,
    newProxy: switchFlag("new-proxy", "Upload a new proxy even when the asset holds this file's proxy (same name and size) already"),
    database: Durable.databaseFlag.pipe(
      Flag.withDescription("Submit the upload to the durable engine's workers on this PostgreSQL and follow it (Ctrl-C detaches)")
    ),
    detach
  },
  (args) => {
    const options = {
      assetId: args.assetId,
      file: args.file,
      storageId: Option.getOrUndefined(args.storageId),
      concurrency: args.concurrency,
      partSize: args.partSize * MiB,
      keyframes: args.keyframes,
      wait: !args.noWait,
      onFailure: args.keepOnFailure ? "keep" as const : "fail" as const,
      newProxy: args.newProxy
    }
    if (Option.isSome(args.database)) {
      return Effect.flatMap(root, (global) =>
        Durable.onWorkers(args.database, args.detach, global, Effect.gen(function*() {
          return {
            workflow: "effect-iconik/uploadProxy",
            path: (yield* Path.Path).resolve(args.file),
            submit: ({ Runs }) => Runs.submitUploadProxy(options),
            succeeded: (result, executionId) => showProxy(global, result, executionId),
            failed: (error) => isProxyAlreadyUploaded(error) ? Option.some(showProxyAlreadyUploaded(global, error)) : Option.none()
          } satisfies Durable.Submission<UploadProxyResult>
        })))
    }
    const interrupt = withInterruptReport({ command: "upload-proxy", keep: args.keepOnFailure, path: args.file })
    return withIconik((global) =>
      withProgressBar(uploadProxy(options), progressFor(global)).pipe(
        interrupt.run,
        Effect.flatMap((result) => showProxy(global, result)),
        Effect.catchTag("ProxyAlreadyUploaded", (already) => showProxyAlreadyUploaded(global, already))
      ), interrupt.observe)
  }
).pipe(
  Command.withDescription(
    "Upload a proxy for an asset (S3 multipart, GCS, Azure, B2), close it, optionally make keyframes; a rerun resumes " +
      "or, once the proxy is up, uploads nothing"
  ),
  Command.withExamples([
    { command: "iconik upload-proxy clip.mp4 --asset-id 7f1c… --keyframes", description: "Upload and make keyframes" },
    { command: "iconik upload-proxy clip.mp4 --asset-id 7f1c… --database postgres://iconik@db/iconik", description: "Hand it to the workers" }
  ])
)

// ---------------------------------------------------------------------------------------------------------------
// ingest

const skipText = (skipped: SkippedItem): string => {
  switch (skipped.reason) {
    case "AlreadyIngested":
      return `already in Iconik${skipped.assetId ? ` (asset ${skipped.assetId})` : ""}`
    case "Symlink":
      return `symbolic link to ${skipped.detail ?? "?"} (--follow-symlinks follows links inside the folder)`
    case "SymlinkOutsideFolder":
      return `symbolic link out of the folder, to ${skipped.detail ?? "?"}`
    case "SymlinkLoop":
      return `symbolic link to a folder above it (${skipped.detail ?? "?"}): a loop`
    case "BrokenSymlink":
      return `broken symbolic link (to ${skipped.detail ?? "?"})`
    case "NotAFile":
      return `not a regular file (${skipped.detail ?? "?"})`
  }
}

const ingestCommand = Command.make(
  "ingest",
  {
    path: Argument.String("path").pipe(Argument.withDescription("A file, or a folder to ingest every file of")),
    title: Flag.String("title").pipe(Flag.withDescription("Asset title (a single file; default: its name)"), Flag.optional),
    collectionId: Flag.String("collection-id").pipe(Flag.withDescription("Put the asset(s) in this collection"), Flag.optional),
    storageId,
    concurrency,
    partSize,
    transcode: switchFlag("transcode", "Start Iconik's proxy + keyframes transcode for each original"),
    noWait,
    noSkip: switchFlag("no-skip-existing", "Folder: ingest files even when Iconik already holds the same content in the same place"),
    followSymlinks: switchFlag(
      "follow-symlinks",
      "Folder: follow symbolic links that stay inside it (default: links are skipped and reported)"
    ),
    keepOnFailure,
    database: Durable.databaseFlag.pipe(
      Flag.withDescription("Submit the ingest to the durable engine's workers on this PostgreSQL and follow it (Ctrl-C detaches)")
    ),
    detach
  },
  (args) => {
    if (Option.isSome(args.database)) return Effect.flatMap(root, (global) => Durable.runDurableIngest(args, global))
    const interrupt = withInterruptReport({ command: "ingest", keep: args.keepOnFailure, path: args.path })
    return withIconik((global) =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const common = {
          collectionId: Option.getOrUndefined(args.collectionId),
          storageId: Option.getOrUndefined(args.storageId),
          concurrency: args.concurrency,
          partSize: args.partSize * MiB,
          transcode: args.transcode,
          wait: !args.noWait,
          onFailure: args.keepOnFailure ? "keep" as const : "delete" as const
        }
        const info = yield* Effect.option(fs.stat(args.path))
        if (Option.isSome(info) && info.value.type === "Directory") {
          const report = yield* interrupt.run(withProgressBar(
            ingestFolder({ ...common, folder: args.path, skipExisting: !args.noSkip, followSymlinks: args.followSymlinks }),
            progressFor(global)
          ))
          yield* Output.result(global.json, report, () => [
            `${report.folder}: ${report.ingested.length} ingested, ${report.skipped.length} skipped, ${report.failed.length} failed (${report.files} files, ${formatBytes(report.bytes)})`,
            ...report.ingested.map((i) => `  ingested ${i.path} → asset ${i.assetId}${i.resumed ? " (resumed)" : ""}`),
            ...report.skipped.map((s) => `  skipped  ${s.path}: ${skipText(s)}`),
            ...report.failed.map((f) => `  FAILED   ${f.path}: ${f.reason}: ${f.message}`)
          ])
          if (report.failed.length > 0) return yield* Output.partial(report.failed.length, report.files, "files")
          return
        }
        const result = yield* interrupt.run(withProgressBar(
          ingestFile({ ...common, file: args.path, title: Option.getOrUndefined(args.title) }),
          progressFor(global)
        ))
        yield* Output.result(global.json, result, () => [
          `Asset ${result.assetId}: file ${result.fileId} CLOSED, ${formatBytes(result.size)} via ${result.transfer.method} ${result.transfer.strategy}` +
          (result.transfer.resumed ? " (resumed)" : ""),
          ...(result.jobId === undefined ? [] : [`Transcode job ${result.jobId}: ${result.jobStatus ?? "started"}`])
        ])
      }), interrupt.observe)
  }
).pipe(
  Command.withDescription("Ingest a file or a folder: asset, ORIGINAL format, file set, file, upload, CLOSED"),
  Command.withExamples([
    { command: "iconik ingest ./rushes --concurrency 8", description: "Ingest a folder; reruns skip what is already in" },
    { command: "iconik ingest interview.mov --title \"Interview 03\" --transcode", description: "One file, then proxies" }
  ])
)

// ---------------------------------------------------------------------------------------------------------------
// search

const docTypes = textFlag("doc-types", "Comma-separated: assets, collections, segments, saved_searches", "assets")
const criteriaFrom = (query: Option.Option<string>, types: string) => ({
  doc_types: types.split(",").map((t) => t.trim()).filter((t) => t !== ""),
  ...(Option.isSome(query) ? { query: query.value } : {})
})

const searchCommand = Command.make(
  "search",
  {
    query: Argument.String("query").pipe(Argument.withDescription("Free text (Lucene syntax works)"), Argument.optional),
    docTypes,
    limit: integerFlag("limit", "At most this many hits; all of them when not given", flagRanges.limit).pipe(Flag.optional),
    perPage: integerFlagOr("per-page", "Hits per search request", flagRanges.perPage, 100)
  },
  (args) =>
    withIconik((global) => {
      const hits = searchAll(criteriaFrom(args.query, args.docTypes), { perPage: args.perPage })
      const limited = Option.isSome(args.limit) ? Stream.take(hits, args.limit.value) : hits
      // One hit per line: JSON lines with --json, tab-separated otherwise; streams past 10 000 hits.
      return Stream.runForEach(limited, (hit) =>
        Console.log(global.json ? JSON.stringify(hit) : `${hit.id}\t${hit.object_type}\t${hit.title}`))
    })
).pipe(Command.withDescription("Every hit of a search, one per line (JSON lines with --json), past the 10 000-hit window"))

// ---------------------------------------------------------------------------------------------------------------
// metadata export | import

const viewId = Flag.String("view-id").pipe(Flag.withDescription("The metadata view whose fields are the columns"))

const metadataExport = Command.make(
  "export",
  {
    viewId,
    query: Flag.String("query").pipe(Flag.withDescription("Search text selecting the objects"), Flag.optional),
    docTypes,
    out: Flag.String("out").pipe(Flag.withAlias("o"), Flag.withDescription("Write the CSV here (default: stdout)"), Flag.optional)
  },
  (args) =>
    withIconik((global) =>
      Effect.gen(function*() {
        const options = { viewId: args.viewId, criteria: criteriaFrom(args.query, args.docTypes) }
        if (Option.isNone(args.out)) {
          return yield* Stream.runForEach(exportMetadataCsv(options), (line) => Effect.sync(() => process.stdout.write(line)))
        }
        const written = yield* exportMetadata({ ...options, path: args.out.value })
        yield* Output.result(global.json, written, () => `Wrote ${written.rows} rows to ${written.path}`)
      })
    )
).pipe(Command.withDescription("Search results and their metadata view values as CSV"))

const metadataWording = {
  items: "objects",
  outcomes: { ingested: "wrote metadata of", failed: "could not write metadata of" }
} as const

/** The lines of a metadata import's report, plain or durable (a partial failure exits with its code). */
const showImport = (global: Connection.GlobalOptions, report: MetadataImportReport, executionId?: string) =>
  Effect.gen(function*() {
    yield* Output.result(global.json, executionId === undefined ? report : { executionId, ...report }, () => [
      ...report.changes.map((c) => `  ${c.objectType}/${c.objectId} ${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`),
      (report.dryRun
        ? `Dry run: ${report.changes.length} changes to ${report.rows - report.unchanged} objects (${report.unchanged} unchanged). Run again with --apply to write them.`
        : `Wrote ${report.written} objects (${report.changes.length} changes, ${report.unchanged} unchanged, ${report.failed.length} failed)`) +
      (executionId === undefined ? "" : ` (run ${executionId})`),
      ...report.failed.map((f) => `  FAILED ${f.objectId}: ${f.reason}: ${f.message}`)
    ])
    if (report.failed.length > 0) {
      return yield* Output.partial(report.failed.length, report.rows - report.unchanged, "objects")
    }
  })

const metadataImport = Command.make(
  "import",
  {
    file: Argument.String("file").pipe(Argument.withDescription("A CSV as `metadata export` writes it")),
    viewId,
    apply: switchFlag("apply", "Write the changes (without it: print the diff only)"),
    clearEmpty: switchFlag("clear-empty", "An empty cell clears the field (default: leaves it alone)"),
    concurrency,
    database: Durable.databaseFlag.pipe(
      Flag.withDescription(
        "Submit the import (the CSV goes with it) to the durable engine's workers on this PostgreSQL and follow it (Ctrl-C detaches)"
      )
    ),
    detach
  },
  (args) => {
    const readCsv = FileSystem.FileSystem.use((fs) =>
      fs.readFileString(args.file).pipe(
        Effect.mapError(() => new LocalFile.LocalFileError({ path: args.file, reason: "Unreadable", detail: "" }))
      )
    )
    const options = (csv: string) => ({
      viewId: args.viewId,
      csv,
      dryRun: !args.apply,
      emptyCells: args.clearEmpty ? "clear" as const : "ignore" as const,
      concurrency: args.concurrency
    })
    if (Option.isSome(args.database)) {
      return Effect.flatMap(root, (global) =>
        Durable.onWorkers(args.database, args.detach, global, Effect.gen(function*() {
          const csv = yield* readCsv
          return {
            workflow: "effect-iconik/importMetadata",
            path: (yield* Path.Path).resolve(args.file),
            submit: ({ Runs }) => Runs.submitImportMetadata(options(csv)),
            succeeded: (report, executionId) => showImport(global, report, executionId)
          } satisfies Durable.Submission<MetadataImportReport>
        })))
    }
    return withIconik((global) =>
      Effect.gen(function*() {
        const report = yield* withProgressBar(
          importMetadata(options(yield* readCsv)),
          // The import reports each object written as an item "ingested": the lines say what happened to it.
          { ...progressFor(global), wording: metadataWording }
        )
        yield* showImport(global, report)
      })
    )
  }
).pipe(
  Command.withDescription("CSV back into metadata: shows the diff; --apply writes it"),
  Command.withExamples([
    { command: "iconik metadata import shots.csv --view-id 9a3f…", description: "Show what would change" },
    { command: "iconik metadata import shots.csv --view-id 9a3f… --apply --database postgres://iconik@db/iconik", description: "Hand the writes to the workers" }
  ])
)

const metadataViews = Command.make(
  "views",
  {},
  () =>
    withIconik((global) =>
      Effect.gen(function*() {
        // Iconik answers every view in one list (it does not page this one).
        const views = [...((yield* Metadata.listViews()).objects ?? [])].map((view) => ({
          id: view.id,
          name: view.name,
          description: view.description ?? undefined,
          fields: (view.view_fields ?? []).length
        }))
        yield* Output.result(global.json, views, () =>
          views.length === 0
            ? "No metadata views"
            : views.map((v) => `${v.id}\t${v.name}\t${v.fields} fields${v.description ? `\t${v.description}` : ""}`))
      })
    )
).pipe(
  Command.withDescription("List the metadata views (id, name, number of fields, description): the ids `--view-id` takes"),
  Command.withExamples([{ command: "iconik metadata views", description: "Find a view's id" }])
)

const metadataFields = Command.make(
  "fields",
  {
    viewId: Argument.String("view-id").pipe(Argument.withDescription("The view (`iconik metadata views` lists them)"))
  },
  (args) =>
    withIconik((global) =>
      Effect.gen(function*() {
        const view = yield* Metadata.getView(args.viewId)
        const fields = (view.view_fields ?? []).map((field) => ({
          name: field.name,
          label: field.label,
          type: field.field_type,
          multi: field.multi ?? false,
          required: field.required ?? false,
          readOnly: field.read_only ?? false,
          options: (field.options ?? []).map((option) => ({ label: option.label ?? undefined, value: option.value ?? undefined }))
        }))
        yield* Output.result(global.json, { id: view.id, name: view.name ?? undefined, fields }, () => [
          `View ${view.id}${view.name ? ` (${view.name})` : ""}: ${fields.length} fields`,
          ...fields.map((f) =>
            `  ${f.name}\t${f.label}\t${f.type}${f.multi ? " (multi)" : ""}${
              f.options.length === 0 ? "" : `\t${f.options.map((o) => o.value ?? o.label ?? "").join(" | ")}`
            }`
          )
        ])
      })
    )
).pipe(
  Command.withDescription("A metadata view's fields: name (the CSV column), label, type, and the options of choice fields"),
  Command.withExamples([{ command: "iconik metadata fields 9a3f…", description: "The columns `metadata export` writes" }])
)

const metadataCommand = Command.make("metadata").pipe(
  Command.withDescription("Metadata views and fields; metadata to and from CSV"),
  Command.withSubcommands([metadataViews, metadataFields, metadataExport, metadataImport])
)

// ---------------------------------------------------------------------------------------------------------------
// jobs watch

const jobsWatch = Command.make(
  "watch",
  {
    jobId: Argument.String("job-id").pipe(Argument.withDescription("The job to follow (`ingest --transcode --no-wait` prints it)")),
    interval: numberFlagOr("interval", "Seconds between polls", flagRanges.interval, 2),
    timeout: numberFlag("timeout", "Give up after this many seconds", flagRanges.timeout).pipe(Flag.optional)
  },
  (args) =>
    withIconik((global) => {
      const show = (job: jobs.Job) => {
        if (global.quiet) return Effect.void
        const percent = job.progress ??
          (job.progress_total ? Math.floor(((job.progress_processed ?? 0) * 100) / job.progress_total) : undefined)
        return Output.note(`${job.title ?? job.id}: ${job.status}${percent === undefined || percent === null ? "" : ` ${percent}%`}`)
      }
      return Jobs.waitFor(args.jobId, {
        interval: Duration.seconds(args.interval),
        timeout: Option.getOrUndefined(Option.map(args.timeout, Duration.seconds)),
        onPoll: show
      }).pipe(Effect.flatMap((job) =>
        Output.result(global.json, job, () => `Job ${job.id} ${job.status}${job.message ? `: ${job.message}` : ""}`)
      ))
    })
).pipe(Command.withDescription("Follow a job until it ends; exits non-zero if it FAILED or was ABORTED"))

const jobsCommand = Command.make("jobs").pipe(Command.withDescription("Iconik jobs"), Command.withSubcommands([jobsWatch]))

// ---------------------------------------------------------------------------------------------------------------
// emulator, demo

/**
 * The emulator's admin credentials when none are given: derived from the seed, so credentials exported from one run
 * stay valid when the emulator is started again with the same `--seed`.
 */
export const emulatorCredentials = (seed: string) => {
  const digest = (purpose: string) => createHash("sha256").update(`iconik-emulator-${purpose}\u0000${seed}`).digest("hex")
  const id = digest("app-id")
  // Shaped as a version-4 UUID, like Iconik's App-IDs.
  const appId = `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-${"89ab"[Number.parseInt(id[16]!, 16) % 4]}${
    id.slice(17, 20)
  }-${id.slice(20, 32)}`
  return { appId, authToken: `emulator-${digest("auth-token").slice(0, 40)}` }
}

const emulatorCommand = Command.make(
  "emulator",
  {
    port: integerFlagOr("port", "Port to listen on, 0 for any free port", flagRanges.port, 0),
    host: textFlag("host", "Address to listen on; 0.0.0.0 listens on every interface (mind who can reach it)", "127.0.0.1"),
    seed: textFlag("seed", "Seeds ids, probabilistic faults and the App-ID and token printed when none are given", "0")
  },
  (args) =>
    Effect.flatMap(root, (global) =>
      Output.reporting(
        global.json,
        Effect.gen(function*() {
          // Loaded only here (and by `demo`): the other commands do not load the emulator.
          const { IconikEmulator } = yield* Effect.promise(() => import("../testing/index.ts"))
          const derived = emulatorCredentials(args.seed)
          return yield* IconikEmulator.runServer({
            port: args.port,
            host: args.host,
            seed: args.seed,
            // `--app-id` / `--auth-token` (not the environment, which may hold real Iconik credentials) win.
            appId: Option.getOrElse(global.appId, () => derived.appId),
            authToken: Option.match(global.authToken, { onNone: () => derived.authToken, onSome: Redacted.value })
          })
        })
      ))
).pipe(
  Command.withDescription(
    "Run the Iconik emulator (with its object store) as a server until Ctrl-C; it accepts the App-ID and token it prints " +
      "(--app-id / --auth-token, else derived from --seed)"
  ),
  Command.withExamples([
    { command: "iconik emulator --port 8080 --seed demo", description: "Same seed, same credentials after a restart" }
  ])
)

const demoCommand = Command.make(
  "demo",
  {
    size: integerFlagOr("size", "Size of the sample original in MiB", flagRanges.demoSizeMiB, 12)
  },
  (args) =>
    Effect.flatMap(root, (global) =>
      Output.reporting(
        global.json,
        Effect.flatMap(
          Effect.promise(() => import("./Demo.ts")),
          ({ runDemo }) => runDemo({ originalBytes: args.size * MiB, json: global.json, progress: !global.quiet })
        )
      ))
).pipe(Command.withDescription("Ingest sample media into an in-process emulator and verify it: no credentials, no network"))

export const cli = root.pipe(
  Command.withSubcommands([
    uploadProxyCommand,
    ingestCommand,
    downloadCommand(root),
    searchCommand,
    metadataCommand,
    jobsCommand,
    emulatorCommand,
    demoCommand,
    Durable.workerCommand(root),
    Durable.runsCommand(root)
  ])
)

/** Runs the command line `argv` (without `node` and the script) and answers the exit code. */
export const runCli = (argv: ReadonlyArray<string>) =>
  Command.runWith(cli, { version })(argv).pipe(
    Effect.as(ExitCode.Ok as number),
    Effect.catch((error) => {
      if (error._tag === "CommandFailed") return Effect.succeed(error.code)
      // effect/cli has printed help and the parse errors already.
      if (CliError.isCliError(error)) return Effect.succeed(error._tag === "ShowHelp" && error.errors.length === 0 ? ExitCode.Ok : ExitCode.Usage)
      return Effect.succeed(ExitCode.Failure as number)
    })
  )

