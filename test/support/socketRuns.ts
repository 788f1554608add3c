/**
 * Counts the tests that move bytes over a real TCP socket on 127.0.0.1, so a speed-up cannot quietly trade transport
 * coverage for in-process runs. Loaded as a setup file only when `SOCKET_RUNS_LOG` names an output file:
 *
 *   SOCKET_RUNS_LOG=/tmp/socket-runs.jsonl npx vitest run
 *   node -e 'const l=require("fs").readFileSync("/tmp/socket-runs.jsonl","utf8").trim().split("\n").map(JSON.parse);
 *     for (const k of ["socket","emulator"]) console.log(k, l.filter((r) => r[k]).length)'
 *
 * One JSON line per finished test: `socket` when the test sent a request or opened a connection to 127.0.0.1, or a
 * server in this process got one (a CLI child process talking to the test's emulator counts); `emulator` when that
 * server was started by @effect/platform-node's NodeHttpServer (in these tests always the Iconik emulator's or the
 * object store's handler; the fakes are plain node:http servers), or the client connected to RadosGW
 * (`RGW_ENDPOINT`). A server shared by the tests of a file counts for each test that used it.
 */
import { afterEach, beforeEach } from "@effect/vitest"
import * as DiagnosticsChannel from "node:diagnostics_channel"
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

const isLoopback = (host: unknown) => host === "127.0.0.1" || host === "localhost" || host === "::1" || host === "[::1]"

/** A request or connection from this process to `host:port`. */
const sent = (host: unknown, port: unknown) => {
  if (isLoopback(host)) seen(rgwPort !== undefined && Number(port) === rgwPort)
}

// Hooked once per worker (files may share one). Servers remember who made them; a kept-alive connection carries
// requests of later tests too, so requests are counted, not only connections.
if (output !== undefined && state.__socketRunsPatched !== true) {
  state.__socketRunsPatched = true
  const listen = Net.Server.prototype.listen
  Net.Server.prototype.listen = function(this: Net.Server, ...args: Array<unknown>) {
    const fromEmulator = /NodeHttpServer/.test(new Error().stack ?? "")
    this.on("connection", () => seen(fromEmulator))
    this.on("request", () => seen(fromEmulator))
    return (listen as (...a: Array<unknown>) => Net.Server).apply(this, args)
  } as typeof listen
  const connect = Net.Socket.prototype.connect
  Net.Socket.prototype.connect = function(this: Net.Socket, ...args: Array<unknown>) {
    // `net.connect` passes its arguments on as one array.
    const [first, second] = Array.isArray(args[0]) ? args[0] as Array<unknown> : args
    if (typeof first === "object" && first !== null) sent((first as { host?: unknown }).host ?? "localhost", (first as { port?: unknown }).port)
    else sent(second ?? "localhost", first)
    return (connect as (...a: Array<unknown>) => Net.Socket).apply(this, args)
  } as typeof connect
  DiagnosticsChannel.subscribe("undici:request:create", (message) => {
    const origin = (message as { request?: { origin?: unknown } }).request?.origin
    try {
      const url = new URL(String(origin))
      sent(url.hostname, url.port || 80)
    } catch {
      // not a URL: not ours to count
    }
  })
  DiagnosticsChannel.subscribe("http.client.request.start", (message) => {
    const host = String((message as { request?: { getHeader?: (name: string) => unknown } }).request?.getHeader?.("host") ?? "")
    const colon = host.lastIndexOf(":")
    sent(colon > 0 ? host.slice(0, colon) : host, colon > 0 ? host.slice(colon + 1) : 80)
  })
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
