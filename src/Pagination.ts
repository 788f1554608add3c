/**
 * Iconik's list operations as Streams, one strategy per paging family (see the operation's `definition.paging`):
 * - `page`: page/per_page; once page 1 tells `pages`, the rest are fetched concurrently (bounded), in order; else
 *   `next_url` is followed, and lists whose answers carry neither (`{objects}` alone) go on while pages come back full;
 * - `search`: `search_after` with the last hit's `_sort`, the only way past Elasticsearch's 10 000-hit window;
 * - `last_id`: cursor of the last item's id (files-service lists), while `next_url` is set (or, where the answer has
 *   no `next_url` at all, while pages come back full);
 * - `last_field_name`: cursor of the last field name (metadata fields);
 * - `scroll` (opt-in where the operation accepts it): `scroll=true` + `scroll_id`, until a page comes back empty.
 *
 * A server is not trusted to end the walk: a cursor that does not advance (the same page answered again) and a walk
 * longer than `maxPages` fail with an {@link IconikPaginationError}, in every family.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Endpoint from "./Endpoint.ts"
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
  /** Items per request, an integer from 1. Default 100 (Iconik caps `per_page` at 1000, some lists at 100). */
  readonly perPage?: number | undefined
  /**
   * Page requests in flight once the page count is known (`page` family), an integer from 1 to 256. Default
   * {@link defaultConcurrency}. The client's rate limiter still paces them.
   */
  readonly concurrency?: number | undefined
  /** Use the legacy scroll API instead of page numbers (operations that accept `scroll_id`). */
  readonly scroll?: boolean | undefined
  /**
   * The most pages one walk requests, an integer from 1. Default {@link defaultMaxPages} (10 million items at 100 per
   * page). A walk that needs more fails with an {@link IconikPaginationError} (`TooManyPages`) instead of requesting
   * page `maxPages + 1`; a page count above it, announced by the first page, fails before any other page is requested.
   */
  readonly maxPages?: number | undefined
}

/** Page requests in flight for a `page`-family list whose page count is known, unless the options say otherwise. */
export const defaultConcurrency = 8

/** Pages one walk requests at most unless {@link PagingOptions.maxPages} says otherwise. */
export const defaultMaxPages = 100_000

/** How a list is walked: the operation's paging family, or `scroll` when asked for. */
export type PagingFamily = Endpoint.PagingFamily | "scroll"

/**
 * A walk the client stopped because the server cannot be trusted to end it, or options that cannot work:
 * - `CursorDidNotAdvance`: the server answered the same page again for the cursor the previous page gave (the same
 *   `search_after` sort values, `last_id`, `last_field_name`, `scroll_id` with the same hits, or `next_url`);
 * - `TooManyPages`: more than `maxPages` pages (announced by `pages`, or met while walking);
 * - `InvalidOption`: a paging option outside its range, or `scroll` on an operation that does not accept it.
 * Pages before the failure were emitted; no page after it is requested.
 */
export class IconikPaginationError extends Schema.TaggedError<IconikPaginationError>()("IconikPaginationError", {
  /** The operation walked, e.g. `search`. */
  operation: Schema.String,
  family: Schema.Literals(["page", "search", "last_id", "last_field_name", "scroll"]),
  reason: Schema.Literals(["CursorDidNotAdvance", "TooManyPages", "InvalidOption"]),
  /** The cursor the server did not move past (`search_after=[…]`, `last_id=…`, `page=7`…), or the page count. */
  cursor: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `${this.operation} (${this.family} paging) at ${this.cursor}: ${this.detail}`
  }
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

/** The items of a page as one comparable text (ids where the items have them), to tell a repeated page. */
const signature = (page: PageEnvelope<unknown>): string =>
  objectsOf(page)
    .map((item) => {
      const id = typeof item === "object" && item !== null && "id" in item ? item.id : undefined
      return typeof id === "string" ? id : JSON.stringify(item)
    })
    .join("\u0000")
const sameItems = (a: PageEnvelope<unknown>, b: PageEnvelope<unknown>) =>
  objectsOf(b).length > 0 && signature(a) === signature(b)

const checkInteger = (name: string, value: number | undefined, min: number, max: number) =>
  value === undefined || (Number.isInteger(value) && value >= min && value <= max)
    ? undefined
    : `${name} must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? "" : ` to ${max}`}, got ${value}`

interface Walk<C, A, E, R> {
  readonly operation: string
  readonly family: PagingFamily
  readonly maxPages: number
  readonly fetch: (cursor: C) => Effect.Effect<A, E, R>
  /** The cursor of the page after `page`, or undefined when `page` is the last. */
  readonly next: (page: A, cursor: C) => C | undefined
  /** Whether `page` repeats `previous`: the server did not move past the cursor. */
  readonly repeats: (previous: A, page: A) => boolean
  readonly describe: (cursor: C) => string
}

type WalkState<C, A> =
  | { readonly _tag: "Fetch"; readonly cursor: C; readonly fetched: number; readonly previous: A | undefined }
  | { readonly _tag: "Stop"; readonly error: IconikPaginationError }

/**
 * Page after page, each request from the cursor the previous page gave. Fails, without emitting it, on a page that
 * repeats the previous one; fails after page `maxPages` rather than requesting another.
 */
const walk = <C, A, E, R>(
  w: Walk<C, A, E, R>,
  start: { readonly cursor: C; readonly fetched: number; readonly previous: A | undefined }
): Stream.Stream<A, E | IconikPaginationError, R> => {
  const fail = (reason: IconikPaginationError["reason"], cursor: string, detail: string) =>
    new IconikPaginationError({ operation: w.operation, family: w.family, reason, cursor, detail })
  if (start.fetched >= w.maxPages) {
    return Stream.fail(fail("TooManyPages", w.describe(start.cursor), `more than maxPages (${w.maxPages}) pages`))
  }
  return Stream.paginate<WalkState<C, A>, A, E | IconikPaginationError, R>(
    { _tag: "Fetch", ...start },
    (state) => {
      if (state._tag === "Stop") return Effect.fail(state.error)
      return Effect.flatMap(w.fetch(state.cursor), (page) => {
        if (state.previous !== undefined && w.repeats(state.previous, page)) {
          const repeated = w.describe(state.cursor)
          return Effect.fail(fail("CursorDidNotAdvance", repeated, "the server answered the same page again"))
        }
        const cursor = w.next(page, state.cursor)
        const fetched = state.fetched + 1
        if (cursor === undefined) return Effect.succeed([[page], Option.none()] as const)
        // Emit this page, then stop instead of requesting one more than allowed.
        const after: WalkState<C, A> = fetched >= w.maxPages
          ? { _tag: "Stop", error: fail("TooManyPages", w.describe(cursor), `more than maxPages (${w.maxPages}) pages`) }
          : { _tag: "Fetch", cursor, fetched, previous: page }
        return Effect.succeed([[page], Option.some(after)] as const)
      })
    }
  )
}

/** Every page of a list operation, in order. */
export const pages = <I, A extends PageEnvelope<unknown>, S extends DeclarableStatus>(
  operation: Operation<I, A, S>,
  input: I,
  options?: PagingOptions
): Stream.Stream<A, IconikErrorFor<S> | IconikPaginationError, IconikClient> => {
  const definition = operation.definition
  const family: PagingFamily = options?.scroll ? "scroll" : (definition.paging ?? "page")
  const invalid = (detail: string) =>
    Stream.fail(
      new IconikPaginationError({ operation: definition.name, family, reason: "InvalidOption", cursor: "none", detail })
    )
  const problem = checkInteger("perPage", options?.perPage, 1, Number.MAX_SAFE_INTEGER) ??
    checkInteger("concurrency", options?.concurrency, 1, 256) ??
    checkInteger("maxPages", options?.maxPages, 1, Number.MAX_SAFE_INTEGER)
  if (problem !== undefined) return invalid(problem)
  const perPage = options?.perPage ?? 100
  const maxPages = options?.maxPages ?? defaultMaxPages
  const call = (i: I) => (operation as (input: I) => Effect.Effect<A, IconikErrorFor<S>, IconikClient>)(i)
  const common = { operation: definition.name, family, maxPages }

  if (options?.scroll) {
    if (!definition.scroll) return invalid(`${definition.name} does not accept scroll_id`)
    return walk({
      ...common,
      fetch: (scrollId: string | undefined) =>
        call(withQuery(input, { per_page: perPage, scroll: true, ...(scrollId ? { scroll_id: scrollId } : {}) })),
      next: (page) => (objectsOf(page).length === 0 || !page.scroll_id ? undefined : page.scroll_id),
      // Elasticsearch may keep one scroll_id for the whole scroll: only the same id with the same hits is a repeat.
      repeats: (previous, page) => previous.scroll_id === page.scroll_id && sameItems(previous, page),
      describe: (scrollId) => `scroll_id=${scrollId ?? ""}`
    }, { cursor: undefined, fetched: 0, previous: undefined })
  }

  switch (definition.paging) {
    case "search": {
      const body = ((input as ListInput | undefined)?.body ?? {}) as Record<string, unknown>
      const sorted = { ...body, sort: body.sort ?? defaultSearchSort }
      type Hit = { readonly _sort?: ReadonlyArray<unknown> | null }
      const lastSort = (page: A) => (objectsOf(page) as ReadonlyArray<Hit>).at(-1)?._sort
      return walk({
        ...common,
        fetch: (after: ReadonlyArray<unknown> | undefined) => {
          const request = { ...(input as ListInput), body: after ? { ...sorted, search_after: after } : sorted }
          return call(withQuery(request as I, { per_page: perPage, page: 1 }))
        },
        next: (page) => {
          const last = lastSort(page)
          return objectsOf(page).length < perPage || !last || last.length === 0 ? undefined : last
        },
        repeats: (previous, page) => JSON.stringify(lastSort(previous)) === JSON.stringify(lastSort(page)),
        describe: (after) => `search_after=${JSON.stringify(after ?? null)}`
      }, { cursor: undefined, fetched: 0, previous: undefined })
    }
    case "last_id": {
      const lastId = (page: A) => (objectsOf(page) as ReadonlyArray<{ readonly id?: string | null }>).at(-1)?.id
      return walk({
        ...common,
        fetch: (cursor: string | undefined) =>
          call(withQuery(input, { per_page: perPage, ...(cursor ? { last_id: cursor } : {}) })),
        next: (page) => {
          const last = lastId(page)
          return objectsOf(page).length === 0 || !last || !hasMore(page, perPage) ? undefined : last
        },
        repeats: (previous, page) => lastId(previous) === lastId(page),
        describe: (cursor) => `last_id=${cursor ?? ""}`
      }, { cursor: undefined, fetched: 0, previous: undefined })
    }
    case "last_field_name": {
      const lastName = (page: A) => (objectsOf(page) as ReadonlyArray<{ readonly name?: string | null }>).at(-1)?.name
      return walk({
        ...common,
        fetch: (cursor: string | undefined) =>
          call(withQuery(input, { per_page: perPage, ...(cursor ? { last_field_name: cursor } : {}) })),
        next: (page) => {
          const last = lastName(page)
          return objectsOf(page).length < perPage || !last ? undefined : last
        },
        repeats: (previous, page) => lastName(previous) === lastName(page),
        describe: (cursor) => `last_field_name=${cursor ?? ""}`
      }, { cursor: undefined, fetched: 0, previous: undefined })
    }
    case "page":
      return Stream.unwrap(
        call(withQuery(input, { per_page: perPage, page: 1 })).pipe(Effect.map((first) => {
          const known = first.pages
          if (typeof known === "number" && known > maxPages) {
            // Refuse up front: never schedule more page requests than allowed (a bogus `pages` of 100 000 000).
            return Stream.fail(
              new IconikPaginationError({
                ...common,
                reason: "TooManyPages",
                cursor: `pages=${known}`,
                detail: `the first page announces more than maxPages (${maxPages}) pages`
              })
            )
          }
          if (typeof known === "number" && known > 1) {
            // Page count known: fetch the rest concurrently, keeping their order.
            const rest = Stream.range(2, known).pipe(
              Stream.mapEffect((page) => call(withQuery(input, { per_page: perPage, page })), {
                concurrency: options?.concurrency ?? defaultConcurrency
              })
            )
            return Stream.concat(Stream.succeed(first), rest)
          }
          if (typeof known === "number" || objectsOf(first).length === 0) return Stream.succeed(first)
          // Page count unknown: go on while next_url is set (or, without one, while pages are full).
          return Stream.concat(
            Stream.succeed(first),
            hasMore(first, perPage)
              ? walk({
                ...common,
                fetch: (page: number) => call(withQuery(input, { per_page: perPage, page })),
                next: (a, page) => (objectsOf(a).length === 0 || !hasMore(a, perPage) ? undefined : page + 1),
                // A server that ignores `page` answers the same items, or points at the same next_url, again.
                repeats: (previous, a) =>
                  (typeof a.next_url === "string" && a.next_url !== "" && a.next_url === previous.next_url) ||
                  sameItems(previous, a),
                describe: (page) => `page=${page}`
              }, { cursor: 2, fetched: 1, previous: first }).pipe(Stream.catchIf(isPastTheEnd, () => Stream.empty))
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
): Stream.Stream<ItemOf<A>, IconikErrorFor<S> | IconikPaginationError, IconikClient> =>
  pages(operation, input, options).pipe(Stream.flatMap((page) => Stream.fromIterable(objectsOf(page) as ReadonlyArray<ItemOf<A>>)))
