/**
 * Building blocks for schemas that survive Iconik's live data: open enums, nullable optionals and both date layouts.
 * The generator emits every model in terms of these, so tolerance is decided here once.
 */
import * as DateTime from "effect/DateTime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * A string enum Iconik may extend over time. The known literals stay in the type (for completion and narrowing),
 * but any other string decodes too: a new server value must never break a live response.
 */
export type OpenEnum<L extends string> = L | (string & {})

/** Schema for an {@link OpenEnum}; the literals are kept as an annotation for docs and the emulator. */
export const OpenEnum = <const L extends ReadonlyArray<string>>(literals: L): Schema.Codec<OpenEnum<L[number]>> =>
  Schema.String.annotate({ description: `One of ${literals.join(", ")} (or a newer value)`, iconikEnum: literals }) as any

/**
 * An optional field that Iconik may also send as `null`. Absent keys stay absent when encoding, so request bodies
 * carry exactly the fields the caller set.
 */
export const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

const isoDateTime = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/

/**
 * An Iconik timestamp as sent on the wire: `2021-07-30T15:16:54.406403+00:00` on objects, naive
 * `2021-07-30T15:16:54.406403` (UTC implied) in search hits. Kept as text so no precision is lost on a round trip;
 * {@link toDateTime} reads either layout.
 */
export const DateTimeString = Schema.String.check(
  Schema.isPattern(isoDateTime, { description: "an ISO 8601 date-time, with or without offset" })
).annotate({ format: "date-time" })

const naive = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/

/** Reads either Iconik date layout; a naive timestamp is UTC. Microseconds are truncated to milliseconds. */
export const toDateTime = (text: string): Option.Option<DateTime.Utc> =>
  DateTime.make(naive.test(text) ? `${text}Z` : text).pipe(Option.map(DateTime.toUtc))
