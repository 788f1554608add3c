/**
 * Entry point of the `iconik` command (`node src/cli/main.ts …`, or the `iconik` bin). Runs the command line with
 * Node's services; Ctrl-C interrupts the running workflow, whose finalizers abort uploads and close jobs first.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { runCli } from "./Cli.ts"

runCli(process.argv.slice(2)).pipe(
  Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
  Effect.provide(NodeServices.layer),
  // stdout is for results (`--json` must stay parseable): logs go to stderr.
  Effect.provideService(Logger.LogToStderr, true),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
