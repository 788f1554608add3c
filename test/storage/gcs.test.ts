/** GCS resumable uploads against a small local resumable-session server. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MiB, type TransferEvent, uploadGcsResumable } from "../../src/storage/index.ts"
import { type Recorded, type Reply, sha256, startServer, tempDir, testStorageClient, writeRandomFile } from "./support.ts"

const SESSION_SECRET = "sessionsecret0123456789"

/** One resumable session at a time; `fault` may cut a chunk after keeping part of it. */
const makeFakeGcs = (options: { fault?: (request: Recorded, persisted: number) => { keep: number; reply: Reply } | undefined } = {}) => {
  const state = { persisted: Buffer.alloc(0), total: -1, done: false, statusQueries: 0 }
  const handler = (request: Recorded): Reply => {
    if (request.method === "POST" && request.headers["x-goog-resumable"] === "start") {
      state.total = Number(request.headers["x-upload-content-length"] ?? -1)
      return {
        status: 201,
        headers: { location: `http://127.0.0.1:${request.headers.host!.split(":")[1]}/session/1?upload_id=${SESSION_SECRET}`, "x-guploader-uploadid": "gcs-upload-1" }
      }
    }
    if (request.method === "PUT" && request.path === "/session/1") {
      const range = String(request.headers["content-range"] ?? "")
      const finished = (): Reply => {
        state.done = true
        return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "obj", size: String(state.persisted.length) }) }
      }
      const incomplete = (): Reply =>
        state.persisted.length === 0
          ? { status: 308 }
          : { status: 308, headers: { range: `bytes=0-${state.persisted.length - 1}` } }
      const query = /^bytes \*\/(\d+)$/.exec(range)
      if (query !== null && request.body.length === 0) {
        if (Number(query[1]) === 0) return finished()
        state.statusQueries++
        return state.done ? finished() : incomplete()
      }
      const chunk = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range)
      if (chunk === null) return { status: 400, body: "bad Content-Range" }
      const [start, end, total] = [Number(chunk[1]), Number(chunk[2]), Number(chunk[3])]
      if (start !== state.persisted.length || end - start + 1 !== request.body.length) {
        return { status: 400, body: `chunk ${start}-${end} does not follow ${state.persisted.length}` }
      }
      const fault = options.fault?.(request, state.persisted.length)
      if (fault !== undefined) {
        state.persisted = Buffer.concat([state.persisted, request.body.subarray(0, fault.keep)])
        return fault.reply
      }
      state.persisted = Buffer.concat([state.persisted, request.body])
      return state.persisted.length === total ? finished() : incomplete()
    }
    return { status: 404, body: "no such route" }
  }
  return { state, handler }
}

const collectEvents = () => {
  const events: Array<TransferEvent> = []
  return { events, onProgress: (event: TransferEvent) => Effect.sync(() => void events.push(event)) }
}

describe("GCS resumable", () => {
  it.live("uploads in 256 KiB-aligned chunks with Content-Range and resumes from GCS's Range after a cut chunk", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const size = 5 * MiB + 1234
      const file = writeRandomFile(dir, "clip.mp4", size)
      let cut = false
      const gcs = makeFakeGcs({
        fault: (_request, persisted) => {
          if (cut || persisted !== 2 * MiB) return undefined
          cut = true
          // GCS kept 256 KiB of the chunk, then the connection broke.
          return { keep: 256 * 1024, reply: "destroy" }
        }
      })
      const server = yield* startServer(gcs.handler)
      const { events, onProgress } = collectEvents()

      const result = yield* uploadGcsResumable({
        path: file.path,
        uploadUrl: `${server.url}/upload/bucket/obj?X-Goog-Signature=secret`,
        contentType: "video/mp4",
        chunkSize: MiB,
        onProgress
      })

      assert.strictEqual(sha256(gcs.state.persisted), file.sha256)
      assert.strictEqual(result.size, size)
      assert.strictEqual(result.uploadId, "gcs-upload-1")
      assert.include(Redacted.value(result.sessionUrl), SESSION_SECRET)
      assert.notInclude(String(result.sessionUrl), SESSION_SECRET)
      assert.strictEqual(gcs.state.statusQueries, 1)
      const start = server.requests[0]!
      assert.strictEqual(start.headers["content-length"], "0")
      assert.strictEqual(start.headers["x-upload-content-type"], "video/mp4")
      const chunks = server.requests.filter((request) => request.method === "PUT" && request.body.length > 0)
      for (const chunk of chunks) {
        assert.strictEqual(chunk.headers["content-length"], String(chunk.body.length))
        assert.isUndefined(chunk.headers["transfer-encoding"])
      }
      // After the cut, the next chunk starts where GCS said it stopped (2 MiB + 256 KiB).
      const ranges = chunks.map((chunk) => chunk.headers["content-range"])
      assert.include(ranges, `bytes ${2 * MiB + 256 * 1024}-${3 * MiB + 256 * 1024 - 1}/${size}`)
      assert.deepStrictEqual(events.filter((event) => event._tag === "PartRetrying").length, 1)
      const last = events.filter((event) => event._tag === "BytesTransferred").at(-1)
      assert.strictEqual(last?._tag === "BytesTransferred" ? last.transferredBytes : -1, size)
    }).pipe(Effect.provide(testStorageClient())))

  it.live("resumes a session from another run by its URL, sending only what GCS lacks", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const size = 3 * MiB
      const file = writeRandomFile(dir, "clip.mp4", size)
      let refuse = true
      const gcs = makeFakeGcs({
        fault: (_request, persisted) =>
          refuse && persisted === MiB
            ? {
              keep: 0,
              reply: {
                status: 403,
                // GCS echoes the session's upload id on every answer: it must not end up in the error.
                headers: { "x-guploader-uploadid": SESSION_SECRET, "content-type": "application/json" },
                body: JSON.stringify({ error: { message: "denied", errors: [{ reason: "forbidden" }] } })
              }
            }
            : undefined
      })
      const server = yield* startServer(gcs.handler)
      const { events, onProgress } = collectEvents()

      const failure = yield* uploadGcsResumable({
        path: file.path,
        uploadUrl: `${server.url}/upload/bucket/obj`,
        chunkSize: MiB,
        onProgress
      }).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "StorageError")
      if (failure._tag === "StorageError") {
        assert.strictEqual(failure.code, "forbidden")
        assert.strictEqual(failure.detail, "denied")
        assert.notInclude(failure.message, SESSION_SECRET)
        assert.notInclude(JSON.stringify(failure), SESSION_SECRET)
      }
      const started = events.find((event) => event._tag === "UploadStarted")
      const sessionUrl = started?._tag === "UploadStarted" ? started.sessionUrl : undefined
      assert.isDefined(sessionUrl)

      refuse = false
      const before = server.requests.length
      yield* uploadGcsResumable({ path: file.path, resume: { sessionUrl: sessionUrl! }, chunkSize: MiB })
      assert.strictEqual(sha256(gcs.state.persisted), file.sha256)
      const resumed = server.requests.slice(before)
      assert.strictEqual(resumed[0]!.headers["content-range"], `bytes */${size}`)
      assert.deepStrictEqual(resumed.slice(1).map((request) => request.headers["content-range"]), [
        `bytes ${MiB}-${2 * MiB - 1}/${size}`,
        `bytes ${2 * MiB}-${3 * MiB - 1}/${size}`
      ])
    }).pipe(Effect.provide(testStorageClient())))

  it.live("uploads an empty file and rejects a chunk size that is not a multiple of 256 KiB", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const empty = writeRandomFile(dir, "empty.bin", 0)
      const gcs = makeFakeGcs()
      const server = yield* startServer(gcs.handler)
      const result = yield* uploadGcsResumable({ path: empty.path, uploadUrl: `${server.url}/upload/b/o` })
      assert.strictEqual(result.size, 0)
      assert.strictEqual(server.requests[1]!.headers["content-range"], "bytes */0")

      const error = yield* uploadGcsResumable({ path: empty.path, uploadUrl: `${server.url}/upload/b/o`, chunkSize: 100_000 })
        .pipe(Effect.flip)
      assert.strictEqual(error._tag, "StorageProtocolError")
    }).pipe(Effect.provide(testStorageClient())))
})
