/**
 * The soak's runs, drawn from a seed: which workflow, storage and strategy each run uses, how large its file is, and
 * the fault rules that hit its Iconik and storage requests. The same seed always gives the same runs.
 */
import { createHash } from "node:crypto"
import { Faults, type FaultRule, ObjectStore } from "../src/testing/index.ts"

export const KiB = 1024
export const MiB = 1024 * KiB

/** Short back-offs, as a user would set them against a nearby server; the number of retries stays the default. */
export const retry = { baseDelay: 5, maxDelay: 100 }

export type Method = "S3" | "GCS" | "AZURE" | "B2"

export interface RunPlan {
  readonly index: number
  readonly workflow: "ingestFile" | "uploadProxy"
  readonly method: Method
  /** A label to group runs by, e.g. `ingestFile S3 multipart`. */
  readonly kind: string
  readonly size: number
  readonly partSize: number
  readonly singlePutThreshold: number | undefined
  /** Seeds the bytes of the run's file. */
  readonly contentSeed: number
}

/** A generator of uniform numbers in [0, 1) from a string (mulberry32 on a SHA-256 of it). */
export const random = (seed: string): (() => number) => {
  let state = createHash("sha256").update(seed).digest().readUInt32BE(0)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/** Log-uniform in [min, max]: as many 1–10 KiB files as 100 KiB–1 MiB ones. */
const logUniform = (next: () => number, min: number, max: number) =>
  Math.round(Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * next()))

/** Mostly small files (70 % up to 1 MiB), some medium (25 % up to 8 MiB), a few large (5 % up to `maxSize`). */
const drawSize = (next: () => number, maxSize: number) => {
  const r = next()
  const [min, max] = r < 0.7 ? [KiB, MiB] : r < 0.95 ? [MiB, 8 * MiB] : [8 * MiB, maxSize]
  return Math.min(maxSize, logUniform(next, Math.min(min, maxSize), Math.min(max, maxSize)))
}

/** Iconik has B2 upload endpoints for files only: uploadProxy refuses B2 by design, so proxies go to the other three. */
const proxyMethods: ReadonlyArray<Method> = ["S3", "GCS", "AZURE"]

/** The mix of runs, with weights summing to 1. S3 single runs set the threshold to S3's 5 GiB single-PUT limit. */
const kinds: ReadonlyArray<{ readonly weight: number; readonly make: (next: () => number) => Omit<RunPlan, "index" | "size" | "contentSeed"> }> = [
  {
    weight: 0.2,
    make: () => ({ workflow: "ingestFile", method: "S3", kind: "ingestFile S3 multipart", partSize: 5 * MiB, singlePutThreshold: 0 })
  },
  {
    weight: 0.15,
    make: () => ({ workflow: "ingestFile", method: "S3", kind: "ingestFile S3 single", partSize: 5 * MiB, singlePutThreshold: 5 * 1024 * MiB })
  },
  {
    weight: 0.15,
    make: () => ({ workflow: "ingestFile", method: "GCS", kind: "ingestFile GCS", partSize: 5 * MiB, singlePutThreshold: undefined })
  },
  {
    weight: 0.15,
    make: (next) => ({ workflow: "ingestFile", method: "AZURE", kind: "ingestFile Azure", partSize: 5 * MiB, singlePutThreshold: next() < 0.5 ? MiB : undefined })
  },
  {
    // B2 large files take parts of at least 5 MiB (all but the last): above the threshold there are two or more.
    weight: 0.15,
    make: () => ({ workflow: "ingestFile", method: "B2", kind: "ingestFile B2", partSize: 5 * MiB, singlePutThreshold: 5 * MiB })
  },
  {
    weight: 0.2,
    make: (next) => {
      const method = proxyMethods[Math.floor(next() * proxyMethods.length)]!
      return {
        workflow: "uploadProxy",
        method,
        kind: `uploadProxy ${method}`,
        partSize: 5 * MiB,
        singlePutThreshold: method === "S3" ? (next() < 0.5 ? 0 : undefined) : undefined
      }
    }
  }
]

/** The runs of one seed. */
export const plan = (seed: string, runs: number, maxSize: number): ReadonlyArray<RunPlan> => {
  const next = random(`soak plan ${seed}`)
  const out: Array<RunPlan> = []
  for (let index = 0; index < runs; index++) {
    let r = next()
    const kind = kinds.find((k) => (r -= k.weight) < 0) ?? kinds[kinds.length - 1]!
    const made = kind.make(next)
    out.push({ index, ...made, size: drawSize(next, maxSize), contentSeed: Math.floor(next() * 0x7fff_ffff) })
  }
  return out
}

/** Deterministic bytes (xorshift32), fast enough for 64 MiB. */
export const contentOf = (size: number, seed: number): Uint8Array => {
  const words = new Uint32Array(Math.ceil(size / 4))
  let x = (seed | 1) >>> 0
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  return new Uint8Array(words.buffer, 0, size)
}

/**
 * Iconik faults, `rate` in all, split evenly: 429 (no Retry-After: the client backs off on its own), 503, a reset
 * after Iconik acted, and a 2xx whose body is cut in half.
 */
export const iconikFaults = (rate: number): ReadonlyArray<FaultRule> => {
  const share = rate / 4
  return [
    { fault: Faults.rateLimited(), probability: share },
    { fault: Faults.serverError(503), probability: share },
    { fault: Faults.reset, probability: share },
    { fault: Faults.truncatedBody, probability: share }
  ]
}

/** Storage faults, `rate` in all, split evenly: 503 SlowDown, 500 InternalError, a reset half-way through the body. */
export const storageFaults = (rate: number): ReadonlyArray<ObjectStore.Faults.FaultRule> => {
  const share = rate / 3
  return [
    { fault: ObjectStore.Faults.fail(503, { code: "SlowDown" }), probability: share },
    { fault: ObjectStore.Faults.fail(500, { code: "InternalError" }), probability: share },
    { fault: ObjectStore.Faults.reset(), probability: share }
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// The durable soak: folder and single-file ingests on runner processes, and when to kill them

/** One file of a durable run: where it lies under its folder (or alone) and its bytes. */
export interface DurableFile {
  /** Path under the run's folder, e.g. `day1/f0-twin.mov`; a single-file run's file name. */
  readonly relative: string
  readonly name: string
  readonly size: number
  readonly contentSeed: number
}

export interface DurableRun {
  readonly index: number
  readonly workflow: "ingestFolder" | "ingestFile"
  readonly method: Method
  /** A label to group runs by, e.g. `ingestFolder B2`, `ingestFile S3 multipart`. */
  readonly kind: string
  readonly partSize: number
  readonly singlePutThreshold: number | undefined
  readonly files: ReadonlyArray<DurableFile>
}

/**
 * A kill: once `afterClosed` of all files are CLOSED (a share, 0–1) and `delayMillis` more have passed, SIGKILL one
 * runner (`A` or `B`) or the whole cluster, and start what was killed again `restartAfterMillis` later.
 */
export interface KillPlan {
  readonly target: "A" | "B" | "cluster"
  readonly afterClosed: number
  readonly delayMillis: number
  readonly restartAfterMillis: number
}

export interface DurablePlan {
  readonly runs: ReadonlyArray<DurableRun>
  /** In the order they fire. */
  readonly kills: ReadonlyArray<KillPlan>
}

export interface DurableSizes {
  readonly folders: number
  readonly filesPerFolder: number
  readonly singles: number
  /** Kills of one runner; the whole cluster is killed once more. */
  readonly runnerKills: number
  readonly maxSize: number
}

/**
 * A folder's part settings: above the single-PUT threshold a file goes in parts, so one folder holds single-part and
 * multipart files (B2: large files from 5 MiB, GCS: one resumable session whatever the size).
 */
const folderThreshold: Record<Method, number | undefined> = { S3: MiB, GCS: undefined, AZURE: MiB, B2: 5 * MiB }

/** The durable soak's runs and kills of one seed. */
export const durablePlan = (seed: string, sizes: DurableSizes): DurablePlan => {
  const next = random(`durable soak plan ${seed}`)
  const runs: Array<DurableRun> = []
  const file = (relative: string, name: string): DurableFile => ({
    relative,
    name,
    size: drawSize(next, sizes.maxSize),
    contentSeed: Math.floor(next() * 0x7fff_ffff)
  })
  for (let f = 0; f < sizes.folders; f++) {
    const method = (["S3", "GCS", "AZURE", "B2"] as const)[Math.floor(next() * 4)]!
    const files: Array<DurableFile> = []
    // Two files of one name in two sub-folders (different bytes), the rest at the top or in a sub-folder.
    const twin = `f${f}-twin.mov`
    files.push(file(`day1/${twin}`, twin), file(`day2/${twin}`, twin))
    for (let i = 2; i < sizes.filesPerFolder; i++) {
      const name = `f${f}-clip-${i}.mov`
      const r = next()
      files.push(file(r < 0.4 ? name : r < 0.7 ? `day1/${name}` : `day2/${name}`, name))
    }
    runs.push({
      index: runs.length,
      workflow: "ingestFolder",
      method,
      kind: `ingestFolder ${method}`,
      partSize: 5 * MiB,
      singlePutThreshold: folderThreshold[method],
      files
    })
  }
  const ingestKinds = kinds.filter((k) => k.weight > 0 && k.make(() => 0).workflow === "ingestFile")
  const weights = ingestKinds.reduce((a, k) => a + k.weight, 0)
  for (let s = 0; s < sizes.singles; s++) {
    let r = next() * weights
    const kind = ingestKinds.find((k) => (r -= k.weight) < 0) ?? ingestKinds[ingestKinds.length - 1]!
    const made = kind.make(next)
    const name = `single-${s}.mov`
    runs.push({
      index: runs.length,
      workflow: "ingestFile",
      method: made.method,
      kind: made.kind,
      partSize: made.partSize,
      singlePutThreshold: made.singlePutThreshold,
      files: [file(name, name)]
    })
  }
  // A smaller seed ends sooner: its kills wait and restart sooner, so they land near their share of files (with the
  // full soak's waits, a reduced seed's small files were mostly CLOSED before a kill fired, or every run had ended).
  const pace = Math.min(1, (sizes.folders * sizes.filesPerFolder + sizes.singles) / 96)
  const kill = (target: KillPlan["target"], from: number, span: number): KillPlan => ({
    target,
    afterClosed: from + span * next(),
    delayMillis: Math.floor(1500 * pace * next()),
    restartAfterMillis: Math.floor(2000 * pace * next())
  })
  const kills: Array<KillPlan> = []
  for (let k = 0; k < sizes.runnerKills; k++) kills.push(kill(next() < 0.5 ? "A" : "B", 0.05, 0.55))
  kills.push(kill("cluster", 0.1, 0.3))
  return { runs, kills: kills.sort((a, b) => a.afterClosed - b.afterClosed) }
}
