import * as Http from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { make, type ObjectStoreShape } from "../../src/testing/objectstore/index.ts"
import { call, md5Hex, testBytes } from "./support.ts"

/** Serves a router app on 127.0.0.1 and points the store's URLs at it, as the emulator will. */
const serveRouter = <E>(
  store: ObjectStoreShape,
  routes: Layer.Layer<never, never, HttpRouter.HttpRouter | HttpRouter.Request<"Error", E>>
) =>
  Effect.gen(function*() {
    const app = yield* HttpRouter.toHttpEffect(routes)
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
    yield* server.serve(app)
    yield* store.setBaseUrl(HttpServer.formatAddress(server.address))
  })

const roundTrip = (store: ObjectStoreShape, key: string) =>
  Effect.gen(function*() {
    const bytes = testBytes(1500, 2)
    const put = yield* call("PUT", yield* store.signS3Put("b", key), { body: bytes })
    assert.strictEqual(put.status, 200)
    const got = yield* call("GET", yield* store.signGet("b", key))
    assert.strictEqual(md5Hex(got.bytes), md5Hex(bytes))
    assert.strictEqual(Option.getOrThrow(yield* store.stat("b", key)).size, 1500)
  })

describe("object store: mounted in an HttpRouter", () => {
  it.live("under /_storage/* with the prefix left on the URL", () =>
    Effect.gen(function*() {
      const store = yield* make({ buckets: [{ name: "b", provider: "s3" }] })
      yield* serveRouter(store, HttpRouter.add("*", "/_storage/*", store.handler))
      yield* roundTrip(store, "dir/a file.bin")
    }))

  it.live("under a prefixed router that strips /_storage", () =>
    Effect.gen(function*() {
      const store = yield* make({ buckets: [{ name: "b", provider: "s3" }] })
      yield* serveRouter(
        store,
        HttpRouter.use((router) => router.prefixed("/_storage").add("*", "/*", store.handler))
      )
      yield* roundTrip(store, "dir/b.bin")
    }))
})
