/** The emulator as a replay target: a real server on 127.0.0.1 for the length of `use`. */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { IconikEmulator } from "../src/testing/index.ts"
import type { Target } from "./runner.ts"

export const withEmulator = <A>(use: (target: Target) => Promise<A>): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      return yield* Effect.promise(() =>
        use({ baseUrl: emulator.baseUrl, appId: emulator.credentials.appId, authToken: emulator.credentials.authToken })
      )
    }).pipe(Effect.provide(Layer.fresh(IconikEmulator.layerServer({ seed: "contract" }))))
  )
