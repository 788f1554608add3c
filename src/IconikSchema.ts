/**
 * Building blocks for schemas that survive Iconik's live data: structs that keep the keys they do not declare, open
 * enums, nullable optionals and both date layouts. The generator emits every model in terms of these, so tolerance is
 * decided here once (docs/decisions/0015-preserving-codecs.md).
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
 * carry exactly the fields the caller set. One flat union (not `optional(NullOr(…))`, which nests two): the same
 * values, parsed about a third faster, which pays for {@link Struct}'s key copying.
 */
export const optional = <S extends Schema.Top>(schema: S) =>
  Schema.optionalKey(Schema.Union([schema, Schema.Null, Schema.Undefined]))

const rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/**
 * A struct that keeps every key it does not declare, on decode and on encode, at whatever depth it is used: a field
 * Iconik added after the spec snapshot stays readable, and a decoded object sent back (GET → modify → PUT) does not
 * erase it on the server. The declared fields are checked as usual; the type names only them (read the others with
 * {@link open}, send extra ones with {@link extraFields}).
 */
export const Struct = <const Fields extends Schema.Struct.Fields>(
  fields: Fields
): Schema.Codec<Schema.Struct.Type<Fields>, Schema.Struct.Encoded<Fields>> =>
  // The rest's index signature is left out of the type on purpose: with it, `asset.titel` would compile.
  Schema.StructWithRest(Schema.Struct(fields), rest) as any

/** A decoded object with the keys its type does not name readable too (as `unknown`). */
export type Open<T> = T & { readonly [key: string]: unknown }

/**
 * A decoded object with its undeclared keys readable: `IconikSchema.open(asset).new_field` is `unknown` (narrow it
 * before use). The object itself, not a copy.
 */
export const open = <T extends object>(value: T): Open<T> => value as Open<T>

/** Extra keys must not repeat a declared one: those are set (and checked) in the body itself. */
export type ExtraFields<T, E> = { readonly [K in keyof E]: K extends keyof T ? never : E[K] }

/**
 * A request body (or query) with keys its type does not declare, sent as given, on purpose: Iconik's tutorial creates
 * a file with `date_created` / `date_modified`, which the spec marks read-only.
 *
 *   createAssetFile({ asset_id, body: IconikSchema.extraFields({ original_name, ... }, { date_created }) })
 *
 * The body is checked against the type the call expects (`NoInfer`: a misspelled declared key is still a compile
 * error); the extras may not name a declared key. They win over the body's own undeclared keys (a decoded object
 * spread into the body carries the old values of those).
 */
export const extraFields = <T extends object, const E extends Readonly<Record<string, unknown>> = {}>(
  body: NoInfer<T>,
  extra: E & ExtraFields<T, E>
): T => ({ ...body, ...extra })

/** A number written as text, as Iconik's own examples send some (`"size": "1024"`). */
export type NumericString = `${number}`

/** A number, or the same number as a numeric string (sent as given: Iconik accepts both where this is used). */
export const NumberOrNumericString: Schema.Codec<number | NumericString> = Schema.Union([
  Schema.Number,
  Schema.String.check(Schema.isPattern(/^-?\d+(?:\.\d+)?$/, { description: "a number written as text" }))
]) as any

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
