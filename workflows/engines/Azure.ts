/** Azure: one SAS PUT up to the threshold, else blocks and a block list. */
import * as Effect from "effect/Effect"
import { azureBlockRules, defaultAzureSingleThreshold, uploadAzureBlockBlob } from "../../src/storage/AzureBlockBlob.ts"
import { MiB } from "../../src/storage/Parts.ts"
import { missingField, type UploadEngine } from "./Engine.ts"

export const azureEngine: UploadEngine = {
  method: "AZURE",
  partPlan: (size, options) =>
    size <= Math.min(options.singlePutThreshold ?? defaultAzureSingleThreshold, 5000 * MiB)
      ? undefined
      : { rules: azureBlockRules, partSize: options.partSize ?? 8 * MiB },
  upload: (input) =>
    Effect.gen(function*() {
      const uploadUrl = input.target.fields.upload_url
      if (!uploadUrl) return yield* missingField("AZURE", "upload_url")
      const result = yield* uploadAzureBlockBlob({
        path: input.file.path,
        uploadUrl,
        contentType: input.contentType,
        singlePutThreshold: input.singlePutThreshold,
        blockSize: input.partSize,
        concurrency: input.concurrency,
        onProgress: input.onProgress
      })
      return {
        method: "AZURE",
        strategy: result.strategy === "blocks" ? "blocks" : "single",
        size: result.size,
        partsTotal: result.blockIds.length || undefined,
        resumed: false
      }
    }),
  // Blocks are not checkpointed: a rerun uploads again, and Azure discards uncommitted blocks by itself.
  resumable: () => false,
  discard: () => Effect.void
}
