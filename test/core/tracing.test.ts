/**
 * Tracing: the spans of a real `ingestFile` against the emulator over a socket reach a local OTLP/HTTP collector,
 * nested workflow → step → Iconik call / storage request, with HTTP attributes and nothing secret in them; without
 * an endpoint nothing is exported; bad variables are typed errors; and the `iconik` command exports its spans when it
 * exits, also on Ctrl-C.
 */
import { assert, describe, it } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Console, Effect, Exit, FileSystem, Layer, Path, Redacted, Tracer } from "effect"
import * as Assets from "../../src/Assets.ts"
import { runCli } from "../../src/cli/Cli.ts"
import { withTelemetry } from "../../src/cli/Telemetry.ts"
import { getAppsExternalAuthBySecret } from "../../src/generated/auth.ts"
import * as Iconik from "../../src/IconikClient.ts"
import * as Tracing from "../../src/Tracing.ts"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import * as Workflow from "../../workflows/Workflow.ts"
import { envFor, runIconik } from "../cli/support.ts"
import { startServer, type TestServer } from "../support/httpServer.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket, withProxyStorages } from "../workflows/support.ts"

interface KeyValue {
  readonly key: string
  readonly value: Record<string, unknown>
}

interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string | undefined
  readonly name: string
  readonly attributes: ReadonlyArray<KeyValue>
  readonly events: ReadonlyArray<{ readonly name: string; readonly attributes: ReadonlyArray<KeyValue> }>
  readonly status: { readonly code: number; readonly message?: string }
}

/** A local OTLP/HTTP collector: takes `POST /v1/traces` in JSON and answers 200. */
const collector = startServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" })
  response.end("{}")
})

const exportsOf = (server: TestServer) => server.requests.filter((r) => r.method === "POST" && r.url === "/v1/traces")

const resourceSpansOf = (server: TestServer) =>
  exportsOf(server).flatMap((r) => (JSON.parse(r.body) as { resourceSpans: Array<any> }).resourceSpans)

const spansOf = (server: TestServer): ReadonlyArray<Span> =>
  resourceSpansOf(server).flatMap((rs) => rs.scopeSpans.flatMap((ss: { spans: Array<Span> }) => ss.spans))

const attribute = (span: Span, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

/** Every string a collector could store: span names, attribute keys and values, events, status messages. */
const exportedStrings = (server: TestServer): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (u: unknown): void => {
    if (typeof u === "string") out.push(u)
    else if (Array.isArray(u)) u.forEach(walk)
    else if (u !== null && typeof u === "object") for (const [k, v] of Object.entries(u)) (out.push(k), walk(v))
  }
  walk(resourceSpansOf(server))
  return out
}

const secretShapes = [
  /X-Amz-(Signature|Credential|Security-Token)=[^<&\s]/i,
  /\bsig=[^<&\s]/i,
  /\bSignature=[^<&\s]/,
  /\bBearer\s+(?!<redacted>)\S/i,
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./,
  /https?:\/\/[^\s?]*\?(?!<redacted>)/
]

const assertNothingSecret = (server: TestServer, secrets: ReadonlyArray<string>) => {
  for (const text of exportedStrings(server)) {
    for (const secret of secrets) assert.notInclude(text, secret, "a secret value was exported")
    for (const shape of secretShapes) assert.notMatch(text, shape, "a credential-shaped value was exported")
  }
}

/** The tracing layer configured from these variables only (not the test process's environment). */
const tracingFrom = (env: Record<string, string>, options?: Tracing.FromEnvOptions) =>
  Tracing.layerOtlpFromEnv(options).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))

const ancestors = (span: Span, byId: ReadonlyMap<string, Span>): ReadonlyArray<Span> => {
  const out: Array<Span> = []
  let current = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
  while (current !== undefined) {
    out.push(current)
    current = current.parentSpanId === undefined ? undefined : byId.get(current.parentSpanId)
  }
  return out
}

/**
 * The one workflow span of `name`, after checking that every Iconik call and storage request is in a step of it (same
 * trace) and carries its HTTP method and status.
 */
const assertNested = (spans: ReadonlyArray<Span>, name: string): Span => {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const workflows = spans.filter((s) => s.name === `workflow ${name}`)
  assert.strictEqual(workflows.length, 1, spans.map((s) => s.name).join(", "))
  const workflow = workflows[0]!
  const calls = spans.filter((s) => s.name.startsWith("Iconik.") || s.name.startsWith("storage."))
  assert.isAbove(calls.length, 0)
  for (const call of calls) {
    assert.strictEqual(call.traceId, workflow.traceId, call.name)
    const step = ancestors(call, byId).find((s) => s.name.startsWith("step "))
    assert.isDefined(step, `${call.name} is not inside a step`)
    assert.include(ancestors(step!, byId), workflow, `${step!.name} is not inside the workflow`)
    assert.isString(attribute(call, "http.request.method"), call.name)
    assert.isNumber(attribute(call, "http.response.status_code"), call.name)
  }
  return workflow
}

describe("tracing", () => {
  it.live("ingestFile over a socket: spans nested workflow → step → Iconik call / storage request, nothing secret", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "clip.mov": 11 * MiB })
      // One part PUT answers 503 once, one Iconik read answers 503 once: both are retried, and their spans say so.
      yield* emulator.objectStore.addFault({ fault: { _tag: "Fail", status: 503 }, operation: "UploadPart", partNumber: 2, times: 1 })
      yield* emulator.addFault({ fault: { _tag: "Status", status: 503 }, method: "GET", route: "/API/files/v1/storages/{storage_id}/", times: 1 })
      const storage = emulator.storage("FILES", "S3")!
      const apiKey = "collector-api-key-0123456789"
      const result = yield* ingestFile({
        file: path.join(dir, "clip.mov"),
        storageId: storage.id,
        partSize: 5 * MiB,
        singlePutThreshold: 1 * MiB,
        transcode: false
      }).pipe(
        // Provided around the workflow alone: the emulator's own server spans are not in the trace.
        Effect.provide(tracingFrom({
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${apiKey}`,
          OTEL_SERVICE_NAME: "tracing-test",
          OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=test",
          // The exporter's timer never fires in this test: the flush when the layer closes sends everything.
          OTEL_BSP_SCHEDULE_DELAY: "600000",
          OTEL_EXPORTER_OTLP_TIMEOUT: "30000",
          ICONIK_AUTH_TOKEN: emulator.credentials.authToken
        }))
      )
      assert.strictEqual(emulator.state.files.get(result.fileId)?.status, "CLOSED")

      const posts = exportsOf(otlp)
      assert.isAbove(posts.length, 0, "nothing was exported")
      for (const post of posts) {
        assert.strictEqual(post.headers["content-type"], "application/json")
        assert.strictEqual(post.headers["x-api-key"], apiKey)
        assert.isUndefined(post.headers["auth-token"])
      }
      const resource = resourceSpansOf(otlp)[0].resource.attributes as ReadonlyArray<KeyValue>
      const resourceValue = (key: string) => resource.find((a) => a.key === key)?.value.stringValue
      assert.strictEqual(resourceValue("service.name"), "tracing-test")
      assert.strictEqual(resourceValue("deployment.environment"), "test")

      const spans = spansOf(otlp)
      assertNested(spans, "ingestFile")
      const names = new Set(spans.map((s) => s.name))
      for (const name of ["step check file", "step get storage", "step upload file", "storage.UploadPart", "storage.CompleteMultipartUpload"]) {
        assert.isTrue(names.has(name), `no span ${name} in ${[...names].join(", ")}`)
      }

      const iconikCalls = spans.filter((s) => s.name.startsWith("Iconik."))
      const storageRequests = spans.filter((s) => s.name.startsWith("storage."))
      assert.isAbove(iconikCalls.length, 5)
      assert.strictEqual(storageRequests.filter((s) => s.name === "storage.UploadPart" && attribute(s, "http.response.status_code") === 200).length, 3)
      for (const call of iconikCalls) {
        assert.match(attribute(call, "url.template") as string, /^\/API\//, call.name)
        assert.match(attribute(call, "url.path") as string, /^\/API\//, call.name)
        assert.strictEqual(attribute(call, "server.address"), "127.0.0.1")
        assert.strictEqual(attribute(call, "server.port"), Number(new URL(emulator.baseUrl).port))
      }
      // Each part's span says which bytes it carried: 5 MiB, 5 MiB, then the last 1 MiB.
      const parts = storageRequests.filter((s) => s.name === "storage.UploadPart" && attribute(s, "http.response.status_code") === 200)
        .map((s) => [attribute(s, "storage.body.offset"), attribute(s, "http.request.body.size")])
        .sort((a, b) => (a[0] as number) - (b[0] as number))
      assert.deepStrictEqual(parts, [[0, 5 * MiB], [5 * MiB, 5 * MiB], [10 * MiB, 1 * MiB]])
      for (const request of storageRequests) {
        assert.match(attribute(request, "url.full") as string, /^http:\/\/127\.0\.0\.1:\d+\/[^?]*$/, request.name)
      }

      // The retried requests: the span counts the resends and records the last status.
      const retriedPart = storageRequests.filter((s) => attribute(s, "http.request.resend_count") === 1)
      assert.strictEqual(retriedPart.length, 1)
      assert.strictEqual(retriedPart[0]!.name, "storage.UploadPart")
      assert.strictEqual(attribute(retriedPart[0]!, "http.response.status_code"), 200)
      const retriedCall = iconikCalls.filter((s) => attribute(s, "http.request.resend_count") === 1)
      assert.deepStrictEqual(retriedCall.map((s) => attribute(s, "url.template")), ["/API/files/v1/storages/{storage_id}/"])
      assert.strictEqual(attribute(retriedCall[0]!, "url.path"), `/API/files/v1/storages/${storage.id}/`)

      assertNothingSecret(otlp, [emulator.credentials.authToken, apiKey])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("proxies to GCS and Azure, a file to B2, over a socket: nested spans, no SAS signature, session URL or token", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "media.mp4": 6 * MiB + 11 })
      const file = path.join(dir, "media.mp4")
      const transfer = { partSize: 5 * MiB, singlePutThreshold: 1 * MiB, wait: { interval: 10 } }
      // The assets are made before, untraced: only the workflows' spans are exported.
      const asset = yield* Assets.create({ title: "Interview 03" })
      const proxyTo = (method: string) =>
        Effect.asVoid(uploadProxy({
          assetId: asset.id,
          file,
          storageId: emulator.storage("PROXIES", method)!.id,
          keyframes: true,
          // The same file to a second storage: a second proxy on purpose.
          newProxy: true,
          ...transfer
        }))
      const runs = [
        { provider: "GCS", workflow: "uploadProxy", run: proxyTo("GCS") },
        { provider: "Azure", workflow: "uploadProxy", run: proxyTo("AZURE") },
        { provider: "B2", workflow: "ingestFile", run: Effect.asVoid(ingestFile({ file, storageId: emulator.storage("FILES", "B2")!.id, ...transfer })) }
      ] as const
      for (const { provider, run, workflow } of runs) {
        const otlp = yield* collector
        yield* Effect.provide(
          run,
          tracingFrom({
            OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
            ICONIK_AUTH_TOKEN: emulator.credentials.authToken
          })
        )
        const spans = spansOf(otlp)
        assertNested(spans, workflow)
        const transfers = spans.filter((s) => s.name.startsWith("storage.") && attribute(s, "storage.provider") === provider)
        assert.isAbove(transfers.length, 1, provider)
        assertNothingSecret(otlp, [emulator.credentials.authToken])
      }
    }).pipe(Effect.scoped, Effect.provide(overSocket(withProxyStorages))), 120_000)

  it.live("a step's own retries are counted on its span", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      let attempts = 0
      const flaky = Effect.suspend(() => (++attempts < 3 ? Effect.fail(new Error(`attempt ${attempts}`)) : Effect.succeed(attempts)))
      const workflow = Workflow.make("flaky", () => Workflow.step("read", flaky, { retry: { times: 3, baseDelay: 1 } }))
      assert.strictEqual(yield* workflow().pipe(Effect.provide(Tracing.layerOtlp({ url: `${otlp.url}/v1/traces`, protocol: "http/json" }))), 3)
      const step = spansOf(otlp).find((s) => s.name === "step read")
      assert.strictEqual(attribute(step!, "workflow.step.retries"), 2)
      assert.strictEqual(step!.status.code, 0)
    }).pipe(Effect.scoped), 60_000)

  it.live("a credential in an Iconik path (/apps/external/auth/{secret}/) is in no span and no error", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const secret = "external-app-secret-93c1"
      let answer = 200
      const iconik = yield* startServer((_request, response) => {
        response.writeHead(answer, { "content-type": "application/json" })
        response.end(answer === 200 ? "{}" : JSON.stringify({ errors: ["no such request"] }))
      })
      const client = Iconik.layer({ appId: "app", authToken: "token-of-the-caller", baseUrl: iconik.url, retry: false })
        .pipe(Layer.provide(NodeHttpClient.layerUndici))
      const call = getAppsExternalAuthBySecret({ secret }).pipe(Effect.provide(client))
      const traced = Tracing.layerOtlp({ url: `${otlp.url}/v1/traces`, protocol: "http/json" })
      yield* Effect.provide(call, traced)
      answer = 404
      const error = yield* Effect.flip(Effect.provide(call, traced))
      assert.strictEqual(error._tag, "IconikNotFound")
      assert.notInclude(error.message, secret)
      // The server was asked for the real path.
      assert.strictEqual(iconik.requests[0]!.url, `/API/auth/v1/apps/external/auth/${secret}/`)
      const spans = spansOf(otlp)
      assert.deepStrictEqual(spans.map((s) => attribute(s, "url.path")), [
        "/API/auth/v1/apps/external/auth/<redacted>/",
        "/API/auth/v1/apps/external/auth/<redacted>/"
      ])
      assert.deepStrictEqual(spans.map((s) => s.status.code), [0, 2])
      assertNothingSecret(otlp, [secret])
    }).pipe(Effect.scoped), 60_000)

  it.live("a span quoting a presigned URL, a token and a JWT is exported scrubbed", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const token = "the-callers-own-token-42"
      const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
      const presigned = "https://bucket.s3.amazonaws.com/key?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abcdef0123456789"
      const failing = Effect.fail(new Error(`PUT ${presigned} failed; Authorization: Bearer ${jwt}`)).pipe(
        Effect.withSpan(`upload to ${presigned}`, {
          attributes: { "url.full": presigned, "auth": `Auth-Token: ${token}`, "sas": "https://a.blob.core.windows.net/c/b?sv=1&sig=c2Fz" }
        })
      )
      const exit = yield* Effect.exit(failing.pipe(Effect.provide(Tracing.layerOtlp({
        url: `${otlp.url}/v1/traces`,
        protocol: "http/json",
        secrets: [Redacted.make(token)]
      }))))
      assert.isTrue(Exit.isFailure(exit))
      const [span] = spansOf(otlp)
      assert.isDefined(span, "nothing was exported")
      assert.strictEqual(span!.name, "upload to https://bucket.s3.amazonaws.com/key?<redacted>")
      assert.strictEqual(attribute(span!, "url.full"), "https://bucket.s3.amazonaws.com/key?<redacted>")
      assert.strictEqual(attribute(span!, "auth"), "Auth-Token: <redacted>")
      assert.strictEqual(span!.status.code, 2)
      assert.include(span!.status.message, "<redacted>")
      assert.isTrue(span!.events.some((e) => e.name === "exception"))
      assertNothingSecret(otlp, [token, jwt, "abcdef0123456789", "c2Fz"])
    }).pipe(Effect.scoped), 60_000)

  it.live("no endpoint, OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none: nothing exported, nothing fails", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const traced = Effect.gen(function*() {
        const tracer = yield* Effect.tracer
        yield* Effect.void.pipe(Effect.withSpan("work"))
        return tracer
      })
      const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }
      const quiet: ReadonlyArray<Record<string, string>> = [
        {},
        { OTEL_EXPORTER_OTLP_ENDPOINT: "" },
        { ...endpoint, OTEL_SDK_DISABLED: "TRUE" },
        { ...endpoint, OTEL_TRACES_EXPORTER: "none" }
      ]
      for (const env of quiet) {
        const tracer = yield* traced.pipe(Effect.provide(tracingFrom(env)))
        assert.strictEqual(tracer, Tracer.nativeTracer, JSON.stringify(env))
      }
      assert.deepStrictEqual(otlp.requests, [])
      // The same program with the endpoint set does export: the collector above would have seen it.
      yield* traced.pipe(Effect.provide(tracingFrom(endpoint)))
      assert.deepStrictEqual(spansOf(otlp).map((s) => s.name), ["work"])
      // Without a protocol: OTLP's default, protobuf.
      yield* traced.pipe(Effect.provide(tracingFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url })))
      assert.deepStrictEqual(exportsOf(otlp).map((r) => r.headers["content-type"]), ["application/json", "application/x-protobuf"])
    }).pipe(Effect.scoped), 60_000)

  it.effect("a value the exporter cannot use is a TracingConfigError naming the variable, never quoting a header", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }, "OTEL_EXPORTER_OTLP_ENDPOINT"],
        [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://collector/v1/traces" }, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, "OTEL_EXPORTER_OTLP_PROTOCOL"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key" }, "OTEL_EXPORTER_OTLP_HEADERS"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=s3cr%ZZet" }, "OTEL_EXPORTER_OTLP_HEADERS"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_RESOURCE_ATTRIBUTES: "a=%E0%A4%A" }, "OTEL_RESOURCE_ATTRIBUTES"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_TIMEOUT: "3s" }, "OTEL_EXPORTER_OTLP_TIMEOUT"],
        [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" }, "OTEL_EXPORTER_OTLP_COMPRESSION"],
        [{ OTEL_SDK_DISABLED: "maybe" }, "OTEL_SDK_DISABLED"],
        [{ OTEL_TRACES_EXPORTER: "zipkin" }, "OTEL_TRACES_EXPORTER"]
      ]
      for (const [env, variable] of cases) {
        const exit = yield* Effect.exit(Layer.build(tracingFrom(env)).pipe(Effect.scoped))
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(env))
        const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined
        assert.instanceOf(error, Tracing.TracingConfigError, JSON.stringify(env))
        assert.strictEqual((error as Tracing.TracingConfigError).variable, variable)
        assert.include((error as Tracing.TracingConfigError).message, variable)
        assert.notInclude((error as Tracing.TracingConfigError).message, "s3cr")
      }
    }))

  it.effect("the endpoint variables: the traces one as is, the general one + /v1/traces; JSON on request", () =>
    Effect.gen(function*() {
      const config = (env: Record<string, string>) =>
        Tracing.configFromEnv().pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))
      const general = yield* config({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otel.example.com:4318/base/" })
      assert.strictEqual(general?.url, "https://otel.example.com:4318/base/v1/traces")
      assert.strictEqual(general?.protocol, "http/protobuf")
      const specific = yield* config({
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://ignored.example.com",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/custom/traces",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc,x-tenant = acme ",
        OTEL_RESOURCE_ATTRIBUTES: "service.name=from-attributes,team=media"
      })
      assert.strictEqual(specific?.url, "https://otel.example.com/custom/traces")
      assert.strictEqual(specific?.protocol, "http/json")
      assert.strictEqual(specific?.serviceName, "from-attributes")
      assert.deepStrictEqual(specific?.resourceAttributes, { team: "media" })
      const headers = specific?.headers ?? {}
      assert.deepStrictEqual(Object.keys(headers), ["Authorization", "x-tenant"])
      assert.isTrue(Object.values(headers).every(Redacted.isRedacted))
      assert.strictEqual(Redacted.value(headers["Authorization"] as Redacted.Redacted<string>), "Bearer abc")
      assert.strictEqual(Redacted.value(headers["x-tenant"] as Redacted.Redacted<string>), "acme")
      const named = yield* config({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SERVICE_NAME: "svc" })
      assert.strictEqual(named?.serviceName, "svc")
    }))
})

describe("the iconik command exports its spans", () => {
  const cliEnv = (otlp: TestServer) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    // Far beyond the run: only the flush at exit can have sent the spans.
    OTEL_BSP_SCHEDULE_DELAY: "600000",
    OTEL_EXPORTER_OTLP_TIMEOUT: "30000"
  })

  /** `iconik …argv` in this process, as main.ts runs it (telemetry around the command), with exactly `env`. */
  const inProcessCli = (env: Record<string, string>, ...argv: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const stderr: Array<string> = []
      const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
        log: () => {},
        error: (...args: ReadonlyArray<unknown>) => stderr.push(args.map(String).join(" "))
      })
      const code = yield* withTelemetry(runCli(argv)).pipe(
        Effect.provide(NodeServices.layer),
        Effect.provideService(Console.Console, capture),
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
      )
      return { code, stderr: stderr.join("\n") }
    })

  it.live("a failed command exports its spans too, the failure recorded on them", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const emulator = yield* IconikEmulator
      const ran = yield* inProcessCli({ ...envFor(emulator), ...cliEnv(otlp) }, "ingest", "/no/such/file.mov", "--quiet")
      assert.strictEqual(ran.code, 8, ran.stderr)
      const spans = spansOf(otlp)
      const workflow = spans.find((s) => s.name === "workflow ingestFile")
      const step = spans.find((s) => s.name === "step check file")
      assert.isDefined(workflow, spans.map((s) => s.name).join(", "))
      assert.strictEqual(step?.parentSpanId, workflow!.spanId)
      assert.strictEqual(workflow!.status.code, 2)
      assert.include(workflow!.status.message, "/no/such/file.mov")
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 60_000)

  it.live("a variable the exporter cannot use: the command says which and exits 2 (usage) before running", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const ran = yield* inProcessCli(
        { ...envFor(emulator), OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
        "search",
        "--quiet"
      )
      assert.strictEqual(ran.code, 2)
      assert.include(ran.stderr, "OTEL_EXPORTER_OTLP_PROTOCOL")
      assert.deepStrictEqual(yield* emulator.requests, [])
    }).pipe(Effect.provide(overSocket())), 60_000)

  it.live("iconik ingest: the workflow's spans reach the collector when the command exits", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "cli.mov": 2 * MiB })
      const ran = yield* runIconik(["ingest", path.join(dir, "cli.mov"), "--quiet", "--json"], {
        env: { ...envFor(emulator), ...cliEnv(otlp) }
      })
      assert.strictEqual(ran.code, 0, ran.stderr)
      const spans = spansOf(otlp)
      const names = new Set(spans.map((s) => s.name))
      assert.isTrue(names.has("workflow ingestFile"), [...names].join(", "))
      assert.isTrue([...names].some((n) => n.startsWith("Iconik.")))
      assert.isTrue([...names].some((n) => n.startsWith("storage.")))
      const resource = resourceSpansOf(otlp)[0].resource.attributes as ReadonlyArray<KeyValue>
      assert.strictEqual(resource.find((a) => a.key === "service.name")?.value.stringValue, "iconik")
      assertNothingSecret(otlp, [emulator.credentials.authToken])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)

  it.live("Ctrl-C mid-upload: exit 130, and the interrupted workflow's spans are exported", () =>
    Effect.gen(function*() {
      const otlp = yield* collector
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      // Above the CLI's single-PUT threshold: a multipart upload, with a checkpoint that lists its parts.
      const dir = yield* mediaFolder({ "cancel.mov": 21 * MiB })
      const media = path.join(dir, "cancel.mov")
      // Part 2 hangs long enough to be interrupted (not longer: the server waits for it when the test ends).
      yield* emulator.objectStore.addFault({ fault: { _tag: "Delay", millis: 8_000 }, operation: "UploadPart", partNumber: 2 })
      const checkpointPath = Checkpoint.pathFor(media, "ingestFile")
      const ran = yield* runIconik(["ingest", media, "--part-size", "5", "--concurrency", "1", "--quiet"], {
        env: { ...envFor(emulator), ...cliEnv(otlp) },
        onStart: (child) => {
          const poll = setInterval(() => {
            void fs.readFileString(checkpointPath).pipe(Effect.orElseSucceed(() => ""), Effect.runPromise).then((text) => {
              if (text.includes("{\"part\"")) {
                clearInterval(poll)
                child.kill("SIGINT")
              }
            })
          }, 50)
        }
      })
      assert.strictEqual(ran.code, 130, `${ran.code} ${ran.signal} ${ran.stderr}`)
      const spans = spansOf(otlp)
      const workflow = spans.find((s) => s.name === "workflow ingestFile")
      assert.isDefined(workflow, spans.map((s) => s.name).join(", "))
      assert.isTrue(attribute(workflow!, "effect.fiber.interrupted") === true)
      // The first part went in before the interrupt, and its span was kept.
      assert.isTrue(spans.some((s) => s.name === "storage.UploadPart" && attribute(s, "http.response.status_code") === 200))
      assertNothingSecret(otlp, [emulator.credentials.authToken])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 120_000)
})
