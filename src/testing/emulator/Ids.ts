/**
 * Identifiers and timestamps as Iconik writes them: version-1 (time-based) UUIDs, object dates with microseconds and
 * a `+00:00` offset, and naive dates (no offset, UTC implied) in search hits. Time comes from the caller (effect's
 * Clock), and every stamp is strictly later than the previous one, so objects created in the same millisecond (all of
 * them, under TestClock) still sort in creation order.
 */
import { createHash } from "node:crypto"

/** Offset between the UUID epoch (1582-10-15) and the Unix epoch, in 100 ns intervals. */
const uuidEpochOffset = 122_192_928_000_000_000n

const hex = (value: bigint, digits: number) => value.toString(16).padStart(digits, "0")

export interface Stamp {
  /** Microseconds since the Unix epoch. */
  readonly micros: number
  /** `2021-07-30T15:16:54.406403+00:00` */
  readonly iso: string
}

const pad = (value: number, digits: number) => String(value).padStart(digits, "0")

/** `2021-07-30T15:16:54.406403` from microseconds since the epoch. */
export const naiveFromMicros = (micros: number): string => {
  const millis = Math.floor(micros / 1000)
  const seconds = new Date(millis).toISOString().slice(0, 19)
  return `${seconds}.${pad(micros % 1_000_000, 6)}`
}

/** An object date (`…+00:00`) as the naive form search hits carry. Other strings are returned unchanged. */
export const toNaive = (iso: string): string => iso.replace(/(?:Z|[+-]00:?00)$/, "")

/** Milliseconds since the epoch of an Iconik date (either layout, or epoch milliseconds as text). */
export const parseDate = (text: string): number | undefined => {
  if (/^-?\d+$/.test(text)) return Number(text)
  const withZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`
  const millis = Date.parse(withZone)
  return Number.isNaN(millis) ? undefined : millis
}

export class IdSource {
  private lastMicros = -1
  private clockSequence: number
  private readonly node: string

  constructor(seed: string) {
    const digest = createHash("sha256").update(`iconik-emulator\u0000${seed}`).digest()
    // RFC 4122 §4.5: a node id that is not a MAC address has the multicast bit set.
    digest[0] = digest[0]! | 0x01
    this.node = digest.subarray(0, 6).toString("hex")
    this.clockSequence = digest.readUInt16BE(6) & 0x3fff
  }

  /** The next instant at or after `nowMillis`, strictly after the previous one. */
  stamp(nowMillis: number): Stamp {
    const micros = Math.max(Math.floor(nowMillis) * 1000, this.lastMicros + 1)
    this.lastMicros = micros
    return { micros, iso: `${naiveFromMicros(micros)}+00:00` }
  }

  /** A version-1 UUID for `nowMillis`. */
  uuid(nowMillis: number): string {
    const { micros } = this.stamp(nowMillis)
    const ticks = BigInt(micros) * 10n + uuidEpochOffset
    const timeLow = ticks & 0xffff_ffffn
    const timeMid = (ticks >> 32n) & 0xffffn
    const timeHigh = ((ticks >> 48n) & 0x0fffn) | 0x1000n
    const sequence = BigInt(0x8000 | this.clockSequence)
    return `${hex(timeLow, 8)}-${hex(timeMid, 4)}-${hex(timeHigh, 4)}-${hex(sequence, 4)}-${this.node}`
  }

  /** The current object date for `nowMillis`. */
  now(nowMillis: number): string {
    return this.stamp(nowMillis).iso
  }
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: string): boolean => uuidPattern.test(value)
