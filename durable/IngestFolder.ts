/**
 * `ingestFolder` as a durable workflow: a parent execution lists the folder (the plain workflow's skip rules: hidden
 * entries, symbolic links), checksums each file and skips those Iconik holds already, then hands each file to a
 * child {@link IngestFile} execution (at most `concurrency` at once for this folder; the cluster-wide bound on
 * uploads is `ClusterLimits.UploadSlots`, taken by each child for its storage transfer). The children run on
 * whichever runner owns them, so a folder spreads over every runner of the cluster; a runner's death costs the steps
 * it was in.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Workflow as DurableWorkflow } from "effect/workflow"
import type { IconikClient } from "../src/IconikClient.ts"
import {
  alreadyIngested,
  folderDestination,
  type FailedItem,
  type IngestedItem,
  type IngestFolderReport,
  type SkippedItem
} from "../workflows/ingestFolder.ts"
import * as LocalFile from "../workflows/LocalFile.ts"
import * as Options from "../workflows/Options.ts"
import * as Workflow from "../workflows/Workflow.ts"
import { IngestFile, type IngestFilePayload } from "./IngestFile.ts"
import { restoreFailure, runAsActivities, storeFailure } from "./Steps.ts"

const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.UndefinedOr(schema))

export const IngestFolderPayload = Schema.Struct({
  /** Absolute path of the folder. */
  folder: Schema.String,
  collectionId: optional(Schema.String),
  storageId: optional(Schema.String),
  /** Files of this folder in flight at once (default 4). */
  concurrency: optional(Schema.Number),
  /** Parts in flight per file (default 4). */
  partConcurrency: optional(Schema.Number),
  partSize: optional(Schema.Number),
  singlePutThreshold: optional(Schema.Number),
  recursive: optional(Schema.Boolean),
  followSymlinks: optional(Schema.Boolean),
  skipExisting: optional(Schema.Boolean),
  transcode: optional(Schema.Boolean),
  wait: optional(Schema.Boolean),
  onFailure: optional(Schema.Literals(["delete", "fail", "keep"]))
})
export type IngestFolderPayload = typeof IngestFolderPayload.Type

/** One execution per folder and destination: submitting it again joins the running one. */
export const IngestFolder = DurableWorkflow.make("effect-iconik/ingestFolder", {
  payload: IngestFolderPayload,
  success: Schema.Unknown,
  error: Schema.Unknown,
  idempotencyKey: (payload) => JSON.stringify([payload.folder, payload.collectionId ?? "", payload.storageId ?? ""])
})

type Outcome =
  | { readonly _tag: "ingested"; readonly item: IngestedItem }
  | { readonly _tag: "skipped"; readonly item: SkippedItem }
  | { readonly _tag: "failed"; readonly item: FailedItem }

const Inspected = Schema.Array(Schema.Struct({
  relative: Schema.String,
  file: optional(Schema.Struct({ path: Schema.String, name: Schema.String, size: Schema.Number, modifiedMillis: Schema.Number })),
  failure: optional(Schema.Struct({ reason: Schema.String, message: Schema.String }))
}))

/** A file's checksum, and the file Iconik holds already with it (when looked up and found). */
const Checked = Schema.Struct({
  checksum: Schema.String,
  existing: optional(Schema.Struct({ assetId: optional(Schema.String), fileId: Schema.String }))
})

/** A group's checksums and look-ups, in the group's order: a file's failure is its own. */
const CheckedGroup = Schema.Array(Schema.Struct({
  relative: Schema.String,
  checksum: optional(Schema.String),
  existing: optional(Schema.Struct({ assetId: optional(Schema.String), fileId: Schema.String })),
  failure: optional(Schema.Struct({ reason: Schema.String, message: Schema.String }))
}))

/** Small files checksummed in one activity at most (see `check` below). */
const groupSize = 16

/** Files up to this size are checksummed in groups: reading them takes less than an activity's round trips. */
const groupedMax = 8 * 1024 * 1024

/** Files up to `groupedMax`, in groups of `groupSize`, in listing order. */
const smallGroups = <C extends { readonly relative: string; readonly file?: { readonly path: string; readonly name: string; readonly size: number } | undefined }>(
  candidates: ReadonlyArray<C>
) => {
  const small = candidates.flatMap((c) =>
    c.file !== undefined && c.file.size <= groupedMax ? [{ relative: c.relative, file: c.file }] : []
  )
  const groups: Array<typeof small> = []
  for (let at = 0; at < small.length; at += groupSize) groups.push(small.slice(at, at + groupSize))
  return groups
}

const ingestFolderBody = (payload: IngestFolderPayload) =>
  Effect.gen(function*() {
    yield* Options.validateTransfer({ ...payload, concurrency: payload.partConcurrency })
    yield* Options.integer("concurrency", payload.concurrency, Options.ranges.concurrency)
    const concurrency = payload.concurrency ?? 4
    const listing = yield* Workflow.step(
      "list folder",
      LocalFile.listFolder(payload.folder, { recursive: payload.recursive, followSymlinks: payload.followSymlinks })
    )
    const separator = listing.folder.endsWith("/") ? "" : "/"
    const candidates = yield* Workflow.step(
      "inspect files",
      Effect.forEach(listing.files, (relative) =>
        Effect.map(Effect.result(LocalFile.inspect(`${listing.folder}${separator}${relative}`)), (inspected) =>
          inspected._tag === "Success"
            ? { relative, file: inspected.success }
            : { relative, failure: { reason: inspected.failure._tag, message: inspected.failure.message } })),
      { result: Inspected }
    )
    const collectionId = payload.collectionId
    const { directoryOf, storage } = yield* folderDestination({ ...payload, hasFiles: candidates.length > 0 })

    // A file's checksum and the look-up of a file Iconik holds with it: reads, harmless to run again after a crash, so
    // one activity for both. Small files are checksummed in groups, one activity per group (an activity costs a few
    // database round trips, as much as a small file's upload); the first file of a group to get there runs it, the
    // others wait for it.
    const check = (path: string, directoryPath: string, name: string) =>
      Effect.gen(function*() {
        const checksum = yield* LocalFile.checksum(path)
        const found = payload.skipExisting === false ? Option.none() : yield* alreadyIngested(checksum, directoryPath, name)
        const existing = Option.getOrUndefined(Option.map(found, (f) => ({ assetId: f.asset_id ?? undefined, fileId: f.id })))
        return { checksum, existing }
      })
    const checkOne = (path: string, directoryPath: string, name: string) =>
      Workflow.step("checksum and look up", check(path, directoryPath, name), { result: Checked })
    const checkedInGroup = new Map<string, Effect.Effect<typeof Checked.Type, unknown, IconikClient | FileSystem.FileSystem>>()
    // The folder's context, not the item of whichever file gets there first: the activity's name is the same on replay.
    const folderContext = yield* Workflow.CurrentWorkflow
    for (const group of smallGroups(candidates)) {
      const run = yield* Effect.cached(Effect.provideService(Workflow.step(
        `checksum and look up ${group.length} files from ${group[0]!.relative}`,
        Effect.forEach(group, ({ file, relative }) =>
          check(file.path, directoryOf(relative), file.name).pipe(
            Effect.map((checked) => ({ relative, ...checked, failure: undefined })),
            Effect.catch((error: unknown) =>
              Effect.succeed({
                relative,
                checksum: undefined,
                existing: undefined,
                failure: { reason: Workflow.reasonOf(error), message: Workflow.messageOf(error) }
              })
            )
          ), { concurrency: 4 }),
        { result: CheckedGroup }
      ), Workflow.CurrentWorkflow, folderContext))
      group.forEach(({ relative }, i) =>
        checkedInGroup.set(relative, Effect.flatMap(run, (all) => {
          const mine = all[i]!
          return mine.checksum === undefined
            ? Effect.fail(Object.assign(new Error(mine.failure?.message ?? ""), { _tag: mine.failure?.reason ?? "Error" }))
            : Effect.succeed({ checksum: mine.checksum, existing: mine.existing })
        }))
      )
    }

    const one = ({ failure, file, relative }: (typeof candidates)[number]): Effect.Effect<Outcome, never, any> => {
      if (file === undefined) {
        return Effect.succeed({ _tag: "failed", item: { path: relative, reason: failure?.reason ?? "Error", message: failure?.message ?? "" } })
      }
      const directoryPath = directoryOf(relative)
      return Workflow.forItem(
        relative,
        Effect.gen(function*() {
          const { checksum, existing } = yield* (checkedInGroup.get(relative) ?? checkOne(file.path, directoryPath, file.name))
          if (existing !== undefined) {
            return {
              _tag: "skipped",
              item: { path: relative, reason: "AlreadyIngested", assetId: existing.assetId, fileId: existing.fileId }
            } satisfies Outcome
          }
          const child: IngestFilePayload = {
            file: file.path,
            size: file.size,
            modifiedMillis: file.modifiedMillis,
            checksum,
            directoryPath,
            item: relative,
            externalId: relative,
            collectionId,
            storageId: storage?.id ?? payload.storageId,
            storage,
            concurrency: payload.partConcurrency,
            partSize: payload.partSize,
            singlePutThreshold: payload.singlePutThreshold,
            transcode: payload.transcode,
            wait: payload.wait,
            onFailure: payload.onFailure
          }
          const result = yield* IngestFile.execute(child)
          return {
            _tag: "ingested",
            item: { path: relative, assetId: result.assetId, fileId: result.fileId, size: file.size, resumed: result.transfer.resumed }
          } satisfies Outcome
        }).pipe(
          Effect.catch((error: unknown) => {
            const restored = restoreFailure(error)
            return Effect.succeed<Outcome>({
              _tag: "failed",
              item: { path: relative, reason: Workflow.reasonOf(restored), message: Workflow.messageOf(restored) }
            })
          })
        )
      )
    }

    const outcomes = yield* Effect.forEach(candidates, one, { concurrency })
    const leftOut = listing.skipped.map((entry): SkippedItem => ({ path: entry.path, reason: entry.reason, detail: entry.detail }))
    const report: IngestFolderReport = {
      folder: listing.folder,
      files: leftOut.length + candidates.length,
      bytes: candidates.reduce((sum, c) => sum + (c.file?.size ?? 0), 0),
      ingested: outcomes.flatMap((o) => (o._tag === "ingested" ? [o.item] : [])),
      skipped: [...leftOut, ...outcomes.flatMap((o) => (o._tag === "skipped" ? [o.item] : []))],
      failed: outcomes.flatMap((o) => (o._tag === "failed" ? [o.item] : []))
    }
    // Stored as JSON: fields left undefined are left out.
    return JSON.parse(JSON.stringify(report)) as IngestFolderReport
  })

export const IngestFolderLayer = IngestFolder.toLayer((payload, executionId) =>
  runAsActivities(executionId, Workflow.make("ingestFolder", ingestFolderBody)(payload)).pipe(Effect.mapError(storeFailure))
)
