/**
 * Iconik's presigned S3 part URLs (`GET …/multipart_url/part/?upload_id&parts_num&per_page&page`): the one resolver
 * both the `Files` facade and the S3 multipart engine use. `parts_num` is a part *count* and the answer is paged;
 * Iconik's paging is not trusted to put part `n` on page `⌈n / per_page⌉`, so a shorter page than asked re-aims the
 * next request, and as a last resort the pages are walked.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"

/** Iconik listed no presigned URL for an upload part that should exist. */
export class IconikPartUrlMissing extends Schema.TaggedError<IconikPartUrlMissing>()("IconikPartUrlMissing", {
  /** The part-URL list's path (no query string, so no upload id). */
  path: Schema.String,
  partNumber: Schema.Number
}) {
  override get message() {
    return `GET ${this.path}: no upload URL for part ${this.partNumber}`
  }
}

/** Parts asked for per page of part URLs, unless the caller says otherwise. */
export const defaultPartUrlsPerPage = 100

/** An entry of a page: Iconik's `{number, url, …}`. */
export interface NumberedUrl {
  readonly number?: number | null | undefined
}

export interface PartUrlResolverOptions<T extends NumberedUrl, E, R> {
  /** The list's path, for errors. */
  readonly path: string
  /** The upload's part count, sent as `parts_num`. */
  readonly partsNum: number
  readonly perPage?: number | undefined
  /** One page of the list (an Iconik call). Each page is fetched at most once. */
  readonly fetchPage: (query: { readonly page: number; readonly perPage: number }) => Effect.Effect<ReadonlyArray<T>, E, R>
  /**
   * Drop a URL once it is handed out (an upload asks for each part once, and its retries keep the URL), so a
   * 10 000-part upload does not hold every URL it has seen.
   */
  readonly forgetTaken?: boolean | undefined
}

export interface PartUrlResolver<T, E, R> {
  /** The entry of part `partNumber`, fetching the page that holds it; {@link IconikPartUrlMissing} if none does. */
  readonly find: (partNumber: number) => Effect.Effect<T, E | IconikPartUrlMissing, R>
  /** Every entry 1..`partsNum`, in part order. */
  readonly all: Effect.Effect<Array<T>, E | IconikPartUrlMissing, R>
}

const numberOf = (entry: NumberedUrl) => (typeof entry.number === "number" ? entry.number : undefined)

/** A resolver over one upload's part-URL list. Safe to share between concurrent part uploads. */
export const makePartUrlResolver = <T extends NumberedUrl, E, R>(
  options: PartUrlResolverOptions<T, E, R>
): Effect.Effect<PartUrlResolver<T, E, R>> =>
  Effect.map(Semaphore.make(1), (lock) => {
    const perPage = options.perPage ?? defaultPartUrlsPerPage
    const lastPage = Math.max(1, Math.ceil(options.partsNum / perPage))
    const byNumber = new Map<number, T>()
    const pages = new Map<number, ReadonlyArray<T>>()

    const fetchPage = (page: number): Effect.Effect<ReadonlyArray<T>, E, R> => {
      const seen = pages.get(page)
      if (seen !== undefined) return Effect.succeed(seen)
      return Effect.map(options.fetchPage({ page, perPage }), (entries) => {
        pages.set(page, entries)
        for (const entry of entries) {
          const number = numberOf(entry)
          if (number !== undefined && number >= 1 && number <= options.partsNum && !byNumber.has(number)) {
            byNumber.set(number, entry)
          }
        }
        return entries
      })
    }

    const take = (partNumber: number): T | undefined => {
      const entry = byNumber.get(partNumber)
      if (entry !== undefined && options.forgetTaken === true) byNumber.delete(partNumber)
      return entry
    }

    const missing = (partNumber: number) => new IconikPartUrlMissing({ path: options.path, partNumber })

    const find = (partNumber: number) =>
      lock.withPermit(Effect.gen(function*() {
        const cached = take(partNumber)
        if (cached !== undefined) return cached
        let page = Math.ceil(partNumber / perPage)
        // Every round moves at least one page forward, and a list of N parts never has more than N pages.
        while (page <= partNumber) {
          const entries = yield* fetchPage(page)
          const hit = take(partNumber)
          if (hit !== undefined) return hit
          const highest = Math.max(0, ...entries.map((entry) => numberOf(entry) ?? 0))
          if (entries.length === 0 || highest >= partNumber) break
          page = Math.max(page + 1, Math.ceil(partNumber / entries.length))
        }
        // Not where the paging says: walk the pages the list should have.
        for (let walk = 1; walk <= lastPage; walk++) {
          if (pages.has(walk)) continue
          if ((yield* fetchPage(walk)).length === 0) break
          const hit = take(partNumber)
          if (hit !== undefined) return hit
        }
        return yield* missing(partNumber)
      }))

    const all = lock.withPermit(Effect.gen(function*() {
      for (let page = 1; page <= options.partsNum && byNumber.size < options.partsNum; page++) {
        const known = pages.has(page)
        const before = byNumber.size
        yield* fetchPage(page)
        if (!known && byNumber.size === before) break // an empty or repeated page: nothing more to learn
      }
      const entries: Array<T> = []
      for (let number = 1; number <= options.partsNum; number++) {
        const entry = byNumber.get(number)
        if (entry === undefined) return yield* missing(number)
        entries.push(entry)
      }
      return entries
    }))

    return { find, all }
  })
