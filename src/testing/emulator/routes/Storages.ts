/**
 * The files service's storages: the seeded and created storage records, lookups by purpose and method (matching,
 * default), and their CRUD. Each storage's bytes live in the embedded object store or an external S3 (`Storage.ts`).
 */
import * as Effect from "effect/Effect"
import { applyInput, matchesText, parseSort, sortDocs } from "../Docs.ts"
import { listPage } from "../Paging.ts"
import {
  badRequest,
  created,
  noContent,
  notFound,
  ok,
  param,
  type Route,
  route,
  type RouteContext
} from "../Route.ts"
import type {
  Doc,
  EmulatorState,
  StorageDoc
} from "../State.ts"
import { newId, requireRecord, filesBase as base } from "./Common.ts"


export interface SeedStorage {
  readonly name: string
  readonly method: string
  readonly purpose: string
  readonly bucket: string
  readonly default?: boolean | undefined
}

/** Adds a storage record (the caller creates its bucket). */
export const addStorage = (state: EmulatorState, now: number, seed: SeedStorage): StorageDoc => {
  const storage: StorageDoc = {
    id: state.ids.uuid(now),
    name: seed.name,
    method: seed.method,
    purpose: seed.purpose,
    status: "ACTIVE",
    default: seed.default ?? false,
    description: `${seed.method} ${seed.purpose.toLowerCase()} storage (emulated)`,
    settings: { bucket: seed.bucket, path: "" },
    version: "1"
  }
  state.storages.set(storage.id, storage)
  return storage
}

export const requireStorage = (context: RouteContext, id: string = param(context, "storage_id")) =>
  requireRecord(context.state.storages, id, "Storage")

export const storagesFor = (state: EmulatorState, purpose: string, method?: string) =>
  [...state.storages.values()].filter((storage) =>
    storage.status !== "INACTIVE" && storage.purpose === purpose.toUpperCase() &&
    (method === undefined || storage.method === method.toUpperCase())
  )

export const defaultStorage = (state: EmulatorState, purpose: string): StorageDoc | undefined => {
  const candidates = storagesFor(state, purpose)
  return candidates.find((storage) => storage.default) ?? candidates[0]
}

const listStorages = Effect.fnUntraced(function*(context: RouteContext) {
  const q = context.query
  const filters: Array<[keyof StorageDoc, ReadonlyArray<string> | undefined]> = [
    ["purpose", q.list("purpose")],
    ["method", q.list("method")],
    ["status", q.list("status")],
    ["id", q.list("ids") ?? q.list("id")]
  ]
  const name = q.string("name") ?? q.string("query")
  const storages = [...context.state.storages.values()].filter((storage) =>
    filters.every(([field, wanted]) => wanted === undefined || wanted.includes(String(storage[field]))) &&
    (name === undefined || matchesText(storage.name, name.includes("*") ? name : `${name}*`))
  )
  const sorted = sortDocs(storages, parseSort(q.string("sort") ?? "name,asc"))
  return ok(yield* listPage(context, sorted.map((storage) => ({ ...storage })), { extra: { facets: {} } }))
})

const createStorage = Effect.fnUntraced(function*(context: RouteContext) {
  const body = context.body as Doc
  const settings = (body.settings ?? {}) as Doc
  const storage = addStorage(context.state, context.now, {
    name: String(body.name),
    method: String(body.method),
    purpose: String(body.purpose),
    bucket: typeof settings.bucket === "string" ? settings.bucket : `${String(body.purpose).toLowerCase()}-${newId(context)}`
  })
  applyInput(storage, body, ["id", "default", "version"])
  yield* context.env.ensureBucket(storage)
  return created({ ...storage })
})

const updateStorage = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = yield* requireStorage(context)
  applyInput(storage, context.body, ["id", "default", "version", "method"])
  return ok({ ...storage })
})

const matching = Effect.fnUntraced(function*(context: RouteContext) {
  const purpose = param(context, "purpose")
  const wanted = context.query.string("storage_id")
  const method = context.params.method
  const candidates = storagesFor(context.state, purpose, method)
  const storage = wanted !== undefined
    ? candidates.find((candidate) => candidate.id === wanted)
    : method !== undefined
    ? candidates.find((candidate) => candidate.default) ?? candidates[0]
    : defaultStorage(context.state, purpose)
  if (storage === undefined) return yield* notFound(`Matching storage for ${purpose}`)
  return ok({ ...storage })
})

const purposeDefault = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = defaultStorage(context.state, param(context, "purpose"))
  if (storage === undefined) return yield* notFound(`Default storage for ${param(context, "purpose")}`)
  return ok({ ...storage })
})


/** Removes the storage; refused (400) while file sets or files still live on it. */
const deleteStorage = Effect.fnUntraced(function*(context: RouteContext) {
  const storage = yield* requireStorage(context)
  const state = context.state
  const inUse = [...state.fileSets.values(), ...state.files.values(), ...state.proxies.values(), ...state.keyframes.values()]
    .some((record) => record.storage_id === storage.id && record.status !== "DELETED")
  if (inUse) return yield* badRequest("The storage still holds file sets or files")
  state.storages.delete(storage.id)
  return noContent
})

export const storageRoutes: ReadonlyArray<Route> = [
  route("GET", `${base}/storages/`, listStorages),
  route("POST", `${base}/storages/`, createStorage),
  route("GET", `${base}/storages/{storage_id}/`, (c) => Effect.map(requireStorage(c), (s) => ok({ ...s }))),
  route("PUT", `${base}/storages/{storage_id}/`, updateStorage),
  route("PATCH", `${base}/storages/{storage_id}/`, updateStorage),
  route("DELETE", `${base}/storages/{storage_id}/`, deleteStorage),
  route("GET", `${base}/storages/matching/{purpose}/`, matching),
  route("GET", `${base}/storages/matching/{purpose}/method/{method}/`, matching),
  route("GET", `${base}/storages/{purpose}/default/`, purposeDefault),
]
