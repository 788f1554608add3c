/**
 * The two programs the `bundle` and `coldstart` sections compare: one `getAsset` call through the SDK (imported
 * through its package entries, as a user writes it), and the same call written with Effect alone (HttpClient +
 * Schema, a hand-written Asset schema). Each is written into the scratch folder; `root` is the repository root.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

export const assetId = "2c5bfe1a-f149-11eb-a843-0a580a3db916"

/** The answer both programs decode (the local server sends it). */
export const assetAnswer = {
  id: assetId,
  title: "clip.mov",
  status: "ACTIVE",
  type: "ASSET",
  date_created: "2026-01-02T03:04:05.000000+00:00",
  date_modified: "2026-01-02T03:04:05.000000+00:00",
  created_by_user: "2c5bfe1a-f149-11eb-a843-0a580a3db917",
  is_online: true,
  in_collections: []
}

/**
 * `through`: `"barrel"` imports the service as `{ assets }` from `effect-iconik/generated` (a namespace re-export,
 * which esbuild keeps whole); `"module"` imports the service's own module as a namespace.
 */
const sdk = (root: string, dir: string, through: "barrel" | "module") => `import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import { Iconik } from ${JSON.stringify(relative(dir, Path.join(root, "src", "index.ts")))}
${
  through === "barrel"
    ? `import { assets } from ${JSON.stringify(relative(dir, Path.join(root, "src", "generated", "index.ts")))}`
    : `import * as assets from ${JSON.stringify(relative(dir, Path.join(root, "src", "generated", "assets.ts")))}`
}

const baseUrl = globalThis.process?.env?.["BENCH_BASE_URL"] ?? "http://127.0.0.1:1"
const program = assets.getAsset({ asset_id: ${JSON.stringify(assetId)} })
Effect.runPromise(program.pipe(
  Effect.provide(Iconik.layer({ appId: "app", authToken: "token", baseUrl }).pipe(Layer.provide(FetchHttpClient.layer)))
)).then((asset) => (globalThis as Reporting).reportAnswer?.(asset.title))
`

/** The program reports its answer through a global the cold-start runner sets (the browser bundle has none). */
const reporting = "type Reporting = { reportAnswer?: (title: string) => void }\n"

/** An import specifier from \`dir\` to \`file\`. */
const relative = (dir: string, file: string) => {
  const path = Path.relative(dir, file).split(Path.sep).join("/")
  return path.startsWith(".") ? path : `./${path}`
}

const effectOnly = `import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Schema from "effect/Schema"

const Status = Schema.Literals(["ACTIVE", "DELETED"])
const Asset = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  status: Schema.optional(Status),
  type: Schema.optional(Schema.String),
  date_created: Schema.optional(Schema.String),
  date_modified: Schema.optional(Schema.String),
  created_by_user: Schema.optional(Schema.String),
  is_online: Schema.optional(Schema.Boolean),
  in_collections: Schema.optional(Schema.Array(Schema.String))
})

const baseUrl = globalThis.process?.env?.["BENCH_BASE_URL"] ?? "http://127.0.0.1:1"
const program = Effect.gen(function*() {
  const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
  const response = yield* client.execute(
    HttpClientRequest.get(baseUrl + "/API/assets/v1/assets/${assetId}/").pipe(
      HttpClientRequest.setHeaders({ "App-ID": "app", "Auth-Token": "token" })
    )
  )
  return yield* HttpClientResponse.schemaBodyJson(Asset)(response)
})
Effect.runPromise(program.pipe(Effect.provide(FetchHttpClient.layer)))
  .then((asset) => (globalThis as Reporting).reportAnswer?.(asset.title))
`

export interface Programs {
  /** Through the `effect-iconik/generated` barrel. */
  readonly sdk: string
  /** Through the service's own module. */
  readonly sdkModule: string
  readonly effectOnly: string
}

/** Writes both programs into `dir`; their paths. */
export const writePrograms = (root: string, dir: string): Programs => {
  Fs.mkdirSync(dir, { recursive: true })
  const paths = {
    sdk: Path.join(dir, "sdk.ts"),
    sdkModule: Path.join(dir, "sdk-module.ts"),
    effectOnly: Path.join(dir, "effect-only.ts")
  }
  Fs.writeFileSync(paths.sdk, sdk(root, dir, "barrel") + reporting)
  Fs.writeFileSync(paths.sdkModule, sdk(root, dir, "module") + reporting)
  Fs.writeFileSync(paths.effectOnly, effectOnly + reporting)
  return paths
}
