/**
 * `iconik download` in-process against the emulator on a socket: one asset's original, a collection batch with a
 * failure (exit 9, one JSON report), a rerun that skips what is on disk, and the usage error for no source.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect, FileSystem, Path } from "effect"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Collections from "../../src/Collections.ts"
import * as Connection from "../../src/cli/Connection.ts"
import { downloadCommand } from "../../src/cli/Download.ts"
import { ExitCode } from "../../src/cli/Failure.ts"
import { ingestFile } from "../../workflows/ingestFile.ts"
import { IconikEmulator, mediaFolder, MiB, overSocket } from "../workflows/support.ts"
import { envFor } from "./support.ts"

const root = Command.make("iconik").pipe(Command.withSharedFlags(Connection.globalFlags))
const cli = root.pipe(Command.withSubcommands([downloadCommand(root)]))

/** Runs `iconik …argv` in this process with the emulator's credentials; exit code and captured output. */
const iconik = (...argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
    const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: (...args: ReadonlyArray<unknown>) => stdout.push(text(args)),
      info: (...args: ReadonlyArray<unknown>) => stdout.push(text(args)),
      error: (...args: ReadonlyArray<unknown>) => stderr.push(text(args)),
      warn: (...args: ReadonlyArray<unknown>) => stderr.push(text(args))
    })
    const code = yield* Command.runWith(cli, { version: "test" })(argv).pipe(
      Effect.as(ExitCode.Ok as number),
      Effect.catch((error) =>
        Effect.succeed(
          error._tag === "CommandFailed" ? error.code : CliError.isCliError(error) ? ExitCode.Usage : ExitCode.Failure
        )
      ),
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, capture),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: envFor(emulator) }))
    )
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") }
  })

const ingest = (name: string, size: number) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* mediaFolder({ [name]: size })
    return yield* ingestFile({ file: path.join(dir, name), title: name })
  })

describe("iconik download", () => {
  it.live("an asset's original; a collection with a bad file exits 9 with one JSON report; a rerun skips", () =>
    Effect.gen(function*() {
      const emulator = yield* IconikEmulator
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const good = yield* ingest("good.mov", 2 * MiB + 3)
      const bad = yield* ingest("bad.mov", MiB)
      emulator.state.files.get(bad.fileId)!.checksum = "0123456789abcdef0123456789abcdef"
      const to = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-cli-download-" })

      const one = yield* iconik("download", good.assetId, "--to", to, "--part-size", "1", "--quiet")
      assert.strictEqual(one.code, 0, one.stderr)
      assert.include(one.stdout, "1 downloaded")
      assert.strictEqual((yield* fs.stat(path.join(to, good.assetId, "good.mov"))).size, BigInt(2 * MiB + 3))

      const collection = yield* Collections.create({ title: "batch" })
      yield* Collections.addContent(collection.id, { object_id: good.assetId, object_type: "assets" })
      yield* Collections.addContent(collection.id, { object_id: bad.assetId, object_type: "assets" })
      const batch = yield* iconik("download", "--collection", collection.id, "--to", to, "--json", "--quiet")
      assert.strictEqual(batch.code, ExitCode.Partial, batch.stderr)
      const report = JSON.parse(batch.stdout)
      assert.deepStrictEqual([report.downloaded.length, report.skipped.length, report.failed.length], [0, 1, 1])
      assert.strictEqual(report.failed[0].reason, "DownloadVerificationFailed")
      assert.include(batch.stderr, "1 of 2 downloads failed")
      assert.isFalse(yield* fs.exists(path.join(to, bad.assetId, "bad.mov")))
    }).pipe(Effect.scoped, Effect.provide(overSocket())), 60_000)

  it.live("no source, or two, is a usage error (exit 2) before any request", () =>
    Effect.gen(function*() {
      const none = yield* iconik("download", "--to", "/tmp/unused-download-target", "--quiet")
      assert.strictEqual(none.code, ExitCode.Usage)
      assert.include(none.stderr, "exactly one of")
      const two = yield* iconik("download", "abc", "--search", "x", "--to", "/tmp/unused-download-target", "--quiet")
      assert.strictEqual(two.code, ExitCode.Usage)
    }).pipe(Effect.scoped, Effect.provide(overSocket())))
})
