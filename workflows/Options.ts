/**
 * Checks of the numeric options workflows take (concurrency, part sizes, thresholds), made before the first request:
 * a bad value is a typed {@link InvalidOption} naming the option and the accepted range, never a hang (`NaN`
 * concurrency), a silent change (0 raised to 1) or a failure after an asset was already created.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/** An option outside its accepted range. The CLI maps it to exit code 2 (usage). */
export class InvalidOption extends Schema.TaggedError<InvalidOption>()("InvalidOption", {
  /** The option's name as the caller wrote it, e.g. `concurrency` (the CLI passes its flag, e.g. `--concurrency`). */
  option: Schema.String,
  /** The value given, as text. */
  value: Schema.String,
  /** The accepted range, e.g. `an integer from 1 to 64`. */
  expected: Schema.String
}) {
  override get message() {
    return `${this.option} must be ${this.expected}, got ${this.value}`
  }
}

export interface IntegerRange {
  readonly min: number
  readonly max: number
  /** How the range reads in messages, e.g. `5 MiB to 5 GiB`. Default `min to max`. */
  readonly describe?: string | undefined
}

/** `value` when it is undefined (the default applies) or an integer within `range`; an {@link InvalidOption} otherwise. */
export const integer = (
  option: string,
  value: number | undefined,
  range: IntegerRange
): Effect.Effect<number | undefined, InvalidOption> =>
  value === undefined || (Number.isInteger(value) && value >= range.min && value <= range.max)
    ? Effect.succeed(value)
    : Effect.fail(
      new InvalidOption({
        option,
        value: String(value),
        expected: `an integer from ${range.describe ?? `${range.min} to ${range.max}`}`
      })
    )

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** Accepted ranges of the transfer options every upload workflow shares. */
export const ranges = {
  /** Files or parts in flight. */
  concurrency: { min: 1, max: 256 },
  /**
   * Bytes per part / chunk / block, before the storage is known: 256 KiB (GCS's chunk unit) to 5 GiB (S3's largest
   * part). The storage's own rules (S3's 5 MiB floor, GCS's 256 KiB multiples) are checked once its method is known,
   * still before any record is created.
   */
  partSize: { min: 256 * 1024, max: 5 * GiB, describe: "256 KiB (262144) to 5 GiB (5368709120)" },
  /** Files up to this size go in one request. */
  singlePutThreshold: { min: 0, max: 5 * GiB, describe: "0 to 5 GiB (5368709120)" }
} as const satisfies Record<string, IntegerRange>

export interface TransferNumbers {
  readonly concurrency?: number | undefined
  readonly partSize?: number | undefined
  readonly singlePutThreshold?: number | undefined
}

/** Checks the shared transfer options; call it first in a workflow, before any request. */
export const validateTransfer = (options: TransferNumbers): Effect.Effect<void, InvalidOption> =>
  Effect.all([
    integer("concurrency", options.concurrency, ranges.concurrency),
    integer("partSize", options.partSize, ranges.partSize),
    integer("singlePutThreshold", options.singlePutThreshold, ranges.singlePutThreshold)
  ], { discard: true })

export interface NumberRange {
  readonly min: number
  readonly max: number
  /** `min` itself is refused (e.g. an interval must be above 0). */
  readonly minExclusive?: boolean | undefined
  /** How the range reads in messages, e.g. `above 0 to 3600 (seconds)`. Default `from min to max`. */
  readonly describe?: string | undefined
}

const describeNumber = (range: NumberRange) =>
  `a number ${range.describe ?? `${range.minExclusive === true ? "above" : "from"} ${range.min} to ${range.max}`}`

/** `value` when it is undefined or a finite number within `range` (fractions allowed); an {@link InvalidOption} otherwise. */
export const number = (option: string, value: number | undefined, range: NumberRange): Effect.Effect<number | undefined, InvalidOption> =>
  value === undefined ||
    (Number.isFinite(value) && (range.minExclusive === true ? value > range.min : value >= range.min) && value <= range.max)
    ? Effect.succeed(value)
    : Effect.fail(new InvalidOption({ option, value: String(value), expected: describeNumber(range) }))

const integerText = /^[+-]?\d+$/
const decimalText = /^[+-]?(\d+\.?\d*|\.\d+)$/

/** The text's number when it matches `pattern`, else NaN (which no range accepts). */
const read = (text: string, pattern: RegExp) => (pattern.test(text.trim()) ? Number(text) : Number.NaN)

/** The error names the text as given (`abc`, not `NaN`). */
const asGiven = (text: string) => (error: InvalidOption) =>
  new InvalidOption({ option: error.option, value: text, expected: error.expected })

/**
 * Text (a command-line value) as an integer within `range`. Only plain decimal digits count: `""`, `1e3`, `0x10` or
 * `NaN` are refused with the same message as an out-of-range number, rather than read as 0, 1000 or 16.
 */
export const parseInteger = (option: string, text: string, range: IntegerRange): Effect.Effect<number, InvalidOption> =>
  integer(option, read(text, integerText), range).pipe(Effect.as(Number(text)), Effect.mapError(asGiven(text)))

/** Text as a decimal number within `range` (`0.5`, `2`, `.25`); anything else is an {@link InvalidOption}. */
export const parseNumber = (option: string, text: string, range: NumberRange): Effect.Effect<number, InvalidOption> =>
  number(option, read(text, decimalText), range).pipe(Effect.as(Number(text)), Effect.mapError(asGiven(text)))
