/**
 * Every hit of a search, as a Stream, past Elasticsearch's 10 000-hit window: `POST /API/search/v1/search/` with a
 * stable sort, then `search_after` = the last hit's `_sort` until a page comes back short.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as search from "../src/generated/search.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import type { IconikPaginationError } from "../src/Pagination.ts"
import * as Search from "../src/Search.ts"
import * as Options from "./Options.ts"

export interface SearchAllOptions {
  /** Hits per request, 1 to 1000 (Iconik's cap). Default 100. */
  readonly perPage?: number | undefined
  /**
   * Requests at most, from 1. Default 100 000 (10 million hits at 100 per page). A search that needs more fails with
   * an `IconikPaginationError` (`TooManyPages`) after the last allowed page, without requesting another.
   */
  readonly maxPages?: number | undefined
}

/**
 * Every hit of `criteria` (default: all assets), in the criteria's sort order (default: newest first, then id). A
 * server that answers the same page again (ignoring `search_after`) fails the stream with an `IconikPaginationError`
 * (`CursorDidNotAdvance`) instead of looping; bad options fail with `InvalidOption` before the first request.
 */
export const searchAll = (
  criteria: search.SearchCriteria = { doc_types: ["assets"] },
  options?: SearchAllOptions
): Stream.Stream<search.SearchDocument, IconikError | IconikPaginationError | Options.InvalidOption, IconikClient> =>
  Stream.unwrap(
    Effect.all([
      Options.integer("perPage", options?.perPage, { min: 1, max: 1000 }),
      Options.integer("maxPages", options?.maxPages, { min: 1, max: Number.MAX_SAFE_INTEGER, describe: "1 or more" })
    ]).pipe(Effect.map(([perPage, maxPages]) => Search.stream(criteria, { perPage, maxPages })))
  )
