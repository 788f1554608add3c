/**
 * The Iconik client service: one instance per configured base URL and credentials. It owns the cross-cutting
 * concerns once: auth headers, base URL, JSON, timeouts, retries, rate limiting, redaction, spans, status → typed
 * error. Generated operations call {@link IconikClientShape.execute} with their definition.
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { constTrue } from "effect/Function"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { CallOptions, Definition } from "./Endpoint.ts"
import {
  fromStatus,
  IconikDecodeError,
  type IconikError,
  type IconikErrorBody,
  IconikInvalidRequest,
  IconikTransportError
} from "./IconikError.ts"
import { scrubSecrets } from "./Redaction.ts"
import { backoffMillis, transportCode, transportReason } from "./Retry.ts"
import * as TokenBucket from "./TokenBucket.ts"

export interface RetryPolicy {
  /** Retries after the first attempt. Default 4. */
  readonly times: number
  /** First back-off delay; doubles each retry, with jitter. Default 250 ms. */
  readonly baseDelay: Duration.Input
  /** Largest back-off delay, and the longest Retry-After honoured. Default 30 s. */
  readonly maxDelay: Duration.Input
}

export interface RateLimit {
  /**
   * Sustained rate. Default 50: Iconik does not publish its budget (a third-party page says 50 per second and 1000
   * per 20 s per App-ID), so this is a guess; lower it if 429s are counted ({@link rateLimitedTotal}).
   */
  readonly requestsPerSecond: number
  /** Requests that may go out at once after a quiet spell. Default 50. */
  readonly burst: number
}

/**
 * The metric counter `iconik_client_rate_limited_total`: every 429 the client's limiter met. Each one paused every call
 * sharing the client for the Retry-After (see `rateLimit`). Read it with `Metric.value(Iconik.rateLimitedTotal)`.
 */
export const rateLimitedTotal = TokenBucket.rateLimitedTotal

export interface IconikOptions {
  readonly appId: string
  readonly authToken: Redacted.Redacted<string> | string
  /** Default `https://app.iconik.io`; e.g. `https://eu.iconik.io` or a tenant host. */
  readonly baseUrl?: string | undefined
  /** Per attempt. Default 60 s. */
  readonly timeout?: Duration.Input | undefined
  /** `false` disables retries. */
  readonly retry?: Partial<RetryPolicy> | false | undefined
  /**
   * The client-side limiter: a token bucket shared by every call of this client; a 429 pauses it for the Retry-After
   * and is counted in {@link rateLimitedTotal}. `false` disables it (and the pause and the count).
   */
  readonly rateLimit?: Partial<RateLimit> | false | undefined
  /** Last say over the HttpClient every call goes through (e.g. add a header, log, proxy). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

export const defaultBaseUrl = "https://app.iconik.io"

/** Options that cannot work (empty credentials, a base URL that is not http(s)). */
export class IconikConfigError extends Schema.TaggedError<IconikConfigError>()("IconikConfigError", {
  detail: Schema.String
}) {
  override get message() {
    return `Invalid Iconik client configuration: ${this.detail}`
  }
}

export interface IconikClientShape {
  /** Executes a generated operation: encode input, send, map status, decode. */
  readonly execute: (definition: Definition, input: unknown, options?: CallOptions) => Effect.Effect<unknown, IconikError>
  /**
   * The configured HttpClient (base URL, auth headers, rate limit): for calls outside the generated surface. Relative
   * URLs such as Iconik's host-relative `next_url` resolve against the base URL.
   */
  readonly httpClient: HttpClient.HttpClient
  readonly baseUrl: string
}

export class IconikClient extends Context.Service<IconikClient, IconikClientShape>()("effect-iconik/IconikClient") {}

// ---------------------------------------------------------------------------------------------------------------
// Request encoding

const invalid = (definition: Definition, detail: string) =>
  new IconikInvalidRequest({ method: definition.method, path: definition.path, detail })

const fillPath = (definition: Definition, input: Record<string, unknown>): string | IconikInvalidRequest => {
  let failure: IconikInvalidRequest | undefined
  const path = definition.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = input[name]
    const text = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : ""
    if (text === "" || text === "." || text === "..") {
      failure ??= invalid(definition, `path parameter ${name} must be a non-empty string, got ${JSON.stringify(value)}`)
      return ""
    }
    return encodeURIComponent(text)
  })
  return failure ?? path
}

const appendParam = (params: Array<[string, string]>, key: string, value: unknown) => {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) for (const item of value) appendParam(params, key, item)
  else if (typeof value === "object") params.push([key, JSON.stringify(value)])
  else params.push([key, String(value)]) // booleans become lowercase true / false, as Iconik expects
}

const encoders = new WeakMap<Schema.Top, (u: unknown) => Effect.Effect<unknown, Schema.SchemaError>>()
const encoderFor = (schema: Schema.Top) => {
  let encode = encoders.get(schema)
  if (!encode) encoders.set(schema, (encode = Schema.encodeUnknownEffect(schema as Schema.Codec<unknown, unknown>)))
  return encode
}
const decoders = new WeakMap<Schema.Top, (u: unknown) => Effect.Effect<unknown, Schema.SchemaError>>()
const decoderFor = (schema: Schema.Top) => {
  let decode = decoders.get(schema)
  if (!decode) decoders.set(schema, (decode = Schema.decodeUnknownEffect(schema as Schema.Codec<unknown, unknown>)))
  return decode
}

/** `objects[3].status`-style location of the first failure in a schema issue. */
export const issuePath = (issue: SchemaIssue.Issue): string => {
  const path: Array<PropertyKey> = []
  let current: SchemaIssue.Issue | undefined = issue
  while (current) {
    switch (current._tag) {
      case "Pointer":
        path.push(...current.path)
        current = current.issue
        break
      case "Composite":
      case "AnyOf":
        current = current.issues[0]
        break
      case "Filter":
      case "Encoding":
        current = current.issue
        break
      default:
        current = undefined
    }
  }
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("")
}

const encodeRequest = (
  definition: Definition,
  input: unknown
): Effect.Effect<HttpClientRequest.HttpClientRequest, IconikInvalidRequest> =>
  Effect.suspend(() => {
    const fields = (input ?? {}) as Record<string, unknown>
    const path = fillPath(definition, fields)
    if (typeof path !== "string") return Effect.fail(path)
    let request = HttpClientRequest.make(definition.method)(path)
    const steps: Array<Effect.Effect<void, IconikInvalidRequest>> = []
    if (definition.query !== undefined && fields.query !== undefined) {
      steps.push(
        encoderFor(definition.query)(fields.query).pipe(
          Effect.mapError((e) => invalid(definition, `query ${issuePath(e.issue)}: ${e.message}`)),
          Effect.map((encoded) => {
            const params: Array<[string, string]> = []
            for (const [key, value] of Object.entries(encoded as Record<string, unknown>)) appendParam(params, key, value)
            request = HttpClientRequest.setUrlParams(request, params)
          })
        )
      )
    }
    const body = definition.body
    if (body !== undefined) {
      if (fields.body === undefined) {
        if (body.required) return Effect.fail(invalid(definition, "a request body is required"))
      } else if (body.contentType === "application/json") {
        steps.push(
          encoderFor(body.schema)(fields.body).pipe(
            Effect.mapError((e) => invalid(definition, `body ${issuePath(e.issue)}: ${e.message}`)),
            Effect.map((encoded) => {
              request = HttpClientRequest.bodyText(request, JSON.stringify(encoded), "application/json")
            })
          )
        )
      } else if (fields.body instanceof Uint8Array) {
        request = HttpClientRequest.bodyUint8Array(request, fields.body, body.contentType)
      } else if (typeof fields.body === "string") {
        request = HttpClientRequest.bodyText(request, fields.body, body.contentType)
      } else if (body.contentType === "multipart/form-data" && typeof fields.body === "object") {
        request = HttpClientRequest.bodyFormDataRecord(request, fields.body as any)
      } else {
        return Effect.fail(invalid(definition, `a ${body.contentType} body must be a string or bytes`))
      }
    }
    // Read `request` after the steps ran: they replace it.
    return steps.length === 0 ? Effect.succeed(request) : Effect.map(Effect.all(steps, { discard: true }), () => request)
  })

// ---------------------------------------------------------------------------------------------------------------
// Response decoding

const readErrors = (text: string): IconikErrorBody | undefined => {
  try {
    const parsed = JSON.parse(text)
    const errors = parsed?.errors
    if (Array.isArray(errors)) return errors.map(String)
    if (errors !== null && typeof errors === "object") return errors
  } catch {
    // Not JSON (an HTML error page from a proxy, a truncated body): the status alone tells the story.
  }
  return undefined
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const isJson = (contentType: string | undefined) => contentType === undefined || contentType.includes("json")

const decodeResponse = (
  definition: Definition,
  path: string,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<unknown, IconikError> => {
  const status = response.status
  if (status >= 200 && status < 300) {
    const success = definition.success.find((s) => s.status === status) ??
      definition.success.find((s) => s.schema !== undefined)
    if (success?.schema === undefined || status === 204) return Effect.as(Effect.ignore(response.text), undefined)
    const schema = success.schema
    // Answers hand out presigned URLs: a body excerpt or a schema message quoting one must not carry its signature.
    const decodeError = (schemaPath: string, detail: string) =>
      new IconikDecodeError({ method: definition.method, path, status, schemaPath, detail: scrubSecrets(detail) })
    return response.text.pipe(
      Effect.mapError((e) => transportError(definition.method, path, e)),
      Effect.flatMap((text) => {
        if (text === "" && success.optionalBody === true) return Effect.succeed(undefined)
        if (!isJson(success.contentType)) return decoderFor(schema)(text).pipe(
          Effect.mapError((e) => decodeError(issuePath(e.issue), e.message))
        )
        if (text === "") return Effect.fail(decodeError("", "empty body where a JSON document was expected"))
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (e) {
          return Effect.fail(decodeError("", `body is not JSON (${(e as Error).message}): ${text.slice(0, 120)}`))
        }
        return decoderFor(schema)(json).pipe(Effect.mapError((e) => decodeError(issuePath(e.issue), e.message)))
      })
    )
  }
  return response.text.pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((text) =>
      fromStatus({
        status,
        method: definition.method,
        path,
        errors: readErrors(text),
        retryAfterMillis: parseRetryAfter(response.headers["retry-after"], Date.now())
      }, definition.errors)
    ),
    Effect.flatMap(Effect.fail)
  )
}

const transportError = (method: string, path: string, error: HttpClientError.HttpClientError): IconikTransportError => {
  const cause = (error.reason as { cause?: unknown }).cause
  // Only the reason's tag and the low-level code/message: never headers, never the full URL.
  const message = Predicate.hasProperty(cause, "message") && Predicate.isString(cause.message) ? cause.message : undefined
  const detail = [error.reason._tag, transportCode(cause), message].filter(Boolean).join(": ")
  return new IconikTransportError({ method, path, reason: transportReason(cause), detail })
}

// ---------------------------------------------------------------------------------------------------------------
// Retries

/** Whether a failed attempt may be sent again. POST only when Iconik cannot have processed it. */
export const isRetryable = (method: string, error: IconikError): boolean => {
  switch (error._tag) {
    case "IconikRateLimited":
      return true
    case "IconikTransportError":
      return method !== "POST" || error.reason === "ConnectionRefused"
    case "IconikServerError":
      return method !== "POST" && (error.status === 502 || error.status === 503 || error.status === 504)
    default:
      return false
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Construction

export const make = Effect.fnUntraced(function*(options: IconikOptions) {
  const http = yield* HttpClient.HttpClient
  const token = typeof options.authToken === "string" ? Redacted.make(options.authToken) : options.authToken
  const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "")
  if (options.appId.trim() === "") return yield* new IconikConfigError({ detail: "the App-ID is empty" })
  if (Redacted.value(token).trim() === "") return yield* new IconikConfigError({ detail: "the auth token is empty" })
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) {
    return yield* new IconikConfigError({ detail: `the base URL must start with http:// or https://, got ${baseUrl}` })
  }
  const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.seconds(60))
  const retry = options.retry === false ? undefined : {
    times: options.retry?.times ?? 4,
    baseDelay: Duration.toMillis(Duration.fromInputUnsafe(options.retry?.baseDelay ?? 250)),
    maxDelay: Duration.toMillis(Duration.fromInputUnsafe(options.retry?.maxDelay ?? Duration.seconds(30)))
  }
  const bucket = options.rateLimit === false ? undefined : yield* TokenBucket.make({
    requestsPerSecond: options.rateLimit?.requestsPerSecond ?? 50,
    burst: options.rateLimit?.burst ?? 50
  }).pipe(Effect.mapError((e) => new IconikConfigError({ detail: e.message })))

  const authHeaders = { "App-ID": options.appId, "Auth-Token": Redacted.value(token), Accept: "application/json" }
  let client: HttpClient.HttpClient = http.pipe(
    HttpClient.mapRequest((request) =>
      HttpClientRequest.setHeaders(HttpClientRequest.prependUrl(request, baseUrl), authHeaders)
    ),
    // The token never shows in spans or logs: add it to the header names effect redacts.
    HttpClient.transform((effect) =>
      Effect.updateService(effect, Headers.CurrentRedactedNames, (names) => [...names, "auth-token"])
    )
  )
  // A 429 met by any call pauses every call sharing the bucket (for its Retry-After, at most the longest one honoured).
  if (bucket) {
    client = HttpClient.transform(client, (effect) =>
      Effect.andThen(bucket.take, effect).pipe(Effect.tap((response) =>
        response.status === 429
          ? TokenBucket.slowDown(
            bucket,
            parseRetryAfter(response.headers["retry-after"], Date.now()),
            retry?.maxDelay ?? 30_000
          )
          : Effect.void
      )))
  }
  if (options.transformClient) client = options.transformClient(client)

  const attempt = (definition: Definition, request: HttpClientRequest.HttpClientRequest, path: string, timeoutMs: Duration.Duration) =>
    client.execute(request).pipe(
      // One span per call: the operation's own (below) carries the HTTP attributes, so the HttpClient's is not needed.
      Effect.provideService(HttpClient.TracerDisabledWhen, constTrue),
      Effect.mapError((e) => transportError(definition.method, path, e)),
      Effect.tap((response) => Effect.annotateCurrentSpan("http.response.status_code", response.status)),
      Effect.flatMap((response) => decodeResponse(definition, path, response)),
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () =>
          Effect.fail(new IconikTransportError({
            method: definition.method,
            path,
            reason: "Timeout",
            detail: `no complete answer within ${Duration.format(timeoutMs)}`
          }))
      })
    )

  const withRetries = (definition: Definition, run: Effect.Effect<unknown, IconikError>) => {
    if (retry === undefined) return run
    const loop = (n: number): Effect.Effect<unknown, IconikError> =>
      Effect.catch(run, (error) => {
        if (n >= retry.times || !isRetryable(definition.method, error)) return Effect.fail(error)
        const serverDelay = "retryAfterMillis" in error ? error.retryAfterMillis : undefined
        if (serverDelay !== undefined && serverDelay > retry.maxDelay) return Effect.fail(error)
        const delay = serverDelay === undefined ? backoffMillis(retry.baseDelay, retry.maxDelay, n) : Effect.succeed(serverDelay)
        return delay.pipe(Effect.flatMap((millis) => Effect.sleep(millis)), Effect.andThen(loop(n + 1)))
      })
    return loop(0)
  }

  const execute = (definition: Definition, input: unknown, callOptions?: CallOptions) =>
    encodeRequest(definition, input).pipe(
      Effect.flatMap((request) => {
        const path = request.url
        const timeoutMs = callOptions?.timeout === undefined ? timeout : Duration.fromInputUnsafe(callOptions.timeout)
        return withRetries(definition, attempt(definition, request, path, timeoutMs))
      }),
      Effect.withSpan(`Iconik.${definition.service}.${definition.name}`, {
        kind: "client",
        attributes: {
          "http.request.method": definition.method,
          "url.template": definition.path,
          "server.address": baseUrl
        }
      })
    )

  return IconikClient.of({ execute, httpClient: client, baseUrl })
})

/** A client for the given credentials and base URL. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (options: IconikOptions): Layer.Layer<IconikClient, IconikConfigError, HttpClient.HttpClient> =>
  Layer.effect(IconikClient, make(options))

/**
 * A client configured from the environment: `ICONIK_APP_ID`, `ICONIK_AUTH_TOKEN` (kept Redacted) and
 * `ICONIK_BASE_URL` (default `https://app.iconik.io`). Other options may be given in code.
 */
export const layerConfig = (
  options?: Omit<IconikOptions, "appId" | "authToken" | "baseUrl">
): Layer.Layer<IconikClient, IconikConfigError | Config.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    IconikClient,
    Effect.gen(function*() {
      const config = yield* Config.all({
        appId: Config.String("ICONIK_APP_ID"),
        authToken: Config.Redacted("ICONIK_AUTH_TOKEN"),
        baseUrl: Config.String("ICONIK_BASE_URL").pipe(Config.withDefault(defaultBaseUrl))
      })
      return yield* make({ ...options, ...config })
    })
  )
