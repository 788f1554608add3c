/**
 * The uploader the upload benchmarks measure: the `uploadProxy` workflow on the production storage client (its own
 * keep-alive node:http transport), with the Iconik calls on a keep-alive node:http transport too, as the `iconik`
 * command does (or, to measure what that saves, on undici). The peak-RSS child loads this module and nothing else of
 * the benchmarks, so it stays free of the driver's plumbing.
 */
// Subpath imports, as in the library: an index module loads every module of its package and inflates the RSS measured.
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import * as Assets from "../src/Assets.ts"
import * as Files from "../src/Files.ts"
import * as IconikClient from "../src/IconikClient.ts"
import { MiB } from "../src/storage/Parts.ts"
import { StorageClient } from "../src/storage/StorageClient.ts"
import { uploadProxy } from "../workflows/uploadProxy.ts"

/** The workflow's defaults, spelt out: every contender of a comparison uses the same. */
export const PART_SIZE = 8 * MiB
export const CONCURRENCY = 4

/** Where an emulator child answers, and its admin credentials. */
export interface EmulatorInfo {
  readonly baseUrl: string
  readonly appId: string
  readonly authToken: string
}

export const clientLayer = (emulator: EmulatorInfo, readChunkSize?: number, iconikOnUndici = false) =>
  Layer.mergeAll(
    readChunkSize === undefined ? StorageClient.layer : StorageClient.layerOptions({ readChunkSize }),
    NodeFileSystem.layer,
    NodePath.layer,
    // A handful of Iconik calls per upload: the limiter is not what is measured.
    IconikClient.layer({ ...emulator, rateLimit: false }).pipe(
      Layer.provide(
        iconikOnUndici ? NodeHttpClient.layerUndici : NodeHttpClient.layerNodeHttpOptions({ keepAlive: true })
      )
    )
  )

export type ClientRuntime = ManagedRuntime.ManagedRuntime<Layer.Success<ReturnType<typeof clientLayer>>, unknown>

export const partsOf = (size: number) => Math.ceil(size / PART_SIZE)

/**
 * Retries a bench-side Iconik call whose connection was reset: on a busy machine, a keep-alive connection the
 * emulator closes after 5 s idle (while another contender ran) can be picked for a request at that very moment.
 * Repeating the call at worst leaves one more asset or proxy in the emulator. (The workflow reconciles its own calls.)
 */
export const retryReset = <A, E extends { readonly _tag: string }, R>(call: Effect.Effect<A, E, R>) =>
  Effect.retry(call, {
    times: 2,
    while: (error) => error._tag === "IconikTransportError" && (error as { reason?: string }).reason === "ConnectionReset"
  })

/**
 * One `uploadProxy` of `file` into a new asset; checks the proxy is CLOSED with every part. Milliseconds.
 * `beforeUpload` runs once the asset exists, just before the workflow starts.
 */
export const uploadWithWorkflow = (
  runtime: ClientRuntime,
  file: string,
  size: number,
  beforeUpload?: () => void,
  concurrency: number = CONCURRENCY
) =>
  runtime.runPromise(Effect.gen(function*() {
    const asset = yield* retryReset(Assets.create({ title: `upload bench ${Path.basename(file)}` }))
    beforeUpload?.()
    const started = performance.now()
    // Multipart whatever the size (by default files up to 16 MiB go in one PUT), so that every size measures one path.
    const result = yield* uploadProxy({
      assetId: asset.id,
      file,
      partSize: PART_SIZE,
      concurrency,
      singlePutThreshold: 0
    })
    const millis = performance.now() - started
    const proxy = yield* Files.getProxy(asset.id, result.proxyId)
    if (
      proxy.status !== "CLOSED" || result.size !== size || result.transfer.strategy !== "multipart" ||
      result.transfer.partsTotal !== partsOf(size)
    ) {
      const found = JSON.stringify({ status: proxy.status, result })
      return yield* Effect.die(new Error(`unexpected upload result: ${found}`))
    }
    return millis
  }))
