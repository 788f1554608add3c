/**
 * The emulator's one HTTP handler, served in-process and over a socket alike. For every request: the object store
 * when the path is under its prefix; otherwise faults (latency, error status, HTML page, reset, truncated body),
 * the per-App-ID rate limit, authentication (case-insensitive `App-ID` / `Auth-Token`), routing by the spec's
 * (method, path template) with slash-tolerant matching, the operation's required roles, body validation against the
 * definition's schema (400 with Iconik's field map), the route's handler, and a check of the answer against the
 * definition's response schema.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { Definition, Method } from "../../Endpoint.ts"
import { issuePath } from "../../IconikClient.ts"
import * as TokenBucket from "../../TokenBucket.ts"
import type { ObjectStoreShape } from "../objectstore/index.ts"
import { declaredLength } from "../objectstore/Protocol.ts"
import { enumIssues } from "./Enums.ts"
import type { Env } from "./Env.ts"
import { type Fault, type FaultPlan, htmlPage } from "./Faults.ts"
import { ApiFailure, failure, invalidFields, Query, type Reply, type Route } from "./Route.ts"
import { normalizePath, Router } from "./Router.ts"
import { beginWrite } from "./SearchIndex.ts"
import { refreshJobs } from "./routes/Jobs.ts"
import type { EmulatorUser } from "./State.ts"

/**
 * The connection was dropped on purpose (a `Reset` fault). After the request was handled (a lost answer), over a
 * socket the server sends the status, headers and half of `body`, then drops the connection; before it was handled
 * (status 0) nothing is sent. An in-process transport fails with a transport error instead.
 */
export class EmulatorConnectionReset extends Schema.TaggedError<EmulatorConnectionReset>()("EmulatorConnectionReset", {
  method: Schema.String,
  path: Schema.String,
  /** The answer that was cut off (0 when nothing was answered: a reset before handling, or in the object store). */
  status: Schema.Number,
  body: Schema.String
}) {
  override get message() {
    return `Connection reset by the emulator during ${this.method} ${this.path}`
  }
}

export interface RateLimitSettings {
  readonly requestsPerSecond: number
  readonly burst: number
  /** At most `windowRequests` per `windowSeconds` (Iconik's published 1000 per 20 s), on top of the bucket. */
  readonly windowRequests: number
  readonly windowSeconds: number
  /** Send `Retry-After` (seconds) on 429. */
  readonly retryAfter: boolean
  /** Send `RateLimit-Remaining` on every answer. */
  readonly remainingHeader: boolean
}

export interface AppConfig {
  readonly env: Env
  readonly routes: ReadonlyArray<Route>
  readonly definitions: ReadonlyArray<Definition>
  readonly store: ObjectStoreShape
  readonly faults: FaultPlan
  readonly rateLimit: RateLimitSettings | undefined
  /** Answer 500 when a handler's body does not decode with the operation's response schema (emulator bugs). */
  readonly validateResponses: boolean
  /** Keep every answer's body in the request log (conformance checks, debugging). */
  readonly recordResponses: boolean
  /** Largest Iconik request body read; a larger one is refused with 413 while it is read. */
  readonly maxBodyBytes: number
}

type RouteEntry = { readonly route: Route | undefined; readonly definition: Definition | undefined }

const jsonResponse = (status: number, body: unknown, headers?: Readonly<Record<string, string>>) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json", headers })

const errorResponse = (error: ApiFailure, headers?: Readonly<Record<string, string>>) =>
  jsonResponse(error.status, { errors: error.errors }, { ...headers, ...error.headers })

type LeafIssue = { readonly message: string; readonly path: ReadonlyArray<PropertyKey> }

const leafIssues = (issue: SchemaIssue.Issue): ReadonlyArray<LeafIssue> =>
  SchemaIssue.makeFormatterStandardSchemaV1()(issue).issues.map((leaf) => ({
    message: leaf.message,
    path: (leaf.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
  }))

/** Schema issues as Iconik's field map: `{"objects.0.segment_type": "Missing key"}`. */
const fieldMap = (issues: ReadonlyArray<LeafIssue>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const { message, path } of issues) {
    const key = path.length === 0 ? "_schema" : path.map(String).join(".")
    out[key] ??= message
  }
  return out
}

/** A top-level required key left out: what a partial PATCH does (`{"status": "CLOSED"}` on a file). */
const isMissingTopLevelKey = (issue: LeafIssue) => issue.path.length === 1 && issue.message === "Missing key"

/** The body's keys the struct declares (unknown keys are dropped, as decoding would). */
const declaredKeysOf = (schema: Schema.Top, body: Record<string, unknown>): Record<string, unknown> => {
  const ast = schema.ast as { readonly propertySignatures?: ReadonlyArray<{ readonly name: PropertyKey }> }
  if (ast.propertySignatures === undefined) return body
  const names = new Set(ast.propertySignatures.map((property) => property.name))
  return Object.fromEntries(Object.entries(body).filter(([key]) => names.has(key)))
}

/** The fault as the request log names it: resets say whether they came before or after handling. */
const faultName = (fault: Exclude<Fault, { _tag: "Latency" }> | undefined): string | undefined =>
  fault?._tag === "Reset" ? (fault.when === "BeforeHandling" ? "ResetBeforeHandling" : "LostAnswer") : fault?._tag

/** 413 with Iconik's body; the connection closes, so the rest of the upload is not read. */
const tooLarge = (limit: number) =>
  new ApiFailure({
    status: 413,
    errors: [`Request body is larger than the limit of ${limit} bytes`],
    headers: { connection: "close" }
  })

/**
 * The body as text, read chunk by chunk and refused (413) as soon as it passes `limit` bytes (at once when the
 * declared length says so), so an oversized body never sits in memory whole.
 */
const readText = (request: HttpServerRequest.HttpServerRequest, limit: number): Effect.Effect<string, ApiFailure> =>
  Effect.gen(function*() {
    const declared = declaredLength(request)
    if (declared._tag === "Known" && declared.length > limit) return yield* tooLarge(limit)
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* Stream.runForEachWhile(request.stream, (chunk) =>
      Effect.sync(() => {
        size += chunk.length
        if (size > limit) return false
        chunks.push(chunk)
        return true
      })).pipe(Effect.mapError(() => failure(400, "The request body could not be read")))
    if (size > limit) return yield* tooLarge(limit)
    return new TextDecoder().decode(Buffer.concat(chunks, size))
  })

const methodsWithBody = new Set(["POST", "PUT", "PATCH", "DELETE"])

interface Limiter {
  /** Whether the request may go on, the slots left, and how long to wait when it may not. */
  readonly check: (appId: string) => Effect.Effect<{ readonly allowed: boolean; readonly remaining: number; readonly retryAfterSeconds: number }>
}

const makeLimiter = (settings: RateLimitSettings): Limiter => {
  const buckets = new Map<string, { readonly bucket: TokenBucket.TokenBucket; readonly window: Array<number> }>()
  return {
    check: (appId) =>
      Effect.gen(function*() {
        let entry = buckets.get(appId)
        if (entry === undefined) {
          entry = { bucket: yield* Effect.orDie(TokenBucket.make(settings)), window: [] }
          buckets.set(appId, entry)
        }
        const now = yield* Clock.currentTimeMillis
        const windowMillis = settings.windowSeconds * 1000
        while (entry.window.length > 0 && entry.window[0]! <= now - windowMillis) entry.window.shift()
        if (entry.window.length >= settings.windowRequests) {
          const wait = entry.window[0]! + windowMillis - now
          return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) }
        }
        const allowed = yield* entry.bucket.tryTake
        const available = yield* entry.bucket.available
        if (!allowed) {
          const wait = ((1 - available) / settings.requestsPerSecond) * 1000
          return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) }
        }
        entry.window.push(now)
        const remaining = Math.max(0, Math.min(Math.floor(available), settings.windowRequests - entry.window.length))
        return { allowed: true, remaining, retryAfterSeconds: 0 }
      })
  }
}

/**
 * Builds the handler. Routes without a definition still serve (unvalidated); definitions without a route answer 501.
 * Every answer of a route says whether it modelled the operation (`x-emulator-fidelity: specific`) or the generic
 * store answered it (`generic`).
 */
export const makeApp = (config: AppConfig) => {
  const { env, store } = config
  const state = env.state
  const router = new Router<RouteEntry>()
  const byKey = new Map<string, RouteEntry & { accepts?: Route["accepts"] }>()
  for (const definition of config.definitions) {
    byKey.set(`${definition.method} ${definition.path}`, { route: undefined, definition })
  }
  for (const route of config.routes) {
    const key = `${route.method} ${route.path}`
    byKey.set(key, { route, definition: byKey.get(key)?.definition, accepts: route.accepts })
  }
  for (const [key, entry] of byKey) {
    const space = key.indexOf(" ")
    router.add(key.slice(0, space), key.slice(space + 1), entry, entry.accepts)
  }
  const limiter = config.rateLimit === undefined ? undefined : makeLimiter(config.rateLimit)
  const storagePrefix = store.basePath

  const authenticate = (headers: Readonly<Record<string, string | undefined>>): EmulatorUser | undefined => {
    const token = headers["auth-token"]
    const appId = headers["app-id"]
    if (token === undefined || appId === undefined) return undefined
    const user = state.users.get(token)
    return user !== undefined && user.appId === appId ? user : undefined
  }

  const readBody = (request: HttpServerRequest.HttpServerRequest, definition: Definition | undefined) =>
    Effect.gen(function*() {
      if (!methodsWithBody.has(request.method.toUpperCase())) return undefined
      const bodySpec = definition?.body
      if (bodySpec !== undefined && bodySpec.contentType !== "application/json") return undefined
      const text = yield* readText(request, config.maxBodyBytes)
      let json: unknown
      if (text.trim() !== "") {
        try {
          json = JSON.parse(text)
        } catch {
          return yield* failure(400, "The request body is not valid JSON")
        }
      }
      if (bodySpec === undefined) return json
      if (json === undefined) {
        if (!bodySpec.required) return undefined
        // A required body whose fields are all optional may be left out: Iconik takes it as `{}` (e.g. the triggers).
        const empty = Schema.decodeUnknownExit(bodySpec.schema as Schema.Codec<unknown, unknown>)({})
        if (Exit.isSuccess(empty)) return empty.value
        return yield* invalidFields({ _schema: "Missing data for required field." })
      }
      // Enums are open in the generated schemas; Iconik refuses a value outside them (400 naming the field).
      const outsideEnums = enumIssues(bodySpec.schema.ast, json)
      const decoded = Schema.decodeUnknownExit(bodySpec.schema as Schema.Codec<unknown, unknown>)(json, { errors: "all" })
      if (Exit.isSuccess(decoded)) {
        return outsideEnums.length === 0 ? decoded.value : yield* invalidFields(fieldMap(outsideEnums))
      }
      const error = decoded.cause.reasons.find((reason) => reason._tag === "Fail")?.error as Schema.SchemaError | undefined
      if (error === undefined) return yield* invalidFields({ _schema: "Invalid input." })
      // PATCH updates only the fields it names: the spec's required keys may be left out.
      const issues = leafIssues(error.issue).filter((issue) =>
        request.method.toUpperCase() !== "PATCH" || !isMissingTopLevelKey(issue)
      )
      if (issues.length === 0 && outsideEnums.length === 0 && json !== null && typeof json === "object" && !Array.isArray(json)) {
        return declaredKeysOf(bodySpec.schema, json as Record<string, unknown>)
      }
      return yield* invalidFields(fieldMap([...issues, ...outsideEnums]))
    })

  const checkResponse = (definition: Definition | undefined, reply: Reply): ApiFailure | undefined => {
    if (!config.validateResponses || definition === undefined || reply.body === undefined) return undefined
    const schema = definition.success.find((s) => s.status === reply.status)?.schema
    if (schema === undefined) return undefined
    const decoded = Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)(reply.body)
    if (Exit.isSuccess(decoded)) return undefined
    const error = decoded.cause.reasons.find((reason) => reason._tag === "Fail")?.error as Schema.SchemaError | undefined
    return failure(
      500,
      `Emulator bug: the answer to ${definition.method} ${definition.path} does not match its schema at ` +
        `${error === undefined ? "?" : issuePath(error.issue) || "<root>"}: ${error?.message ?? "unknown"}`
    )
  }

  const toResponse = (reply: Reply, headers: Record<string, string>) => {
    const all = { ...headers, ...reply.headers }
    if (reply.status === 204 || (reply.body === undefined && reply.text === undefined)) {
      return HttpServerResponse.empty({ status: reply.status, headers: all })
    }
    if (reply.text !== undefined) {
      return HttpServerResponse.text(reply.text, { status: reply.status, contentType: reply.contentType ?? "text/plain", headers: all })
    }
    return jsonResponse(reply.status, reply.body, all)
  }

  const bodyTextOf = (response: HttpServerResponse.HttpServerResponse): string => {
    const body = response.body
    if (body._tag === "Uint8Array") return new TextDecoder().decode(body.body)
    return ""
  }

  const iconik = (request: HttpServerRequest.HttpServerRequest, path: string, query: URLSearchParams) =>
    Effect.gen(function*() {
      const method = request.method.toUpperCase()
      const match = router.match(method, path)
      const template = match._tag === "Found" ? match.template : undefined
      const decision = config.faults.decide({ method, path: normalizePath(path), template })
      if (decision.latencyMillis > 0) yield* Effect.sleep(decision.latencyMillis)
      const fault: Exclude<Fault, { _tag: "Latency" }> | undefined = decision.fault
      let headers: Record<string, string> = {}
      // Whether the route ran: faults that refuse or drop a request before it never let it change anything.
      let handled = false

      const answer: Effect.Effect<HttpServerResponse.HttpServerResponse> = Effect.gen(function*() {
        if (fault?._tag === "Reset" && fault.when === "BeforeHandling") return HttpServerResponse.empty({ status: 0 })
        if (fault?._tag === "Status") {
          return jsonResponse(fault.status, { errors: fault.errors ?? ["Internal Server Error"] }, fault.headers)
        }
        if (fault?._tag === "Html") {
          return HttpServerResponse.text(htmlPage(fault.status), { status: fault.status, contentType: "text/html" })
        }
        if (limiter !== undefined) {
          const verdict = yield* limiter.check(request.headers["app-id"] ?? "")
          if (config.rateLimit!.remainingHeader) headers = { "ratelimit-remaining": String(verdict.remaining) }
          if (!verdict.allowed) {
            const retry: Record<string, string> = config.rateLimit!.retryAfter
              ? { "retry-after": String(verdict.retryAfterSeconds) }
              : {}
            return jsonResponse(429, { errors: ["Rate limit exceeded"] }, { ...headers, ...retry })
          }
        }
        const user = authenticate(request.headers)
        if (user === undefined) return errorResponse(failure(401, "Token is invalid"), headers)
        if (match._tag === "NotFound") {
          return errorResponse(failure(404, `No Iconik endpoint matches ${method} ${path}`), headers)
        }
        if (match._tag === "MethodNotAllowed") {
          return errorResponse(failure(405, `Method ${method} not allowed; use ${match.allowed.join(", ")}`), {
            ...headers,
            allow: match.allowed.join(", ")
          })
        }
        const { route, definition } = match.value
        if (route !== undefined) headers = { ...headers, "x-emulator-fidelity": route.fidelity ?? "specific" }
        if (route === undefined) {
          return errorResponse(
            failure(501, `Not implemented by the emulator: ${method} ${match.template}`),
            headers
          )
        }
        const missing = user.admin ? [] : (definition?.roles ?? []).filter((role) => !user.roles.includes(role))
        if (missing.length > 0) {
          return errorResponse(failure(403, `User does not have permission (requires ${missing.join(", ")})`), headers)
        }
        const now = yield* Clock.currentTimeMillis
        const routeQuery = new Query(query)
        const reply = yield* readBody(request, definition).pipe(
          Effect.flatMap((body) => {
            const delay = env.settings.indexDelayMillis
            // Writes reach index-backed lists and search only after the index delay: note what they touch first.
            const finish = method === "GET" || delay === 0 ? undefined : beginWrite(state, match.params, body)
            handled = true
            const run = route.handler({
              method: method as Method,
              template: match.template,
              params: match.params,
              query: routeQuery,
              body,
              user,
              now,
              path: normalizePath(path),
              state,
              env
            })
            if (finish === undefined) return run
            const visibleAt = now + (routeQuery.flag("index_immediately") ? 0 : delay)
            return Effect.tap(run, (reply) => Effect.sync(() => finish(reply.body, visibleAt, now)))
          }),
          Effect.flatMap((reply) => {
            const broken = checkResponse(definition, reply)
            return broken === undefined ? Effect.succeed(reply) : Effect.fail(broken)
          }),
          Effect.result
        )
        return reply._tag === "Success" ? toResponse(reply.success, headers) : errorResponse(reply.failure, headers)
      })

      const response = yield* answer
      const at = yield* Clock.currentTimeMillis
      state.recordRequest({
        method,
        path,
        query: query.toString(),
        template,
        appId: request.headers["app-id"],
        status: fault?._tag === "Reset" ? 0 : response.status,
        fault: faultName(fault) ?? (decision.latencyMillis > 0 ? "Latency" : undefined),
        handled,
        at,
        responseBody: config.recordResponses ? bodyTextOf(response) : undefined
      })
      if (fault?._tag === "Reset") {
        return yield* fault.when === "BeforeHandling"
          ? new EmulatorConnectionReset({ method, path, status: 0, body: "" })
          : new EmulatorConnectionReset({ method, path, status: response.status, body: bodyTextOf(response) })
      }
      if (fault?._tag === "TruncatedBody" && response.status < 300) {
        const text = bodyTextOf(response)
        return HttpServerResponse.text(text.slice(0, Math.floor(text.length / 2)), {
          status: response.status,
          contentType: "application/json",
          headers
        })
      }
      return response
    })

  const handler: Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    EmulatorConnectionReset,
    HttpServerRequest.HttpServerRequest
  > = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    // Split by hand: `new URL` would read a path starting with `//` as a host.
    const question = request.url.indexOf("?")
    const pathname = question < 0 ? request.url : request.url.slice(0, question)
    const search = new URLSearchParams(question < 0 ? "" : request.url.slice(question + 1))
    const collapsed = pathname.replace(/\/{2,}/g, "/")
    if (storagePrefix !== "" && (collapsed === storagePrefix || collapsed.startsWith(`${storagePrefix}/`))) {
      return yield* store.handler.pipe(
        Effect.catchTag("StorageConnectionReset", () =>
          Effect.fail(new EmulatorConnectionReset({ method: request.method, path: collapsed, status: 0, body: "" })))
      )
    }
    yield* refreshJobs(env, yield* Clock.currentTimeMillis)
    return yield* iconik(request, collapsed, search)
  })

  return { handler, router }
}
