/**
 * Entry point of the `iconik` command (`node src/cli/main.ts …`, or the `iconik` bin). Runs the command line with
 * Node's services; Ctrl-C interrupts the running workflow, whose finalizers abort uploads and close jobs first.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { runCli } from "./Cli.ts"
import { ExitCode } from "./Failure.ts"
import { withTelemetry } from "./Telemetry.ts"

/**
 * The reader closed stdout (`iconik metadata export … | head -3`): it has what it wanted, so the command stops —
 * interrupted, its finalizers run — and exits 0 without a word. The listener stays for good, so a write during that
 * clean-up cannot raise an unhandled EPIPE either. Any other stdout failure ends the run as a defect (exit 1).
 */
const stdoutClosed = Effect.callback<number>((resume) => {
  process.stdout.on("error", (error: NodeJS.ErrnoException) =>
    resume(error.code === "EPIPE" ? Effect.succeed(ExitCode.Ok) : Effect.die(error)))
})

// Spans are exported when the OpenTelemetry variables say so, and flushed once the command has ended (Ctrl-C too).
withTelemetry(Effect.raceFirst(runCli(process.argv.slice(2)), stdoutClosed)).pipe(
  Effect.flatMap((code) => Effect.sync(() => (process.exitCode = code))),
  Effect.provide(NodeServices.layer),
  // stdout is for results (`--json` must stay parseable): logs go to stderr.
  Effect.provideService(Logger.LogToStderr, true),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
