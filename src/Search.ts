/**
 * Search: Iconik's Elasticsearch-backed search over assets, collections, segments and saved searches. One page with
 * {@link search}; every hit with {@link stream}, which pages with `search_after` (the only way past the 10 000-hit
 * window) and adds a stable sort when the criteria have none (see Pagination).
 *
 * A hit is the flattened index document: besides the spec's fields it keeps whatever the index holds (`status`,
 * `files`, `proxies`, `in_collections`…), `_sort` (the key `search_after` continues from) and `_highlight`.
 *
 * Paging options ({@link Pagination.PagingOptions}): `perPage` (default 100) and `maxPages` (default
 * {@link Pagination.defaultMaxPages}). A server that answers the same page again (ignoring `search_after`) fails the
 * stream with an `IconikPaginationError` (`CursorDidNotAdvance`) instead of looping; a search needing more than
 * `maxPages` requests fails with `TooManyPages` after the last allowed page.
 *
 * @since 0.1.0
 */
import type { CallOptions } from "./Endpoint.ts"
import * as searchService from "./generated/search.ts"
import * as Pagination from "./Pagination.ts"

/** A search hit (see the module note). */
export type SearchHit = searchService.SearchDocument

/**
 * One page of hits. Paging and URL signing are query parameters (`per_page`, `page`, `generate_signed_url`…), the
 * criteria the body, e.g. `{ doc_types: ["assets"], query: "interview" }`. `POST /API/search/v1/search/`
 */
export const search = (
  criteria: searchService.SearchCriteria,
  query?: searchService.SearchQuery,
  options?: CallOptions
) => searchService.search({ body: criteria, query }, options)

/**
 * Every page of hits, each request continuing from the last hit's `_sort`. `query` adds parameters such as
 * `generate_signed_url: false` to every request. `POST /API/search/v1/search/` with `search_after`
 */
export const pages = (
  criteria: searchService.SearchCriteria,
  paging?: Pagination.PagingOptions,
  query?: searchService.SearchQuery
) => Pagination.pages(searchService.search, { body: criteria, query }, paging)

/** Every hit, past Iconik's 10 000-hit window. `POST /API/search/v1/search/` with `search_after` */
export const stream = (
  criteria: searchService.SearchCriteria,
  paging?: Pagination.PagingOptions,
  query?: searchService.SearchQuery
) => Pagination.items(searchService.search, { body: criteria, query }, paging)
