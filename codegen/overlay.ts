/**
 * Corrections the generator applies on top of Iconik's specs, each with the reason it is needed. Every entry must
 * match something in the specs: the generator fails when one does not, so a stale entry cannot linger silently.
 *
 * Model entries are keyed by service and generated model name (docs/naming.md). `present`, `nullable` and `add` change
 * the response shape (the full model), request bodies keep the spec's rules; `anyValues` changes every shape (what a
 * response carries must be accepted again when it is sent back); `numericString` changes request bodies only.
 * Operation entries are keyed by service, method and spec path.
 *
 * Already tolerant without an entry: every property that is not `required` accepts absent, `undefined` and `null`
 * (so `AssetVersion`'s fields and an absent or null `Component.metadata`, which Pythonik had to loosen after live
 * nulls, need nothing here), every enum is open, and every struct keeps the keys it does not declare (in responses
 * and request bodies alike: docs/decisions/0015-preserving-codecs.md).
 */
import type { JsonSchema } from "./spec.ts"

export type ModelPatch =
  /** The property is always sent in responses: required and never null (so users write `asset.id`, not `asset.id!`). */
  | { readonly kind: "present" }
  /** The spec requires the property but live responses omit it or send `null`: optional and nullable in responses. */
  | { readonly kind: "nullable" }
  /** A property live responses carry that the spec does not declare (optional and nullable like any other). */
  | { readonly kind: "add"; readonly schema: JsonSchema }
  /**
   * A map (or a list of maps) the spec types as string-valued whose values live data also sends as `null`, numbers or
   * more: any JSON value, in responses and request bodies alike.
   */
  | { readonly kind: "anyValues" }
  /** A number Iconik's own examples send as a numeric string (`"size": "1024"`): request bodies accept both. */
  | { readonly kind: "numericString" }

export interface ModelOverlay {
  readonly service: string
  readonly model: string
  readonly property: string
  readonly patch: ModelPatch
  readonly reason: string
}

export type OperationPatch =
  /** Accept `status` too, with the body declared for `like`. */
  | { readonly kind: "alsoAccept"; readonly status: number; readonly like: number }
  /** `status` answers with this body instead of the declared one; `orEmpty`: or with none (decoded as `undefined`). */
  | { readonly kind: "body"; readonly status: number; readonly schema: JsonSchema; readonly orEmpty?: true }
  /** `status` is a success without a body (declared if missing, any declared body dropped). */
  | { readonly kind: "noBody"; readonly status: number }

export interface OperationOverlay {
  readonly service: string
  readonly method: "get" | "post" | "put" | "patch" | "delete"
  readonly path: string
  readonly patches: ReadonlyArray<OperationPatch>
  readonly reason: string
}

const present = (service: string, model: string): ModelOverlay => ({
  service,
  model,
  property: "id",
  patch: { kind: "present" },
  reason: `Iconik always sends the id of a stored ${model}; the spec only marks it read-only`
})

export const modelOverlays: ReadonlyArray<ModelOverlay> = [
  present("assets", "Asset"),
  present("assets", "AssetElastic"),
  present("assets", "Collection"),
  present("assets", "CollectionElastic"),
  present("assets", "Segment"),
  present("assets", "SegmentElastic"),
  present("files", "Format"),
  present("files", "FormatElastic"),
  present("files", "FileSet"),
  present("files", "FileSetElastic"),
  present("files", "File"),
  present("files", "FileElastic"),
  present("files", "Proxy"),
  present("files", "Keyframe"),
  present("files", "Storage"),
  present("files", "StorageRead"),
  present("jobs", "Job"),
  present("jobs", "JobElastic"),
  present("metadata", "MetadataView"),
  present("metadata", "MetadataViewForList"),
  present("search", "SearchDocument"),
  present("files", "ProxyCreate"),
  present("files", "KeyframeCreate"),
  {
    service: "search",
    model: "SearchDocument",
    property: "_sort",
    patch: { kind: "add", schema: { type: "array", items: {} } },
    reason: "every hit carries its sort key, which search_after continues from (the only way past 10 000 hits)"
  },
  {
    service: "search",
    model: "SearchDocument",
    property: "_highlight",
    patch: { kind: "add", schema: { type: "object", additionalProperties: {} } },
    reason: "hits carry the highlighted fragments of the query"
  },
  {
    service: "assets",
    model: "Collection",
    property: "title",
    patch: { kind: "nullable" },
    reason: "live collections come back with a null title (Pythonik had to loosen its model)"
  },
  {
    service: "assets",
    model: "CollectionElastic",
    property: "title",
    patch: { kind: "nullable" },
    reason: "list and search documents of collections carry the same null titles as the collection itself"
  },
  {
    service: "metadata",
    model: "MetadataView",
    property: "name",
    patch: { kind: "nullable" },
    reason: "live view responses omit or null required fields (Pythonik's ViewResponse had to loosen them)"
  },
  {
    service: "metadata",
    model: "MetadataView",
    property: "view_fields",
    patch: { kind: "nullable" },
    reason: "live view responses omit view_fields when asked without fields (Pythonik's ViewResponse)"
  },
  {
    service: "files",
    model: "Component",
    property: "metadata",
    patch: { kind: "anyValues" },
    reason: "a component's metadata is what the media analysis found (mediainfo's numbers, empty values as null); " +
      "one null or number in it must not reject the whole format"
  },
  {
    service: "files",
    model: "Format",
    property: "metadata",
    patch: { kind: "anyValues" },
    reason: "format metadata maps are written by analysis and by clients alike; values may be null or numbers"
  },
  {
    service: "files",
    model: "FormatElastic",
    property: "metadata",
    patch: { kind: "anyValues" },
    reason: "the list / search documents of formats carry the same metadata maps as the format itself"
  },
  {
    service: "files",
    model: "FileCreate",
    property: "size",
    patch: { kind: "numericString" },
    reason: "Iconik's own upload tutorial creates the file record with `size` as a string"
  },
  {
    service: "metadata",
    model: "MetadataViewForList",
    property: "view_fields",
    patch: { kind: "nullable" },
    reason: "view lists carry the same partial views as single view responses"
  }
]

/**
 * Models whose documents are known to carry far more than the spec declares: their type also names the other keys (an
 * index signature, `readonly [key: string]: unknown`), so they read without `IconikSchema.open`. Every model
 * keeps its undeclared keys at run time; this only widens the type.
 */
export interface OpenModelOverlay {
  readonly service: string
  readonly model: string
  readonly reason: string
}

export const openModelOverlays: ReadonlyArray<OpenModelOverlay> = [
  {
    service: "search",
    model: "SearchDocument",
    reason: "a hit is the flattened index document (status, files, proxies, formats, in_collections, ...), of which " +
      "the spec declares seven fields"
  }
]

export const operationOverlays: ReadonlyArray<OperationOverlay> = [
  {
    service: "files",
    method: "get",
    path: "/v1/assets/{asset_id}/keyframes/{keyframe_id}/",
    patches: [{ kind: "body", status: 200, schema: { $ref: "#/components/schemas/KeyframeSchema" } }],
    reason: "declared to return FileSchema, but the answer is the keyframe"
  },
  {
    service: "files",
    method: "delete",
    path: "/v1/assets/{asset_id}/formats/{format_id}/",
    patches: [{ kind: "body", status: 200, schema: { $ref: "#/components/schemas/FormatSchema" }, orEmpty: true }],
    reason: "answers 200 with the format marked deleted (the spec gives it no schema; an empty 200 is accepted too) " +
      "and 204 without a body when deleted immediately"
  },
  {
    service: "files",
    method: "delete",
    path: "/v1/assets/{asset_id}/file_sets/{file_set_id}/",
    patches: [{ kind: "body", status: 200, schema: { $ref: "#/components/schemas/FileSetSchema" }, orEmpty: true }],
    reason: "answers 200 with the file set marked deleted (the spec gives it no schema; an empty 200 is accepted " +
      "too) and 204 without a body when deleted immediately"
  },
  {
    service: "assets",
    method: "post",
    path: "/v1/collections/{collection_id}/contents/",
    patches: [{ kind: "noBody", status: 201 }],
    reason: "adding to a collection answers 201 with an empty body (Pythonik parsed it as JSON and failed)"
  },
  {
    service: "jobs",
    method: "put",
    path: "/v1/jobs/state/",
    patches: [{ kind: "noBody", status: 201 }],
    reason: "changing the state of jobs answers 201 without a body"
  },
  {
    service: "jobs",
    method: "put",
    path: "/v1/jobs/priority/",
    patches: [{ kind: "noBody", status: 201 }],
    reason: "changing the priority of jobs answers 201 without a body"
  },
  {
    service: "assets",
    method: "get",
    path: "/v1/collections/{collection_id}/full/path/",
    patches: [{ kind: "body", status: 200, schema: { type: "string" } }],
    reason: "the full path is a JSON string, not an object"
  }
]

/** A 2xx response as declared: its status, body schema (none for an empty body) and non-JSON content type. */
export interface DeclaredSuccess {
  readonly status: number
  readonly schema?: JsonSchema | undefined
  readonly contentType?: string | undefined
  /** The body may also be empty. */
  readonly optionalBody?: boolean | undefined
}

/** A correction that applies to every operation it matches; `apply` reports whether it changed anything. */
export interface StatusRule {
  readonly reason: string
  readonly apply: (method: string, responses: Map<number, DeclaredSuccess>) => boolean
}

export const statusRules: ReadonlyArray<StatusRule> = [
  {
    reason: "GETs declared to answer 201 (webhook, asset history, custom action, …) answer 200: accept it, same body",
    apply: (method, responses) => {
      const created = responses.get(201)
      if (method !== "get" || created === undefined || responses.has(200)) return false
      responses.set(200, { ...created, status: 200 })
      return true
    }
  },
  {
    reason: "204 No Content has no body, even where the spec declares one (custom-action DELETE)",
    apply: (_method, responses) => {
      if (responses.get(204)?.schema === undefined) return false
      responses.set(204, { status: 204 })
      return true
    }
  }
]
