/** Shared bench plumbing: timing statistics, the results file each section writes, the compiler. */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"

export interface Stats {
  readonly n: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly mean: number
}

/** The middle value (the mean of the two middle ones for an even count). */
export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const stats = (samples: ReadonlyArray<number>): Stats => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return {
    n: sorted.length,
    p50: median(sorted),
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
  const cpus = Os.cpus()
  return `${cpus.length} cores (${cpus[0]?.model ?? "?"}), ${Math.round(Os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

/** Writes bench/results/<section>.json, adding the command that reproduces it, the date and the machine. */
export const writeResult = (
  result: Omit<SectionResult, "command" | "date" | "machine">,
  started: Date = new Date()
) => {
  const full: SectionResult = {
    section: result.section,
    title: result.title,
    command: `npm run bench -- ${result.section}`,
    date: started.toISOString(),
    machine: machine(),
    rows: result.rows,
    raw: result.raw
  }
  Fs.mkdirSync(resultsDir, { recursive: true })
  Fs.writeFileSync(Path.join(resultsDir, `${result.section}.json`), JSON.stringify(full, null, 2) + "\n")
}

/** A positive integer from the environment, or `fallback` when unset. */
export const envInt = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`)
  return value
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits)

/** The project root, and its scratch folder (git-ignored) for what the benchmarks write besides their results. */
const root = Path.join(import.meta.dirname, "..")
export const scratchDir = Path.join(root, ".tmp")

/** Runs the project's TypeScript compiler from the project root; seconds taken. */
export const runTsc = (args: ReadonlyArray<string>) => {
  const started = performance.now()
  execFileSync(process.execPath, [Path.join(root, "node_modules", "typescript", "bin", "tsc"), ...args], {
    cwd: root,
    stdio: "inherit"
  })
  return (performance.now() - started) / 1000
}
