/**
 * `iconik emulator`: it accepts exactly the App-ID and token given with `--app-id` / `--auth-token`, and without them
 * prints credentials derived from `--seed` (the same after a restart with the same seed). Run in-process, on a
 * 127.0.0.1 port, stopped by interrupting it.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Deferred, Effect, Fiber } from "effect"
import { emulatorCredentials, runCli } from "../../src/cli/Cli.ts"

interface Served {
  readonly baseUrl: string
  readonly appId: string
  readonly authToken: string
}

/** Starts `iconik emulator …args` in this process and answers what it printed, with the fiber to stop it. */
const startEmulator = (...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const ready = yield* Deferred.make<Served>()
    let out = ""
    const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: (...parts: ReadonlyArray<unknown>) => {
        out += `${parts.map(String).join(" ")}\n`
        const found = Object.fromEntries([...out.matchAll(/(ICONIK_[A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]))
        if (found.ICONIK_BASE_URL && found.ICONIK_APP_ID && found.ICONIK_AUTH_TOKEN) {
          Deferred.doneUnsafe(ready, Effect.succeed({
            baseUrl: found.ICONIK_BASE_URL,
            appId: found.ICONIK_APP_ID,
            authToken: found.ICONIK_AUTH_TOKEN
          }))
        }
      },
      error: () => {}
    })
    const fiber = yield* runCli(["emulator", "--port", "0", ...args]).pipe(
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, capture),
      // Real credentials in the environment are not the emulator's.
      Effect.provideService(
        ConfigProvider.ConfigProvider,
        ConfigProvider.fromEnv({ env: { ICONIK_APP_ID: "env-app", ICONIK_AUTH_TOKEN: "env-token" } })
      ),
      Effect.forkChild
    )
    const served = yield* Deferred.await(ready).pipe(
      Effect.raceFirst(Effect.flatMap(Fiber.join(fiber), (code) => Effect.die(`the emulator exited with ${code}: ${out}`)))
    )
    return { served, stop: Fiber.interrupt(fiber) }
  })

/** The HTTP status of `GET /API/users/v1/users/current/` with these credentials. */
const statusWith = (baseUrl: string, appId: string, authToken: string) =>
  Effect.promise(() =>
    fetch(`${baseUrl}/API/users/v1/users/current/`, { headers: { "App-ID": appId, "Auth-Token": authToken } })
      .then(async (response) => {
        await response.arrayBuffer()
        return response.status
      })
  )

describe("iconik emulator credentials", () => {
  it.live("--app-id / --auth-token: printed, and the only credentials it accepts", () =>
    Effect.gen(function*() {
      const { served, stop } = yield* startEmulator("--app-id", "my-app", "--auth-token", "my-token")
      assert.strictEqual(served.appId, "my-app")
      assert.strictEqual(served.authToken, "my-token")
      assert.match(served.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual(yield* statusWith(served.baseUrl, "my-app", "my-token"), 200)
      assert.strictEqual(yield* statusWith(served.baseUrl, "my-app", "emulator-admin-token"), 401)
      assert.strictEqual(yield* statusWith(served.baseUrl, "env-app", "env-token"), 401)
      assert.strictEqual(yield* statusWith(served.baseUrl, "other-app", "my-token"), 401)
      yield* stop
    }))

  it.live("without them: credentials derived from --seed, the same after a restart, others for another seed", () =>
    Effect.gen(function*() {
      const first = yield* startEmulator("--seed", "studio-a")
      yield* first.stop
      const again = yield* startEmulator("--seed", "studio-a")
      const other = yield* startEmulator("--seed", "studio-b")

      assert.deepStrictEqual([again.served.appId, again.served.authToken], [first.served.appId, first.served.authToken])
      assert.deepStrictEqual(emulatorCredentials("studio-a"), { appId: first.served.appId, authToken: first.served.authToken })
      assert.notStrictEqual(other.served.appId, first.served.appId)
      assert.notStrictEqual(other.served.authToken, first.served.authToken)
      assert.match(first.served.appId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)

      // Exported from the first run, they work on the restarted one.
      assert.strictEqual(yield* statusWith(again.served.baseUrl, first.served.appId, first.served.authToken), 200)
      assert.strictEqual(yield* statusWith(other.served.baseUrl, first.served.appId, first.served.authToken), 401)
      yield* again.stop
      yield* other.stop
    }))
})
