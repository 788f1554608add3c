/**
 * Local media files as workflows see them: checked before any request goes out (a bad path fails fast with a typed
 * error, never after an asset was created), with their size, modification time and content checksum.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as Progress from "./Progress.ts"
import { CurrentWorkflow } from "./Workflow.ts"

/** The file cannot be used: missing, not a regular file, or unreadable. Raised before any Iconik request. */
export class LocalFileError extends Schema.TaggedError<LocalFileError>()("LocalFileError", {
  path: Schema.String,
  reason: Schema.Literals(["NotFound", "NotAFile", "NotADirectory", "Unreadable"]),
  detail: Schema.String
}) {
  override get message() {
    const what = this.reason === "NotFound"
      ? "no such file or directory"
      : this.reason === "NotAFile"
      ? "not a regular file"
      : this.reason === "NotADirectory"
      ? "not a directory"
      : "cannot be read"
    return `${this.path}: ${what}${this.detail === "" ? "" : ` (${this.detail})`}`
  }
}

export interface LocalFile {
  /** Absolute path. */
  readonly path: string
  /** File name without directories. */
  readonly name: string
  readonly size: number
  /** Last modification, ms since the epoch (0 when the platform does not tell). */
  readonly modifiedMillis: number
}

const asLocalFileError = (path: string) => (error: { readonly reason: { readonly _tag: string; readonly message?: string } }) =>
  new LocalFileError({
    path,
    reason: error.reason._tag === "NotFound" ? "NotFound" : "Unreadable",
    detail: error.reason._tag === "NotFound" ? "" : error.reason._tag
  })

/** Stats `path` and proves it can be opened for reading. */
export const inspect = Effect.fnUntraced(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const paths = yield* Path.Path
  const absolute = paths.resolve(path)
  const info = yield* fs.stat(absolute).pipe(Effect.mapError(asLocalFileError(absolute)))
  if (info.type !== "File") {
    return yield* new LocalFileError({ path: absolute, reason: "NotAFile", detail: info.type.toLowerCase() })
  }
  yield* fs.access(absolute, { readable: true }).pipe(Effect.mapError(asLocalFileError(absolute)))
  const file: LocalFile = {
    path: absolute,
    name: paths.basename(absolute),
    size: Number(info.size),
    modifiedMillis: Option.match(info.mtime, { onNone: () => 0, onSome: (date) => date.getTime() })
  }
  return file
})

/**
 * Hex digest of the file's content (MD5 by default, the form Iconik stores in a file's `checksum`). Reports
 * `BytesHashed` progress as it reads (for the current workflow item, else the path): hashing gigabytes takes seconds,
 * and a front end can show that phase instead of silence.
 */
export const checksum = (
  path: string,
  algorithm: "md5" | "sha1" | "sha256" = "md5"
): Effect.Effect<string, LocalFileError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const { item } = yield* CurrentWorkflow
    const name = item ?? path
    const total = yield* fs.stat(path).pipe(Effect.map((info) => Number(info.size)), Effect.mapError(asLocalFileError(path)))
    const hash = createHash(algorithm)
    let hashed = 0
    yield* Progress.emit({ _tag: "BytesHashed", item: name, hashed, total })
    yield* fs.stream(path, { chunkSize: 1024 * 1024 }).pipe(
      Stream.runForEach((chunk) => {
        hash.update(chunk)
        hashed += chunk.length
        // The last report says `total` even when the file grew or shrank meanwhile: the hashing phase is over.
        return hashed >= total ? Effect.void : Progress.emit({ _tag: "BytesHashed", item: name, hashed, total })
      }),
      Effect.mapError(asLocalFileError(path))
    )
    yield* Progress.emit({ _tag: "BytesHashed", item: name, hashed: total, total })
    return hash.digest("hex")
  })

/** Why an entry under a folder is not ingested: listed in the report, so nothing is dropped without a word. */
export type SkipReason =
  /** A symbolic link, and links are not followed (the default). */
  | "Symlink"
  /** A followed link whose target resolves outside the folder. */
  | "SymlinkOutsideFolder"
  /** A followed link to a folder that contains it (e.g. `self -> .`): following it would list the same files again. */
  | "SymlinkLoop"
  /** A link whose target does not exist (or cannot be resolved). */
  | "BrokenSymlink"
  /** Neither a regular file nor a folder: a FIFO, socket or device. */
  | "NotAFile"

export interface SkippedEntry {
  /** Relative to the folder, with `/` separators. */
  readonly path: string
  readonly reason: SkipReason
  /** The link's target, or the entry's type. */
  readonly detail: string
}

export interface FolderListing {
  /** The folder, absolute. */
  readonly folder: string
  /** Regular files, relative to the folder with `/` separators, sorted. */
  readonly files: ReadonlyArray<string>
  /** Entries that are not taken, with the reason, in listing order. */
  readonly skipped: ReadonlyArray<SkippedEntry>
}

export interface ListFolderOptions {
  /** Descend into sub-folders. Default true. */
  readonly recursive?: boolean | undefined
  /**
   * Follow symbolic links (default false: each is reported as skipped). Followed links must resolve inside the folder
   * (real paths are compared), and a link to a folder that contains it is reported as a loop, not descended.
   */
  readonly followSymlinks?: boolean | undefined
}

/**
 * The regular files under `folder` (recursively unless told otherwise), as paths relative to it, and the entries left
 * out with their reason. Hidden entries (`.name`) and checkpoint files are left out silently. The folder itself may be a
 * link (the caller named it); links inside it are not followed unless `followSymlinks`.
 */
export const listFolder = Effect.fnUntraced(function*(folder: string, options?: ListFolderOptions) {
  const fs = yield* FileSystem.FileSystem
  const paths = yield* Path.Path
  const absolute = paths.resolve(folder)
  const info = yield* fs.stat(absolute).pipe(Effect.mapError(asLocalFileError(absolute)))
  if (info.type !== "Directory") {
    return yield* new LocalFileError({ path: absolute, reason: "NotADirectory", detail: info.type.toLowerCase() })
  }
  const recursive = options?.recursive ?? true
  const follow = options?.followSymlinks ?? false
  const root = yield* fs.realPath(absolute).pipe(Effect.mapError(asLocalFileError(absolute)))
  const rootPrefix = root.endsWith(paths.sep) ? root : `${root}${paths.sep}`
  const inside = (real: string) => real === root || real.startsWith(rootPrefix)
  const files: Array<string> = []
  const skipped: Array<SkippedEntry> = []

  // `real` is the folder's real path and `ancestors` those of the folders above it: a followed link resolving to
  // any of them would list the same files forever.
  const walk = (dir: string, relative: string, real: string, ancestors: ReadonlySet<string>): Effect.Effect<void, LocalFileError> =>
    Effect.gen(function*() {
      const entries = yield* fs.readDirectoryEntries(dir).pipe(Effect.mapError(asLocalFileError(dir)))
      const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const entry of sorted) {
        if (entry.name.startsWith(".") || entry.name.endsWith(".iconik-upload")) continue
        const path = paths.join(dir, entry.name)
        const rel = relative === "" ? entry.name : `${relative}/${entry.name}`
        const type = entry.type === "Unknown"
          ? (yield* fs.lstat(path).pipe(Effect.mapError(asLocalFileError(path)))).type
          : entry.type
        if (type === "File") {
          files.push(rel)
        } else if (type === "Directory") {
          const childReal = paths.join(real, entry.name)
          if (recursive) yield* walk(path, rel, childReal, new Set([...ancestors, real]))
        } else if (type === "SymbolicLink") {
          const target = yield* fs.readLink(path).pipe(Effect.orElseSucceed(() => ""))
          if (!follow) {
            skipped.push({ path: rel, reason: "Symlink", detail: target })
            continue
          }
          const resolved = yield* Effect.option(fs.realPath(path))
          const targetInfo = Option.isNone(resolved) ? Option.none() : yield* Effect.option(fs.stat(resolved.value))
          if (Option.isNone(resolved) || Option.isNone(targetInfo)) {
            skipped.push({ path: rel, reason: "BrokenSymlink", detail: target })
          } else if (!inside(resolved.value)) {
            skipped.push({ path: rel, reason: "SymlinkOutsideFolder", detail: resolved.value })
          } else if (targetInfo.value.type === "File") {
            files.push(rel)
          } else if (targetInfo.value.type === "Directory") {
            if (resolved.value === real || ancestors.has(resolved.value)) {
              skipped.push({ path: rel, reason: "SymlinkLoop", detail: resolved.value })
            } else if (recursive) {
              yield* walk(path, rel, resolved.value, new Set([...ancestors, real]))
            }
          } else {
            skipped.push({ path: rel, reason: "NotAFile", detail: targetInfo.value.type.toLowerCase() })
          }
        } else {
          skipped.push({ path: rel, reason: "NotAFile", detail: type.toLowerCase() })
        }
      }
    })

  yield* walk(absolute, "", root, new Set())
  const listing: FolderListing = { folder: absolute, files: files.sort(), skipped }
  return listing
})
