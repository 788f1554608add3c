/**
 * Counts the tests that move bytes over a real TCP socket on 127.0.0.1, so a speed-up cannot quietly trade transport
 * coverage for in-process runs. Loaded as a setup file only when `SOCKET_RUNS_LOG` names an output file:
 *
 *   SOCKET_RUNS_LOG=/tmp/socket-runs.jsonl npx vitest run
 *   node -e 'const l=require("fs").readFileSync("/tmp/socket-runs.jsonl","utf8").trim().split("\n").map(JSON.parse);
 *     for (const k of ["socket","emulator"]) console.log(k, l.filter((r) => r[k]).length)'
 *
 * One JSON line per finished test: `socket` when the test opened a client connection to 127.0.0.1 or a server in
 * this process accepted one (a CLI child process talking to the test's emulator counts); `emulator` when that
 * server was started by @effect/platform-node's NodeHttpServer (in these tests always the Iconik emulator's or the
 * object store's handler; the fakes are plain node:http servers), or the client connected to RadosGW
 * (`RGW_ENDPOINT`). A server shared by the tests of a file counts for each test that used it.
 */
import { afterEach, beforeEach } from "@effect/vitest"
import { appendFileSync } from "node:fs"
import * as Net from "node:net"

const output = process.env.SOCKET_RUNS_LOG
const rgwPort = (() => {
  try {
    return process.env.RGW_ENDPOINT === undefined ? undefined : Number(new URL(process.env.RGW_ENDPOINT).port || 80)
  } catch {
    return undefined
  }
})()

interface Seen {
  socket: boolean
  emulator: boolean
}
const state = globalThis as { __socketRunsSeen?: Seen; __socketRunsPatched?: boolean }
state.__socketRunsSeen ??= { socket: false, emulator: false }
const seen = (emulator: boolean) => {
  state.__socketRunsSeen!.socket = true
  if (emulator) state.__socketRunsSeen!.emulator = true
}

// Patched once per worker (files may share a worker); servers remember who made them.
if (output !== undefined && state.__socketRunsPatched !== true) {
  state.__socketRunsPatched = true
  const listen = Net.Server.prototype.listen
  Net.Server.prototype.listen = function(this: Net.Server, ...args: Array<unknown>) {
    const fromEmulator = /NodeHttpServer/.test(new Error().stack ?? "")
    this.on("connection", () => seen(fromEmulator))
    return (listen as (...a: Array<unknown>) => Net.Server).apply(this, args)
  } as typeof listen
  const connect = Net.Socket.prototype.connect
  Net.Socket.prototype.connect = function(this: Net.Socket, ...args: Array<unknown>) {
    const options = args[0]
    const port = typeof options === "object" && options !== null ? Number((options as { port?: unknown }).port) : Number(options)
    const host = typeof options === "object" && options !== null ? (options as { host?: unknown }).host : args[1]
    if (host === "127.0.0.1" || host === "localhost" || host === "::1") seen(port === rgwPort)
    return (connect as (...a: Array<unknown>) => Net.Socket).apply(this, args)
  } as typeof connect
}

if (output !== undefined) {
  beforeEach(() => {
    state.__socketRunsSeen = { socket: false, emulator: false }
  })
  afterEach((context) => {
    const task = context.task
    appendFileSync(
      output,
      JSON.stringify({ file: task.file.name, test: task.fullName, ...state.__socketRunsSeen }) + "\n"
    )
  })
}
