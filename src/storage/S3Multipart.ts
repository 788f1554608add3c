/**
 * S3 multipart upload through presigned URLs (Iconik's `multipart_upload_url` flow):
 *
 * 1. `POST multipart_upload_url` → `UploadId` from S3's XML (skipped when resuming an upload id);
 * 2. part URLs from Iconik (injected call, paginated, picked by `number`, fetched lazily page by page);
 * 3. part `PUT`s, bounded concurrency, each streamed from disk with an exact Content-Length, retried on transient
 *    failures; the ETags are kept;
 * 4. complete/abort URLs from Iconik (injected); where Iconik also gives ListParts URLs, the sizes S3 holds are
 *    checked against the file first; then `POST complete_url` with the part list; a 200 carrying `<Error>` is a
 *    failure, an empty `<ETag>` in the answer is fine (RadosGW sends one).
 *
 * Completion is safe to repeat, and by then every part is stored: a transient failure (5xx, `<Error>` with a
 * transient code in a 200, a dropped connection) sends it again rather than throwing the parts away. When a repeat
 * finds the upload gone (404 NoSuchUpload), an earlier attempt may have completed it with its answer lost, or the
 * upload may have been aborted: the object itself is read (one byte, through the injected `getObjectUrl`, Iconik's
 * download URL) and its size and multipart ETag compared with what was sent; only a match counts as done.
 *
 * A resume whose upload is gone (ListParts answers NoSuchUpload: the crashed run may have completed it) is resolved
 * the same way: the object is read, and only one of the file's size (and, when the checkpoint holds every part, the
 * parts' multipart ETag) counts as the upload done.
 *
 * On failure or interruption after the upload id exists, the upload is aborted (`abort_url`) and the injected
 * clean-up (Iconik's `multipart/cleanup/`) runs, so no parts are left behind — unless `onFailure: "keep"` asks to keep
 * them for a later resume.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { type IconikPartUrlMissing, makePartUrlResolver } from "../PartUrls.ts"
import { redactUrl } from "../Redaction.ts"
import { cleanupOnFailure, concurrencyOf, logFailure, MiB, type Part, type PartRules, planParts } from "./Parts.ts"
import { makeProgressTracker, type OnProgress } from "./Progress.ts"
import * as Retry from "../Retry.ts"
import { type RetryPolicy, retryPolicy, StorageClient, type StorageResponse } from "./StorageClient.ts"
import {
  isTransient,
  StorageError,
  type StorageFailure,
  StorageProtocolError,
  StorageTransportError
} from "./StorageError.ts"
import { escapeXml, xmlElements, xmlInner, xmlText } from "./Xml.ts"

/** What the part-URL call is asked for: Iconik's `GET …/multipart_url/part/?upload_id&parts_num&per_page&page`. */
export interface S3PartUrlsQuery {
  readonly uploadId: string
  /** The total number of parts of the upload (Iconik's `parts_num` is a count, not a part number). */
  readonly partsNum: number
  /** 1-based page. */
  readonly page: number
  readonly perPage: number
}

/** One page of part URLs, as Iconik answers it: `{objects: [{number, url}, ...]}`. */
export interface S3PartUrlsPage {
  readonly objects: ReadonlyArray<{ readonly number: number; readonly url: string }>
}

/** Iconik's `GET …/multipart_url/?upload_id&type=complete_url` answer: `complete_url`, `abort_url`, `list_parts_url`. */
export interface S3CompletionUrls {
  readonly completeUrl: string
  readonly abortUrl?: string | undefined
  /** Presigned ListParts URLs: used to check what S3 holds before completing, and to resume. */
  readonly listPartsUrls?: ReadonlyArray<string> | undefined
}

/** A part S3 has stored. */
export interface S3UploadedPart {
  readonly partNumber: number
  /** As S3 returned it, quotes included. */
  readonly etag: string
  readonly size?: number | undefined
}

export interface S3MultipartOptions<E, R> {
  /** The local file to upload. */
  readonly path: string
  /** Iconik's presigned CreateMultipartUpload URL. Not used when `resume` gives an upload id. */
  readonly multipartUploadUrl?: string | undefined
  /** Content type of the object, sent with CreateMultipartUpload (S3 stores it with the object). */
  readonly contentType?: string | undefined
  /** One page of part URLs (Iconik call). Called lazily, once per page. */
  readonly getPartUrls: (query: S3PartUrlsQuery) => Effect.Effect<S3PartUrlsPage, E, R>
  /** The complete / abort URLs for an upload id (Iconik call). */
  readonly getCompletionUrls: (uploadId: string) => Effect.Effect<S3CompletionUrls, E, R>
  /** Runs after the abort on failure or interruption (Iconik's `multipart/cleanup/`). */
  readonly cleanup?: ((uploadId: string) => Effect.Effect<void, E, R>) | undefined
  /**
   * A presigned GET URL of the object (Iconik's download URL), to verify a completion whose answer was lost: read
   * when a repeated completion finds the upload gone. Without it, that case fails (nothing is assumed).
   */
  readonly getObjectUrl?: Effect.Effect<string, E, R> | undefined
  /**
   * Continue an existing upload: only the parts not listed in `uploadedParts` (from a checkpoint) nor returned by
   * S3 ListParts are uploaded. The ListParts URLs are `listPartsUrls`, or else those of the completion answer
   * (Iconik's `list_parts_url`). A listed part whose size does not match the plan is uploaded again.
   */
  readonly resume?: {
    readonly uploadId: string
    readonly uploadedParts?: ReadonlyArray<S3UploadedPart> | undefined
    readonly listPartsUrls?: ReadonlyArray<string> | undefined
  } | undefined
  /** Default 8 MiB; grows when the file would need more than `maxParts` parts. */
  readonly partSize?: number | undefined
  /** Smallest part but the last (S3: 5 MiB). Lower it only for servers that allow it. */
  readonly minPartSize?: number | undefined
  /** Default 10 000 (S3's limit). */
  readonly maxParts?: number | undefined
  /** Parts in flight at once (default 4). */
  readonly concurrency?: number | undefined
  /** Page size asked of the part-URL call (default 100). */
  readonly partUrlsPerPage?: number | undefined
  /** The part-URL list's path, named in {@link IconikPartUrlMissing}. */
  readonly partUrlsPath?: string | undefined
  /** Retry policy of part PUTs and of the completion (defaults to the client's). */
  readonly retry?: Partial<RetryPolicy> | undefined
  /** S3's AbortMultipartUpload is `DELETE` (default); use `POST` if the abort URL was signed for POST. */
  readonly abortMethod?: "DELETE" | "POST" | undefined
  /** `"abort"` (default): abort and clean up on failure or interruption; `"keep"`: leave the upload to resume. */
  readonly onFailure?: "abort" | "keep" | undefined
  readonly onProgress?: OnProgress | undefined
}

export interface S3MultipartResult {
  readonly uploadId: string
  readonly size: number
  readonly partSize: number
  /** Every part of the object, ascending. */
  readonly parts: ReadonlyArray<S3UploadedPart>
  /** How many parts this run uploaded (fewer than `parts.length` when resuming). */
  readonly uploadedParts: number
  /** The object's ETag from the Complete answer; `undefined` when the server sent none or an empty one (RadosGW). */
  readonly etag: string | undefined
  readonly location: string | undefined
}

/** S3's part rules. */
export const s3PartRules: PartRules = {
  minPartSize: 5 * MiB,
  maxPartSize: 5 * 1024 * MiB,
  maxParts: 10_000,
  alignment: 1
}

const protocolError = (operation: string, detail: string) =>
  new StorageProtocolError({ provider: "S3", operation, detail })

/** ETags in the Complete body must be quoted, as S3 returned them. */
const quoteEtag = (etag: string) => (etag.startsWith("\"") ? etag : `"${etag}"`)

/** The CompleteMultipartUpload body: every part, ascending. */
export const completeMultipartUploadXml = (parts: ReadonlyArray<S3UploadedPart>): string =>
  "<CompleteMultipartUpload>" +
  [...parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((part) =>
      `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(quoteEtag(part.etag))}</ETag></Part>`
    )
    .join("") +
  "</CompleteMultipartUpload>"

/** `POST multipart_upload_url` → the UploadId from `InitiateMultipartUploadResult`. */
export const createMultipartUpload = (
  url: string,
  options: { readonly contentType?: string | undefined } = {}
): Effect.Effect<string, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const response = yield* client.send({
      provider: "S3",
      operation: "CreateMultipartUpload",
      method: "POST",
      url,
      body: { _tag: "Empty", contentType: options.contentType },
      // Sent again on a transient failure: a 5xx or a dropped connection before S3 acted leaves nothing behind. (If
      // S3 did act, that first upload stays pending, invisible to presigned URLs: a bucket lifecycle rule
      // AbortIncompleteMultipartUpload removes it. Failing the whole upload instead would cost far more often.)
      idempotent: true
    })
    const uploadId = xmlText(response.body, "UploadId")
    if (uploadId === undefined || uploadId === "") {
      return yield* protocolError("CreateMultipartUpload", "the answer has no UploadId")
    }
    return uploadId
  })

/** Every part a ListParts listing names (ETag possibly empty), and whether S3 cut the listing short. */
const listParts = (listPartsUrls: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const parts = new Map<number, S3UploadedPart>()
    let truncated = false
    for (const url of listPartsUrls) {
      const response = yield* client.send({ provider: "S3", operation: "ListParts", method: "GET", url })
      for (const xml of xmlElements(response.body, "Part")) {
        const partNumber = Number(xmlText(xml, "PartNumber"))
        const size = Number(xmlText(xml, "Size"))
        if (Number.isSafeInteger(partNumber)) {
          const etag = xmlText(xml, "ETag") ?? ""
          parts.set(partNumber, { partNumber, etag, size: Number.isSafeInteger(size) ? size : undefined })
        }
      }
      if (xmlText(response.body, "IsTruncated") === "true") truncated = true
    }
    return { parts, truncated }
  })

/**
 * The parts S3 holds for an upload, from presigned ListParts URLs (Iconik's `list_parts_url`). A presigned URL
 * cannot be re-signed with a continuation marker, so a truncated listing only yields its first page (the remaining
 * parts are then simply uploaded again).
 */
export const listUploadedParts = (
  listPartsUrls: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<S3UploadedPart>, StorageFailure, StorageClient> =>
  Effect.gen(function*() {
    const { parts, truncated } = yield* listParts(listPartsUrls)
    if (truncated) yield* Effect.logDebug("S3 ListParts answer is truncated; the parts after it will be uploaded again")
    return [...parts.values()].filter((part) => part.etag !== "").sort((a, b) => a.partNumber - b.partNumber)
  })

/**
 * Checks, before completing, that S3 holds every planned part at its planned size (what a short or lost part body
 * would break). Parts past a truncated listing cannot be seen and are taken on trust.
 */
const verifyStoredParts = (listPartsUrls: ReadonlyArray<string>, planned: ReadonlyArray<Part>) =>
  Effect.gen(function*() {
    const { parts, truncated } = yield* listParts(listPartsUrls)
    for (const part of planned) {
      const stored = parts.get(part.partNumber)
      if (stored === undefined && truncated) continue
      if (stored === undefined || (stored.size !== undefined && stored.size !== part.size)) {
        const held = stored === undefined ? "nothing" : `${stored.size} bytes`
        return yield* protocolError("ListParts", `S3 holds ${held} for part ${part.partNumber}, which has ${part.size}`)
      }
    }
  })

/**
 * Uploads a file with S3 multipart through presigned URLs. See the module comment for the flow; fails with
 * `StorageFileError` (checked before any request), `StorageError` / `StorageTransportError` from S3,
 * `StorageProtocolError` for unusable answers or options, or the injected calls' own errors.
 */
export const uploadS3Multipart = <E, R>(
  options: S3MultipartOptions<E, R>
): Effect.Effect<S3MultipartResult, StorageFailure | IconikPartUrlMissing | E, StorageClient | R> =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const file = yield* client.fileInfo(options.path)
    const plan = yield* planParts("S3", file.size, options.partSize ?? 8 * MiB, {
      ...s3PartRules,
      minPartSize: options.minPartSize ?? s3PartRules.minPartSize,
      maxParts: options.maxParts ?? s3PartRules.maxParts
    })
    const partCount = plan.parts.length

    let uploadId: string
    if (options.resume !== undefined) {
      uploadId = options.resume.uploadId
    } else if (options.multipartUploadUrl !== undefined) {
      uploadId = yield* createMultipartUpload(options.multipartUploadUrl, { contentType: options.contentType })
    } else {
      return yield* protocolError("CreateMultipartUpload", "neither a multipart upload URL nor an upload id to resume")
    }

    const tracker = makeProgressTracker(file.size, options.onProgress)
    const started = (resumedParts: number) =>
      tracker.emit({
        _tag: "UploadStarted",
        provider: "S3",
        totalBytes: file.size,
        partCount,
        partSize: plan.partSize,
        uploadId,
        resumedParts
      })
    let completionUrls: S3CompletionUrls | undefined
    const getCompletionUrls = Effect.suspend(() =>
      completionUrls !== undefined
        ? Effect.succeed(completionUrls)
        : Effect.tap(options.getCompletionUrls(uploadId), (urls) => Effect.sync(() => (completionUrls = urls)))
    )

    const transfer = Effect.gen(function*() {
      const stored = new Map<number, S3UploadedPart>()
      const isPlanned = (part: S3UploadedPart) => {
        const planned = plan.parts[part.partNumber - 1]
        return planned !== undefined && (part.size === undefined || part.size === planned.size)
      }
      for (const part of options.resume?.uploadedParts ?? []) {
        if (isPlanned(part)) stored.set(part.partNumber, part)
      }
      const listPartsUrls = options.resume === undefined
        ? []
        : options.resume.listPartsUrls ?? (yield* options.getCompletionUrls(uploadId)).listPartsUrls ?? []
      const listed: { readonly parts: ReadonlyArray<S3UploadedPart>; readonly gone?: StorageFailure } =
        listPartsUrls.length === 0 ? { parts: [] } : yield* listUploadedParts(listPartsUrls).pipe(
          Effect.map((parts) => ({ parts })),
          Effect.catch((error: StorageFailure) => isNoSuchUpload(error) ? Effect.succeed({ parts: [], gone: error }) : Effect.fail(error))
        )
      if (listed.gone !== undefined) {
        // The upload is gone: the run that left it may have completed it before its crash (the object decides), or
        // it was aborted (verification fails; nothing is assumed).
        const known = plan.parts.every((part) => stored.has(part.partNumber))
          ? plan.parts.map((part) => stored.get(part.partNumber)!)
          : undefined
        const verified = yield* verifyObject(known === undefined ? undefined : multipartEtag(known), file.size, options, listed.gone)
        yield* started(partCount)
        yield* tracker.bytes(file.size)
        yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
        return {
          uploadId,
          size: file.size,
          partSize: plan.partSize,
          parts: known ?? [...stored.values()].sort((a, b) => a.partNumber - b.partNumber),
          uploadedParts: 0,
          etag: verified.verifiedEtag === "" ? undefined : verified.verifiedEtag,
          location: undefined
        } satisfies S3MultipartResult
      }
      for (const part of listed.parts) {
        if (isPlanned(part)) stored.set(part.partNumber, part)
      }
      const resumedParts = stored.size
      yield* started(resumedParts)
      const alreadyStored = plan.parts.filter((part) => stored.has(part.partNumber))
      if (alreadyStored.length > 0) yield* tracker.bytes(alreadyStored.reduce((sum, part) => sum + part.size, 0))

      // URLs expire, and 10 000 of them need not be held up front: pages are fetched as parts need them.
      const partUrls = yield* makePartUrlResolver({
        path: options.partUrlsPath ?? "the upload's part-URL list",
        partsNum: partCount,
        perPage: options.partUrlsPerPage,
        fetchPage: ({ page, perPage }) =>
          Effect.map(options.getPartUrls({ uploadId, partsNum: partCount, page, perPage }), (answer) => answer.objects),
        forgetTaken: true
      })
      const uploadPart = (part: Part) =>
        Effect.gen(function*() {
          const { url } = yield* partUrls.find(part.partNumber)
          const response = yield* client.send({
            provider: "S3",
            operation: "UploadPart",
            method: "PUT",
            url,
            body: { _tag: "FileRange", path: options.path, offset: part.offset, length: part.size },
            retry: options.retry,
            onBodyProgress: tracker.bytes,
            onRetry: (attempt, error) =>
              tracker.emit({ _tag: "PartRetrying", partNumber: part.partNumber, attempt, reason: error.message })
          })
          const etag = response.headers["etag"]
          if (etag === undefined || etag === "") {
            return yield* protocolError("UploadPart", `no ETag in the answer for part ${part.partNumber}`)
          }
          stored.set(part.partNumber, { partNumber: part.partNumber, etag, size: part.size })
          yield* tracker.emit({ _tag: "PartCompleted", partNumber: part.partNumber, size: part.size, etag })
        })
      const missing = plan.parts.filter((part) => !stored.has(part.partNumber))
      yield* Effect.forEach(missing, uploadPart, { concurrency: concurrencyOf(options.concurrency, 4), discard: true })

      // Every byte went out from a file that must not have changed meanwhile.
      yield* client.ensureUnchanged(file)
      const parts = plan.parts.map((part) => stored.get(part.partNumber)!)
      const urls = yield* getCompletionUrls
      if (urls.completeUrl === "") return yield* protocolError("CompleteMultipartUpload", "Iconik gave no complete URL")
      if (urls.listPartsUrls !== undefined && urls.listPartsUrls.length > 0) {
        yield* verifyStoredParts(urls.listPartsUrls, plan.parts)
      }
      const completed = yield* completeWithRetries(urls.completeUrl, parts, file.size, options)
      const response = completed.response
      const etag = completed.verifiedEtag ?? xmlText(response.body, "ETag")
      yield* tracker.emit({ _tag: "UploadCompleted", totalBytes: file.size })
      return {
        uploadId,
        size: file.size,
        partSize: plan.partSize,
        parts,
        uploadedParts: missing.length,
        etag: etag === undefined || etag === "" ? undefined : etag,
        location: xmlText(response.body, "Location")
      } satisfies S3MultipartResult
    })

    if (options.onFailure === "keep") return yield* transfer
    return yield* cleanupOnFailure(transfer, (reason) =>
      Effect.gen(function*() {
        // The abort failing must not skip Iconik's clean-up.
        yield* logFailure(abortMultipartUpload(getCompletionUrls, options.abortMethod ?? "DELETE"), "S3 abort")
        if (options.cleanup !== undefined) yield* logFailure(options.cleanup(uploadId), "Iconik multipart clean-up")
        yield* tracker.emit({ _tag: "UploadAborted", reason })
      }))
  })

/** S3's ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-<count>`; undefined unless every part ETag is an MD5. */
export const multipartEtag = (parts: ReadonlyArray<S3UploadedPart>): string | undefined => {
  const hash = createHash("md5")
  for (const part of parts) {
    const hex = part.etag.replace(/"/g, "")
    if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined
    hash.update(Buffer.from(hex, "hex"))
  }
  return `"${hash.digest("hex")}-${parts.length}"`
}

const sendComplete = (url: string, parts: ReadonlyArray<S3UploadedPart>) =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const response = yield* client.send({
      provider: "S3",
      operation: "CompleteMultipartUpload",
      method: "POST",
      url,
      headers: { "content-type": "application/xml" },
      body: { _tag: "Bytes", bytes: new TextEncoder().encode(completeMultipartUploadXml(parts)) }
    })
    // S3 may answer 200 and then report the failure in the body.
    const error = xmlInner(response.body, "Error")
    if (error !== undefined) {
      return yield* new StorageError({
        provider: "S3",
        operation: "CompleteMultipartUpload",
        method: "POST",
        url: redactUrl(url),
        status: response.status,
        code: xmlText(error, "Code") ?? "Error",
        detail: xmlText(error, "Message") ?? "error document in a 200 answer"
      })
    }
    return response
  })

const isNoSuchUpload = (error: StorageFailure) =>
  error._tag === "StorageError" && (error.code === "NoSuchUpload" || error.status === 404)

/**
 * Completes the upload, repeating the completion on transient failures (it is idempotent: the same part list makes
 * the same object). A repeat answered NoSuchUpload is resolved by reading the object ({@link verifyObject}).
 */
const completeWithRetries = <E, R>(
  url: string,
  parts: ReadonlyArray<S3UploadedPart>,
  size: number,
  options: S3MultipartOptions<E, R>
): Effect.Effect<{ readonly response: StorageResponse; readonly verifiedEtag?: string | undefined }, StorageFailure | E, StorageClient | R> =>
  Effect.suspend(() => {
    // The failure that started the repeats, reported when the outcome cannot be verified.
    let first: StorageFailure | undefined
    const attempt = sendComplete(url, parts).pipe(
      Effect.map((response): { readonly response: StorageResponse; readonly verifiedEtag?: string | undefined } => ({ response })),
      Effect.catch((error: StorageFailure) => {
        if (first !== undefined && isNoSuchUpload(error)) return verifyObject(multipartEtag(parts), size, options, first)
        first ??= error
        return Effect.fail(error)
      })
    )
    // Only the completion's own failures are repeated (not those of the injected download-URL call).
    const sent = (error: unknown): error is StorageError | StorageTransportError =>
      error instanceof StorageError || error instanceof StorageTransportError
    return Retry.retry(attempt, retryPolicy(options.retry), {
      retryable: (error) => sent(error) && isTransient(error),
      retryAfterMillis: (error) => (error instanceof StorageError ? error.retryAfterMillis : undefined),
      onRetry: (_attempt, _delay, error) =>
        Effect.logDebug("S3 CompleteMultipartUpload failed; sending it again").pipe(
          Effect.annotateLogs({ error: sent(error) ? error.message : "" })
        )
    })
  })

/**
 * After a repeated completion (or a resume) found the upload gone: the object must exist with the size sent and,
 * where it is known, the multipart ETag of the parts sent (an aborted upload, or another object at the key, fails
 * here).
 */
const verifyObject = <E, R>(
  expectedEtag: string | undefined,
  size: number,
  options: S3MultipartOptions<E, R>,
  cause: StorageFailure
) =>
  Effect.gen(function*() {
    if (options.getObjectUrl === undefined) return yield* Effect.fail(cause)
    const client = yield* StorageClient
    const url = yield* options.getObjectUrl
    const response = yield* client.send({
      provider: "S3",
      operation: "VerifyObject",
      method: "GET",
      url,
      // One byte is enough to learn the size (Content-Range); an empty object answers 416 with `bytes */0`.
      headers: { range: "bytes=0-0" },
      accept: (status) => status === 200 || status === 206 || status === 416
    })
    const total = /\/(\d+)\s*$/.exec(response.headers["content-range"] ?? "")
    const stored = total !== null
      ? Number(total[1])
      : response.status === 200
      ? Number(response.headers["content-length"])
      : undefined
    const etag = response.headers["etag"]
    if (stored !== size) {
      return yield* protocolError("CompleteMultipartUpload", `the upload is gone and the object holds ${stored ?? "no"} bytes, not ${size}`)
    }
    if (expectedEtag !== undefined && etag !== undefined && etag !== "" && etag !== expectedEtag) {
      return yield* protocolError("CompleteMultipartUpload", "the upload is gone and the object's ETag is not that of the parts sent")
    }
    yield* Effect.logInfo("S3 multipart upload is gone, and the object is stored as sent")
    return { response: { status: 200, headers: {}, body: "" }, verifiedEtag: etag }
  })

/** Aborts with the abort URL. A 404 (NoSuchUpload) means there is nothing left to abort. */
const abortMultipartUpload = <E, R>(
  getCompletionUrls: Effect.Effect<S3CompletionUrls, E, R>,
  method: "DELETE" | "POST"
) =>
  Effect.gen(function*() {
    const client = yield* StorageClient
    const urls = yield* getCompletionUrls
    if (urls.abortUrl === undefined || urls.abortUrl === "") {
      return yield* protocolError("AbortMultipartUpload", "Iconik gave no abort URL")
    }
    yield* client.send({
      provider: "S3",
      operation: "AbortMultipartUpload",
      method,
      url: urls.abortUrl,
      accept: (status) => (status >= 200 && status < 300) || status === 404
    })
  })
