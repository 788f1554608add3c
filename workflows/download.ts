/**
 * Bring media back from Iconik: an asset's original, its proxies, its keyframes, or all of that for every asset of a
 * collection or a search, to a local folder. The bytes move with `downloadToFile` (ranged, concurrent, resumable,
 * verified: see `src/storage/Download.ts`); this module finds the records and their signed URLs the way Iconik hands
 * them out:
 *
 * - original: the asset's `ORIGINAL` format → its ACTIVE file sets → their CLOSED files →
 *   `GET …/files/{file_id}/download_url/` (files are not signed in lists by default); verified by size and the file's
 *   `checksum` (MD5) when Iconik has one;
 * - proxies: CLOSED proxies → `GET …/proxies/{proxy_id}/download_url/`; proxies carry no checksum, so size only;
 * - keyframes: CLOSED keyframes, whose `url` Iconik signs in the list; renewed by reading the keyframe again.
 *
 * A URL that expires mid-download is renewed with the same call. Local names come from the record (`original_name`,
 * `filename`, `name`), reduced to one safe path segment; `downloadAll` puts each asset in a folder named by its id so
 * names never collide. A rerun skips files already on disk that verify, and resumes partial ones.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as Collections from "../src/Collections.ts"
import * as Files from "../src/Files.ts"
import * as files from "../src/generated/files.ts"
import type * as search from "../src/generated/search.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import type { IconikPaginationError } from "../src/Pagination.ts"
import {
  type DownloadEvent,
  type DownloadResult,
  downloadToFile,
  type DownloadVerificationFailed
} from "../src/storage/Download.ts"
import { StorageClient, type StorageClientShape } from "../src/storage/StorageClient.ts"
import type { StorageFailure, StorageProvider } from "../src/storage/StorageError.ts"
import * as Options from "./Options.ts"
import * as Progress from "./Progress.ts"
import { searchAll } from "./searchAll.ts"
import * as Workflow from "./Workflow.ts"

export type DownloadKind = "original" | "proxy" | "keyframes"

/** Nothing to download, or no way to: no CLOSED original, a record without size, a storage clients cannot read. */
export class DownloadUnavailable extends Schema.TaggedError<DownloadUnavailable>()("DownloadUnavailable", {
  assetId: Schema.String,
  kind: Schema.Literals(["original", "proxy", "keyframes"]),
  detail: Schema.String
}) {
  override get message() {
    return `asset ${this.assetId}: cannot download its ${this.kind}: ${this.detail}`
  }
}

export type DownloadError =
  | IconikError
  | IconikPaginationError
  | StorageFailure
  | DownloadVerificationFailed
  | DownloadUnavailable
  | Options.InvalidOption

export interface DownloadOptions {
  readonly assetId: string
  /** The folder to write into (created if missing). */
  readonly to: string
  /** Bytes per ranged GET. Default 8 MiB. */
  readonly partSize?: number | undefined
  /** Ranged GETs in flight per file. Default 4. */
  readonly concurrency?: number | undefined
  /** Resume partial files and skip verified ones (default true); `false` fetches everything again. */
  readonly resume?: boolean | undefined
  /** Low-level transfer events, per file, on top of the workflow's {@link Progress} events. */
  readonly onProgress?: ((file: string, event: DownloadEvent) => Effect.Effect<void>) | undefined
}

/** One file brought back (or found on disk already). */
export interface DownloadedItem {
  readonly assetId: string
  readonly kind: DownloadKind
  readonly recordId: string
  readonly path: string
  readonly size: number
  readonly verified: "md5" | "size"
  readonly skipped: boolean
  readonly fetchedBytes: number
}

type Deps = IconikClient | StorageClient | FileSystem.FileSystem

/** What a download needs of a record, whatever its kind. */
interface Target {
  readonly assetId: string
  readonly kind: DownloadKind
  readonly recordId: string
  readonly name: string
  readonly size: number
  readonly md5: string | undefined
  readonly provider: StorageProvider
  readonly signedUrl: Effect.Effect<string, IconikError | DownloadUnavailable, IconikClient>
}

const providers: Record<string, StorageProvider> = { S3: "S3", GCS: "GCS", AZURE: "Azure", B2: "B2" }

/** One path segment from a record's name: no separators, no `.`/`..`, no control characters. */
export const safeName = (name: string | null | undefined, fallback: string): string => {
  // eslint-disable-next-line no-control-regex
  const cleaned = (name ?? "").replace(/[/\\\u0000-\u001f]/g, "_").trim()
  return cleaned === "" || cleaned === "." || cleaned === ".." ? fallback : cleaned
}

const targetOf = (
  assetId: string,
  kind: DownloadKind,
  record: {
    readonly id: string
    readonly size?: number | null | undefined
    readonly storage_method?: string | null | undefined
  },
  name: string,
  md5: string | undefined,
  signedUrl: Target["signedUrl"]
): Effect.Effect<Target, DownloadUnavailable> => {
  const unavailable = (detail: string) => Effect.fail(new DownloadUnavailable({ assetId, kind, detail }))
  const provider = providers[(record.storage_method ?? "").toUpperCase()]
  if (provider === undefined) {
    return unavailable(`record ${record.id} is on a ${record.storage_method ?? "unknown"} storage, not S3, GCS, Azure or B2`)
  }
  if (typeof record.size !== "number" || !Number.isSafeInteger(record.size) || record.size < 0) {
    return unavailable(`record ${record.id} has no size, so the download could not be verified`)
  }
  return Effect.succeed({ assetId, kind, recordId: record.id, name, size: record.size, md5, provider, signedUrl })
}

const md5Of = (checksum: string | null | undefined) =>
  typeof checksum === "string" && /^[0-9a-fA-F]{32}$/.test(checksum) ? checksum.toLowerCase() : undefined

const urlOr = (assetId: string, kind: DownloadKind, url: string | null | undefined) =>
  typeof url === "string" && url !== ""
    ? Effect.succeed(url)
    : Effect.fail(new DownloadUnavailable({ assetId, kind, detail: "Iconik returned no signed URL" }))

/** The CLOSED files of the asset's ORIGINAL format (its ACTIVE file sets). */
const originalTargets = (assetId: string) =>
  Effect.gen(function*() {
    const formats = yield* Stream.runCollect(Files.streamFormats(assetId))
    const original = formats.find((format) => format.name === "ORIGINAL" && format.status !== "DELETED")
    if (original === undefined) {
      return yield* new DownloadUnavailable({ assetId, kind: "original", detail: "the asset has no ORIGINAL format" })
    }
    const fileSets = (yield* Stream.runCollect(Files.streamFileSets(assetId)))
      .filter((set) => set.format_id === original.id && (set.status ?? "ACTIVE") === "ACTIVE")
    const setIds = new Set(fileSets.map((set) => set.id))
    const closed = (yield* Stream.runCollect(Files.streamFiles(assetId)))
      .filter((file) => setIds.has(file.file_set_id) && file.status === "CLOSED" && file.type === "FILE")
    if (closed.length === 0) {
      return yield* new DownloadUnavailable({ assetId, kind: "original", detail: "its ORIGINAL format has no CLOSED file" })
    }
    return yield* Effect.forEach(closed, (file: files.File) =>
      targetOf(
        assetId,
        "original",
        file,
        safeName(file.original_name || file.name, file.id),
        md5Of(file.checksum),
        Effect.flatMap(files.getAssetFileDownloadUrl({ asset_id: assetId, file_id: file.id }), (answer) => urlOr(assetId, "original", answer.url))
      ))
  })

const proxyTargets = (assetId: string) =>
  Effect.gen(function*() {
    const proxies = (yield* Stream.runCollect(Files.streamProxies(assetId, { generate_signed_url: false })))
      .filter((proxy) => proxy.status === "CLOSED")
    if (proxies.length === 0) {
      return yield* new DownloadUnavailable({ assetId, kind: "proxy", detail: "the asset has no CLOSED proxy" })
    }
    return yield* Effect.forEach(proxies, (proxy: files.Proxy) =>
      targetOf(
        assetId,
        "proxy",
        proxy,
        safeName(proxy.filename || proxy.name, `${proxy.id}.proxy`),
        undefined,
        Effect.flatMap(files.getAssetProxyDownloadUrl({ asset_id: assetId, proxy_id: proxy.id }), (answer) => urlOr(assetId, "proxy", answer.url))
      ))
  })

const keyframeTargets = (assetId: string) =>
  Effect.gen(function*() {
    const keyframes = (yield* Stream.runCollect(Files.streamKeyframes(assetId)))
      .filter((keyframe) => keyframe.status === "CLOSED")
    if (keyframes.length === 0) {
      return yield* new DownloadUnavailable({ assetId, kind: "keyframes", detail: "the asset has no CLOSED keyframe" })
    }
    return yield* Effect.forEach(keyframes, (keyframe: files.Keyframe) =>
      targetOf(
        assetId,
        "keyframes",
        keyframe,
        // Keyframes often share a file name (`poster.jpg`): the id keeps them apart.
        `${keyframe.id}-${safeName(keyframe.filename || keyframe.name, "keyframe.jpg")}`,
        undefined,
        Effect.flatMap(Files.getKeyframe(assetId, keyframe.id), (fresh) => urlOr(assetId, "keyframes", fresh.url))
      ))
  })

const targetsFor = (assetId: string, kind: DownloadKind) =>
  kind === "original" ? originalTargets(assetId) : kind === "proxy" ? proxyTargets(assetId) : keyframeTargets(assetId)

const validate = (options: { readonly partSize?: number | undefined; readonly concurrency?: number | undefined }) =>
  Effect.all([
    Options.integer("partSize", options.partSize, Options.ranges.partSize),
    Options.integer("concurrency", options.concurrency, Options.ranges.concurrency)
  ])

/** Downloads one target into `dir`, reporting bytes to {@link Progress}. */
const fetchTarget = (target: Target, dir: string, options: Omit<DownloadOptions, "assetId" | "to">) =>
  Effect.gen(function*() {
    const path = `${dir}/${target.name}`
    const item = path
    const result: DownloadResult = yield* Workflow.forItem(
      item,
      Workflow.step(
        `download ${target.kind}`,
        Effect.flatMap(target.signedUrl, (url) =>
          downloadToFile({
            url,
            path,
            size: target.size,
            md5: target.md5,
            provider: target.provider,
            partSize: options.partSize,
            concurrency: options.concurrency,
            resume: options.resume,
            identity: `${target.kind}:${target.recordId}`,
            renewUrl: target.signedUrl,
            onProgress: (event) =>
              Effect.andThen(
                event._tag === "BytesTransferred"
                  ? Progress.emit({ _tag: "BytesTransferred", item, transferred: event.transferredBytes, total: event.totalBytes })
                  : Effect.void,
                options.onProgress === undefined ? Effect.void : options.onProgress(path, event)
              )
          }))
      )
    )
    return {
      assetId: target.assetId,
      kind: target.kind,
      recordId: target.recordId,
      path,
      size: target.size,
      verified: result.verified,
      skipped: result.skipped,
      fetchedBytes: result.fetchedBytes
    } satisfies DownloadedItem
  })

const downloadKind = (kind: DownloadKind) => (options: DownloadOptions) =>
  Effect.gen(function*() {
    yield* validate(options)
    const fs = yield* FileSystem.FileSystem
    const targets = yield* Workflow.step(`find ${kind}`, targetsFor(options.assetId, kind))
    yield* fs.makeDirectory(options.to, { recursive: true }).pipe(
      Effect.mapError((error) => new DownloadUnavailable({ assetId: options.assetId, kind, detail: error.message }))
    )
    return yield* Effect.forEach(targets, (target) => fetchTarget(target, options.to, options))
  })

/** The asset's original (every CLOSED file of its ORIGINAL format), verified by size and MD5 when Iconik has it. */
export const downloadFile: (
  options: DownloadOptions
) => Effect.Effect<ReadonlyArray<DownloadedItem>, DownloadError, Deps> = Workflow.make("downloadFile", downloadKind("original"))

/** The asset's CLOSED proxies (verified by size: proxies carry no checksum). */
export const downloadProxy: (
  options: DownloadOptions
) => Effect.Effect<ReadonlyArray<DownloadedItem>, DownloadError, Deps> = Workflow.make("downloadProxy", downloadKind("proxy"))

/** The asset's CLOSED keyframes and posters (verified by size). */
export const downloadKeyframes: (
  options: DownloadOptions
) => Effect.Effect<ReadonlyArray<DownloadedItem>, DownloadError, Deps> = Workflow.make(
  "downloadKeyframes",
  downloadKind("keyframes")
)

export type DownloadSource =
  | { readonly _tag: "Assets"; readonly assetIds: ReadonlyArray<string> }
  /** A collection's assets; `recursive`: its sub-collections' too (each collection visited once). */
  | { readonly _tag: "Collection"; readonly collectionId: string; readonly recursive?: boolean | undefined }
  /** Every asset a search finds (`doc_types` is forced to assets). */
  | { readonly _tag: "Search"; readonly criteria: search.SearchCriteria }

export interface DownloadAllOptions extends Omit<DownloadOptions, "assetId"> {
  readonly source: DownloadSource
  /** What to fetch per asset. Default `["original"]`. */
  readonly kinds?: ReadonlyArray<DownloadKind> | undefined
  /** Files in flight at once, and ranged GETs in flight in all (one bound over every file). Default 4. */
  readonly files?: number | undefined
}

export interface FailedDownload {
  readonly assetId: string
  readonly kind: DownloadKind
  /** The failure's tag, e.g. `DownloadVerificationFailed`, `StorageError`, `DownloadUnavailable`. */
  readonly reason: string
  readonly message: string
}

export interface DownloadAllReport {
  readonly downloaded: ReadonlyArray<DownloadedItem>
  /** On disk already and verified: nothing fetched. */
  readonly skipped: ReadonlyArray<DownloadedItem>
  readonly failed: ReadonlyArray<FailedDownload>
}

/** The asset ids of a source, in order, each once. */
const assetIdsOf = (
  source: DownloadSource
): Effect.Effect<ReadonlyArray<string>, IconikError | IconikPaginationError | Options.InvalidOption, IconikClient> => {
  switch (source._tag) {
    case "Assets":
      return Effect.succeed([...new Set(source.assetIds)])
    case "Search":
      return searchAll({ ...source.criteria, doc_types: ["assets"] }).pipe(
        Stream.map((hit) => hit.id),
        Stream.filter((id): id is string => typeof id === "string"),
        Stream.runCollect,
        Effect.map((ids) => [...new Set(ids)])
      )
    case "Collection":
      return Effect.gen(function*() {
        const assets = new Set<string>()
        const visited = new Set<string>()
        const queue = [source.collectionId]
        while (queue.length > 0) {
          const collectionId = queue.shift()!
          if (visited.has(collectionId)) continue
          visited.add(collectionId)
          const contents = yield* Stream.runCollect(Collections.streamContents(collectionId))
          for (const entry of contents) {
            const raw = entry as { readonly id?: unknown; readonly object_id?: unknown; readonly object_type?: unknown }
            const id = typeof raw.object_id === "string" ? raw.object_id : typeof raw.id === "string" ? raw.id : undefined
            if (id === undefined) continue
            if (raw.object_type === "collections") {
              if (source.recursive === true) queue.push(id)
            } else if (raw.object_type === undefined || raw.object_type === "assets") assets.add(id)
          }
        }
        return [...assets]
      })
  }
}

/** The storage client with one bound on GETs streaming to disk, whatever the per-file part concurrency. */
const limitDownloads = (client: StorageClientShape, permits: number): Effect.Effect<StorageClientShape> =>
  Effect.map(Semaphore.make(permits), (semaphore): StorageClientShape => ({
    ...client,
    send: (request) => request.onResponseBody === undefined ? client.send(request) : semaphore.withPermit(client.send(request))
  }))

/**
 * Every asset of a collection, a search or a list: `kinds` of each (default the original) into `to/<asset id>/`,
 * `files` at a time with one bound on ranged GETs in all. A failing asset does not stop the others: the report lists
 * what was downloaded, what was on disk already (skipped) and what failed, with why. Fails as a whole only when the
 * source cannot be listed or the options are bad.
 */
export const downloadAll = Workflow.make("downloadAll", (options: DownloadAllOptions) =>
  Effect.gen(function*() {
    yield* validate(options)
    const files = yield* Options.integer("files", options.files, Options.ranges.concurrency)
    const permits = files ?? 4
    const kinds = options.kinds ?? ["original"]
    const assetIds = yield* Workflow.step("list assets", assetIdsOf(options.source))
    yield* Progress.emit({ _tag: "ItemsPlanned", items: assetIds.length * kinds.length, bytes: 0 })
    const client = yield* limitDownloads(yield* StorageClient, permits)
    const downloaded: Array<DownloadedItem> = []
    const skipped: Array<DownloadedItem> = []
    const failed: Array<FailedDownload> = []
    const jobs = assetIds.flatMap((assetId) => kinds.map((kind) => ({ assetId, kind })))
    yield* Effect.forEach(jobs, ({ assetId, kind }) =>
      downloadKind(kind)({ ...options, assetId, to: `${options.to}/${safeName(assetId, "asset")}` }).pipe(
        Effect.tap((items) =>
          Effect.gen(function*() {
            for (const item of items) (item.skipped ? skipped : downloaded).push(item)
            const bytes = items.reduce((sum, item) => sum + item.size, 0)
            yield* Progress.emit({
              _tag: "ItemFinished",
              item: `${assetId} ${kind}`,
              bytes,
              outcome: items.every((item) => item.skipped) ? "skipped" : "ingested"
            })
          })
        ),
        Effect.catch((error) =>
          Effect.gen(function*() {
            failed.push({ assetId, kind, reason: Workflow.reasonOf(error), message: Workflow.messageOf(error) })
            yield* Progress.emit({
              _tag: "ItemFinished",
              item: `${assetId} ${kind}`,
              bytes: 0,
              outcome: "failed",
              reason: Workflow.messageOf(error)
            })
          })
        )
      ), { concurrency: permits, discard: true })
      .pipe(Effect.provideService(StorageClient, client))
    return { downloaded, skipped, failed } satisfies DownloadAllReport
  }))
