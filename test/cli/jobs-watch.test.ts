/**
 * `iconik jobs watch --interval 0.5` follows a job that is still running: it polls again after half a second, and ends
 * when the job does. In-process, against the emulator on a 127.0.0.1 socket.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import * as Jobs from "../../src/Jobs.ts"
import { IconikEmulator, overSocket } from "../workflows/support.ts"
import { iconik } from "./support.ts"

layer(overSocket(), { excludeTestServices: true })("iconik jobs watch (in-process)", (it) => {
  it.effect("--interval 0.5 polls a RUNNING job until it FINISHES, then exits 0", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const job = yield* Jobs.create({ title: "long", type: "CUSTOM", status: "STARTED" })
      const polls = Effect.map(
        emulator.requests,
        (requests) => requests.filter((r) => r.method === "GET" && r.path.includes(job.id)).length
      )
      const watching = yield* Effect.forkChild(iconik("jobs", "watch", job.id, "--interval", "0.5", "--timeout", "60", "--json"))
      // Once the watcher has seen the job running twice (so it does poll again), the job ends.
      yield* polls.pipe(Effect.repeat({ until: (n) => n >= 2, schedule: Schedule.spaced("20 millis") }))
      yield* Jobs.patch(job.id, { status: "FINISHED" })
      const ran = yield* Fiber.join(watching)
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.strictEqual(JSON.parse(ran.stdout).status, "FINISHED")
      assert.isAtLeast(yield* polls, 3)
      assert.include(ran.stderr, "long: STARTED")
    }))
})
