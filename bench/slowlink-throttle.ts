/**
 * A TCP proxy on 127.0.0.1 that caps every connection's bandwidth, each direction on its own: the slow link of the
 * slowlink section. Loopback moves gigabytes a second, so without a cap the server's speed decides every comparison;
 * with one, what decides is how well a client keeps several connections busy — what users on a real link feel.
 *
 * The cap is paced per connection: each chunk read is forwarded at once, and reading pauses until the link would
 * have carried it (`bytes / rate`). Backpressure from the far side pauses reading too.
 */
import * as Net from "node:net"
import { performance } from "node:perf_hooks"

export interface Throttle {
  /** `http://127.0.0.1:<port>`: the proxy's address. */
  readonly url: string
  readonly close: () => Promise<void>
}

/**
 * How far the link's schedule may fall behind the clock and still be caught up. Timers fire late and reading
 * restarts later still; without this, every late wake-up would be time the link stood idle (a quarter of the rate
 * at 8 MiB/s on a busy machine, in trials). The price: a connection idle for a while may send this much time's worth
 * of bytes at once (160 KiB at 8 MiB/s), like a small buffer on a real link; every request of every client gets the
 * same.
 */
const CREDIT_MILLIS = 20

/** Forwards `from` to `to` at no more than `bytesPerSecond` on average. */
const pace = (from: Net.Socket, to: Net.Socket, bytesPerSecond: number) => {
  // When the link is free again: the time the bytes forwarded so far take at the cap.
  let freeAt = 0
  let waiting = 0
  const resumeLater = () => {
    if (--waiting === 0) from.resume()
  }
  from.on("data", (chunk: Buffer) => {
    const now = performance.now()
    freeAt = Math.max(freeAt, now - CREDIT_MILLIS) + (chunk.length / bytesPerSecond) * 1000
    const full = !to.write(chunk)
    const wait = freeAt - now
    // Below a millisecond a timer would only add its own lateness.
    if (wait < 1 && !full) return
    from.pause()
    if (wait >= 1) {
      waiting++
      setTimeout(resumeLater, wait)
    }
    if (full) {
      waiting++
      to.once("drain", resumeLater)
    }
  })
  from.on("end", () => to.end())
}

/** Starts a proxy to `target` (host 127.0.0.1) capping each connection at `bytesPerSecond` each way. */
export const startThrottle = (targetPort: number, bytesPerSecond: number) =>
  new Promise<Throttle>((resolve, reject) => {
    const sockets = new Set<Net.Socket>()
    // Half-open allowed: each direction ends on its own, as over a real link.
    const server = Net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
      const upstream = Net.connect({ host: "127.0.0.1", port: targetPort, noDelay: true, allowHalfOpen: true })
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        // One side failing ends the pair, as a broken link would.
        socket.on("error", () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
      pace(client, upstream, bytesPerSecond)
      pace(upstream, client, bytesPerSecond)
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
