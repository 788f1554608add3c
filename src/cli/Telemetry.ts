/**
 * The `iconik` command's traces: the standard OpenTelemetry variables turn export on
 * (`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 iconik ingest …`, see docs/observability.md); without them the
 * command exports nothing.
 */
import * as Effect from "effect/Effect"
import * as Tracing from "../Tracing.ts"
import { version } from "./Cli.ts"
import { ExitCode } from "./Failure.ts"
import * as Output from "./Output.ts"

/** The exporter from the environment, as service `iconik` of the package's version. */
export const layer = Tracing.layerOtlpFromEnv({ serviceName: "iconik", serviceVersion: version })

/**
 * Runs the command with its spans exported. The exporter's layer closes when the command ends, however it ends (a
 * result, a failure, Ctrl-C), and sends what it holds then. A variable it cannot use is a usage error (exit 2), said
 * before anything runs.
 */
export const withTelemetry = <R>(command: Effect.Effect<number, never, R>): Effect.Effect<number, never, R> =>
  command.pipe(
    Effect.provide(layer),
    Effect.catchTag("TracingConfigError", (error) => Effect.as(Output.note(`error: ${error.message}`), ExitCode.Usage))
  )
