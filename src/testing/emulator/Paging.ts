/**
 * Iconik's list envelopes: the `page` family (page/per_page, host-relative `*_url`s, 404 past the last page, legacy
 * scroll), the `last_id` cursor of the files service and the `last_field_name` cursor of metadata fields.
 */
import * as Effect from "effect/Effect"
import type { ScrollSnapshot } from "./Records.ts"
import { ApiFailure, failure } from "./Reply.ts"
import type { Query, RouteContext } from "./Route.ts"

export interface PageRequest {
  readonly page: number
  readonly perPage: number
}

export interface PageOptions {
  /** Default 10. */
  readonly defaultPerPage?: number | undefined
  /** Larger `per_page` values fail with 400 (e.g. 100 on jobs). */
  readonly maxPerPage?: number | undefined
}

export const readPage = (query: Query, options?: PageOptions): Effect.Effect<PageRequest, ApiFailure> =>
  Effect.gen(function*() {
    const page = (yield* query.int("page", { min: 1 })) ?? 1
    const perPage = (yield* query.int("per_page", { min: 1, max: options?.maxPerPage })) ?? options?.defaultPerPage ?? 10
    return { page, perPage }
  })

/** The request's path and query with some parameters replaced (others keep their order), host-relative. */
export const urlWith = (context: RouteContext, replace: Readonly<Record<string, string | number | undefined>>): string => {
  const params = new URLSearchParams()
  for (const [name, value] of context.query.params) if (!(name in replace)) params.append(name, value)
  for (const [name, value] of Object.entries(replace)) if (value !== undefined) params.append(name, String(value))
  const text = params.toString()
  return text === "" ? context.path : `${context.path}?${text}`
}

export const pageDoesNotExist = (): ApiFailure => failure(404, "Requested page does not exist")

/** One page of `items` in the `page` envelope, or 404 past the last page. */
export const pageOf = <A>(
  context: RouteContext,
  items: ReadonlyArray<A>,
  request: PageRequest,
  extra?: Readonly<Record<string, unknown>>
): Effect.Effect<Record<string, unknown>, ApiFailure> => {
  const total = items.length
  const pages = Math.ceil(total / request.perPage)
  if (request.page > Math.max(1, pages)) return Effect.fail(pageDoesNotExist())
  const start = (request.page - 1) * request.perPage
  const at = (page: number) => urlWith(context, { page, per_page: request.perPage })
  const envelope: Record<string, unknown> = {
    objects: items.slice(start, start + request.perPage),
    page: request.page,
    pages,
    per_page: request.perPage,
    total,
    first_url: at(1),
    last_url: at(Math.max(1, pages)),
    ...extra
  }
  // Absent rather than null: the spec does not mark these nullable.
  if (request.page > 1) envelope.prev_url = at(request.page - 1)
  if (request.page < pages) envelope.next_url = at(request.page + 1)
  return Effect.succeed(envelope)
}

export type { ScrollSnapshot } from "./Records.ts"

/**
 * The legacy scroll API: `scroll=true` takes a snapshot and answers its first `per_page` items with a `scroll_id`;
 * `scroll_id` continues it; an exhausted scroll answers an empty page.
 */
export const scrollOf = <A>(
  context: RouteContext,
  items: ReadonlyArray<A>,
  perPage: number
): Effect.Effect<Record<string, unknown>, ApiFailure> =>
  Effect.suspend(() => {
    const scrolls = context.state.scrolls
    const given = context.query.string("scroll_id")
    let scrollId = given
    let snapshot: ScrollSnapshot | undefined
    if (given !== undefined) {
      snapshot = scrolls.get(given)
      if (snapshot === undefined) return Effect.fail(failure(400, "Scroll id is invalid or has expired"))
    } else {
      scrollId = context.state.ids.uuid(context.now)
      snapshot = { items, offset: 0 }
      scrolls.set(scrollId, snapshot)
    }
    const objects = snapshot.items.slice(snapshot.offset, snapshot.offset + perPage)
    snapshot.offset += objects.length
    if (objects.length === 0) scrolls.delete(scrollId!)
    return Effect.succeed({ objects, per_page: perPage, total: snapshot.items.length, scroll_id: scrollId })
  })

/** A `page`-family list that also honours `scroll=true` / `scroll_id` where the operation accepts them. */
export const listPage = <A>(
  context: RouteContext,
  items: ReadonlyArray<A>,
  options?: PageOptions & { readonly extra?: Readonly<Record<string, unknown>> }
): Effect.Effect<Record<string, unknown>, ApiFailure> =>
  Effect.flatMap(readPage(context.query, options), (request) =>
    context.query.flag("scroll") || context.query.has("scroll_id")
      ? scrollOf(context, items, request.perPage)
      : pageOf(context, items, request, options?.extra))

/**
 * The files service's `last_id` cursor: items ordered by id, those after `last_id`, `per_page` (default 10) of them;
 * `next_url` while more remain.
 */
export const lastIdPage = <A extends { readonly id: string }>(
  context: RouteContext,
  items: ReadonlyArray<A>
): Effect.Effect<Record<string, unknown>, ApiFailure> =>
  Effect.map(context.query.int("per_page", { min: 1 }), (given) => {
    const perPage = given ?? 10
    const lastId = context.query.string("last_id")
    const ordered = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const rest = lastId === undefined ? ordered : ordered.filter((item) => item.id > lastId)
    const objects = rest.slice(0, perPage)
    const envelope: Record<string, unknown> = {
      objects,
      per_page: perPage,
      total: items.length,
      first_url: urlWith(context, { per_page: perPage, last_id: undefined })
    }
    if (rest.length > perPage) envelope.next_url = urlWith(context, { per_page: perPage, last_id: objects[objects.length - 1]!.id })
    return envelope
  })

/** Metadata fields' `last_field_name` cursor: ordered by name, `per_page` default 500. */
export const fieldNamePage = <A extends { readonly name: string }>(
  context: RouteContext,
  items: ReadonlyArray<A>
): Effect.Effect<Record<string, unknown>, ApiFailure> =>
  Effect.map(context.query.int("per_page", { min: 1 }), (given) => {
    const perPage = given ?? 500
    const last = context.query.string("last_field_name")
    const ordered = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const rest = last === undefined ? ordered : ordered.filter((item) => item.name > last)
    const objects = rest.slice(0, perPage)
    const envelope: Record<string, unknown> = {
      objects,
      per_page: perPage,
      total: items.length,
      first_url: urlWith(context, { per_page: perPage, last_field_name: undefined })
    }
    if (rest.length > perPage) {
      envelope.next_url = urlWith(context, { per_page: perPage, last_field_name: objects[objects.length - 1]!.name })
    }
    return envelope
  })
