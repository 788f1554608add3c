/**
 * Iconik's list operations as Streams, one strategy per paging family (see the operation's `definition.paging`):
 * - `page`: page/per_page; once page 1 tells `pages`, the rest are fetched concurrently (bounded), in order; else
 *   `next_url` is followed, and lists whose answers carry neither (`{objects}` alone) go on while pages come back full;
 * - `search`: `search_after` with the last hit's `_sort`, the only way past Elasticsearch's 10 000-hit window;
 * - `last_id`: cursor of the last item's id (files-service lists), while `next_url` is set (or, where the answer has
 *   no `next_url` at all, while pages come back full);
 * - `last_field_name`: cursor of the last field name (metadata fields);
 * - `scroll` (opt-in where the operation accepts it): `scroll=true` + `scroll_id`, until a page comes back empty.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { Operation } from "./Endpoint.ts"
import type { DeclarableStatus, IconikErrorFor } from "./IconikError.ts"
import type { IconikClient } from "./IconikClient.ts"

/** The envelope every paged Iconik list answers with (fields nominal on cursor families). */
export interface PageEnvelope<T> {
  readonly objects?: ReadonlyArray<T> | null | undefined
  readonly page?: number | null | undefined
  readonly pages?: number | null | undefined
  readonly per_page?: number | null | undefined
  readonly total?: number | null | undefined
  readonly next_url?: string | null | undefined
  readonly scroll_id?: string | null | undefined
}

export interface PagingOptions {
  /** Items per request. Default 100. */
  readonly perPage?: number | undefined
  /** Page requests in flight once the page count is known (`page` family). Default 4. */
  readonly concurrency?: number | undefined
  /** Use the legacy scroll API instead of page numbers (operations that accept `scroll_id`). */
  readonly scroll?: boolean | undefined
}

type ItemOf<A> = A extends PageEnvelope<infer T> ? T : never
type ListInput = { readonly query?: Record<string, unknown> | undefined; readonly body?: unknown }

const withQuery = <I>(input: I, query: Record<string, unknown>): I => {
  const base = (input ?? {}) as ListInput
  return { ...base, query: { ...base.query, ...query } } as I
}

const objectsOf = <T>(page: PageEnvelope<T>): ReadonlyArray<T> => page.objects ?? []
/** A page says whether more follow through `next_url`; an answer without that field, by being full. */
const hasMore = (page: PageEnvelope<unknown>, perPage: number) =>
  page.next_url === undefined
    ? objectsOf(page).length >= perPage
    : typeof page.next_url === "string" && page.next_url !== ""
/** Past the last page Iconik answers 404 ("Requested page does not exist"): a page-by-page walk ends there. */
const isPastTheEnd = (error: unknown) =>
  typeof error === "object" && error !== null && "status" in error && error.status === 404

/** The default sort added to a search that has none, so `search_after` has a stable, unique order. */
export const defaultSearchSort = [{ name: "date_created", order: "desc" }, { name: "id", order: "asc" }] as const

/** Every page of a list operation, in order. */
export const pages = <I, A extends PageEnvelope<unknown>, S extends DeclarableStatus>(
  operation: Operation<I, A, S>,
  input: I,
  options?: PagingOptions
): Stream.Stream<A, IconikErrorFor<S>, IconikClient> => {
  const definition = operation.definition
  const perPage = options?.perPage ?? 100
  const call = (i: I) => (operation as (input: I) => Effect.Effect<A, IconikErrorFor<S>, IconikClient>)(i)
  const one = <St>(a: A): readonly [ReadonlyArray<A>, Option.Option<St>] => [[a], Option.none()]
  const next = <St>(a: A, s: St): readonly [ReadonlyArray<A>, Option.Option<St>] => [[a], Option.some(s)]

  if (options?.scroll) {
    if (!definition.scroll) {
      return Stream.die(new Error(`${definition.name} does not accept scroll_id`))
    }
    return Stream.paginate(undefined as string | undefined, (scrollId) =>
      call(withQuery(input, { per_page: perPage, scroll: true, ...(scrollId ? { scroll_id: scrollId } : {}) })).pipe(
        Effect.map((page) =>
          objectsOf(page).length === 0 || !page.scroll_id ? one(page) : next(page, page.scroll_id)
        )
      ))
  }

  switch (definition.paging) {
    case "search": {
      const body = ((input as ListInput | undefined)?.body ?? {}) as Record<string, unknown>
      const sorted = { ...body, sort: body.sort ?? defaultSearchSort }
      return Stream.paginate(undefined as ReadonlyArray<unknown> | undefined, (after) => {
        const request = { ...(input as ListInput), body: after ? { ...sorted, search_after: after } : sorted }
        return call(withQuery(request as I, { per_page: perPage, page: 1 })).pipe(
          Effect.map((page) => {
            const hits = objectsOf(page) as ReadonlyArray<{ readonly _sort?: ReadonlyArray<unknown> | null }>
            const last = hits[hits.length - 1]?._sort
            return hits.length < perPage || !last || last.length === 0 ? one(page) : next(page, last)
          })
        )
      })
    }
    case "last_id":
      return Stream.paginate(undefined as string | undefined, (lastId) =>
        call(withQuery(input, { per_page: perPage, ...(lastId ? { last_id: lastId } : {}) })).pipe(
          Effect.map((page) => {
            const items = objectsOf(page) as ReadonlyArray<{ readonly id?: string | null }>
            const last = items[items.length - 1]?.id
            return items.length === 0 || !last || !hasMore(page, perPage) ? one(page) : next(page, last)
          })
        ))
    case "last_field_name":
      return Stream.paginate(undefined as string | undefined, (lastName) =>
        call(withQuery(input, { per_page: perPage, ...(lastName ? { last_field_name: lastName } : {}) })).pipe(
          Effect.map((page) => {
            const items = objectsOf(page) as ReadonlyArray<{ readonly name?: string | null }>
            const last = items[items.length - 1]?.name
            return items.length < perPage || !last ? one(page) : next(page, last)
          })
        ))
    case "page":
      return Stream.unwrap(
        call(withQuery(input, { per_page: perPage, page: 1 })).pipe(Effect.map((first) => {
          const known = first.pages
          if (typeof known === "number" && known > 1) {
            // Page count known: fetch the rest concurrently, keeping their order.
            const rest = Stream.range(2, known).pipe(
              Stream.mapEffect((page) => call(withQuery(input, { per_page: perPage, page })), {
                concurrency: options?.concurrency ?? 4
              })
            )
            return Stream.concat(Stream.succeed(first), rest)
          }
          if (typeof known === "number" || objectsOf(first).length === 0) return Stream.succeed(first)
          // Page count unknown: go on while next_url is set (or, without one, while pages are full).
          return Stream.concat(
            Stream.succeed(first),
            hasMore(first, perPage)
              ? Stream.paginate(2, (page) =>
                call(withQuery(input, { per_page: perPage, page })).pipe(
                  Effect.map((a) =>
                    objectsOf(a).length === 0 || !hasMore(a, perPage) ? one<number>(a) : next(a, page + 1)
                  )
                )).pipe(Stream.catchIf(isPastTheEnd, () => Stream.empty))
              : Stream.empty
          )
        }))
      )
    default:
      return Stream.fromEffect(call(input))
  }
}

/** Every item of every page of a list operation, in order. */
export const items = <I, A extends PageEnvelope<unknown>, S extends DeclarableStatus>(
  operation: Operation<I, A, S>,
  input: I,
  options?: PagingOptions
): Stream.Stream<ItemOf<A>, IconikErrorFor<S>, IconikClient> =>
  pages(operation, input, options).pipe(Stream.flatMap((page) => Stream.fromIterable(objectsOf(page) as ReadonlyArray<ItemOf<A>>)))
