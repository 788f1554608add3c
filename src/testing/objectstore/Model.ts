/**
 * Public data shapes of the embedded object store (what tests and the emulator read back), plus the small byte
 * helpers every protocol shares. Bodies are kept as the chunks they arrived in: nothing is concatenated until a
 * caller asks for the bytes.
 */
import { createHash } from "node:crypto"

/** The storage protocols the store speaks. Iconik's `storage_method` values map to these (S3, GCS, AZURE, B2). */
export type Provider = "s3" | "gcs" | "azure" | "b2"

export const providers: ReadonlyArray<Provider> = ["s3", "gcs", "azure", "b2"]

/** Every request kind the store tells apart; fault rules and the request log use these names. */
export type Operation =
  // S3 (UploadPart is also B2's b2_upload_part)
  | "PutObject"
  | "CreateMultipartUpload"
  | "UploadPart"
  | "CompleteMultipartUpload"
  | "AbortMultipartUpload"
  | "ListParts"
  | "GetObject"
  | "HeadObject"
  | "DeleteObject"
  // GCS
  | "ResumableStart"
  | "ResumableChunk"
  | "ResumableStatus"
  | "ResumableCancel"
  // Azure
  | "PutBlob"
  | "PutBlock"
  | "PutBlockList"
  | "GetBlockList"
  // B2
  | "UploadFile"
  | "DownloadFile"

/** One piece of a composed object: an S3 part, an Azure block, a B2 large-file part. */
export interface PartStat {
  /** S3 / B2 part number; for Azure blocks, the 1-based position in the committed list. */
  readonly number: number
  readonly size: number
  /** What the provider calls this part: S3 quoted MD5 ETag, Azure block id, B2 SHA-1 hex. */
  readonly etag: string
  /** Hex MD5 of the part's bytes, when computed. */
  readonly md5: string | undefined
  /** Hex SHA-1 of the part's bytes, when computed. */
  readonly sha1: string | undefined
}

/** What the store knows about a finished object. */
export interface ObjectStat {
  readonly provider: Provider
  readonly bucket: string
  readonly key: string
  readonly size: number
  /** Hex MD5 of the whole object (undefined only in discard mode for composed objects). */
  readonly md5: string | undefined
  /** Hex SHA-1 of the whole object (same caveat as `md5`). */
  readonly sha1: string | undefined
  /** The ETag as the provider reports it: S3 quoted (`"…"` or `"…-N"`), Azure `"0x…"`, GCS/B2 unquoted ids. */
  readonly etag: string
  readonly contentType: string
  /** The pieces the object was composed from (S3 multipart, Azure block list, B2 large file). */
  readonly parts: ReadonlyArray<PartStat> | undefined
  /** Epoch millis from the store's Clock. */
  readonly lastModified: number
  /** False when the store runs as a null sink: the object was accepted but its bytes were dropped. */
  readonly bytesKept: boolean
}

/** An upload that was started and neither finished nor aborted: what "nothing orphaned" assertions look at. */
export interface PendingUpload {
  readonly provider: Provider
  /** S3 multipart upload, GCS resumable session, Azure uncommitted blocks, B2 unfinished large file. */
  readonly kind: "multipart" | "resumable" | "blocks" | "largeFile"
  readonly bucket: string
  readonly key: string
  /** S3 UploadId, GCS upload id, B2 fileId; for Azure the blob key (blocks have no upload id). */
  readonly uploadId: string
  readonly parts: ReadonlyArray<PartStat>
  /** Bytes received so far (GCS: bytes persisted). */
  readonly bytes: number
  readonly startedAt: number
}

/** One request as the store saw it, for assertions such as "part 3 was tried three times". */
export interface RequestRecord {
  readonly provider: Provider
  /** Undefined when the store did not recognise the request (it answered the provider's "not allowed" error). */
  readonly operation: Operation | undefined
  readonly method: string
  readonly bucket: string
  readonly key: string
  readonly partNumber: number | undefined
  /** 0 when the connection was reset. */
  readonly status: number
  /** The fault that shaped the answer, if any. */
  readonly fault: "Fail" | "Delay" | "Reset" | "LostAnswer" | undefined
  readonly at: number
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes kept as chunks

/** A body as received: the chunks in order and their total length. */
export interface Chunks {
  readonly chunks: ReadonlyArray<Uint8Array>
  readonly size: number
}

export const concatChunks = (body: Chunks): Uint8Array => {
  if (body.chunks.length === 1) return body.chunks[0]
  const out = new Uint8Array(body.size)
  let offset = 0
  for (const chunk of body.chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/** The bytes `[start, end)` as views on the stored chunks (no copy). */
export const sliceChunks = (body: Chunks, start: number, end: number): Chunks => {
  const out: Array<Uint8Array> = []
  let offset = 0
  for (const chunk of body.chunks) {
    const chunkEnd = offset + chunk.length
    if (chunkEnd > start && offset < end) {
      out.push(chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset)))
    }
    offset = chunkEnd
    if (offset >= end) break
  }
  return { chunks: out, size: Math.max(0, end - start) }
}

/** Joins bodies without copying their chunks. */
export const joinChunks = (bodies: ReadonlyArray<Chunks>): Chunks => ({
  chunks: bodies.flatMap((body) => body.chunks),
  size: bodies.reduce((total, body) => total + body.size, 0)
})

export type DigestAlgorithm = "md5" | "sha1"

export const digestChunks = (algorithm: DigestAlgorithm, body: Chunks): Buffer => {
  const hash = createHash(algorithm)
  for (const chunk of body.chunks) hash.update(chunk)
  return hash.digest()
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")
