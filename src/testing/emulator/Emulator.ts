/**
 * The Iconik emulator as a service, and the ways to run it:
 *
 * - in-process ({@link layer}, {@link layerClient}): an `HttpClient` whose requests to the emulator's base URL are
 *   answered by the emulator's handler directly (no sockets), so tests run under TestClock;
 * - over a socket ({@link layerServer}, {@link layerServerClient}, {@link runServer}): a `node:http` server on
 *   127.0.0.1 (port 0 = any free port).
 *
 * Both serve one handler: the Iconik routes plus the embedded object store under `/_storage`, so presigned upload URLs
 * point back at the same server (in-process: at the same in-process client).
 */
import * as Http from "node:http"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpServer from "effect/http/HttpServer"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { Definition } from "../../Endpoint.ts"
import * as IconikClient from "../../IconikClient.ts"
import { allDefinitions } from "../../generated/index.ts"
import * as ObjectStore from "../objectstore/index.ts"
import { byteLimit, resetSocket } from "../objectstore/Protocol.ts"
import { EmulatorConnectionReset, makeApp, type RateLimitSettings } from "./App.ts"
import type { EmulatorSettings, Env } from "./Env.ts"
import { FaultPlan, type FaultRule } from "./Faults.ts"
import { genericRoutes } from "./Generic.ts"
import type { Route } from "./Route.ts"
import { assetRoutes } from "./routes/Assets.ts"
import { collectionRoutes } from "./routes/Collections.ts"
import { addStorage, fileRoutes, openRecords, type SeedStorage } from "./routes/Files.ts"
import { jobRoutes, refreshJobs } from "./routes/Jobs.ts"
import { metadataRoutes } from "./routes/Metadata.ts"
import { searchRoutes } from "./routes/Search.ts"
import { userRoutes } from "./routes/Users.ts"
import {
  EmulatorState,
  type EmulatorUser,
  type RecordedRequest,
  type StorageDoc,
  type UploadDoc,
  type UploadKind
} from "./State.ts"
import { embedded, ensureExternalBucket, externalS3, type ExternalS3Options, providerOf } from "./Storage.ts"

/** Every route the emulator implements. */
export const routes: ReadonlyArray<Route> = [
  ...assetRoutes,
  ...collectionRoutes,
  ...fileRoutes,
  ...jobRoutes,
  ...metadataRoutes,
  ...searchRoutes,
  ...userRoutes
]

export interface UserOptions {
  readonly email: string
  /** The token the user calls with (with the App-ID `appId`, default the emulator's). */
  readonly token: string
  readonly appId?: string | undefined
  readonly admin?: boolean | undefined
  /** Iconik role names, e.g. `["can_read_assets"]`; admins hold every role. */
  readonly roles?: ReadonlyArray<string> | undefined
  readonly firstName?: string | undefined
  readonly lastName?: string | undefined
}

export interface RateLimitOptions extends Partial<RateLimitSettings> {}

export interface IconikEmulatorOptions {
  /** Feeds ids (UUIDv1 node and clock sequence) and probabilistic faults. Default `"0"`. */
  readonly seed?: string | number | undefined
  /** The admin user's App-ID. Default: a UUID derived from the seed. */
  readonly appId?: string | undefined
  /** The admin user's token. Default `"emulator-admin-token"`. */
  readonly authToken?: string | undefined
  /** More users, e.g. one without `can_delete_assets` to see 403s. */
  readonly users?: ReadonlyArray<UserOptions> | undefined
  /** Iconik's per-App-ID limit (default 50/s, burst 50, 1000 per 20 s, with Retry-After and RateLimit-Remaining). */
  readonly rateLimit?: RateLimitOptions | false | undefined
  /** Faults on Iconik routes from the start (more with `addFault`). */
  readonly faults?: ReadonlyArray<FaultRule> | undefined
  /** The embedded object store's options (part sizes, storage faults, null sink, …). */
  readonly objectStore?: Omit<ObjectStore.ObjectStoreOptions, "basePath" | "baseUrl"> | undefined
  /** Storages to create instead of the default set (S3, GCS, AZURE and B2 FILES; S3 PROXIES and KEYFRAMES). */
  readonly storages?: ReadonlyArray<SeedStorage> | undefined
  /** Writes reach index-backed lists and search this much later (a model of Iconik's index lag). Default 0. */
  readonly indexDelay?: Duration.Input | undefined
  /** Timing of emulator-driven jobs. Defaults: READY 1 s, STARTED 2 s, ABORT_PENDING 500 ms. */
  readonly jobs?: {
    readonly startAfter?: Duration.Input | undefined
    readonly duration?: Duration.Input | undefined
    readonly abortAfter?: Duration.Input | undefined
  } | undefined
  /** Answer 500 when a route's answer does not decode with the operation's response schema. Default true. */
  readonly validateResponses?: boolean | undefined
  /** Keep each answer's body in `requests` (for conformance checks). Default false. */
  readonly recordResponses?: boolean | undefined
  /**
   * Largest Iconik API request body, in bytes; a larger one is answered 413 `{"errors": [...]}` while it is being read
   * (storage uploads have the object store's own limit). Default 16 MiB.
   */
  readonly maxBodyBytes?: number | undefined
  /**
   * Operations without a specific route answer 501 instead of being served by the generic, spec-driven store (see
   * docs/emulator.md): for tests that must not depend on generic answers. Default false.
   */
  readonly strict?: boolean | undefined
  /** The definitions to route with. Default: every generated operation. */
  readonly definitions?: ReadonlyArray<Definition> | undefined
  /**
   * An S3 (e.g. RadosGW at `RGW_ENDPOINT`, keys test/testsecret) that S3 storages use instead of the embedded store:
   * their URLs are real SigV4 presigned URLs, and their buckets are created there.
   */
  readonly externalS3?: ExternalS3Options | undefined
}

export interface ServerEmulatorOptions extends IconikEmulatorOptions {
  /** Default 0: any free port. */
  readonly port?: number | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
}

/** A CLOSED record whose stored object is missing or has another size than the record says. */
export interface UploadMismatch {
  readonly kind: UploadKind
  readonly record: UploadDoc
  readonly expectedSize: number | undefined
  /** Undefined when no object exists. */
  readonly storedSize: number | undefined
}

export interface IconikEmulatorShape {
  /** Where the emulator answers: `http://emulator.iconik.invalid` in-process, `http://127.0.0.1:<port>` as a server. */
  readonly baseUrl: string
  /** The admin user's App-ID and token. */
  readonly credentials: { readonly appId: string; readonly authToken: string }
  /** The records, for assertions (`state.assets`, `state.jobs`, `state.files`, …). */
  readonly state: EmulatorState
  /** The embedded object store (objects, pending uploads, requests, storage faults). */
  readonly objectStore: ObjectStore.ObjectStoreShape
  /**
   * An HttpClient that reaches this emulator and its object store: in-process for {@link layer}, over the socket for
   * {@link layerServer}. Build a storage client on it to upload to the emulator's presigned URLs.
   */
  readonly httpClient: HttpClient.HttpClient
  /** The handler, to mount in another server. */
  readonly handler: Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    EmulatorConnectionReset,
    HttpServerRequest.HttpServerRequest
  >
  /** Iconik requests seen so far (storage requests are in `objectStore.requests`). */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Files, proxies and keyframes whose status is not CLOSED. */
  readonly openRecords: Effect.Effect<ReadonlyArray<{ readonly kind: UploadKind; readonly record: UploadDoc }>>
  /** CLOSED records whose stored object is missing or differs in size from the record's `size`. */
  readonly verifyClosedUploads: Effect.Effect<ReadonlyArray<UploadMismatch>>
  /** The first storage with this purpose (and method), e.g. `storage("FILES", "GCS")`. */
  readonly storage: (purpose: string, method?: string) => StorageDoc | undefined
  readonly addUser: (user: UserOptions) => Effect.Effect<EmulatorUser>
  readonly addFault: (rule: FaultRule) => Effect.Effect<void>
  readonly clearFaults: Effect.Effect<void>
  /** Moves emulator-driven jobs along to the Clock's current time (requests do this too). */
  readonly refreshJobs: Effect.Effect<void>
}

export const inProcessBaseUrl = "http://emulator.iconik.invalid"

export const defaultStorages: ReadonlyArray<SeedStorage> = [
  { name: "Emulated S3 files", method: "S3", purpose: "FILES", bucket: "iconik-files-s3", default: true },
  { name: "Emulated GCS files", method: "GCS", purpose: "FILES", bucket: "iconik-files-gcs" },
  { name: "Emulated Azure files", method: "AZURE", purpose: "FILES", bucket: "iconik-files-azure" },
  { name: "Emulated B2 files", method: "B2", purpose: "FILES", bucket: "iconik-files-b2" },
  { name: "Emulated S3 proxies", method: "S3", purpose: "PROXIES", bucket: "iconik-proxies", default: true },
  { name: "Emulated S3 keyframes", method: "S3", purpose: "KEYFRAMES", bucket: "iconik-keyframes", default: true }
]

const millis = (input: Duration.Input | undefined, fallback: number) =>
  input === undefined ? fallback : Duration.toMillis(Duration.fromInputUnsafe(input))

const connectionReset = (request: Parameters<Parameters<typeof HttpClient.make>[0]>[0]) =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError({
      request,
      cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      description: "connection reset by the emulator"
    })
  })

/**
 * An HttpClient that hands requests for `baseUrl`'s origin to the handler in-process and sends any other request
 * through `fallback` (e.g. presigned URLs of an external S3).
 */
const inProcessClient = (
  handler: IconikEmulatorShape["handler"],
  baseUrl: string,
  fallback: HttpClient.HttpClient
): HttpClient.HttpClient => {
  const origin = new URL(baseUrl).origin
  return HttpClient.make((request, url) =>
    url.origin !== origin
      ? fallback.execute(request)
      : handler.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromClientRequest(request)),
        Effect.map((response) => HttpServerResponse.toClientResponse(response, { request })),
        Effect.catchTag("EmulatorConnectionReset", () => Effect.fail(connectionReset(request)))
      )
  )
}

const makeUser = (state: EmulatorState, now: number, defaultAppId: string, options: UserOptions): EmulatorUser => {
  const user: EmulatorUser = {
    id: state.ids.uuid(now),
    email: options.email,
    first_name: options.firstName ?? options.email.split("@")[0] ?? "user",
    last_name: options.lastName ?? "Emulated",
    appId: options.appId ?? defaultAppId,
    token: options.token,
    admin: options.admin ?? false,
    roles: options.roles ?? []
  }
  state.users.set(user.token, user)
  return user
}

/** Builds an emulator answering at `baseUrl` (in-process by default). `fallback` carries non-emulator requests. */
export const make = Effect.fnUntraced(function*(
  options: IconikEmulatorOptions,
  fallback: HttpClient.HttpClient,
  baseUrl: string = inProcessBaseUrl
) {
  const seed = String(options.seed ?? 0)
  const now = yield* Clock.currentTimeMillis
  const state = new EmulatorState(seed)
  const store = yield* ObjectStore.make({ ...options.objectStore, basePath: "/_storage", baseUrl })
  const settings: EmulatorSettings = {
    indexDelayMillis: millis(options.indexDelay, 0),
    jobStartMillis: millis(options.jobs?.startAfter, 1000),
    jobDurationMillis: millis(options.jobs?.duration, 2000),
    jobAbortMillis: millis(options.jobs?.abortAfter, 500),
    maxResultWindow: 10_000
  }
  const embeddedBackend = embedded(store)
  const external = options.externalS3
  const externalBackend = external === undefined ? undefined : externalS3(external, fallback)
  const env: Env = {
    state,
    settings,
    backendFor: (storage) =>
      externalBackend !== undefined && storage.method === "S3" ? externalBackend : embeddedBackend,
    ensureBucket: (storage) => {
      const provider = providerOf(storage.method)
      const bucket = storage.settings.bucket
      if (provider === undefined || typeof bucket !== "string") return Effect.void
      return external !== undefined && provider === "s3"
        ? ensureExternalBucket(external, fallback, bucket)
        : store.createBucket(bucket, provider)
    }
  }
  for (const seedStorage of options.storages ?? defaultStorages) {
    yield* env.ensureBucket(addStorage(state, now, seedStorage))
  }

  const appId = options.appId ?? state.ids.uuid(now)
  const authToken = options.authToken ?? "emulator-admin-token"
  makeUser(state, now, appId, { email: "admin@emulator.iconik.invalid", token: authToken, admin: true, firstName: "Admin" })
  for (const user of options.users ?? []) makeUser(state, now, appId, user)

  const faults = new FaultPlan(seed, options.faults)
  const rateLimit: RateLimitSettings | undefined = options.rateLimit === false ? undefined : {
    requestsPerSecond: options.rateLimit?.requestsPerSecond ?? 50,
    burst: options.rateLimit?.burst ?? 50,
    windowRequests: options.rateLimit?.windowRequests ?? 1000,
    windowSeconds: options.rateLimit?.windowSeconds ?? 20,
    retryAfter: options.rateLimit?.retryAfter ?? true,
    remainingHeader: options.rateLimit?.remainingHeader ?? true
  }
  const definitions = options.definitions ?? allDefinitions
  const app = makeApp({
    env,
    routes: options.strict === true ? routes : [...routes, ...genericRoutes(definitions, routes)],
    definitions,
    store,
    faults,
    rateLimit,
    validateResponses: options.validateResponses ?? true,
    recordResponses: options.recordResponses ?? false,
    maxBodyBytes: byteLimit("maxBodyBytes", options.maxBodyBytes, 16 * 1024 * 1024)
  })

  const verifyClosedUploads = Effect.gen(function*() {
    const out: Array<UploadMismatch> = []
    for (const kind of ["file", "proxy", "keyframe"] as const) {
      for (const record of state.uploads(kind).values()) {
        if (record.status !== "CLOSED") continue
        const location = state.locations.get(record.id)
        const storage = location === undefined ? undefined : state.storages.get(location.storageId)
        if (location === undefined || storage === undefined) continue
        const stored = Option.getOrUndefined(yield* env.backendFor(storage).objectSize(location))
        const expected = typeof record.size === "number" ? record.size : undefined
        if (stored === undefined || (expected !== undefined && stored !== expected)) {
          out.push({ kind, record, expectedSize: expected, storedSize: stored })
        }
      }
    }
    return out
  })

  const shape: IconikEmulatorShape = {
    baseUrl,
    credentials: { appId, authToken },
    state,
    objectStore: store,
    httpClient: inProcessClient(app.handler, baseUrl, fallback),
    handler: app.handler,
    requests: Effect.sync(() => [...state.requests]),
    openRecords: Effect.sync(() => openRecords(state)),
    verifyClosedUploads,
    storage: (purpose, method) =>
      [...state.storages.values()].find((storage) =>
        storage.purpose === purpose.toUpperCase() && (method === undefined || storage.method === method.toUpperCase())
      ),
    addUser: (user) => Effect.map(Clock.currentTimeMillis, (at) => makeUser(state, at, appId, user)),
    addFault: (rule) => Effect.sync(() => faults.add(rule)),
    clearFaults: Effect.sync(() => faults.clear()),
    refreshJobs: Effect.flatMap(Clock.currentTimeMillis, (at) => refreshJobs(env, at))
  }
  return shape
})

/**
 * The handler as a server serves it: a lost answer sends the status, headers and half the body, then drops the
 * connection (the client sees a premature close); a reset with nothing to answer drops it at once.
 */
const serverHandler = (handler: IconikEmulatorShape["handler"]) =>
  handler.pipe(
    Effect.catchTag("EmulatorConnectionReset", (reset) => {
      if (reset.status === 0) {
        return Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
          resetSocket(request)
          // Never written: the connection is gone.
          return HttpServerResponse.empty({ status: 500 })
        })
      }
      const bytes = new TextEncoder().encode(reset.body)
      const half = bytes.subarray(0, Math.floor(bytes.length / 2))
      return Effect.succeed(
        HttpServerResponse.stream(
          Stream.concat(Stream.succeed(half), Stream.fail(new Error("connection reset by the emulator"))),
          { status: reset.status || 500, contentType: "application/json", contentLength: bytes.length }
        )
      )
    })
  )

/** How long requests still running when the server stops may take before their connections are dropped. */
const shutdownGraceMillis = 1000

/** Starts the emulator on a `node:http` server for the life of the scope. */
export const serve = (
  options: ServerEmulatorOptions = {}
): Effect.Effect<IconikEmulatorShape, HttpServerError.ServeError, Scope.Scope | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const fallback = yield* HttpClient.HttpClient
    let nodeServer: Http.Server | undefined
    const server = yield* NodeHttpServer.make(() => (nodeServer = Http.createServer()), {
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1"
    })
    const url = HttpServer.formatAddress(server.address)
    const emulator = yield* make(options, fallback, url)
    yield* server.serve(serverHandler(emulator.handler))
    // Runs first when the scope closes. The server's own finalizers wait for every open connection and every request
    // in flight: under load, or with a client stalled mid-body, that is never. Requests get a grace period (a real
    // timer: TestClock must not hold it), then every connection still open is dropped, which ends them.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        nodeServer?.closeIdleConnections()
        setTimeout(() => nodeServer?.closeAllConnections(), shutdownGraceMillis).unref()
      })
    )
    // Over a socket, "the emulator's client" is a real one: uploads go through the server like anyone else's.
    return { ...emulator, httpClient: fallback }
  })

const undici = NodeHttpClient.layerUndici

/** The emulator in-process: provides the service and an `HttpClient` routed into it (no sockets). */
export const layer = (options: IconikEmulatorOptions = {}): Layer.Layer<IconikEmulator | HttpClient.HttpClient> =>
  Layer.effectContext(
    Effect.gen(function*() {
      const emulator = yield* make(options, yield* HttpClient.HttpClient)
      return Context.make(IconikEmulator, emulator).pipe(Context.add(HttpClient.HttpClient, emulator.httpClient))
    })
  ).pipe(Layer.provide(undici))

/** An `HttpClient` that reaches the emulator in context (its object store included), e.g. for a storage client. */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient, never, IconikEmulator> = Layer.effect(
  HttpClient.HttpClient,
  // Suspended: the service class is declared at the end of the module.
  Effect.suspend(() => Effect.map(IconikEmulator, (emulator) => emulator.httpClient))
)

/** Client options for the `IconikClient` built on the emulator (credentials and base URL come from it). */
export type ClientOptions = Omit<IconikClient.IconikOptions, "appId" | "authToken" | "baseUrl">

const clientOn = (clientOptions: ClientOptions | undefined) =>
  Layer.effect(
    IconikClient.IconikClient,
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      return yield* IconikClient.make({
        ...clientOptions,
        appId: emulator.credentials.appId,
        authToken: emulator.credentials.authToken,
        baseUrl: emulator.baseUrl
      }).pipe(Effect.orDie)
    })
  )

/** An `IconikClient` for the emulator's admin, with the emulator and its in-process `HttpClient`. */
export const layerClient = (
  options: IconikEmulatorOptions = {},
  clientOptions?: ClientOptions
): Layer.Layer<IconikClient.IconikClient | IconikEmulator | HttpClient.HttpClient> =>
  clientOn(clientOptions).pipe(Layer.provideMerge(layer(options)))

/** The emulator on a real server on 127.0.0.1 (port 0 = any free port); `baseUrl` tells where. */
export const layerServer = (
  options: ServerEmulatorOptions = {}
): Layer.Layer<IconikEmulator, HttpServerError.ServeError> =>
  Layer.effect(IconikEmulator, serve(options)).pipe(Layer.provide(undici))

/** {@link layerServer} plus an `IconikClient` and a Node `HttpClient` that talk to it over the socket. */
export const layerServerClient = (
  options: ServerEmulatorOptions = {},
  clientOptions?: ClientOptions
): Layer.Layer<IconikClient.IconikClient | IconikEmulator | HttpClient.HttpClient, HttpServerError.ServeError> =>
  clientOn(clientOptions).pipe(Layer.provideMerge(Layer.merge(layerServer(options), undici)))

/**
 * Runs the emulator as a server until interrupted, printing where it listens and the admin credentials (what
 * `iconik emulator --port N` calls).
 */
export const runServer = (options: ServerEmulatorOptions = {}): Effect.Effect<never, HttpServerError.ServeError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const emulator = yield* serve(options)
      yield* Console.log(
        [
          `Iconik emulator listening on ${emulator.baseUrl}`,
          `  ICONIK_BASE_URL=${emulator.baseUrl}`,
          `  ICONIK_APP_ID=${emulator.credentials.appId}`,
          `  ICONIK_AUTH_TOKEN=${emulator.credentials.authToken}`,
          `  object store under ${emulator.baseUrl}${emulator.objectStore.basePath}/`
        ].join("\n")
      )
      return yield* Effect.never
    })
  ).pipe(Effect.provide(undici))

/**
 * The emulator service (`yield* IconikEmulator` in a test), with its layers as statics:
 * `IconikEmulator.layer(options)`, `IconikEmulator.layerClient(options)`, `IconikEmulator.layerServer(options)`, …
 */
export class IconikEmulator extends Context.Service<IconikEmulator, IconikEmulatorShape>()(
  "effect-iconik/testing/IconikEmulator"
) {
  static readonly layer = layer
  static readonly layerClient = layerClient
  static readonly layerHttpClient = layerHttpClient
  static readonly layerServer = layerServer
  static readonly layerServerClient = layerServerClient
  static readonly runServer = runServer
  static readonly make = make
  static readonly serve = serve
}
