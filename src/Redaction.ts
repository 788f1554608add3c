/**
 * The one scrubber for text that leaves the process: error messages and bodies, log lines, span attributes, the
 * CLI's output. Presigned storage URLs carry credentials in their query strings and Iconik's answers (and its error
 * bodies) can quote them; an error body can also quote the caller's own token. Structured secrets stay `Redacted`
 * and header names go through `Headers.CurrentRedactedNames` (effect redacts those itself); this module is for
 * free text, where a secret can only be found by its value or its shape.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Headers from "effect/http/Headers"
import * as UrlParams from "effect/http/UrlParams"

/** What stands in for a removed secret. */
export const redacted = "<redacted>"

/** A value known to be secret (the client's token): removed wherever it appears, as given or URL-encoded. */
export type Secret = string | Redacted.Redacted<string> | undefined

/** `scheme://host/path` of a URL: drops the query string (signatures, SAS tokens, upload ids), fragment and userinfo. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    const cut = url.search(/[?#]/)
    return cut === -1 ? url : url.slice(0, cut)
  }
}

/**
 * Names of parameters that are credentials: presigned S3, GCS, Azure SAS and resumable-session URLs, and the
 * token / password fields of Iconik's auth and webhook payloads when a body is quoted as `name=value` or `"name": "value"`.
 */
export const secretParameterNames: ReadonlyArray<string> = [
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token",
  "Signature",
  "X-Goog-Signature",
  "X-Goog-Credential",
  "GoogleAccessId",
  "sig",
  "upload_id",
  "uploadId",
  "auth_token",
  "access_token",
  "refresh_token",
  "authorizationToken",
  "authorization_token",
  "password"
]
const secretNames = secretParameterNames.join("|")
const secretParameter = new RegExp(`\\b(${secretNames})=[^&\\s"'<>]*`, "gi")
const secretJsonField = new RegExp(`("(?:${secretNames})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*`, "gi")

/** Header names whose values are credentials (effect already redacts `authorization`, `cookie`, `x-api-key`). */
export const secretHeaderNames: ReadonlyArray<string> = ["auth-token", "authorization", "x-bz-auth-token"]

/**
 * Runs `effect` with effect's own redaction extended to these names: HTTP client spans then show `<redacted>` for
 * the headers and URL parameters above (effect's URL defaults know the signatures, not `upload_id` or GCS credentials).
 */
export const withRedactedNames = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.updateService(Headers.CurrentRedactedNames, (names) => [...names, ...secretHeaderNames]),
    Effect.updateService(UrlParams.CurrentRedactedNames, (names) => [...names, ...secretParameterNames])
  )

/** `Auth-Token: …` or `Authorization: Bearer …` quoted from request headers. */
const secretHeader = /\b(Auth-Token|Authorization|X-Bz-Auth-Token)(\s*[:=]\s*)(?:(Bearer|Basic)\s+)?[^\s,;"'<>]+/gi
/** A bearer credential has a digit somewhere: "Bearer authentication" in prose is left alone. */
const bearer = /\b(Bearer)\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/g
/** Three base64url segments whose first decodes to `{"…`: a JWT, which is what Iconik's auth tokens are. */
const jwt = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g
const urlQuery = /(https?:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi

/** Secrets shorter than this are not searched for: a one-letter "token" would shred the text and hide nothing. */
const minSecretLength = 4

const secretValues = (secrets: Iterable<Secret>): ReadonlyArray<string> => {
  const values = new Set<string>()
  for (const secret of secrets) {
    const value = secret === undefined ? undefined : Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    if (value === undefined || value.trim().length < minSecretLength) continue
    values.add(value)
    values.add(encodeURIComponent(value))
  }
  // Longest first, so a secret containing another is removed whole.
  return [...values].sort((a, b) => b.length - a.length)
}

const scrubWith = (text: string, values: ReadonlyArray<string>): string => {
  let out = text
  for (const value of values) if (out.includes(value)) out = out.split(value).join(redacted)
  return out
    .replace(urlQuery, `$1?${redacted}`)
    .replace(secretParameter, `$1=${redacted}`)
    .replace(secretJsonField, `$1${redacted}`)
    .replace(secretHeader, (_, name: string, sep: string, scheme: string | undefined) =>
      `${name}${sep}${scheme === undefined ? "" : `${scheme} `}${redacted}`)
    .replace(bearer, `$1 ${redacted}`)
    .replace(jwt, redacted)
}

/**
 * Removes from free text: the given secrets (e.g. the client's token), URL query strings, credential parameters,
 * quoted `Auth-Token` / `Authorization` headers, bearer credentials and JWT-shaped tokens.
 */
export const scrubSecrets = (text: string, secrets: Iterable<Secret> = []): string =>
  scrubWith(text, secretValues(secrets))

/** Structures deeper than this are cut (a hostile body cannot make the scrubber recurse without end). */
const maxDepth = 32

/**
 * {@link scrubSecrets} over every string of a JSON-like value (object keys included): for bodies an error carries
 * and annotations a log line carries. Other values are kept as they are.
 */
export const scrubValue = (value: unknown, secrets: Iterable<Secret> = []): unknown => {
  const values = secretValues(secrets)
  const go = (u: unknown, depth: number): unknown => {
    if (typeof u === "string") return scrubWith(u, values)
    if (u === null || typeof u !== "object" || Redacted.isRedacted(u)) return u
    if (depth >= maxDepth) return redacted
    if (Array.isArray(u)) return u.map((item) => go(item, depth + 1))
    if (Object.getPrototypeOf(u) !== Object.prototype && Object.getPrototypeOf(u) !== null) return u
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(u)) out[scrubWith(key, values)] = go(item, depth + 1)
    return out
  }
  return go(value, 0)
}
