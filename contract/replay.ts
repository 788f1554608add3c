/**
 * Replay: runs a recording's flow against the emulator and lists, step by step, where the emulator's answers differ
 * from the recorded ones (status, keys, kinds of values, paging envelopes).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { flowNamed } from "./flows.ts"
import { type Exchange, type Recording, runFlow, type Target } from "./runner.ts"
import { compareShapes } from "./shape.ts"

export const contractDirectory = import.meta.dirname
export const recordingsDirectory = path.join(contractDirectory, "recordings")
export const knownDifferencesFile = path.join(contractDirectory, "known-differences.json")

/** The committed recordings, by file name. */
export const loadRecordings = (): ReadonlyArray<{ readonly file: string; readonly recording: Recording }> =>
  fs.readdirSync(recordingsDirectory)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({ file, recording: JSON.parse(fs.readFileSync(path.join(recordingsDirectory, file), "utf8")) as Recording }))

/** Known differences per recording file, each line as `compare` writes it. */
export type KnownDifferences = Readonly<Record<string, ReadonlyArray<string>>>

export const loadKnownDifferences = (): KnownDifferences =>
  fs.existsSync(knownDifferencesFile) ? JSON.parse(fs.readFileSync(knownDifferencesFile, "utf8")) as KnownDifferences : {}

/** The differences between recorded exchanges and the emulator's, as readable lines prefixed by the step. */
export const compareExchanges = (
  recorded: ReadonlyArray<Exchange>,
  actual: ReadonlyArray<Exchange>,
  openMaps: ReadonlyArray<RegExp> = []
): Array<string> => {
  const out: Array<string> = []
  for (const expected of recorded) {
    if (expected.skipped !== undefined) continue
    const seen = actual.find((exchange) => exchange.step === expected.step)
    if (seen === undefined || seen.skipped !== undefined) {
      out.push(`${expected.step}: not run against the emulator (${seen?.skipped ?? "no such step"})`)
      continue
    }
    if (expected.status !== undefined && seen.status !== expected.status) {
      out.push(`${expected.step}: status recorded ${expected.status}, emulator ${seen.status}`)
    }
    if (expected.response !== undefined) {
      if (seen.response === undefined) out.push(`${expected.step}: recorded a body, the emulator answered none`)
      else out.push(...compareShapes(expected.response, seen.response, "body", openMaps).map((line) => `${expected.step}: ${line}`))
    } else if (expected.status !== undefined && seen.response !== undefined && expected.status !== 204) {
      out.push(`${expected.step}: recorded no body, the emulator answered one`)
    }
  }
  return out
}

/** Runs one recording's flow against `target` (the emulator) and answers the differences. */
export const replay = async (recording: Recording, target: Target): Promise<Array<string>> => {
  const flow = flowNamed(recording.flow)
  if (flow === undefined) return [`no flow named ${recording.flow}: the recording cannot be replayed`]
  const actual = await runFlow(flow, target)
  return compareExchanges(recording.exchanges, actual, flow.openMaps)
}
