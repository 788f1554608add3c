/**
 * Iconik request bodies are bounded: a body over `maxBodyBytes` is refused with 413 and Iconik's error body while it
 * is read, in-process and over a socket, so an oversized POST never sits in memory whole.
 */
import * as Http from "node:http"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { IconikEmulator } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

const KiB = 1024
const limit = 64 * KiB
const assetsPath = "/API/assets/v1/assets/"

describe("request body limit, in-process", () => {
  it.effect("a body over the limit is 413 with Iconik's body and creates nothing; one within it is fine", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const over = yield* raw("POST", assetsPath, { body: { title: "x".repeat(limit) } })
      assert.strictEqual(over.status, 413)
      assert.deepStrictEqual(over.json, { errors: [`Request body is larger than the limit of ${limit} bytes`] })
      assert.strictEqual(emulator.state.assets.size, 0)
      const within = yield* raw("POST", assetsPath, { body: { title: "x".repeat(limit - 100) } })
      assert.strictEqual(within.status, 201)
      assert.strictEqual(emulator.state.assets.size, 1)
    }).pipe(Effect.provide(IconikEmulator.layerClient({ rateLimit: false, maxBodyBytes: limit }))))
})

interface Sent {
  readonly status: number
  readonly body: string
  /** Bytes handed to the socket before the answer came. */
  readonly written: number
}

/**
 * POSTs up to `total` bytes chunked (or with a declared `contentLength`), writing only as fast as the socket takes
 * them and stopping as soon as the answer arrives.
 */
const postLarge = (url: string, headers: Record<string, string>, total: number, contentLength?: number) =>
  Effect.callback<Sent>((resume) => {
    let written = 0
    let answered = false
    const chunk = Buffer.alloc(64 * KiB, 0x61)
    const request = Http.request(url, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        ...(contentLength === undefined ? {} : { "content-length": String(contentLength) })
      }
    }, (response) => {
      answered = true
      const parts: Array<Buffer> = []
      response.on("data", (part: Buffer) => parts.push(part))
      response.on("end", () => {
        request.destroy()
        resume(Effect.succeed({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString(), written }))
      })
    })
    // The server closes the connection after its answer; writes racing that are expected to fail.
    request.on("error", () => {
      if (!answered) resume(Effect.die(new Error("no answer before the connection closed")))
    })
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.length
        if (!request.write(chunk)) return void request.once("drain", pump)
      }
      if (!answered && contentLength === undefined) request.end()
    }
    request.write("{\"title\": \"")
    pump()
    return Effect.sync(() => request.destroy())
  })

describe("request body limit, over a socket", () => {
  layer(IconikEmulator.layerServer({ rateLimit: false, maxBodyBytes: limit }))((it) => {
    it.effect("a chunked body is refused while it is read: the answer comes long before the client is done", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const credentials = { "app-id": emulator.credentials.appId, "auth-token": emulator.credentials.authToken }
        const total = 1024 * 1024 * KiB
        const sent = yield* postLarge(`${emulator.baseUrl}${assetsPath}`, credentials, total)
        assert.strictEqual(sent.status, 413)
        assert.deepStrictEqual(JSON.parse(sent.body), { errors: [`Request body is larger than the limit of ${limit} bytes`] })
        // Socket buffers take some megabytes; a server reading on would have taken the whole GiB.
        assert.isBelow(sent.written, total / 8)
        assert.strictEqual(emulator.state.assets.size, 0)
      }))

    it.effect("a declared Content-Length over the limit is refused before any of the body is read", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const credentials = { "app-id": emulator.credentials.appId, "auth-token": emulator.credentials.authToken }
        const sent = yield* postLarge(`${emulator.baseUrl}${assetsPath}`, credentials, 128 * KiB, 300 * 1024 * KiB)
        assert.strictEqual(sent.status, 413)
        assert.strictEqual(emulator.state.assets.size, 0)
      }))
  })
})
