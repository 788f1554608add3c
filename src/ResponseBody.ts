/**
 * Reading what servers send, within limits: an answer is streamed and counted as it arrives, so a server that sends
 * (or declares) more than the caller will hold fails before the excess is read, and an error page is cut at a small
 * size instead of being kept whole. Shared by the Iconik client and the storage client.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"

/** Default bound on an Iconik answer: 64 MiB (a page of 500 assets with metadata is a few MiB). */
export const defaultMaxResponseBytes = 64 * 1024 * 1024
/** How much of an error answer (4xx / 5xx) is read: enough for any error document, not a whole HTML site. */
export const maxErrorBodyBytes = 64 * 1024
/** How much of a body ever goes into an error message. */
export const maxExcerptChars = 1024

/** The answer is larger than the limit: `declared` when its Content-Length said so before any byte was read. */
export class BodyTooLarge {
  readonly _tag = "BodyTooLarge"
  readonly limitBytes: number
  readonly declaredBytes: number | undefined
  constructor(limitBytes: number, declaredBytes: number | undefined) {
    this.limitBytes = limitBytes
    this.declaredBytes = declaredBytes
  }
}

const decoder = new TextDecoder()

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!.subarray(0, size)
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    const part = chunk.subarray(0, size - offset)
    bytes.set(part, offset)
    offset += part.length
    if (offset === size) break
  }
  return bytes
}

/**
 * The body as text, at most `maxBytes` of it. `"fail"`: a longer body (or a Content-Length above the limit) fails
 * with {@link BodyTooLarge} once the limit is passed; `"truncate"`: the first `maxBytes` are kept and the rest is
 * not read.
 */
export const readText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  overflow: "fail" | "truncate"
): Effect.Effect<string, HttpClientError.HttpClientError | BodyTooLarge> =>
  Effect.suspend(() => {
    const declared = Number(response.headers["content-length"])
    if (overflow === "fail" && Number.isFinite(declared) && declared > maxBytes) {
      return Effect.fail(new BodyTooLarge(maxBytes, declared))
    }
    const chunks: Array<Uint8Array> = []
    let size = 0
    let over = false
    return response.stream.pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          chunks.push(chunk)
          size += chunk.length
          over = size > maxBytes
          return !over
        })
      ),
      Effect.flatMap(() =>
        over && overflow === "fail"
          ? Effect.fail(new BodyTooLarge(maxBytes, undefined))
          : Effect.succeed(decoder.decode(concat(chunks, Math.min(size, maxBytes))))
      )
    )
  })

/** At most {@link maxExcerptChars} of `text`, for messages. */
export const excerpt = (text: string, maxChars: number = maxExcerptChars): string =>
  text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)`
