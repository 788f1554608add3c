/**
 * Recipe: run against a real Iconik without surprises. The token is read as `Redacted` (logs, errors and traces show
 * `<redacted>`), the first calls only read (who am I, what would change), and nothing is written unless APPLY=true:
 * a dry run is the default. Here the change is a clean-up: titles that still end in a file extension lose it.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… QUERY=mov node real-iconik-safely.ts             # prints the plan
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… QUERY=mov APPLY=true node real-iconik-safely.ts  # applies it
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Stream } from "effect"
import { Assets, Iconik, Search } from "../src/index.ts"
import { users } from "../src/generated/index.ts"

export interface Change {
  readonly assetId: string
  readonly before: string
  readonly after: string
}

const withoutExtension = (title: string) => title.replace(/\.(mov|mp4|mxf|wav|mp3)$/i, "")

export const cleanTitles = Effect.fn("cleanTitles")(function*(options: { query: string; apply: boolean; limit: number }) {
  // Read-only first: a wrong token or base URL fails here (IconikUnauthorized, IconikNotFound), before any plan.
  const me = yield* users.getCurrentUser()
  yield* Effect.log(`signed in as ${me.email}`)
  const search = Search.stream({ doc_types: ["assets"], query: options.query })
  const hits = yield* Stream.runCollect(Stream.take(search, options.limit)) // a bound on what one run may touch
  const plan: Array<Change> = hits.flatMap((hit) => {
    const before = hit.title ?? ""
    const after = withoutExtension(before)
    return after === before ? [] : [{ assetId: hit.id, before, after }]
  })
  for (const c of plan) yield* Effect.log(`${options.apply ? "" : "(dry run) "}${c.assetId}: "${c.before}" → "${c.after}"`)
  if (!options.apply) return { plan, applied: 0 }
  yield* Effect.forEach(plan, (c) => Assets.patch(c.assetId, { title: c.after }), { concurrency: 2, discard: true })
  return { plan, applied: plan.length }
})

/** The client from the environment, spelled out: the token stays Redacted, and a gentle rate for a shared tenant. */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* Config.all({
    appId: Config.String("ICONIK_APP_ID"),
    authToken: Config.Redacted("ICONIK_AUTH_TOKEN"),
    baseUrl: Config.String("ICONIK_BASE_URL").pipe(Config.withDefault("https://app.iconik.io"))
  })
  yield* Effect.log(`${config.baseUrl}, App-ID ${config.appId}, token ${config.authToken}`) // token <redacted>
  return Iconik.layer({ ...config, rateLimit: { requestsPerSecond: 10, burst: 10 } })
})).pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main = Effect.gen(function*() {
  const options = yield* Config.all({
    query: Config.String("QUERY"),
    apply: Config.Boolean("APPLY").pipe(Config.withDefault(false)),
    limit: Config.Int("LIMIT").pipe(Config.withDefault(500))
  })
  return yield* cleanTitles(options)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
