/**
 * Progress bars on stderr for the `iconik` command: the workflows' {@link Progress} events folded into a
 * {@link Progress.Snapshot} and redrawn ten times a second on a terminal; on a pipe or file, one line per settled
 * file, per quarter of the bytes and per quarter of a large file's hashing, so logs stay readable. stdout is left to results (`--json`).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Progress from "../../workflows/Progress.ts"

const units = ["B", "KiB", "MiB", "GiB", "TiB"]

/** `1.5 MiB`-style sizes. */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

const barWidth = 24

const bar = (fraction: number) => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * barWidth)
  return `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}]`
}

/** The last path segment of an item (a file path, or a folder-relative one), for short status lines. */
const shortName = (item: string) => item.slice(Math.max(item.lastIndexOf("/"), item.lastIndexOf("\\")) + 1)

/** `hashing clip.mov [####....] 40% 1.2 GiB/3.0 GiB`: the checksum read before an upload. */
const hashingPart = (item: string, hashed: { readonly transferred: number; readonly total: number }) => {
  const fraction = hashed.total > 0 ? hashed.transferred / hashed.total : 1
  return `hashing ${shortName(item)} ${bar(fraction)} ${Math.floor(fraction * 100)}% ${formatBytes(hashed.transferred)}/${
    formatBytes(hashed.total)
  }`
}

/** What the status line and the per-item lines call things. */
export interface Wording {
  /** What the batch's items are, in `files 3/10`. Default `files`. */
  readonly items?: string | undefined
  /** The word for an outcome in the per-item lines, e.g. `wrote metadata of` for `ingested`. Default: the outcome. */
  readonly outcomes?: Partial<Record<Progress.ItemOutcome, string>> | undefined
}

/** One status line for a snapshot (`elapsedMillis` gives the rate). */
export const renderLine = (snapshot: Progress.Snapshot, elapsedMillis: number, wording: Wording = {}): string => {
  const parts: Array<string> = []
  const total = snapshot.bytesPlanned
  if (total > 0) {
    const fraction = snapshot.bytesTransferred / total
    parts.push(`${bar(fraction)} ${Math.floor(fraction * 100)}%`)
    parts.push(`${formatBytes(snapshot.bytesTransferred)}/${formatBytes(total)}`)
    if (elapsedMillis > 500) parts.push(`${formatBytes((snapshot.bytesTransferred * 1000) / elapsedMillis)}/s`)
  }
  const hashing = [...snapshot.hashing].at(-1)
  if (hashing !== undefined) parts.push(hashingPart(hashing[0], hashing[1]))
  const settled = snapshot.ingested + snapshot.skipped + snapshot.failed
  if (snapshot.itemsPlanned > 0) {
    parts.push(`${wording.items ?? "files"} ${settled}/${snapshot.itemsPlanned}`)
    if (snapshot.skipped > 0) parts.push(`${snapshot.skipped} skipped`)
    if (snapshot.failed > 0) parts.push(`${snapshot.failed} failed`)
  }
  if (snapshot.retries > 0) parts.push(`${snapshot.retries} retries`)
  const running = [...snapshot.running.values()].at(-1)
  if (running !== undefined && hashing === undefined) parts.push(running.step)
  return parts.join("  ")
}

export interface ProgressBarOptions {
  /** Draw at all (false for `--quiet`). */
  readonly enabled: boolean
  /** Redraw in place (a terminal) or append lines (a pipe). Default: whether stderr is a TTY. */
  readonly interactive?: boolean | undefined
  /** Where a terminal's redraws go. Default: stderr. (A pipe's lines go to the Console's `error`.) */
  readonly write?: ((text: string) => void) | undefined
  readonly wording?: Wording | undefined
}

/** On a pipe, hashing is reported (at each quarter) only for files this large: small ones hash in a blink. */
const hashLineMinBytes = 16 * 1024 * 1024

/** Runs `effect` with a progress display on stderr, finished (and cleared) when the effect ends. */
export const withProgressBar = <A, E, R>(effect: Effect.Effect<A, E, R>, options: ProgressBarOptions): Effect.Effect<A, E, R> => {
  if (!options.enabled) return effect
  const write = options.write ?? ((text: string) => void process.stderr.write(text))
  const interactive = options.interactive ?? process.stderr.isTTY === true
  const wording = options.wording ?? {}
  return Console.consoleWith((console) => {
    // One line each, through the Console (so a caller that captures it sees them).
    const line = (text: string) => console.error(text)
    let snapshot = Progress.emptySnapshot
    const started = Date.now()
    let lastQuarter = 0
    const hashedQuarters = new Map<string, number>()
    let drawn = false
    const draw = () => {
      const text = renderLine(snapshot, Date.now() - started, wording)
      if (text === "") return
      const columns = process.stderr.columns ?? 120
      write(`\r\x1b[2K${text.length > columns - 1 ? text.slice(0, columns - 1) : text}`)
      drawn = true
    }
    const onEvent = (event: Progress.ProgressEvent) => {
      snapshot = Progress.reduce(snapshot, event)
      if (interactive) return
      if (event._tag === "ItemFinished") {
        const word = wording.outcomes?.[event.outcome] ?? event.outcome
        line(`${word} ${event.item}${event.reason === undefined ? "" : ` (${event.reason})`}`)
      } else if (event._tag === "StepRetrying") {
        line(`retrying ${event.step}${event.item === undefined ? "" : ` for ${event.item}`} (${event.reason})`)
      } else if (event._tag === "BytesHashed" && event.total >= hashLineMinBytes) {
        const quarter = Math.floor((event.hashed / event.total) * 4)
        if (quarter > (hashedQuarters.get(event.item) ?? 0)) {
          hashedQuarters.set(event.item, quarter)
          line(`hashing ${event.item}: ${quarter * 25}% of ${formatBytes(event.total)}`)
        }
      } else if (event._tag === "BytesTransferred" && snapshot.bytesPlanned > 0) {
        const quarter = Math.floor((snapshot.bytesTransferred / snapshot.bytesPlanned) * 4)
        if (quarter > lastQuarter) {
          lastQuarter = quarter
          line(renderLine(snapshot, Date.now() - started, wording))
        }
      }
    }
    const redraw = Effect.sync(draw).pipe(Effect.andThen(Effect.sleep(100)), Effect.forever)
    return Effect.gen(function*() {
      const fiber = interactive ? yield* Effect.forkChild(redraw) : undefined
      return yield* Progress.tap(effect, onEvent).pipe(
        Effect.ensuring(Effect.gen(function*() {
          if (fiber !== undefined) yield* Fiber.interrupt(fiber)
          if (interactive) {
            draw()
            if (drawn) write("\n")
          }
        }))
      )
    })
  })
}
