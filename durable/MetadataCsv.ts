/**
 * The metadata CSV import as a durable workflow: the plain `importMetadata` steps (plan, then one write per changed
 * object, each `PUT … mode: overwrite`, safe to repeat) as activities, so a runner's death costs the writes in
 * flight, not the import. One execution per view and CSV document (and options): submitting it again joins it.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Workflow as DurableWorkflow } from "effect/workflow"
import { createHash } from "node:crypto"
import { importMetadata } from "../workflows/metadataCsv.ts"
import { runAsActivities, storeFailure } from "./Steps.ts"

const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.UndefinedOr(schema))

export const ImportMetadataPayload = Schema.Struct({
  viewId: Schema.String,
  csv: Schema.String,
  dryRun: optional(Schema.Boolean),
  emptyCells: optional(Schema.Literals(["ignore", "clear"])),
  multiValueSeparator: optional(Schema.String),
  concurrency: optional(Schema.Number)
})
export type ImportMetadataPayload = typeof ImportMetadataPayload.Type

export const ImportMetadata = DurableWorkflow.make("effect-iconik/importMetadata", {
  payload: ImportMetadataPayload,
  success: Schema.Unknown,
  error: Schema.Unknown,
  idempotencyKey: (payload) =>
    JSON.stringify([
      payload.viewId,
      createHash("sha256").update(payload.csv).digest("hex"),
      payload.dryRun === true,
      payload.emptyCells ?? "ignore",
      payload.multiValueSeparator ?? "|"
    ])
})

export const ImportMetadataLayer = ImportMetadata.toLayer((payload, executionId) =>
  runAsActivities(executionId, importMetadata(payload)).pipe(
    // Stored as JSON: fields left undefined are left out.
    Effect.map((report) => JSON.parse(JSON.stringify(report)) as unknown),
    Effect.mapError(storeFailure)
  )
)
