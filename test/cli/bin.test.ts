/**
 * The `iconik` bin on an older Node: it re-runs itself on the Node 22 from node_modules, passes signals on, exits
 * with the child's status, and its child stops when it dies (even by SIGKILL). Installed as a dependency on an old
 * Node, it says which Node it needs instead of crashing.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, FileSystem, Path } from "effect"
import type { ChildProcess } from "node:child_process"
import { execFile } from "node:child_process"
import { awaitGone, bin, childrenOf, isRunning, oldNode, skipReason, spawnWrapper, titled } from "./wrapper.ts"

interface Exited {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** The wrapper's own exit (its child may outlive it: that is what these tests look at). */
const exitOf = (child: ChildProcess, output: { stdout: string; stderr: string }) =>
  Effect.callback<Exited>((resume) => {
    const done = () => resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode, ...output }))
    if (child.exitCode !== null || child.signalCode !== null) done()
    else child.once("exit", done)
  })

/** Starts the long-running `iconik emulator` through the wrapper and waits until the Node 22 child serves. */
const startEmulator = Effect.gen(function*() {
  const wrapper = spawnWrapper(["emulator", "--port", "0"])
  yield* Effect.addFinalizer(() => Effect.sync(() => wrapper.kill("SIGKILL")))
  const output = { stdout: "", stderr: "" }
  const serving = yield* Deferred.make<void, string>()
  wrapper.stdout!.on("data", (chunk) => {
    output.stdout += chunk
    if (output.stdout.includes("ICONIK_BASE_URL=")) Deferred.doneUnsafe(serving, Effect.void)
  })
  wrapper.stderr!.on("data", (chunk) => (output.stderr += chunk))
  wrapper.once("exit", () => Deferred.doneUnsafe(serving, Effect.fail(`the wrapper exited early: ${output.stderr}`)))
  yield* Deferred.await(serving)
  const children = childrenOf(wrapper.pid!)
  assert.strictEqual(children.length, 1, `children of the wrapper: ${children.join(", ")}`)
  const child = children[0]!
  // Should the child outlive the test (the failure these tests catch), it goes with the test.
  yield* Effect.addFinalizer(() => Effect.sync(() => isRunning(child) && process.kill(child, "SIGKILL")))
  return { wrapper, child, output }
})

const run = (node: string, script: string, args: ReadonlyArray<string>) =>
  Effect.callback<Exited>((resume) => {
    const child = execFile(node, [script, ...args], { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) =>
      resume(Effect.succeed({
        code: child.exitCode ?? (error as { code?: number } | null)?.code ?? null,
        signal: child.signalCode,
        stdout,
        stderr
      })))
  })

describe.skipIf(skipReason !== undefined)("iconik bin on an older Node", () => {
  // What the wrapper exits with: the emulator ends on SIGINT / SIGTERM by interrupting itself (130); it does not
  // handle SIGHUP, so it dies of it (128 + 1).
  const expected = { SIGTERM: 130, SIGINT: 130, SIGHUP: 129 } as const
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    it.live(titled(`${signal} is passed on to the Node 22 child; the wrapper exits with its status`), () =>
      Effect.gen(function*() {
        const { child, output, wrapper } = yield* startEmulator
        wrapper.kill(signal)
        const exited = yield* exitOf(wrapper, output)
        assert.deepStrictEqual({ code: exited.code, signal: exited.signal }, { code: expected[signal], signal: null }, exited.stderr)
        yield* awaitGone(child)
      }).pipe(Effect.scoped), 120_000)
  }

  it.live(titled("SIGKILL to the wrapper: its Node 22 child stops too"), () =>
    Effect.gen(function*() {
      const { child, output, wrapper } = yield* startEmulator
      wrapper.kill("SIGKILL")
      const exited = yield* exitOf(wrapper, output)
      assert.strictEqual(exited.signal, "SIGKILL")
      yield* awaitGone(child)
    }).pipe(Effect.scoped), 120_000)

  it.live(titled("arguments and the exit code go through"), () =>
    Effect.gen(function*() {
      const version = yield* run(oldNode!.path, bin, ["--version"])
      assert.strictEqual(version.code, 0, version.stderr)
      assert.match(version.stdout, /\d+\.\d+\.\d+/)
      // No credentials: a usage error, exit 2, from the child.
      const usage = yield* run(oldNode!.path, bin, ["search", "x"])
      assert.strictEqual(usage.code, 2)
      assert.include(usage.stderr, "ICONIK_APP_ID")
    }), 120_000)

  it.live(titled("installed as a dependency: says which Node it needs, exit 2, runs nothing"), () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const project = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-bin-" })
      const pkg = path.join(project, "node_modules", "effect-iconik")
      yield* fs.makeDirectory(path.join(pkg, "src", "cli"), { recursive: true })
      yield* fs.makeDirectory(path.join(pkg, "dist", "src", "cli"), { recursive: true })
      yield* fs.copyFile(bin, path.join(pkg, "src", "cli", "bin.js"))
      yield* fs.writeFileString(path.join(pkg, "package.json"), JSON.stringify({ name: "effect-iconik", type: "module" }))
      // Stands in for the compiled CLI: it must not be loaded on a Node it cannot run on.
      yield* fs.writeFileString(path.join(pkg, "dist", "src", "cli", "main.js"), "console.log('compiled CLI started')\n")
      const ran = yield* run(oldNode!.path, path.join(pkg, "src", "cli", "bin.js"), ["--version"])
      assert.strictEqual(ran.code, 2, ran.stdout + ran.stderr)
      assert.notInclude(ran.stdout, "compiled CLI started")
      assert.include(ran.stderr, `iconik needs Node.js >= 22.19, but this is Node.js ${oldNode!.version}`)
      assert.include(ran.stderr, "Install Node.js 22")
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)), 60_000)

  it.live(titled("a checkout without its bundled Node: says to run npm install, exit 2"), () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const checkout = yield* fs.makeTempDirectoryScoped({ prefix: "iconik-bin-" })
      yield* fs.makeDirectory(path.join(checkout, "src", "cli"), { recursive: true })
      yield* fs.copyFile(bin, path.join(checkout, "src", "cli", "bin.js"))
      yield* fs.writeFileString(path.join(checkout, "package.json"), JSON.stringify({ name: "effect-iconik", type: "module" }))
      const ran = yield* run(oldNode!.path, path.join(checkout, "src", "cli", "bin.js"), ["--version"])
      assert.strictEqual(ran.code, 2, ran.stdout + ran.stderr)
      assert.include(ran.stderr, "npm install")
    }).pipe(Effect.scoped, Effect.provide(NodeServices.layer)), 60_000)
})
