/**
 * B2 (original files only: Iconik has no B2 endpoints for proxies): one upload with the record's credentials up to
 * the threshold, else a large file started, finished and cancelled through Iconik.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as files from "../../src/generated/files.ts"
import { isRetryable } from "../../src/IconikClient.ts"
import { b2PartRules, chooseB2Strategy, uploadB2Large, uploadB2Single } from "../../src/storage/B2.ts"
import { MiB } from "../../src/storage/Parts.ts"
import { StorageProtocolError } from "../../src/storage/StorageError.ts"
import { missingField, type UploadEngine } from "./Engine.ts"

/**
 * Finishes a large file. After a failure Iconik may have acted on (a lost answer, a 502/503/504) it is sent again:
 * failing would cost an upload whose parts are all stored. B2 answers 400 to a finish of a large file it has already
 * finished, so a 400 to that resend says the first one acted (the large file is ours alone, and nothing else finishes
 * or cancels it). That Iconik passes B2's 400 through is inferred; a 400 to the first send still fails the upload.
 */
const finishLargeFile = (
  ids: { readonly asset_id: string; readonly file_id: string },
  uploadFileId: string,
  sha1List: ReadonlyArray<string>
) => {
  const send = (idempotent: boolean) =>
    files.createAssetFileMultipartB2Finish({ ...ids, body: { upload_file_id: uploadFileId, sha1_list: sha1List } }, {
      idempotent
    })
  return send(false).pipe(
    Effect.catchIf(
      (error) => isRetryable("POST", error, true),
      () => send(true).pipe(Effect.catchTag("IconikBadRequest", () => Effect.void))
    ),
    Effect.asVoid
  )
}

export const b2Engine: UploadEngine = {
  method: "B2",
  partPlan: (size, options) =>
    chooseB2Strategy(size, options.singlePutThreshold) === "single"
      ? undefined
      : { rules: b2PartRules, partSize: options.partSize ?? 64 * MiB },
  upload: (input) =>
    Effect.gen(function*() {
      const { target, file, onProgress } = input
      if (target.kind !== "file") return yield* missingField("B2", "B2 upload endpoints (Iconik has them for files only)")
      const ids = { asset_id: target.assetId, file_id: target.recordId }
      if (chooseB2Strategy(file.size, input.singlePutThreshold) === "single") {
        const uploadUrl = target.fields.upload_url
        const token = target.fields.upload_credentials?.authorizationToken
        const fileName = target.fields.upload_filename
        if (!uploadUrl || typeof token !== "string" || !fileName) {
          return yield* missingField("B2", "upload_url, upload_credentials.authorizationToken or upload_filename")
        }
        yield* uploadB2Single({
          path: file.path,
          uploadUrl,
          authorizationToken: Redacted.make(token),
          fileName,
          contentType: input.contentType,
          onProgress
        })
        return { method: "B2", strategy: "single", size: file.size, resumed: false }
      }
      const result = yield* uploadB2Large({
        path: file.path,
        // Sent again when its answer is lost or cut short: the large file that answer named cannot be found (nothing
        // lists them through Iconik), and a second start costs only that one, empty; failing would cost the upload.
        start: Effect.flatMap(files.createAssetFileMultipartB2Start(ids, { idempotent: true }), (started) =>
          started.upload_file_id && started.upload_url && started.authorization_token
            ? Effect.succeed({
              uploadFileId: started.upload_file_id,
              uploadUrl: started.upload_url,
              authorizationToken: Redacted.make(started.authorization_token)
            })
            : Effect.fail(
              new StorageProtocolError({
                provider: "B2",
                operation: "StartLargeFile",
                detail: started.error ?? "Iconik's answer lacks upload_file_id, upload_url or authorization_token"
              })
            )),
        finish: (uploadFileId, sha1List) => finishLargeFile(ids, uploadFileId, sha1List),
        cancel: (uploadFileId) => files.cancelAssetFileMultipartB2({ ...ids, body: { upload_file_id: uploadFileId } }),
        // One B2 part URL takes one upload at a time: the engine's default concurrency of 1 stays.
        partSize: input.partSize,
        onProgress
      })
      return {
        method: "B2",
        strategy: "large-file",
        size: result.size,
        partsTotal: result.sha1List.length,
        partsUploaded: result.sha1List.length,
        resumed: false
      }
    }),
  // A large file's parts are not listed back: a rerun starts again, after cancelling the old one.
  resumable: () => false,
  discard: (target, upload) =>
    target.kind === "file" && upload.uploadId !== undefined
      ? Effect.asVoid(files.cancelAssetFileMultipartB2({
        asset_id: target.assetId,
        file_id: target.recordId,
        body: { upload_file_id: upload.uploadId }
      }))
      : Effect.void
}
