/**
 * Iconik request bodies are bounded: a body over `maxBodyBytes` is refused with 413 and Iconik's error body while it
 * is read, in-process and over a socket, so an oversized POST never sits in memory whole.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { IconikEmulator } from "../../src/testing/index.ts"
import { sendLarge } from "../objectstore/support.ts"
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

describe("request body limit, configuration", () => {
  it.effect("a limit that is not a positive whole number is refused when the emulator is built", () =>
    Effect.gen(function*() {
      for (const [options, name] of [
        [{ maxBodyBytes: 0 }, "maxBodyBytes"],
        [{ maxBodyBytes: 1.5 }, "maxBodyBytes"],
        [{ objectStore: { maxBodyBytes: -1 } }, "objectStore.maxBodyBytes"]
      ] as const) {
        const exit = yield* Effect.exit(Effect.provide(Effect.void, IconikEmulator.layer(options)))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.include(Cause.pretty(exit.cause), `${name} must be a positive whole number`)
      }
    }))
})

describe("request body limit, over a socket", () => {
  layer(IconikEmulator.layerServer({ rateLimit: false, maxBodyBytes: limit }))((it) => {
    it.effect("a chunked body is refused while it is read: the answer comes long before the client is done", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const credentials = { "app-id": emulator.credentials.appId, "auth-token": emulator.credentials.authToken }
        const total = 1024 * 1024 * KiB
        const sent = yield* sendLarge("POST", `${emulator.baseUrl}${assetsPath}`, { ...credentials, "content-type": "application/json" }, total)
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
        const sent = yield* sendLarge("POST", `${emulator.baseUrl}${assetsPath}`, credentials, 128 * KiB, 300 * 1024 * KiB)
        assert.strictEqual(sent.status, 413)
        assert.strictEqual(emulator.state.assets.size, 0)
      }))
  })
})
