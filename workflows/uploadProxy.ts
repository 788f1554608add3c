/**
 * Upload a proxy for an asset, as in Iconik's proxy tutorial:
 *
 * 1. check the local file (a bad path fails here, before any request);
 * 2. `POST /API/files/v1/assets/{asset_id}/proxies/` `{name, filename, size, status: "OPEN", storage_id?}` → the
 *    record with its upload URLs. A second proxy of the same file is not made: an earlier run's OPEN proxy is resumed
 *    from its checkpoint (see Checkpoint), and a CLOSED proxy of the same name and size already on the asset fails
 *    with {@link ProxyAlreadyUploaded}, nothing uploaded (`newProxy: true` uploads another one anyway);
 * 3. upload with the engine the record's `storage_method` calls for (S3 multipart, or one PUT for small files;
 *    GCS resumable; Azure; B2);
 * 4. `PATCH …/proxies/{proxy_id}/` `{status: "CLOSED"}`;
 * 5. optionally `POST …/proxies/{proxy_id}/keyframes/` → `{job_id}`, and wait for that job.
 *
 * If 3 or 4 fails or is interrupted, the storage upload is aborted (S3: abort URL + Iconik's multipart clean-up) and
 * the proxy is marked FAILED (or deleted): no OPEN proxy is left behind. Options are checked first, and the part size
 * against the PROXIES storage's rules before the proxy is created; a create whose answer is lost is reconciled (the
 * OPEN proxy it made is found among the asset's proxies and deleted before the create is sent again); the file must
 * not change before the CLOSE (`FileChanged`); a CLOSE whose answer is lost is read back.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Files from "../src/Files.ts"
import type * as files from "../src/generated/files.ts"
import type * as Jobs from "../src/Jobs.ts"
import {
  abandon,
  createReconciled,
  fillRecord,
  type OnFailure,
  readRetry,
  type RecordRef,
  runJob,
  takeOver,
  takeSnapshot
} from "./fillRecord.ts"
import * as LocalFile from "./LocalFile.ts"
import { validateTransfer } from "./Options.ts"
import { checkPartSize, type TransferResult } from "./transfer.ts"
import * as Workflow from "./Workflow.ts"

export interface UploadProxyOptions {
  readonly assetId: string
  /** Path of the proxy media. */
  readonly file: string
  /** PROXIES storage to use (default: Iconik's choice). */
  readonly storageId?: string | undefined
  readonly versionId?: string | undefined
  /** Describes the proxy: `format`, `codec`, `resolution`, `frame_rate`, `bit_rate`… (name/filename/size are set). */
  readonly proxy?: Partial<files.ProxyInput> | undefined
  /** Parts in flight. Default 4. */
  readonly concurrency?: number | undefined
  /** Bytes per part. Default 8 MiB. */
  readonly partSize?: number | undefined
  /** S3: up to this size, one PUT instead of multipart. Default 16 MiB. */
  readonly singlePutThreshold?: number | undefined
  readonly contentType?: string | undefined
  /** Ask Iconik for keyframes and a poster from the proxy once it is CLOSED. */
  readonly keyframes?: boolean | undefined
  /** Wait for the keyframes job (default true when `keyframes`). */
  readonly wait?: boolean | Jobs.WaitOptions | undefined
  readonly onFailure?: OnFailure | undefined
  /** Keep a checkpoint beside the media so a crashed run resumes (default true). */
  readonly checkpoint?: boolean | undefined
  /**
   * Upload a new proxy even when the asset holds a CLOSED proxy of this file (same name and size) already. Default
   * false: that fails with {@link ProxyAlreadyUploaded} and nothing is uploaded.
   */
  readonly newProxy?: boolean | undefined
}

/**
 * The asset holds a CLOSED proxy of this very file (same name and size): nothing was uploaded, no proxy made. Not a
 * fault of the upload: catch it to treat a rerun as done, or pass `newProxy: true` for a second proxy.
 */
export class ProxyAlreadyUploaded extends Schema.TaggedError<ProxyAlreadyUploaded>()("ProxyAlreadyUploaded", {
  assetId: Schema.String,
  proxyId: Schema.String,
  name: Schema.String,
  size: Schema.Number
}) {
  override get message() {
    return `asset ${this.assetId} holds proxy ${this.proxyId} of ${this.name} (${this.size} bytes) already, CLOSED: nothing uploaded`
  }
}

export interface UploadProxyResult {
  readonly assetId: string
  readonly proxyId: string
  readonly size: number
  readonly transfer: TransferResult
  readonly keyframesJobId?: string | undefined
  /** The keyframes job's final status, when waited for. */
  readonly keyframesJobStatus?: string | undefined
}

export const uploadProxy = Workflow.make("uploadProxy", (options: UploadProxyOptions) =>
  Effect.gen(function*() {
    yield* validateTransfer(options)
    const file = yield* Workflow.step("check file", LocalFile.inspect(options.file))
    const snapshot = yield* takeSnapshot(file.path)
    const { assetId } = options
    const asRecord = (id: string): RecordRef => ({ kind: "proxy", assetId, id })

    // On a durable engine the execution itself resumes, from its last completed step.
    const resume = (yield* Workflow.isDurable) ? Option.none() : yield* takeOver({
      workflow: "uploadProxy",
      file,
      assetId,
      lookup: (header) =>
        Effect.map(Files.getProxy(header.assetId, header.recordId), (found) => ({
          status: found.status ?? undefined,
          record: { kind: "proxy" as const, assetId: header.assetId, id: header.recordId }
        }))
    })

    const createProxy = Effect.gen(function*() {
      // The storage the proxy goes to is known before it is created: a bad part size fails with nothing made.
      // A user allowed to write proxies may not be allowed to read storages: then the check waits for the record.
      const storage = yield* (options.storageId === undefined
        ? Workflow.step("find PROXIES storage", Files.defaultStorage("PROXIES"), { retry: readRetry })
        : Workflow.step("get storage", Files.getStorage(options.storageId), { retry: readRetry })).pipe(
          Effect.map(Option.some),
          Effect.catchTag("IconikForbidden", () => Effect.succeedNone)
        )
      if (Option.isSome(storage)) yield* checkPartSize(storage.value.method, file.size, options)
      // The asset is the caller's and may hold other proxies: the ones there before are never touched.
      const proxyIds = Effect.map(
        Stream.runCollect(Files.streamProxies(assetId)),
        (proxies) => new Set([...proxies].map((p) => p.id))
      )
      const before = yield* Workflow.step("list proxies", proxyIds, { retry: readRetry }).pipe(
        Effect.catchTag("IconikForbidden", () => Effect.succeed(undefined))
      )
      const created = yield* createReconciled(
        "create proxy",
        Files.createProxy(assetId, {
          name: file.name,
          filename: file.name,
          ...options.proxy,
          size: file.size,
          status: "OPEN",
          ...(options.storageId === undefined ? {} : { storage_id: options.storageId }),
          ...(options.versionId === undefined ? {} : { version_id: options.versionId })
        }),
        // Its upload URLs were in the lost answer: the OPEN proxy it made is deleted, and the create sent again.
        Effect.gen(function*() {
          for (const made of yield* Stream.runCollect(Files.streamProxies(assetId))) {
            if (
              typeof made.id === "string" && before !== undefined && !before.has(made.id) &&
              made.name === (options.proxy?.name ?? file.name) && made.status === "OPEN"
            ) {
              yield* Files.deleteProxy(assetId, made.id).pipe(Effect.catchTag("IconikNotFound", () => Effect.void))
            }
          }
          return Option.none()
        })
      )
      if (Option.isNone(storage)) {
        // Checked now, before any byte moves; the proxy just made goes with the error.
        yield* checkPartSize(created.storage_method ?? "", file.size, options).pipe(
          Effect.tapError(() => Effect.ignore(Files.deleteProxy(assetId, created.id ?? "")))
        )
      }
      return { id: created.id ?? "", fields: created }
    })

    // Not resumed: a proxy of this file the asset holds already (an earlier run's) is not made a second time.
    const name = options.proxy?.name ?? file.name
    const sameFile = Effect.map(
      Stream.runCollect(Files.streamProxies(assetId)),
      (proxies) => [...proxies].filter((p) => typeof p.id === "string" && p.name === name && p.size === file.size)
    )
    const earlier = Option.isSome(resume) || options.newProxy === true
      ? []
      : yield* Workflow.step("look for this file's proxy", sameFile, { retry: readRetry }).pipe(
        Effect.catchTag("IconikForbidden", () => Effect.succeed([]))
      )
    const closed = earlier.find((p) => p.status === "CLOSED")
    if (closed !== undefined) return yield* new ProxyAlreadyUploaded({ assetId, proxyId: closed.id, name, size: file.size })
    // An OPEN one without a checkpoint to resume from (its run crashed before the upload started, or ran elsewhere)
    // cannot be continued: it is marked FAILED, as a stale checkpoint's record is, and a new one made.
    for (const open of earlier.filter((p) => p.status === "OPEN")) yield* abandon(asRecord(open.id), "fail")

    const proxy = Option.isSome(resume)
      ? { id: resume.value.record.id, fields: {} } // the checkpoint knows the storage method
      : yield* createProxy

    const result = yield* fillRecord(
      asRecord(proxy.id),
      proxy.fields,
      file,
      { ...options, snapshot, workflow: "uploadProxy" },
      Option.getOrUndefined(resume)
    )

    const keyframes = options.keyframes === true
      ? yield* runJob("keyframes", Files.createProxyKeyframesJob(assetId, proxy.id), options.wait)
      : undefined
    return {
      assetId,
      proxyId: proxy.id,
      size: file.size,
      transfer: result,
      keyframesJobId: keyframes?.jobId,
      keyframesJobStatus: keyframes?.status
    } satisfies UploadProxyResult
  }))
