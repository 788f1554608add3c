/**
 * Durable workflows: the SDK's workflows on Effect's workflow engine (`effect/workflow`, `effect/cluster`), in
 * memory or over PostgreSQL, spread across runners. The steps are the plain workflows' own (see `Steps.ts`); the
 * engine is a Layer (`Engine.ts`); runs are submitted, followed, resumed and cancelled by execution id (`Runs.ts`).
 * See docs/durable.md.
 */
export * as ClusterLimits from "./ClusterLimits.ts"
export * as Engine from "./Engine.ts"
export * as IngestFile from "./IngestFile.ts"
export * as IngestFolder from "./IngestFolder.ts"
export * as MetadataCsv from "./MetadataCsv.ts"
export * as RunList from "./RunList.ts"
export * as Runs from "./Runs.ts"
export * as Steps from "./Steps.ts"
export * as Store from "./Store.ts"
export * as UploadProxy from "./UploadProxy.ts"
