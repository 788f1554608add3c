/** Shared bench plumbing: timing statistics and the results file each section writes. */
import * as Fs from "node:fs"
import * as Path from "node:path"

export interface Stats {
  readonly n: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly mean: number
}

export const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return {
    n: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length
  }
}

export interface Row {
  /** What was measured. */
  readonly metric: string
  /** The figure, formatted with its unit. */
  readonly value: string
  /** The target, if the issue sets one. */
  readonly target?: string | undefined
  /** Whether the target is met. */
  readonly met?: boolean | undefined
}

export interface SectionResult {
  readonly section: string
  readonly title: string
  readonly command: string
  readonly date: string
  readonly machine: string
  readonly rows: ReadonlyArray<Row>
  readonly raw: unknown
}

export const resultsDir = Path.join(import.meta.dirname, "results")

export const machine = () => {
  const os = require_os()
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

function require_os(): typeof import("node:os") {
  return process.getBuiltinModule("node:os")
}

export const writeResult = (result: SectionResult) => {
  Fs.mkdirSync(resultsDir, { recursive: true })
  Fs.writeFileSync(Path.join(resultsDir, `${result.section}.json`), JSON.stringify(result, null, 2) + "\n")
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits)
