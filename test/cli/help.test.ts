/**
 * Every command's help: each flag line has a description, and each flag with a default says it ("(default: 4)").
 * The defaults are read from the command definitions themselves, so a flag given a default without saying it in its
 * help fails here.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Console, Effect } from "effect"
import { cli, runCli } from "../../src/cli/Cli.ts"

interface FlagInfo {
  readonly name: string
  /** The default value, when the flag has one (switches' `false` does not count: they are off unless given). */
  readonly fallback: unknown
}

// effect/cli's parameter tree: Single (the flag itself), wrapped by Optional / Transform nodes (a default is a
// Transform whose `fallback` is `{ _tag: "Default", value }`).
type Node = {
  readonly _tag: string
  readonly name?: string
  readonly param?: Node
  readonly fallback?: { readonly _tag: string; readonly value?: unknown }
}

const flagInfo = (node: Node): FlagInfo => {
  let fallback: unknown = undefined
  let current: Node | undefined = node
  while (current !== undefined && current._tag !== "Single") {
    if (current.fallback?._tag === "Default" && fallback === undefined) fallback = current.fallback.value
    current = current.param
  }
  return { name: current?.name ?? "?", fallback: fallback === false ? undefined : fallback }
}

type CommandNode = {
  readonly name: string
  readonly config: { readonly flags: ReadonlyArray<Node> }
  readonly subcommands: ReadonlyArray<{ readonly commands: ReadonlyArray<CommandNode> }>
}

/** Every command path under the root, with its own flags. */
const commands = (command: CommandNode, path: ReadonlyArray<string> = []): Array<{ path: ReadonlyArray<string>; flags: Array<FlagInfo> }> => [
  { path, flags: command.config.flags.map(flagInfo) },
  ...command.subcommands.flatMap((group) => group.commands.flatMap((sub) => commands(sub, [...path, sub.name])))
]

const helpOf = (path: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const capture: Console.Console = Object.assign(Object.create(globalThis.console), {
      log: (...parts: ReadonlyArray<unknown>) => out.push(parts.map(String).join(" ")),
      error: (...parts: ReadonlyArray<unknown>) => out.push(parts.map(String).join(" "))
    })
    const code = yield* runCli([...path, "--help"]).pipe(
      Effect.provide(NodeServices.layer),
      Effect.provideService(Console.Console, capture),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: {} }))
    )
    assert.strictEqual(code, 0, out.join("\n"))
    return out.join("\n")
  })

/** The lines of the FLAGS and INHERITED FLAGS sections (not effect/cli's own GLOBAL FLAGS). */
const flagLines = (help: string) => {
  const lines: Array<string> = []
  let inFlags = false
  for (const line of help.split("\n")) {
    if (/^[A-Z][A-Z ]+$/.test(line.trim()) && !line.startsWith(" ")) inFlags = line === "FLAGS" || line === "INHERITED FLAGS"
    else if (inFlags && line.trim() !== "") lines.push(line)
  }
  return lines
}

describe("iconik help", () => {
  const all = commands(cli as unknown as CommandNode)
  const root = all.find((c) => c.path.length === 0)!

  it("walks every command (the tree is read, not empty)", () => {
    const names = all.map((c) => c.path.join(" "))
    for (const expected of ["upload-proxy", "ingest", "search", "metadata views", "metadata fields", "jobs watch", "emulator", "demo"]) {
      assert.include(names, expected)
    }
    assert.isTrue(all.some((c) => c.flags.some((f) => f.fallback !== undefined)))
  })

  for (const command of all) {
    it.effect(`iconik ${command.path.join(" ") || "(root)"} --help: every flag described, every default shown`, () =>
      Effect.gen(function*() {
        const lines = flagLines(yield* helpOf(command.path))
        const inherited = command.path.length === 0 ? [] : root.flags
        for (const flag of [...command.flags, ...inherited]) {
          const line = lines.find((l) => new RegExp(`^\\s+--${flag.name}\\b`).test(l))
          assert.isDefined(line, `--${flag.name} is not in the help of ${command.path.join(" ")}`)
          // "  --flag[, -f] [metavar]    description": the description is what follows the wide gap.
          const description = line!.trim().split(/\s{2,}/)[1] ?? ""
          assert.notStrictEqual(description.trim(), "", `--${flag.name} has no description`)
          if (flag.fallback !== undefined) {
            assert.include(line, `default: ${String(flag.fallback)}`, `--${flag.name} does not show its default`)
          }
        }
      }))
  }
})
