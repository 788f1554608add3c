/**
 * The programs the `bundle` and `coldstart` sections compare: one `getAsset` call through the SDK, in each form a
 * user may write it (imported through the package's entries), and the same call written with Effect alone. Each is
 * written into the scratch folder; `root` is the repository root of the checkout measured.
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

/** How a program reaches the SDK, from the smallest form to the widest. */
export type SdkForm = "subpaths" | "module" | "barrel" | "facade"

export const sdkForms: ReadonlyArray<SdkForm> = ["subpaths", "module", "barrel", "facade"]

/** What each form imports, as a user writes it (`effect-iconik…` specifiers, resolved by {@link entry}). */
const formImports: Record<SdkForm, { readonly imports: ReadonlyArray<string>; readonly call: string }> = {
  // The form the README shows for small programs: the client's and the service's own entries.
  subpaths: {
    imports: [
      'import * as Iconik from "effect-iconik/client"',
      'import * as assets from "effect-iconik/generated/assets"'
    ],
    call: `assets.getAsset({ asset_id: ${JSON.stringify(assetId)} })`
  },
  // The form measured before the per-service entries existed: the main entry's `Iconik`, the service's module.
  module: {
    imports: [
      'import { Iconik } from "effect-iconik"',
      'import * as assets from "effect-iconik/src/generated/assets"'
    ],
    call: `assets.getAsset({ asset_id: ${JSON.stringify(assetId)} })`
  },
  barrel: {
    imports: ['import { Iconik } from "effect-iconik"', 'import { assets } from "effect-iconik/generated"'],
    call: `assets.getAsset({ asset_id: ${JSON.stringify(assetId)} })`
  },
  facade: {
    imports: ['import { Assets, Iconik } from "effect-iconik"'],
    call: `Assets.get(${JSON.stringify(assetId)})`
  }
}

/**
 * The source file an `effect-iconik…` specifier names in the checkout at `root`: through its package.json
 * `exports` (`./dist/src/X.js` is compiled from `src/X.ts`); `effect-iconik/src/…` names a source module directly.
 * `undefined` when that checkout has no such entry (an older one, before the entry was added).
 */
export const entry = (root: string, specifier: string): string | undefined => {
  const subpath = "." + specifier.slice("effect-iconik".length)
  if (subpath.startsWith("./src/")) return Path.join(root, `${subpath}.ts`)
  const manifest = JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, { default?: string } | string>
  }
  const target = manifest.exports[subpath]
  const file = typeof target === "string" ? target : target?.default
  if (file === undefined) return undefined
  return Path.join(root, file.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"))
}

/** The program for `form`, its SDK imports resolved to `root`'s sources; `undefined` if an entry is missing there. */
const sdk = (root: string, dir: string, form: SdkForm): string | undefined => {
  const { call, imports } = formImports[form]
  const resolved: Array<string> = []
  for (const line of imports) {
    const specifier = /from "([^"]+)"/.exec(line)![1]!
    const file = entry(root, specifier)
    if (file === undefined || !Fs.existsSync(file)) return undefined
    resolved.push(line.replace(`"${specifier}"`, JSON.stringify(relative(dir, file))))
  }
  return `import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
${resolved.join("\n")}

const baseUrl = globalThis.process?.env?.["BENCH_BASE_URL"] ?? "http://127.0.0.1:1"
const program = ${call}
Effect.runPromise(program.pipe(
  Effect.provide(Iconik.layer({ appId: "app", authToken: "token", baseUrl }).pipe(Layer.provide(FetchHttpClient.layer)))
)).then((asset) => (globalThis as Reporting).reportAnswer?.(asset.title))
`
}

/** The program reports its answer through a global the cold-start runner sets (the browser bundle has none). */
const reporting = "type Reporting = { reportAnswer?: (title: string) => void }\n"

/** An import specifier from \`dir\` to \`file\`. */
const relative = (dir: string, file: string) => {
  const path = Path.relative(dir, file).split(Path.sep).join("/")
  return path.startsWith(".") ? path : `./${path}`
}

/** What the Effect-only program does, and does not, for the notes under the tables. */
export const effectOnlyDescription =
  "The Effect-only program: FetchHttpClient, one GET with the App-ID and Auth-Token headers, `filterStatusOk`, and " +
  "`schemaBodyJson` of a hand-written 9-field Asset schema. It has no retries, timeout, deadline, rate limiter, " +
  "typed errors by status, redaction, size limit or span; the SDK's call has all of them and decodes the full " +
  "generated Asset model, so the ratios are what those cost, not overhead on equal work."

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

/** Each program's path; an SDK form the checkout cannot express (no such entry) is left out. */
export interface Programs {
  readonly effectOnly: string
  readonly sdk: Partial<Record<SdkForm, string>>
}

/** Writes the programs into `dir` (the SDK's imports resolved to the checkout at `root`); their paths. */
export const writePrograms = (root: string, dir: string): Programs => {
  Fs.mkdirSync(dir, { recursive: true })
  const effectOnlyPath = Path.join(dir, "effect-only.ts")
  Fs.writeFileSync(effectOnlyPath, effectOnly + reporting)
  const sdkPaths: Partial<Record<SdkForm, string>> = {}
  for (const form of sdkForms) {
    const source = sdk(root, dir, form)
    const file = Path.join(dir, `sdk-${form}.ts`)
    if (source === undefined) {
      Fs.rmSync(file, { force: true })
      continue
    }
    Fs.writeFileSync(file, source + reporting)
    sdkPaths[form] = file
  }
  return { effectOnly: effectOnlyPath, sdk: sdkPaths }
}
