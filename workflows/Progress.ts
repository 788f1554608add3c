/**
 * Progress of workflows as plain events: steps starting, finishing, failing and retrying; bytes hashed and moving;
 * files planned and settled. Workflows publish them through the {@link Progress} service (a no-op unless a front end
 * provides one); a front end renders them, e.g. by folding them into a {@link Snapshot} with {@link reduce}, or takes
 * them as a Stream with {@link events}.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { dual } from "effect/Function"

/** A step of a workflow began (`item` is the file or object it works on, when there is one). */
export interface StepStarted {
  readonly _tag: "StepStarted"
  readonly workflow: string
  readonly step: string
  readonly item?: string | undefined
}

export interface StepCompleted {
  readonly _tag: "StepCompleted"
  readonly workflow: string
  readonly step: string
  readonly item?: string | undefined
  readonly millis: number
}

export interface StepFailed {
  readonly _tag: "StepFailed"
  readonly workflow: string
  readonly step: string
  readonly item?: string | undefined
  /** The failure's tag (e.g. `IconikNotFound`, `StoragePartFailed`) or `Interrupted`. */
  readonly reason: string
  readonly message: string
}

/** A step failed and will run again after `delayMillis`. */
export interface StepRetrying {
  readonly _tag: "StepRetrying"
  readonly workflow: string
  readonly step: string
  readonly item?: string | undefined
  readonly attempt: number
  readonly delayMillis: number
  readonly reason: string
}

/** Bytes of one item on their way to storage: `transferred` of `total` so far. */
export interface BytesTransferred {
  readonly _tag: "BytesTransferred"
  readonly item: string
  readonly transferred: number
  readonly total: number
}

/**
 * Bytes of one item read to compute its checksum, before anything is uploaded (a large file takes seconds): `hashed`
 * of `total` so far.
 */
export interface BytesHashed {
  readonly _tag: "BytesHashed"
  readonly item: string
  readonly hashed: number
  readonly total: number
}

/** A batch workflow knows what it will do: `items` files of `bytes` bytes in all. */
export interface ItemsPlanned {
  readonly _tag: "ItemsPlanned"
  readonly items: number
  readonly bytes: number
}

export type ItemOutcome = "ingested" | "skipped" | "failed"

/** One file of a batch is settled. */
export interface ItemFinished {
  readonly _tag: "ItemFinished"
  readonly item: string
  readonly bytes: number
  readonly outcome: ItemOutcome
  /** Why it was skipped or failed. */
  readonly reason?: string | undefined
}

export type ProgressEvent =
  | StepStarted
  | StepCompleted
  | StepFailed
  | StepRetrying
  | BytesTransferred
  | BytesHashed
  | ItemsPlanned
  | ItemFinished

export interface ProgressShape {
  readonly emit: (event: ProgressEvent) => Effect.Effect<void>
}

/** Where workflows publish progress. The default drops every event. */
export const Progress = Context.Reference<ProgressShape>("effect-iconik/workflows/Progress", {
  defaultValue: () => ({ emit: () => Effect.void })
})

/** Publishes one event to the current {@link Progress}. */
export const emit = (event: ProgressEvent): Effect.Effect<void> => Progress.use((progress) => progress.emit(event))

/** Runs `effect` with every event also handed to `onEvent` (synchronously, in order). */
export const tap: {
  (onEvent: (event: ProgressEvent) => void): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, onEvent: (event: ProgressEvent) => void): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(effect: Effect.Effect<A, E, R>, onEvent: (event: ProgressEvent) => void) =>
  Progress.use((outer) =>
    Effect.provideService(effect, Progress, {
      emit: (event) => Effect.andThen(Effect.sync(() => onEvent(event)), outer.emit(event))
    })))

/**
 * The events of `effect` as a Stream that ends when the effect succeeds and fails with its error. For front ends
 * that prefer pulling: `Progress.events(ingestFolder({...})).pipe(Stream.runForEach(render))`.
 */
export const events = <A, E, R>(effect: Effect.Effect<A, E, R>): Stream.Stream<ProgressEvent, E, R> =>
  Stream.callback<ProgressEvent, E, R>((queue) =>
    effect.pipe(
      Effect.provideService(Progress, { emit: (event) => Effect.asVoid(Queue.offer(queue, event)) }),
      Effect.matchEffect({
        onFailure: (error) => Queue.fail(queue, error),
        onSuccess: () => Queue.end(queue)
      })
    )
  )

// ---------------------------------------------------------------------------------------------------------------
// A renderable summary

/** One item's transfer as last reported. */
export interface ItemTransfer {
  readonly transferred: number
  readonly total: number
}

/** Everything a progress bar needs, folded from the events so far. */
export interface Snapshot {
  /** Files the batch will handle (0 until planned; single-file workflows count as they start). */
  readonly itemsPlanned: number
  readonly bytesPlanned: number
  readonly ingested: number
  readonly skipped: number
  readonly failed: number
  /** Bytes of the items in flight plus those finished. */
  readonly bytesTransferred: number
  readonly transfers: ReadonlyMap<string, ItemTransfer>
  /** Items being hashed now (`transferred` is the bytes hashed so far); an item leaves once fully hashed. */
  readonly hashing: ReadonlyMap<string, ItemTransfer>
  /** Steps running now, by `item/step` (or `step` for whole-workflow steps). */
  readonly running: ReadonlyMap<string, { readonly workflow: string; readonly step: string; readonly item?: string | undefined }>
  readonly stepsCompleted: number
  readonly retries: number
  /** Finished transfers' bytes (so a transfer restarting does not count twice). */
  readonly bytesSettled: number
}

export const emptySnapshot: Snapshot = {
  itemsPlanned: 0,
  bytesPlanned: 0,
  ingested: 0,
  skipped: 0,
  failed: 0,
  bytesTransferred: 0,
  transfers: new Map(),
  hashing: new Map(),
  running: new Map(),
  stepsCompleted: 0,
  retries: 0,
  bytesSettled: 0
}

const stepKey = (event: { readonly step: string; readonly item?: string | undefined }) =>
  event.item === undefined ? event.step : `${event.item}/${event.step}`

const inFlight = (transfers: ReadonlyMap<string, ItemTransfer>) => {
  let sum = 0
  for (const transfer of transfers.values()) sum += transfer.transferred
  return sum
}

/** Folds one event into a snapshot (pure; front ends keep the latest and redraw at their own pace). */
export const reduce = (snapshot: Snapshot, event: ProgressEvent): Snapshot => {
  switch (event._tag) {
    case "StepStarted": {
      const running = new Map(snapshot.running)
      running.set(stepKey(event), { workflow: event.workflow, step: event.step, item: event.item })
      return { ...snapshot, running }
    }
    case "StepCompleted":
    case "StepFailed": {
      const running = new Map(snapshot.running)
      running.delete(stepKey(event))
      return {
        ...snapshot,
        running,
        stepsCompleted: snapshot.stepsCompleted + (event._tag === "StepCompleted" ? 1 : 0)
      }
    }
    case "StepRetrying":
      return { ...snapshot, retries: snapshot.retries + 1 }
    case "BytesTransferred": {
      const transfers = new Map(snapshot.transfers)
      transfers.set(event.item, { transferred: event.transferred, total: event.total })
      const bytesPlanned = snapshot.itemsPlanned === 0 && !snapshot.transfers.has(event.item)
        ? snapshot.bytesPlanned + event.total
        : snapshot.bytesPlanned
      return { ...snapshot, transfers, bytesPlanned, bytesTransferred: snapshot.bytesSettled + inFlight(transfers) }
    }
    case "BytesHashed": {
      const hashing = new Map(snapshot.hashing)
      if (event.hashed >= event.total) hashing.delete(event.item)
      else hashing.set(event.item, { transferred: event.hashed, total: event.total })
      return { ...snapshot, hashing }
    }
    case "ItemsPlanned":
      return { ...snapshot, itemsPlanned: event.items, bytesPlanned: event.bytes }
    case "ItemFinished": {
      const transfers = new Map(snapshot.transfers)
      transfers.delete(event.item)
      const hashing = new Map(snapshot.hashing)
      hashing.delete(event.item)
      // A skipped or failed file will move no (more) bytes: count its size as settled so the bar can reach the end.
      const bytesSettled = snapshot.bytesSettled + event.bytes
      return {
        ...snapshot,
        transfers,
        hashing,
        bytesSettled,
        bytesTransferred: bytesSettled + inFlight(transfers),
        ingested: snapshot.ingested + (event.outcome === "ingested" ? 1 : 0),
        skipped: snapshot.skipped + (event.outcome === "skipped" ? 1 : 0),
        failed: snapshot.failed + (event.outcome === "failed" ? 1 : 0)
      }
    }
  }
}
