/**
 * `npm run bench [-- section ...]`: runs benchmark sections (each a script in this folder writing
 * bench/results/<section>.json), then rewrites docs/benchmarks.md from every results file, with each section's chart
 * (bench/results/<section>.svg, drawn again from the results file) beside its table. `npm run bench -- --report`
 * only rewrites the document.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { chartFile, resultsDir, type SectionResult, writeChart } from "./harness.ts"

const here = import.meta.dirname
/** Sections whose name has a dash (a dash otherwise marks a helper). */
const dashedSections = ["durable-limits.ts"]
const known = Fs.readdirSync(here)
  // A section is `<name>.ts`; `run.ts`, `harness.ts` and helpers named `<section>-*.ts` are not sections.
  .filter((f) =>
    f.endsWith(".ts") && !["run.ts", "harness.ts"].includes(f) && (!f.includes("-") || dashedSections.includes(f))
  )
  .map((f) => f.replace(/\.ts$/, ""))
  .sort()
const args = process.argv.slice(2).filter((a) => a !== "--")
const reportOnly = args.includes("--report")
const wanted = args.filter((a) => a !== "--report")
const sections = reportOnly ? [] : wanted.length > 0 ? wanted : known
for (const section of sections) {
  if (!known.includes(section)) throw new Error(`unknown bench section ${section}; known: ${known.join(", ")}`)
  console.error(`bench: ${section}`)
  execFileSync(process.execPath, [Path.join(here, `${section}.ts`)], { stdio: "inherit" })
}

const results: Array<SectionResult> = Fs.readdirSync(resultsDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(Fs.readFileSync(Path.join(resultsDir, f), "utf8")))
const lines = [
  "# Benchmarks",
  "",
  "Produced by `npm run bench` (all sections) or `npm run bench -- <section>`; raw figures in `bench/results/`.",
  "Targets are compared side by side in one run (ratios), never by timed assertions in tests.",
  ""
]
for (const r of results) {
  lines.push(`## ${r.title}`, "", `Command: \`${r.command}\` — ${r.date.slice(0, 10)}, ${r.machine}`, "")
  if (r.chart !== undefined) {
    writeChart(r.section, r.chart)
    lines.push(`![${r.chart.title}](../bench/results/${chartFile(r.section)})`, "")
  }
  lines.push("| Metric | Value | Target | Met |", "|---|---|---|---|")
  for (const row of r.rows) {
    lines.push(`| ${row.metric} | ${row.value} | ${row.target ?? ""} | ${row.met === undefined ? "" : row.met ? "yes" : "**no**"} |`)
  }
  lines.push("")
  for (const note of r.notes ?? []) lines.push(note, "")
}
Fs.writeFileSync(Path.join(here, "..", "docs", "benchmarks.md"), lines.join("\n"))
console.error("bench: wrote docs/benchmarks.md")
