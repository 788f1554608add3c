/** Azure block blobs and B2 (single and large file) against small local servers. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  azureBlockId,
  chooseB2Strategy,
  encodeB2FileName,
  MiB,
  uploadAzureBlockBlob,
  uploadB2Large,
  uploadB2Single
} from "../../src/storage/index.ts"
import { type Recorded, type Reply, sha1, sha256, startServer, tempDir, testStorageClient, writeRandomFile } from "./support.ts"

const SAS = "sv=2021-12-02&sr=b&sp=cw&sig=SASSECRET%2Bsig%3D"

const azureError = (status: number, code: string): Reply => ({
  status,
  headers: { "x-ms-error-code": code, "content-type": "application/xml" },
  body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code} happened</Message></Error>`
})

const makeFakeAzure = (options: { fault?: (request: Recorded) => Reply | undefined } = {}) => {
  const blobs = new Map<string, { body: Buffer; contentType: string | undefined }>()
  const blocks = new Map<string, Buffer>()
  const handler = (request: Recorded): Reply => {
    const fault = options.fault?.(request)
    if (fault !== undefined) return fault
    if (request.query.get("sig") !== "SASSECRET+sig=") return azureError(403, "AuthenticationFailed")
    if (request.method !== "PUT") return azureError(405, "UnsupportedHttpVerb")
    const comp = request.query.get("comp")
    if (comp === "block") {
      blocks.set(request.query.get("blockid")!, request.body)
      return { status: 201 }
    }
    if (comp === "blocklist") {
      const ids = Array.from(request.body.toString("utf8").matchAll(/<Latest>([^<]*)<\/Latest>/g), (match) => match[1]!)
      if (ids.some((id) => !blocks.has(id))) return azureError(400, "InvalidBlockList")
      blobs.set(request.path, {
        body: Buffer.concat(ids.map((id) => blocks.get(id)!)),
        contentType: request.headers["x-ms-blob-content-type"] as string | undefined
      })
      return { status: 201, headers: { etag: "\"0x8D\"" } }
    }
    if (request.headers["x-ms-blob-type"] !== "BlockBlob") return azureError(400, "MissingRequiredHeader")
    blobs.set(request.path, { body: request.body, contentType: request.headers["content-type"] as string | undefined })
    return { status: 201, headers: { etag: "\"0x8C\"" } }
  }
  return { blobs, blocks, handler }
}

describe("Azure block blob", () => {
  it.live("puts a small file as one BlockBlob", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "poster.jpg", 100_000)
      const azure = makeFakeAzure()
      const server = yield* startServer(azure.handler)
      const result = yield* uploadAzureBlockBlob({
        path: file.path,
        uploadUrl: `${server.url}/container/poster.jpg?${SAS}`,
        contentType: "image/jpeg"
      })
      assert.strictEqual(result.strategy, "single")
      assert.strictEqual(sha256(azure.blobs.get("/container/poster.jpg")!.body), file.sha256)
      assert.strictEqual(azure.blobs.get("/container/poster.jpg")!.contentType, "image/jpeg")
      assert.strictEqual(server.requests[0]!.headers["content-length"], "100000")
    }).pipe(Effect.provide(testStorageClient())))

  it.live("puts blocks concurrently (retrying a busy one), then the block list in order", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const size = 10 * MiB + 5
      const file = writeRandomFile(dir, "clip.mp4", size)
      let busy = true
      const azure = makeFakeAzure({
        fault: (request) => {
          if (busy && request.query.get("blockid") === azureBlockId(2)) {
            busy = false
            return azureError(503, "ServerBusy")
          }
          return undefined
        }
      })
      const server = yield* startServer(azure.handler)
      const result = yield* uploadAzureBlockBlob({
        path: file.path,
        uploadUrl: `${server.url}/container/clip.mp4?${SAS}`,
        contentType: "video/mp4",
        singlePutThreshold: 4 * MiB,
        blockSize: 2 * MiB,
        concurrency: 3
      })
      assert.strictEqual(result.strategy, "blocks")
      assert.strictEqual(result.blockIds.length, 6)
      assert.strictEqual(new Set(result.blockIds).size, 6)
      assert.isTrue(result.blockIds.every((id) => id.length === result.blockIds[0]!.length), "ids of equal length")
      const blob = azure.blobs.get("/container/clip.mp4")!
      assert.strictEqual(sha256(blob.body), file.sha256)
      assert.strictEqual(blob.contentType, "video/mp4")
      const blockPuts = server.requests.filter((request) => request.query.get("comp") === "block")
      assert.strictEqual(blockPuts.length, 7, "6 blocks, one of them twice")
      for (const put of blockPuts) {
        assert.strictEqual(put.headers["content-length"], String(put.body.length))
        assert.isDefined(put.headers["x-ms-version"])
      }
      const list = server.requests.find((request) => request.query.get("comp") === "blocklist")!
      assert.include(list.body.toString("utf8"), result.blockIds.map((id) => `<Latest>${id}</Latest>`).join(""))
    }).pipe(Effect.provide(testStorageClient())))

  it.live("reports Azure's error code and keeps the SAS signature out of the error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "poster.jpg", 1000)
      const server = yield* startServer(makeFakeAzure().handler)
      const error = yield* uploadAzureBlockBlob({
        path: file.path,
        uploadUrl: `${server.url}/container/poster.jpg?sv=2021-12-02&sig=WRONG`
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageError")
      if (error._tag === "StorageError") {
        assert.strictEqual(error.status, 403)
        assert.strictEqual(error.code, "AuthenticationFailed")
        assert.strictEqual(error.provider, "Azure")
      }
      assert.notInclude(error.message, "WRONG")
      assert.notInclude(JSON.stringify(error), "WRONG")
    }).pipe(Effect.provide(testStorageClient())))
})

const B2_TOKEN = "4_002b2token"

const b2Error = (status: number, code: string, message: string): Reply => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ status, code, message })
})

const makeFakeB2 = (options: { fault?: (request: Recorded) => Reply | undefined } = {}) => {
  const files = new Map<string, Buffer>()
  const largeFiles = new Map<string, { parts: Map<number, Buffer>; state: "started" | "finished" | "cancelled" }>()
  const handler = (request: Recorded): Reply => {
    const fault = options.fault?.(request)
    if (fault !== undefined) return fault
    if (request.headers["authorization"] !== B2_TOKEN) return b2Error(401, "bad_auth_token", "bad token")
    const claimed = request.headers["x-bz-content-sha1"]
    if (claimed !== sha1(request.body)) return b2Error(400, "bad_request", "sha1 did not match data received")
    if (request.path === "/b2api/v2/b2_upload_file/bucket1") {
      if (request.headers["content-type"] !== "b2/x-auto") return b2Error(400, "bad_request", "content type")
      const name = decodeURIComponent(String(request.headers["x-bz-file-name"]))
      files.set(name, request.body)
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ fileId: "file-1", fileName: name, contentLength: request.body.length, contentSha1: claimed })
      }
    }
    const part = /^\/b2api\/v2\/b2_upload_part\/(.+)$/.exec(request.path)
    if (part !== null) {
      const large = largeFiles.get(part[1]!)
      if (large === undefined || large.state !== "started") return b2Error(400, "bad_request", "no such large file")
      large.parts.set(Number(request.headers["x-bz-part-number"]), request.body)
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ contentSha1: claimed }) }
    }
    return b2Error(404, "not_found", "no route")
  }
  return { files, largeFiles, handler }
}

describe("B2", () => {
  it.live("single upload: token, encoded file name, SHA-1 of the file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 2 * MiB + 3)
      const b2 = makeFakeB2()
      const server = yield* startServer(b2.handler)
      const result = yield* uploadB2Single({
        path: file.path,
        uploadUrl: `${server.url}/b2api/v2/b2_upload_file/bucket1`,
        authorizationToken: B2_TOKEN,
        fileName: "media/interview one+été.mp4"
      })
      assert.strictEqual(result.fileId, "file-1")
      assert.strictEqual(sha256(b2.files.get("media/interview one+été.mp4")!), file.sha256)
      const request = server.requests[0]!
      assert.strictEqual(request.headers["x-bz-file-name"], "media/interview%20one%2B%C3%A9t%C3%A9.mp4")
      assert.strictEqual(request.headers["content-length"], String(2 * MiB + 3))
      assert.strictEqual(result.sha1, sha1(request.body))
    }).pipe(Effect.provide(testStorageClient())))

  it.live("single upload: a 503 is retried (the same name and bytes again replace the first), and stored once", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", MiB + 7)
      let busy = true
      const b2 = makeFakeB2({
        fault: () => {
          if (!busy) return undefined
          busy = false
          return b2Error(503, "service_unavailable", "too busy")
        }
      })
      const server = yield* startServer(b2.handler)
      yield* uploadB2Single({
        path: file.path,
        uploadUrl: `${server.url}/b2api/v2/b2_upload_file/bucket1`,
        authorizationToken: B2_TOKEN,
        fileName: "media/clip.mp4"
      })
      assert.strictEqual(server.requests.length, 2)
      assert.strictEqual(sha256(b2.files.get("media/clip.mp4")!), file.sha256)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("large file: parts with numbers and SHA-1s, then finish with the SHA-1 list", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const size = 7 * MiB + 10
      const file = writeRandomFile(dir, "clip.mp4", size)
      const b2 = makeFakeB2()
      const server = yield* startServer(b2.handler)
      const finished: Array<ReadonlyArray<string>> = []
      const result = yield* uploadB2Large({
        path: file.path,
        start: Effect.sync(() => {
          b2.largeFiles.set("large-1", { parts: new Map(), state: "started" })
          return { uploadFileId: "large-1", uploadUrl: `${server.url}/b2api/v2/b2_upload_part/large-1`, authorizationToken: B2_TOKEN }
        }),
        finish: (id, sha1List) =>
          Effect.sync(() => {
            finished.push(sha1List)
            b2.largeFiles.get(id)!.state = "finished"
          }),
        cancel: () => Effect.die("cancel must not be called"),
        partSize: 2 * MiB,
        minPartSize: MiB
      })
      const large = b2.largeFiles.get("large-1")!
      assert.strictEqual(large.state, "finished")
      assert.deepStrictEqual([...large.parts.keys()], [1, 2, 3, 4])
      assert.strictEqual(sha256(Buffer.concat([1, 2, 3, 4].map((n) => large.parts.get(n)!))), file.sha256)
      assert.deepStrictEqual(finished, [[1, 2, 3, 4].map((n) => sha1(large.parts.get(n)!))])
      assert.deepStrictEqual(result.sha1List, finished[0])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("large file: a part that fails once is sent again (parts replace by number)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      let failures = 0
      const b2 = makeFakeB2({
        fault: (request) =>
          request.headers["x-bz-part-number"] === "2" && failures++ === 0
            ? b2Error(503, "service_unavailable", "no tomes available")
            : undefined
      })
      const server = yield* startServer(b2.handler)
      b2.largeFiles.set("large-3", { parts: new Map(), state: "started" })
      yield* uploadB2Large({
        path: file.path,
        start: Effect.succeed({
          uploadFileId: "large-3",
          uploadUrl: `${server.url}/b2api/v2/b2_upload_part/large-3`,
          authorizationToken: B2_TOKEN
        }),
        finish: (id) => Effect.sync(() => void (b2.largeFiles.get(id)!.state = "finished")),
        cancel: () => Effect.die("cancel must not be called"),
        partSize: MiB,
        minPartSize: MiB
      })
      const large = b2.largeFiles.get("large-3")!
      assert.strictEqual(large.state, "finished")
      assert.strictEqual(sha256(Buffer.concat([1, 2, 3].map((n) => large.parts.get(n)!))), file.sha256)
      assert.strictEqual(server.requests.filter((request) => request.headers["x-bz-part-number"] === "2").length, 2)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("large file: a part that keeps failing cancels the large file, with B2's error code", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      const b2 = makeFakeB2({
        fault: (request) =>
          request.headers["x-bz-part-number"] === "2" ? b2Error(503, "service_unavailable", "no tomes available") : undefined
      })
      const server = yield* startServer(b2.handler)
      const cancelled: Array<string> = []
      const error = yield* uploadB2Large({
        path: file.path,
        start: Effect.succeed({
          uploadFileId: "large-2",
          uploadUrl: `${server.url}/b2api/v2/b2_upload_part/large-2`,
          authorizationToken: B2_TOKEN
        }).pipe(Effect.tap(() => Effect.sync(() => b2.largeFiles.set("large-2", { parts: new Map(), state: "started" })))),
        finish: () => Effect.die("finish must not be called"),
        cancel: (id) => Effect.sync(() => void cancelled.push(id)),
        partSize: MiB,
        minPartSize: MiB
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageError")
      if (error._tag === "StorageError") {
        assert.strictEqual(error.code, "service_unavailable")
        assert.strictEqual(error.detail, "no tomes available")
      }
      assert.deepStrictEqual(cancelled, ["large-2"])
      // 1 attempt + 3 retries of the test client's policy.
      assert.strictEqual(server.requests.filter((request) => request.headers["x-bz-part-number"] === "2").length, 4)
    }).pipe(Effect.provide(testStorageClient())))

  it("helpers", () => {
    assert.strictEqual(encodeB2FileName("a b/c+d.mp4"), "a%20b/c%2Bd.mp4")
    assert.strictEqual(chooseB2Strategy(50 * MiB), "single")
    assert.strictEqual(chooseB2Strategy(150 * MiB), "large")
  })
})
