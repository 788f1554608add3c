/**
 * Type-check time for the whole project, and for consumer files that import the SDK as users do: through the
 * package's exports, i.e. the emitted declarations (built first by `npm run build`). Each figure beside the one
 * before the small-program work (`bundle-before.json`, docs/decisions/0021-small-programs.md).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { runTscTimed, type TscTimes } from "./bundle-tsc.ts"
import { fmt, scratchDir, writeResult } from "./harness.ts"

const consumerDir = Path.join(scratchDir, "consumer")
Fs.mkdirSync(consumerDir, { recursive: true })
const consumers = {
  // The main entry: a facade and the layer from the environment.
  main: `import { Effect } from "effect"
import { Assets, Iconik } from "effect-iconik"

export const program = Effect.gen(function*() {
  const asset = yield* Assets.get("2c5bfe1a-f149-11eb-a843-0a580a3db916")
  return asset.title
}).pipe(Effect.catchTag("IconikNotFound", () => Effect.succeed("missing")))

export const live = Iconik.layerConfig()
`,
  // The small-program form: the client's and the service's own entries.
  small: `import * as Effect from "effect/Effect"
import * as Iconik from "effect-iconik/client"
import * as assets from "effect-iconik/generated/assets"

export const program = assets.getAsset({ asset_id: "2c5bfe1a-f149-11eb-a843-0a580a3db916" }).pipe(
  Effect.map((asset) => asset.title),
  Effect.catchTag("IconikNotFound", () => Effect.succeed("missing"))
)

export const live = Iconik.layerConfig()
`
}
const consumerTsc = (name: keyof typeof consumers) => {
  Fs.writeFileSync(Path.join(consumerDir, `${name}.ts`), consumers[name])
  const tsconfig = Path.join(consumerDir, `tsconfig.${name}.json`)
  Fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: "../../tsconfig.json",
      compilerOptions: { noUnusedLocals: false },
      include: [`${name}.ts`]
    })
  )
  return runTscTimed(["--noEmit", "-p", tsconfig])
}

const before = JSON.parse(Fs.readFileSync(Path.join(import.meta.dirname, "bundle-before.json"), "utf8")) as {
  readonly typecheck: { readonly project: number; readonly build: number; readonly consumer: number }
}
/** Wall-clock seconds, the CPU seconds beside them. */
const seconds = (times: TscTimes) => `${fmt(times.wallSeconds, 1)} s (CPU ${fmt(times.cpuSeconds, 1)} s)`
/** `before → after` (the before figures are wall-clock only). */
const change = (after: TscTimes, previous: number) => `${fmt(previous, 1)} s → ${seconds(after)}`

const project = runTscTimed(["--noEmit", "-p", "."])
const build = runTscTimed(["-p", "tsconfig.build.json"])
const consumer = consumerTsc("main")
const consumerSmall = consumerTsc("small")
writeResult({
  section: "typecheck",
  title: "Type-check time",
  rows: [
    {
      metric: "tsc --noEmit, whole project",
      value: change(project, before.typecheck.project),
      target: "≤ 60 s",
      met: project.wallSeconds <= 60
    },
    { metric: "tsc -p tsconfig.build.json (emit JS + declarations)", value: change(build, before.typecheck.build) },
    {
      metric: "tsc --noEmit, a consumer file importing the SDK (`{ Assets, Iconik }` from the main entry)",
      value: change(consumer, before.typecheck.consumer),
      target: "≤ 5 s",
      met: consumer.wallSeconds <= 5
    },
    {
      metric: "tsc --noEmit, a consumer of `effect-iconik/client` + `effect-iconik/generated/assets`",
      value: seconds(consumerSmall),
      target: "≤ 5 s",
      met: consumerSmall.wallSeconds <= 5
    }
  ],
  notes: [
    "Before → after: the figures before the small-program work (docs/decisions/0021-small-programs.md), as " +
    "committed then (`bench/bundle-before.json`); after, this run. Wall-clock time varies with the machine's load " +
    "(two cores, shared); the CPU seconds (user + system) of the tsc process vary much less."
  ],
  raw: { project, build, consumer, consumerSmall }
})
