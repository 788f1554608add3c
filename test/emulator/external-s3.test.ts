/**
 * S3 storages on an external S3 (RadosGW): the emulator mints real SigV4 URLs and the bytes go there. Runs when
 * `RGW_ENDPOINT` is set (`export "$(scripts/rgw-up.sh)"`, as `.ci/run` does); skipped otherwise, saying so in the
 * suite's title.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { assets, files } from "../../src/generated/index.ts"
import { rgwTestCredentials } from "../../src/testing/sigv4.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { rgwEndpoint as endpoint, rgwSkipReason, skipTitle } from "../support/skip.ts"
import { bytes, storage } from "./support.ts"

describe.skipIf(rgwSkipReason !== undefined)(skipTitle("external S3 (RadosGW)", rgwSkipReason), () => {
  it.live("a proxy goes to RadosGW in two parts through presigned SigV4 URLs; the size check reads it back", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const first = bytes(5 * 1024 * 1024, 11)
      const second = bytes(1024, 12)
      const asset = yield* assets.createAsset({ body: { title: "To RadosGW" } })
      const created = yield* files.createAssetProxy({
        asset_id: asset.id,
        body: { name: "proxy.mp4", filename: "proxy.mp4", size: first.length + second.length, status: "OPEN" }
      })
      const proxyId = created.id!
      assert.isTrue(created.multipart_upload_url?.startsWith(`${endpoint}/iconik-proxies/`))
      assert.include(created.multipart_upload_url, "X-Amz-Signature=")

      const started = yield* storage("POST", created.multipart_upload_url!)
      assert.strictEqual(started.status, 200, started.text)
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(started.text)![1]!
      const parts = yield* files.listAssetProxyMultipartUrlPart({
        asset_id: asset.id,
        proxy_id: proxyId,
        query: { upload_id: uploadId, parts_num: 2 }
      })
      const etags: Array<string> = []
      for (const [index, part] of [first, second].entries()) {
        const answer = yield* storage("PUT", parts.objects![index]!.url!, { body: part })
        assert.strictEqual(answer.status, 200, answer.text)
        etags.push(answer.headers.etag!)
      }
      const urls = yield* files.getAssetProxyMultipartUrl({
        asset_id: asset.id,
        proxy_id: proxyId,
        query: { upload_id: uploadId, type: "complete_url" }
      })
      const xml = `<CompleteMultipartUpload>${
        etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
      }</CompleteMultipartUpload>`
      const completed = yield* storage("POST", urls.complete_url!, { body: xml, headers: { "Content-Type": "application/xml" } })
      assert.strictEqual(completed.status, 200, completed.text)
      assert.notInclude(completed.text, "<Error>")

      yield* files.patchAssetProxy({ asset_id: asset.id, proxy_id: proxyId, body: { status: "CLOSED" } })
      assert.deepStrictEqual(yield* emulator.verifyClosedUploads, [])
      const { url } = yield* files.getAssetProxyDownloadUrl({ asset_id: asset.id, proxy_id: proxyId })
      const downloaded = yield* storage("GET", url!)
      assert.strictEqual(downloaded.status, 200)
      // Nothing went to the embedded store.
      assert.deepStrictEqual(yield* emulator.objectStore.listObjects("iconik-proxies"), [])
    }).pipe(Effect.provide(IconikEmulator.layerClient({
      externalS3: { endpoint: endpoint!, ...rgwTestCredentials }
    }))))
})
