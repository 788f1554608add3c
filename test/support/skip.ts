/** Titles that say why a suite is skipped, so a green run does not hide what it left out. */

/** `title`, or `title (skipped: reason)` when there is a reason to skip. */
export const skipTitle = (title: string, reason: string | undefined): string =>
  reason === undefined ? title : `${title} (skipped: ${reason})`

/**
 * The RadosGW the S3 suites run against, from `RGW_ENDPOINT`. Start one as `.ci/run` does:
 *
 *   export "$(scripts/rgw-up.sh)"    # RGW_ENDPOINT=http://127.0.0.1:7480; scripts/rgw-down.sh stops it
 */
export const rgwEndpoint: string | undefined = process.env.RGW_ENDPOINT

/** Why the RadosGW suites are skipped, if they are. */
export const rgwSkipReason: string | undefined = rgwEndpoint === undefined
  ? "set RGW_ENDPOINT; scripts/rgw-up.sh starts one"
  : undefined
