/**
 * The `iconik` command's global options and the services commands run on: an Iconik client configured from flags
 * or the environment (`ICONIK_APP_ID`, `ICONIK_AUTH_TOKEN`, `ICONIK_BASE_URL`; a flag wins over the variable) and a
 * storage client for presigned URLs. The token stays `Redacted` from the flag or variable to the request header.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Flag from "effect/cli/Flag"
import * as HttpClient from "effect/http/HttpClient"
import * as IconikClient from "../IconikClient.ts"
import { StorageClient } from "../storage/StorageClient.ts"

/** No App-ID or token from flags or environment. */
export class MissingCredentials extends Schema.TaggedError<MissingCredentials>()("MissingCredentials", {
  missing: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Missing Iconik credentials: set ${this.missing.join(" and ")} (or pass ${
      this.missing.map((name) => (name === "ICONIK_APP_ID" ? "--app-id" : "--auth-token")).join(" / ")
    }); \`iconik demo\` and \`iconik emulator\` need none`
  }
}

export const globalFlags = {
  appId: Flag.String("app-id").pipe(
    Flag.withDescription("Iconik App-ID (default: $ICONIK_APP_ID)"),
    Flag.optional
  ),
  authToken: Flag.Redacted("auth-token").pipe(
    Flag.withDescription("Iconik auth token (default: $ICONIK_AUTH_TOKEN); prefer the variable, flags show in ps"),
    Flag.optional
  ),
  baseUrl: Flag.String("base-url").pipe(
    Flag.withDescription("Iconik base URL (default: $ICONIK_BASE_URL, else https://app.iconik.io)"),
    Flag.optional
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDescription("Print results as JSON on stdout (errors too), for scripts"),
    Flag.withDefault(false)
  ),
  quiet: Flag.Boolean("quiet").pipe(
    Flag.withAlias("q"),
    Flag.withDescription("No progress bars"),
    Flag.withDefault(false)
  )
}

export interface GlobalOptions {
  readonly appId: Option.Option<string>
  readonly authToken: Option.Option<Redacted.Redacted<string>>
  readonly baseUrl: Option.Option<string>
  readonly json: boolean
  readonly quiet: boolean
}

const fromEnv = <A>(config: Config.Config<A>): Effect.Effect<Option.Option<A>> =>
  Effect.orElseSucceed(Config.option(config), () => Option.none<A>())

/** The client options the flags and environment give, or which credentials are missing. */
export const resolveCredentials = Effect.fnUntraced(function*(options: GlobalOptions) {
  const appId = Option.isSome(options.appId) ? options.appId : yield* fromEnv(Config.String("ICONIK_APP_ID"))
  const authToken = Option.isSome(options.authToken)
    ? options.authToken
    : yield* fromEnv(Config.Redacted("ICONIK_AUTH_TOKEN"))
  const baseUrl = Option.isSome(options.baseUrl)
    ? options.baseUrl
    : yield* fromEnv(Config.String("ICONIK_BASE_URL"))
  const missing = [
    ...(Option.isNone(appId) || appId.value.trim() === "" ? ["ICONIK_APP_ID"] : []),
    ...(Option.isNone(authToken) || Redacted.value(authToken.value).trim() === "" ? ["ICONIK_AUTH_TOKEN"] : [])
  ]
  if (missing.length > 0) return yield* new MissingCredentials({ missing })
  return {
    appId: Option.getOrThrow(appId),
    authToken: Option.getOrThrow(authToken),
    baseUrl: Option.getOrUndefined(baseUrl)
  }
})

/**
 * The Iconik client and the storage client, both on node:http keep-alive agents: one transport in the process keeps
 * the command's resident memory down (docs/benchmarks.md: peak RSS with the Iconik calls on undici).
 */
export const layer = (options: GlobalOptions, observe?: Observer) =>
  Layer.merge(
    Layer.unwrap(
      Effect.map(resolveCredentials(options), (credentials) =>
        IconikClient.layer({
          ...credentials,
          ...(observe === undefined ? {} : {
            transformClient: (client: HttpClient.HttpClient) =>
              HttpClient.tap(client, (response) =>
                Effect.sync(() => observe.onResponse(response.request.method, response.request.url, response.status)))
          })
        }).pipe(
          Layer.provide(NodeHttpClient.layerNodeHttpOptions({ keepAlive: true }))
        ))
    ),
    StorageClient.layer
  )

/** Sees every answer Iconik gives the command (e.g. to say which records a clean-up deleted). */
export interface Observer {
  readonly onResponse: (method: string, url: string, status: number) => void
}
