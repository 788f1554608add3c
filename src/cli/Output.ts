/**
 * Where the `iconik` command writes: results on stdout (human text, or JSON with `--json`), everything else —
 * progress, notes, errors in words — on stderr, so `iconik … --json | jq` always gets a clean document.
 *
 * Every text goes through the scrubber (`Redaction.ts`) on its way out, with the token of `ICONIK_AUTH_TOKEN`: a
 * failure's words quote Iconik's and the storage provider's messages, and a batch report quotes its items' errors.
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { scrubSecrets } from "../Redaction.ts"
import { type Explained, ExitCode, explainCause } from "./Failure.ts"

/** A command failed and has already said so; carries the exit code. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  code: Schema.Number
}) {}

// The token may come from `--auth-token` instead; then the errors' own scrubbing (with the client's token) covers it.
const envToken = Effect.map(
  Effect.orElseSucceed(Config.option(Config.Redacted("ICONIK_AUTH_TOKEN")), () => Option.none()),
  Option.getOrUndefined
)

/** `text` as it may leave the process. */
export const scrubbed = (text: string): Effect.Effect<string> => Effect.map(envToken, (token) => scrubSecrets(text, [token]))

const toStdout = (text: string) => Effect.flatMap(scrubbed(text), (clean) => Console.log(clean))
const toStderr = (text: string) => Effect.flatMap(scrubbed(text), (clean) => Console.error(clean))

/** Prints a result: `value` as JSON with `--json`, else the human lines. */
export const result = (json: boolean, value: unknown, human: () => ReadonlyArray<string> | string) =>
  toStdout(json ? JSON.stringify(value, null, 2) : toText(human()))

const toText = (lines: ReadonlyArray<string> | string) => (typeof lines === "string" ? lines : lines.join("\n"))

/** A note for the human on stderr (never with the result). */
export const note = (text: string) => toStderr(text)

/** Prints a failure: words on stderr; with `--json`, also `{"error": {...}}` on stdout. */
export const failure = (json: boolean, explained: Explained) =>
  Effect.gen(function*() {
    yield* toStderr(`error: ${explained.message}${explained.hint === undefined ? "" : `\n  hint: ${explained.hint}`}`)
    if (json) {
      yield* toStdout(JSON.stringify({ error: { tag: explained.tag, message: explained.message, hint: explained.hint, exitCode: explained.code } }, null, 2))
    }
  })

/**
 * Ends a command whose batch finished with some items failed: the result (with the failures in it) is printed
 * already; this says how many failed on stderr and exits 9.
 */
export const partial = (failed: number, total: number, items: string) =>
  Effect.andThen(
    toStderr(`error: ${failed} of ${total} ${items} failed (the report lists each with its reason)`),
    Effect.fail(new CommandFailed({ code: ExitCode.Partial }))
  )

/**
 * Runs a command body: on failure, explains it (stderr, and stdout with `--json`) and fails with
 * {@link CommandFailed} carrying the exit code.
 */
export const reporting = <A, E, R>(json: boolean, body: Effect.Effect<A, E, R>): Effect.Effect<A, CommandFailed, R> =>
  Effect.catchCause(body, (cause: Cause.Cause<E>) => {
    // Ctrl-C: let the interruption through (finalizers have cleaned up); the runtime exits 130.
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    // The body has said what went wrong already (a partial batch): keep its exit code, print nothing more.
    const failed = Cause.findErrorOption(cause)
    if (Option.isSome(failed) && failed.value instanceof CommandFailed) return Effect.fail(failed.value)
    const explained = explainCause(cause)
    return Effect.andThen(failure(json, explained), Effect.fail(new CommandFailed({ code: explained.code })))
  })
