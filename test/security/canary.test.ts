/**
 * Secret canary. The emulator runs on a 127.0.0.1 socket behind a recorder that keeps every request's headers and URL;
 * the admin's token is a unique canary string, and the emulator's presigned URLs carry HMAC signatures that the
 * recorder harvests from the storage requests (plus a canary presigned URL quoted in injected faults). A proxy upload
 * and a file ingest then run with faults — Iconik 5xx bodies quoting the canary URL and the token, a truncated answer
 * that hands out part URLs (a decode error), storage errors quoting the canary URL — and so does the `iconik` command
 * (a child process). Every log line (a collecting Logger, at every level), every span (a recording Tracer: names,
 * attributes, events, how it ended), every error (message, `String(e)`, JSON, stack) and everything the command
 * printed must hold neither the token nor any signature; no storage request may carry Iconik's headers or trace context.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodePath from "@effect/platform-node/NodePath"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Logger, Path, References, Tracer } from "effect"
import { HttpClient, HttpServer, HttpServerRequest } from "effect/http"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import * as Assets from "../../src/Assets.ts"
import * as IconikClient from "../../src/IconikClient.ts"
import { StorageClient } from "../../src/storage/StorageClient.ts"
import * as Testing from "../../src/testing/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { uploadProxy } from "../../workflows/uploadProxy.ts"
import { envFor, runIconik } from "../cli/support.ts"
import { mediaFolder, MiB } from "../workflows/support.ts"

const hex = (bytes: number) => randomBytes(bytes).toString("hex")
/** Not JWT-shaped on purpose: only the client's knowledge of its own token can hide it. */
const canaryToken = `canary-token-${hex(12)}`
const canarySignature = `canarysig${hex(16)}`
const canaryUploadId = `canary-upload-${hex(8)}`
const canaryUrl = `https://canary-bucket.s3.amazonaws.com/proxies/clip.mp4?partNumber=2&uploadId=${canaryUploadId}` +
  `&X-Amz-Credential=AKIACANARY%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${canarySignature}`
/** What an Iconik 5xx body says in this test: the presigned URL and the caller's token, verbatim. */
const leakyErrors = [`storage refused ${canaryUrl}`, `while acting for Auth-Token ${canaryToken}`]

// ---------------------------------------------------------------------------------------------------------------
// What leaves the process, collected

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
}
const seen: Array<Seen> = []
const logLines: Array<string> = []
const spanTexts: Array<string> = []
const errorTexts: Array<string> = []
const cliTexts: Array<string> = []

const collector = Logger.make((options) => {
  logLines.push(Logger.formatLogFmt.log(options), Logger.formatJson.log(options))
})

class RecordingSpan extends Tracer.NativeSpan {
  override end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    super.end(endTime, exit)
    // The emulator's own server spans stand for Iconik's and the storage provider's side, not this process's.
    if (this.kind === "server") return
    spanTexts.push(
      JSON.stringify({
        name: this.name,
        kind: this.kind,
        attributes: Object.fromEntries(this.attributes),
        events: this.events.map(([name, , attributes]) => ({ name, attributes }))
      }),
      Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "",
      ...(Exit.isFailure(exit) ? exit.cause.reasons.flatMap(reasonTexts) : [])
    )
  }
}
const tracer = Tracer.make({ span: (options) => new RecordingSpan(options) })

/** What an exporter or a log line could show of one failure: message, `String(e)`, JSON, stack. */
const reasonTexts = (reason: Cause.Reason<unknown>): ReadonlyArray<string> => {
  const value = Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined
  if (value === undefined) return []
  const error = value as Partial<Error>
  return [String(error.message), String(value), JSON.stringify(value), String(error.stack)]
}

/** Runs a workflow and keeps every text its failure (if any) shows; returns the exit. */
const collect = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.tap(Effect.exit(effect), (exit) =>
    Effect.sync(() => {
      if (Exit.isFailure(exit)) errorTexts.push(Cause.pretty(exit.cause), ...exit.cause.reasons.flatMap(reasonTexts))
    }))

const failureTag = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) ? (exit.cause.reasons.find(Cause.isFailReason)?.error as { _tag?: string } | undefined)?._tag : "Success"

// ---------------------------------------------------------------------------------------------------------------
// The emulator behind a recorder, and the production clients

const emulatorOptions: Testing.IconikEmulatorOptions = {
  authToken: canaryToken,
  rateLimit: false,
  jobs: { startAfter: 20, duration: 60, abortAfter: 20 }
}

const recordedEmulator = Layer.effect(
  IconikEmulator,
  Effect.gen(function*() {
    const fallback = yield* HttpClient.HttpClient
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
    const emulator = yield* IconikEmulator.make(emulatorOptions, fallback, HttpServer.formatAddress(server.address))
    yield* server.serve(
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        seen.push({ method: request.method, url: request.url, headers: { ...request.headers } })
        return emulator.handler
      })
    )
    return { ...emulator, httpClient: fallback }
  })
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const iconikClient = Layer.effect(
  IconikClient.IconikClient,
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    return yield* IconikClient.make({
      appId: emulator.credentials.appId,
      authToken: emulator.credentials.authToken,
      baseUrl: emulator.baseUrl,
      retry: { baseDelay: 5, maxDelay: 20 },
      rateLimit: false
    }).pipe(Effect.orDie)
  })
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const testLayer = Layer.mergeAll(
  iconikClient,
  StorageClient.layerOptions({ retry: { baseDelay: 5, maxDelay: 20 } }),
  NodeFileSystem.layer,
  NodePath.layer
).pipe(Layer.provideMerge(recordedEmulator))

// ---------------------------------------------------------------------------------------------------------------
// Secrets the run handed out

const isStorage = (request: Seen) => request.url.startsWith("/_storage/")

/** Query values that are credentials in the storage URLs the client used, and any Authorization it sent. */
const harvestedSecrets = (): ReadonlyArray<string> => {
  const secrets = new Set<string>()
  for (const request of seen.filter(isStorage)) {
    const url = new URL(request.url, "http://recorder.invalid")
    for (const [name, value] of url.searchParams) {
      if (/signature|sig$|credential|token|upload_?id|session/i.test(name) && value.length >= 8) secrets.add(value)
    }
    if (request.headers.authorization !== undefined) secrets.add(request.headers.authorization)
  }
  // As sent in a URL, too (a credential's slashes are %2F there).
  return [...secrets].flatMap((secret) => [secret, encodeURIComponent(secret)])
}

const iconikRoute = (method: "GET" | "PATCH" | "POST", pattern: string): Pick<Testing.FaultRule, "method" | "route"> => ({
  method,
  route: new RegExp(`^${method} ${pattern}$`)
})

describe("secret canary", () => {
  it.live("no token, signature or Iconik header leaves through logs, spans, errors, CLI output or storage requests", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "proxy.mp4": 11 * MiB, "broken.mp4": 6 * MiB, "a.mov": 11 * MiB, "b.mov": 11 * MiB, "cli.mov": 2 * MiB })
      const file = (name: string) => path.join(dir, name)
      const partUrls = (kind: string) => iconikRoute("GET", `/API/files/v1/assets/[^/]+/${kind}/[^/]+/multipart_url/part/`)

      // 1. A proxy upload that succeeds through faults: a 503 quoting the secrets on the part URLs (retried), and a
      //    storage 503 whose message quotes the canary URL (retried).
      yield* emulator.addFault({ ...partUrls("proxies"), times: 1, fault: Testing.Faults.serverError(503, leakyErrors) })
      yield* emulator.objectStore.addFault({
        fault: Testing.ObjectStore.Faults.fail(503, { code: "SlowDown", message: `slow down for ${canaryUrl}` }),
        operation: "UploadPart",
        partNumber: 2,
        times: 1
      })
      const asset = yield* Assets.create({ title: "canary" })
      const proxy = { assetId: asset.id, partSize: 5 * MiB, singlePutThreshold: MiB, wait: false } as const
      const ok = yield* collect(uploadProxy({ ...proxy, file: file("proxy.mp4") }))
      assert.strictEqual(failureTag(ok), "Success")
      yield* emulator.clearFaults
      yield* emulator.objectStore.clearFaults

      // 2. A proxy upload whose close fails with a 500 quoting the secrets: the workflow fails and cleans up.
      yield* emulator.addFault({
        ...iconikRoute("PATCH", "/API/files/v1/assets/[^/]+/proxies/[^/]+/"),
        fault: Testing.Faults.serverError(500, leakyErrors)
      })
      const closeFailed = yield* collect(uploadProxy({ ...proxy, file: file("broken.mp4") }))
      assert.strictEqual(failureTag(closeFailed), "IconikServerError")
      yield* emulator.clearFaults

      // 3. A file ingest whose part-URL answer is cut short: a decode error over a body full of presigned URLs.
      yield* emulator.addFault({ ...partUrls("files"), fault: Testing.Faults.truncatedBody })
      const ingest = { partSize: 5 * MiB, singlePutThreshold: MiB } as const
      const truncated = yield* collect(ingestFile({ ...ingest, file: file("a.mov") }))
      assert.strictEqual(failureTag(truncated), "IconikDecodeError")
      yield* emulator.clearFaults

      // 4. A file ingest whose storage refuses a part, quoting the canary URL.
      yield* emulator.objectStore.addFault({
        fault: Testing.ObjectStore.Faults.fail(403, { code: "AccessDenied", message: `denied: ${canaryUrl}` }),
        operation: "UploadPart",
        partNumber: 2
      })
      const refused = yield* collect(ingestFile({ ...ingest, file: file("b.mov") }))
      assert.strictEqual(failureTag(refused), "StorageError")
      yield* emulator.objectStore.clearFaults

      // 5. The command line: an ingest whose close fails with the leaky 500, in words and in JSON.
      yield* emulator.addFault({
        ...iconikRoute("PATCH", "/API/files/v1/assets/[^/]+/files/[^/]+/"),
        fault: Testing.Faults.serverError(500, leakyErrors)
      })
      for (const json of [[], ["--json"]]) {
        const ran = yield* runIconik(["ingest", file("cli.mov"), "--part-size", "5", "--quiet", ...json], {
          env: envFor(emulator)
        })
        assert.strictEqual(ran.code, 1, ran.stderr)
        cliTexts.push(ran.stdout, ran.stderr)
      }
      yield* emulator.clearFaults

      // The collectors saw what they should (else the test would pass for nothing).
      const iconik = seen.filter((r) => r.url.startsWith("/API/"))
      const storage = seen.filter(isStorage)
      assert.isTrue(iconik.length > 0 && iconik.every((r) => r.headers["auth-token"] === canaryToken))
      assert.isAbove(storage.length, 8)
      const secrets = [canaryToken, canarySignature, canaryUploadId, ...harvestedSecrets()]
      assert.isAbove(secrets.length, 10)
      assert.isTrue(logLines.some((line) => line.includes("storage request failed")), "debug logs are collected")
      assert.isTrue(spanTexts.some((text) => text.includes("\"name\":\"Iconik.")), "Iconik spans are recorded")
      assert.isTrue(spanTexts.some((text) => text.includes("\"name\":\"storage.UploadPart\"")), "storage spans are recorded")
      // The leaky bodies did reach the errors and the command's words: only their secrets are gone.
      assert.isTrue(errorTexts.some((text) => text.includes("canary-bucket.s3.amazonaws.com/proxies/clip.mp4")))
      assert.isTrue(cliTexts.some((text) => text.includes("canary-bucket.s3.amazonaws.com/proxies/clip.mp4")))

      const outputs = { logs: logLines, spans: spanTexts, errors: errorTexts, cli: cliTexts }
      for (const [where, texts] of Object.entries(outputs)) {
        for (const text of texts) {
          for (const secret of secrets) {
            assert.isFalse(text.includes(secret), `${where} show the secret ${secret}:\n${text}`)
          }
        }
      }
      for (const request of storage) {
        for (const header of ["auth-token", "app-id", "traceparent", "tracestate", "b3"]) {
          assert.notProperty(request.headers, header, `${request.method} ${request.url.split("?")[0]} sent ${header}`)
        }
      }
    }).pipe(
      Effect.scoped,
      Effect.provide(testLayer),
      Effect.provide(Logger.layer([collector, Logger.tracerLogger])),
      Effect.provideService(Tracer.Tracer, tracer),
      Effect.provideService(References.MinimumLogLevel, "All")
    ), { timeout: 120_000 })
})
