/** GCS: a resumable session started at the record's `upload_url`, chunks in order; a rerun continues the session. */
import * as Effect from "effect/Effect"
import { gcsChunkAlignment, uploadGcsResumable } from "../../src/storage/GcsResumable.ts"
import { MiB, type PartRules } from "../../src/storage/Parts.ts"
import * as Retry from "../../src/Retry.ts"
import { defaultRetryPolicy } from "../../src/storage/StorageClient.ts"
import { isTransient } from "../../src/storage/StorageError.ts"
import { missingField, type UploadEngine } from "./Engine.ts"

/** GCS chunks: multiples of 256 KiB, no count limit. */
const gcsChunkRules: PartRules = {
  minPartSize: gcsChunkAlignment,
  maxPartSize: Number.MAX_SAFE_INTEGER,
  maxParts: Number.MAX_SAFE_INTEGER,
  alignment: gcsChunkAlignment
}

export const gcsEngine: UploadEngine = {
  method: "GCS",
  partPlan: (_size, options) => ({ rules: gcsChunkRules, partSize: options.partSize ?? 8 * MiB }),
  upload: (input) =>
    Effect.gen(function*() {
      const uploadUrl = input.target.fields.upload_url ?? undefined
      const sessionUrl = input.resume?.upload.sessionUrl
      if (sessionUrl === undefined && uploadUrl === undefined) return yield* missingField("GCS", "upload_url")
      yield* uploadGcsResumable({
        path: input.file.path,
        uploadUrl,
        contentType: input.contentType,
        chunkSize: input.partSize,
        resume: sessionUrl === undefined ? undefined : { sessionUrl },
        onProgress: input.onProgress
      }).pipe(
        // A session start that failed transiently moved no byte: start one again (an unused session expires).
        (upload) =>
          Retry.retry(upload, defaultRetryPolicy, {
            retryable: (error) =>
              (error._tag === "StorageError" || error._tag === "StorageTransportError") &&
              error.operation === "StartResumableUpload" && isTransient(error)
          })
      )
      return { method: "GCS", strategy: "resumable", size: input.file.size, resumed: sessionUrl !== undefined }
    }),
  resumable: (upload) => upload.sessionUrl !== undefined,
  // An unused session expires by itself.
  discard: () => Effect.void
}
