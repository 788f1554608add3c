/**
 * Where the `iconik` command writes: results on stdout (human text, or JSON with `--json`), everything else —
 * progress, notes, errors in words — on stderr, so `iconik … --json | jq` always gets a clean document.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type Explained, explainCause } from "./Failure.ts"

/** A command failed and has already said so; carries the exit code. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {
  code: Schema.Number
}) {}

/** Prints a result: `value` as JSON with `--json`, else the human lines. */
export const result = (json: boolean, value: unknown, human: () => ReadonlyArray<string> | string) =>
  json ? Console.log(JSON.stringify(value, null, 2)) : Console.log(toText(human()))

const toText = (lines: ReadonlyArray<string> | string) => (typeof lines === "string" ? lines : lines.join("\n"))

/** A note for the human on stderr (never with the result). */
export const note = (text: string) => Console.error(text)

/** Prints a failure: words on stderr; with `--json`, also `{"error": {...}}` on stdout. */
export const failure = (json: boolean, explained: Explained) =>
  Effect.gen(function*() {
    yield* Console.error(`error: ${explained.message}${explained.hint === undefined ? "" : `\n  hint: ${explained.hint}`}`)
    if (json) {
      yield* Console.log(JSON.stringify({ error: { tag: explained.tag, message: explained.message, hint: explained.hint, exitCode: explained.code } }, null, 2))
    }
  })

/**
 * Runs a command body: on failure, explains it (stderr, and stdout with `--json`) and fails with
 * {@link CommandFailed} carrying the exit code.
 */
export const reporting = <A, E, R>(json: boolean, body: Effect.Effect<A, E, R>): Effect.Effect<A, CommandFailed, R> =>
  Effect.catchCause(body, (cause: Cause.Cause<E>) => {
    // Ctrl-C: let the interruption through (finalizers have cleaned up); the runtime exits 130.
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    const explained = explainCause(cause)
    return Effect.andThen(failure(json, explained), Effect.fail(new CommandFailed({ code: explained.code })))
  })
