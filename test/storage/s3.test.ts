/**
 * S3 engines against a small local S3 (node:http on 127.0.0.1): the wire (Content-Length, headers), redaction,
 * retries with re-read bytes, abort + clean-up on failure and interruption, typed file errors, bounded memory.
 */
import { assert, describe, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Cause, Deferred, Effect, Exit, Fiber, Layer, Logger, References } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import {
  chooseS3Strategy,
  completeMultipartUploadXml,
  MiB,
  StorageClient,
  type TransferEvent,
  uploadS3Multipart,
  uploadS3Single
} from "../../src/storage/index.ts"
import { createHash } from "node:crypto"
import { fakeIconik, makeFakeS3, SECRET_SIGNATURE, signed } from "./fakeS3.ts"
import {
  countingFileSystem,
  type Handler,
  newDiskReads,
  readRange,
  sha256,
  startServer,
  tempDir,
  testStorageClient,
  writeRandomFile
} from "./support.ts"

const KEY = "/bucket/media/clip.mp4"

const collectEvents = () => {
  const events: Array<TransferEvent> = []
  return { events, onProgress: (event: TransferEvent) => Effect.sync(() => void events.push(event)) }
}

describe("S3 multipart (local S3)", () => {
  it.live("uploads every part with an exact Content-Length, never chunked, picking part URLs by number", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 12 * MiB + 12345)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY, { shuffle: true })
      const { events, onProgress } = collectEvents()

      const result = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        partSize: 1 * MiB,
        minPartSize: 1 * MiB,
        partUrlsPerPage: 5,
        concurrency: 3,
        onProgress
      })

      assert.strictEqual(result.parts.length, 13)
      assert.strictEqual(result.uploadedParts, 13)
      assert.strictEqual(result.etag, "\"abc-13\"")
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      const puts = server.requests.filter((request) => request.method === "PUT")
      assert.strictEqual(puts.length, 13)
      for (const put of puts) {
        assert.strictEqual(put.headers["content-length"], String(put.body.length))
        assert.isUndefined(put.headers["transfer-encoding"])
        // Each URL went to the part with its number: the bytes are that part's range.
        const partNumber = Number(put.query.get("partNumber"))
        const expected = readRange(file.path, (partNumber - 1) * MiB, Math.min(MiB, 12 * MiB + 12345 - (partNumber - 1) * MiB))
        assert.strictEqual(sha256(put.body), sha256(expected))
      }
      for (const request of server.requests.filter((request) => request.method === "POST")) {
        assert.strictEqual(request.headers["content-length"], String(request.body.length))
      }
      // 13 parts at 5 per page: pages 1..3, each fetched once, with the total part count.
      assert.deepStrictEqual(iconik.calls.partUrlPages.map((query) => query.page), [1, 2, 3])
      assert.isTrue(iconik.calls.partUrlPages.every((query) => query.partsNum === 13 && query.perPage === 5))
      const started = events.find((event) => event._tag === "UploadStarted")
      assert.strictEqual(started?._tag === "UploadStarted" ? started.uploadId : undefined, result.uploadId)
      assert.strictEqual(events.filter((event) => event._tag === "PartCompleted").length, 13)
      const last = events.filter((event) => event._tag === "BytesTransferred").at(-1)
      assert.deepStrictEqual(last, { _tag: "BytesTransferred", transferredBytes: 12 * MiB + 12345, totalBytes: 12 * MiB + 12345 })
      assert.strictEqual(events.at(-1)?._tag, "UploadCompleted")
    }).pipe(Effect.provide(testStorageClient())))

  it.live("sends no App-ID, Auth-Token or trace-context headers, even inside a span", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 6 * MiB)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)

      yield* uploadS3Multipart({ path: file.path, ...iconik, partSize: 5 * MiB }).pipe(Effect.withSpan("ingest"))
      // Control: a plain HttpClient request in the same span does carry trace headers, so the check below can fail.
      const control = yield* HttpClient.HttpClient
      yield* control.execute(HttpClientRequest.get(`${server.url}/control`)).pipe(Effect.withSpan("ingest"))

      const controlRequest = server.requests.find((request) => request.path === "/control")!
      assert.isDefined(controlRequest.headers["traceparent"])
      const storageRequests = server.requests.filter((request) => request.path !== "/control")
      assert.strictEqual(storageRequests.length, 4)
      for (const request of storageRequests) {
        for (const name of ["app-id", "auth-token", "traceparent", "tracestate", "b3"]) {
          assert.isUndefined(request.headers[name], `${name} on ${request.method} ${request.path}`)
        }
      }
    }).pipe(Effect.provide(Layer.mergeAll(StorageClient.layer, NodeHttpClient.layerNodeHttp))))

  it.live("drops Iconik headers even when built on an HttpClient that adds them", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "small.bin", 1000)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const leakyClient = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) =>
          client.pipe(HttpClient.mapRequest(HttpClientRequest.setHeaders({ "App-ID": "app", "Auth-Token": "tok" }))))
      ).pipe(Layer.provide(NodeHttpClient.layerNodeHttp))
      const storage = Layer.effect(StorageClient, StorageClient.make()).pipe(
        Layer.provide([leakyClient, countingFileSystem(newDiskReads())])
      )
      yield* uploadS3Single({ path: file.path, uploadUrl: signed(`${server.url}${KEY}`) }).pipe(Effect.provide(storage))
      assert.strictEqual(server.requests.length, 1)
      assert.isUndefined(server.requests[0]!.headers["app-id"])
      assert.isUndefined(server.requests[0]!.headers["auth-token"])
    }))

  it.live("keeps presigned query strings out of errors, logs and spans", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 6 * MiB)
      const s3 = makeFakeS3({
        fault: (request) =>
          request.query.get("partNumber") === "2"
            ? {
              status: 403,
              headers: { "content-type": "application/xml" },
              body: `<Error><Code>SignatureDoesNotMatch</Code><Message>bad signature for ${request.url}</Message></Error>`
            }
            : undefined
      })
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      const lines: Array<string> = []
      const spans: Array<string> = []
      const collector = Logger.make((options) => void lines.push(Logger.formatLogFmt.log(options)))

      const exit = yield* uploadS3Multipart({ path: file.path, ...iconik, partSize: 5 * MiB }).pipe(
        Effect.withSpan("upload"),
        Effect.provide(Logger.layer([collector])),
        Effect.provideService(References.MinimumLogLevel, "All"),
        Effect.onExit((exit) => Effect.sync(() => void spans.push(JSON.stringify(exit)))),
        Effect.exit
      )

      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined
      assert.strictEqual(error?._tag === "Some" ? error.value._tag : undefined, "StorageError")
      if (error?._tag === "Some" && error.value._tag === "StorageError") {
        assert.strictEqual(error.value.status, 403)
        assert.strictEqual(error.value.code, "SignatureDoesNotMatch")
        assert.strictEqual(error.value.url, `${server.url}${KEY}`)
        assert.strictEqual(error.value.operation, "UploadPart")
      }
      assert.isTrue(lines.some((line) => line.includes("storage request")), "the requests were logged")
      const everything = [
        Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "",
        JSON.stringify(exit),
        ...lines,
        ...spans
      ].join("\n")
      assert.notInclude(everything, SECRET_SIGNATURE)
      assert.notInclude(everything, "X-Amz-Credential=test")
      assert.notInclude(everything, "uploadId=upload-1")
      // The upload was aborted.
      assert.deepStrictEqual(s3.aborted, ["upload-1"])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("retries a part that fails twice, re-reading its bytes from disk each time", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const size = 3 * MiB + 100
      const file = writeRandomFile(dir, "clip.mp4", size)
      let part2Attempts = 0
      const s3 = makeFakeS3({
        fault: (request) => {
          if (request.query.get("partNumber") !== "2") return undefined
          part2Attempts++
          return part2Attempts === 1
            ? { status: 503, body: "<Error><Code>SlowDown</Code><Message>busy</Message></Error>" }
            : part2Attempts === 2
            ? "destroy"
            : undefined
        }
      })
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      const reads = newDiskReads()
      const { events, onProgress } = collectEvents()

      const result = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        partSize: MiB,
        minPartSize: MiB,
        onProgress
      }).pipe(Effect.provide(testStorageClient(countingFileSystem(reads))))

      assert.strictEqual(result.parts.length, 4)
      const part2 = server.requests.filter((request) => request.query.get("partNumber") === "2")
      assert.strictEqual(part2.length, 3)
      const expected = sha256(readRange(file.path, MiB, MiB))
      for (const attempt of part2) assert.strictEqual(sha256(attempt.body), expected)
      // The part's range was read from disk once per attempt; the other parts once.
      assert.strictEqual(reads.byOffset.get(MiB), 3 * MiB)
      assert.strictEqual(reads.byOffset.get(0), MiB)
      assert.strictEqual(reads.byOffset.get(3 * MiB), 100)
      const retries = events.filter((event) => event._tag === "PartRetrying")
      assert.deepStrictEqual(retries.map((event) => event._tag === "PartRetrying" ? [event.partNumber, event.attempt] : []), [
        [2, 2],
        [2, 3]
      ])
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      const last = events.filter((event) => event._tag === "BytesTransferred").at(-1)
      assert.strictEqual(last?._tag === "BytesTransferred" ? last.transferredBytes : -1, size)
    }))

  it.live("times out a stalled part and retries it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 2 * MiB)
      let stalled = false
      const s3 = makeFakeS3({
        fault: (request) => {
          if (stalled || request.query.get("partNumber") !== "2") return undefined
          stalled = true
          return "hang"
        }
      })
      const server = yield* startServer(s3.handler)
      // Long enough that the requests that do answer never look idle on a busy machine (all share the timeout).
      const result = yield* uploadS3Multipart({ path: file.path, ...fakeIconik(server.url, KEY), partSize: MiB, minPartSize: MiB })
        .pipe(Effect.provide(testStorageClient(undefined, { idleTimeout: "1 second" })))
      assert.strictEqual(result.parts.length, 2)
      assert.strictEqual(server.requests.filter((request) => request.query.get("partNumber") === "2").length, 2)
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)

      // A part that never answers fails with a timeout once the retries are spent.
      const hanging = makeFakeS3({ fault: (request) => (request.query.get("partNumber") === "1" ? "hang" : undefined) })
      const hangingServer = yield* startServer(hanging.handler)
      const error = yield* uploadS3Multipart({
        path: file.path,
        ...fakeIconik(hangingServer.url, KEY),
        partSize: MiB,
        minPartSize: MiB,
        retry: { times: 1 }
      }).pipe(Effect.provide(testStorageClient(undefined, { idleTimeout: "200 millis" })), Effect.flip)
      assert.strictEqual(error._tag, "StorageTransportError")
      if (error._tag === "StorageTransportError") assert.strictEqual(error.reason, "Timeout")
      assert.deepStrictEqual(hanging.aborted, ["upload-1"])
    }))

  it.live("aborts and cleans up when a part keeps failing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      const s3 = makeFakeS3({
        fault: (request) =>
          request.query.get("partNumber") === "3"
            ? { status: 500, body: "<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>" }
            : undefined
      })
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      const { events, onProgress } = collectEvents()

      const error = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        partSize: MiB,
        minPartSize: MiB,
        concurrency: 1,
        onProgress
      }).pipe(Effect.flip)

      assert.strictEqual(error._tag, "StorageError")
      if (error._tag === "StorageError") {
        assert.strictEqual(error.status, 500)
        assert.strictEqual(error.code, "InternalError")
        assert.strictEqual(error.detail, "disk on fire")
      }
      // 1 attempt + 3 retries of the test client's policy.
      assert.strictEqual(server.requests.filter((request) => request.query.get("partNumber") === "3").length, 4)
      assert.deepStrictEqual(s3.aborted, ["upload-1"])
      assert.strictEqual(s3.uploads.size, 0)
      assert.deepStrictEqual(iconik.calls.cleanup, ["upload-1"])
      const abort = server.requests.find((request) => request.method === "DELETE")!
      assert.strictEqual(abort.query.get("uploadId"), "upload-1")
      assert.strictEqual(events.at(-1)?._tag, "UploadAborted")
      assert.isFalse(s3.objects.has(KEY))
    }).pipe(Effect.provide(testStorageClient())))

  it.live("checks the part sizes S3 holds before completing: a part stored short aborts instead", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB + 100)
      const upload = (s3: ReturnType<typeof makeFakeS3>) =>
        Effect.gen(function*() {
          const server = yield* startServer(s3.handler)
          const iconik = fakeIconik(server.url, KEY, { listParts: true })
          const exit = yield* Effect.exit(uploadS3Multipart({ path: file.path, ...iconik, partSize: MiB, minPartSize: MiB }))
          return { exit, server, iconik }
        })

      const intact = makeFakeS3()
      const good = yield* upload(intact)
      assert.isTrue(Exit.isSuccess(good.exit))
      assert.strictEqual(good.server.requests.filter((request) => request.method === "GET").length, 1)
      assert.strictEqual(sha256(intact.objects.get(KEY)!), file.sha256)

      const lossy = makeFakeS3({ keepBytes: (partNumber, size) => (partNumber === 2 ? size - 1 : size) })
      const bad = yield* upload(lossy)
      assert.isTrue(Exit.isFailure(bad.exit))
      const error = Exit.isFailure(bad.exit) ? Cause.squash(bad.exit.cause) : undefined
      assert.strictEqual((error as { _tag?: string })._tag, "StorageProtocolError")
      assert.include(String((error as Error).message), "part 2")
      // Never completed: aborted at S3, cleaned up at Iconik, no object.
      assert.isFalse(lossy.objects.has(KEY))
      assert.deepStrictEqual(lossy.aborted, ["upload-1"])
      assert.deepStrictEqual(bad.iconik.calls.cleanup, ["upload-1"])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("aborts and cleans up when interrupted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      const part2Seen = yield* Deferred.make<void>()
      const s3 = makeFakeS3({
        fault: (request) => {
          if (request.query.get("partNumber") !== "2") return undefined
          Deferred.doneUnsafe(part2Seen, Exit.void)
          return "hang"
        }
      })
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)

      const fiber = yield* uploadS3Multipart({ path: file.path, ...iconik, partSize: MiB, minPartSize: MiB, concurrency: 2 })
        .pipe(Effect.forkChild)
      yield* Deferred.await(part2Seen)
      yield* Fiber.interrupt(fiber)

      assert.deepStrictEqual(s3.aborted, ["upload-1"])
      assert.deepStrictEqual(iconik.calls.cleanup, ["upload-1"])
      assert.isFalse(s3.objects.has(KEY))
      assert.isFalse(server.requests.some((request) => request.method === "POST" && request.query.has("uploadId")))
    }).pipe(Effect.provide(testStorageClient())))

  it.live("fails with a typed file error before any request", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)

      const missing = yield* uploadS3Multipart({ path: `${dir}/nope.mp4`, ...iconik }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "StorageFileError")
      if (missing._tag === "StorageFileError") assert.strictEqual(missing.reason, "NotFound")

      const directory = yield* uploadS3Single({ path: dir, uploadUrl: signed(`${server.url}${KEY}`) }).pipe(Effect.flip)
      assert.strictEqual(directory._tag, "StorageFileError")
      if (directory._tag === "StorageFileError") assert.strictEqual(directory.reason, "NotAFile")

      assert.strictEqual(server.requests.length, 0)
      assert.strictEqual(iconik.calls.partUrlPages.length, 0)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("tolerates an empty ETag in the Complete answer, and fails on an <Error> inside a 200", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 2 * MiB)

      const quirky = makeFakeS3({
        completeAnswer: (key) =>
          `<CompleteMultipartUploadResult><Location>http://x${key}</Location><Key>${key}</Key><ETag></ETag></CompleteMultipartUploadResult>`
      })
      const quirkyServer = yield* startServer(quirky.handler)
      const ok = yield* uploadS3Multipart({
        path: file.path,
        ...fakeIconik(quirkyServer.url, KEY),
        partSize: MiB,
        minPartSize: MiB
      })
      assert.isUndefined(ok.etag)
      assert.strictEqual(sha256(quirky.objects.get(KEY)!), file.sha256)

      const failing = makeFakeS3({
        completeAnswer: () => `<?xml version="1.0"?>\n\n<Error><Code>InternalError</Code><Message>try again</Message></Error>`
      })
      const failingServer = yield* startServer(failing.handler)
      const iconik = fakeIconik(failingServer.url, KEY)
      const error = yield* uploadS3Multipart({ path: file.path, ...iconik, partSize: MiB, minPartSize: MiB }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageError")
      if (error._tag === "StorageError") {
        assert.strictEqual(error.status, 200)
        assert.strictEqual(error.code, "InternalError")
        assert.strictEqual(error.operation, "CompleteMultipartUpload")
      }
      assert.deepStrictEqual(iconik.calls.cleanup, ["upload-1"])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("one 500 on CompleteMultipartUpload: the completion is sent again, the upload is not aborted", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      let completions = 0
      const s3 = makeFakeS3({
        fault: (request) =>
          request.method === "POST" && request.query.has("uploadId") && completions++ === 0
            ? { status: 500, headers: { "content-type": "application/xml" }, body: "<Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error>" }
            : undefined
      })
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      yield* uploadS3Multipart({ path: file.path, ...iconik, partSize: MiB, minPartSize: MiB })
      assert.strictEqual(completions, 2)
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      assert.deepStrictEqual(s3.aborted, [])
      assert.deepStrictEqual(iconik.calls.cleanup, [])
    }).pipe(Effect.provide(testStorageClient())))

  /**
   * A store whose first completion acts and then drops the connection (or, with `abortFirst`, whose upload is aborted
   * by someone else and answers 500), and which serves the object at the key with a ranged GET.
   */
  const lossyCompletion = (options: { readonly abortFirst: boolean }) => {
    const s3 = makeFakeS3()
    let completions = 0
    const handler: Handler = (request) => {
      if (request.method === "POST" && request.query.has("uploadId") && completions++ === 0) {
        if (!options.abortFirst) {
          s3.handler(request)
          return "destroy"
        }
        s3.uploads.delete(request.query.get("uploadId")!)
        return { status: 500 }
      }
      if (request.method === "GET" && !request.query.has("uploadId")) {
        const object = s3.objects.get(request.path)
        if (object === undefined) return { status: 404, headers: { "content-type": "application/xml" }, body: "<Error><Code>NoSuchKey</Code></Error>" }
        return {
          status: 206,
          headers: { "content-range": `bytes 0-0/${object.length}`, etag: etagOf(object) },
          body: object.subarray(0, 1)
        }
      }
      return s3.handler(request)
    }
    return { s3, handler, completions: () => completions }
  }
  // The multipart ETag of 1 MiB parts, computed here independently of the engine.
  const etagOf = (object: Buffer) => {
    const outer = createHash("md5")
    let count = 0
    for (let offset = 0; offset < object.length; offset += MiB) {
      outer.update(createHash("md5").update(object.subarray(offset, offset + MiB)).digest())
      count++
    }
    return `"${outer.digest("hex")}-${count}"`
  }

  it.live("a completion that acted but lost its answer: the repeat finds NoSuchUpload, the object is read and matches", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB + 7)
      const store = lossyCompletion({ abortFirst: false })
      const server = yield* startServer(store.handler)
      const iconik = fakeIconik(server.url, KEY)
      const result = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        getObjectUrl: Effect.succeed(signed(`${server.url}${KEY}`)),
        partSize: MiB,
        minPartSize: MiB
      })
      assert.strictEqual(store.completions(), 2)
      assert.strictEqual(result.etag, etagOf(store.s3.objects.get(KEY)!))
      assert.strictEqual(sha256(store.s3.objects.get(KEY)!), file.sha256)
      assert.deepStrictEqual(iconik.calls.cleanup, [])
      assert.isTrue(server.requests.some((r) => r.method === "GET" && r.headers["range"] === "bytes=0-0"))
    }).pipe(Effect.provide(testStorageClient())))

  it.live("a repeat finds the upload gone and no object: it fails and cleans up, nothing is assumed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 3 * MiB)
      const store = lossyCompletion({ abortFirst: true })
      const server = yield* startServer(store.handler)
      const iconik = fakeIconik(server.url, KEY)
      const error = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        getObjectUrl: Effect.succeed(signed(`${server.url}${KEY}`)),
        partSize: MiB,
        minPartSize: MiB
      }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageError")
      assert.isFalse(store.s3.objects.has(KEY))
      assert.strictEqual(iconik.calls.cleanup.length, 1)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("resumes an upload id, uploading only the parts not checkpointed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "clip.mp4", 5 * MiB)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const iconik = fakeIconik(server.url, KEY)
      const { events, onProgress } = collectEvents()

      // First run: parts 4 and 5 cannot get a URL; "keep" leaves the upload for a resume.
      const first = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        getPartUrls: (query) =>
          query.page === 1
            ? iconik.getPartUrls({ ...query, perPage: 3 }).pipe(Effect.map((page) => page))
            : Effect.fail("iconik unavailable" as const),
        partUrlsPerPage: 3,
        partSize: MiB,
        minPartSize: MiB,
        concurrency: 1,
        onFailure: "keep",
        onProgress
      }).pipe(Effect.flip)
      assert.strictEqual(first, "iconik unavailable")
      assert.strictEqual(s3.uploads.get("upload-1")?.size, 3)
      assert.deepStrictEqual(s3.aborted, [])

      const checkpoint = events.flatMap((event) =>
        event._tag === "PartCompleted" ? [{ partNumber: event.partNumber, etag: event.etag!, size: event.size }] : []
      )
      const putsBefore = s3.partPuts.length
      const resumed = yield* uploadS3Multipart({
        path: file.path,
        ...iconik,
        resume: { uploadId: "upload-1", uploadedParts: checkpoint },
        partSize: MiB,
        minPartSize: MiB
      })
      assert.strictEqual(resumed.uploadedParts, 2)
      assert.deepStrictEqual(s3.partPuts.slice(putsBefore).map((put) => put.partNumber).sort(), [4, 5])
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      assert.isFalse(server.requests.slice(1).some((request) => request.query.has("uploads")), "no second create")
    }).pipe(Effect.provide(testStorageClient())))

  it.live("holds at most (concurrency + 1) parts of bytes read from disk and not yet stored", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const partSize = MiB
      const concurrency = 3
      const size = 40 * MiB + 777
      const file = writeRandomFile(dir, "big.mp4", size)
      const s3 = makeFakeS3({ keepBodies: false })
      const server = yield* startServer(s3.handler)
      const reads = newDiskReads()
      let stored = 0
      let maxHeld = 0
      reads.onRead = () => (maxHeld = Math.max(maxHeld, reads.total - stored))

      const result = yield* uploadS3Multipart({
        path: file.path,
        ...fakeIconik(server.url, KEY),
        partSize,
        minPartSize: partSize,
        concurrency,
        onProgress: (event) => Effect.sync(() => event._tag === "PartCompleted" && (stored += event.size))
      }).pipe(Effect.provide(testStorageClient(countingFileSystem(reads))))

      assert.strictEqual(result.parts.length, 41)
      assert.strictEqual(reads.total, size, "every byte read from disk exactly once")
      assert.isAtMost(maxHeld, (concurrency + 1) * partSize)
      assert.isAtMost(server.inFlight.max, concurrency)
      assert.isTrue(maxHeld > 0)
    }))
})

describe("S3 single PUT", () => {
  it.live("PUTs the whole file with an exact Content-Length", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = writeRandomFile(dir, "poster.jpg", 300_000)
      const s3 = makeFakeS3()
      const server = yield* startServer(s3.handler)
      const { events, onProgress } = collectEvents()
      const result = yield* uploadS3Single({
        path: file.path,
        uploadUrl: signed(`${server.url}${KEY}`),
        contentType: "image/jpeg",
        onProgress
      })
      assert.strictEqual(result.size, 300_000)
      // A one-part transfer: started with one part of the whole size, bytes up to the size, then completed.
      const started = events[0]
      assert.deepStrictEqual(
        started?._tag === "UploadStarted" ? [started.provider, started.partCount, started.partSize] : [],
        ["S3", 1, 300_000]
      )
      const bytes = events.filter((event) => event._tag === "BytesTransferred")
      const lastBytes = bytes.at(-1)
      assert.strictEqual(lastBytes?._tag === "BytesTransferred" ? lastBytes.transferredBytes : -1, 300_000)
      assert.deepStrictEqual(events.at(-1), { _tag: "UploadCompleted", totalBytes: 300_000 })
      assert.strictEqual(sha256(s3.objects.get(KEY)!), file.sha256)
      const put = server.requests[0]!
      assert.strictEqual(put.headers["content-length"], "300000")
      assert.strictEqual(put.headers["content-type"], "image/jpeg")
      assert.isUndefined(put.headers["transfer-encoding"])
      assert.isTrue(result.etag !== undefined && result.etag.startsWith("\""))
    }).pipe(Effect.provide(testStorageClient())))

  it("chooses single PUT up to the threshold and multipart above it (and above 5 GiB)", () => {
    assert.strictEqual(chooseS3Strategy(10 * MiB), "single")
    assert.strictEqual(chooseS3Strategy(17 * MiB), "multipart")
    assert.strictEqual(chooseS3Strategy(17 * MiB, 32 * MiB), "single")
    assert.strictEqual(chooseS3Strategy(6 * 1024 * MiB, 10 * 1024 * MiB), "multipart")
  })

  it("builds the Complete body ascending with quoted ETags", () => {
    assert.strictEqual(
      completeMultipartUploadXml([{ partNumber: 2, etag: "b" }, { partNumber: 1, etag: "\"a\"" }]),
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>"
    )
  })
})
