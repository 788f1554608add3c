/** A scripted Iconik on 127.0.0.1 for facade tests: routes by method + path, records what each facade sent. */
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import type * as Http from "node:http"
import * as Iconik from "../../src/IconikClient.ts"
import { json, type SeenRequest, startServer } from "../support/httpServer.ts"

/** What a facade put on the wire: method, path (no query), query parameters and the JSON body. */
export interface Sent {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string | Array<string>>
  readonly body: unknown
}

export const sentOf = (request: SeenRequest): Sent => {
  const url = new URL(request.url, "http://127.0.0.1")
  const query: Record<string, string | Array<string>> = {}
  for (const [key, value] of url.searchParams) {
    const previous = query[key]
    query[key] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value]
  }
  return {
    method: request.method,
    path: url.pathname,
    query,
    body: request.body === "" ? undefined : JSON.parse(request.body)
  }
}

/** A scripted answer: a status and a JSON body (none for 204 and bodiless 2xx). */
export interface Reply {
  readonly status: number
  readonly body?: unknown
}

export type Route = (sent: Sent) => Reply | undefined

/**
 * Starts the server with `route` (404 `{"errors": ["No route"]}` when it answers undefined) and returns the client
 * layer pointing at it plus the list of requests sent so far.
 */
export const scripted = (route: Route) =>
  Effect.gen(function*() {
    const answer = (request: SeenRequest, response: Http.ServerResponse) => {
      const reply = route(sentOf(request)) ?? { status: 404, body: { errors: ["No route"] } }
      if (reply.body === undefined) {
        response.writeHead(reply.status, { "content-length": 0 })
        response.end()
      } else {
        json(response, reply.status, reply.body)
      }
    }
    const server = yield* startServer(answer)
    const layer = Iconik.layer({
      appId: "app-1",
      authToken: "token-1",
      baseUrl: server.url,
      retry: false,
      rateLimit: false
    }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    return { layer, sent: () => server.requests.map(sentOf) }
  })
