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
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { CallOptions, Definition } from "./Definition.ts"
import {
  fromStatus,
  IconikDeadlineExceeded,
  IconikDecodeError,
  type IconikError,
  type IconikErrorBody,
  IconikInvalidRequest,
  IconikResponseTooLarge,
  IconikTransportError
} from "./IconikError.ts"
import { redacted, scrubSecrets, withRedactedNames } from "./Redaction.ts"
import * as ResponseBody from "./ResponseBody.ts"
import * as Retry from "./Retry.ts"
import * as TokenBucket from "./TokenBucket.ts"

/** How failed calls are retried (one policy for the whole SDK, see `Retry.ts`). Defaults: 4 retries, 250 ms → 30 s. */
export type RetryPolicy = Retry.RetryPolicy

export const defaultRetryPolicy: RetryPolicy = { times: 4, baseDelay: 250, maxDelay: Duration.seconds(30) }

/** How long a call may take, retries included, unless the options say otherwise. */
export const defaultDeadline: Duration.Duration = Duration.minutes(5)

export interface RateLimit {
  /**
   * Sustained rate. Default 50: Iconik does not publish its budget (a third-party page says 50 per second and 1000
   * per 20 s per App-ID), so this is a guess; lower it if 429s are counted ({@link rateLimitedTotal}).
   */
  readonly requestsPerSecond: number
  /** Requests that may go out at once after a quiet spell. Default 50. */
  readonly burst: number
  /**
   * A limiter to use instead of a bucket of this client's own (`requestsPerSecond` and `burst` are then its
   * business): e.g. one shared by every process of an App-ID (`ClusterLimits` of `effect-iconik/durable`).
   */
  readonly limiter?: TokenBucket.Limiter | undefined
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
  /** Overrides {@link defaultRetryPolicy}; `false` disables retries. A call's `CallOptions.retry` goes over this. */
  readonly retry?: Retry.RetryOption | undefined
  /**
   * Bound on a whole call, its attempts, timeouts and waits between them included: past it the call fails with
   * `IconikDeadlineExceeded`. Default 5 minutes; `false`: no bound (each attempt still has `timeout`).
   */
  readonly deadline?: Duration.Input | false | undefined
  /**
   * Largest answer read, in bytes (default 64 MiB): a longer one (or one that declares it) fails with
   * `IconikResponseTooLarge` as soon as the limit is passed, without reading the rest. Error answers are read up to
   * 64 KiB whatever this says.
   */
  readonly maxResponseBytes?: number | undefined
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

/**
 * Iconik's `errors`, bounded: at most about 1 KiB of an error body reaches an error (and its message). Small ones (all
 * of Iconik's own) are kept as sent; a larger one keeps its first messages, cut, as strings.
 */
const boundErrors = (errors: IconikErrorBody): IconikErrorBody => {
  if (JSON.stringify(errors).length <= ResponseBody.maxExcerptChars) return errors
  let budget = ResponseBody.maxExcerptChars
  const take = (text: string) => {
    const kept = ResponseBody.excerpt(text, Math.max(0, budget))
    budget -= kept.length
    return kept
  }
  if (Array.isArray(errors)) {
    const kept: Array<string> = []
    for (const error of errors) {
      if (budget <= 0) break
      kept.push(take(String(error)))
    }
    return kept
  }
  const kept: Record<string, unknown> = {}
  for (const [field, message] of Object.entries(errors)) {
    if (budget <= 0) break
    kept[take(field)] = take(typeof message === "string" ? message : JSON.stringify(message))
  }
  return kept
}

const readErrors = (text: string): IconikErrorBody | undefined => {
  try {
    const parsed = JSON.parse(text)
    const errors = parsed?.errors
    if (Array.isArray(errors)) return boundErrors(errors.map(String))
    if (errors !== null && typeof errors === "object") return boundErrors(errors)
  } catch {
    // Not JSON (an HTML error page from a proxy, a truncated body): the status alone tells the story.
  }
  return undefined
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export const parseRetryAfter = Retry.parseRetryAfter

/**
 * Decode errors of 2xx answers that are not a JSON document at all (cut short by a proxy or a dropped connection, or
 * empty): unlike a document of the wrong shape, asking again may well get a whole one.
 */
const cutShortErrors = new WeakSet<IconikDecodeError>()
const cutShort = (error: IconikDecodeError): IconikDecodeError => {
  cutShortErrors.add(error)
  return error
}

const isJson = (contentType: string | undefined) => contentType === undefined || contentType.includes("json")

const decodeResponse = (
  definition: Definition,
  path: string,
  response: HttpClientResponse.HttpClientResponse,
  maxResponseBytes: number
): Effect.Effect<unknown, IconikError> => {
  const status = response.status
  if (status >= 200 && status < 300) {
    const success = definition.success.find((s) => s.status === status) ??
      definition.success.find((s) => s.schema !== undefined)
    if (success?.schema === undefined || status === 204) {
      // Nothing to decode: read (a little of) it only to free the connection.
      return Effect.as(Effect.ignore(ResponseBody.readText(response, ResponseBody.maxErrorBodyBytes, "truncate")), undefined)
    }
    const schema = success.schema
    // Answers hand out presigned URLs: a body excerpt or a schema message quoting one must not carry its signature.
    const decodeError = (schemaPath: string, detail: string) =>
      new IconikDecodeError({
        method: definition.method,
        path,
        status,
        schemaPath,
        detail: ResponseBody.excerpt(scrubSecrets(detail, [response.request.headers["auth-token"]]))
      })
    return ResponseBody.readText(response, maxResponseBytes, "fail").pipe(
      Effect.mapError((e) =>
        e._tag === "BodyTooLarge"
          ? new IconikResponseTooLarge({
            method: definition.method,
            path,
            status,
            limitBytes: e.limitBytes,
            ...(e.declaredBytes === undefined ? {} : { declaredBytes: e.declaredBytes })
          })
          : transportError(definition.method, path, e)
      ),
      Effect.flatMap((text) => {
        if (text === "" && success.optionalBody === true) return Effect.succeed(undefined)
        if (!isJson(success.contentType)) return decoderFor(schema)(text).pipe(
          Effect.mapError((e) => decodeError(issuePath(e.issue), e.message))
        )
        if (text === "") return Effect.fail(cutShort(decodeError("", "empty body where a JSON document was expected")))
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (e) {
          return Effect.fail(
            cutShort(decodeError("", `body is not JSON (${(e as Error).message}): ${text.slice(0, 120)}`))
          )
        }
        return decoderFor(schema)(json).pipe(Effect.mapError((e) => decodeError(issuePath(e.issue), e.message)))
      })
    )
  }
  // An error answer is read up to 64 KiB: an error document fits, a proxy's whole HTML site is not needed.
  return ResponseBody.readText(response, ResponseBody.maxErrorBodyBytes, "truncate").pipe(
    Effect.orElseSucceed(() => ""),
    Effect.map((text) =>
      fromStatus({
        status,
        method: definition.method,
        path,
        errors: readErrors(text),
        retryAfterMillis: parseRetryAfter(response.headers["retry-after"], Date.now())
      }, definition.errors, [response.request.headers["auth-token"]])
    ),
    Effect.flatMap(Effect.fail)
  )
}

const transportError = (method: string, path: string, error: HttpClientError.HttpClientError): IconikTransportError => {
  const cause = (error.reason as { cause?: unknown }).cause
  // Only the reason's tag and the low-level code/message: never headers, never the full URL.
  const message = Predicate.hasProperty(cause, "message") && Predicate.isString(cause.message) ? cause.message : undefined
  const detail = [error.reason._tag, Retry.transportCode(cause), message].filter(Boolean).join(": ")
  return new IconikTransportError({ method, path, reason: Retry.transportReason(cause), detail })
}

// ---------------------------------------------------------------------------------------------------------------
// Retries

/**
 * Whether a failed attempt may be sent again. A request Iconik may have acted on is repeated only when repeating it is
 * safe: GET, PUT, DELETE, and PATCH (Iconik's PATCH sets the fields given, so the same body twice leaves the same
 * object), or a POST the caller marked `idempotent`; that covers 502/503/504, transport failures and 2xx answers cut
 * short. Any request is repeated after a 429 or a refused connection, the two cases where Iconik cannot have acted on
 * it. A POST's cut-short answer is the caller's to reconcile.
 */
export const isRetryable = (method: string, error: IconikError, idempotent = method !== "POST"): boolean => {
  switch (error._tag) {
    case "IconikRateLimited":
      return true
    case "IconikTransportError":
      return idempotent || error.reason === "ConnectionRefused"
    case "IconikServerError":
      return idempotent && (error.status === 502 || error.status === 503 || error.status === 504)
    case "IconikDecodeError":
      return idempotent && cutShortErrors.has(error)
    default:
      return false
  }
}

/**
 * The called path as errors and spans show it: the ids say which object was called; a path parameter that is a
 * credential (`/auth/{secret}/`, `/token/{token_id}/`) is not shown. (The query string is never part of it.)
 */
const shownPath = (definition: Definition, path: string): string => {
  const template = definition.path.split("/")
  return path.split("/").map((segment, i) => (/^\{[^}]*(secret|token|password)[^}]*\}$/i.test(template[i] ?? "") ? redacted : segment))
    .join("/")
}

const retryAfterOf = (error: IconikError) => ("retryAfterMillis" in error ? error.retryAfterMillis : undefined)

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
  const parsedBase = URL.parse(baseUrl)
  if (parsedBase === null) return yield* new IconikConfigError({ detail: `the base URL is not a URL: ${baseUrl}` })
  // OpenTelemetry's server attributes: the host and its port, not the URL.
  const server = {
    hostname: parsedBase.hostname,
    port: Number(parsedBase.port || (parsedBase.protocol === "https:" ? 443 : 80))
  }
  const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.seconds(60))
  const maxResponseBytes = options.maxResponseBytes ?? ResponseBody.defaultMaxResponseBytes
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes <= 0) {
    return yield* new IconikConfigError({ detail: `maxResponseBytes must be a positive integer, got ${maxResponseBytes}` })
  }
  const bucket = options.rateLimit === false ? undefined : options.rateLimit?.limiter ?? (yield* TokenBucket.make({
    requestsPerSecond: options.rateLimit?.requestsPerSecond ?? 50,
    burst: options.rateLimit?.burst ?? 50
  }).pipe(Effect.mapError((e) => new IconikConfigError({ detail: e.message }))))

  const authHeaders = { "App-ID": options.appId, "Auth-Token": Redacted.value(token), Accept: "application/json" }
  let client: HttpClient.HttpClient = http.pipe(
    HttpClient.mapRequest((request) =>
      HttpClientRequest.setHeaders(HttpClientRequest.prependUrl(request, baseUrl), authHeaders)
    ),
    // The token never shows in spans or logs, nor presigned credentials in traced URLs: effect's redacted names.
    HttpClient.transform(withRedactedNames)
  )
  // A 429 met by any call pauses every call sharing the bucket (for its Retry-After, at most the longest one honoured).
  const layerPolicy = Retry.resolvePolicy(defaultRetryPolicy, options.retry)
  const longestPause = Duration.toMillis(Duration.fromInputUnsafe(layerPolicy?.maxDelay ?? defaultRetryPolicy.maxDelay))
  if (bucket) {
    client = HttpClient.transform(client, (effect) =>
      Effect.andThen(bucket.take, effect).pipe(Effect.tap((response) =>
        response.status === 429
          ? TokenBucket.slowDown(
            bucket,
            parseRetryAfter(response.headers["retry-after"], Date.now()),
            longestPause
          )
          : Effect.void
      )))
  }
  if (options.transformClient) client = options.transformClient(client)

  const attempt = (
    definition: Definition,
    request: HttpClientRequest.HttpClientRequest,
    path: string,
    timeoutMs: Duration.Duration,
    maxResponseBytes: number
  ) =>
    client.execute(request).pipe(
      // One span per call: the operation's own (below) carries the HTTP attributes, so the HttpClient's is not needed.
      Effect.provideService(HttpClient.TracerDisabledWhen, constTrue),
      Effect.mapError((e) => transportError(definition.method, path, e)),
      Effect.tap((response) => Effect.annotateCurrentSpan("http.response.status_code", response.status)),
      Effect.flatMap((response) => decodeResponse(definition, path, response, maxResponseBytes)),
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

  const withRetries = (definition: Definition, path: string, run: Effect.Effect<unknown, IconikError>, callOptions?: CallOptions) => {
    const idempotent = callOptions?.idempotent ?? definition.method !== "POST"
    const deadline = callOptions?.deadline ?? options.deadline ?? defaultDeadline
    return Retry.retryWithin(run, {
      policy: Retry.resolvePolicy(defaultRetryPolicy, options.retry, callOptions?.retry),
      decision: {
        retryable: (error) => isRetryable(definition.method, error, idempotent),
        retryAfterMillis: retryAfterOf,
        // The operation's span counts the attempts sent again (OpenTelemetry's name for it).
        onRetry: (attempt) => Effect.annotateCurrentSpan("http.request.resend_count", attempt - 1)
      },
      deadline: deadline === false ? undefined : deadline,
      onDeadline: (report) =>
        new IconikDeadlineExceeded({
          method: definition.method,
          path,
          attempts: report.attempts,
          elapsedMillis: report.elapsedMillis,
          deadlineMillis: report.deadlineMillis,
          ...(report.lastError === undefined ? {} : { lastError: report.lastError.message })
        })
    })
  }

  const execute = (definition: Definition, input: unknown, callOptions?: CallOptions) =>
    encodeRequest(definition, input).pipe(
      Effect.flatMap((request) => {
        // What errors and the span quote: the request itself goes to the real path.
        const path = shownPath(definition, request.url)
        const timeoutMs = callOptions?.timeout === undefined ? timeout : Duration.fromInputUnsafe(callOptions.timeout)
        const maxBytes = callOptions?.maxResponseBytes ?? maxResponseBytes
        return Effect.andThen(
          Effect.annotateCurrentSpan("url.path", path),
          withRetries(definition, path, attempt(definition, request, path, timeoutMs, maxBytes), callOptions)
        )
      }),
      Effect.withSpan(`Iconik.${definition.service}.${definition.name}`, {
        kind: "client",
        attributes: {
          "http.request.method": definition.method,
          "url.template": definition.path,
          "server.address": server.hostname,
          "server.port": server.port
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
