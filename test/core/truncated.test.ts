/**
 * Answers cut short, over a real socket to the emulator: a 2xx whose body is incomplete or not JSON is retried like a
 * transport failure when repeating the request is safe, and handed back to the caller (who reconciles) for a POST.
 */
import { describe, it } from "@effect/vitest"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { assets } from "../../src/generated/index.ts"
import { Faults, IconikEmulator } from "../../src/testing/index.ts"

const overSocket = IconikEmulator.layerServerClient(
  { rateLimit: false },
  { retry: { baseDelay: 1, maxDelay: 5 }, rateLimit: false }
)

/** The emulator's log of one method: each answer's status and the fault it carried. */
const seen = (method: string) =>
  IconikEmulator.use((emulator) =>
    Effect.map(emulator.requests, (requests) =>
      requests.filter((r) => r.method === method).map((r) => [r.status, r.fault ?? "none"])
    )
  )

describe("truncated answers over a socket", () => {
  it.live("a GET whose JSON body is cut short is sent again and succeeds", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asset = yield* assets.createAsset({ body: { title: "Whole" } })
      yield* emulator.addFault({ method: "GET", times: 1, fault: Faults.truncatedBody })
      const got = yield* assets.getAsset({ asset_id: asset.id })
      assert.strictEqual(got.title, "Whole")
      assert.deepStrictEqual(yield* seen("GET"), [[200, "TruncatedBody"], [200, "none"]])
    }).pipe(Effect.provide(overSocket)))

  it.live("a GET whose connection closes before Content-Length is sent again and succeeds", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asset = yield* assets.createAsset({ body: { title: "Whole" } })
      yield* emulator.addFault({ method: "GET", times: 1, fault: Faults.reset })
      const got = yield* assets.getAsset({ asset_id: asset.id })
      assert.strictEqual(got.title, "Whole")
      assert.deepStrictEqual(yield* seen("GET"), [[0, "LostAnswer"], [200, "none"]])
    }).pipe(Effect.provide(overSocket)))

  it.live("a PATCH (it sets fields: the same body twice is safe) is sent again after a truncated answer", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const asset = yield* assets.createAsset({ body: { title: "Before" } })
      yield* emulator.addFault({ method: "PATCH", times: 1, fault: Faults.truncatedBody })
      const patched = yield* assets.patchAsset({ asset_id: asset.id, body: { title: "After" } })
      assert.strictEqual(patched.title, "After")
      assert.deepStrictEqual(yield* seen("PATCH"), [[200, "TruncatedBody"], [200, "none"]])
    }).pipe(Effect.provide(overSocket)))

  it.live("a POST's truncated answer is not repeated: one asset exists, the caller gets the decode error", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      yield* emulator.addFault({ method: "POST", times: 1, fault: Faults.truncatedBody })
      const error = yield* assets.createAsset({ body: { title: "Once" } }).pipe(Effect.flip)
      assert.strictEqual(error._tag, "IconikDecodeError")
      assert.deepStrictEqual(yield* seen("POST"), [[201, "TruncatedBody"]])
      assert.deepStrictEqual([...emulator.state.assets.values()].map((a) => a.title), ["Once"])
    }).pipe(Effect.provide(overSocket)))
})
