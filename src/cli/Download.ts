/**
 * `iconik download`: media back from Iconik to a folder — one asset's original (default), proxies or keyframes, or
 * every asset of a collection or a search. Progress on stderr, a summary on stdout (a JSON report with `--json`);
 * a rerun skips files already on disk that verify and resumes partial ones. Exit codes: 0 all done, 9 when some
 * items of a batch failed (the report lists them) or a download did not verify, and the usual codes otherwise
 * (`Failure.ts`).
 *
 * The command hangs under the root command, whose shared flags (credentials, `--json`, `--quiet`) it reads:
 * `downloadCommand(root)`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Argument from "effect/cli/Argument"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import {
  downloadAll,
  type DownloadAllReport,
  type DownloadKind,
  type DownloadSource
} from "../../workflows/download.ts"
import * as Options from "../../workflows/Options.ts"
import * as Connection from "./Connection.ts"
import { integerFlagOr, switchFlag } from "./Flags.ts"
import * as Output from "./Output.ts"
import { formatBytes, withProgressBar } from "./ProgressBar.ts"

const MiB = 1024 * 1024

export const downloadFlags = {
  assetId: Argument.String("asset-id").pipe(Argument.withDescription("The asset to download"), Argument.optional),
  original: switchFlag("original", "The original (the default when no kind is given)"),
  proxy: switchFlag("proxy", "The proxies"),
  keyframes: switchFlag("keyframes", "The keyframes and posters"),
  to: Flag.String("to").pipe(Flag.withMetavar("DIR"), Flag.withDescription("Folder to write into (created if missing)")),
  collection: Flag.String("collection").pipe(Flag.withDescription("Every asset of this collection"), Flag.optional),
  recursive: switchFlag("recursive", "With --collection: sub-collections too"),
  search: Flag.String("search").pipe(Flag.withDescription("Every asset this search text finds"), Flag.optional),
  files: integerFlagOr("files", "Files (and ranged GETs in all) in flight at once", Options.ranges.concurrency, 4),
  concurrency: integerFlagOr("concurrency", "Ranged GETs in flight per file", Options.ranges.concurrency, 4).pipe(
    Flag.withAlias("c")
  ),
  partSize: integerFlagOr("part-size", "Bytes per ranged GET, in MiB", { min: 1, max: 5120, describe: "1 to 5120 MiB" }, 8),
  noResume: switchFlag("no-resume", "Fetch everything again: no skipping of verified files, no resuming")
}

type Args = {
  readonly [K in keyof typeof downloadFlags]: (typeof downloadFlags)[K] extends Flag.Flag<infer A> ? A
    : (typeof downloadFlags)[K] extends Argument.Argument<infer A> ? A
    : never
}

/** Exactly one of: an asset id, `--collection`, `--search`. */
const sourceOf = (args: Args): Effect.Effect<DownloadSource, Options.InvalidOption> => {
  const given = [Option.isSome(args.assetId), Option.isSome(args.collection), Option.isSome(args.search)]
    .filter(Boolean).length
  if (given !== 1) {
    return Effect.fail(
      new Options.InvalidOption({
        option: "asset-id / --collection / --search",
        value: given === 0 ? "none" : "several",
        expected: "exactly one of an asset id, --collection ID or --search TEXT"
      })
    )
  }
  if (Option.isSome(args.assetId)) return Effect.succeed({ _tag: "Assets", assetIds: [args.assetId.value] })
  if (Option.isSome(args.collection)) {
    return Effect.succeed({ _tag: "Collection", collectionId: args.collection.value, recursive: args.recursive })
  }
  return Effect.succeed({
    _tag: "Search",
    criteria: { doc_types: ["assets"], query: Option.getOrElse(args.search, () => "") }
  })
}

const kindsOf = (args: Args): ReadonlyArray<DownloadKind> => {
  const kinds: Array<DownloadKind> = []
  if (args.original) kinds.push("original")
  if (args.proxy) kinds.push("proxy")
  if (args.keyframes) kinds.push("keyframes")
  return kinds.length === 0 ? ["original"] : kinds
}

const summary = (report: DownloadAllReport) => {
  const fetched = report.downloaded.reduce((sum, item) => sum + item.fetchedBytes, 0)
  return [
    `${report.downloaded.length} downloaded (${formatBytes(fetched)}), ${report.skipped.length} skipped, ${report.failed.length} failed`,
    ...report.downloaded.map((i) => `  downloaded ${i.path} (${formatBytes(i.size)}, ${i.verified} verified)`),
    ...report.skipped.map((i) => `  skipped    ${i.path} (on disk, ${i.verified} verified)`),
    ...report.failed.map((f) => `  FAILED     asset ${f.assetId} ${f.kind}: ${f.reason}: ${f.message}`)
  ]
}

/** The body of `iconik download`, given the parsed flags and the root's shared options. */
export const runDownload = (args: Args, global: Connection.GlobalOptions) =>
  Output.reporting(
    global.json,
    Effect.gen(function*() {
      const source = yield* sourceOf(args)
      const report = yield* withProgressBar(
        downloadAll({
          source,
          kinds: kindsOf(args),
          to: args.to,
          files: args.files,
          concurrency: args.concurrency,
          partSize: args.partSize * MiB,
          resume: !args.noResume
        }),
        { enabled: !global.quiet }
      )
      yield* Output.result(global.json, report, () => summary(report))
      if (report.failed.length > 0) {
        const total = report.downloaded.length + report.skipped.length + report.failed.length
        return yield* Output.partial(report.failed.length, total, "downloads")
      }
    }).pipe(Effect.provide(Connection.layer(global)))
  )

/** `iconik download …` under `root` (the command carrying the shared flags). */
export const downloadCommand = <R>(root: Effect.Effect<Connection.GlobalOptions, never, R>) =>
  Command.make("download", downloadFlags, (args) => Effect.flatMap(root, (global) => runDownload(args, global))).pipe(
    Command.withDescription(
      "Download originals, proxies or keyframes of an asset, a collection or a search; reruns skip verified files"
    ),
    Command.withExamples([
      { command: "iconik download 6f1c… --to ./media", description: "One asset's original, verified by MD5" },
      { command: "iconik download --collection 9a2e… --recursive --proxy --to ./proxies", description: "A whole collection's proxies" },
      { command: "iconik download --search \"interview\" --to ./rushes --files 8", description: "Everything a search finds" }
    ])
  )

