/**
 * Recipe: test an error path against the emulator, with @effect/vitest: no credentials, no network. Here the calls
 * go over a real socket on 127.0.0.1 (`layerServerClient`); `IconikEmulator.layerClient()` runs the same tests
 * in-process, where TestClock drives the emulator's time too.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Assets, IconikNotFound, IconikServerError } from "../src/index.ts"
import { Faults, IconikEmulator } from "../src/testing/index.ts"

/** The code under test: an asset's title, `undefined` when there is no such asset; any other error stays typed. */
export const titleOf = (assetId: string) =>
  Assets.get(assetId).pipe(
    Effect.map((asset) => asset.title),
    Effect.catchTag("IconikNotFound", () => Effect.succeed(undefined))
  )

const missing = "5e4d7f2a-0000-11ef-8000-000000000000"

layer(IconikEmulator.layerServerClient())("titleOf, against the emulator", (it) => {
  it.effect("a missing asset is a typed IconikNotFound, with the path and Iconik's errors", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Assets.get(missing))
      assert.instanceOf(error, IconikNotFound)
      assert.strictEqual(error.status, 404)
      assert.strictEqual(error.path, `/API/assets/v1/assets/${missing}/`)
    }))

  it.effect("finds the title of an asset that exists, and undefined for one that does not", () =>
    Effect.gen(function*() {
      const asset = yield* Assets.create({ title: "Interview 03" })
      assert.strictEqual(yield* titleOf(asset.id), "Interview 03")
      assert.strictEqual(yield* titleOf(missing), undefined)
    }))

  it.effect("does not hide a server error (a fault the emulator injects once)", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asset = yield* Assets.create({ title: "Interview 04" })
      yield* emulator.addFault({ method: "GET", route: "/API/assets/v1/assets/{asset_id}/", times: 1, fault: Faults.serverError(500) })
      const error = yield* Effect.flip(titleOf(asset.id))
      assert.instanceOf(error, IconikServerError)
      assert.strictEqual(yield* titleOf(asset.id), "Interview 04") // the fault fired once
    }))
})
