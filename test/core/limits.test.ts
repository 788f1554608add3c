/**
 * Limits on what servers send, against a local server that answers with far more than the clients accept: the answer
 * is counted while it streams and reading stops at the limit; error answers are read only in part, and only about
 * 1 KiB of any body reaches an error.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type * as Http from "node:http"
import * as Iconik from "../../src/IconikClient.ts"
import { StorageClient } from "../../src/storage/index.ts"
import { startServer } from "../support/httpServer.ts"
import { getItem } from "../support/operations.ts"

const MiB = 1024 * 1024

/** Writes `total` bytes of `fill` in 64 KiB chunks, honouring backpressure; `progress.written` counts what went out. */
const streamBody = (res: Http.ServerResponse, total: number, fill: string, progress: { written: number }) => {
  const chunk = Buffer.alloc(64 * 1024, fill)
  const pump = () => {
    while (progress.written < total && !res.destroyed) {
      progress.written += chunk.length
      if (!res.write(chunk)) return void res.once("drain", pump)
    }
    res.end()
  }
  pump()
}

const iconik = (url: string, options?: Partial<Iconik.IconikOptions>) =>
  Iconik.layer({ appId: "app", authToken: "token", baseUrl: url, retry: false, rateLimit: false, ...options }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

describe("Iconik answers within limits", () => {
  it.live("an answer that streams past maxResponseBytes fails at the limit, long before the server is done", () =>
    Effect.gen(function*() {
      const total = 64 * MiB
      const progress = { written: 0 }
      const server = yield* startServer((_, res) => {
        res.writeHead(200, { "content-type": "application/json" }) // chunked: no length to judge up front
        res.write("{\"id\": \"a1\", \"title\": \"")
        streamBody(res, total, "x", progress)
      })
      const error = yield* getItem({ item_id: "a1" }).pipe(
        Effect.flip,
        Effect.provide(iconik(server.url, { maxResponseBytes: MiB }))
      )
      assert.strictEqual(error._tag, "IconikResponseTooLarge")
      if (error._tag !== "IconikResponseTooLarge") return
      assert.strictEqual(error.limitBytes, MiB)
      assert.isUndefined(error.declaredBytes)
      assert.isBelow(progress.written, total / 2, "the client stopped reading; the rest was never sent")
    }))

  it.live("a Content-Length above the limit fails before the body is read; a call may raise its own limit", () =>
    Effect.gen(function*() {
      const body = JSON.stringify({ id: "a1", title: "y".repeat(2 * MiB) })
      const server = yield* startServer((_, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
        res.end(body)
      })
      const layer = iconik(server.url, { maxResponseBytes: MiB })
      const error = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(error._tag, "IconikResponseTooLarge")
      if (error._tag === "IconikResponseTooLarge") assert.strictEqual(error.declaredBytes, Buffer.byteLength(body))
      const item = yield* getItem({ item_id: "a1" }, { maxResponseBytes: 4 * MiB }).pipe(Effect.provide(layer))
      assert.strictEqual(item.title?.length, 2 * MiB)
    }))

  it.live("a huge error page is read only in part, and about 1 KiB of it reaches the error", () =>
    Effect.gen(function*() {
      const total = 64 * MiB
      const progress = { written: 0 }
      let status = 502
      const server = yield* startServer((_, res) => {
        if (status === 502) {
          res.writeHead(502, { "content-type": "text/html" })
          return streamBody(res, total, "<p>bad gateway</p>", progress)
        }
        // 50 KiB of validation errors: read whole (under 64 KiB), but only about 1 KiB goes into the error.
        const huge = JSON.stringify({ errors: Array.from({ length: 100 }, (_, i) => `${i}: ${"z".repeat(500)}`) })
        res.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(huge) })
        res.end(huge)
      })
      const layer = iconik(server.url)
      const gateway = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(gateway._tag, "IconikServerError")
      assert.isBelow(progress.written, total / 2)
      status = 400
      const bad = yield* getItem({ item_id: "a1" }).pipe(Effect.flip, Effect.provide(layer))
      assert.strictEqual(bad._tag, "IconikBadRequest")
      assert.isBelow(bad.message.length, 1500)
      assert.isBelow(JSON.stringify(bad).length, 1800)
      assert.include(bad.message, "0: zzz")
    }))

  it.effect("maxResponseBytes must be a positive integer", () =>
    Effect.gen(function*() {
      const error = yield* Iconik.make({ appId: "a", authToken: "t", maxResponseBytes: 0 }).pipe(
        Effect.flip,
        Effect.provide(NodeHttpClient.layerUndici)
      )
      assert.strictEqual(error._tag, "IconikConfigError")
      assert.include(error.detail, "maxResponseBytes")
    }))
})

describe("storage answers within limits", () => {
  const storage = (options: { maxResponseBytes?: number } = {}) =>
    Layer.effect(StorageClient, StorageClient.make({ retry: false, ...options })).pipe(
      Layer.provide(NodeHttpClient.layerNodeHttp),
      Layer.provide(NodeFileSystem.layer)
    )

  it.live("an XML answer past maxResponseBytes fails at the limit; an error document's text is cut to about 1 KiB", () =>
    Effect.gen(function*() {
      const total = 64 * MiB
      const progress = { written: 0 }
      let status = 200
      const server = yield* startServer((_, res) => {
        if (status === 200) {
          res.writeHead(200, { "content-type": "application/xml" })
          res.write("<ListPartsResult>")
          return streamBody(res, total, "<Part></Part>", progress)
        }
        const xml = `<Error><Code>AccessDenied</Code><Message>${"m".repeat(32 * 1024)}</Message></Error>`
        res.writeHead(403, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) })
        res.end(xml)
      })
      const send = StorageClient.use((client) =>
        client.send({ provider: "S3", operation: "ListParts", method: "GET", url: `${server.url}/b/k?X-Amz-Signature=s` })
      ).pipe(Effect.flip, Effect.provide(storage()))
      const tooLarge = yield* send
      assert.strictEqual(tooLarge._tag, "StorageResponseTooLarge")
      if (tooLarge._tag === "StorageResponseTooLarge") assert.strictEqual(tooLarge.limitBytes, MiB)
      assert.isBelow(progress.written, total / 2)
      status = 403
      const denied = yield* send
      assert.strictEqual(denied._tag, "StorageError")
      if (denied._tag !== "StorageError") return
      assert.strictEqual(denied.code, "AccessDenied")
      assert.isBelow(denied.message.length, 1500)
    }))
})
