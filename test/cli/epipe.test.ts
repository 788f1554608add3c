/**
 * `iconik metadata export … | head -3`: the reader closes the pipe early. The command must end quietly (exit 0,
 * nothing on stderr), not with an unhandled EPIPE stack trace. Needs a real process: EPIPE only exists on a pipe.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Assets from "../../src/Assets.ts"
import * as Metadata from "../../src/Metadata.ts"
import { IconikEmulator, overSocket } from "../workflows/support.ts"
import { envFor, runIconik } from "./support.ts"

describe("iconik with stdout closed early (child process)", () => {
  it.live("metadata export into a pipe closed after the first chunk: exit 0, no stack trace", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      yield* Metadata.createField({ name: "rating", label: "Rating", field_type: "integer" })
      const view = yield* Metadata.createView({ name: "Review", view_fields: [{ name: "rating" }] })
      // Several pages of hits, so the export keeps writing after the pipe is gone.
      yield* Effect.forEach(Array.from({ length: 250 }, (_, i) => i), (i) => Assets.create({ title: `clip ${i}` }), {
        concurrency: 8,
        discard: true
      })
      let closed = false
      const ran = yield* runIconik(["metadata", "export", "--view-id", view.id, "--quiet"], {
        env: envFor(emulator),
        onStart: (child) =>
          child.stdout?.once("data", () => {
            closed = true
            child.stdout?.destroy()
          })
      })
      assert.isTrue(closed, "the export wrote nothing")
      assert.strictEqual(ran.signal, null)
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.notInclude(ran.stderr, "EPIPE")
      assert.strictEqual(ran.stderr.trim(), "")
    }).pipe(Effect.provide(overSocket())), 60_000)
})
