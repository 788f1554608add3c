/**
 * Ingest every file of a folder (see {@link ingestFile} for one file's steps), with:
 *
 * - one global bound on concurrent uploads: `concurrency` files in flight, and at most `concurrency` storage
 *   transfers (parts, chunks, PUTs) at once across all of them;
 * - progress for bytes and files ({@link Progress}: `ItemsPlanned`, `BytesTransferred`, `ItemFinished`);
 * - idempotent reruns: a file whose content Iconik already holds in a CLOSED file record
 *   (`GET /API/files/v1/files/checksum/{md5}/`) is skipped; a crashed file resumes from its checkpoint;
 * - a report: ingested / skipped / failed, each failure with its typed reason. One file failing does not stop the
 *   others; only a refused token (401) stops the batch, since every file would fail the same way.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as files from "../src/generated/files.ts"
import * as Pagination from "../src/Pagination.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { ingestFile, type IngestFileOptions } from "./ingestFile.ts"
import * as LocalFile from "./LocalFile.ts"
import * as Progress from "./Progress.ts"
import { limitTransfers } from "./transfer.ts"
import * as Workflow from "./Workflow.ts"

export interface IngestFolderOptions
  extends Omit<IngestFileOptions, "file" | "title" | "checksum" | "item" | "externalId" | "directoryPath">
{
  readonly folder: string
  /** Files in flight, and storage transfers at once across them. Default 4. */
  readonly concurrency?: number | undefined
  /** Descend into sub-folders. Default true. */
  readonly recursive?: boolean | undefined
  /** Which files (by path relative to the folder) to take. Default: all but hidden ones. */
  readonly include?: ((relativePath: string) => boolean) | undefined
  /** Skip files whose checksum Iconik already knows (default true). */
  readonly skipExisting?: boolean | undefined
  /** Each asset's title. Default: the file name. */
  readonly title?: ((relativePath: string) => string) | undefined
}

export interface IngestedItem {
  readonly path: string
  readonly assetId: string
  readonly fileId: string
  readonly size: number
  readonly resumed: boolean
}

export interface SkippedItem {
  readonly path: string
  readonly reason: "AlreadyIngested"
  readonly assetId?: string | undefined
  readonly fileId?: string | undefined
}

export interface FailedItem {
  readonly path: string
  /** The typed error's tag, e.g. `StorageError`, `IconikForbidden`, `LocalFileError`. */
  readonly reason: string
  readonly message: string
}

export interface IngestFolderReport {
  readonly folder: string
  readonly files: number
  readonly bytes: number
  readonly ingested: ReadonlyArray<IngestedItem>
  readonly skipped: ReadonlyArray<SkippedItem>
  readonly failed: ReadonlyArray<FailedItem>
}

type Outcome =
  | { readonly _tag: "ingested"; readonly item: IngestedItem }
  | { readonly _tag: "skipped"; readonly item: SkippedItem }
  | { readonly _tag: "failed"; readonly item: FailedItem }

/** A CLOSED file Iconik already has with this content. */
const alreadyIngested = (checksum: string) =>
  Pagination.items(files.listFilesByChecksum, { checksum }).pipe(
    Stream.filter((file) => file.status === "CLOSED"),
    Stream.runHead
  )

export const ingestFolder = Workflow.make("ingestFolder", (options: IngestFolderOptions) =>
  Effect.gen(function*() {
    const listing = yield* Workflow.step("list folder", LocalFile.listFolder(options.folder, { recursive: options.recursive }))
    const relativePaths = options.include === undefined ? listing.files : listing.files.filter(options.include)
    const concurrency = Math.max(1, options.concurrency ?? 4)
    const separator = listing.folder.endsWith("/") ? "" : "/"
    const candidates = yield* Effect.forEach(relativePaths, (relative) =>
      Effect.map(Effect.result(LocalFile.inspect(`${listing.folder}${separator}${relative}`)), (inspected) => ({ relative, inspected })))
    const bytes = candidates.reduce((sum, c) => sum + (c.inspected._tag === "Success" ? c.inspected.success.size : 0), 0)
    yield* Progress.emit({ _tag: "ItemsPlanned", items: candidates.length, bytes })

    const one = ({ inspected, relative }: (typeof candidates)[number]) => {
      if (inspected._tag === "Failure") {
        return Effect.succeed<Outcome>({
          _tag: "failed",
          item: { path: relative, reason: inspected.failure._tag, message: inspected.failure.message }
        })
      }
      const file = inspected.success
      return Workflow.forItem(
        relative,
        Effect.gen(function*() {
          const checksum = yield* Workflow.step("checksum", LocalFile.checksum(file.path))
          if (options.skipExisting !== false) {
            const existing = yield* Workflow.step("look up checksum", alreadyIngested(checksum))
            if (Option.isSome(existing)) {
              return {
                _tag: "skipped",
                item: {
                  path: relative,
                  reason: "AlreadyIngested",
                  assetId: existing.value.asset_id ?? undefined,
                  fileId: existing.value.id
                }
              } satisfies Outcome
            }
          }
          const result = yield* ingestFile({
            ...options,
            file: file.path,
            checksum,
            item: relative,
            externalId: relative,
            title: options.title?.(relative),
            concurrency
          })
          return {
            _tag: "ingested",
            item: { path: relative, assetId: result.assetId, fileId: result.fileId, size: file.size, resumed: result.transfer.resumed }
          } satisfies Outcome
        }).pipe(
          // A refused token fails every file alike: stop the batch rather than report it N times.
          Effect.catch((error) =>
            error._tag === "IconikUnauthorized"
              ? Effect.fail(error)
              : Effect.succeed<Outcome>({ _tag: "failed", item: { path: relative, reason: error._tag, message: error.message } })
          ),
          Effect.tap((outcome) =>
            Progress.emit({
              _tag: "ItemFinished",
              item: relative,
              bytes: file.size,
              outcome: outcome._tag,
              reason: outcome._tag === "ingested" ? undefined : outcome.item.reason
            })
          )
        )
      )
    }

    const storage = yield* StorageClient
    const limited = yield* limitTransfers(storage, concurrency)
    const outcomes = yield* Effect.forEach(candidates, one, { concurrency }).pipe(
      Effect.provideService(StorageClient, limited)
    )

    const report: IngestFolderReport = {
      folder: listing.folder,
      files: candidates.length,
      bytes,
      ingested: outcomes.flatMap((o) => (o._tag === "ingested" ? [o.item] : [])),
      skipped: outcomes.flatMap((o) => (o._tag === "skipped" ? [o.item] : [])),
      failed: outcomes.flatMap((o) => (o._tag === "failed" ? [o.item] : []))
    }
    return report
  }))
