/** Helpers shared by the emulator tests: raw calls that bypass the SDK, to look at the wire. */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { IconikEmulator } from "../../src/testing/index.ts"

export interface RawAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: unknown
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const readAnswer = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(Effect.orDie(response.text), (text): RawAnswer => ({
    status: response.status,
    headers: response.headers,
    text,
    json: parse(text)
  }))

/**
 * Calls the emulator in context with the admin's credentials (unless `headers` replaces them), through its own
 * HttpClient: in-process, or over the socket for a server.
 */
export const raw = (
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options?: { readonly body?: unknown; readonly headers?: Record<string, string> }
) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const headers = options?.headers ?? {
      "App-ID": emulator.credentials.appId,
      "Auth-Token": emulator.credentials.authToken
    }
    let request = HttpClientRequest.make(method)(`${emulator.baseUrl}${path}`).pipe(HttpClientRequest.setHeaders(headers))
    if (options?.body !== undefined) request = HttpClientRequest.bodyText(request, JSON.stringify(options.body), "application/json")
    const response = yield* Effect.orDie(emulator.httpClient.execute(request))
    return yield* readAnswer(response)
  })

/** {@link raw}, asserting a 2xx answer; its JSON body. */
export const ok = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown) =>
  Effect.gen(function*() {
    const answer = yield* raw(method, path, body === undefined ? undefined : { body })
    assert.isTrue(answer.status >= 200 && answer.status < 300, `${method} ${path} → ${answer.status} ${answer.text}`)
    return answer.json as any
  })

/** A plain request to a presigned storage URL (no Iconik headers). */
export const storage = (
  method: "GET" | "PUT" | "POST" | "DELETE",
  url: string,
  options?: { readonly body?: Uint8Array | string; readonly headers?: Record<string, string> }
) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    let request = HttpClientRequest.make(method)(url).pipe(HttpClientRequest.setHeaders(options?.headers ?? {}))
    const body = options?.body
    if (typeof body === "string") request = HttpClientRequest.bodyText(request, body, options?.headers?.["Content-Type"])
    else if (body !== undefined) request = HttpClientRequest.bodyUint8Array(request, body, options?.headers?.["Content-Type"])
    const response = yield* Effect.orDie(HttpClient.execute(request).pipe(Effect.provideService(HttpClient.HttpClient, emulator.httpClient)))
    return yield* readAnswer(response)
  })

/** Deterministic test bytes: the object store suites' generator. */
export { testBytes as bytes } from "../objectstore/support.ts"
