/**
 * Search: Iconik's Elasticsearch-backed search over assets, collections, segments and saved searches. One page with
 * {@link search}; every hit with {@link stream}, which pages with `search_after` (the only way past the 10 000-hit
 * window) and adds a stable sort when the criteria have none (see Pagination).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Endpoint from "./Endpoint.ts"
import type { CallOptions } from "./Endpoint.ts"
import * as searchService from "./generated/search.ts"
import * as IconikSchema from "./IconikSchema.ts"
import * as Pagination from "./Pagination.ts"

/**
 * A search hit: a flattened document. Besides the spec's few fields it carries whatever the index holds (`status`,
 * `files`, `formats`, `proxies`, `in_collections`…, all kept), `_sort` (the key `search_after` continues from) and
 * `_highlight`.
 */
export type SearchHit = searchService.SearchDocument & {
  readonly _sort?: ReadonlyArray<unknown> | null | undefined
  readonly _highlight?: { readonly [key: string]: unknown } | null | undefined
  readonly [key: string]: unknown
}

/** A page of {@link SearchHit}s. */
export type SearchHits = Omit<searchService.SearchDocuments, "objects"> & {
  readonly objects?: ReadonlyArray<SearchHit> | null | undefined
}

// Iconik's spec declares neither `_sort` nor the flattened fields, and undeclared keys are dropped when decoding, so
// without this `search_after` would never get past the first page. The spec's fields are reused as generated.
const fieldsOf = (schema: Schema.Top): Schema.Struct.Fields =>
  (schema as unknown as Schema.Struct<Schema.Struct.Fields>).fields

const SearchHit = Schema.StructWithRest(
  Schema.Struct({
    ...fieldsOf(searchService.SearchDocument),
    _sort: IconikSchema.optional(Schema.Array(Schema.Unknown)),
    _highlight: IconikSchema.optional(Schema.Record(Schema.String, Schema.Unknown))
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
)

const SearchHits = Schema.Struct({
  ...fieldsOf(searchService.SearchDocuments),
  objects: IconikSchema.optional(Schema.Array(SearchHit))
}) as unknown as Schema.Codec<SearchHits>

type SearchErrorStatus = typeof searchService.search extends Endpoint.Operation<any, any, infer S> ? S : never

const searchKeepingHits = Endpoint.make<Endpoint.Input<typeof searchService.search>, SearchHits, SearchErrorStatus>({
  ...searchService.search.definition,
  success: [{ status: 200, schema: SearchHits }]
})

/**
 * One page of hits. Paging and URL signing are query parameters (`per_page`, `page`, `generate_signed_url`…), the
 * criteria the body, e.g. `{ doc_types: ["assets"], query: "interview" }`. `POST /API/search/v1/search/`
 */
export const search = (
  criteria: searchService.SearchCriteria,
  query?: searchService.SearchQuery,
  options?: CallOptions
) =>
  searchKeepingHits({ body: criteria, query }, options)

/**
 * Every page of hits, each request continuing from the last hit's `_sort`. `query` adds parameters such as
 * `generate_signed_url: false` to every request. `POST /API/search/v1/search/` with `search_after`
 */
export const pages = (
  criteria: searchService.SearchCriteria,
  paging?: Pagination.PagingOptions,
  query?: searchService.SearchQuery
) => Pagination.pages(searchKeepingHits, { body: criteria, query }, paging)

/** Every hit, past Iconik's 10 000-hit window. `POST /API/search/v1/search/` with `search_after` */
export const stream = (
  criteria: searchService.SearchCriteria,
  paging?: Pagination.PagingOptions,
  query?: searchService.SearchQuery
) => Pagination.items(searchKeepingHits, { body: criteria, query }, paging)
