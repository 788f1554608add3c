/**
 * How the `iconik` command explains a failure: one or two lines for a human (what happened and what to do about
 * it), a stable exit code per kind of failure, and a JSON form for `--json`. Nothing here prints credentials: the
 * errors never carry the token, and storage URLs in errors are already stripped of their query strings.
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import type { Definition } from "../Endpoint.ts"
import { allDefinitions } from "../generated/index.ts"

/** Exit codes (documented in docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  /** Anything without a code of its own (5xx, transport, defects). */
  Failure: 1,
  /** Bad usage: missing credentials, invalid flags or input. */
  Usage: 2,
  Unauthorized: 3,
  Forbidden: 4,
  NotFound: 5,
  RateLimited: 6,
  Storage: 7,
  LocalFile: 8,
  /** A batch finished but some items failed, or a verification failed. */
  Partial: 9,
  /** A job ended FAILED or ABORTED. */
  JobFailed: 10,
  /** The durable engine's database: unreachable, refused the connection, or holds no engine. */
  Database: 11,
  Interrupted: 130
} as const

export interface Explained {
  readonly code: number
  /** The error's tag, for `--json`. */
  readonly tag: string
  readonly message: string
  /** What to do about it, when there is something to say. */
  readonly hint?: string | undefined
}

type Tagged = { readonly _tag: string; readonly message?: string } & Record<string, unknown>

const isTagged = (u: unknown): u is Tagged =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"

// Path templates → regexes, to name the operation (and its roles / objects) behind an error's method + path.
interface Matcher {
  readonly definition: Definition
  readonly regex: RegExp
}
let matchers: ReadonlyArray<Matcher> | undefined
const templateRegex = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "([^/]+)")}$`)
const normalize = (path: string) => {
  const bare = path.replace(/[?#].*$/, "")
  return bare.endsWith("/") ? bare : `${bare}/`
}

/** The generated operation an error's method and path belong to (fewest path parameters wins a tie). */
const operationFor = (method: string, path: string): Matcher | undefined => {
  matchers ??= allDefinitions.map((definition) => ({ definition, regex: templateRegex(definition.path) }))
  const normalized = normalize(path)
  let best: Matcher | undefined
  for (const m of matchers) {
    if (m.definition.method !== method || !m.regex.test(normalized)) continue
    if (best === undefined || m.definition.pathParams.length < best.definition.pathParams.length) best = m
  }
  return best
}

/** `asset <id>` for the last id in a path, e.g. `/API/assets/v1/assets/{asset_id}/`. */
const objectIn = (matcher: Matcher | undefined, path: string): string | undefined => {
  if (matcher === undefined || matcher.definition.pathParams.length === 0) return undefined
  const values = matcher.regex.exec(normalize(path))
  if (values === null) return undefined
  const index = matcher.definition.pathParams.length - 1
  const name = matcher.definition.pathParams[index]!
  return `${name.replace(/_id$/, "").replace(/_/g, " ")} ${decodeURIComponent(values[index + 1] ?? "")}`
}

const describeHttp = (error: Tagged): string => {
  const errors = error.errors
  if (errors === undefined) return ""
  const list = Array.isArray(errors) ? errors.map(String) : Object.entries(errors as object).map(([k, v]) => `${k}: ${String(v)}`)
  return list.length === 0 ? "" : ` — ${list.join("; ")}`
}

/** Explains any failure a command can end with. */
export const explain = (error: unknown): Explained => {
  if (!isTagged(error)) {
    const message = error instanceof Error ? error.message : String(error)
    return { code: ExitCode.Failure, tag: "Error", message: message.trim() === "" ? "unexpected error (no details given)" : message }
  }
  const method = String(error.method ?? "")
  const path = String(error.path ?? "")
  const where = method === "" ? path : `${method} ${path}`
  switch (error._tag) {
    case "IconikUnauthorized":
      return {
        code: ExitCode.Unauthorized,
        tag: error._tag,
        message: `Iconik refused the credentials (401) on ${where}`,
        hint: "check ICONIK_AUTH_TOKEN (and ICONIK_APP_ID, ICONIK_BASE_URL): the token may be wrong, expired or for another region"
      }
    case "IconikForbidden": {
      const roles = operationFor(method, path)?.definition.roles ?? []
      return {
        code: ExitCode.Forbidden,
        tag: error._tag,
        message: `Iconik denied ${where} (403)${describeHttp(error)}`,
        hint: roles.length > 0
          ? `the user behind the token needs the role${roles.length > 1 ? "s" : ""} ${roles.join(", ")} (or access to the object)`
          : "the user behind the token lacks a role or access to the object"
      }
    }
    case "IconikNotFound": {
      const object = objectIn(operationFor(method, path), path)
      return {
        code: ExitCode.NotFound,
        tag: error._tag,
        message: object === undefined ? `Not found (404): ${where}` : `Not found (404): ${object} (${where})`,
        hint: "check the id, and that the token's user can see it"
      }
    }
    case "IconikRateLimited":
      return {
        code: ExitCode.RateLimited,
        tag: error._tag,
        message: `Rate limited by Iconik (429) on ${where}, still after retries`,
        hint: "lower --concurrency or try again later; Iconik allows about 50 requests per second per App-ID"
      }
    case "IconikBadRequest":
    case "IconikConflict":
    case "IconikUnexpectedStatus":
    case "IconikServerError":
      // A 404 for an id given in the body (a missing `--collection-id` on POST …/assets/) arrives here when the
      // operation does not declare 404: it is still "not found".
      if (error.status === 404) {
        return {
          code: ExitCode.NotFound,
          tag: error._tag,
          message: `Not found (404): ${where}${describeHttp(error)}`,
          hint: "check the ids given (--collection-id, --storage-id, …), and that the token's user can see them"
        }
      }
      return {
        code: ExitCode.Failure,
        tag: error._tag,
        message: `Iconik answered ${String(error.status)} to ${where}${describeHttp(error)}`
      }
    case "IconikTransportError":
      return {
        code: ExitCode.Failure,
        tag: error._tag,
        message: `Could not reach Iconik: ${where}: ${String(error.reason)} (${String(error.detail)})`,
        hint: "check ICONIK_BASE_URL / --base-url and the network"
      }
    case "IconikPaginationError":
      return {
        code: error.reason === "InvalidOption" ? ExitCode.Usage : ExitCode.Failure,
        tag: error._tag,
        message: String(error.message)
      }
    case "IconikDeadlineExceeded":
    case "IconikResponseTooLarge":
      return { code: ExitCode.Failure, tag: error._tag, message: String(error.message) }
    case "InvalidOption":
    case "MetadataImportError":
    case "CsvParseError":
    case "IconikInvalidRequest":
    case "IconikConfigError":
    case "ConfigError":
    case "MissingCredentials":
    case "UsageError":
      return { code: ExitCode.Usage, tag: error._tag, message: String(error.message) }
    case "StorageError":
      return {
        code: ExitCode.Storage,
        tag: error._tag,
        message: `Storage (${String(error.provider)}) refused ${String(error.operation)}: ${String(error.status)}${
          error.code === undefined ? "" : ` ${String(error.code)}`
        }${error.detail === undefined ? "" : ` — ${String(error.detail)}`}`,
        hint: "the upload was aborted and its Iconik record marked FAILED or deleted (with --keep-on-failure: kept, so a rerun resumes)"
      }
    case "StorageTransportError":
    case "StorageProtocolError":
    case "StorageDeadlineExceeded":
    case "StorageResponseTooLarge":
      return { code: ExitCode.Storage, tag: error._tag, message: String(error.message) }
    case "LocalFileError":
    case "StorageFileError":
      return { code: ExitCode.LocalFile, tag: error._tag, message: String(error.message) }
    case "JobFailed":
      return { code: ExitCode.JobFailed, tag: error._tag, message: String(error.message) }
    case "VerificationFailed":
    case "BatchIncomplete":
      return { code: ExitCode.Partial, tag: error._tag, message: String(error.message) }
    case "DatabaseUnreachable":
      return {
        code: ExitCode.Database,
        tag: error._tag,
        message: String(error.message),
        hint: "check --database / DATABASE_URL (host, port, user, password, database name) and that PostgreSQL runs"
      }
    case "EngineTablesMissing":
      return {
        code: ExitCode.Database,
        tag: error._tag,
        message: String(error.message),
        hint: "check the database name; `iconik worker --database …` makes the tables when it first starts"
      }
    case "RunNotFound":
      return { code: ExitCode.NotFound, tag: error._tag, message: String(error.message), hint: "`iconik runs` lists the runs" }
    case "ServeError":
      return { code: ExitCode.Failure, tag: error._tag, message: serveMessage(error.cause) }
    default:
      return { code: ExitCode.Failure, tag: error._tag, message: messageOf(error) }
  }
}

/** Node's own error for a server that could not listen (`code`, `address`, `port`). */
const serveMessage = (cause: unknown): string => {
  const { address, code, port } = (typeof cause === "object" && cause !== null ? cause : {}) as {
    readonly address?: unknown
    readonly code?: unknown
    readonly port?: unknown
  }
  const where = port === undefined ? "the port" : `port ${String(port)}${address === undefined ? "" : ` on ${String(address)}`}`
  switch (code) {
    case "EADDRINUSE":
      return `${where} is in use: stop what listens there or pick another --port (0: any free port)`
    case "EACCES":
      return `not allowed to listen on ${where}: ports below 1024 need privileges`
    case "EADDRNOTAVAIL":
      return `cannot listen on ${where}: no such address on this machine (--host)`
    default:
      return `the server could not start${cause instanceof Error && cause.message !== "" ? `: ${cause.message}` : ""}`
  }
}

/** An error's own message, or, when it has none, its tag and cause: never an empty line. */
const messageOf = (error: Tagged): string => {
  if (typeof error.message === "string" && error.message.trim() !== "") return error.message
  const cause = error.cause
  const why = cause instanceof Error && cause.message.trim() !== "" ? cause.message : undefined
  return why === undefined ? `${error._tag} (no details given)` : `${error._tag}: ${why}`
}

/** Explains how a command's Effect ended (typed failure, interruption or defect). */
export const explainCause = (cause: Cause.Cause<unknown>): Explained => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) return explain(failure.value)
  if (Cause.hasInterruptsOnly(cause)) return { code: ExitCode.Interrupted, tag: "Interrupted", message: "Interrupted" }
  const defect = Cause.squash(cause)
  const message = defect instanceof Error ? defect.message : String(defect)
  return {
    code: ExitCode.Failure,
    tag: "Defect",
    message: message.trim() === "" ? `unexpected ${defect instanceof Error ? defect.name : "failure"} (no details given)` : message
  }
}
