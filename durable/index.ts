/**
 * Durable workflows: the SDK's workflows on Effect's workflow engine (`effect/workflow`, `effect/cluster`), in
 * memory or over PostgreSQL, spread across runners. See docs/durable.md.
 */
export * as ClusterLimits from "./ClusterLimits.ts"
