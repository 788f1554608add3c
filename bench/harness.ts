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
  /** Drawn to bench/results/<section>.svg and shown beside the table. */
  readonly chart?: Chart | undefined
  /** Paragraphs shown under the table: how the figures were taken, what limits them. */
  readonly notes?: ReadonlyArray<string> | undefined
  readonly raw: unknown
}

export const resultsDir = Path.join(import.meta.dirname, "results")

export const machine = () => {
  const cpus = Os.cpus()
  return `${cpus.length} cores (${cpus[0]?.model ?? "?"}), ${Math.round(Os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`
}

/**
 * Writes bench/results/<section>.json, adding the command that reproduces it, the date and the machine, and the
 * section's chart as bench/results/<section>.svg.
 */
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
    ...(result.chart === undefined ? {} : { chart: result.chart }),
    ...(result.notes === undefined ? {} : { notes: result.notes }),
    raw: result.raw
  }
  Fs.mkdirSync(resultsDir, { recursive: true })
  Fs.writeFileSync(Path.join(resultsDir, `${result.section}.json`), JSON.stringify(full, null, 2) + "\n")
  if (result.chart !== undefined) writeChart(result.section, result.chart)
}

// ---------------------------------------------------------------------------------------------------------------
// Charts: hand-written SVG, no dependency

/** Contenders side by side, in groups (e.g. one per file size) that each get their own scale. */
export interface Chart {
  readonly title: string
  /** Unit of the samples, shown on the axes (e.g. `s`). */
  readonly unit: string
  readonly groups: ReadonlyArray<{
    readonly label: string
    /** One bar per contender at the median of its samples, the samples as dots and their range as a line. */
    readonly bars: ReadonlyArray<{ readonly label: string; readonly samples: ReadonlyArray<number> }>
  }>
}

/** The chart file of a section, relative to bench/results. */
export const chartFile = (section: string) => `${section}.svg`

export const writeChart = (section: string, chart: Chart) => {
  Fs.mkdirSync(resultsDir, { recursive: true })
  Fs.writeFileSync(Path.join(resultsDir, chartFile(section)), renderChart(chart))
}

const palette = ["#2166ac", "#e08214", "#7f7f7f", "#1b7837", "#762a83", "#b2182b"]

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
const tickStep = (max: number, count = 5) => {
  const rough = max / count
  const power = 10 ** Math.floor(Math.log10(rough))
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!
}

/** Trims a tick label: `0.5`, `2`, `120`. */
const tickLabel = (n: number) => String(Number(n.toPrecision(6)))

export const renderChart = (chart: Chart): string => {
  const width = 760
  const labelWidth = 190
  const left = labelWidth + 10
  const plotWidth = width - left - 110
  const rowHeight = 24
  const barHeight = 14
  const out: Array<string> = []
  let y = 28
  out.push(`<text x="10" y="${y}" class="title">${escapeXml(chart.title)}</text>`)
  y += 14
  for (const group of chart.groups) {
    const all = group.bars.flatMap((bar) => bar.samples)
    const step = tickStep(Math.max(...all, Number.MIN_VALUE))
    const top = Math.ceil((Math.max(...all) * 1.02) / step) * step || step
    const x = (value: number) => left + (value / top) * plotWidth
    y += 22
    out.push(`<text x="10" y="${y}" class="group">${escapeXml(group.label)}</text>`)
    y += 8
    const plotTop = y
    const plotBottom = plotTop + group.bars.length * rowHeight
    for (let tick = 0; tick <= top + step / 1e6; tick += step) {
      out.push(
        `<line x1="${x(tick).toFixed(1)}" y1="${plotTop}" x2="${x(tick).toFixed(1)}" y2="${plotBottom}" class="grid"/>`,
        `<text x="${x(tick).toFixed(1)}" y="${plotBottom + 14}" class="tick">${tickLabel(tick)}</text>`
      )
    }
    out.push(`<text x="${left + plotWidth + 8}" y="${plotBottom + 14}" class="unit">${escapeXml(chart.unit)}</text>`)
    group.bars.forEach((bar, i) => {
      const rowTop = plotTop + i * rowHeight
      const middle = rowTop + rowHeight / 2
      const value = median(bar.samples)
      const color = palette[i % palette.length]!
      out.push(
        `<text x="${labelWidth}" y="${middle + 4}" class="label">${escapeXml(bar.label)}</text>`,
        `<rect x="${left}" y="${middle - barHeight / 2}" width="${(x(value) - left).toFixed(1)}" height="${barHeight}" fill="${color}" fill-opacity="0.8"><title>${
          escapeXml(`${bar.label}: median ${tickLabel(value)} ${chart.unit} of ${bar.samples.length}`)
        }</title></rect>`,
        `<line x1="${x(Math.min(...bar.samples)).toFixed(1)}" y1="${middle}" x2="${
          x(Math.max(...bar.samples)).toFixed(1)
        }" y2="${middle}" class="range"/>`,
        ...bar.samples.map((sample) => `<circle cx="${x(sample).toFixed(1)}" cy="${middle}" r="2.5" class="sample"/>`),
        `<text x="${(Math.max(x(Math.max(...bar.samples)), x(value)) + 8).toFixed(1)}" y="${middle + 4}" class="value">${
          escapeXml(`${value.toPrecision(3)} ${chart.unit}`)
        }</text>`
      )
    })
    y = plotBottom + 22
  }
  y += 6
  out.push(
    `<text x="10" y="${y}" class="note">Bars: median; dots: each repetition; line: their range. Each group has its own scale.</text>`
  )
  const height = y + 12
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    "<style>",
    ".title { font-size: 15px; font-weight: 600; } .group { font-size: 13px; font-weight: 600; }",
    ".label { text-anchor: end; } .tick { text-anchor: middle; fill: #555; font-size: 11px; }",
    ".unit { fill: #555; font-size: 11px; } .value { fill: #222; } .note { fill: #555; font-size: 11px; }",
    ".grid { stroke: #ddd; stroke-width: 1; } .range { stroke: #222; stroke-width: 1.5; }",
    ".sample { fill: #fff; stroke: #222; stroke-width: 1; }",
    "</style>",
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...out,
    "</svg>",
    ""
  ].join("\n")
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
