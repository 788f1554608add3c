/**
 * The flags every command builds on: switches, and text and numeric flags whose help says what they accept and their
 * default, checked while the command line is parsed (a bad value exits 2 with the flag's name and range).
 */
import * as Effect from "effect/Effect"
import * as CliError from "effect/cli/CliError"
import * as Flag from "effect/cli/Flag"
import * as Options from "../../workflows/Options.ts"

/** An off-by-default switch: `--name` turns it on. */
export const switchFlag = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

/**
 * A flag's help text: what it does, then in parentheses what it accepts and its default. effect/cli prints neither
 * range nor default by itself, so every flag with a default is made through a helper that says it.
 */
export const helpText = (description: string, notes: ReadonlyArray<string | undefined>) => {
  const said = notes.filter((note): note is string => note !== undefined)
  return said.length === 0 ? description : `${description} (${said.join("; ")})`
}

export const defaultNote = (value: string | number | undefined) => (value === undefined ? undefined : `default: ${value}`)

/** A text flag with a default, said in its help. */
export const textFlag = (name: string, description: string, fallback: string) =>
  Flag.String(name).pipe(Flag.withDescription(helpText(description, [defaultNote(fallback)])), Flag.withDefault(fallback))

/** The flag's check failed: effect/cli prints it under the command's help, and the command exits 2 (usage). */
export const invalidValue = (name: string, text: string) => (error: Options.InvalidOption) =>
  new CliError.InvalidValue({ option: name, value: text, expected: error.expected, kind: "flag" })

/**
 * A numeric flag, read as text and checked by `Options` while the command line is parsed, so before credentials are
 * looked at or any request is made: every bad value (`0`, `-1`, `NaN`, `1.5` for an integer) is refused with the
 * flag's name and its accepted range.
 */
export const checkedFlag = (
  name: string,
  metavar: string,
  description: string,
  range: Options.IntegerRange | Options.NumberRange,
  fallback: number | undefined,
  parse: (option: string, text: string) => Effect.Effect<number, Options.InvalidOption>
) =>
  Flag.String(name).pipe(
    Flag.withMetavar(metavar),
    Flag.withDescription(helpText(description, [range.describe ?? `${range.min} to ${range.max}`, defaultNote(fallback)])),
    Flag.mapEffect((text) => Effect.mapError(parse(`--${name}`, text), invalidValue(name, text)))
  )

/** An integer flag without a default (`Flag.optional` it), checked against `range`. */
export const integerFlag = (name: string, description: string, range: Options.IntegerRange) =>
  checkedFlag(name, "integer", description, range, undefined, (option, text) => Options.parseInteger(option, text, range))

/** An integer flag with a default, said in its help. */
export const integerFlagOr = (name: string, description: string, range: Options.IntegerRange, fallback: number) =>
  checkedFlag(name, "integer", description, range, fallback, (option, text) => Options.parseInteger(option, text, range))
    .pipe(Flag.withDefault(fallback))

/** Seconds and the like: fractions allowed. Without a default (`Flag.optional` it). */
export const numberFlag = (name: string, description: string, range: Options.NumberRange) =>
  checkedFlag(name, "number", description, range, undefined, (option, text) => Options.parseNumber(option, text, range))

/** A number flag with a default, said in its help. */
export const numberFlagOr = (name: string, description: string, range: Options.NumberRange, fallback: number) =>
  checkedFlag(name, "number", description, range, fallback, (option, text) => Options.parseNumber(option, text, range))
    .pipe(Flag.withDefault(fallback))
