/**
 * Two ways to reach a store without writing a router: a real HTTP server on 127.0.0.1 (port 0 by default), and an
 * in-process HttpClient that hands requests straight to the handler (no sockets; a reset fault becomes a
 * TransportError, which is what a socket client would report).
 */
import * as Http from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { make, ObjectStore, type ObjectStoreOptions, type ObjectStoreShape } from "./ObjectStore.ts"

export interface ServerOptions extends ObjectStoreOptions {
  /** Default 0 (any free port). */
  readonly port?: number | undefined
}

/**
 * Starts a store behind a real `node:http` server on 127.0.0.1 for the life of the scope, with `baseUrl` set to
 * the bound address.
 */
export const serve = (
  options: ServerOptions = {}
): Effect.Effect<ObjectStoreShape, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* make(options)
    const server = yield* NodeHttpServer.make(() => Http.createServer(), {
      port: options.port ?? 0,
      host: "127.0.0.1"
    })
    // The connection is already gone after a reset; nothing is left to answer.
    yield* server.serve(store.handler.pipe(
      Effect.catchTag("StorageConnectionReset", () => Effect.succeed(HttpServerResponse.empty({ status: 500 })))
    ))
    yield* store.setBaseUrl(HttpServer.formatAddress(server.address))
    return store
  })

/** A layer providing a store served over HTTP on 127.0.0.1. */
export const layerServer = (options?: ServerOptions): Layer.Layer<ObjectStore, HttpServerError.ServeError> =>
  Layer.effect(ObjectStore, serve(options))

/** An HttpClient whose every request is answered by the store's handler in-process (any host, any port). */
export const inProcessClient = (store: ObjectStoreShape): HttpClient.HttpClient =>
  HttpClient.make((request) =>
    store.handler.pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromClientRequest(request)),
      Effect.map((response) => HttpServerResponse.toClientResponse(response, { request })),
      Effect.catchTag("StorageConnectionReset", (reset) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({
              request,
              // The code a socket client sees, so callers classify it as a reset.
              cause: Object.assign(new Error(reset.message), { code: "ECONNRESET" }),
              description: "connection reset"
            })
          })
        ))
    )
  )
