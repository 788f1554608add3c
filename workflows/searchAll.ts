/**
 * Every hit of a search, as a Stream, past Elasticsearch's 10 000-hit window: `POST /API/search/v1/search/` with a
 * stable sort, then `search_after` = the last hit's `_sort` until a page comes back short.
 */
import type * as Stream from "effect/Stream"
import type * as search from "../src/generated/search.ts"
import type { IconikClient } from "../src/IconikClient.ts"
import type { IconikError } from "../src/IconikError.ts"
import * as Search from "../src/Search.ts"

export interface SearchAllOptions {
  /** Hits per request. Default 100. */
  readonly perPage?: number | undefined
}

/** Every hit of `criteria` (default: all assets), in the criteria's sort order (default: newest first, then id). */
export const searchAll = (
  criteria: search.SearchCriteria = { doc_types: ["assets"] },
  options?: SearchAllOptions
): Stream.Stream<search.SearchDocument, IconikError, IconikClient> =>
  Search.stream(criteria, { perPage: options?.perPage })
