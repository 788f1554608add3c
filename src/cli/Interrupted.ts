/**
 * The line `ingest` and `upload-proxy` print on stderr after Ctrl-C (once the workflow's own clean-up has run): what
 * was cleaned up or kept, and whether running the command again resumes. It is told by what actually happened: the
 * workflow's step events (upload interrupted, record marked FAILED, asset deleted) and Iconik's answers to the
 * clean-up requests (which ids), plus the checkpoint a kept upload leaves beside the file.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Checkpoint from "../../workflows/Checkpoint.ts"
import type * as Progress from "../../workflows/Progress.ts"
import { IconikClient } from "../IconikClient.ts"
import * as Output from "./Output.ts"

const cleanupSteps = ["mark file failed", "mark proxy failed", "delete file", "delete proxy", "delete asset"]

/** The id a request path ends with, under `segment` (`/assets/{id}/`), if it is that kind of path. */
const idAfter = (url: string, segment: string): string | undefined => {
  const path = url.replace(/[?#].*$/, "")
  const match = new RegExp(`/${segment}/([^/]+)/?$`).exec(path)
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1])
}

export interface Tracker {
  /** Feed every progress event of the command here. */
  readonly onEvent: (event: Progress.ProgressEvent) => void
  /** Feed every Iconik answer here (method, URL, status). */
  readonly onResponse: (method: string, url: string, status: number) => void
  /** The line to print after an interruption. */
  readonly report: Effect.Effect<void, never, FileSystem.FileSystem | IconikClient>
}

export interface TrackerOptions {
  readonly command: "ingest" | "upload-proxy"
  /** `--keep-on-failure`: the partial upload is left for a rerun. */
  readonly keep: boolean
  /** The file or folder given: a single file's kept upload has its checkpoint beside it. */
  readonly path: string
}

export const make = (options: TrackerOptions): Tracker => {
  const kind = options.command === "ingest" ? "file" : "proxy"
  /** Completed steps, with how often (a folder settles each file on its own). */
  const completed = new Map<string, number>()
  const failedCleanup: Array<string> = []
  let uploadsInterrupted = 0
  const deletedAssets: Array<string> = []
  const patched = { files: [] as Array<string>, proxies: [] as Array<string> }
  const deleted = { files: [] as Array<string>, proxies: [] as Array<string> }

  const onEvent = (event: Progress.ProgressEvent) => {
    if (event._tag === "StepCompleted") completed.set(event.step, (completed.get(event.step) ?? 0) + 1)
    else if (event._tag === "StepFailed") {
      // fillRecord's whole-upload step, one per file (not a part's).
      if (event.reason === "Interrupted" && event.step === `upload ${kind}`) uploadsInterrupted++
      if (cleanupSteps.includes(event.step)) failedCleanup.push(event.step)
    }
  }

  const onResponse = (method: string, url: string, status: number) => {
    if (status < 200 || status >= 300) return
    const asset = idAfter(url, "assets")
    const file = idAfter(url, "files")
    const proxy = idAfter(url, "proxies")
    if (method === "DELETE" && asset !== undefined) deletedAssets.push(asset)
    if (method === "PATCH" && file !== undefined) patched.files.push(file)
    if (method === "PATCH" && proxy !== undefined) patched.proxies.push(proxy)
    if (method === "DELETE" && file !== undefined) deleted.files.push(file)
    if (method === "DELETE" && proxy !== undefined) deleted.proxies.push(proxy)
  }

  const workflow = options.command === "ingest" ? "ingestFile" : "uploadProxy"
  const ids = (list: ReadonlyArray<string>) => [...new Set(list)].join(", ")

  const keptLine = (folder: boolean) => Effect.gen(function*() {
    if (folder) {
      return uploadsInterrupted === 0
        ? "Interrupted: nothing was uploading; run the same command again to ingest the files not in yet"
        : `Interrupted: kept ${uploadsInterrupted} partial upload${uploadsInterrupted === 1 ? "" : "s"} and their checkpoints; ` +
          "run the same command again to resume them (files already in are skipped)"
    }
    const client = yield* IconikClient
    const found = yield* Checkpoint.load(options.path, workflow, client.baseUrl)
    if (Option.isNone(found)) return "Interrupted before anything was made in Iconik; nothing to clean up"
    const { header } = found.value
    if (header.recordId === "") {
      return `Interrupted: asset ${header.assetId} has no upload yet; run the same command again: it removes that asset and starts over`
    }
    return `Interrupted: kept the partial upload (${kind} ${header.recordId} on asset ${header.assetId}) and its checkpoint; ` +
      "run the same command again to resume it"
  })

  const cleanedLine = (folder: boolean) => {
    const done: Array<string> = []
    const times = (step: string) => completed.get(step) ?? 0
    // One file: the ids Iconik's answers named. A folder: counts (its other files' records were CLOSED, by PATCHes too).
    const which = (what: string, count: number, list: ReadonlyArray<string>) =>
      folder ? `${count} ${what}${count === 1 ? "" : "s"}` : `${what} ${ids(list)}`
    if (uploadsInterrupted > 0) done.push(`aborted the upload${uploadsInterrupted === 1 ? "" : "s"}`)
    const marked = times(`mark ${kind} failed`)
    if (marked > 0) done.push(`marked ${which(kind, marked, kind === "file" ? patched.files : patched.proxies)} FAILED`)
    const removed = times(`delete ${kind}`)
    if (removed > 0) done.push(`deleted ${which(kind, removed, kind === "file" ? deleted.files : deleted.proxies)}`)
    if (deletedAssets.length > 0) done.push(`deleted ${which("asset", new Set(deletedAssets).size, deletedAssets)}`)
    const rerun = folder
      ? "run the same command again to ingest the files not in yet"
      : "a rerun starts over"
    const trouble = failedCleanup.length === 0
      ? ""
      : ` (could not ${[...new Set(failedCleanup)].join(", ")}: check it in Iconik)`
    if (done.length > 0) {
      const last = done.pop()!
      return `Interrupted: ${done.length === 0 ? last : `${done.join(", ")} and ${last}`}${trouble}; ${rerun}`
    }
    if (times(`close ${kind}`) > 0) {
      return `Interrupted after the upload was CLOSED: kept it${trouble}; a job it started runs on in Iconik`
    }
    return `Interrupted before any upload started${trouble}; nothing left in Iconik by this run; ${rerun}`
  }

  const report = Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(options.path))
    const folder = Option.isSome(info) && info.value.type === "Directory"
    yield* Output.note(options.keep ? yield* keptLine(folder) : cleanedLine(folder))
  })
  return { onEvent, onResponse, report }
}
