/**
 * Progress bars on stderr for the `iconik` command: the workflows' {@link Progress} events folded into a
 * {@link Progress.Snapshot} and redrawn ten times a second on a terminal; on a pipe or file, one line per settled
 * file and per quarter of the bytes, so logs stay readable. stdout is left to results (`--json`).
 */
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

/** One status line for a snapshot (`elapsedMillis` gives the rate). */
export const renderLine = (snapshot: Progress.Snapshot, elapsedMillis: number): string => {
  const parts: Array<string> = []
  const total = snapshot.bytesPlanned
  if (total > 0) {
    const fraction = snapshot.bytesTransferred / total
    parts.push(`${bar(fraction)} ${Math.floor(fraction * 100)}%`)
    parts.push(`${formatBytes(snapshot.bytesTransferred)}/${formatBytes(total)}`)
    if (elapsedMillis > 500) parts.push(`${formatBytes((snapshot.bytesTransferred * 1000) / elapsedMillis)}/s`)
  }
  const settled = snapshot.ingested + snapshot.skipped + snapshot.failed
  if (snapshot.itemsPlanned > 0) {
    parts.push(`files ${settled}/${snapshot.itemsPlanned}`)
    if (snapshot.skipped > 0) parts.push(`${snapshot.skipped} skipped`)
    if (snapshot.failed > 0) parts.push(`${snapshot.failed} failed`)
  }
  if (snapshot.retries > 0) parts.push(`${snapshot.retries} retries`)
  const running = [...snapshot.running.values()].at(-1)
  if (running !== undefined) parts.push(running.step)
  return parts.join("  ")
}

export interface ProgressBarOptions {
  /** Draw at all (false for `--quiet`). */
  readonly enabled: boolean
  /** Redraw in place (a terminal) or append lines (a pipe). Default: whether stderr is a TTY. */
  readonly interactive?: boolean | undefined
  readonly write?: ((text: string) => void) | undefined
}

/** Runs `effect` with a progress display on stderr, finished (and cleared) when the effect ends. */
export const withProgressBar = <A, E, R>(effect: Effect.Effect<A, E, R>, options: ProgressBarOptions): Effect.Effect<A, E, R> => {
  if (!options.enabled) return effect
  const write = options.write ?? ((text: string) => void process.stderr.write(text))
  const interactive = options.interactive ?? process.stderr.isTTY === true
  return Effect.suspend(() => {
    let snapshot = Progress.emptySnapshot
    const started = Date.now()
    let lastQuarter = 0
    let drawn = false
    const draw = () => {
      const line = renderLine(snapshot, Date.now() - started)
      if (line === "") return
      const columns = process.stderr.columns ?? 120
      write(`\r\x1b[2K${line.length > columns - 1 ? line.slice(0, columns - 1) : line}`)
      drawn = true
    }
    const onEvent = (event: Progress.ProgressEvent) => {
      snapshot = Progress.reduce(snapshot, event)
      if (interactive) return
      if (event._tag === "ItemFinished") {
        write(`${event.outcome} ${event.item}${event.reason === undefined ? "" : ` (${event.reason})`}\n`)
      } else if (event._tag === "StepRetrying") {
        write(`retrying ${event.step}${event.item === undefined ? "" : ` for ${event.item}`} (${event.reason})\n`)
      } else if (event._tag === "BytesTransferred" && snapshot.bytesPlanned > 0) {
        const quarter = Math.floor((snapshot.bytesTransferred / snapshot.bytesPlanned) * 4)
        if (quarter > lastQuarter) {
          lastQuarter = quarter
          write(`${renderLine(snapshot, Date.now() - started)}\n`)
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
