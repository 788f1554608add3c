/**
 * The programs of docs/recipes.md (`recipes/`): the doc shows each file whole, and each program's `main` runs here
 * with its own layer — its Iconik client built from the environment (a ConfigProvider holding the emulator's
 * ICONIK_BASE_URL, ICONIK_APP_ID and ICONIK_AUTH_TOKEN), Node's HTTP and file system — against the emulator on a
 * 127.0.0.1 socket. Each test checks what the program answered and what the emulator holds afterwards.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, FileSystem, Layer, Logger, Path } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as BulkMetadata from "../recipes/bulk-metadata.ts"
import * as ExportCollectionMetadata from "../recipes/export-collection-metadata.ts"
import * as FindMetadataView from "../recipes/find-metadata-view.ts"
import * as IngestFolder from "../recipes/ingest-folder.ts"
import * as RealIconikSafely from "../recipes/real-iconik-safely.ts"
import * as SearchWithFilters from "../recipes/search-with-filters.ts"
import * as TuneConcurrency from "../recipes/tune-concurrency.ts"
import * as UploadProxy from "../recipes/upload-proxy.ts"
import * as WaitForTranscode from "../recipes/wait-for-transcode.ts"
import * as Assets from "../src/Assets.ts"
import * as Collections from "../src/Collections.ts"
import * as Iconik from "../src/IconikClient.ts"
import * as Metadata from "../src/Metadata.ts"
import type * as Testing from "../src/testing/index.ts"
import { ingestFile } from "../workflows/ingestFile.ts"
import { failureOf, IconikEmulator, mediaFolder, MiB, overSocket } from "./workflows/support.ts"
// A recipe that is itself a test file: importing it registers its tests in this file.
import "../recipes/error-path.test.ts"

const root = path.resolve(import.meta.dirname, "..")

// ---------------------------------------------------------------------------------------------------------------
// The doc shows every recipe as it is

/** What each relative import of a recipe stands for: the package's public entry points. */
const entryPoints: Record<string, string> = {
  "../src/index.ts": "effect-iconik",
  "../src/generated/index.ts": "effect-iconik/generated",
  "../src/storage/index.ts": "effect-iconik/storage",
  "../src/testing/index.ts": "effect-iconik/testing",
  "../workflows/index.ts": "effect-iconik/workflows"
}

const recipeFiles = fs.readdirSync(path.join(root, "recipes")).filter((name) => name.endsWith(".ts")).sort()
const doc = fs.readFileSync(path.join(root, "docs", "recipes.md"), "utf8")

/** The ```ts block right after each `<!-- recipes/<file> -->` marker. */
const docBlocks = (): Map<string, Array<string>> => {
  const blocks = new Map<string, Array<string>>()
  for (const match of doc.matchAll(/<!-- recipes\/([\w.-]+) -->\n```ts\n([\s\S]*?)```\n/g)) {
    blocks.set(match[1]!, [...(blocks.get(match[1]!) ?? []), match[2]!])
  }
  return blocks
}

const asPublished = (source: string) =>
  source.replace(/from "(\.\.\/[^"]+)"/g, (whole, specifier: string) =>
    specifier in entryPoints ? `from "${entryPoints[specifier]}"` : whole)

describe("docs/recipes.md", () => {
  it("has ten recipes, and shows each file exactly once", () => {
    assert.strictEqual(recipeFiles.length, 10)
    const blocks = docBlocks()
    assert.deepStrictEqual([...blocks.keys()].sort(), recipeFiles)
    for (const [file, shown] of blocks) assert.strictEqual(shown.length, 1, `${file} is shown ${shown.length} times`)
  })

  it.each(recipeFiles)("shows %s as it is, with the package's import names", (file) => {
    const source = fs.readFileSync(path.join(root, "recipes", file), "utf8")
    const message = `docs/recipes.md does not show recipes/${file} as it is: copy the file into its block, with the package names for its imports`
    assert.strictEqual(docBlocks().get(file)?.[0], asPublished(source), message)
  })

  it.each(recipeFiles)("%s imports the package only through its public entry points", (file) => {
    const source = fs.readFileSync(path.join(root, "recipes", file), "utf8")
    const relative = [...source.matchAll(/from "(\.[^"]+)"/g)].map((m) => m[1]!)
    for (const specifier of relative) assert.isTrue(specifier in entryPoints, `${file} imports ${specifier}`)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Each recipe's main, against the emulator on a socket

/** Runs a recipe's `main` with the environment it would read: the emulator's base URL and credentials, and `env`. */
const runMain = <A, E>(main: Effect.Effect<A, E>, env: Record<string, string>, user?: Testing.EmulatorUser) =>
  IconikEmulator.use((emulator) =>
    main.pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({
        ICONIK_BASE_URL: emulator.baseUrl,
        ICONIK_APP_ID: user?.appId ?? emulator.credentials.appId,
        ICONIK_AUTH_TOKEN: user?.token ?? emulator.credentials.authToken,
        ...env
      }))),
      Effect.provide(Logger.layer([])) // the recipes log what they do; not here
    ))

describe("recipes, over a socket", () => {
  it.live("upload-proxy: the proxy is CLOSED with the file's size, and its keyframes job FINISHED", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "proxy.mp4": 17 * MiB + 7 })
      const asset = yield* Assets.create({ title: "Interview 03" })
      const result = yield* runMain(UploadProxy.main, { ASSET_ID: asset.id, PROXY_FILE: path.join(dir, "proxy.mp4") })
      assert.strictEqual(result.assetId, asset.id)
      assert.strictEqual(result.transfer.strategy, "multipart")
      assert.strictEqual(result.keyframesJobStatus, "FINISHED")
      const proxy = emulator.state.proxies.get(result.proxyId)
      assert.strictEqual(proxy?.status, "CLOSED")
      assert.strictEqual(proxy?.size, 17 * MiB + 7)
      assert.deepStrictEqual((yield* emulator.verifyClosedUploads).filter((m) => m.kind === "proxy"), [])
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("ingest-folder: ingests the sub-folders, leaves out what `include` refuses, and a rerun skips it all", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 1000, "day1/b.mov": 2000, "day1/part.tmp": 10 })
      const first = yield* runMain(IngestFolder.main, { FOLDER: dir })
      assert.deepStrictEqual(first.ingested.map((item) => item.path).sort(), ["a.mov", "day1/b.mov"])
      assert.deepStrictEqual(first.failed, [])
      const files = [...emulator.state.files.values()]
      assert.deepStrictEqual(files.map((f) => `${f.directory_path}/${f.original_name} ${f.status}`).sort(), [
        "/a.mov CLOSED",
        "day1/b.mov CLOSED"
      ])
      const again = yield* runMain(IngestFolder.main, { FOLDER: dir })
      assert.deepStrictEqual(again.ingested, [])
      assert.deepStrictEqual(again.skipped.map((item) => item.reason), ["AlreadyIngested", "AlreadyIngested"])
      assert.strictEqual(emulator.state.assets.size, 2)
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("bulk-metadata: writes the values it can, and reports each failure with its typed error", () =>
    Effect.gen(function*() {
      const fileSystem = yield* FileSystem.FileSystem
      const pathService = yield* Path.Path
      const view = yield* productionView
      const [a, b] = yield* Effect.forEach(["Interview 03", "Interview 04"], (title) => Assets.create({ title }))
      const updates = [
        { assetId: a!.id, values: { genre: ["news"], rating: [4] } },
        { assetId: missingAsset, values: { genre: ["sport"] } },
        { assetId: b!.id, values: { rating: ["four"] } } // not an integer
      ]
      const dir = yield* fileSystem.makeTempDirectoryScoped()
      const file = pathService.join(dir, "updates.json")
      yield* fileSystem.writeFileString(file, JSON.stringify(updates))
      const report = yield* runMain(BulkMetadata.main, { VIEW_ID: view.id, UPDATES: file })
      assert.deepStrictEqual(report.updated, [a!.id])
      assert.deepStrictEqual(report.failed.map((f) => [f.assetId, f.error]), [
        [missingAsset, "IconikNotFound"],
        [b!.id, "IconikBadRequest"]
      ])
      const stored = yield* Metadata.getForAsset(a!.id, view.id)
      assert.deepStrictEqual(stored.metadata_values.genre?.field_values?.map((v) => v.value), ["news"])
      assert.deepStrictEqual(stored.metadata_values.rating?.field_values?.map((v) => v.value), [4])
      assert.deepStrictEqual((yield* Metadata.getForAsset(b!.id, view.id, { emptyOnNotFound: true })).metadata_values, {})
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("wait-for-transcode: starts a keyframes job on the original file and answers it FINISHED", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 4000 })
      const ingested = yield* ingestFile({ file: path.join(dir, "a.mov") })
      const job = yield* runMain(WaitForTranscode.main, { ASSET_ID: ingested.assetId })
      assert.strictEqual(job?.status, "FINISHED")
      assert.strictEqual(emulator.state.jobs.get(job!.id)?.status, "FINISHED")
      assert.isTrue([...emulator.state.keyframes.values()].some((k) => k.asset_id === ingested.assetId))
      // An asset without a file: a typed failure, not a job.
      const empty = yield* Assets.create({ title: "no file" })
      const exit = yield* Effect.exit(runMain(WaitForTranscode.main, { ASSET_ID: empty.id }))
      assert.instanceOf(failureOf(exit), WaitForTranscode.NothingToTranscode)
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("find-metadata-view: the id of a view by name, whatever its case; ViewNotFound naming the views there are", () =>
    Effect.gen(function*() {
      const view = yield* productionView
      const found = yield* runMain(FindMetadataView.main, { VIEW_NAME: "production" })
      assert.deepStrictEqual(found, { id: view.id, name: "Production", fields: ["genre", "rating"] })
      const exit = yield* Effect.exit(runMain(FindMetadataView.main, { VIEW_NAME: "Archive" }))
      const error = failureOf(exit)
      assert.instanceOf(error, FindMetadataView.ViewNotFound)
      assert.deepStrictEqual((error as FindMetadataView.ViewNotFound).known, ["Production"])
    }).pipe(Effect.provide(overSocket())))

  it.live("search-with-filters: only the hits that match the text, the date range and the metadata value, newest first", () =>
    Effect.gen(function*() {
      const view = yield* productionView
      const make = (title: string, genre: string, body: Partial<Parameters<typeof Assets.create>[0]> = {}) =>
        Effect.tap(Assets.create({ title, ...body }), (asset) =>
          Metadata.putForAsset(asset.id, view.id, { metadata_values: { genre: { field_values: [{ value: genre }] } } }))
      const older = yield* make("Interview 01", "news")
      const old = yield* make("Interview 00", "news", { date_created: "2019-03-01T10:00:00+00:00" })
      yield* make("Interview 02", "sport")
      yield* make("Landscape", "news")
      const newer = yield* make("Interview 03", "news")
      const hits = yield* runMain(SearchWithFilters.main, { QUERY: "interview", SINCE: "2020-01-01", GENRE: "news" })
      assert.deepStrictEqual(hits, [{ id: newer.id, title: "Interview 03" }, { id: older.id, title: "Interview 01" }])
      const all = yield* runMain(SearchWithFilters.main, { QUERY: "interview", SINCE: "2000-01-01", GENRE: "news" })
      assert.include(all.map((hit) => hit.id), old.id)
    }).pipe(Effect.provide(overSocket())))

  it.live("export-collection-metadata: one row per asset of the collection, with its values", () =>
    Effect.gen(function*() {
      const fileSystem = yield* FileSystem.FileSystem
      const pathService = yield* Path.Path
      const view = yield* productionView
      const collection = yield* Collections.create({ title: "Rushes" })
      const inside = yield* Effect.forEach(["Interview 03", "Interview 04"], (title) => Assets.create({ title }))
      yield* Assets.create({ title: "Elsewhere" })
      yield* Effect.forEach(inside, (asset) => Collections.addContent(collection.id, { object_id: asset.id, object_type: "assets" }))
      yield* Metadata.putForAsset(inside[0]!.id, view.id, {
        metadata_values: { genre: { field_values: [{ value: "news" }] }, rating: { field_values: [{ value: 5 }] } }
      })
      const dir = yield* fileSystem.makeTempDirectoryScoped()
      const out = pathService.join(dir, "rushes.csv")
      const result = yield* runMain(ExportCollectionMetadata.main, { COLLECTION_ID: collection.id, VIEW_ID: view.id, OUT: out })
      assert.strictEqual(result.rows, 2)
      const lines = (yield* fileSystem.readFileString(out)).trim().split(/\r?\n/)
      assert.strictEqual(lines[0], "id,object_type,title,genre,rating")
      assert.deepStrictEqual(lines.slice(1).sort(), [
        `${inside[0]!.id},assets,Interview 03,news,5`,
        `${inside[1]!.id},assets,Interview 04,,`
      ].sort())
    }).pipe(Effect.scoped, Effect.provide(overSocket())))

  it.live("real-iconik-safely: a dry run only reads and plans; APPLY=true makes exactly the planned changes", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const titles = ["Interview 03.mov", "Interview 04.MP4", "Interview 05"]
      const assets = yield* Effect.forEach(titles, (title) => Assets.create({ title }))
      const writes = Effect.map(emulator.requests, (all) => all.filter((r) => r.method !== "GET" && !r.path.startsWith("/API/search/")))
      const before = (yield* writes).length
      const dryRun = yield* runMain(RealIconikSafely.main, { QUERY: "interview" })
      assert.strictEqual(dryRun.applied, 0)
      assert.deepStrictEqual(dryRun.plan.map((c) => c.after).sort(), ["Interview 03", "Interview 04"])
      assert.strictEqual((yield* writes).length, before, "a dry run sent a write")
      assert.deepStrictEqual(assets.map((a) => emulator.state.assets.get(a.id)?.title), titles)
      const applied = yield* runMain(RealIconikSafely.main, { QUERY: "interview", APPLY: "true" })
      assert.strictEqual(applied.applied, 2)
      assert.deepStrictEqual(assets.map((a) => emulator.state.assets.get(a.id)?.title), ["Interview 03", "Interview 04", "Interview 05"])
      assert.strictEqual((yield* writes).length, before + 2)
    }).pipe(Effect.provide(overSocket())))

  it.live("tune-concurrency: above the server's rate, 429s are met and retried; tuned below it, none", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const dir = yield* mediaFolder({ "a.mov": 100, "b.mov": 200 })
      // Seeded by a client paced below the server's rate (the shared admin client is not paced at all).
      yield* Effect.gen(function*() {
        yield* ingestFile({ file: path.join(dir, "a.mov"), title: "Interview 01" })
        yield* ingestFile({ file: path.join(dir, "b.mov"), title: "Interview 02" })
        yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => `Interview ${i + 10}`), (title) => Assets.create({ title }))
      }).pipe(Effect.provide(Iconik.layer({
        ...emulator.credentials,
        baseUrl: emulator.baseUrl,
        rateLimit: { requestsPerSecond: 5, burst: 5 }
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))))
      // A user each, so each run starts with the server's full budget for its App-ID.
      const eager = yield* emulator.addUser({ email: "eager@example.com", token: "eager-token", appId: "eager-app", admin: true })
      const tuned = yield* emulator.addUser({ email: "tuned@example.com", token: "tuned-token", appId: "tuned-app", admin: true })
      const limited = (appId: string) => Effect.map(emulator.requests, (all) => all.filter((r) => r.appId === appId && r.status === 429).length)

      const fast = yield* runMain(TuneConcurrency.main, { QUERY: "interview", CONCURRENCY: "12", ICONIK_RATE: "100", ICONIK_BURST: "100" }, eager)
      assert.deepStrictEqual({ assets: fast.assets, bytes: fast.bytes }, { assets: 12, bytes: 300 })
      assert.isAbove(fast.rateLimited, 0)
      assert.strictEqual(fast.rateLimited, yield* limited("eager-app"))

      // Half the server's rate and under half its burst: room for a loaded machine's delays (up to about 0.6 s).
      const paced = yield* runMain(TuneConcurrency.main, { QUERY: "interview", CONCURRENCY: "12", ICONIK_RATE: "5", ICONIK_BURST: "2" }, tuned)
      assert.deepStrictEqual(paced, { assets: 12, bytes: 300, rateLimited: 0 })
      assert.strictEqual(yield* limited("tuned-app"), 0)
    }).pipe(Effect.scoped, Effect.provide(overSocket({ rateLimit: { requestsPerSecond: 10, burst: 5 } }))))
})

const missingAsset = "5e4d7f2a-0000-11ef-8000-000000000000"

/** A "Production" view with a text field `genre` and an integer field `rating`. */
const productionView = Effect.gen(function*() {
  yield* Metadata.createField({ name: "genre", label: "Genre", field_type: "string" })
  yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
  return yield* Metadata.createView({ name: "Production", view_fields: [{ name: "genre" }, { name: "rating" }] })
})
