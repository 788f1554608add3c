/**
 * The Iconik client service: one instance per configured base URL and credentials. It owns the cross-cutting
 * concerns once: auth headers, base URL, JSON, timeouts, retries, rate limiting, redaction, spans, status → typed
 * error. Generated operations call {@link IconikClient.execute} with their definition.
 */
import { Context, Effect } from "effect"
import type { HttpClient } from "effect/http"
import type { CallOptions, Definition } from "./Endpoint.ts"
import type { IconikError } from "./IconikError.ts"

export interface IconikClientShape {
  /** Executes a generated operation: encode input, send, map status, decode. */
  readonly execute: (definition: Definition, input: unknown, options?: CallOptions) => Effect.Effect<unknown, IconikError>
  /** The configured HttpClient (base URL, auth, retries, rate limit): for calls outside the generated surface. */
  readonly httpClient: HttpClient.HttpClient
}

export class IconikClient extends Context.Service<IconikClient, IconikClientShape>()("effect-iconik/IconikClient") {}
