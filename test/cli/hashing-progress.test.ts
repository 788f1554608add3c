/**
 * Hashing a file before its upload reports progress (`BytesHashed`), and the progress bar shows a "hashing" phase
 * instead of seconds of silence.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Path } from "effect"
import { renderLine } from "../../src/cli/ProgressBar.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import * as Progress from "../../workflows/Progress.ts"
import { inProcess, mediaFolder, MiB, overSocket } from "../workflows/support.ts"
import { iconik } from "./support.ts"

describe("progress while hashing", () => {
  it.live("ingestFile: BytesHashed events climb to the file's size, all before the first byte is uploaded", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "big.mov": 6 * MiB + 123 })
      const file = path.join(dir, "big.mov")
      const events: Array<Progress.ProgressEvent> = []
      yield* Progress.tap(ingestFile({ file, partSize: 5 * MiB }), (event) => events.push(event))

      const hashed = events.flatMap((e) => (e._tag === "BytesHashed" ? [e] : []))
      // One report per MiB read (and the first, at 0): several on the way, not just "done".
      assert.isAtLeast(hashed.length, 6)
      assert.isTrue(hashed.every((e) => e.item === file && e.total === 6 * MiB + 123))
      assert.deepStrictEqual(hashed.map((e) => e.hashed), [...hashed.map((e) => e.hashed)].sort((a, b) => a - b))
      assert.strictEqual(hashed[0]!.hashed, 0)
      assert.strictEqual(hashed.at(-1)!.hashed, 6 * MiB + 123)
      const lastHash = events.lastIndexOf(hashed.at(-1)!)
      const firstUpload = events.findIndex((e) => e._tag === "BytesTransferred")
      assert.isAbove(firstUpload, lastHash)

      // Folded, the middle of the hashing shows as a phase of its own; once done, it is gone from the line.
      const middle = events.indexOf(hashed[3]!)
      const during = events.slice(0, middle + 1).reduce(Progress.reduce, Progress.emptySnapshot)
      assert.match(renderLine(during, 0), /^hashing big\.mov \[#+\.+\] \d+% 3\.0 MiB\/6\.0 MiB$/)
      const after = events.slice(0, lastHash + 1).reduce(Progress.reduce, Progress.emptySnapshot)
      assert.notInclude(renderLine(after, 0), "hashing")
    }).pipe(Effect.scoped, Effect.provide(inProcess())))

  it.live("iconik ingest on a pipe: a line per quarter of a large file's hashing", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "rushes.mxf": 17 * MiB })
      const ran = yield* iconik("ingest", path.join(dir, "rushes.mxf"), "--part-size", "8")
      assert.strictEqual(ran.code, 0, ran.stderr)
      const lines = ran.stderr.split("\n").filter((line) => line.startsWith("hashing "))
      assert.deepStrictEqual(lines.map((line) => line.replace(/^hashing .*rushes\.mxf: /, "")), [
        "25% of 17.0 MiB",
        "50% of 17.0 MiB",
        "75% of 17.0 MiB",
        "100% of 17.0 MiB"
      ])
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 60_000)
})
