/**
 * The store's in-memory state: buckets, finished objects, and every kind of unfinished upload (S3 multipart, GCS
 * resumable sessions, Azure uncommitted blocks, B2 large files). Plain mutable maps: every change happens inside one
 * synchronous step of a request's fiber, so concurrent requests never see half an update.
 */
import type { Hash } from "node:crypto"
import {
  type Chunks,
  digestChunks,
  hex,
  type ObjectStat,
  type PartStat,
  type PendingUpload,
  type Provider,
  type RequestRecord
} from "./Model.ts"

/** A part, block or chunk as stored. `body` is undefined when the store discards bytes. */
export interface StoredPart {
  readonly number: number
  readonly size: number
  readonly body: Chunks | undefined
  md5: Buffer | undefined
  sha1: Buffer | undefined
  /** Provider-specific name: S3 quoted MD5, Azure block id, B2 SHA-1 hex. */
  readonly etag: string
  readonly lastModified: number
}

export interface StoredObject {
  readonly provider: Provider
  readonly bucket: string
  readonly key: string
  readonly size: number
  readonly body: Chunks | undefined
  md5: Buffer | undefined
  sha1: Buffer | undefined
  readonly etag: string
  readonly contentType: string
  readonly parts: ReadonlyArray<StoredPart> | undefined
  readonly lastModified: number
  /** Provider extras: B2 `fileId` and `fileInfo`, GCS `generation`. */
  readonly meta: Readonly<Record<string, string>>
}

export interface S3Upload {
  readonly uploadId: string
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  readonly startedAt: number
  readonly parts: Map<number, StoredPart>
}

export interface GcsSession {
  readonly uploadId: string
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  readonly startedAt: number
  /** Persisted bytes, in order (empty when discarding). */
  readonly chunks: Array<Uint8Array>
  committed: number
  /** Declared by a `Content-Range: …/total`; fixed once given. */
  total: number | undefined
  /** Running digests of the persisted bytes, so discard mode still reports them. */
  readonly md5: Hash
  readonly sha1: Hash
  /** Set when the upload finished; later requests on the session answer with it. */
  finished: StoredObject | undefined
}

export interface AzureBlockSet {
  readonly bucket: string
  readonly key: string
  readonly startedAt: number
  readonly blocks: Map<string, StoredPart>
}

export interface B2LargeFile {
  readonly fileId: string
  readonly bucket: string
  readonly key: string
  readonly contentType: string
  readonly fileInfo: Readonly<Record<string, string>>
  readonly startedAt: number
  readonly parts: Map<number, StoredPart>
}

const objectId = (bucket: string, key: string) => `${bucket}\u0000${key}`

/** Fills in missing digests from the kept bytes (cached), or leaves them unknown in discard mode. */
const ensureDigests = (target: { body: Chunks | undefined; md5: Buffer | undefined; sha1: Buffer | undefined }) => {
  if (target.body !== undefined) {
    target.md5 ??= digestChunks("md5", target.body)
    target.sha1 ??= digestChunks("sha1", target.body)
  }
}

export const partStat = (part: StoredPart): PartStat => {
  ensureDigests(part)
  return {
    number: part.number,
    size: part.size,
    etag: part.etag,
    md5: part.md5 && hex(part.md5),
    sha1: part.sha1 && hex(part.sha1)
  }
}

export const objectStat = (object: StoredObject): ObjectStat => {
  ensureDigests(object)
  return {
    provider: object.provider,
    bucket: object.bucket,
    key: object.key,
    size: object.size,
    md5: object.md5 && hex(object.md5),
    sha1: object.sha1 && hex(object.sha1),
    etag: object.etag,
    contentType: object.contentType,
    parts: object.parts?.map(partStat),
    lastModified: object.lastModified,
    bytesKept: object.body !== undefined
  }
}

export class StoreState {
  readonly buckets = new Map<string, Provider>()
  readonly objects = new Map<string, StoredObject>()
  readonly s3Uploads = new Map<string, S3Upload>()
  readonly gcsSessions = new Map<string, GcsSession>()
  readonly azureBlocks = new Map<string, AzureBlockSet>()
  readonly b2LargeFiles = new Map<string, B2LargeFile>()
  readonly requests: Array<RequestRecord> = []
  /** False in null-sink mode: bodies are hashed and counted, then dropped. */
  readonly keepBytes: boolean

  constructor(keepBytes: boolean) {
    this.keepBytes = keepBytes
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(objectId(bucket, key))
  }

  putObject(object: StoredObject): void {
    this.objects.set(objectId(object.bucket, object.key), object)
  }

  deleteObject(bucket: string, key: string): boolean {
    return this.objects.delete(objectId(bucket, key))
  }

  listObjects(bucket: string): ReadonlyArray<StoredObject> {
    return [...this.objects.values()].filter((object) => object.bucket === bucket)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  azureBlockSet(bucket: string, key: string, now: number): AzureBlockSet {
    const id = objectId(bucket, key)
    let set = this.azureBlocks.get(id)
    if (set === undefined) {
      set = { bucket, key, startedAt: now, blocks: new Map() }
      this.azureBlocks.set(id, set)
    }
    return set
  }

  dropAzureBlocks(bucket: string, key: string): void {
    this.azureBlocks.delete(objectId(bucket, key))
  }

  /** Aborts an S3 multipart upload, cancels a GCS session or a B2 large file. False when no such upload is open. */
  abortUpload(uploadId: string): boolean {
    const session = this.gcsSessions.get(uploadId)
    if (session !== undefined && session.finished !== undefined) return false
    return this.s3Uploads.delete(uploadId) || this.gcsSessions.delete(uploadId) || this.b2LargeFiles.delete(uploadId)
  }

  pendingUploads(): ReadonlyArray<PendingUpload> {
    const sum = (parts: Iterable<StoredPart>) => {
      let total = 0
      for (const part of parts) total += part.size
      return total
    }
    const sortedParts = (parts: Map<number, StoredPart>) =>
      [...parts.values()].sort((a, b) => a.number - b.number).map(partStat)
    const pending: Array<PendingUpload> = []
    for (const upload of this.s3Uploads.values()) {
      pending.push({
        provider: "s3",
        kind: "multipart",
        bucket: upload.bucket,
        key: upload.key,
        uploadId: upload.uploadId,
        parts: sortedParts(upload.parts),
        bytes: sum(upload.parts.values()),
        startedAt: upload.startedAt
      })
    }
    for (const session of this.gcsSessions.values()) {
      if (session.finished !== undefined) continue
      pending.push({
        provider: "gcs",
        kind: "resumable",
        bucket: session.bucket,
        key: session.key,
        uploadId: session.uploadId,
        parts: [],
        bytes: session.committed,
        startedAt: session.startedAt
      })
    }
    for (const set of this.azureBlocks.values()) {
      if (set.blocks.size === 0) continue
      pending.push({
        provider: "azure",
        kind: "blocks",
        bucket: set.bucket,
        key: set.key,
        uploadId: set.key,
        parts: [...set.blocks.values()].map(partStat),
        bytes: sum(set.blocks.values()),
        startedAt: set.startedAt
      })
    }
    for (const file of this.b2LargeFiles.values()) {
      pending.push({
        provider: "b2",
        kind: "largeFile",
        bucket: file.bucket,
        key: file.key,
        uploadId: file.fileId,
        parts: sortedParts(file.parts),
        bytes: sum(file.parts.values()),
        startedAt: file.startedAt
      })
    }
    return pending
  }
}
