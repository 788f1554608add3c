/**
 * Secrets that must not reach errors, logs or spans beyond the Auth-Token header: presigned storage URLs carry
 * credentials in their query strings, and Iconik's answers hand out such URLs (`upload_url`, part URLs).
 */

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

/** Names of query parameters that are credentials in presigned S3, GCS, Azure SAS and resumable-session URLs. */
const secretParameter = new RegExp(
  `\\b(${
    [
      "X-Amz-Signature",
      "X-Amz-Credential",
      "X-Amz-Security-Token",
      "Signature",
      "X-Goog-Signature",
      "X-Goog-Credential",
      "GoogleAccessId",
      "sig",
      "upload_id",
      "uploadId"
    ].join("|")
  })=[^&\\s"'<>]*`,
  "gi"
)

/** Removes URL query strings and credential-like parameters from free text (provider messages, socket errors). */
export const scrubSecrets = (text: string): string =>
  text
    .replace(/(https?:\/\/[^\s?#"'<>]*)\?[^\s"'<>]*/gi, "$1?<redacted>")
    .replace(secretParameter, "$1=<redacted>")
