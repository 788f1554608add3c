/**
 * Ingest every file of a folder (see {@link ingestFile} for one file's steps), with:
 *
 * - the folder's structure kept: each file's `directory_path` (and its file set's `base_dir`) is its sub-folder
 *   relative to the ingested folder, after the collection's upload path when there is a collection, so two
 *   `clip.mp4` in two sub-folders are two files in two places on the storage;
 * - symbolic links skipped (and reported) unless `followSymlinks`; followed links stay inside the folder;
 * - one global bound on concurrent uploads: `concurrency` files in flight, and at most `concurrency` storage
 *   transfers (parts, chunks, PUTs) at once across all of them;
 * - progress for bytes and files ({@link Progress}: `ItemsPlanned`, `BytesTransferred`, `ItemFinished`);
 * - idempotent reruns: a file Iconik already holds in a CLOSED file record with the same content and the same place
 *   (`GET /API/files/v1/files/checksum/{md5}/`, then `directory_path` + `original_name`) is skipped; a crashed file
 *   resumes from its checkpoint;
 * - numeric options checked before anything else ({@link InvalidOption});
 * - a report: ingested / skipped / failed, each with its reason. One file failing does not stop the others; only a
 *   refused token (401) stops the batch, since every file would fail the same way.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as files from "../src/generated/files.ts"
import * as Collections from "../src/Collections.ts"
import * as Pagination from "../src/Pagination.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { findFilesStorage, ingestFile, type IngestFileOptions, type ResolvedStorage } from "./ingestFile.ts"
import * as LocalFile from "./LocalFile.ts"
import * as Options from "./Options.ts"
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
  /**
   * Follow symbolic links. Default false: each link is reported as skipped (`Symlink`). When true, a link is taken
   * only if its real path is inside the folder (else `SymlinkOutsideFolder`), and a link to a folder containing it
   * is not descended (`SymlinkLoop`).
   */
  readonly followSymlinks?: boolean | undefined
  /** Which entries (by path relative to the folder) to take, or to report when skipped. Default: all but hidden ones. */
  readonly include?: ((relativePath: string) => boolean) | undefined
  /** Skip files Iconik already holds, CLOSED, with the same checksum in the same place (default true). */
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
  /** `AlreadyIngested` (with the asset and file found), or why the folder listing left the entry out. */
  readonly reason: "AlreadyIngested" | LocalFile.SkipReason
  /** A link's target, or the entry's type. */
  readonly detail?: string | undefined
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
  /** Entries reported: ingested + skipped + failed. */
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

/** `directory_path`s compare without leading, trailing or doubled slashes. */
export const normalizeDirectory = (path: string) => path.split("/").filter((segment) => segment !== "").join("/")

/** `base` (a collection's upload path, or "") followed by a sub-folder of the ingested folder (or ""). */
export const joinDirectory = (base: string, sub: string) =>
  base === "" ? sub : sub === "" ? base : `${base.replace(/\/+$/, "")}/${sub}`

/** A CLOSED file Iconik already has with this content, in this place. */
export const alreadyIngested = (checksum: string, directoryPath: string, name: string) =>
  Pagination.items(files.listFilesByChecksum, { checksum }).pipe(
    Stream.filter((file) =>
      file.status === "CLOSED" &&
      file.original_name === name &&
      normalizeDirectory(file.directory_path) === normalizeDirectory(directoryPath)
    ),
    Stream.runHead
  )

/**
 * Where a folder's files go, asked once for the whole folder: every file under the collection's upload path, in the
 * sub-folder it has under the ingested folder, on one FILES storage (looked up once, not once per file). Unlike
 * ingestFile's fallback to "" for one file, a failed upload-path lookup stops the batch before any asset exists: the
 * whole folder would otherwise land outside the collection's path, unseen by a rerun. Nothing is asked for a folder
 * with no file to ingest.
 */
export const folderDestination = Effect.fnUntraced(function*(options: {
  readonly collectionId?: string | undefined
  readonly storageId?: string | undefined
  readonly storage?: ResolvedStorage | undefined
  readonly hasFiles: boolean
}) {
  const collectionId = options.collectionId
  const uploadPath = collectionId === undefined || !options.hasFiles
    ? ""
    : yield* Workflow.step(
      "collection upload path",
      Effect.map(Collections.fullPath(collectionId, { get_upload_path: true }), (path) => (typeof path === "string" ? path : ""))
    )
  const storage = options.storage ?? (options.hasFiles ? yield* findFilesStorage(options.storageId) : undefined)
  const directoryOf = (relative: string) => {
    const slash = relative.lastIndexOf("/")
    return joinDirectory(uploadPath, slash < 0 ? "" : relative.slice(0, slash))
  }
  return { directoryOf, storage }
})

export const ingestFolder = Workflow.make("ingestFolder", (options: IngestFolderOptions) =>
  Effect.gen(function*() {
    yield* Options.validateTransfer(options)
    const concurrency = options.concurrency ?? 4
    const listing = yield* Workflow.step(
      "list folder",
      LocalFile.listFolder(options.folder, { recursive: options.recursive, followSymlinks: options.followSymlinks })
    )
    const include = options.include ?? (() => true)
    const relativePaths = listing.files.filter(include)
    const leftOut = listing.skipped.filter((entry) => include(entry.path))
    const separator = listing.folder.endsWith("/") ? "" : "/"
    const candidates = yield* Effect.forEach(relativePaths, (relative) =>
      Effect.map(Effect.result(LocalFile.inspect(`${listing.folder}${separator}${relative}`)), (inspected) => ({ relative, inspected })))
    const bytes = candidates.reduce((sum, c) => sum + (c.inspected._tag === "Success" ? c.inspected.success.size : 0), 0)
    yield* Progress.emit({ _tag: "ItemsPlanned", items: leftOut.length + candidates.length, bytes })
    const listingSkips = leftOut.map((entry): SkippedItem => ({ path: entry.path, reason: entry.reason, detail: entry.detail }))
    yield* Effect.forEach(listingSkips, (item) =>
      Progress.emit({ _tag: "ItemFinished", item: item.path, bytes: 0, outcome: "skipped", reason: item.reason }), { discard: true })

    const { directoryOf, storage: filesStorage } = yield* folderDestination({
      ...options,
      hasFiles: candidates.length > 0
    })

    const one = ({ inspected, relative }: (typeof candidates)[number]) => {
      if (inspected._tag === "Failure") {
        return Effect.succeed<Outcome>({
          _tag: "failed",
          item: { path: relative, reason: inspected.failure._tag, message: inspected.failure.message }
        })
      }
      const file = inspected.success
      const directoryPath = directoryOf(relative)
      return Workflow.forItem(
        relative,
        Effect.gen(function*() {
          const checksum = yield* Workflow.step("checksum", LocalFile.checksum(file.path))
          if (options.skipExisting !== false) {
            const existing = yield* Workflow.step("look up checksum", alreadyIngested(checksum, directoryPath, file.name))
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
            storage: filesStorage,
            file: file.path,
            checksum,
            directoryPath,
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
      files: leftOut.length + candidates.length,
      bytes,
      ingested: outcomes.flatMap((o) => (o._tag === "ingested" ? [o.item] : [])),
      skipped: [...listingSkips, ...outcomes.flatMap((o) => (o._tag === "skipped" ? [o.item] : []))],
      failed: outcomes.flatMap((o) => (o._tag === "failed" ? [o.item] : []))
    }
    return report
  }))
