/**
 * Runs a flow in raw HTTP (`fetch`, no SDK code) against a target — real Iconik or the emulator — and turns what it
 * saw into a recording: per step the path template, the request's shape, the status and the answer's shape.
 */
import { type Flow, proxyBytes, type Step, type Vars } from "./flows.ts"
import { type Shape, shapeOf } from "./shape.ts"

export interface Target {
  readonly baseUrl: string
  readonly appId: string
  readonly authToken: string
}

export interface Exchange {
  readonly step: string
  readonly method: string
  /** The path template (`{asset_id}`), never the filled path. */
  readonly path: string
  readonly request?: Shape
  /** Absent when the source does not say (a tutorial shows bodies, not statuses). */
  readonly status?: number
  readonly response?: Shape
  /** Why the step did not run (a failed earlier step, a storage method this harness does not upload to). */
  readonly skipped?: string
}

export interface Recording {
  readonly flow: string
  /** Where the shapes come from: a live run (host and date) or a public document. */
  readonly source: string
  readonly note?: string
  readonly exchanges: ReadonlyArray<Exchange>
}

const fill = (template: string, vars: Vars): string | undefined => {
  let missing = false
  const filled = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name]
    if (typeof value !== "string") missing = true
    return typeof value === "string" ? encodeURIComponent(value) : ""
  })
  return missing ? undefined : filled
}

const parse = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Uploads the flow's bytes the way the storage method wants it; `undefined` when this harness does not know how. */
const upload = async (method: string | undefined, url: string): Promise<number | undefined> => {
  switch (method) {
    case "S3":
    case "B2":
    case "FILE":
      return (await fetch(url, { method: "PUT", body: proxyBytes })).status
    case "AZURE":
      return (await fetch(url, { method: "PUT", body: proxyBytes, headers: { "x-ms-blob-type": "BlockBlob" } })).status
    case "GCS": {
      const start = await fetch(url, { method: "POST", headers: { "x-goog-resumable": "start", "Content-Length": "0" } })
      const location = start.headers.get("location")
      await start.arrayBuffer()
      if (location === null) return start.status
      return (await fetch(location, { method: "PUT", body: proxyBytes })).status
    }
    default:
      return undefined
  }
}

/**
 * Runs every step in order. After a step fails (non-2xx where a later step needs its answer), the rest are skipped
 * except the clean-up steps, which always run. Statuses and shapes only: values never leave this function.
 */
export const runFlow = async (flow: Flow, target: Target): Promise<ReadonlyArray<Exchange>> => {
  const vars: Record<string, string | ReadonlyArray<string> | undefined> = {}
  const exchanges: Array<Exchange> = []
  let broken: string | undefined
  for (const step of flow.steps as ReadonlyArray<Step>) {
    if (step.kind === "storage") {
      if (broken !== undefined) {
        exchanges.push({ step: step.name, method: "PUT", path: "<storage>", skipped: broken })
        continue
      }
      const method = typeof vars.storage_method === "string" ? vars.storage_method : undefined
      const url = typeof vars.upload_url === "string" ? vars.upload_url : undefined
      const status = url === undefined ? undefined : await upload(method, url)
      if (status === undefined) {
        exchanges.push({ step: step.name, method: "PUT", path: "<storage>", skipped: `no upload for storage method ${method ?? "?"}` })
      } else {
        exchanges.push({ step: step.name, method: "PUT", path: "<storage>", status })
        if (status >= 300) broken = `${step.name} answered ${status}`
      }
      continue
    }
    const path = fill(step.path, vars)
    if ((broken !== undefined && step.cleanup !== true) || path === undefined) {
      exchanges.push({ step: step.name, method: step.method, path: step.path, skipped: broken ?? "a value it needs is missing" })
      continue
    }
    const body = step.body?.(vars)
    const response = await fetch(`${target.baseUrl}${path}`, {
      method: step.method,
      headers: {
        "App-ID": target.appId,
        "Auth-Token": target.authToken,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const json = parse(await response.text())
    exchanges.push({
      step: step.name,
      method: step.method,
      path: step.path,
      ...(body === undefined ? {} : { request: shapeOf(body) }),
      status: response.status,
      ...(json === undefined ? {} : { response: shapeOf(json) })
    })
    if (response.ok) Object.assign(vars, step.bind?.(json) ?? {})
    else if (step.bind !== undefined && broken === undefined) broken = `${step.name} answered ${response.status}`
  }
  return exchanges
}

/**
 * Refuses a recording that carries a secret: the credentials, a signature or a signed query string. Shapes carry
 * none by construction; this is the guard that keeps it so.
 */
export const assertScrubbed = (text: string, target: Target): void => {
  const secrets = [target.authToken, target.appId].filter((s) => s.length >= 6)
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error("the recording contains a credential: not written")
  }
  if (/X-Amz-Signature|[?&]sig=|Signature=|Bearer |eyJ[\w-]{10,}\./i.test(text)) {
    throw new Error("the recording contains a signature or a token: not written")
  }
}
