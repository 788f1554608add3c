/**
 * What must hold after every soak run, read straight from the emulator's records and its object store (never from
 * what the SDK reports):
 *
 * - corrupt: a CLOSED record of a source whose stored object is missing, or differs from the source in size or MD5;
 *   or a run that reported success without a CLOSED record to show for it;
 * - duplicated: more than one live asset, or more than one OPEN / CLOSED record, for one source;
 * - orphaned: OPEN records, live assets without a CLOSED file, unfinished S3 multipart uploads / GCS resumable
 *   sessions / B2 large files, and stored objects that no CLOSED record points at.
 *
 * Uncommitted Azure blocks are reported as notices, not orphans: Azure has no call to drop them (it collects them after
 * a week), so no client can be held to it. So is an empty B2 large file at a key whose start's answer was lost
 * (`lostB2Starts`, read from the request log): its id was in that answer, so no client can name it to cancel it.
 *
 * {@link snapshot} copies the state into plain data; {@link check} is pure, so purpose-built bad states test it.
 */
import * as Effect from "effect/Effect"
import type { IconikEmulatorShape, RecordedRequest } from "../src/testing/index.ts"

/** One local file a run tried to store, and what the run reported. */
export interface Source {
  readonly workflow: "ingestFile" | "uploadProxy"
  /** The file name: the asset title and `original_name` (ingestFile), the proxy's `filename` (uploadProxy). */
  readonly name: string
  readonly size: number
  /** Hex MD5 of the source bytes. */
  readonly md5: string
  /** uploadProxy: the asset the proxy belongs to (made by the harness, not by the run). */
  readonly assetId?: string | undefined
  /** Whether the workflow succeeded. */
  readonly completed: boolean
  /**
   * A folder's file: its `directory_path` and its asset's `external_id` (its path under the folder). Set, they tell
   * apart files of one name in different sub-folders; unset, the name alone identifies the source.
   */
  readonly directory?: string | undefined
  readonly externalId?: string | undefined
}

export interface AssetState {
  readonly id: string
  readonly title: string
  readonly status: string
  readonly externalId?: string | undefined
}

export interface RecordState {
  readonly kind: "file" | "proxy"
  readonly id: string
  readonly assetId: string
  readonly status: string
  /** `original_name` of a file, `filename` (else `name`) of a proxy. */
  readonly name: string
  readonly bucket: string | undefined
  readonly key: string | undefined
  /** `directory_path` of a file. */
  readonly directory?: string | undefined
}

export interface ObjectState {
  readonly bucket: string
  readonly key: string
  readonly size: number
  readonly md5: string | undefined
}

export interface PendingState {
  readonly kind: "multipart" | "resumable" | "blocks" | "largeFile"
  readonly provider: string
  readonly bucket: string
  readonly key: string
  /** Parts stored so far. */
  readonly parts?: number | undefined
  /** Bytes received so far, and when it was started (ms since the epoch, the emulator's clock). */
  readonly bytes?: number | undefined
  readonly startedAt?: number | undefined
}

/** The part of the emulator's state the invariants read. */
export interface Snapshot {
  readonly assets: ReadonlyArray<AssetState>
  readonly records: ReadonlyArray<RecordState>
  readonly objects: ReadonlyArray<ObjectState>
  readonly pending: ReadonlyArray<PendingState>
}

export type Invariant = "corrupt" | "duplicated" | "orphaned"

export interface Violation {
  readonly invariant: Invariant
  /** A short, stable label to group by, e.g. `stored MD5 differs`, `OPEN proxy record`. */
  readonly cause: string
  readonly detail: string
}

export interface CheckResult {
  readonly violations: ReadonlyArray<Violation>
  /** Left-overs reported but not counted (uncommitted Azure blocks). */
  readonly notices: ReadonlyArray<string>
}

const text = (value: unknown): string => (typeof value === "string" ? value : "")

/** Copies the records, stored objects and unfinished uploads of every storage the emulator knows. */
export const snapshot = (emulator: IconikEmulatorShape): Effect.Effect<Snapshot> =>
  Effect.gen(function*() {
    const { state } = emulator
    const assets = [...state.assets.values()].map((a) => ({
      id: a.id,
      title: a.title,
      status: a.status,
      externalId: typeof a.external_id === "string" ? a.external_id : undefined
    }))
    const records: Array<RecordState> = []
    for (const kind of ["file", "proxy"] as const) {
      for (const record of state.uploads(kind).values()) {
        const location = state.locations.get(record.id)
        records.push({
          kind,
          id: record.id,
          assetId: record.asset_id,
          status: record.status,
          name: kind === "file" ? text(record.original_name) : text(record.filename) || text(record.name),
          bucket: location?.bucket,
          key: location?.key,
          directory: kind === "file" ? text(record.directory_path) : undefined
        })
      }
    }
    const buckets = new Set<string>()
    for (const storage of state.storages.values()) {
      if (typeof storage.settings.bucket === "string") buckets.add(storage.settings.bucket)
    }
    const objects: Array<ObjectState> = []
    for (const bucket of buckets) {
      for (const object of yield* emulator.objectStore.listObjects(bucket)) {
        objects.push({ bucket, key: object.key, size: object.size, md5: object.md5 })
      }
    }
    const pending = (yield* emulator.objectStore.pendingUploads).map((p) => ({
      kind: p.kind,
      provider: p.provider,
      bucket: p.bucket,
      key: p.key,
      parts: p.parts.length,
      bytes: p.bytes,
      startedAt: p.startedAt
    }))
    return { assets, records, objects, pending }
  })

const isLive = (asset: AssetState | undefined) => asset !== undefined && asset.status !== "DELETED"

const pendingCause: Record<PendingState["kind"], string> = {
  multipart: "pending S3 multipart upload",
  resumable: "pending GCS resumable session",
  largeFile: "unfinished B2 large file",
  blocks: "uncommitted Azure blocks"
}

/**
 * Checks `state` against the sources of the runs that made it. `harnessAssets` are assets made by the harness (proxy
 * targets): they may stay without a file.
 */
export const check = (
  state: Snapshot,
  sources: ReadonlyArray<Source>,
  harnessAssets: ReadonlyArray<string> = [],
  options?: {
    /** `bucket/key` of each B2 large-file start whose answer was lost (once per lost answer). */
    readonly lostB2Starts?: ReadonlyArray<string> | undefined
  }
): CheckResult => {
  const violations: Array<Violation> = []
  const notices: Array<string> = []
  const assets = new Map(state.assets.map((a) => [a.id, a]))
  const objectAt = new Map(state.objects.map((o) => [`${o.bucket}\u0000${o.key}`, o]))
  const add = (invariant: Invariant, cause: string, detail: string) => violations.push({ invariant, cause, detail })

  for (const source of sources) {
    const kind = source.workflow === "ingestFile" ? "file" : "proxy"
    // Records count once their asset is live: a deleted asset's records go with it when Iconik purges it.
    const records = state.records.filter((r) =>
      r.kind === kind && r.name === source.name && isLive(assets.get(r.assetId)) &&
      (source.assetId === undefined || r.assetId === source.assetId) &&
      (source.directory === undefined || r.directory === source.directory)
    )
    if (source.workflow === "ingestFile") {
      const live = state.assets.filter((a) =>
        a.title === source.name && isLive(a) && (source.externalId === undefined || a.externalId === source.externalId)
      )
      if (live.length > 1) add("duplicated", "more than one live asset", `${source.name}: ${live.map((a) => a.id).join(", ")}`)
    }
    const held = records.filter((r) => r.status === "OPEN" || r.status === "CLOSED")
    if (held.length > 1) {
      add("duplicated", `more than one ${kind} record`, `${source.name}: ${held.map((r) => `${r.id} ${r.status}`).join(", ")}`)
    }
    const closed = records.filter((r) => r.status === "CLOSED")
    if (source.completed && closed.length === 0) {
      add("corrupt", "completed without a CLOSED record", `${source.name} (${kind})`)
    }
    for (const record of closed) {
      const object = record.bucket === undefined || record.key === undefined
        ? undefined
        : objectAt.get(`${record.bucket}\u0000${record.key}`)
      if (object === undefined) {
        add("corrupt", "CLOSED record without its object", `${kind} ${record.id} → ${record.bucket}/${record.key}`)
      } else if (object.size !== source.size) {
        add("corrupt", "stored size differs", `${kind} ${record.id}: stored ${object.size}, source ${source.size}`)
      } else if (object.md5 !== source.md5) {
        add("corrupt", "stored MD5 differs", `${kind} ${record.id}: stored ${object.md5}, source ${source.md5}`)
      }
    }
  }

  for (const record of state.records) {
    if (record.status !== "OPEN") continue
    const where = isLive(assets.get(record.assetId)) ? "" : " (asset deleted)"
    add("orphaned", `OPEN ${record.kind} record${where}`, `${record.kind} ${record.id} on asset ${record.assetId}`)
  }
  const harness = new Set(harnessAssets)
  for (const asset of state.assets) {
    if (!isLive(asset) || harness.has(asset.id)) continue
    const hasFile = state.records.some((r) => r.kind === "file" && r.assetId === asset.id && r.status === "CLOSED")
    if (!hasFile) add("orphaned", "live asset without a CLOSED file", `asset ${asset.id} "${asset.title}"`)
  }
  const unnamed = [...(options?.lostB2Starts ?? [])]
  for (const upload of state.pending) {
    const detail = `${upload.provider} ${upload.bucket}/${upload.key}${upload.bytes === undefined ? "" : ` (${upload.bytes} bytes)`}`
    const lost = upload.kind === "largeFile" && upload.parts === 0 ? unnamed.indexOf(`${upload.bucket}/${upload.key}`) : -1
    if (upload.kind === "blocks") notices.push(`${pendingCause.blocks}: ${detail}`)
    else if (lost >= 0) {
      unnamed.splice(lost, 1)
      notices.push(`empty B2 large file whose start answer was lost: ${detail}`)
    } else add("orphaned", pendingCause[upload.kind], detail)
  }
  for (const object of state.objects) {
    const owners = state.records.filter((r) => r.bucket === object.bucket && r.key === object.key)
    if (owners.some((r) => r.status === "CLOSED")) continue
    const why = owners.length === 0 ? "no record" : owners.map((r) => `${r.kind} ${r.status}`).join(", ")
    add("orphaned", "stored object without a CLOSED record", `${object.bucket}/${object.key} (${why})`)
  }
  return { violations, notices }
}

/**
 * `bucket/key` of every B2 large-file start (Iconik's POST `…/files/{file_id}/multipart/b2/start/`) whose answer the
 * emulator lost or cut short after acting, from its request log: the {@link check} option `lostB2Starts`.
 */
export const lostB2Starts = (log: ReadonlyArray<RecordedRequest>, state: Snapshot): ReadonlyArray<string> =>
  log.flatMap((request) => {
    const match = /\/files\/([^/]+)\/multipart\/b2\/start\/?$/.exec(request.path)
    if (request.method !== "POST" || match === null) return []
    if (request.fault !== "LostAnswer" && request.fault !== "TruncatedBody") return []
    const record = state.records.find((r) => r.kind === "file" && r.id === match[1])
    return record?.bucket === undefined || record.key === undefined ? [] : [`${record.bucket}/${record.key}`]
  })

/** Violations per invariant, then per cause. */
export const tally = (violations: ReadonlyArray<Violation>): Record<Invariant, Record<string, number>> => {
  const out: Record<Invariant, Record<string, number>> = { corrupt: {}, duplicated: {}, orphaned: {} }
  for (const v of violations) out[v.invariant][v.cause] = (out[v.invariant][v.cause] ?? 0) + 1
  return out
}
