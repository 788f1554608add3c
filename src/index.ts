/**
 * effect-iconik: every Iconik operation as an Effect, with typed errors and tolerant Schemas.
 *
 * - `Iconik` — the client layer (`Iconik.layerConfig()`, `Iconik.layer({...})`) and its service.
 * - Facades: `Assets`, `Collections`, `Files`, `Jobs`, `Metadata`, `Search`.
 * - `Pagination` — list operations as Streams; `Endpoint` — the operation definitions behind every function.
 * - Every generated operation, by service: `effect-iconik/generated`.
 */
export * as Iconik from "./IconikClient.ts"
export { IconikClient } from "./IconikClient.ts"
export * from "./IconikError.ts"
export * as IconikSchema from "./IconikSchema.ts"
export * as Endpoint from "./Endpoint.ts"
export * as Pagination from "./Pagination.ts"
export * as Assets from "./Assets.ts"
export * as Collections from "./Collections.ts"
export * as Files from "./Files.ts"
export * as Jobs from "./Jobs.ts"
export * as Metadata from "./Metadata.ts"
export * as Search from "./Search.ts"
export * as Tracing from "./Tracing.ts"
