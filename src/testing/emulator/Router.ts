/**
 * Matches request paths against spec path templates. Iconik accepts paths with and without the trailing slash and
 * with doubled slashes, so paths are normalised first. Where several templates match, the one with a literal segment
 * earliest wins (`storages/matching/{purpose}/` over `storages/{storage_id}/…`); templates of the same shape are told
 * apart by a route's `accepts` predicate (formats by id or by name).
 */

/** `//API//assets/v1/assets` → `/API/assets/v1/assets/`. */
export const normalizePath = (path: string): string => {
  const collapsed = path.replace(/\/{2,}/g, "/")
  const leading = collapsed.startsWith("/") ? collapsed : `/${collapsed}`
  return leading.endsWith("/") ? leading : `${leading}/`
}

type Segment = { readonly literal: string } | { readonly param: string }

interface Entry<T> {
  readonly method: string
  readonly template: string
  readonly segments: ReadonlyArray<Segment>
  /** One character per segment, `1` literal and `0` parameter: higher sorts first. */
  readonly rank: string
  readonly value: T
  readonly accepts: ((params: Readonly<Record<string, string>>) => boolean) | undefined
  readonly order: number
}

export type RouteMatch<T> =
  | { readonly _tag: "Found"; readonly value: T; readonly template: string; readonly params: Record<string, string> }
  /** The path exists for other methods only. */
  | { readonly _tag: "MethodNotAllowed"; readonly allowed: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }

const compile = (template: string): ReadonlyArray<Segment> =>
  normalizePath(template).split("/").filter((s) => s !== "").map((segment) =>
    segment.startsWith("{") && segment.endsWith("}") ? { param: segment.slice(1, -1) } : { literal: segment }
  )

const splitPath = (path: string): ReadonlyArray<string> | undefined => {
  try {
    return normalizePath(path).split("/").filter((s) => s !== "").map(decodeURIComponent)
  } catch {
    return undefined // a malformed percent-escape matches nothing
  }
}

export class Router<T> {
  private readonly bySize = new Map<number, Array<Entry<T>>>()
  private count = 0

  add(
    method: string,
    template: string,
    value: T,
    accepts?: ((params: Readonly<Record<string, string>>) => boolean) | undefined
  ): void {
    const segments = compile(template)
    const entry: Entry<T> = {
      method,
      template,
      segments,
      rank: segments.map((s) => ("literal" in s ? "1" : "0")).join(""),
      value,
      accepts,
      order: this.count++
    }
    const list = this.bySize.get(segments.length) ?? []
    list.push(entry)
    // Most literal first; among equals, guarded routes first so an accepting guard wins over a catch-all.
    list.sort((a, b) =>
      a.rank === b.rank
        ? (a.accepts ? 0 : 1) - (b.accepts ? 0 : 1) || a.order - b.order
        : a.rank < b.rank ? 1 : -1
    )
    this.bySize.set(segments.length, list)
  }

  match(method: string, path: string): RouteMatch<T> {
    const parts = splitPath(path)
    if (parts === undefined) return { _tag: "NotFound" }
    const allowed: Array<string> = []
    for (const entry of this.bySize.get(parts.length) ?? []) {
      const params: Record<string, string> = {}
      let matched = true
      for (let i = 0; i < parts.length && matched; i++) {
        const segment = entry.segments[i]!
        if ("literal" in segment) matched = segment.literal === parts[i]
        else if (parts[i] === "") matched = false
        else params[segment.param] = parts[i]!
      }
      if (!matched || (entry.accepts !== undefined && !entry.accepts(params))) continue
      if (entry.method !== method) {
        if (!allowed.includes(entry.method)) allowed.push(entry.method)
        continue
      }
      return { _tag: "Found", value: entry.value, template: entry.template, params }
    }
    return allowed.length > 0 ? { _tag: "MethodNotAllowed", allowed } : { _tag: "NotFound" }
  }
}
