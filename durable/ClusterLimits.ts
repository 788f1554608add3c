/**
 * Limits that hold for a whole cluster of runners, not one process: how many uploads run at once, and how many
 * Iconik requests per second an App-ID may send (Iconik's limit is per App-ID, so runners that each kept their own
 * budget would together overrun it). The defaults bound nothing beyond what each process already does; the
 * Postgres-backed layers share one budget between every runner on the same database.
 *
 * Over PostgreSQL (see docs/decisions/0023-cluster-budget.md):
 * - the request budget is one GCRA row per App-ID (the time its next slot is free). A runner reserves a small batch
 *   of slots with one upsert (`… ON CONFLICT DO UPDATE … RETURNING`) and spends them locally, each at its own time, so the database sees a
 *   round trip per batch, not per request. A 429 met by any runner moves the row past the Retry-After and is
 *   announced with `NOTIFY`: every runner drops the slots it holds and takes new ones after the pause.
 * - upload slots are lease rows (one per slot) that the holding runner renews; a runner that dies stops renewing,
 *   and its slots are free again once their lease runs out. Waiting runners queue (one ticket each, oldest first),
 *   so none starves, and a freed slot wakes them with `NOTIFY`.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as IconikClient from "../src/IconikClient.ts"
import * as TokenBucket from "../src/TokenBucket.ts"
import { transferStep } from "../workflows/fillRecord.ts"
import * as Workflow from "../workflows/Workflow.ts"
import * as Tables from "./Tables.ts"

export interface UploadSlotsShape {
  /** Runs `effect` once an upload slot is free, and frees the slot when it ends (however it ends). */
  readonly withSlot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** The cluster-wide bound on uploads running at once. Default: none beyond each workflow's own concurrency. */
export const UploadSlots = Context.Reference<UploadSlotsShape>("effect-iconik/durable/UploadSlots", {
  defaultValue: () => ({ withSlot: (effect) => effect })
})

const transferSteps = new Set([transferStep("file"), transferStep("proxy")])

/**
 * `effect` (a workflow) with an upload slot taken for each storage transfer only: around the transfer step's own work
 * (inside its activity, when it has one), so a completed transfer replayed takes none, and a run making its records,
 * waiting on Iconik's job, between two steps or on a shard's hand-over holds none. Nothing else needs the slot: the
 * transfer is a step of its own, and the CLOSE after it is a PATCH.
 */
export const withSlotForTransfer = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const slots = yield* UploadSlots
    const runner = yield* Workflow.CurrentStepRunner
    return yield* Effect.provideService(effect, Workflow.CurrentStepRunner, {
      ...runner,
      run: (name, step, options) => runner.run(name, transferSteps.has(name) ? slots.withSlot(step) : step, options)
    })
  })

export interface RequestBudgetShape {
  /** The sustained rate and burst every App-ID gets. */
  readonly options: TokenBucket.TokenBucketOptions
  /** The limiter shared by every client of `appId` (one per App-ID, made on first use). */
  readonly limiter: (appId: string) => Effect.Effect<TokenBucket.Limiter>
}

/** Each process's own bucket per App-ID, at the client's defaults (50 per second, burst 50): what a client does alone. */
export const RequestBudget = Context.Reference<RequestBudgetShape>("effect-iconik/durable/RequestBudget", {
  defaultValue: () => memoryBudget({ requestsPerSecond: 50, burst: 50 })
})

/** Options that cannot work (a rate, burst, bound or lease that is not a positive number). */
export class InvalidClusterLimits extends Schema.TaggedError<InvalidClusterLimits>()("InvalidClusterLimits", {
  detail: Schema.String
}) {
  override get message() {
    return `Invalid cluster limits: ${this.detail}`
  }
}

export interface BudgetOptions {
  /**
   * Requests per second per App-ID, all runners together. Default 48: Iconik's budget is believed to be 50 per second
   * and 1000 per 20 s (unpublished); running a little under it leaves room for network jitter, so requests that
   * leave on time never arrive bunched past the server's limit.
   */
  readonly requestsPerSecond?: number | undefined
  /** Requests that may go out at once after a quiet spell, all runners together. Default 10. */
  readonly burst?: number | undefined
}

export interface MemoryOptions extends BudgetOptions {
  /** Uploads running at once in this process. Default: no bound. */
  readonly uploads?: number | undefined
}

export interface PgOptions extends BudgetOptions {
  /** Uploads running at once across every runner on the database. Default: no bound. */
  readonly uploads?: number | undefined
  /**
   * How long an upload slot stays taken after its runner last renewed it (renewed every third of it): how soon a dead
   * runner's slots come back. Default 15 s.
   */
  readonly leaseMillis?: number | undefined
  /** How often a runner waiting for an upload slot looks again when no release woke it. Default 1 s. */
  readonly pollMillis?: number | undefined
  /**
   * Most request slots reserved in one round trip. Default: a fifth of a second's worth (10 at 48 per second). The
   * batch grows while a runner spends whole batches and shrinks when slots go unused.
   */
  readonly maxBatch?: number | undefined
}

const defaults = { requestsPerSecond: 48, burst: 10 }

const positive = (value: number) => Number.isFinite(value) && value > 0

const check = (name: string, value: number | undefined, integer: boolean) =>
  value === undefined || (positive(value) && (!integer || Number.isInteger(value)))
    ? Effect.void
    : Effect.fail(new InvalidClusterLimits({ detail: `${name} must be a positive ${integer ? "integer" : "number"}, got ${value}` }))

const budgetOf = Effect.fnUntraced(function*(options: BudgetOptions) {
  yield* check("requestsPerSecond", options.requestsPerSecond, false)
  yield* check("burst", options.burst, true)
  return {
    requestsPerSecond: options.requestsPerSecond ?? defaults.requestsPerSecond,
    burst: options.burst ?? defaults.burst
  } satisfies TokenBucket.TokenBucketOptions
})

/** One value per key, made on first use (concurrent first uses share one making; a failed one is tried again). */
const memo = <A, E>(make: (key: string) => Effect.Effect<A, E>) => {
  const entries = new Map<string, Deferred.Deferred<A, E>>()
  return (key: string): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const found = entries.get(key)
      if (found !== undefined) return Deferred.await(found)
      const made = Deferred.makeUnsafe<A, E>()
      entries.set(key, made)
      return Effect.onExit(make(key), (exit) =>
        Effect.sync(() => {
          if (Exit.isFailure(exit)) entries.delete(key)
          Deferred.doneUnsafe(made, exit)
        }))
    })
}

const memoryBudget = (options: TokenBucket.TokenBucketOptions): RequestBudgetShape => ({
  options,
  // The options were checked when the budget was made: a bucket cannot fail to build.
  limiter: memo((_appId) => Effect.orDie(TokenBucket.make(options)))
})

const boundedSlots = Effect.fnUntraced(function*(uploads: number | undefined) {
  if (uploads === undefined) return UploadSlots.defaultValue()
  const semaphore = yield* Semaphore.make(uploads)
  return { withSlot: (effect) => Semaphore.withPermit(semaphore, effect) } satisfies UploadSlotsShape as UploadSlotsShape
})

/**
 * One process: uploads bounded by a semaphore, each App-ID paced by a token bucket of this process (at the cluster
 * defaults, 48 per second with a burst of 10, unless told otherwise).
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<never, InvalidClusterLimits> =>
  Layer.effectContext(Effect.gen(function*() {
    yield* check("uploads", options.uploads, true)
    const budget = yield* budgetOf(options)
    return Context.make(UploadSlots, yield* boundedSlots(options.uploads)).pipe(
      Context.add(RequestBudget, memoryBudget(budget))
    )
  }))

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

const budgetTable = "effect_iconik_request_budget"
const slotsTable = "effect_iconik_upload_slots"
const queueTable = "effect_iconik_upload_queue"
/** `NOTIFY` channels: a pause of an App-ID's budget (payload: the App-ID), a freed upload slot (payload: the pool). */
const pauseChannel = "effect_iconik_budget_paused"
const releaseChannel = "effect_iconik_upload_slot_freed"
/** The only pool of upload slots so far. */
const uploadsPool = "uploads"

/** Creates the tables the limits use, if missing: the whole schema is here. */
export const createTables: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Tables.create(budgetTable, [
  // Times are milliseconds since the epoch on the database's clock, the one clock every runner shares.
  `CREATE TABLE IF NOT EXISTS ${budgetTable} (
    app_id text PRIMARY KEY,
    next_slot double precision NOT NULL,
    paused_until double precision NOT NULL DEFAULT 0,
    pauses bigint NOT NULL DEFAULT 0
  )`,
  `CREATE TABLE IF NOT EXISTS ${slotsTable} (
    pool text NOT NULL,
    slot integer NOT NULL,
    holder text,
    runner text,
    expires_at timestamptz,
    PRIMARY KEY (pool, slot)
  )`,
  `CREATE TABLE IF NOT EXISTS ${queueTable} (
    ticket bigserial PRIMARY KEY,
    pool text NOT NULL,
    runner text NOT NULL,
    expires_at timestamptz NOT NULL
  )`
])

const dbNow = `(extract(epoch FROM clock_timestamp()) * 1000)::float8`

/** Database errors the limiter retries (a runner that cannot reach its database cannot work either): logged, then again. */
const retryForever = <A>(what: string, effect: Effect.Effect<A, SqlError>): Effect.Effect<A> =>
  effect.pipe(
    Effect.tapError((error) => Effect.logWarning(`Cluster limits: ${what} failed, trying again: ${error.message}`)),
    Effect.retry(Schedule.min([Schedule.exponential("50 millis"), Schedule.spaced("2 seconds")])),
    Effect.orDie
  )

interface PgLimiterStats {
  /** Slots handed to callers. */
  readonly granted: number
  /** Database statements the limiter ran (reservations and pauses). */
  readonly roundTrips: number
  /** Slots dropped because their caller woke too late to spend them on time. */
  readonly late: number
  /** Pauses seen (met here, announced by another runner, or found on the row). */
  readonly pauses: number
}

/** A {@link TokenBucket.Limiter} over the database, with its own counts (for tests and benchmarks). */
export interface PgLimiter extends TokenBucket.Limiter {
  readonly stats: Effect.Effect<PgLimiterStats>
}

interface BudgetRow {
  readonly next_slot: number
  readonly paused_until: number
  readonly pauses: bigint | number
  readonly now: number
}

/**
 * The shared GCRA of one App-ID, spent in leases. `take` uses the earliest slot held locally (sleeping until its
 * time); with none left, one caller reserves the next batch for everyone waiting. A slot still unused `grace` after
 * its time is dropped, never spent later (late slots bunched with later ones make a burst). A pause, here or
 * announced by another runner, drops every slot held and makes the callers sleeping on one take another.
 */
const makePgLimiter = Effect.fnUntraced(function*(
  sql: SqlClient.SqlClient,
  appId: string,
  options: TokenBucket.TokenBucketOptions,
  maxBatch: number
) {
  const interval = 1000 / options.requestsPerSecond
  const tolerance = (options.burst - 1) * interval
  // How late a slot may still be spent: a busy event loop wakes sleepers late, and slots spent late bunch up with
  // the ones after them. Up to a burst's worth of time late, the bunch is at most one more burst (so the aggregate
  // stays within twice the burst); later than that, the slot is dropped and the caller takes another.
  const grace = Math.max(2 * interval, 20, options.burst * interval)
  /** Local times of the slots held, earliest first. */
  let slots: Array<number> = []
  /** Bumped by every pause seen: a slot taken before it is not spent. */
  let generation = 0
  let pausesSeen = -1
  let batch = 1
  let waiting = 0
  let fetching: Deferred.Deferred<void> | undefined
  let granted = 0
  let roundTrips = 0
  let late = 0

  let pausesMet = 0
  const dropAll = () => {
    pausesMet++
    generation++
    slots = []
  }

  const reserve = (n: number) =>
    Effect.gen(function*() {
      const sent = yield* Clock.currentTimeMillis
      const rows = yield* retryForever(
        "reserving request slots",
        Effect.suspend(() => {
          roundTrips++
          // An upsert, so a budget table pruned while runners live only starts the App-ID's budget afresh.
          return sql<BudgetRow>`
            WITH c AS (SELECT ${sql.literal(dbNow)} AS now)
            INSERT INTO ${sql(budgetTable)} AS b (app_id, next_slot)
            SELECT ${appId}, c.now + ${n * interval} FROM c
            ON CONFLICT (app_id) DO UPDATE SET next_slot = GREATEST(b.next_slot, (SELECT now FROM c)) + ${n * interval}
            RETURNING b.next_slot, b.paused_until, b.pauses, (SELECT now FROM c) AS now`
        })
      )
      const received = yield* Clock.currentTimeMillis
      const row = rows[0]!
      // The database's clock read between sending and receiving: its offset from ours, within half a round trip.
      const offset = row.now - (sent + received) / 2
      const pauses = Number(row.pauses)
      if (pausesSeen >= 0 && pauses > pausesSeen) dropAll()
      pausesSeen = pauses
      const first = row.next_slot - n * interval
      const fresh: Array<number> = []
      for (let k = 0; k < n; k++) {
        const at = Math.max(first + k * interval - tolerance, row.paused_until) - offset
        fresh.push(Math.max(at, received))
      }
      slots = [...slots, ...fresh].sort((a, b) => a - b)
    })

  /** One reservation at a time; callers arriving meanwhile wait for it, then look again. */
  const refill = Effect.suspend((): Effect.Effect<void> => {
    if (fetching !== undefined) return Deferred.await(fetching)
    const done = Deferred.makeUnsafe<void>()
    fetching = done
    const n = Math.min(maxBatch, Math.max(batch, waiting))
    return reserve(n).pipe(Effect.ensuring(Effect.sync(() => {
      fetching = undefined
      Deferred.doneUnsafe(done, Exit.void)
    })))
  })

  /** Drops slots too old to spend; answers the earliest one left, taken out, or undefined. */
  const next = (now: number): number | undefined => {
    let expired = 0
    while (slots.length > 0 && slots[0]! < now - grace) {
      slots.shift()
      expired++
    }
    if (expired > 0) batch = Math.max(1, Math.floor(batch / 2))
    const at = slots.shift()
    // A whole batch spent: the next one may be larger.
    if (at !== undefined && slots.length === 0) batch = Math.min(maxBatch, batch * 2)
    return at
  }

  const take: Effect.Effect<void> = Effect.gen(function*() {
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const at = next(now)
      if (at === undefined) {
        waiting++
        yield* refill.pipe(Effect.ensuring(Effect.sync(() => waiting--)))
        continue
      }
      const seen = generation
      if (at > now) {
        yield* Effect.sleep(at - now).pipe(
          // An abandoned slot goes back for the next caller, unless a pause dropped it meanwhile.
          Effect.onInterrupt(() =>
            Effect.sync(() => {
              if (generation === seen) slots = [at, ...slots].sort((a, b) => a - b)
            })
          )
        )
      }
      if (generation !== seen) continue
      // Woken too late (a busy event loop): spending the slot now would bunch it with the next ones.
      if ((yield* Clock.currentTimeMillis) > at + grace) {
        late++
        continue
      }
      granted++
      return
    }
  })

  const pause = (millis: number) =>
    Effect.gen(function*() {
      const rows = yield* retryForever(
        "pausing the request budget",
        Effect.suspend(() => {
          roundTrips++
          // The same move as TokenBucket.pause, on the shared row: queued slots move back by the time the pause
          // adds, and the budget is empty when it ends.
          return sql<{ readonly started: boolean; readonly pauses: bigint | number }>`
            WITH c AS (SELECT ${sql.literal(dbNow)} AS now),
            old AS (SELECT next_slot, paused_until FROM ${sql(budgetTable)} WHERE app_id = ${appId} FOR UPDATE),
            moved AS (
              UPDATE ${sql(budgetTable)} AS b SET
                paused_until = c.now + ${millis},
                next_slot = GREATEST(
                  GREATEST(old.next_slot, c.now) + (c.now + ${millis} - GREATEST(old.paused_until, c.now)),
                  c.now + ${millis} + ${tolerance}
                ),
                pauses = b.pauses + 1
              FROM c, old WHERE b.app_id = ${appId} AND old.paused_until < c.now + ${millis}
              RETURNING old.paused_until <= c.now AS started, b.pauses
            )
            SELECT moved.started, moved.pauses, pg_notify(${pauseChannel}, ${appId}) FROM moved`
        })
      )
      const row = rows[0]
      if (row === undefined) return false
      dropAll()
      // This pause is dropped for: the next reservation need not drop again for it.
      pausesSeen = Math.max(pausesSeen, Number(row.pauses))
      return row.started
    })

  const stats = Effect.sync(() => ({ granted, roundTrips, late, pauses: pausesMet }))
  const limiter: PgLimiter = { options, take, pause, stats }
  return { limiter, paused: Effect.sync(dropAll) }
})

/** What a runner keeps for one pool of upload slots. */
interface Waiter {
  readonly deferred: Deferred.Deferred<{ readonly slot: number; readonly holder: string }>
  abandoned: boolean
}

const makePgUploadSlots = Effect.fnUntraced(function*(
  sql: SqlClient.SqlClient,
  pg: PgClient.PgClient,
  size: number,
  leaseMillis: number,
  pollMillis: number
) {
  const runner = crypto.randomUUID()
  const pool = uploadsPool
  let serial = 0
  yield* sql`
    INSERT INTO ${sql(slotsTable)} (pool, slot) SELECT ${pool}, g FROM generate_series(0, ${size - 1}) AS g
    ON CONFLICT (pool, slot) DO NOTHING`
  const waiters: Array<Waiter> = []
  /** Holders of the slots this runner has: only these are renewed. */
  const held = new Set<string>()
  // Woken by a slot freed anywhere (NOTIFY) or a caller arriving here.
  const wake = yield* Queue.sliding<void>(1)
  const notifications = yield* pg.listen(releaseChannel)
  yield* Effect.forkScoped(Effect.forever(Effect.andThen(Queue.take(notifications), Queue.offer(wake, undefined))))

  const lease = `${leaseMillis} milliseconds`
  // No longer renewed from here on: if the database cannot be told within a lease, the lease frees the slot.
  const release = (slot: number, holder: string) =>
    Effect.andThen(
      Effect.sync(() => held.delete(holder)),
      retryForever(
        "freeing an upload slot",
        sql`
          WITH freed AS (
            UPDATE ${sql(slotsTable)} SET holder = NULL, runner = NULL, expires_at = NULL
            WHERE pool = ${pool} AND slot = ${slot} AND holder = ${holder} RETURNING slot
          )
          SELECT pg_notify(${releaseChannel}, ${pool}) FROM freed`
      ).pipe(Effect.timeoutOption(leaseMillis), Effect.asVoid)
    )

  /**
   * One ticket per runner, for its oldest local waiter: a runner may take a free slot only past the live tickets
   * older than its own (it takes the free slot at that offset), so slots go to runners in the order they asked.
   */
  const claim = (ticket: string, holder: string) =>
    sql<{ readonly slot: number }>`
      WITH ahead AS (
        SELECT count(*) AS n FROM ${sql(queueTable)}
        WHERE pool = ${pool} AND ticket < ${ticket} AND expires_at > clock_timestamp()
      ),
      pick AS (
        SELECT slot FROM ${sql(slotsTable)}
        WHERE pool = ${pool} AND slot < ${size} AND (holder IS NULL OR expires_at < clock_timestamp())
        ORDER BY slot LIMIT 1 OFFSET (SELECT n FROM ahead)
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${sql(slotsTable)} AS s SET holder = ${holder}, runner = ${runner},
        expires_at = clock_timestamp() + ${lease}::interval
      FROM pick WHERE s.pool = ${pool} AND s.slot = pick.slot
      RETURNING s.slot`

  const enqueue = sql<{ readonly ticket: string }>`
    INSERT INTO ${sql(queueTable)} (pool, runner, expires_at)
    VALUES (${pool}, ${runner}, clock_timestamp() + ${lease}::interval) RETURNING ticket::text AS ticket`
  const dequeue = (ticket: string) => sql`DELETE FROM ${sql(queueTable)} WHERE ticket = ${ticket}`

  /** Hands a slot to the oldest waiter still waiting; answers false when none is (the slot is freed again). */
  const handOver = (slot: number, holder: string) =>
    Effect.suspend(() => {
      for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) {
        if (waiter.abandoned) continue
        held.add(holder)
        Deferred.doneUnsafe(waiter.deferred, Exit.succeed({ slot, holder }))
        return Effect.succeed(true)
      }
      return Effect.as(release(slot, holder), false)
    })

  // The runner's one acquirer: while callers wait, it holds a ticket and claims slots for them in turn.
  const acquirer = Effect.gen(function*() {
    for (;;) {
      if (!waiters.some((w) => !w.abandoned)) {
        waiters.length = 0
        yield* Queue.take(wake)
        continue
      }
      const [{ ticket }] = yield* retryForever("queueing for an upload slot", enqueue) as Effect.Effect<
        readonly [{ readonly ticket: string }]
      >
      for (;;) {
        const holder = `${runner}/${serial++}`
        const claimed = yield* retryForever("claiming an upload slot", claim(ticket, holder))
        if (claimed[0] !== undefined) {
          yield* handOver(claimed[0].slot, holder)
          break
        }
        if (!waiters.some((w) => !w.abandoned)) break
        yield* Effect.timeoutOption(Queue.take(wake), pollMillis)
      }
      // Served (or nobody waits): the ticket goes, and the next waiter queues behind the other runners.
      yield* retryForever("leaving the upload queue", dequeue(ticket))
    }
  })
  yield* Effect.forkScoped(acquirer)

  // Renews this runner's slots and ticket while it lives; a runner that dies stops, and its slots come back.
  const renewSlots = Effect.suspend(() => {
    const holders = [...held]
    if (holders.length === 0) return Effect.void
    return Effect.flatMap(
      sql<{ readonly holder: string }>`
        UPDATE ${sql(slotsTable)} SET expires_at = clock_timestamp() + ${lease}::interval
        WHERE pool = ${pool} AND runner = ${runner} AND ${sql.in("holder", holders)} RETURNING holder`,
      (rows) => {
        const renewed = new Set(rows.map((row) => row.holder))
        // Still held here (not released meanwhile) but no longer ours in the database.
        const lost = holders.filter((holder) => held.has(holder) && !renewed.has(holder)).length
        return lost === 0 ? Effect.void : Effect.logWarning(
          `Cluster limits: ${lost} upload slot(s) of this runner expired before renewal (the database was out of ` +
            "reach for a whole lease): the bound may be exceeded until they end"
        )
      }
    )
  })
  const renew = retryForever(
    "renewing upload slot leases",
    Effect.andThen(
      renewSlots,
      sql`
        WITH queued AS (
          UPDATE ${sql(queueTable)} SET expires_at = clock_timestamp() + ${lease}::interval
          WHERE runner = ${runner} RETURNING ticket
        )
        DELETE FROM ${sql(queueTable)} WHERE expires_at < clock_timestamp() - ${lease}::interval`
    )
  )
  yield* Effect.forkScoped(Effect.repeat(renew, Schedule.spaced(Math.max(1, Math.floor(leaseMillis / 3)))))
  // Slots still held when the runner stops (its scope closes) are freed at once rather than at lease end.
  yield* Effect.addFinalizer(() =>
    retryForever(
      "freeing this runner's upload slots",
      sql`UPDATE ${sql(slotsTable)} SET holder = NULL, runner = NULL, expires_at = NULL WHERE runner = ${runner}`
    ).pipe(Effect.timeoutOption("5 seconds"), Effect.asVoid)
  )

  const withSlot = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const waiter: Waiter = { deferred: Deferred.makeUnsafe(), abandoned: false }
        waiters.push(waiter)
        yield* Queue.offer(wake, undefined)
        const { slot, holder } = yield* restore(Deferred.await(waiter.deferred)).pipe(
          Effect.onInterrupt(() =>
            Effect.suspend(() => {
              waiter.abandoned = true
              // Handed a slot just as it was interrupted: give it back.
              return Deferred.isDoneUnsafe(waiter.deferred)
                ? Effect.flatMap(Deferred.await(waiter.deferred), ({ slot, holder }) => release(slot, holder))
                : Effect.void
            })
          )
        )
        return yield* restore(effect).pipe(Effect.ensuring(release(slot, holder)))
      })
    )
  return { withSlot } satisfies UploadSlotsShape as UploadSlotsShape
})

/**
 * Every runner on one PostgreSQL shares one request budget per App-ID and (with `uploads`) one bound on uploads
 * running at once. Creates its tables if missing. Needs a `PgClient` (its pool; one connection stays for
 * `LISTEN`).
 */
export const layerPg = (
  options: PgOptions = {}
): Layer.Layer<never, InvalidClusterLimits | SqlError, PgClient.PgClient> =>
  Layer.effectContext(Effect.gen(function*() {
    yield* check("uploads", options.uploads, true)
    yield* check("leaseMillis", options.leaseMillis, false)
    yield* check("pollMillis", options.pollMillis, false)
    yield* check("maxBatch", options.maxBatch, true)
    const budget = yield* budgetOf(options)
    const maxBatch = options.maxBatch ?? Math.max(1, Math.ceil(budget.requestsPerSecond / 5))
    const pg = yield* PgClient.PgClient
    const sql: SqlClient.SqlClient = pg
    yield* Effect.provideService(createTables, SqlClient.SqlClient, sql)

    const limiters = new Map<string, Effect.Effect<void>>()
    const limiter = memo((appId) =>
      Effect.map(makePgLimiter(sql, appId, budget, maxBatch), ({ limiter, paused }) => {
        limiters.set(appId, paused)
        return limiter as TokenBucket.Limiter
      })
    )
    // A pause announced by any runner (this one included) drops the slots this runner holds for that App-ID.
    const pauses = yield* pg.listen(pauseChannel)
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(pauses), (n) => limiters.get(n.payload) ?? Effect.void)))

    const slots = options.uploads === undefined ? UploadSlots.defaultValue() : yield* makePgUploadSlots(
      sql,
      pg,
      options.uploads,
      options.leaseMillis ?? 15_000,
      options.pollMillis ?? 1000
    )
    return Context.make(UploadSlots, slots).pipe(Context.add(RequestBudget, { options: budget, limiter }))
  }))

/** {@link layerPg} on a pool of its own, from `DATABASE_URL` (read as a Redacted). */
export const layerPgConfig = (
  options: PgOptions = {}
): Layer.Layer<never, InvalidClusterLimits | SqlError | Config.ConfigError> =>
  layerPg(options).pipe(Layer.provide(PgClient.layerConfig({ url: Config.Redacted("DATABASE_URL") })))

// ---------------------------------------------------------------------------------------------------------------
// The client

/**
 * `IconikClient.layer` paced by the cluster's budget for its App-ID (unless `rateLimit: false`): every client of
 * the App-ID, in every runner, takes its slots from the same limiter.
 */
export const layerClient = (
  options: IconikClient.IconikOptions
): Layer.Layer<IconikClient.IconikClient, IconikClient.IconikConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    IconikClient.IconikClient,
    Effect.gen(function*() {
      if (options.rateLimit === false) return yield* IconikClient.make(options)
      const budget = yield* RequestBudget
      const limiter = yield* budget.limiter(options.appId)
      return yield* IconikClient.make({ ...options, rateLimit: { ...budget.options, limiter } })
    })
  )
