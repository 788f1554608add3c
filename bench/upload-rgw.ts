/**
 * The RadosGW the upload benchmark writes to: `RGW_ENDPOINT` when set, else a throwaway one-node cluster started
 * with scripts/rgw-up.sh on `BENCH_UPLOAD_RGW_PORT` (default 7495) and stopped with scripts/rgw-down.sh.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { envInt } from "./harness.ts"

const RGW_PORT = envInt("BENCH_UPLOAD_RGW_PORT", 7495)

export interface Rgw {
  readonly endpoint: string
  /** Set when this run started the cluster (and stops it). */
  readonly stop: (() => void) | undefined
  /** The cluster's ceph.conf when it is on this machine (to run RadosGW's garbage collection between uploads). */
  readonly conf: string | undefined
}

const rgwEnv = () => ({
  ...process.env,
  RGW_PORT: String(RGW_PORT),
  // Away from the 6800–7300 range OSDs of other clusters on this machine bind to.
  MON_PORT: process.env.MON_PORT ?? String(RGW_PORT + 120)
})

const rgwConf = (port: string) => {
  const conf = Path.join(process.env.RGW_STATE_DIR ?? Path.join(Os.tmpdir(), `effect-iconik-rgw-${port}`), "ceph.conf")
  return Fs.existsSync(conf) ? conf : undefined
}

export const startRgw = (): Rgw | { readonly error: string } => {
  const given = process.env.RGW_ENDPOINT
  if (given !== undefined && given !== "") {
    return { endpoint: given, stop: undefined, conf: rgwConf(new URL(given).port) }
  }
  const root = Path.join(import.meta.dirname, "..")
  try {
    const out = ChildProcess.execFileSync("bash", [Path.join(root, "scripts/rgw-up.sh")], {
      env: rgwEnv(),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000
    })
    const endpoint = /RGW_ENDPOINT=(\S+)/.exec(out)?.[1]
    if (endpoint === undefined) return { error: `rgw-up.sh printed no endpoint: ${out.trim()}` }
    // rgw-down.sh kills the cluster's daemons by their pid files and removes its state folder.
    const stop = () =>
      ChildProcess.execFileSync("bash", [Path.join(root, "scripts/rgw-down.sh")], { env: rgwEnv(), stdio: "ignore" })
    return { endpoint, stop, conf: rgwConf(String(RGW_PORT)) }
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error)
    const said = stderr.trim().split("\n").filter((line) => line.startsWith("rgw-up")).join("; ")
    return { error: said || stderr.slice(-300) }
  }
}
