/**
 * The engines the durable workflows run on, each one `Layer`:
 *
 * - {@link layerMemory}: Effect's in-memory workflow engine, for tests and one process (nothing survives it);
 * - {@link layerPostgres}: Effect's cluster workflow engine over PostgreSQL: one runner (`SingleRunner`), or several
 *   on one database talking over sockets (`runner: { host, port }`); executions, activity results and upload
 *   checkpoints live in the database, so a runner that dies is resumed, by itself after a restart or by another
 *   runner once its shard locks expire;
 * - {@link worker}: what a worker process needs in one layer (the engine and every durable workflow registered); add
 *   an `IconikClient` and a `StorageClient`.
 *
 * The workflow and cluster modules of Effect are marked unstable: their tables and wire format may change between
 * minor versions of `effect` (see docs/durable.md).
 */
import { NodeClusterSocket, NodeCrypto } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Path from "effect/Path"
import type * as Redacted from "effect/Redacted"
import { ClusterWorkflowEngine, RunnerAddress, type ShardingConfig, SingleRunner } from "effect/cluster"
import type { SqlClient } from "effect/sql"
import { WorkflowEngine } from "effect/workflow"
import type { IconikClient } from "../src/IconikClient.ts"
import type { StorageClient } from "../src/storage/StorageClient.ts"
import { IngestFileLayer } from "./IngestFile.ts"
import { IngestFolderLayer } from "./IngestFolder.ts"
import { ImportMetadataLayer } from "./MetadataCsv.ts"
import { UploadProxyLayer } from "./UploadProxy.ts"
import * as Store from "./Store.ts"

/** Every durable workflow, registered with the engine in context. */
export const workflows: Layer.Layer<
  never,
  never,
  WorkflowEngine.WorkflowEngine | Store.DurableStore | IconikClient | StorageClient | FileSystem.FileSystem | Path.Path
> = Layer.mergeAll(IngestFileLayer, IngestFolderLayer, UploadProxyLayer, ImportMetadataLayer)

/**
 * The sharding settings that decide how soon another runner takes over a dead runner's work (Effect's defaults took
 * about 36 s here). Each costs idle database queries per runner:
 *
 * - `shardLockRefreshInterval` 3 s (default 10 s): one UPDATE of the runner's shard locks per interval;
 * - `shardLockExpiration` 9 s (default 35 s): how long a dead runner's shards stay locked (no query of its own);
 * - `refreshAssignmentsInterval` 3 s (default): one read of the runners table per interval;
 * - `entityMessagePollInterval` 2 s (default 10 s): one poll for unprocessed messages per interval (also how soon
 *   work moved to this runner, or a resumed execution, is picked up);
 * - `runnerHealthCheckInterval` 5 s (default 1 min): a ping of each runner the others know of (no query).
 *
 * Kept at Effect's default: `entityTerminationTimeout` (15 s), how long a runner that gives up a shard (a runner
 * joined, or this one stops) waits for the runs on it. A run in flight there cannot start its next step until the
 * hand-over, so it waits that long; shorter, a long step still running here would run again on the new owner at the
 * same time. A child run answers its parent over the runners' sockets, and an activity its run in memory: no poll
 * interval is on the path of a run's progress.
 */
export const failoverSettings: Partial<ShardingConfig.ShardingConfig["Service"]> = {
  shardLockRefreshInterval: Duration.seconds(3),
  shardLockExpiration: Duration.seconds(9),
  refreshAssignmentsInterval: Duration.seconds(3),
  entityMessagePollInterval: Duration.seconds(2),
  runnerHealthCheckInterval: Duration.seconds(5)
}

/** Effect's in-memory workflow engine with the in-memory store: one process, nothing survives it. */
export const layerMemory: Layer.Layer<WorkflowEngine.WorkflowEngine | Store.DurableStore> = Layer.mergeAll(
  WorkflowEngine.layerMemory,
  Store.layerMemory
)

export interface PostgresOptions {
  /** `postgres://user@host:port/database` (a password in it stays redacted). */
  readonly url: Redacted.Redacted<string>
  /**
   * This runner's address for the other runners (several runners on one database). Omitted: a single runner,
   * which owns every shard.
   */
  readonly runner?: { readonly host: string; readonly port: number; readonly listenHost?: string | undefined } | undefined
  /** Submit and watch only, run nothing (a CLI that follows runs; needs socket runners to do the work). */
  readonly clientOnly?: boolean | undefined
  /** Overrides of Effect's sharding settings, on top of {@link failoverSettings}. */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Service"]> | undefined
}

/** The SQL client of the engine's database. */
export const layerSql = (url: Redacted.Redacted<string>): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient> =>
  Layer.orDie(PgClient.layer({ url, onnotice: () => {} } as PgClient.PgPoolConfig))

/**
 * Effect's cluster workflow engine over PostgreSQL, with the durable store in the same database (the engine's
 * tables and `iconik_durable_*` are made when missing).
 */
export const layerPostgres = (
  options: PostgresOptions
): Layer.Layer<WorkflowEngine.WorkflowEngine | Store.DurableStore | SqlClient.SqlClient> => {
  const sharding = { ...failoverSettings, ...options.sharding }
  const cluster = options.runner === undefined && options.clientOnly !== true
    ? SingleRunner.layer({ runnerStorage: "sql", shardingConfig: sharding }).pipe(Layer.provide(NodeCrypto.layerDigest))
    : NodeClusterSocket.layer({
      clientOnly: options.clientOnly === true,
      shardingConfig: {
        ...sharding,
        ...(options.runner === undefined ? {} : {
          runnerAddress: Option.some(RunnerAddress.make(options.runner.host, options.runner.port)),
          runnerListenAddress: Option.some(
            RunnerAddress.make(options.runner.listenHost ?? options.runner.host, options.runner.port)
          )
        })
      }
    })
  return Layer.mergeAll(ClusterWorkflowEngine.layer, Store.layerSql).pipe(
    Layer.provideMerge(Layer.orDie(cluster as Layer.Layer<any, unknown, SqlClient.SqlClient>)),
    Layer.provideMerge(layerSql(options.url))
  ) as Layer.Layer<WorkflowEngine.WorkflowEngine | Store.DurableStore | SqlClient.SqlClient>
}

/**
 * {@link layerPostgres} from the environment: `DATABASE_URL` (redacted), and for a socket runner `RUNNER_HOST`
 * and `RUNNER_PORT` (without them: a single runner).
 */
export const layerPostgresConfig = (
  options?: Omit<PostgresOptions, "url" | "runner">
): Layer.Layer<WorkflowEngine.WorkflowEngine | Store.DurableStore | SqlClient.SqlClient, Config.ConfigError> =>
  Layer.unwrap(
    Effect.map(
      Config.all({
        url: Config.Redacted("DATABASE_URL"),
        host: Config.option(Config.String("RUNNER_HOST")),
        port: Config.option(Config.Int("RUNNER_PORT"))
      }),
      ({ host, port, url }) =>
        layerPostgres({
          ...options,
          url,
          runner: Option.isSome(port) ? { host: Option.getOrElse(host, () => "127.0.0.1"), port: port.value } : undefined
        })
    )
  )

/**
 * What a worker process runs: the engine and every durable workflow registered on it. Provide an `IconikClient` and a
 * `StorageClient` (and the Node file system and path services).
 */
export const worker = <E, R>(
  engine: Layer.Layer<WorkflowEngine.WorkflowEngine | Store.DurableStore, E, R>
): Layer.Layer<
  WorkflowEngine.WorkflowEngine | Store.DurableStore,
  E,
  R | IconikClient | StorageClient | FileSystem.FileSystem | Path.Path
> => workflows.pipe(Layer.provideMerge(engine))
