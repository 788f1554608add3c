/**
 * Azure block blob upload through Iconik's SAS `upload_url`:
 *
 * - up to a threshold, one Put Blob (`PUT` with `x-ms-blob-type: BlockBlob`) → 201;
 * - above it, Put Block for each block (`?comp=block&blockid=…`, bounded concurrency, retried) then Put Block List
 *   (`?comp=blocklist`, XML) → 201. Block ids are base64 of fixed-width strings: Azure wants ids of equal length.
 *
 * Uncommitted blocks need no abort: Azure discards them after a week, or when another list is committed.
 */
import * as Effect from "effect/Effect"
import { concurrencyOf, MiB, type Part, type PartRules, planParts, sendWholeFile } from "./Parts.ts"
import { makeProgressTracker, type OnProgress } from "./Progress.ts"
import { type RetryPolicy, StorageClient } from "./StorageClient.ts"
import type { StorageFailure } from "./StorageError.ts"
import { escapeXml } from "./Xml.ts"

/** Files up to this size go in one Put Blob by default. */
export const defaultAzureSingleThreshold = 32 * MiB

/** Azure's block rules (service version 2019-12-12 and later). */
export const azureBlockRules: PartRules = {
  minPartSize: 1,
  maxPartSize: 4000 * MiB,
  maxParts: 50_000,
  alignment: 1
}

export interface AzureBlockBlobOptions {
  readonly path: string
  /** Iconik's SAS `upload_url` for the blob. */
  readonly uploadUrl: string
  /** Stored as the blob's `Content-Type` (default `application/octet-stream`). */
  readonly contentType?: string | undefined
  /** One Put Blob up to this many bytes (default 32 MiB, at most 5000 MiB). */
  readonly singlePutThreshold?: number | undefined
  /** Default 8 MiB. */
  readonly blockSize?: number | undefined
  /** Blocks in flight at once (default 4). */
  readonly concurrency?: number | undefined
  readonly retry?: Partial<RetryPolicy> | undefined
  /** `x-ms-version` header (default 2021-12-02). */
  readonly serviceVersion?: string | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface AzureBlockBlobResult {
  readonly size: number
  readonly strategy: "single" | "blocks"
  /** The committed block ids, in order (empty for a single Put Blob). */
  readonly blockIds: ReadonlyArray<string>
  readonly etag: string | undefined
}

/** The block id of part `n`: base64 of a fixed-width string, so every id of the blob has the same length. */
export const azureBlockId = (partNumber: number): string =>
  Buffer.from(`block-${String(partNumber).padStart(6, "0")}`).toString("base64")

/** Appends query parameters to a SAS URL without touching its existing (signed) ones. */
const withQuery = (url: string, query: string) => {
  const hash = url.indexOf("#")
  const base = hash === -1 ? url : url.slice(0, hash)
  return `${base}${base.includes("?") ? "&" : "?"}${query}`
}

/** The Put Block List body: every block as `<Latest>`, in order. */
export const azureBlockListXml = (blockIds: ReadonlyArray<string>): string =>
  "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>" +
  blockIds.map((id) => `<Latest>${escapeXml(id)}</Latest>`).join("") +
  "</BlockList>"

/** Uploads a file as an Azure block blob. */
export const uploadAzureBlockBlob = (
  options: AzureBlockBlobOptions
): Effect.Effect<AzureBlockBlobResult, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    const contentType = options.contentType ?? "application/octet-stream"
    const version = { "x-ms-version": options.serviceVersion ?? "2021-12-02" }
    const threshold = Math.min(options.singlePutThreshold ?? defaultAzureSingleThreshold, 5000 * MiB)
    const tracker = makeProgressTracker(file.size, options.onProgress)
    const onRetry = (partNumber: number) => (attempt: number, error: StorageFailure) =>
      tracker.emit({ _tag: "PartRetrying", partNumber, attempt, reason: error.message })

    if (file.size <= threshold) {
      const response = yield* sendWholeFile(file, tracker, {
        provider: "Azure",
        operation: "PutBlob",
        method: "PUT",
        url: options.uploadUrl,
        headers: { ...version, "x-ms-blob-type": "BlockBlob" },
        contentType,
        retry: options.retry
      })
      yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
      return { size: file.size, strategy: "single", blockIds: [], etag: response.headers["etag"] } as const
    }

    const plan = yield* planParts("Azure", file.size, options.blockSize ?? 8 * MiB, azureBlockRules)
    yield* tracker.emit({
      _tag: "UploadStarted",
      provider: "Azure",
      totalBytes: file.size,
      partCount: plan.parts.length,
      partSize: plan.partSize,
      resumedParts: 0
    })
    const putBlock = (part: Part) => {
      const blockId = azureBlockId(part.partNumber)
      return client.send({
        provider: "Azure",
        operation: "PutBlock",
        method: "PUT",
        url: withQuery(options.uploadUrl, `comp=block&blockid=${encodeURIComponent(blockId)}`),
        headers: version,
        body: { _tag: "FileRange", path: options.path, offset: part.offset, length: part.size },
        retry: options.retry,
        onBodyProgress: tracker.bytes,
        onRetry: onRetry(part.partNumber)
      }).pipe(
        Effect.andThen(
          tracker.emit({ _tag: "PartCompleted", partNumber: part.partNumber, size: part.size, etag: blockId })
        )
      )
    }
    yield* Effect.forEach(plan.parts, putBlock, { concurrency: concurrencyOf(options.concurrency, 4), discard: true })
    yield* client.ensureUnchanged(file)

    const blockIds = plan.parts.map((part) => azureBlockId(part.partNumber))
    const response = yield* client.send({
      provider: "Azure",
      operation: "PutBlockList",
      method: "PUT",
      url: withQuery(options.uploadUrl, "comp=blocklist"),
      headers: { ...version, "x-ms-blob-content-type": contentType },
      body: {
        _tag: "Bytes",
        bytes: new TextEncoder().encode(azureBlockListXml(blockIds)),
        contentType: "application/xml"
      },
      retry: options.retry
    })
    yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
    return { size: file.size, strategy: "blocks", blockIds, etag: response.headers["etag"] } as const
  })
