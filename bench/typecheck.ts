/**
 * Type-check time for the whole project, and for a consumer file that imports the SDK as users do: through the
 * package's exports, i.e. the emitted declarations (built first by `npm run build`).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fmt, runTsc, scratchDir, writeResult } from "./harness.ts"

const consumerDir = Path.join(scratchDir, "consumer")
Fs.mkdirSync(consumerDir, { recursive: true })
Fs.writeFileSync(
  Path.join(consumerDir, "consumer.ts"),
  `import { Effect } from "effect"
import { Assets, Iconik } from "effect-iconik"

export const program = Effect.gen(function*() {
  const asset = yield* Assets.get("2c5bfe1a-f149-11eb-a843-0a580a3db916")
  return asset.title
}).pipe(Effect.catchTag("IconikNotFound", () => Effect.succeed("missing")))

export const live = Iconik.layerConfig()
`
)
Fs.writeFileSync(
  Path.join(consumerDir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.json",
    compilerOptions: { noUnusedLocals: false },
    include: ["consumer.ts"]
  })
)

const project = runTsc(["--noEmit", "-p", "."])
const build = runTsc(["-p", "tsconfig.build.json"])
const consumer = runTsc(["--noEmit", "-p", Path.join(consumerDir, "tsconfig.json")])
writeResult({
  section: "typecheck",
  title: "Type-check time",
  rows: [
    { metric: "tsc --noEmit, whole project", value: `${fmt(project, 1)} s`, target: "≤ 60 s", met: project <= 60 },
    { metric: "tsc -p tsconfig.build.json (emit JS + declarations)", value: `${fmt(build, 1)} s` },
    { metric: "tsc --noEmit, a consumer file importing the SDK", value: `${fmt(consumer, 1)} s`, target: "≤ 5 s", met: consumer <= 5 }
  ],
  raw: { project, build, consumer }
})
