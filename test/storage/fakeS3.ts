/**
 * A minimal S3 for wire-level tests: CreateMultipartUpload, UploadPart, ListParts, CompleteMultipartUpload,
 * AbortMultipartUpload and PutObject, with a hook to inject faults, plus the Iconik side of the flow (paginated part URLs, complete/abort
 * URLs, clean-up) as the engine's injected calls. URLs carry a fake `X-Amz-Signature` so tests can look for leaks.
 */
import { Effect } from "effect"
import type { S3CompletionUrls, S3PartUrlsPage, S3PartUrlsQuery } from "../../src/storage/index.ts"
import { type Handler, md5, type Recorded, type Reply } from "./support.ts"

export const SECRET_SIGNATURE = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"

export const signed = (url: string) =>
  `${url}${url.includes("?") ? "&" : "?"}X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${SECRET_SIGNATURE}`

export interface FakeS3Options {
  /** Keep part bodies (default true); off for large transfers where only sizes matter. */
  readonly keepBodies?: boolean
  /** Answers a request before the normal handling when it returns a reply. */
  readonly fault?: (request: Recorded) => Reply | undefined
  /** The body of the CompleteMultipartUpload answer. */
  readonly completeAnswer?: (key: string) => string
  /** How many bytes of an uploaded part are kept (default all): a store that loses bytes yet answers 200. */
  readonly keepBytes?: (partNumber: number, size: number) => number
}

export interface FakeS3 {
  readonly handler: Handler
  readonly uploads: Map<string, Map<number, { etag: string; body: Buffer; size: number }>>
  readonly objects: Map<string, Buffer>
  readonly aborted: Array<string>
  readonly partPuts: Array<{ readonly uploadId: string; readonly partNumber: number; readonly body: Buffer }>
}

const xml = (body: string): Reply => ({ status: 200, headers: { "content-type": "application/xml" }, body })
const s3Error = (status: number, code: string, message: string): Reply => ({
  status,
  headers: { "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
})

export const makeFakeS3 = (options: FakeS3Options = {}): FakeS3 => {
  const uploads: FakeS3["uploads"] = new Map()
  const objects = new Map<string, Buffer>()
  const aborted: Array<string> = []
  const partPuts: FakeS3["partPuts"] = []
  let nextUpload = 1
  const handler: Handler = (request) => {
    const fault = options.fault?.(request)
    if (fault !== undefined) return fault
    const key = request.path
    const uploadId = request.query.get("uploadId")
    if (request.method === "POST" && request.query.has("uploads")) {
      const id = `upload-${nextUpload++}`
      uploads.set(id, new Map())
      return xml(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`)
    }
    if (request.method === "PUT" && uploadId !== null) {
      const parts = uploads.get(uploadId)
      if (parts === undefined) return s3Error(404, "NoSuchUpload", "no such upload")
      const partNumber = Number(request.query.get("partNumber"))
      const etag = `"${md5(request.body)}"`
      const kept = request.body.subarray(0, options.keepBytes?.(partNumber, request.body.length))
      const body = options.keepBodies === false ? Buffer.alloc(0) : kept
      parts.set(partNumber, { etag, body, size: kept.length })
      partPuts.push({ uploadId, partNumber, body })
      return { status: 200, headers: { etag } }
    }
    if (request.method === "POST" && uploadId !== null) {
      const parts = uploads.get(uploadId)
      if (parts === undefined) return s3Error(404, "NoSuchUpload", "no such upload")
      const listed = Array.from(
        request.body.toString("utf8").matchAll(/<Part><PartNumber>(\d+)<\/PartNumber><ETag>([^<]*)<\/ETag><\/Part>/g),
        (match) => ({ partNumber: Number(match[1]), etag: match[2]! })
      )
      for (const [index, part] of listed.entries()) {
        if (index > 0 && part.partNumber <= listed[index - 1]!.partNumber) {
          return s3Error(400, "InvalidPartOrder", "parts must be ascending")
        }
        if (parts.get(part.partNumber)?.etag !== part.etag) return s3Error(400, "InvalidPart", "wrong ETag")
      }
      objects.set(key, Buffer.concat(listed.map((part) => parts.get(part.partNumber)!.body)))
      uploads.delete(uploadId)
      return xml(
        options.completeAnswer?.(key) ??
          `<CompleteMultipartUploadResult><Location>http://x${key}</Location><Key>${key}</Key><ETag>&quot;abc-${listed.length}&quot;</ETag></CompleteMultipartUploadResult>`
      )
    }
    if (request.method === "GET" && uploadId !== null) {
      const parts = uploads.get(uploadId)
      if (parts === undefined) return s3Error(404, "NoSuchUpload", "no such upload")
      const listed = [...parts.entries()].sort(([a], [b]) => a - b).map(([partNumber, part]) =>
        `<Part><PartNumber>${partNumber}</PartNumber><ETag>${part.etag}</ETag><Size>${part.size}</Size></Part>`
      )
      return xml(`<ListPartsResult><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${listed.join("")}</ListPartsResult>`)
    }
    if (request.method === "DELETE" && uploadId !== null) {
      if (!uploads.delete(uploadId)) return s3Error(404, "NoSuchUpload", "no such upload")
      aborted.push(uploadId)
      return { status: 204 }
    }
    if (request.method === "PUT") {
      objects.set(key, request.body)
      return { status: 200, headers: { etag: `"${md5(request.body)}"` } }
    }
    return s3Error(400, "InvalidRequest", `unexpected ${request.method} ${request.url}`)
  }
  return { handler, uploads, objects, aborted, partPuts }
}

/** The Iconik half of the flow, against the fake S3 at `baseUrl`, counting what the engine asked for. */
export const fakeIconik = (
  baseUrl: string,
  key: string,
  options: { readonly shuffle?: boolean; readonly listParts?: boolean } = {}
) => {
  const calls = { partUrlPages: [] as Array<S3PartUrlsQuery>, completionUrls: 0, cleanup: [] as Array<string> }
  return {
    calls,
    multipartUploadUrl: signed(`${baseUrl}${key}?uploads`),
    getPartUrls: (query: S3PartUrlsQuery) =>
      Effect.sync((): S3PartUrlsPage => {
        calls.partUrlPages.push(query)
        const first = (query.page - 1) * query.perPage + 1
        const last = Math.min(query.partsNum, query.page * query.perPage)
        const objects = []
        for (let number = first; number <= last; number++) {
          objects.push({ number, url: signed(`${baseUrl}${key}?partNumber=${number}&uploadId=${query.uploadId}`) })
        }
        // Iconik's order is not promised: the engine must pick by number.
        if (options.shuffle === true) objects.reverse()
        return { objects }
      }),
    getCompletionUrls: (uploadId: string) =>
      Effect.sync((): S3CompletionUrls => {
        calls.completionUrls++
        return {
          completeUrl: signed(`${baseUrl}${key}?uploadId=${uploadId}`),
          abortUrl: signed(`${baseUrl}${key}?uploadId=${uploadId}`),
          ...(options.listParts === true ? { listPartsUrls: [signed(`${baseUrl}${key}?uploadId=${uploadId}`)] } : {})
        }
      }),
    cleanup: (uploadId: string) => Effect.sync(() => void calls.cleanup.push(uploadId))
  }
}
