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

/** Hex digest of the file's content (MD5 by default, the form Iconik stores in a file's `checksum`). */
export const checksum = (
  path: string,
  algorithm: "md5" | "sha1" | "sha256" = "md5"
): Effect.Effect<string, LocalFileError, FileSystem.FileSystem> =>
  FileSystem.FileSystem.use((fs) =>
    Effect.suspend(() => {
      const hash = createHash(algorithm)
      return fs.stream(path, { chunkSize: 1024 * 1024 }).pipe(
        Stream.runForEach((chunk) => Effect.sync(() => hash.update(chunk))),
        Effect.mapError(asLocalFileError(path)),
        Effect.map(() => hash.digest("hex"))
      )
    }))

/**
 * The regular files under `folder` (recursively unless told otherwise), as paths relative to it, sorted. Hidden
 * entries (`.name`) and checkpoint files are left out.
 */
export const listFolder = Effect.fnUntraced(function*(folder: string, options?: { readonly recursive?: boolean | undefined }) {
  const fs = yield* FileSystem.FileSystem
  const paths = yield* Path.Path
  const absolute = paths.resolve(folder)
  const info = yield* fs.stat(absolute).pipe(Effect.mapError(asLocalFileError(absolute)))
  if (info.type !== "Directory") {
    return yield* new LocalFileError({ path: absolute, reason: "NotADirectory", detail: info.type.toLowerCase() })
  }
  const entries = yield* fs.readDirectory(absolute, { recursive: options?.recursive ?? true }).pipe(
    Effect.mapError(asLocalFileError(absolute))
  )
  const visible = entries.filter((entry) =>
    !entry.split(/[\\/]/).some((segment) => segment.startsWith(".")) && !entry.endsWith(".iconik-upload")
  )
  const files: Array<string> = []
  for (const entry of visible.sort()) {
    const stat = yield* Effect.option(fs.stat(paths.join(absolute, entry)))
    if (stat._tag === "Some" && stat.value.type === "File") files.push(entry)
  }
  return { folder: absolute, files }
})
