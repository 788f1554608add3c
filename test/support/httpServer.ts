/** A real HTTP server on 127.0.0.1 (random port) with a programmable handler, recording every request it sees. */
import { Effect } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

export type Handler = (
  request: SeenRequest,
  response: Http.ServerResponse
) => void

export interface TestServer {
  readonly url: string
  readonly requests: Array<SeenRequest>
  /** Replaces the handler (tests change behaviour between calls). */
  setHandler(handler: Handler): void
}

export const json = (response: Http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  response.end(text)
}

export const startServer = (initial: Handler): Effect.Effect<TestServer, never, import("effect").Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: Http.Server; api: TestServer }>((resume) => {
      let handler = initial
      const requests: Array<SeenRequest> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
          requests.push(seen)
          handler(seen, res)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          server,
          api: { url: `http://127.0.0.1:${port}`, requests, setHandler: (h) => (handler = h) }
        }))
      })
    }),
    ({ server }) => Effect.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  ).pipe(Effect.map(({ api }) => api))
