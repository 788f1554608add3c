/**
 * Resume after a crash. While a large upload runs, a checkpoint file beside the media
 * (`<media>.<workflow>.iconik-upload`)
 * records, one JSON line at a time: the Iconik record being filled, then the storage-side upload (S3 UploadId or GCS
 * session), then every part S3 has stored, then that the storage holds the whole file (`stored`: only the CLOSE is
 * left). A rerun of the same workflow on the same, unchanged file reads it back and continues that upload instead of
 * starting over. Lines are appended (never rewritten), so a crash mid-write loses at most the last line, which is
 * ignored. A workflow that creates its records may start the checkpoint as soon as the asset exists (`recordId`
 * still empty) and append a fuller header as the records are made: the last header counts.
 *
 * The file is removed when the upload ends, successfully or not (a failed upload is aborted, so there is nothing to
 * resume); only a crash, or `onFailure: "keep"`, leaves it behind. It can hold a GCS session URL, a credential for
 * that one object: it is created readable by its owner only.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Semaphore from "effect/Semaphore"

export const suffix = ".iconik-upload"

export const pathFor = (mediaPath: string, workflow: string): string => `${mediaPath}.${workflow}${suffix}`

/** What the checkpoint is about; a rerun only resumes when all of it matches. */
export interface CheckpointHeader {
  readonly version: 1
  readonly workflow: string
  /** The Iconik base URL (a checkpoint never resumes against another Iconik). */
  readonly iconik: string
  readonly assetId: string
  /** Empty while the record is not made yet (only the asset exists). */
  readonly recordKind: "proxy" | "file"
  readonly recordId: string
  /** The record's `storage_method` (a resumed upload does not get the record's upload fields again). */
  readonly storageMethod: string
  readonly formatId?: string | undefined
  readonly fileSetId?: string | undefined
  readonly size: number
  readonly modifiedMillis: number
}

export interface CheckpointUpload {
  /** `S3`, `GCS`, `B2`… (absent in checkpoints that predate it: S3). */
  readonly provider?: string | undefined
  readonly uploadId?: string | undefined
  readonly sessionUrl?: string | undefined
  readonly partSize?: number | undefined
}

export interface CheckpointPart {
  readonly partNumber: number
  readonly etag: string
  readonly size?: number | undefined
}

export interface Checkpoint {
  readonly header: CheckpointHeader
  readonly upload?: CheckpointUpload | undefined
  readonly parts: ReadonlyArray<CheckpointPart>
  /** The storage holds the whole file (the upload completed): only the record's CLOSE is left. */
  readonly stored: boolean
}

type Line =
  | { readonly header: CheckpointHeader }
  | { readonly upload: CheckpointUpload }
  | { readonly part: CheckpointPart }
  | { readonly stored: true }

const parse = (text: string): Checkpoint | undefined => {
  let header: CheckpointHeader | undefined
  let upload: CheckpointUpload | undefined
  const parts = new Map<number, CheckpointPart>()
  let stored = false
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue
    let line: Line
    try {
      line = JSON.parse(raw)
    } catch {
      continue // a line cut short by a crash
    }
    if ("header" in line && line.header?.version === 1) {
      // A header for another record (a store that is appended to, never truncated): what came before is not its.
      if (
        header !== undefined &&
        (header.assetId !== line.header.assetId ||
          (header.recordId !== "" && line.header.recordId !== "" && header.recordId !== line.header.recordId))
      ) {
        upload = undefined
        parts.clear()
        stored = false
      }
      // A replayed start (record not known yet) does not hide the record a later header named.
      if (header === undefined || line.header.recordId !== "" || header.assetId !== line.header.assetId) header = line.header
    }
    else if ("upload" in line) upload = line.upload
    else if ("part" in line && typeof line.part?.partNumber === "number" && typeof line.part.etag === "string") {
      parts.set(line.part.partNumber, line.part)
    } else if ("stored" in line && line.stored === true) stored = true
  }
  return header === undefined
    ? undefined
    : { header, upload, parts: [...parts.values()].sort((a, b) => a.partNumber - b.partNumber), stored }
}

/**
 * Where checkpoints are kept. The default is the file beside the media; a durable engine keeps them in its database
 * (see {@link lineStore}), keyed by its execution, so a runner on another machine continues the upload.
 */
export interface CheckpointStore {
  readonly load: (
    mediaPath: string,
    workflow: string,
    iconik: string
  ) => Effect.Effect<Option.Option<Checkpoint>, never, FileSystem.FileSystem>
  readonly open: (
    mediaPath: string,
    header: CheckpointHeader,
    options: { readonly fresh: boolean }
  ) => Effect.Effect<CheckpointWriter, never, FileSystem.FileSystem>
  readonly remove: (mediaPath: string, workflow: string) => Effect.Effect<void, never, FileSystem.FileSystem>
}

/** The checkpoint `workflow` left for `mediaPath` against this Iconik, if any. */
export const load = (
  mediaPath: string,
  workflow: string,
  iconik: string
): Effect.Effect<Option.Option<Checkpoint>, never, FileSystem.FileSystem> =>
  CurrentCheckpointStore.use((store) => store.load(mediaPath, workflow, iconik))

const loadFile = (
  mediaPath: string,
  workflow: string,
  iconik: string
): Effect.Effect<Option.Option<Checkpoint>, never, FileSystem.FileSystem> =>
  FileSystem.FileSystem.use((fs) =>
    fs.readFileString(pathFor(mediaPath, workflow)).pipe(
      Effect.map((text) => {
        const checkpoint = parse(text)
        return checkpoint !== undefined && checkpoint.header.workflow === workflow && checkpoint.header.iconik === iconik
          ? Option.some(checkpoint)
          : Option.none()
      }),
      Effect.orElseSucceed(() => Option.none())
    )
  )

/** Whether a checkpoint was written for this very file (same size and modification time, and asset when given). */
export const describes = (
  checkpoint: Checkpoint,
  file: { readonly size: number; readonly modifiedMillis: number },
  assetId?: string | undefined
): boolean =>
  checkpoint.header.size === file.size && checkpoint.header.modifiedMillis === file.modifiedMillis &&
  (assetId === undefined || checkpoint.header.assetId === assetId)

/** Deletes the checkpoint, if any. */
export const remove = (mediaPath: string, workflow: string): Effect.Effect<void, never, FileSystem.FileSystem> =>
  CurrentCheckpointStore.use((store) => store.remove(mediaPath, workflow))

const removeFile = (mediaPath: string, workflow: string): Effect.Effect<void, never, FileSystem.FileSystem> =>
  FileSystem.FileSystem.use((fs) => Effect.ignore(fs.remove(pathFor(mediaPath, workflow))))

/** Appends to a checkpoint; failures to write only cost the ability to resume, so they are logged once. */
export interface CheckpointWriter {
  readonly upload: (upload: CheckpointUpload) => Effect.Effect<void>
  readonly part: (part: CheckpointPart) => Effect.Effect<void>
  /** The storage holds the whole file now (written right after the upload completed). */
  readonly stored: Effect.Effect<void>
  /** A fuller header (records made since the checkpoint started): it replaces the earlier one on reading. */
  readonly header: (header: CheckpointHeader) => Effect.Effect<void>
  /** Deletes the checkpoint (the upload finished or was abandoned). */
  readonly remove: Effect.Effect<void>
}

/** A writer that writes nothing (checkpoints turned off). */
export const disabled: CheckpointWriter = {
  upload: () => Effect.void,
  part: () => Effect.void,
  stored: Effect.void,
  header: () => Effect.void,
  remove: Effect.void
}

/**
 * Starts (with `header`, truncating any older file) or continues (`fresh: false`) the checkpoint of `mediaPath`.
 */
export const open = (
  mediaPath: string,
  header: CheckpointHeader,
  options: { readonly fresh: boolean }
): Effect.Effect<CheckpointWriter, never, FileSystem.FileSystem> =>
  CurrentCheckpointStore.use((store) => store.open(mediaPath, header, options))

const openFile = (
  mediaPath: string,
  header: CheckpointHeader,
  options: { readonly fresh: boolean }
): Effect.Effect<CheckpointWriter, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = pathFor(mediaPath, header.workflow)
    const lock = yield* Semaphore.make(1)
    let working = true
    const write = (line: Line, flag: "a" | "w") =>
      lock.withPermit(Effect.suspend(() =>
        !working ? Effect.void : fs.writeFileString(path, `${JSON.stringify(line)}\n`, { flag, mode: 0o600 }).pipe(
          Effect.catch((error) =>
            Effect.sync(() => (working = false)).pipe(
              Effect.andThen(Effect.logWarning(`cannot write the checkpoint ${path}; this upload will not be resumable`, error.message))
            )
          )
        )
      ))
    if (options.fresh) yield* write({ header }, "w")
    return {
      upload: (upload) => write({ upload }, "a"),
      part: (part) => write({ part }, "a"),
      stored: write({ stored: true }, "a"),
      header: (header) => write({ header }, "a"),
      remove: lock.withPermit(Effect.suspend(() => {
        working = false
        return Effect.ignore(fs.remove(path))
      }))
    }
  })

/** The checkpoint file beside the media (the plain workflows' store). */
export const fileStore: CheckpointStore = { load: loadFile, open: openFile, remove: removeFile }

export const CurrentCheckpointStore = Context.Reference<CheckpointStore>("effect-iconik/workflows/CheckpointStore", {
  defaultValue: () => fileStore
})

/** The lines of one checkpoint, kept elsewhere than in a file (a table, a map). */
export interface CheckpointLines {
  readonly read: (mediaPath: string, workflow: string) => Effect.Effect<ReadonlyArray<string>>
  readonly append: (mediaPath: string, workflow: string, line: string) => Effect.Effect<void>
}

/**
 * A store over {@link CheckpointLines}, for a durable engine: lines are only ever appended (a replayed workflow that
 * starts its checkpoint again does not lose the parts an interrupted attempt stored; a header for another record
 * starts a new checkpoint on reading), and kept until the execution is forgotten: a step run again after its runner
 * died after the CLOSE acted finds the record it closed (a removal would have been lost with the step's result).
 * A failed write is logged: it only costs the ability to resume.
 */
export const lineStore = (lines: CheckpointLines): CheckpointStore => ({
  load: (mediaPath, workflow, iconik) =>
    lines.read(mediaPath, workflow).pipe(
      Effect.map((all) => {
        const checkpoint = parse(all.join("\n"))
        return checkpoint !== undefined && checkpoint.header.workflow === workflow && checkpoint.header.iconik === iconik
          ? Option.some(checkpoint)
          : Option.none()
      })
    ),
  open: (mediaPath, header, options) =>
    Effect.gen(function*() {
      const write = (line: Line) => lines.append(mediaPath, header.workflow, JSON.stringify(line))
      if (options.fresh) yield* write({ header })
      return {
        upload: (upload) => write({ upload }),
        part: (part) => write({ part }),
        stored: write({ stored: true }),
        header: (header) => write({ header }),
        remove: Effect.void
      }
    }),
  remove: () => Effect.void
})
