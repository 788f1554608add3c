/** Hand-written operation definitions for core tests, shaped like the generated ones. */
import { Schema } from "effect"
import * as Endpoint from "../../src/Endpoint.ts"
import { DateTimeString, OpenEnum, optional } from "../../src/IconikSchema.ts"

export interface Item {
  readonly id: string
  readonly title?: string | null | undefined
  readonly status?: OpenEnum<"ACTIVE" | "DELETED"> | null | undefined
  readonly date_created?: string | null | undefined
  readonly name?: string | null | undefined
  readonly _sort?: ReadonlyArray<unknown> | null | undefined
}
export const Item: Schema.Codec<Item> = Schema.Struct({
  id: Schema.String,
  title: optional(Schema.String),
  status: optional(OpenEnum(["ACTIVE", "DELETED"])),
  date_created: optional(DateTimeString),
  name: optional(Schema.String),
  _sort: optional(Schema.Array(Schema.Unknown))
})

export interface Items {
  readonly objects?: ReadonlyArray<Item> | null | undefined
  readonly page?: number | null | undefined
  readonly pages?: number | null | undefined
  readonly per_page?: number | null | undefined
  readonly total?: number | null | undefined
  readonly next_url?: string | null | undefined
  readonly scroll_id?: string | null | undefined
}
export const Items: Schema.Codec<Items> = Schema.Struct({
  objects: optional(Schema.Array(Item)),
  page: optional(Schema.Number),
  pages: optional(Schema.Number),
  per_page: optional(Schema.Number),
  total: optional(Schema.Number),
  next_url: optional(Schema.String),
  scroll_id: optional(Schema.String)
})

const ListQuery = Schema.Struct({
  page: optional(Schema.Number),
  per_page: optional(Schema.Number),
  scroll: optional(Schema.Boolean),
  scroll_id: optional(Schema.String),
  last_id: optional(Schema.String),
  last_field_name: optional(Schema.String),
  include_users: optional(Schema.Boolean),
  ids: optional(Schema.Array(Schema.String))
})
type ListQuery = typeof ListQuery.Type

const base = { service: "assets", summary: "test", roles: [] as Array<string> }

export const getItem = Endpoint.make<{ readonly item_id: string; readonly query?: ListQuery }, Item, 400 | 404>({
  ...base,
  name: "getItem",
  method: "GET",
  path: "/API/assets/v1/items/{item_id}/",
  pathParams: ["item_id"],
  query: ListQuery,
  success: [{ status: 200, schema: Item }],
  errors: [400, 404]
})

export const deleteItem = Endpoint.make<{ readonly item_id: string }, void, 404>({
  ...base,
  name: "deleteItem",
  method: "DELETE",
  path: "/API/assets/v1/items/{item_id}/",
  pathParams: ["item_id"],
  success: [{ status: 204 }],
  errors: [404]
})

export interface ItemCreate {
  readonly title: string
  readonly status?: OpenEnum<"ACTIVE" | "DELETED"> | null | undefined
  readonly description?: string | null | undefined
}
const ItemCreate: Schema.Codec<ItemCreate> = Schema.Struct({
  title: Schema.String,
  status: optional(OpenEnum(["ACTIVE", "DELETED"])),
  description: optional(Schema.String)
})

export const createItem = Endpoint.make<{ readonly body: ItemCreate }, Item, 400 | 403 | 409>({
  ...base,
  name: "createItem",
  method: "POST",
  path: "/API/assets/v1/items/",
  pathParams: [],
  body: { schema: ItemCreate, contentType: "application/json", required: true },
  success: [{ status: 201, schema: Item }],
  errors: [400, 403, 409]
})

export const listItems = Endpoint.make<{ readonly query?: ListQuery } | void, Items, 400>({
  ...base,
  name: "listItems",
  method: "GET",
  path: "/API/assets/v1/items/",
  pathParams: [],
  query: ListQuery,
  success: [{ status: 200, schema: Items }],
  errors: [400],
  paging: "page",
  scroll: true
})

export const listFiles = Endpoint.make<{ readonly query?: ListQuery } | void, Items, 400>({
  ...base,
  name: "listFiles",
  method: "GET",
  path: "/API/files/v1/files/",
  pathParams: [],
  query: ListQuery,
  success: [{ status: 200, schema: Items }],
  errors: [400],
  paging: "last_id"
})

export const listFields = Endpoint.make<{ readonly query?: ListQuery } | void, Items, 400>({
  ...base,
  name: "listFields",
  method: "GET",
  path: "/API/metadata/v1/fields/",
  pathParams: [],
  query: ListQuery,
  success: [{ status: 200, schema: Items }],
  errors: [400],
  paging: "last_field_name"
})

const SearchBody = Schema.Struct({
  query: optional(Schema.String),
  sort: optional(Schema.Array(Schema.Struct({ name: Schema.String, order: optional(Schema.String) }))),
  search_after: optional(Schema.Array(Schema.Unknown))
})

export const search = Endpoint.make<{ readonly query?: ListQuery; readonly body: typeof SearchBody.Type }, Items, 400>({
  ...base,
  service: "search",
  name: "search",
  method: "POST",
  path: "/API/search/v1/search/",
  pathParams: [],
  query: ListQuery,
  body: { schema: SearchBody, contentType: "application/json", required: true },
  success: [{ status: 200, schema: Items }],
  errors: [400],
  paging: "search"
})
