/**
 * Why a soak run failed, read from its typed error, the step that failed first and the fault the emulator or the
 * object store logged for the request: its tag, where (Iconik method and spec template, or storage provider and
 * operation), and whether the cause is retryable by design. Every fault the soak injects is transient (429, 503,
 * resets, truncated bodies, failing parts), and the design says a transient fault costs a retry, never the upload: a
 * run that fails on one is a defect, whether the client retried and gave up or never retried at all.
 */
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { isRetryable } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import { isTransient, type StorageFailure } from "../src/storage/StorageError.ts"
import type { ObjectStore, RecordedRequest } from "../src/testing/index.ts"

export interface Failure {
  /** The error's tag, `Defect`, `Interrupted` or `RunTimeout`. */
  readonly tag: string
  /** The workflow step that failed first (innermost), when one reported. */
  readonly step: string | undefined
  /** `POST /API/assets/v1/assets/`, `S3 UploadPart`, … */
  readonly where: string
  /** Status, transport reason or storage code. */
  readonly detail: string
  /** The fault injected on that request, if the log shows one. */
  readonly injected: string | undefined
  readonly retryableByDesign: boolean
  /** Why it is (not) retryable, and what the client's own policy does with it. */
  readonly why: string
}

const iconikTags = new Set([
  "IconikBadRequest",
  "IconikUnauthorized",
  "IconikForbidden",
  "IconikNotFound",
  "IconikConflict",
  "IconikRateLimited",
  "IconikServerError",
  "IconikUnexpectedStatus",
  "IconikTransportError",
  "IconikDecodeError"
])
const storageTags = new Set(["StorageError", "StorageTransportError", "StorageFileError", "StorageProtocolError"])

const stripQuery = (path: string) => path.split("?")[0]!

/** The last Iconik request with this method and path, from the emulator's log. */
const lastRequest = (log: ReadonlyArray<RecordedRequest>, method: string, path: string) => {
  const wanted = stripQuery(path)
  for (let i = log.length - 1; i >= 0; i--) {
    const r = log[i]!
    if (r.method === method && stripQuery(r.path) === wanted) return r
  }
  return undefined
}

/** The last faulted request with this method and path, and how many such requests were sent up to it. */
const faultedRequest = (log: ReadonlyArray<RecordedRequest>, method: string, path: string) => {
  const wanted = stripQuery(path)
  const same = log.filter((r) => r.method === method && stripQuery(r.path) === wanted)
  for (let i = same.length - 1; i >= 0; i--) {
    const r = same[i]!
    if (r.fault !== undefined && r.fault !== "Latency") return { request: r, attempts: i + 1 }
  }
  return { request: undefined, attempts: same.length }
}

const faultLabel = (r: RecordedRequest) => (r.fault === "Status" ? `Status ${r.status}` : r.fault!)

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

const classifyIconik = (error: IconikError, log: ReadonlyArray<RecordedRequest>) => {
  const method = "method" in error ? error.method : "?"
  const path = "path" in error ? error.path : "?"
  const template = lastRequest(log, method, path)?.template ?? stripQuery(path).replace(uuid, "{id}")
  const { request: faulted, attempts } = faultedRequest(log, method, path)
  const injected = faulted === undefined ? undefined : faultLabel(faulted)
  const detail = "status" in error ? String(error.status) : "reason" in error ? error.reason : ""
  const policy = isRetryable(method, error)
    ? `the client retries it (${attempts} attempts)`
    : `the client does not retry it (${method}, ${attempts} attempt${attempts === 1 ? "" : "s"})`
  let transient: string | undefined
  switch (error._tag) {
    case "IconikRateLimited":
      transient = "429: Iconik did not act"
      break
    case "IconikServerError":
      if ([502, 503, 504].includes(error.status)) {
        transient = faulted?.fault === "Status" || faulted?.fault === "Html"
          ? `${error.status} from a proxy or busy Iconik that did not act`
          : `${error.status}`
      }
      break
    case "IconikTransportError":
      if (error.reason !== "Other") transient = `connection ${error.reason}${faulted?.fault === "Reset" ? " after Iconik acted" : ""}`
      break
    case "IconikDecodeError":
      if (faulted?.fault === "TruncatedBody") transient = "2xx body cut short after Iconik acted"
      break
  }
  return {
    where: `${method} ${template}`,
    detail,
    injected,
    retryableByDesign: transient !== undefined,
    why: transient === undefined ? `not transient; ${policy}` : `transient (${transient}); ${policy}`
  }
}

/** The object store's names for the storage client's GCS operations (the others share their names). */
const storeOperations: Record<string, string> = {
  StartResumableUpload: "ResumableStart",
  UploadChunk: "ResumableChunk",
  QueryResumableUpload: "ResumableStatus"
}

const classifyStorage = (error: StorageFailure, storageLog: ReadonlyArray<ObjectStore.RequestRecord>) => {
  const operation = "operation" in error ? error.operation : "?"
  const provider = "provider" in error ? error.provider : "?"
  const detail = error._tag === "StorageError"
    ? `${error.status}${error.code === undefined ? "" : ` ${error.code}`}`
    : error._tag === "StorageTransportError"
    ? error.reason
    : error._tag === "StorageFileError"
    ? error.reason
    : error._tag === "StorageDeadlineExceeded"
    ? `deadline after ${error.attempts} attempt(s)`
    : error._tag === "StorageResponseTooLarge"
    ? `answer above ${error.limitBytes} bytes`
    : error.detail
  const logged = storeOperations[operation] ?? operation
  const faulted = [...storageLog].reverse().find((r) =>
    r.operation === logged && r.fault !== undefined && r.fault !== "Delay"
  )
  const transient = isTransient(error)
  // Attempts at the faulted object (and part), when the log shows which one it was.
  const attempts = faulted === undefined ? undefined : storageLog.filter((r) =>
    r.operation === logged && r.bucket === faulted.bucket && r.key === faulted.key &&
    r.partNumber === faulted.partNumber
  ).length
  const tries = attempts === undefined ? "" : ` (${attempts} attempt${attempts === 1 ? "" : "s"})`
  return {
    where: `${provider} ${operation}`,
    detail,
    injected: faulted === undefined ? undefined : `${faulted.fault}${faulted.status === 0 ? "" : ` ${faulted.status}`}`,
    retryableByDesign: transient,
    why: transient
      ? `transient storage failure${attempts === 1 ? ": never retried" : tries}`
      : `not transient${tries}`
  }
}

/** The failure of a run's exit (`undefined` when it succeeded). */
export const classify = (
  exit: Exit.Exit<unknown, unknown>,
  step: string | undefined,
  log: ReadonlyArray<RecordedRequest>,
  storageLog: ReadonlyArray<ObjectStore.RequestRecord>
): Failure | undefined => {
  if (exit._tag === "Success") return undefined
  const error = Cause.findErrorOption(exit.cause)
  if (Option.isNone(error)) {
    const interrupted = Cause.hasInterruptsOnly(exit.cause)
    return {
      tag: interrupted ? "Interrupted" : "Defect",
      step,
      where: "",
      detail: interrupted ? "" : Cause.pretty(exit.cause).split("\n")[0] ?? "",
      injected: undefined,
      retryableByDesign: false,
      why: interrupted ? "interrupted" : "a defect: not a typed failure"
    }
  }
  const value = error.value as { readonly _tag?: unknown; readonly message?: unknown }
  const tag = typeof value._tag === "string" ? value._tag : "Unknown"
  if (iconikTags.has(tag)) return { tag, step, ...classifyIconik(value as IconikError, log) }
  if (storageTags.has(tag)) return { tag, step, ...classifyStorage(value as StorageFailure, storageLog) }
  return {
    tag,
    step,
    where: "",
    detail: typeof value.message === "string" ? value.message.slice(0, 120) : "",
    injected: undefined,
    retryableByDesign: false,
    why: "not an Iconik or storage failure"
  }
}

/** The failure that a run which ran past its time limit counts as. */
export const timedOut = (step: string | undefined, seconds: number): Failure => ({
  tag: "RunTimeout",
  step,
  where: "",
  detail: `still running after ${seconds} s`,
  injected: undefined,
  retryableByDesign: false,
  why: "the run was interrupted at its time limit"
})

/** The key failures are grouped by in the report. */
export const groupKey = (f: Failure): string =>
  [
    f.retryableByDesign ? "retryable" : "permanent",
    f.step === undefined ? "-" : `step "${f.step}"`,
    `${f.tag}${f.detail === "" ? "" : ` ${f.detail}`}`,
    f.where,
    f.injected === undefined ? "" : `[injected ${f.injected}]`,
    `— ${f.why}`
  ].filter((s) => s !== "").join(" | ")

/** Adds one to `record[key]`. */
export const count = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1
}

/** A count's entries, most first (then by key). */
export const sorted = (record: Record<string, number>) =>
  Object.entries(record).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))

/** The report's lines for what broke an invariant, by cause. */
export const violationLines = (
  violations: Record<"corrupt" | "duplicated" | "orphaned", Record<string, number>>
): ReadonlyArray<string> =>
  (["corrupt", "duplicated", "orphaned"] as const).flatMap((invariant) => {
    const causes = sorted(violations[invariant])
    return causes.length === 0
      ? []
      : [`  ${invariant}, by cause:`, ...causes.map(([cause, n]) => `    ${String(n).padStart(4)} × ${cause}`)]
  })
