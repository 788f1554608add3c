/**
 * Traces a user can see: the SDK's spans (`workflow …` → `step …` → `Iconik.<service>.<operation>` and
 * `storage.<operation>`) exported over OTLP/HTTP by effect's own exporter (`effect/observability`), configured by the
 * standard OpenTelemetry variables. With no endpoint set the layer does nothing.
 *
 * Every span is scrubbed by `Redaction.ts` on its way out, whatever code made it: names, attributes, events (the
 * `exception` events effect writes for failures quote error messages) and status messages. The exporter runs on a
 * transport of its own, so the Iconik client's auth headers never reach the collector, and the collector's headers
 * (`OTEL_EXPORTER_OTLP_HEADERS`, often an API key) stay `Redacted` until they are sent.
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Headers from "effect/http/Headers"
import * as OtlpExporter from "effect/observability/OtlpExporter"
import * as OtlpSerialization from "effect/observability/OtlpSerialization"
import * as OtlpTracer from "effect/observability/OtlpTracer"
import { redactUrl, scrubSecrets, scrubValue, type Secret } from "./Redaction.ts"

/** An OpenTelemetry variable with a value the exporter cannot use. The message names the variable, never a header value. */
export class TracingConfigError extends Schema.TaggedError<TracingConfigError>()("TracingConfigError", {
  variable: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `Invalid OpenTelemetry configuration: ${this.variable}: ${this.detail}`
  }
}

/** The OTLP/HTTP encodings effect's exporter speaks (OTLP over gRPC it does not). */
export type Protocol = "http/protobuf" | "http/json"

export interface OtlpOptions {
  /** Where spans are POSTed: the full traces URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly url: string
  /** Default `http/protobuf`, the OpenTelemetry default. */
  readonly protocol?: Protocol | undefined
  /** Sent with every export (an API key, say): kept `Redacted` until sent, and never in an error or log line. */
  readonly headers?: Readonly<Record<string, Redacted.Redacted<string> | string>> | undefined
  /** `service.name` of the resource. Default `effect-iconik`. */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** More resource attributes (`deployment.environment`, …). */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** Default `none`. */
  readonly compression?: "gzip" | "none" | undefined
  /** How often buffered spans are sent. Default 5 s. */
  readonly exportInterval?: Duration.Input | undefined
  /** Spans per export at most (a full batch goes at once). Default 512. */
  readonly maxBatchSize?: number | undefined
  /** How long the last export may take when the layer closes (the process exits). Default 3 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Values removed from every exported string (e.g. the Iconik token), on top of the shapes `Redaction.ts` knows. */
  readonly secrets?: Iterable<Secret> | undefined
}

export const defaultServiceName = "effect-iconik"

// ---------------------------------------------------------------------------------------------------------------
// Scrubbing

type Span = OtlpTracer.ScopeSpan["spans"][number]

/**
 * `data` with every span name, attribute (keys and values), event, link attribute and status message, and the resource
 * attributes, passed through `Redaction.ts`. Ids and timestamps are left alone.
 */
export const scrubTraces = (data: OtlpTracer.TraceData, secrets: Iterable<Secret> = []): OtlpTracer.TraceData => {
  const known = [...secrets]
  const text = (s: string) => scrubSecrets(s, known)
  const attributes = <A>(list: A): A => scrubValue(list, known) as A
  const span = (s: Span): Span => ({
    ...s,
    name: text(s.name),
    attributes: attributes(s.attributes),
    events: s.events.map((e) => ({ ...e, name: text(e.name), attributes: attributes(e.attributes) })),
    links: s.links.map((l) => ({ ...l, attributes: attributes(l.attributes) })),
    status: s.status.message === undefined ? s.status : { ...s.status, message: text(s.status.message) }
  })
  return {
    resourceSpans: data.resourceSpans.map((rs) => ({
      ...rs,
      resource: { ...rs.resource, attributes: attributes(rs.resource.attributes) },
      scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.map(span) }))
    }))
  }
}

/** A serialization that scrubs spans before encoding them (metrics and logs are not exported here). */
const scrubbing = (protocol: Protocol, secrets: ReadonlyArray<Secret>) =>
  Layer.effect(
    OtlpSerialization.OtlpSerialization,
    Effect.map(Effect.service(OtlpSerialization.OtlpSerialization), (inner) =>
      OtlpSerialization.OtlpSerialization.of({
        ...inner,
        traces: (data) => inner.traces(scrubTraces(data, secrets))
      }))
  ).pipe(Layer.provide(protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf))

// ---------------------------------------------------------------------------------------------------------------
// Layers

/**
 * Exports every span of the program it is provided to, as `options` say. Flushes what is buffered when the layer
 * closes (bounded by `shutdownTimeout`); `OtlpExporter.Flusher` flushes on demand. The exporter posts on its own
 * fetch client (Node ≥ 22 and browsers alike), untraced.
 */
export const layerOtlp = (options: OtlpOptions): Layer.Layer<OtlpExporter.Flusher> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  const secrets = [...(options.secrets ?? [])]
  // Should the exporter ever print a request (its warnings do not today), the collector's headers show as `<redacted>`.
  const redactedNames = Layer.effect(
    Headers.CurrentRedactedNames,
    Effect.map(Effect.service(Headers.CurrentRedactedNames), (names) => [...names, ...Object.keys(headers)])
  )
  return OtlpTracer.layer({
    url: options.url,
    resource: {
      serviceName: options.serviceName ?? defaultServiceName,
      serviceVersion: options.serviceVersion,
      attributes: { ...options.resourceAttributes }
    },
    headers,
    compression: options.compression ?? "none",
    exportInterval: options.exportInterval ?? Duration.seconds(5),
    maxBatchSize: options.maxBatchSize ?? 512,
    shutdownTimeout: options.shutdownTimeout ?? Duration.seconds(3)
  }).pipe(
    Layer.provide(scrubbing(options.protocol ?? "http/protobuf", secrets)),
    Layer.provide(Layer.merge(FetchHttpClient.layer, redactedNames))
  )
}

/** Nothing exported: the program's spans stay in process (effect's native tracer). */
export const layerNone: Layer.Layer<OtlpExporter.Flusher> = OtlpExporter.layerFlusher

/** What {@link layerOtlpFromEnv} takes from code: defaults the environment may override. */
export interface FromEnvOptions {
  /** `service.name` unless `OTEL_SERVICE_NAME` or `service.name` in `OTEL_RESOURCE_ATTRIBUTES` set it. */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** Removed from every exported string; `ICONIK_AUTH_TOKEN`, when set, is added to them. */
  readonly secrets?: Iterable<Secret> | undefined
}

/**
 * {@link layerOtlp} configured by the standard OpenTelemetry variables, or {@link layerNone} when no endpoint is set,
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Reads (through `Config`, so tests can give a provider):
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), else `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`);
 * - `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`: `http/protobuf` (default) or `http/json`;
 * - `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`: `name=value,…`, percent-decoded, kept `Redacted`;
 * - `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`);
 * - `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` (`gzip` / `none`), `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` (ms, bounds
 *   the export at exit), `OTEL_BSP_SCHEDULE_DELAY` (ms), `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
 *
 * Empty variables count as unset. A value that cannot be used fails the layer with {@link TracingConfigError}.
 */
export const layerOtlpFromEnv = (
  options: FromEnvOptions = {}
): Layer.Layer<OtlpExporter.Flusher, TracingConfigError> =>
  Layer.unwrap(Effect.map(configFromEnv(options), (config) => config === undefined ? layerNone : layerOtlp(config)))

// ---------------------------------------------------------------------------------------------------------------
// Configuration

/** A variable's value, `undefined` when unset or blank (the OpenTelemetry rule). */
const variable = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Effect.map((value) => Option.getOrUndefined(Option.filter(value, (text) => text.trim() !== ""))?.trim()),
    Effect.mapError((error) => new TracingConfigError({ variable: name, detail: error.message }))
  )

/** A secret variable's value: never unwrapped here, so no error can quote it. */
const secretVariable = (name: string) =>
  Config.option(Config.Redacted(name)).pipe(
    Effect.map((value) => Option.getOrUndefined(Option.filter(value, (secret) => Redacted.value(secret).trim() !== ""))),
    Effect.mapError((error) => new TracingConfigError({ variable: name, detail: error.message }))
  )

/** The traces variable if set, else the general one: `[name, value]`. */
const eitherVariable = Effect.fnUntraced(function*(specific: string, general: string) {
  const value = yield* variable(specific)
  if (value !== undefined) return [specific, value] as const
  return [general, yield* variable(general)] as const
})

const fail = (variable: string, detail: string) => Effect.fail(new TracingConfigError({ variable, detail }))

const decode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

/**
 * `key=value,key=value` (the W3C baggage form both headers and resource attributes use), trimmed and percent-decoded.
 * Errors name the entry's position and key, never its value.
 */
export const parseKeyValues = (
  name: string,
  text: string
): Effect.Effect<Record<string, string>, TracingConfigError> => {
  const out: Record<string, string> = {}
  const entries = text.split(",")
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!
    if (entry.trim() === "") continue
    const eq = entry.indexOf("=")
    const key = eq === -1 ? undefined : decode(entry.slice(0, eq).trim())
    if (eq === -1 || key === undefined || key === "") {
      return fail(name, `entry ${i + 1} is not key=value`)
    }
    const value = decode(entry.slice(eq + 1).trim())
    if (value === undefined) return fail(name, `the value of ${key} is not valid percent-encoding`)
    out[key] = value
  }
  return Effect.succeed(out)
}

const httpUrl = (name: string, text: string): Effect.Effect<URL, TracingConfigError> => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return fail(name, `not a URL: ${scrubSecrets(text)}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(name, `an OTLP/HTTP endpoint must be http:// or https://, got ${redactUrl(text)}`)
  }
  return Effect.succeed(url)
}

const wholeNumber = Effect.fnUntraced(function*(name: string, text: string | undefined, min: number) {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    return yield* fail(name, `expected a whole number ≥ ${min}, got ${JSON.stringify(text)}`)
  }
  return n
})

/**
 * The exporter's options from the environment, or `undefined` when nothing is to be exported. See
 * {@link layerOtlpFromEnv} for the variables.
 */
export const configFromEnv = Effect.fnUntraced(function*(options: FromEnvOptions = {}) {
  const disabled = yield* variable("OTEL_SDK_DISABLED")
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled)) {
    return yield* fail("OTEL_SDK_DISABLED", `expected true or false, got ${JSON.stringify(disabled)}`)
  }
  if (disabled?.toLowerCase() === "true") return undefined
  const exporters = (yield* variable("OTEL_TRACES_EXPORTER"))?.split(",").map((e) => e.trim().toLowerCase()).filter(
    (e) => e !== ""
  ) ?? ["otlp"]
  const unsupported = exporters.filter((e) => e !== "otlp" && e !== "none")
  if (unsupported.length > 0) {
    return yield* fail("OTEL_TRACES_EXPORTER", `supported: otlp, none; got ${unsupported.join(", ")}`)
  }
  if (!exporters.includes("otlp")) return undefined

  let url: URL
  const specific = yield* variable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  if (specific !== undefined) {
    url = yield* httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", specific)
  } else {
    const base = yield* variable("OTEL_EXPORTER_OTLP_ENDPOINT")
    if (base === undefined) return undefined
    url = yield* httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", base)
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
  }

  const [protocolName, protocol] = yield* eitherVariable(
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_PROTOCOL"
  )
  if (protocol !== undefined && protocol !== "http/protobuf" && protocol !== "http/json") {
    return yield* fail(
      protocolName,
      protocol === "grpc"
        ? "OTLP over gRPC is not supported: use http/protobuf or http/json (the collector's port 4318)"
        : `expected http/protobuf or http/json, got ${JSON.stringify(protocol)}`
    )
  }

  const tracesHeaders = yield* secretVariable("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
  const headersName = tracesHeaders === undefined ? "OTEL_EXPORTER_OTLP_HEADERS" : "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
  const headersText = tracesHeaders ?? (yield* secretVariable("OTEL_EXPORTER_OTLP_HEADERS"))
  const headers: Record<string, Redacted.Redacted<string>> = {}
  if (headersText !== undefined) {
    for (const [name, value] of Object.entries(yield* parseKeyValues(headersName, Redacted.value(headersText)))) {
      headers[name] = Redacted.make(value)
    }
  }

  const resourceText = yield* variable("OTEL_RESOURCE_ATTRIBUTES")
  const resource = resourceText === undefined ? {} : yield* parseKeyValues("OTEL_RESOURCE_ATTRIBUTES", resourceText)
  const serviceName = (yield* variable("OTEL_SERVICE_NAME")) ?? resource["service.name"] ?? options.serviceName
  const serviceVersion = resource["service.version"] ?? options.serviceVersion
  const { "service.name": _name, "service.version": _version, ...resourceAttributes } = resource

  const [compressionName, compression] = yield* eitherVariable(
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_COMPRESSION"
  )
  if (compression !== undefined && compression !== "gzip" && compression !== "none") {
    return yield* fail(compressionName, `expected gzip or none, got ${JSON.stringify(compression)}`)
  }
  const [timeoutName, timeout] = yield* eitherVariable("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
  const timeoutMillis = yield* wholeNumber(timeoutName, timeout, 0)
  const delayMillis = yield* wholeNumber("OTEL_BSP_SCHEDULE_DELAY", yield* variable("OTEL_BSP_SCHEDULE_DELAY"), 0)
  const batchSize = yield* wholeNumber("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", yield* variable("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), 1)

  const token = yield* Config.option(Config.Redacted("ICONIK_AUTH_TOKEN")).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.orElseSucceed(() => undefined)
  )
  const config: OtlpOptions = {
    url: url.href,
    protocol: protocol ?? "http/protobuf",
    headers,
    serviceName,
    serviceVersion,
    resourceAttributes,
    compression: compression ?? "none",
    exportInterval: delayMillis === undefined ? undefined : Duration.millis(delayMillis),
    maxBatchSize: batchSize,
    shutdownTimeout: timeoutMillis === undefined ? undefined : Duration.millis(timeoutMillis),
    secrets: [...(options.secrets ?? []), token]
  }
  return config
})
