/**
 * Signing primitives shared by the protocol modules: one HMAC-SHA256 key per store, a canonical form for
 * (method, path, query), sealed tokens (B2 authorization tokens), and the date formats the providers put in URLs.
 *
 * The scheme is the store's own, not AWS SigV4 or Google V4 (see docs/decisions/0003-object-store-signing.md): the
 * URLs carry each provider's parameter names (`X-Amz-Signature`, `X-Goog-Signature`, `sig`/`se`, B2 tokens) so
 * clients and log redaction see familiar shapes, while the host is left out of the signature so one URL works
 * in-process and over a socket.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

export interface SigningKey {
  readonly secret: Buffer
}

/** A key from a fixed secret (reproducible URLs) or a random one. */
export const makeSigningKey = (secret?: string | undefined): SigningKey => ({
  secret: secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8")
})

export const hmac = (key: SigningKey, data: string): Buffer => createHmac("sha256", key.secret).update(data).digest()

/** Constant-time comparison of two signature strings. */
export const sameSignature = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** RFC 3986 percent-encoding, as SigV4 canonical requests use it. */
export const encodeRfc3986 = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** The store-relative path of an object, e.g. `/s3/proxies/assets/a%20b.mp4`; `/` in keys stays a separator. */
export const objectPath = (provider: string, bucket: string, key: string): string =>
  `/${encodeRfc3986(provider)}/${encodeRfc3986(bucket)}${key === "" ? "" : "/" + key.split("/").map(encodeRfc3986).join("/")}`

/** Query parameters as `a=1&b=2`, sorted by name then value, limited to the names `include` accepts. */
export const canonicalQuery = (params: URLSearchParams, include: (name: string) => boolean): string =>
  [...params.entries()]
    .filter(([name]) => include(name))
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
    .join("&")

/** What gets signed. `method` is omitted for schemes that bind permissions instead of a verb (Azure SAS). */
export const stringToSign = (options: {
  readonly scheme: string
  readonly method: string | undefined
  readonly path: string
  readonly query: string
}): string => [options.scheme, options.method ?? "*", options.path, options.query].join("\n")

/** Builds a query string in the given order (URLs stay readable: protocol parameters first, signature last). */
export const formatQuery = (entries: ReadonlyArray<readonly [string, string]>): string =>
  entries.map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`).join("&")

// ---------------------------------------------------------------------------------------------------------------
// Sealed tokens: `<payload>.<mac>`, both base64url, the payload a JSON object of claims.

export const sealToken = (key: SigningKey, prefix: string, claims: Record<string, string | number>): string => {
  const payload = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url")
  return `${prefix}${payload}.${hmac(key, `token\n${prefix}${payload}`).toString("base64url")}`
}

/** The claims of a token this key sealed, or undefined when it was forged, altered or is not a token. */
export const openToken = (
  key: SigningKey,
  prefix: string,
  token: string
): Record<string, unknown> | undefined => {
  if (!token.startsWith(prefix)) return undefined
  const dot = token.lastIndexOf(".")
  if (dot < 0) return undefined
  const payload = token.slice(prefix.length, dot)
  const expected = hmac(key, `token\n${prefix}${payload}`).toString("base64url")
  if (!sameSignature(expected, token.slice(dot + 1))) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Dates as the providers write them

/** `20260102T030405Z` (X-Amz-Date, X-Goog-Date). */
export const compactDate = (millis: number): string =>
  new Date(millis).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "")

export const parseCompactDate = (value: string): number | undefined => {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s] = match
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
}

/** `2026-01-02T03:04:05Z` (Azure `st` / `se`). */
export const isoSeconds = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

export const parseIso = (value: string): number | undefined => {
  const millis = Date.parse(value)
  return Number.isNaN(millis) ? undefined : millis
}

/** RFC 7231 date (`Last-Modified`, Azure `Time:` lines). */
export const httpDate = (millis: number): string => new Date(millis).toUTCString()

/** An opaque random id (upload ids, request ids). */
export const randomId = (bytes = 16): string => randomBytes(bytes).toString("base64url")

/**
 * The V4-shaped query signing S3 and GCS share: `<prefix>-Algorithm`, `-Credential`, `-Date`, `-Expires`,
 * `-SignedHeaders`, then `-Signature` over method, path and every other parameter. Only the names differ.
 */
export interface V4Style {
  readonly scheme: string
  /** `X-Amz` or `X-Goog`. */
  readonly prefix: string
  readonly algorithm: string
  /** The credential for a `YYYYMMDD` date, e.g. `EMULATOR/20260101/us-east-1/s3/aws4_request`. */
  readonly credential: (day: string) => string
}

const v4Signature = (key: SigningKey, style: V4Style, method: string, path: string, query: URLSearchParams) =>
  hmac(
    key,
    stringToSign({
      scheme: style.scheme,
      method,
      path,
      query: canonicalQuery(query, (name) => name !== `${style.prefix}-Signature`)
    })
  ).toString("hex")

/** The signed query string for `method path` with the operation's own parameters first. */
export const presignV4 = (key: SigningKey, style: V4Style, options: {
  readonly method: string
  readonly path: string
  readonly params: ReadonlyArray<readonly [string, string]>
  readonly signedHeaders: string
  readonly now: number
  readonly expiresInSeconds: number
}): string => {
  const date = compactDate(options.now)
  const entries: Array<readonly [string, string]> = [
    ...options.params,
    [`${style.prefix}-Algorithm`, style.algorithm],
    [`${style.prefix}-Credential`, style.credential(date.slice(0, 8))],
    [`${style.prefix}-Date`, date],
    [`${style.prefix}-Expires`, String(options.expiresInSeconds)],
    [`${style.prefix}-SignedHeaders`, options.signedHeaders]
  ]
  const signature = v4Signature(key, style, options.method, options.path, new URLSearchParams(entries.map(([k, v]) => [k, v])))
  return formatQuery([...entries, [`${style.prefix}-Signature`, signature]])
}

/** Why a V4-style signed query is refused; each provider words it in its own error format. */
export type V4Refusal =
  | { readonly _tag: "Unsigned" }
  | { readonly _tag: "Mismatch" }
  | { readonly _tag: "Malformed" }
  | { readonly _tag: "Expired"; readonly expiresIn: number; readonly expiresAt: number }

/** Checks a V4-style signed query at `now`: `undefined` when it is valid. */
export const checkV4 = (
  key: SigningKey,
  style: V4Style,
  request: { readonly method: string; readonly path: string; readonly query: URLSearchParams; readonly now: number }
): V4Refusal | undefined => {
  const signature = request.query.get(`${style.prefix}-Signature`)
  if (signature === null) return { _tag: "Unsigned" }
  if (!sameSignature(v4Signature(key, style, request.method, request.path, request.query), signature)) {
    return { _tag: "Mismatch" }
  }
  const signedAt = parseCompactDate(request.query.get(`${style.prefix}-Date`) ?? "")
  const expiresIn = Number(request.query.get(`${style.prefix}-Expires`))
  if (signedAt === undefined || !Number.isFinite(expiresIn)) return { _tag: "Malformed" }
  const expiresAt = signedAt + expiresIn * 1000
  return request.now > expiresAt ? { _tag: "Expired", expiresIn, expiresAt } : undefined
}
