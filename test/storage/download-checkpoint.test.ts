/**
 * What a download's checkpoint is trusted for on resume. A part is listed once written (a process crash keeps the
 * page cache, so the listed bytes are there) and marked durable by a later sync; a checkpoint left by another boot of
 * the machine (a machine crash may have lost unsynced pages) is resumed only up to its `durable` mark. Checked
 * without an MD5, where nothing else would notice a part the crash lost.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { checkpointPathFor, downloadToFile, MiB, partialPathFor } from "../../src/storage/index.ts"
import { serve } from "../../src/testing/objectstore/index.ts"
import { md5, sha256, tempDir, testStorageClient } from "./support.ts"

const deps = Layer.mergeAll(testStorageClient(), NodeFileSystem.layer)

const bytesOf = (size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let x = 11
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0
    out[i] = (x >>> 24) | 1 // never 0: a lost page reads back as zeros
  }
  return out
}

/**
 * Downloads 6 MiB in 1 MiB parts, one at a time, stopped after part 4; then, as a machine crash would leave them,
 * parts 3 and 4 are zeros again on disk and the checkpoint lists parts 1-4 with `durable` covering the first two.
 * Answers the GETs of a rerun with `boot` as the checkpoint's boot (undefined: keep this boot's).
 */
const rerunAfterCrash = (boot: string | undefined, withMd5 = false) =>
  Effect.gen(function*() {
    const store = yield* serve({ buckets: [{ name: "s3", provider: "s3" }] })
    const body = bytesOf(6 * MiB)
    yield* store.putObject("s3", "clip.mov", body)
    const dir = yield* tempDir
    const path = Path.join(dir, "clip.mov")
    const options = {
      url: yield* store.signGet("s3", "clip.mov"),
      path,
      size: body.length,
      md5: withMd5 ? md5(body) : undefined,
      partSize: MiB,
      concurrency: 1
    }
    const stopped = yield* Effect.exit(downloadToFile({
      ...options,
      onProgress: (e) => (e._tag === "PartCompleted" && e.partNumber === 4 ? Effect.interrupt : Effect.void)
    }))
    assert.isTrue(Exit.hasInterrupts(stopped))

    const lines = Fs.readFileSync(checkpointPathFor(path), "utf8").trim().split("\n").map((line) => JSON.parse(line))
    const header = lines[0].header
    assert.strictEqual(header.version, 2)
    assert.deepStrictEqual(lines.filter((line) => "part" in line).map((line) => line.part), [1, 2, 3, 4])
    // A durable mark (from the background syncs, if one finished) never covers a part listed after it.
    lines.forEach((line, i) => {
      if ("durable" in line) assert.isAtMost(line.durable, lines.slice(0, i).filter((l) => "part" in l).length)
    })
    const crashed = [
      { header: { ...header, boot: boot ?? header.boot } },
      { part: 1 },
      { part: 2 },
      { durable: 2 },
      { part: 3 },
      { part: 4 }
    ]
    Fs.writeFileSync(checkpointPathFor(path), crashed.map((line) => `${JSON.stringify(line)}\n`).join(""))
    const fd = Fs.openSync(partialPathFor(path), "r+")
    Fs.writeSync(fd, new Uint8Array(2 * MiB), 0, 2 * MiB, 2 * MiB)
    Fs.closeSync(fd)

    const before = (yield* store.requests).filter((r) => r.operation === "GetObject").length
    const exit = yield* Effect.exit(downloadToFile(options))
    const gets = (yield* store.requests).filter((r) => r.operation === "GetObject").length - before
    if (Exit.isFailure(exit)) return { exit, dir }
    return { result: exit.value, gets, same: sha256(Fs.readFileSync(path)) === sha256(body) }
  })

describe("downloadToFile checkpoints", () => {
  it.live("left by another boot: only the parts marked durable are resumed, the others fetched again", () =>
    Effect.gen(function*() {
      const { gets, result, same } = yield* rerunAfterCrash("id:another-boot")
      assert.deepStrictEqual([result?.resumedParts, result?.fetchedBytes, gets], [2, 4 * MiB, 4])
      assert.isTrue(same)
    }).pipe(Effect.provide(deps)))

  it.live("left in this boot (the process died, the page cache did not): every listed part is resumed", () =>
    Effect.gen(function*() {
      // The zeroed parts stand for nothing here: in this boot they would be on disk. Only the count is checked.
      const { gets, result } = yield* rerunAfterCrash(undefined)
      assert.deepStrictEqual([result?.resumedParts, result?.fetchedBytes, gets], [4, 2 * MiB, 2])
    }).pipe(Effect.provide(deps)))

  it.live("the MD5 covers resumed parts as they are on disk: a resumed part that lost its bytes fails the check", () =>
    Effect.gen(function*() {
      // Trusted as listed in this boot, parts 3 and 4 are zeros on disk: the MD5 is read back from the file.
      const { dir, exit } = yield* rerunAfterCrash(undefined, true)
      const error = exit !== undefined && Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
      assert.strictEqual(error?._tag, "DownloadVerificationFailed")
      assert.deepStrictEqual(Fs.readdirSync(dir!), [])
    }).pipe(Effect.provide(deps)))

  it.live("a checkpoint of the previous format (every part synced before it was listed) is resumed", () =>
    Effect.gen(function*() {
      const store = yield* serve({ buckets: [{ name: "s3", provider: "s3" }] })
      const body = bytesOf(3 * MiB)
      yield* store.putObject("s3", "clip.mov", body)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const header = { version: 1, size: body.length, partSize: MiB, md5: null, identity: null }
      Fs.writeFileSync(checkpointPathFor(path), `${JSON.stringify({ header })}\n${JSON.stringify({ part: 2 })}\n`)
      const partial = new Uint8Array(body.length)
      partial.set(body.subarray(MiB, 2 * MiB), MiB)
      Fs.writeFileSync(partialPathFor(path), partial)
      const url = yield* store.signGet("s3", "clip.mov")
      const result = yield* downloadToFile({ url, path, size: body.length, partSize: MiB })
      assert.deepStrictEqual([result.resumedParts, result.fetchedBytes], [1, 2 * MiB])
      assert.strictEqual(sha256(Fs.readFileSync(path)), sha256(body))
    }).pipe(Effect.provide(deps)))

  it.live("progress callbacks are called when the event happens: a part is in the checkpoint when PartCompleted is seen", () =>
    Effect.gen(function*() {
      const store = yield* serve({ buckets: [{ name: "s3", provider: "s3" }] })
      const body = bytesOf(4 * MiB)
      yield* store.putObject("s3", "clip.mov", body)
      const dir = yield* tempDir
      const path = Path.join(dir, "clip.mov")
      const listedWhenSeen: Array<boolean> = []
      yield* downloadToFile({
        url: yield* store.signGet("s3", "clip.mov"),
        path,
        size: body.length,
        partSize: MiB,
        concurrency: 2,
        // Looks at the checkpoint in the callback itself, not in the effect it returns (as a plain callback would).
        onProgress: (event) => {
          if (event._tag === "PartCompleted") {
            const text = Fs.readFileSync(checkpointPathFor(path), "utf8")
            listedWhenSeen.push(text.includes(JSON.stringify({ part: event.partNumber })))
          }
          return Effect.void
        }
      })
      assert.deepStrictEqual(listedWhenSeen, [true, true, true, true])
    }).pipe(Effect.provide(deps)))
})
