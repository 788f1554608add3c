/**
 * The one part-URL resolver as the S3 engine uses it: Iconik pages shorter than asked, and a part its list lacks.
 * (The facade's use of the same resolver is covered in test/facades/files.test.ts.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { uploadS3Multipart } from "../../src/storage/S3Multipart.ts"
import { fakeIconik, makeFakeS3 } from "./fakeS3.ts"
import { sha256, startServer, tempDir, testStorageClient, writeRandomFile } from "./support.ts"

const MiB = 1024 * 1024
const KEY = "/bucket/part-urls.bin"

describe("S3 multipart part URLs (one resolver)", () => {
  it.live("Iconik answering 2 URLs per page where 100 were asked: every part finds its URL, each page fetched once", () =>
    Effect.gen(function*() {
      const file = writeRandomFile(yield* tempDir, "clip.bin", 7 * MiB)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        getPartUrls: (query) => iconik.getPartUrls({ ...query, perPage: 2 }),
        partSize: MiB,
        minPartSize: MiB,
        concurrency: 1
      })
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      const pages = iconik.calls.partUrlPages.map((query) => query.page)
      assert.strictEqual(new Set(pages).size, pages.length, `a page fetched twice: ${pages.join(",")}`)
      assert.deepStrictEqual([...pages].sort(), [1, 2, 3, 4])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("a part missing from Iconik's list is a typed IconikPartUrlMissing naming the list, and the upload is aborted", () =>
    Effect.gen(function*() {
      const file = writeRandomFile(yield* tempDir, "clip.bin", 3 * MiB)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      const error = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        getPartUrls: (query) =>
          Effect.map(iconik.getPartUrls(query), (page) => ({ objects: page.objects.filter((o) => o.number !== 2) })),
        partUrlsPath: "/API/files/v1/assets/a1/proxies/p1/multipart_url/part/",
        partSize: MiB,
        minPartSize: MiB,
        concurrency: 1
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "IconikPartUrlMissing")
      if (error._tag === "IconikPartUrlMissing") {
        assert.strictEqual(error.partNumber, 2)
        assert.include(error.message, "/API/files/v1/assets/a1/proxies/p1/multipart_url/part/")
      }
      assert.isFalse(s3.objects.has(KEY))
      assert.strictEqual(s3.aborted.length, 1)
    }).pipe(Effect.provide(testStorageClient())))
})
