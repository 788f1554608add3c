/**
 * Ranged, resumable, verified downloads (`downloadToFile`) against the embedded object store on 127.0.0.1 for every
 * provider, and against a hand-written server for what the store does not do (ignore ranges, cut a body short).
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import {
  checkpointPathFor,
  type DownloadEvent,
  downloadToFile,
  MiB,
  partialPathFor
} from "../../src/storage/index.ts"
import { type ObjectStoreShape, serve } from "../../src/testing/objectstore/index.ts"
import { md5, sha256, startServer, tempDir, testStorageClient } from "./support.ts"

const storeOptions = {
  buckets: [
    { name: "s3", provider: "s3" },
    { name: "gcs", provider: "gcs" },
    { name: "azure", provider: "azure" },
    { name: "b2", provider: "b2" }
  ]
} as const

const deps = Layer.mergeAll(testStorageClient(), NodeFileSystem.layer)

/** Deterministic bytes (a different stream per seed). */
const bytesOf = (size: number, seed = 7): Uint8Array => {
  const out = new Uint8Array(size)
  let x = seed >>> 0
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const gets = (store: ObjectStoreShape) =>
  Effect.map(store.requests, (requests) =>
    requests.filter((r) => (r.operation === "GetObject" || r.operation === "DownloadFile") && r.status >= 200 && r.status < 300)
      .length)

const seeded = (bucket: string, size: number) =>
  Effect.gen(function*() {
    const store = yield* serve(storeOptions)
    const body = bytesOf(size)
    yield* store.putObject(bucket, "media/clip.mov", body)
    return { store, body, url: yield* store.signGet(bucket, "media/clip.mov") }
  })

const providers = [
  { provider: "S3", bucket: "s3" },
  { provider: "GCS", bucket: "gcs" },
  { provider: "Azure", bucket: "azure" },
  { provider: "B2", bucket: "b2" }
] as const

describe("downloadToFile", () => {
  for (const { bucket, provider } of providers) {
    it.live(`${provider}: ranged parts, verified by MD5, renamed into place`, () =>
      Effect.gen(function*() {
        const { body, store, url } = yield* seeded(bucket, 3 * MiB + 11)
        const dir = yield* tempDir
        const path = Path.join(dir, "clip.mov")
        const events: Array<DownloadEvent> = []
        const result = yield* downloadToFile({
          url,
          path,
          provider,
          size: body.length,
          md5: md5(body),
          partSize: MiB,
          concurrency: 3,
          onProgress: (event) => Effect.sync(() => void events.push(event))
        })
        assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
        assert.deepStrictEqual([result.verified, result.skipped, result.fetchedBytes], ["md5", false, body.length])
        assert.strictEqual(yield* gets(store), 4)
        assert.isFalse(Fs.existsSync(partialPathFor(path)))
        assert.isFalse(Fs.existsSync(checkpointPathFor(path)))
        const last = events.filter((e) => e._tag === "BytesTransferred").at(-1)
        assert.deepStrictEqual(last, { _tag: "BytesTransferred", transferredBytes: body.length, totalBytes: body.length })
        assert.strictEqual(events.filter((e) => e._tag === "PartCompleted").length, 4)
      }).pipe(Effect.provide(deps)))
  }

  it.live("a rerun where the file is there and verifies fetches nothing", () =>
    Effect.gen(function*() {
      const { body, store, url } = yield* seeded("s3", 2 * MiB)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const options = { url, path, size: body.length, md5: md5(body), partSize: MiB }
      yield* downloadToFile(options)
      const before = yield* gets(store)
      const again = yield* downloadToFile(options)
      assert.isTrue(again.skipped)
      assert.strictEqual(yield* gets(store), before)
    }).pipe(Effect.provide(deps)))

  it.live("a checksum mismatch is a typed error and leaves no complete-looking file", () =>
    Effect.gen(function*() {
      const { body, url } = yield* seeded("s3", MiB + 5)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const exit = yield* Effect.exit(
        downloadToFile({ url, path, size: body.length, md5: "0".repeat(32), partSize: MiB })
      )
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
      assert.strictEqual(error?._tag, "DownloadVerificationFailed")
      assert.deepStrictEqual(Fs.readdirSync(dir), [])
    }).pipe(Effect.provide(deps)))

  it.live("a size that does not match the object is a typed error, nothing renamed", () =>
    Effect.gen(function*() {
      const { body, url } = yield* seeded("gcs", MiB + 5)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const exit = yield* Effect.exit(downloadToFile({ url, path, provider: "GCS", size: body.length + 1, partSize: MiB }))
      assert.isTrue(Exit.isFailure(exit))
      assert.isFalse(Fs.existsSync(path))
    }).pipe(Effect.provide(deps)))

  it.live("connection resets mid-download are retried", () =>
    Effect.gen(function*() {
      const { body, store, url } = yield* seeded("azure", 3 * MiB)
      yield* store.addFault({ operation: "GetObject", fault: { _tag: "Reset" }, times: 2 })
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const retries: Array<number> = []
      yield* downloadToFile({
        url,
        path,
        provider: "Azure",
        size: body.length,
        md5: md5(body),
        partSize: MiB,
        concurrency: 1,
        onProgress: (e) => Effect.sync(() => (e._tag === "PartRetrying" ? void retries.push(e.partNumber) : undefined))
      })
      assert.deepStrictEqual(retries, [1, 1])
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
    }).pipe(Effect.provide(deps)))

  it.live("an expired URL mid-download is renewed once and the download goes on", () =>
    Effect.gen(function*() {
      const { body, store } = yield* seeded("b2", 3 * MiB)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      let renewals = 0
      const completed: Array<number> = []
      // B2's expiry answer on every GET after the first part, until the URL is renewed.
      yield* store.addFault({
        operation: "DownloadFile",
        fault: { _tag: "Fail", status: 401, code: "expired_auth_token", message: "Authorization token has expired" },
        times: 1
      })
      const result = yield* downloadToFile({
        url: yield* store.signGet("b2", "media/clip.mov"),
        path,
        provider: "B2",
        size: body.length,
        md5: md5(body),
        partSize: MiB,
        concurrency: 2,
        onProgress: (e) => Effect.sync(() => (e._tag === "PartCompleted" ? void completed.push(e.partNumber) : undefined)),
        renewUrl: Effect.suspend(() => {
          renewals++
          return store.signGet("b2", "media/clip.mov")
        })
      })
      assert.strictEqual(renewals, 1)
      assert.strictEqual(result.renewals, 1)
      // Each part completes once, the renewed one included.
      assert.deepStrictEqual(completed.sort(), [1, 2, 3])
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
    }).pipe(Effect.provide(deps)))

  it.effect("a URL that really expires (store clock) is renewed; without renewUrl it is a typed error", () =>
    Effect.gen(function*() {
      const { body, store } = yield* seeded("s3", 3 * MiB)
      const dir = yield* tempDir
      const sign = store.signGet("s3", "media/clip.mov", { expiresInSeconds: 60 })
      // After the first part, two minutes pass: the URL is stale for the next part.
      const ageAfterFirstPart = (event: DownloadEvent) =>
        event._tag === "PartCompleted" && event.partNumber === 1 ? TestClock.adjust("2 minutes") : Effect.void
      const common = { size: body.length, md5: md5(body), partSize: MiB, concurrency: 1, onProgress: ageAfterFirstPart }
      const failed = yield* Effect.exit(downloadToFile({ ...common, url: yield* sign, path: Path.join(dir, "a.mov") }))
      const error = Exit.isFailure(failed) ? Option.getOrUndefined(Exit.findErrorOption(failed)) : undefined
      assert.strictEqual(error?._tag, "StorageError")
      assert.include(error?.message ?? "", "Request has expired")
      assert.notInclude(error?.message ?? "", "X-Amz-Signature")
      const renewed = yield* downloadToFile({ ...common, url: yield* sign, path: Path.join(dir, "b.mov"), renewUrl: sign })
      assert.strictEqual(renewed.renewals, 1)
      assert.strictEqual(sha256(Fs.readFileSync(Path.join(dir, "b.mov"))), sha256(body))
    }).pipe(Effect.provide(deps)))

  it.live("interrupted after two parts, a rerun fetches only the missing parts", () =>
    Effect.gen(function*() {
      const { body, store, url } = yield* seeded("s3", 5 * MiB)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const options = { url, path, size: body.length, md5: md5(body), partSize: MiB, concurrency: 1 }
      const exit = yield* Effect.exit(downloadToFile({
        ...options,
        onProgress: (e) => (e._tag === "PartCompleted" && e.partNumber === 2 ? Effect.interrupt : Effect.void)
      }))
      assert.isTrue(Exit.hasInterrupts(exit))
      assert.isFalse(Fs.existsSync(path))
      assert.isTrue(Fs.existsSync(partialPathFor(path)))
      const before = yield* gets(store)
      assert.strictEqual(before, 2)
      const result = yield* downloadToFile(options)
      assert.strictEqual((yield* gets(store)) - before, 3)
      assert.deepStrictEqual([result.resumedParts, result.fetchedBytes], [2, 3 * MiB])
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
      assert.isFalse(Fs.existsSync(checkpointPathFor(path)))
    }).pipe(Effect.provide(deps)))

  it.live("SIGKILL of a child process mid-download: a rerun fetches only the parts not on disk", () =>
    Effect.gen(function*() {
      const { body, store, url } = yield* seeded("s3", 6 * MiB)
      // Each GET waits a little, so the kill lands while the download is under way.
      yield* store.addFault({ operation: "GetObject", fault: { _tag: "Delay", millis: 150 } })
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const options = { url, path, size: body.length, md5: md5(body), partSize: MiB, concurrency: 1 }
      // In the project (git-ignored scratch folder), so the child resolves the project's packages.
      const scratch = new URL("../../.tmp", import.meta.url).pathname
      Fs.mkdirSync(scratch, { recursive: true })
      const script = Path.join(scratch, `download-child-${process.pid}.ts`)
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(script, { force: true })))
      const engine = new URL("../../src/storage/index.ts", import.meta.url).href
      Fs.writeFileSync(
        script,
        `import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { downloadToFile, StorageClient } from ${JSON.stringify(engine)}
const options = JSON.parse(process.argv[2])
await Effect.runPromise(downloadToFile({ ...options, onProgress: (e) =>
  e._tag === "PartCompleted" ? Effect.sync(() => process.stdout.write("part " + e.partNumber + "\\n")) : Effect.void
}).pipe(Effect.provide(Layer.mergeAll(StorageClient.layer, NodeFileSystem.layer))))
`
      )
      const killedAfter = yield* Effect.callback<number>((resume) => {
        const child = ChildProcess.spawn(process.execPath, [script, JSON.stringify(options)], {
          cwd: new URL("../..", import.meta.url).pathname,
          stdio: ["ignore", "pipe", "inherit"]
        })
        let parts = 0
        child.stdout!.on("data", (chunk: Buffer) => {
          parts += chunk.toString().split("\n").filter((line) => line.startsWith("part ")).length
          if (parts >= 2) child.kill("SIGKILL")
        })
        child.once("exit", (_code, signal) => resume(Effect.succeed(signal === "SIGKILL" ? parts : -1)))
      })
      assert.isAtLeast(killedAfter, 2)
      assert.isFalse(Fs.existsSync(path))
      yield* store.clearFaults
      const before = yield* gets(store)
      const result = yield* downloadToFile(options)
      assert.isAtLeast(result.resumedParts, 2)
      // The killed child's GET in flight may still be answered (and counted) by the store: at most one more.
      const fetched = (yield* gets(store)) - before
      assert.isAtLeast(fetched, 6 - result.resumedParts)
      assert.isAtMost(fetched, 6 - result.resumedParts + 1)
      assert.strictEqual(result.fetchedBytes, (6 - result.resumedParts) * MiB)
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
    }).pipe(Effect.scoped, Effect.provide(deps)), 30_000)

  it.live("a checkpoint for other bytes (another identity) is not resumed", () =>
    Effect.gen(function*() {
      const { body, store, url } = yield* seeded("s3", 3 * MiB)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const options = { url, path, size: body.length, partSize: MiB, concurrency: 1 }
      yield* Effect.exit(downloadToFile({
        ...options,
        identity: "old",
        onProgress: (e) => (e._tag === "PartCompleted" ? Effect.interrupt : Effect.void)
      }))
      const before = yield* gets(store)
      yield* downloadToFile({ ...options, identity: "new" })
      assert.strictEqual((yield* gets(store)) - before, 3)
    }).pipe(Effect.provide(deps)))

  it.live("a 200 with the whole body to a ranged request is handled", () =>
    Effect.gen(function*() {
      const body = Buffer.from(bytesOf(MiB + 100, 3))
      const server = yield* startServer(() => ({ status: 200, body }))
      const dir = yield* tempDir
      const path = Path.join(dir, "plain.bin")
      yield* downloadToFile({ url: `${server.url}/o?sig=secret`, path, size: body.length, md5: md5(body), partSize: 256 * 1024 })
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
      assert.isTrue(server.requests.every((r) => r.headers["range"] !== undefined))
      assert.isTrue(server.requests.every((r) => r.headers["auth-token"] === undefined))
    }).pipe(Effect.provide(deps)))

  it.live("a truncated body is retried, and a part that stays short fails typed without a complete-looking file", () =>
    Effect.gen(function*() {
      const body = Buffer.from(bytesOf(MiB, 5))
      const seen = new Map<string, number>()
      const server = yield* startServer((request) => {
        const range = /bytes=(\d+)-(\d+)/.exec(String(request.headers["range"]))!
        const start = Number(range[1])
        const end = Number(range[2])
        const count = (seen.get(range[0]) ?? 0) + 1
        seen.set(range[0], count)
        const always = request.path.endsWith("/always-short")
        // The first answer to each range (or all of them) sends half the bytes it announces in Content-Range.
        const short = always || count === 1
        const slice = body.subarray(start, short ? start + Math.floor((end + 1 - start) / 2) : end + 1)
        return { status: 206, headers: { "content-range": `bytes ${start}-${end}/${body.length}` }, body: slice }
      })
      const dir = yield* tempDir
      const path = Path.join(dir, "short.bin")
      const retried: Array<string> = []
      yield* downloadToFile({
        url: `${server.url}/short`,
        path,
        size: body.length,
        md5: md5(body),
        partSize: 256 * 1024,
        onProgress: (e) => Effect.sync(() => (e._tag === "PartRetrying" ? void retried.push(e.reason) : undefined))
      })
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
      assert.strictEqual(retried.length, 4)
      assert.include(retried[0], "ended after")

      const failPath = Path.join(dir, "fail.bin")
      const exit = yield* Effect.exit(
        downloadToFile({ url: `${server.url}/always-short`, path: failPath, size: body.length, partSize: 256 * 1024 })
      )
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
      assert.strictEqual(error?._tag, "StorageTransportError")
      assert.isFalse(Fs.existsSync(failPath))
    }).pipe(Effect.provide(deps)))

  it.live("an empty object", () =>
    Effect.gen(function*() {
      const { store } = yield* seeded("s3", 1)
      yield* store.putObject("s3", "empty", new Uint8Array(0))
      const dir = yield* tempDir
      const path = Path.join(dir, "empty")
      const result = yield* downloadToFile({ url: yield* store.signGet("s3", "empty"), path, size: 0, md5: md5(new Uint8Array(0)) })
      assert.strictEqual(result.verified, "md5")
      assert.strictEqual(Fs.statSync(path).size, 0)
    }).pipe(Effect.provide(deps)))

  it.effect("bad options fail before any request", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(downloadToFile({ url: "http://127.0.0.1:1/x", path: "/nonexistent/x", size: 10, partSize: 0 }))
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
      assert.strictEqual(error?._tag, "StorageProtocolError")
    }).pipe(Effect.provide(deps)))
})
