/** The emulator on a real socket: the SDK over Node's HTTP client, resets that drop the connection, `runServer`. */
import * as Net from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import { HttpClient } from "effect/http"
import * as IconikClient from "../../src/IconikClient.ts"
import { assets, metadata } from "../../src/generated/index.ts"
import { Faults, IconikEmulator } from "../../src/testing/index.ts"
import { raw } from "./support.ts"

describe("over a socket", () => {
  layer(IconikEmulator.layerServerClient({ rateLimit: false }, { retry: false, rateLimit: false }))((it) => {
    it.effect("serves the SDK on 127.0.0.1 with the same behaviour as in-process", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        assert.match(emulator.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
        const asset = yield* assets.createAsset({ body: { title: "Over the wire" } })
        assert.strictEqual((yield* assets.getAsset({ asset_id: asset.id })).title, "Over the wire")
        const missing = yield* assets.getAsset({ asset_id: "6a1c1f5e-0000-1000-8000-000000000000" }).pipe(Effect.flip)
        assert.strictEqual(missing._tag, "IconikNotFound")
        const empty = yield* metadata.createView({ body: { name: "V", view_fields: [] } })
        const quirk = yield* metadata.getObjectViewMetadata({ object_type: "assets", object_id: asset.id, view_id: empty.id })
          .pipe(Effect.flip)
        assert.strictEqual(quirk._tag, "IconikNotFound")
        const slashes = yield* raw("GET", `/API/assets/v1/assets/${asset.id}`)
        assert.strictEqual(slashes.status, 200)
      }))

    it.effect("a reset fault drops the connection mid-answer: the SDK reports ConnectionReset", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        yield* assets.createAsset({ body: { title: "Half an answer" } })
        yield* emulator.addFault({ route: "/API/assets/v1/assets/", method: "GET", times: 1, fault: Faults.reset })
        const error = yield* assets.listAssets().pipe(Effect.flip)
        assert.strictEqual(error._tag, "IconikTransportError")
        if (error._tag === "IconikTransportError") assert.strictEqual(error.reason, "ConnectionReset")
        // The next call gets a fresh connection and a whole answer.
        assert.isAtLeast((yield* assets.listAssets()).total ?? 0, 1)
      }))

    it.effect("over the socket, a reset before handling creates nothing; a lost answer creates the asset", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        const titled = (title: string) => [...emulator.state.assets.values()].filter((a) => a.title === title).length
        yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.resetBeforeHandling })
        const dropped = yield* assets.createAsset({ body: { title: "Never made" } }).pipe(Effect.flip)
        assert.strictEqual(dropped._tag, "IconikTransportError")
        assert.strictEqual(titled("Never made"), 0)
        yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.lostAnswer })
        const lost = yield* assets.createAsset({ body: { title: "Made, answer lost" } }).pipe(Effect.flip)
        assert.strictEqual(lost._tag, "IconikTransportError")
        assert.strictEqual(titled("Made, answer lost"), 1)
      }))

    it.effect("a truncated body over the socket is an IconikDecodeError", () =>
      Effect.gen(function*() {
        const emulator = yield* IconikEmulator
        yield* emulator.addFault({ method: "GET", times: 1, fault: Faults.truncatedBody })
        const error = yield* assets.listAssets().pipe(Effect.flip)
        assert.strictEqual(error._tag, "IconikDecodeError")
      }))
  })
})

const freePort = Effect.callback<number>((resume) => {
  const probe = Net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as Net.AddressInfo
    probe.close(() => resume(Effect.succeed(port)))
  })
})

describe("runServer", () => {
  it.live("listens on the given port until interrupted", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const server = yield* Effect.forkChild(IconikEmulator.runServer({ port, appId: "app", authToken: "token" }))
      const client = IconikClient.layer({
        appId: "app",
        authToken: "token",
        baseUrl: `http://127.0.0.1:${port}`,
        retry: false
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
      const page = yield* assets.listAssets().pipe(
        Effect.provide(client),
        // Until the server listens: up to 10 s, for a busy machine.
        Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 500 })
      )
      assert.strictEqual(page.total, 0)
      yield* Fiber.interrupt(server)
      const after = yield* assets.listAssets().pipe(Effect.provide(client), Effect.flip)
      assert.strictEqual(after._tag, "IconikTransportError")
    }))
})

describe("stopping", () => {
  it.live("a client stalled mid-body does not keep the server from stopping", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const emulator = yield* IconikEmulator.serve({ rateLimit: false }).pipe(
        Effect.provide(NodeHttpClient.layerUndici),
        Scope.provide(scope)
      )
      const { hostname, port } = new URL(emulator.baseUrl)
      // Headers and part of a chunked body, then nothing: the route waits for the rest, and so would close().
      const socket = yield* Effect.callback<Net.Socket>((resume) => {
        const stalled = Net.connect(Number(port), hostname, () => {
          stalled.write(
            "POST /API/assets/v1/assets/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" +
              `App-ID: ${emulator.credentials.appId}\r\nAuth-Token: ${emulator.credentials.authToken}\r\n` +
              "Content-Type: application/json\r\n\r\n5\r\n{\"tit\r\n",
            () => resume(Effect.succeed(stalled))
          )
        })
      })
      const closed = Effect.callback<void>((resume) => {
        if (socket.destroyed) return resume(Effect.void)
        socket.once("close", () => resume(Effect.void))
      })
      socket.on("error", () => {})
      // Without the drop after the grace period this never finishes (the test times out).
      yield* Scope.close(scope, Exit.void)
      yield* closed
      const after = yield* raw("GET", "/API/assets/v1/assets/").pipe(
        Effect.provideService(IconikEmulator, { ...emulator, httpClient: yield* HttpClient.HttpClient }),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(after))
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
