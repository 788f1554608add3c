/**
 * Test support for the storage engines: a recording node:http server on 127.0.0.1, generated files, a file system
 * that counts the bytes read from disk, and a StorageClient wired to them with short retry delays.
 */
import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { Effect, FileSystem, Layer, Stream } from "effect"
import type { Scope } from "effect"
import { createHash, randomFillSync } from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { StorageClient, type StorageClientOptions } from "../../src/storage/index.ts"

export interface Recorded {
  readonly method: string
  /** Path and query as received. */
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

/** What a handler answers: a response, or a connection that never answers / is cut. */
export type Reply =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string | Buffer }
  | "hang"
  | "destroy"

export type Handler = (request: Recorded) => Reply | Promise<Reply>

export interface TestServer {
  readonly url: string
  readonly requests: Array<Recorded>
  /** Requests in flight right now, and the most seen at once. */
  readonly inFlight: { current: number; max: number }
}

/** A real HTTP server on 127.0.0.1 (random port) that reads each body fully, records it, then asks the handler. */
export const startServer = (handler: Handler): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: Http.Server; api: TestServer }>((resume) => {
      const requests: Array<Recorded> = []
      const inFlight = { current: 0, max: 0 }
      const server = Http.createServer((req, res) => {
        inFlight.current++
        inFlight.max = Math.max(inFlight.max, inFlight.current)
        let done = false
        const finish = () => {
          if (!done) {
            done = true
            inFlight.current--
          }
        }
        res.on("close", finish)
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", async () => {
          const url = new URL(req.url ?? "/", "http://127.0.0.1")
          const recorded: Recorded = {
            method: req.method ?? "",
            url: req.url ?? "",
            path: decodeURIComponent(url.pathname),
            query: url.searchParams,
            headers: req.headers,
            body: Buffer.concat(chunks)
          }
          requests.push(recorded)
          const reply = await handler(recorded)
          if (reply === "hang") return
          if (reply === "destroy") {
            req.socket.destroy()
            return
          }
          const body = reply.body ?? ""
          res.writeHead(reply.status, { "content-length": String(Buffer.byteLength(body)), ...reply.headers })
          res.end(body)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, api: { url: `http://127.0.0.1:${port}`, requests, inFlight } }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))

/** A temporary folder, removed with the scope. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-iconik-storage-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Writes `size` random bytes (1 MiB at a time) and returns the path and SHA-256. */
export const writeRandomFile = (dir: string, name: string, size: number): { path: string; sha256: string } => {
  const path = Path.join(dir, name)
  const hash = createHash("sha256")
  const fd = Fs.openSync(path, "w")
  const buffer = Buffer.alloc(1024 * 1024)
  for (let written = 0; written < size; written += buffer.length) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, size - written))
    randomFillSync(chunk)
    hash.update(chunk)
    Fs.writeSync(fd, chunk)
  }
  Fs.closeSync(fd)
  return { path, sha256: hash.digest("hex") }
}

export const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex")
export const sha1 = (data: Uint8Array) => createHash("sha1").update(data).digest("hex")
export const md5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex")

/** Reads a byte range of a file (test side, to compare with what the server received). */
export const readRange = (path: string, offset: number, length: number): Buffer => {
  const buffer = Buffer.alloc(length)
  const fd = Fs.openSync(path, "r")
  Fs.readSync(fd, buffer, 0, length, offset)
  Fs.closeSync(fd)
  return buffer
}

/** Bytes read from disk through the FileSystem service, per `offset` of the read. */
export interface DiskReads {
  total: number
  readonly byOffset: Map<number, number>
  /** Called after every chunk read. */
  onRead: (() => void) | undefined
}

/** The Node file system, with every `stream` read counted. */
export const countingFileSystem = (reads: DiskReads): Layer.Layer<FileSystem.FileSystem> =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (fs) =>
      FileSystem.FileSystem.of({
        ...fs,
        stream: (path, options) => {
          // The engines pass plain numbers.
          const offset = options?.offset === undefined ? 0 : Number(options.offset as number)
          return fs.stream(path, options).pipe(
            Stream.tap((chunk) =>
              Effect.sync(() => {
                reads.total += chunk.length
                reads.byOffset.set(offset, (reads.byOffset.get(offset) ?? 0) + chunk.length)
                reads.onRead?.()
              })
            )
          )
        }
      }))
  ).pipe(Layer.provide(NodeFileSystem.layer))

export const newDiskReads = (): DiskReads => ({ total: 0, byOffset: new Map(), onRead: undefined })

/** A StorageClient on node:http with fast retries, reading through the given file system layer. */
export const testStorageClient = (
  fileSystem: Layer.Layer<FileSystem.FileSystem> = NodeFileSystem.layer,
  options: StorageClientOptions = {}
): Layer.Layer<StorageClient> =>
  Layer.effect(
    StorageClient,
    StorageClient.make({
      retry: { times: 3, baseDelay: "5 millis", maxDelay: "20 millis" },
      idleTimeout: "20 seconds",
      ...options
    })
  ).pipe(Layer.provide(NodeHttpClient.layerNodeHttp), Layer.provide(fileSystem))
