/**
 * Limits that hold for a whole cluster of runners, not one process: how many uploads run at once, and how many
 * Iconik requests per second an App-ID may send (Iconik's limit is per App-ID, so runners that each kept their own
 * budget would together overrun it). The defaults bound nothing beyond what each process already does; the
 * Postgres-backed layers share one budget between every runner on the same database.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

export interface UploadSlotsShape {
  /** Runs `effect` once an upload slot is free, and frees the slot when it ends (however it ends). */
  readonly withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** The cluster-wide bound on uploads running at once. Default: none beyond each workflow's own concurrency. */
export const UploadSlots = Context.Reference<UploadSlotsShape>("effect-iconik/durable/UploadSlots", {
  defaultValue: () => ({ withSlot: (effect) => effect })
})
