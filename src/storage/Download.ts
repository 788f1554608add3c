/**
 * Downloads from a presigned storage URL (S3, GCS, Azure SAS, B2) to a local file, on the {@link StorageClient} so the
 * rules are the uploads' rules: no Iconik or trace headers, the URL's query redacted everywhere, only GETs (always
 * idempotent) and the SDK's one retry schedule.
 *
 * - The object is fetched as ranged GETs (`Range: bytes=a-b`), `concurrency` at a time, each part streamed straight
 *   to its offset in `<path>.part`: memory holds a few socket chunks per part in flight, never a part or the file.
 *   A `206` must name the asked range of an object of the expected size; a `200` (a server that ignores ranges) is
 *   read up to the end of the part and then dropped. A body that ends short is a transient failure, retried.
 * - A URL that expires mid-download (S3 `AccessDenied` "Request has expired", GCS `ExpiredToken`, Azure
 *   `AuthenticationFailed` out of its time frame, B2 `expired_auth_token`) calls `renewUrl` once for all the parts
 *   that saw it, and the parts go on with the new URL.
 * - Each part, once on disk (synced), is appended to a checkpoint beside the partial file
 *   (`<path>.iconik-download`, one JSON line each): a rerun after a crash fetches only the parts not listed. The
 *   checkpoint never holds the URL (a credential).
 * - The finished file is checked against the expected size and, when one is given, its MD5 (taken in order while
 *   later parts are still being fetched, reading back what is on disk); only then is `.part`
 *   renamed to `path`. A mismatch fails with {@link DownloadVerificationFailed} and removes the partial file, so
 *   nothing that looks complete is left. A rerun where `path` already verifies fetches nothing.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"
import * as Os from "node:os"
import type * as Retry from "../Retry.ts"
import { MiB } from "./Parts.ts"
import { StorageClient } from "./StorageClient.ts"
import {
  StorageError,
  type StorageFailure,
  StorageFileError,
  StorageProtocolError,
  type StorageProvider,
  StorageTransportError
} from "./StorageError.ts"

/** Default bytes per ranged GET: large enough that request overhead is small, small enough to resume cheaply. */
export const defaultDownloadPartSize = 8 * MiB

/** Default ranged GETs in flight per file. */
export const defaultDownloadConcurrency = 4

/** Bytes of a part's body gathered (by reference, not copied) before they go to disk in one positional write. */
const writeBatchBytes = 1024 * 1024

/** Most buffers in one `writev` (under every platform's IOV_MAX), for servers that send tiny chunks. */
const writeBatchChunks = 512

/** How many times one part may renew the URL before the expiry is reported (a clock far off, or a renewer that hands back stale URLs). */
const maxRenewalsPerPart = 3

/** The file as written does not match the record: wrong size or MD5. The partial file has been removed. */
export class DownloadVerificationFailed extends Schema.TaggedError<DownloadVerificationFailed>()(
  "DownloadVerificationFailed",
  {
    path: Schema.String,
    expectedSize: Schema.Number,
    actualSize: Schema.Number,
    expectedMd5: Schema.optional(Schema.String),
    actualMd5: Schema.optional(Schema.String)
  }
) {
  override get message() {
    return this.expectedSize !== this.actualSize
      ? `${this.path}: downloaded ${this.actualSize} bytes, expected ${this.expectedSize}; the partial file was removed`
      : `${this.path}: MD5 ${this.actualMd5} does not match the record's ${this.expectedMd5}; the partial file was removed`
  }
}

export type DownloadEvent =
  /** Parts are planned; `resumedParts` / `resumedBytes` were on disk already from an earlier run. */
  | {
    readonly _tag: "DownloadStarted"
    readonly provider: StorageProvider
    readonly path: string
    readonly totalBytes: number
    readonly partCount: number
    readonly partSize: number
    readonly resumedParts: number
    readonly resumedBytes: number
  }
  /** Bytes on disk (resumed ones included); goes down when a failed attempt's bytes are taken back. */
  | { readonly _tag: "BytesTransferred"; readonly transferredBytes: number; readonly totalBytes: number }
  | { readonly _tag: "PartCompleted"; readonly partNumber: number; readonly size: number }
  | { readonly _tag: "PartRetrying"; readonly partNumber: number; readonly attempt: number; readonly reason: string }
  /** The URL expired and `renewUrl` gave a new one. */
  | { readonly _tag: "UrlRenewed"; readonly partNumber: number }
  | { readonly _tag: "DownloadCompleted"; readonly path: string; readonly totalBytes: number }
  /** `path` was there already and verified: nothing was fetched. */
  | { readonly _tag: "DownloadSkipped"; readonly path: string; readonly totalBytes: number }

export type OnDownloadProgress = (event: DownloadEvent) => Effect.Effect<void>

export interface DownloadOptions<E = never, R = never> {
  /** The presigned GET URL. */
  readonly url: string
  /** Where the file goes; its folder must exist. `<path>.part` and `<path>.iconik-download` are used meanwhile. */
  readonly path: string
  /** The object's size in bytes (the record's `size`): parts are planned and the result checked against it. */
  readonly size: number
  /** The record's MD5 (hex), when it has one; without it only the size is verified. */
  readonly md5?: string | undefined
  /** For errors, logs and spans. Default `S3`. */
  readonly provider?: StorageProvider | undefined
  /** Bytes per ranged GET (default 8 MiB). */
  readonly partSize?: number | undefined
  /** Ranged GETs in flight (default 4). */
  readonly concurrency?: number | undefined
  /**
   * Continue from a checkpoint left by an interrupted run, and skip a `path` that already verifies (default true).
   * `false` starts over and overwrites.
   */
  readonly resume?: boolean | undefined
  /**
   * What the bytes are (e.g. a file id and its modification date): a checkpoint written for another identity, size
   * or MD5 is not resumed.
   */
  readonly identity?: string | undefined
  readonly retry?: Retry.RetryOption | undefined
  readonly onProgress?: OnDownloadProgress | undefined
  /** A fresh URL for the same object, asked when the current one has expired. Without it, expiry fails the download. */
  readonly renewUrl?: Effect.Effect<string, E, R> | undefined
}

export interface DownloadResult {
  readonly path: string
  readonly size: number
  /** What was checked: the MD5 and size, or the size alone (no checksum known). */
  readonly verified: "md5" | "size"
  /** `path` already verified: nothing was fetched. */
  readonly skipped: boolean
  /** Bytes fetched by this run (parts resumed from disk are not counted). */
  readonly fetchedBytes: number
  readonly resumedParts: number
  readonly renewals: number
}

/** Whether a storage error says the presigned URL has expired (as opposed to a bad signature or a missing object). */
export const isExpiredUrl = (error: StorageFailure): boolean => {
  if (error._tag !== "StorageError") return false
  const code = error.code ?? ""
  const detail = error.detail ?? ""
  if (code === "ExpiredToken" || code === "expired_auth_token") return true
  if (error.status === 403 && code === "AccessDenied") return /expired/i.test(detail)
  if (error.status === 403 && code === "AuthenticationFailed") return /time frame|expired/i.test(detail)
  return (error.status === 400 || error.status === 401 || error.status === 403) && /expired/i.test(detail)
}

/** The checkpoint beside a partial download. */
export const checkpointPathFor = (path: string): string => `${path}.iconik-download`
/** The partial file a download writes before it is verified. */
export const partialPathFor = (path: string): string => `${path}.part`

interface CheckpointHeader {
  /** 1: every part listed was synced first. 2: parts are listed once written; `durable` lines say how many are synced. */
  readonly version: 1 | 2
  readonly size: number
  readonly partSize: number
  readonly md5: string | null
  readonly identity: string | null
  /** The machine's boot the checkpoint was written in (version 2), see {@link currentBoot}. */
  readonly boot?: string | undefined
}

const sameHeader = (a: CheckpointHeader, b: CheckpointHeader) =>
  a.size === b.size && a.partSize === b.partSize && a.md5 === b.md5 && a.identity === b.identity

/**
 * This boot of the machine: a process crash keeps written pages in the OS cache, a machine crash can lose the ones
 * not yet synced. Linux's boot id, elsewhere the boot time (seconds, compared with a margin for clock adjustments).
 */
const currentBoot = (fs: FileSystem.FileSystem): Effect.Effect<string> =>
  fs.readFileString("/proc/sys/kernel/random/boot_id").pipe(
    Effect.map((id) => `id:${id.trim()}`),
    Effect.orElseSucceed(() => `at:${Math.round(Date.now() / 1000 - Os.uptime())}`)
  )

const sameBoot = (a: string | undefined, b: string | undefined): boolean => {
  if (a === undefined || b === undefined) return false
  if (a.startsWith("at:") && b.startsWith("at:")) return Math.abs(Number(a.slice(3)) - Number(b.slice(3))) <= 60
  return a === b
}

/**
 * The part numbers a checkpoint lists as on disk, when it was written for `header`: all of them in the same boot,
 * else only the ones a `durable` line says were synced. A line cut short by a crash is ignored.
 */
const parseCheckpoint = (text: string, header: CheckpointHeader): Set<number> | undefined => {
  let found: CheckpointHeader | undefined
  const listed: Array<number> = []
  let durable = 0
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue
    let line: { header?: CheckpointHeader; part?: number; durable?: number }
    try {
      line = JSON.parse(raw)
    } catch {
      continue
    }
    if (line.header?.version === 1 || line.header?.version === 2) found = line.header
    else if (typeof line.part === "number") listed.push(line.part)
    else if (typeof line.durable === "number") durable = Math.max(durable, line.durable)
  }
  if (found === undefined || !sameHeader(found, header)) return undefined
  return new Set(found.version === 1 || sameBoot(found.boot, header.boot) ? listed : listed.slice(0, durable))
}

interface Part {
  readonly partNumber: number
  readonly offset: number
  readonly size: number
}

const fileError = (path: string, error: { readonly message: string; readonly reason?: { readonly _tag: string } }) =>
  new StorageFileError({
    path,
    reason: error.reason?._tag === "NotFound"
      ? "NotFound"
      : error.reason?._tag === "PermissionDenied"
      ? "PermissionDenied"
      : "Other",
    detail: error.message
  })

const nodeFileError = (path: string, error: NodeJS.ErrnoException) =>
  new StorageFileError({
    path,
    reason: error.code === "ENOENT" ? "NotFound" : error.code === "EACCES" || error.code === "EPERM" ? "PermissionDenied" : "Other",
    detail: error.message
  })

/**
 * The partial file, open once for the whole download. Parts write at their own offsets through the one descriptor
 * (positional writes have no cursor to share), and one `fdatasync` makes every part written before it durable.
 */
interface PartialFile {
  /** Starts writing `chunks` (in order) at `position`; `done` is called once, when all are written or one failed. */
  readonly startWrite: (
    chunks: ReadonlyArray<Uint8Array>,
    position: number,
    done: (error: StorageFileError | undefined) => void
  ) => void
  /** Reads up to `length` bytes at `position` into `buffer`; answers how many (0 at the end of the file). */
  readonly readAt: (buffer: Uint8Array, length: number, position: number) => Effect.Effect<number, StorageFileError>
  /** Not interruptible: the descriptor is closed only once no sync or read is in flight. */
  readonly sync: Effect.Effect<void, StorageFileError>
}

const openPartial = (path: string): Effect.Effect<PartialFile, StorageFileError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<number, StorageFileError>((resume) => {
      NodeFs.open(path, "r+", (error, fd) => resume(error ? Effect.fail(nodeFileError(path, error)) : Effect.succeed(fd)))
    }),
    (fd) => Effect.callback<void>((resume) => NodeFs.close(fd, () => resume(Effect.void)))
  ).pipe(Effect.map((fd): PartialFile => ({
    startWrite: (chunks, position, done) => {
      let buffers = chunks
      let at = position
      const write = () =>
        NodeFs.writev(fd, buffers, at, (error, written) => {
          if (error) return done(nodeFileError(path, error))
          if (written === 0) return done(new StorageFileError({ path, reason: "Other", detail: "a write made no progress" }))
          // A short write: go on from the first byte not written.
          at += written
          let i = 0
          while (i < buffers.length && written >= buffers[i]!.length) written -= buffers[i++]!.length
          if (i === buffers.length) return done(undefined)
          buffers = [buffers[i]!.subarray(written), ...buffers.slice(i + 1)]
          write()
        })
      write()
    },
    readAt: (buffer, length, position) =>
      Effect.uninterruptible(Effect.callback<number, StorageFileError>((resume) => {
        NodeFs.read(fd, buffer, 0, length, position, (error, read) => {
          resume(error ? Effect.fail(nodeFileError(path, error)) : Effect.succeed(read))
        })
      })),
    sync: Effect.uninterruptible(Effect.callback<void, StorageFileError>((resume) => {
      NodeFs.fdatasync(fd, (error) => resume(error ? Effect.fail(nodeFileError(path, error)) : Effect.void))
    }))
  })))

/** MD5 (hex) and size of a file, read in 1 MiB chunks. */
const md5Of = (fs: FileSystem.FileSystem, path: string): Effect.Effect<{ md5: string; size: number }, StorageFileError> =>
  Effect.suspend(() => {
    const hash = createHash("md5")
    let size = 0
    return fs.stream(path, { chunkSize: 1024 * 1024 }).pipe(
      Stream.runForEach((chunk) =>
        Effect.sync(() => {
          hash.update(chunk)
          size += chunk.length
        })
      ),
      Effect.map(() => ({ md5: hash.digest("hex"), size })),
      Effect.mapError((error) => fileError(path, error))
    )
  })

const sizeOf = (fs: FileSystem.FileSystem, path: string): Effect.Effect<number | undefined> =>
  fs.stat(path).pipe(
    Effect.map((info) => (info.type === "File" ? Number(info.size) : undefined)),
    Effect.orElseSucceed(() => undefined)
  )

/** `bytes a-b/total` of a 206. */
const parseContentRange = (header: string | undefined) => {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/.exec(header ?? "")
  return match === null
    ? undefined
    : { start: Number(match[1]), end: Number(match[2]), total: match[3] === "*" ? undefined : Number(match[3]) }
}

/**
 * Downloads the object behind `url` to `path`: ranged, concurrent, resumable and verified (see the module doc).
 * Fails with a storage failure (after retries), {@link DownloadVerificationFailed}, or `renewUrl`'s error.
 */
export const downloadToFile = <E = never, R = never>(
  options: DownloadOptions<E, R>
): Effect.Effect<
  DownloadResult,
  StorageFailure | DownloadVerificationFailed | E,
  StorageClient | FileSystem.FileSystem | R
> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const fs = yield* FileSystem.FileSystem
    const provider = options.provider ?? "S3"
    const invalid = (detail: string) => new StorageProtocolError({ provider, operation: "Download", detail })
    const { path, size } = options
    const partSize = options.partSize ?? defaultDownloadPartSize
    const concurrency = options.concurrency ?? defaultDownloadConcurrency
    if (!Number.isSafeInteger(size) || size < 0) return yield* invalid(`size must be a non-negative integer, got ${size}`)
    if (!Number.isSafeInteger(partSize) || partSize <= 0) {
      return yield* invalid(`part size must be a positive integer, got ${partSize}`)
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      return yield* invalid(`concurrency must be a positive integer, got ${concurrency}`)
    }
    const md5 = options.md5?.toLowerCase()
    if (md5 !== undefined && !/^[0-9a-f]{32}$/.test(md5)) return yield* invalid(`md5 must be 32 hex digits, got ${md5}`)
    const resume = options.resume ?? true
    const onProgress = options.onProgress
    // Called when the event happens, not when the effect that reports it is built.
    const emit: OnDownloadProgress = onProgress === undefined
      ? () => Effect.void
      : (event) => Effect.suspend(() => onProgress(event))
    const verified = md5 === undefined ? "size" as const : "md5" as const
    const partialPath = partialPathFor(path)
    const checkpointPath = checkpointPathFor(path)

    /** What `file` holds, against the expectation: undefined when it matches. */
    const check = (file: string) =>
      Effect.gen(function*() {
        if (md5 === undefined) {
          const actualSize = (yield* sizeOf(fs, file)) ?? 0
          return actualSize === size ? undefined : { actualSize }
        }
        const actual = yield* md5Of(fs, file)
        return actual.size === size && actual.md5 === md5 ? undefined : { actualSize: actual.size, actualMd5: actual.md5 }
      })

    // A finished file from an earlier run: fetch nothing.
    if (resume && (yield* sizeOf(fs, path)) === size && (yield* check(path)) === undefined) {
      yield* emit({ _tag: "DownloadSkipped", path, totalBytes: size })
      return { path, size, verified, skipped: true, fetchedBytes: 0, resumedParts: 0, renewals: 0 }
    }

    const parts: Array<Part> = []
    for (let offset = 0, n = 1; offset < size || n === 1; offset += partSize, n++) {
      parts.push({ partNumber: n, offset, size: Math.min(partSize, size - offset) })
      if (size === 0) break
    }
    const header: CheckpointHeader = {
      version: 2,
      size,
      partSize,
      md5: md5 ?? null,
      identity: options.identity ?? null,
      boot: yield* currentBoot(fs)
    }

    // Resume only when the checkpoint is for these very bytes and the partial file has its full length.
    let done = new Set<number>()
    if (resume && (yield* sizeOf(fs, partialPath)) === size) {
      const text = yield* fs.readFileString(checkpointPath).pipe(Effect.orElseSucceed(() => ""))
      done = parseCheckpoint(text, header) ?? new Set()
    }
    const fsFail = (target: string) => Effect.mapError((error: { readonly message: string }) => fileError(target, error))
    // Written again on resume: the parts kept are listed under this boot, none of them known to be synced yet.
    const kept = [...done].sort((a, b) => a - b).map((part) => `${JSON.stringify({ part })}\n`).join("")
    yield* fs.writeFileString(checkpointPath, `${JSON.stringify({ header })}\n${kept}`, { mode: 0o600 }).pipe(
      fsFail(checkpointPath)
    )
    if (done.size === 0) {
      yield* fs.writeFile(partialPath, new Uint8Array(0)).pipe(fsFail(partialPath))
      yield* fs.truncate(partialPath, size).pipe(fsFail(partialPath))
    }
    const resumedParts = parts.filter((part) => done.has(part.partNumber))
    const resumedBytes = resumedParts.reduce((sum, part) => sum + part.size, 0)
    let transferred = resumedBytes
    let fetched = 0
    const bytes = (delta: number) =>
      Effect.suspend(() => {
        transferred += delta
        fetched += delta
        return emit({ _tag: "BytesTransferred", transferredBytes: transferred, totalBytes: size })
      })
    yield* emit({
      _tag: "DownloadStarted",
      provider,
      path,
      totalBytes: size,
      partCount: parts.length,
      partSize,
      resumedParts: resumedParts.length,
      resumedBytes
    })

    // The URL every part uses; renewed once by whichever part first sees it expired.
    let url = options.url
    let renewals = 0
    const renewLock = yield* Semaphore.make(1)
    const renew = (expired: string, error: StorageFailure) =>
      renewLock.withPermit(Effect.suspend((): Effect.Effect<void, StorageFailure | E, R> => {
        if (url !== expired) return Effect.void // another part renewed it already
        if (options.renewUrl === undefined) return Effect.fail(error)
        return Effect.map(options.renewUrl, (fresh) => {
          url = fresh
          renewals++
        })
      }))

    /**
     * Fetches the parts not on disk into `file`, checkpointing each, and answers the MD5 of the file as written (when
     * one is expected).
     */
    const fetchAll = (file: PartialFile, scope: Scope.Scope): Effect.Effect<string | undefined, StorageFailure | E, R> => {
      /** Writes one attempt's body at the part's offset; fails (transient) when it ends short. */
      const writeBody = (
        part: Part,
        response: { readonly status: number; readonly headers: Readonly<Record<string, string>> },
        body: Stream.Stream<Uint8Array, StorageFailure>,
        location: { readonly method: string; readonly url: string; readonly operation: string }
      ): Effect.Effect<void, StorageFailure> => {
        const end = part.offset + part.size
        const whole = response.status !== 206
        let skip = 0
        if (!whole) {
          const range = parseContentRange(response.headers["content-range"])
          if (range === undefined || range.start !== part.offset || range.end !== end - 1) {
            return Effect.fail(
              invalid(`asked bytes ${part.offset}-${end - 1}, got Content-Range ${response.headers["content-range"]}`)
            )
          }
          if (range.total !== undefined && range.total !== size) {
            return Effect.fail(invalid(`the object has ${range.total} bytes, the record says ${size}`))
          }
        } else {
          // A 200 carries the whole object: keep this part's bytes of it.
          const declared = Number(response.headers["content-length"])
          if (response.headers["content-length"] !== undefined && Number.isFinite(declared) && declared !== size) {
            return Effect.fail(invalid(`the object has ${declared} bytes, the record says ${size}`))
          }
          skip = part.offset
        }
        // Socket chunks are kept by reference (never copied) and go to disk about 1 MiB at a time in one positional
        // `writev`, while the next batch is read: one write in flight per part, so memory stays about 2 MiB per part.
        let received = 0
        let queued = 0
        let written = 0
        let batch: Array<Uint8Array> = []
        let batched = 0
        let inFlight: Deferred.Deferred<void, StorageFileError> | undefined
        let inFlightBytes = 0
        /** Waits for the write in flight, if any, and counts its bytes. */
        const settle = Effect.suspend(() => {
          const pending = inFlight
          if (pending === undefined) return Effect.void
          return Deferred.await(pending).pipe(
            Effect.andThen(Effect.suspend(() => {
              inFlight = undefined
              written += inFlightBytes
              return bytes(inFlightBytes)
            }))
          )
        })
        const flush = Effect.andThen(
          settle,
          Effect.sync(() => {
            if (batched === 0) return
            const write = Deferred.makeUnsafe<void, StorageFileError>()
            file.startWrite(batch, part.offset + queued, (error) => {
              Deferred.doneUnsafe(write, error === undefined ? Effect.void : Effect.fail(error))
            })
            inFlight = write
            inFlightBytes = batched
            queued += batched
            batch = []
            batched = 0
          })
        )
        const take = (chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, StorageFileError> => {
          for (const chunk of chunks) {
            let slice = chunk
            if (skip > 0) {
              const dropped = Math.min(skip, slice.length)
              skip -= dropped
              slice = slice.subarray(dropped)
            }
            if (slice.length > part.size - received) slice = slice.subarray(0, part.size - received)
            if (slice.length === 0) continue
            received += slice.length
            batch.push(slice)
            batched += slice.length
          }
          return batched >= writeBatchBytes || batch.length >= writeBatchChunks ? flush : Effect.void
        }
        const drain = !whole
          ? Stream.runForEachArray(body, take)
          // Whole-object answers: stop reading once the part's bytes are in.
          : Stream.runForEachWhile(body, (chunk) => Effect.as(take([chunk]), received < part.size))
        return drain.pipe(
          Effect.andThen(flush),
          Effect.andThen(settle),
          Effect.andThen(Effect.suspend(() =>
            written < part.size
              ? Effect.fail(
                new StorageTransportError({
                  provider,
                  ...location,
                  reason: "ConnectionReset",
                  detail: `the body ended after ${written} of ${part.size} bytes`
                })
              )
              : Effect.void
          )),
          Effect.onError(() => written === 0 ? Effect.void : bytes(-written)),
          // Never leave a write running against the descriptor (closed after the download) nor its buffers.
          Effect.ensuring(Effect.suspend(() => inFlight === undefined ? Effect.void : Effect.ignore(Deferred.await(inFlight))))
        )
      }

      const fetchRange = (part: Part, renewed = 0): Effect.Effect<void, StorageFailure | E, R> => {
        const current = url
        const operation = "GetObjectRange"
        return client.send({
          provider,
          operation,
          method: "GET",
          url: current,
          headers: { range: `bytes=${part.offset}-${part.offset + part.size - 1}` },
          accept: (status) => status === 200 || status === 206,
          retry: options.retry,
          onRetry: (attempt, error) =>
            emit({ _tag: "PartRetrying", partNumber: part.partNumber, attempt, reason: error.message }),
          onResponseBody: (response, body) => writeBody(part, response, body, { method: "GET", url: current, operation })
        }).pipe(
          Effect.catchIf(
            (error): error is StorageError =>
              error instanceof StorageError && isExpiredUrl(error) && renewed < maxRenewalsPerPart,
            (error) =>
              renew(current, error).pipe(
                Effect.andThen(emit({ _tag: "UrlRenewed", partNumber: part.partNumber })),
                Effect.andThen(Effect.suspend(() => fetchRange(part, renewed + 1)))
              )
          ),
          Effect.asVoid
        )
      }

      // A part is listed in the checkpoint as soon as it is written (a process crash keeps it), and every
      // `concurrency` parts a sync runs in the background, never holding a transfer, then marks how many listed parts
      // are durable (what a machine crash keeps). The last sync comes before verification and the rename.
      const appendLock = Semaphore.makeUnsafe(1)
      const append = (text: string) =>
        appendLock.withPermit(fs.writeFileString(checkpointPath, text, { flag: "a" }).pipe(fsFail(checkpointPath)))
      let listed = done.size
      let durable = 0
      let syncer: Fiber.Fiber<void> | undefined
      let syncing = false
      let syncFailure: StorageFileError | undefined
      const syncBehind = Effect.suspend(() => {
        const covered = listed
        return file.sync.pipe(
          Effect.andThen(append(`${JSON.stringify({ durable: covered })}\n`)),
          Effect.andThen(Effect.sync(() => void (durable = covered))),
          Effect.tapError((error) => Effect.sync(() => void (syncFailure ??= error))),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => void (syncing = false)))
        )
      })
      const record = (partNumber: number) =>
        append(`${JSON.stringify({ part: partNumber })}\n`).pipe(
          Effect.andThen(Effect.suspend(() => {
            listed++
            if (syncing || listed - durable < concurrency) return Effect.void
            syncing = true
            return Effect.map(Effect.forkIn(syncBehind, scope), (fiber) => void (syncer = fiber))
          }))
        )

      // The MD5 is taken in order, behind the download: the run of parts on disk from the start is read back (from
      // the OS cache, through one 1 MiB buffer) and hashed while later parts are still being fetched, so checking
      // mostly overlaps the transfer instead of reading the whole file again after it.
      const hash = md5 === undefined ? undefined : createHash("md5")
      const onDisk = new Set(done)
      let hashed = 0
      let hasher: Fiber.Fiber<void> | undefined
      let hashing = false
      let hashFailure: StorageFileError | undefined
      let readBuffer: Uint8Array | undefined
      const hashPart = (part: Part) =>
        Effect.suspend(() => {
          const buffer = readBuffer ??= new Uint8Array(Math.min(writeBatchBytes, size))
          const end = part.offset + part.size
          const from = (position: number): Effect.Effect<void, StorageFileError> =>
            position >= end ? Effect.void : file.readAt(buffer, Math.min(buffer.length, end - position), position).pipe(
              Effect.flatMap((read) => {
                if (read === 0) {
                  return Effect.fail(
                    new StorageFileError({ path: partialPath, reason: "Changed", detail: `ends before byte ${position}` })
                  )
                }
                hash!.update(buffer.subarray(0, read))
                return from(position + read)
              })
            )
          return from(part.offset)
        })
      const hashAhead: Effect.Effect<void, StorageFileError> = Effect.suspend(() =>
        hashed < parts.length && onDisk.has(parts[hashed]!.partNumber)
          ? hashPart(parts[hashed]!).pipe(Effect.andThen(Effect.suspend(() => {
            hashed++
            return hashAhead
          })))
          : Effect.void
      )
      const hashBehind = (partNumber: number) =>
        Effect.suspend(() => {
          onDisk.add(partNumber)
          if (hash === undefined || hashing || hashFailure !== undefined) return Effect.void
          hashing = true
          return Effect.map(
            Effect.forkIn(
              hashAhead.pipe(
                Effect.tapError((error) => Effect.sync(() => void (hashFailure ??= error))),
                Effect.ignore,
                Effect.ensuring(Effect.sync(() => void (hashing = false)))
              ),
              scope
            ),
            (fiber) => void (hasher = fiber)
          )
        })

      return Effect.forEach(parts.filter((part) => !done.has(part.partNumber)), (part) =>
        fetchRange(part).pipe(
          Effect.andThen(record(part.partNumber)),
          Effect.andThen(hashBehind(part.partNumber)),
          Effect.andThen(emit({ _tag: "PartCompleted", partNumber: part.partNumber, size: part.size }))
        ), { concurrency, discard: true }).pipe(
          Effect.andThen(Effect.all([
            // The last sync, and the hashing the background hasher had not reached, side by side.
            Effect.suspend(() => (syncer === undefined ? Effect.void : Fiber.join(syncer))).pipe(
              Effect.andThen(Effect.suspend(() => (syncFailure === undefined ? file.sync : Effect.fail(syncFailure))))
            ),
            Effect.suspend(() => (hasher === undefined ? Effect.void : Fiber.join(hasher))).pipe(
              Effect.andThen(Effect.suspend(() => {
                if (hash === undefined) return Effect.succeed(undefined)
                if (hashFailure !== undefined) return Effect.fail(hashFailure)
                return Effect.map(hashAhead, () => hash.digest("hex"))
              }))
            )
          ], { concurrency: 2 })),
          Effect.map(([, digest]) => digest)
        )
    }

    let writtenMd5: string | undefined
    if (size > 0) {
      writtenMd5 = yield* Effect.scoped(Effect.gen(function*() {
        const file = yield* openPartial(partialPath)
        return yield* fetchAll(file, yield* Effect.scope)
      }))
    } else {
      // A range of an empty object cannot be satisfied (416): ask for it whole.
      yield* client.send({ provider, operation: "GetObject", method: "GET", url, retry: options.retry })
    }

    const mismatch = writtenMd5 === undefined
      ? yield* check(partialPath)
      : writtenMd5 === md5
      ? undefined
      : { actualSize: (yield* sizeOf(fs, partialPath)) ?? 0, actualMd5: writtenMd5 }
    if (mismatch !== undefined) {
      yield* Effect.ignore(fs.remove(partialPath))
      yield* Effect.ignore(fs.remove(checkpointPath))
      return yield* new DownloadVerificationFailed({
        path,
        expectedSize: size,
        actualSize: mismatch.actualSize,
        ...(md5 === undefined ? {} : { expectedMd5: md5 }),
        ...("actualMd5" in mismatch && mismatch.actualMd5 !== undefined ? { actualMd5: mismatch.actualMd5 } : {})
      })
    }
    yield* fs.rename(partialPath, path).pipe(fsFail(path))
    yield* Effect.ignore(fs.remove(checkpointPath))
    yield* emit({ _tag: "DownloadCompleted", path, totalBytes: size })
    return { path, size, verified, skipped: false, fetchedBytes: fetched, resumedParts: resumedParts.length, renewals }
  }).pipe(Effect.withSpan("storage.download", { attributes: { "storage.provider": options.provider ?? "S3" } }))
