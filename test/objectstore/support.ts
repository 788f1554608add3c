/** Helpers for the object store suites: a client call that returns status/headers/bytes, raw node:http requests
 * for exact header control, deterministic test bytes and digests. */
import { createHash } from "node:crypto"
import * as Http from "node:http"
import * as Net from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly bytes: Uint8Array
  readonly text: string
}

export interface CallOptions {
  readonly body?: Uint8Array | string | undefined
  readonly headers?: Record<string, string> | undefined
}

/** One request through effect's HttpClient (whichever HttpClient is provided). */
export const callWith = (client: HttpClient.HttpClient) =>
(
  method: "GET" | "PUT" | "POST" | "DELETE" | "HEAD",
  url: string,
  options: CallOptions = {}
) =>
  Effect.gen(function*() {
    let request = HttpClientRequest.make(method)(url).pipe(HttpClientRequest.setHeaders(options.headers ?? {}))
    if (options.body !== undefined) {
      const bytes = typeof options.body === "string" ? new TextEncoder().encode(options.body) : options.body
      request = HttpClientRequest.bodyUint8Array(request, bytes, options.headers?.["content-type"])
    }
    const response = yield* client.execute(request)
    const bytes = method === "HEAD" ? new Uint8Array() : new Uint8Array(yield* response.arrayBuffer)
    return {
      status: response.status,
      headers: response.headers as Record<string, string>,
      bytes,
      text: new TextDecoder().decode(bytes)
    } satisfies Answer
  })

/** One request through the Node (undici) HttpClient. */
export const call = (
  method: "GET" | "PUT" | "POST" | "DELETE" | "HEAD",
  url: string,
  options: CallOptions = {}
) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    return yield* callWith(client)(method, url, options)
  }).pipe(Effect.provide(NodeHttpClient.layerUndici))

/** A request through node:http, for bodies sent chunked or headers the HttpClient would normalise. */
export const rawRequest = (
  url: string,
  options: {
    readonly method: string
    readonly headers?: Record<string, string> | undefined
    /** Written as separate chunks; with no content-length header node sends them chunked. */
    readonly chunks?: ReadonlyArray<Uint8Array> | undefined
  }
) =>
  Effect.callback<Answer, Error>((resume) => {
    const request = Http.request(url, { method: options.method, headers: options.headers, agent: false }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () => {
        const bytes = Buffer.concat(chunks)
        resume(Effect.succeed({
          status: response.statusCode ?? 0,
          headers: response.headers as Record<string, string>,
          bytes,
          text: bytes.toString("utf8")
        }))
      })
    })
    request.on("error", (error) => resume(Effect.fail(error)))
    for (const chunk of options.chunks ?? []) request.write(chunk)
    request.end()
  })

/** Writes a request head verbatim on a TCP socket and returns the status code (no Content-Length, no chunking). */
export const rawHead = (url: string, head: string) =>
  Effect.callback<number, Error>((resume) => {
    const target = new URL(url)
    const socket = Net.connect(Number(target.port), target.hostname, () => {
      socket.write(head.replace("{path}", target.pathname + target.search).replace("{host}", target.host))
    })
    let received = ""
    socket.on("data", (data) => {
      received += data.toString("latin1")
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      if (match !== null) {
        socket.destroy()
        resume(Effect.succeed(Number(match[1])))
      }
    })
    socket.on("error", (error) => resume(Effect.fail(error)))
  })

/** Deterministic bytes (a small LCG), so failures reproduce. */
export const testBytes = (size: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(size)
  let state = seed >>> 0
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    out[i] = state >>> 24
  }
  return out
}

export const md5Hex = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex")
export const sha1Hex = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("hex")

/** The value of `<Name>…</Name>` in an XML answer. */
export const xmlValue = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]

export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => Buffer.concat(parts)

export interface Sent {
  readonly status: number
  readonly body: string
  /** Bytes handed to the socket before the answer came. */
  readonly written: number
}

/**
 * Sends up to `total` bytes chunked (or with a declared `contentLength`), writing only as fast as the socket takes
 * them and stopping as soon as the answer arrives.
 */
export const sendLarge = (
  method: "POST" | "PUT",
  url: string,
  headers: Record<string, string>,
  total: number,
  contentLength?: number
) =>
  Effect.callback<Sent>((resume) => {
    let written = 0
    let answered = false
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const request = Http.request(url, {
      method,
      headers: {
        ...headers,
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
    pump()
    return Effect.sync(() => request.destroy())
  })
