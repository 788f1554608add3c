/**
 * Which operations the emulator models (specific routes) and which the generic store answers, as the markdown that
 * docs/emulator.md carries between its `fidelity` markers (a test keeps the two in step).
 */
import type { Definition } from "../../Endpoint.ts"
import type { Route } from "./Route.ts"

/** What a generic answer does not do that Iconik does, per service (the specific parts are described above it). */
const differences: Readonly<Record<string, string>> = {
  acls: "no ACLs are enforced anywhere; grants and checks are stored records only (a check always passes)",
  assets:
    "relations, shares, approvals, custom actions, playlists, projects, sequences, favorites, segment exports and bulk edits are plain records: no effect on assets, search or other records",
  auth: "login, tokens, apps, SAML and system domains are plain records: no new credentials are issued (SAML answers 302 to /)",
  automations: "automations are stored, never run",
  files:
    "subtitles, transfers, export locations, analysis profiles, custom keyframes, growing (HLS) proxies, GCS compose, storage scans, archive / restore: plain records, no bytes move, no jobs",
  jobs: "bulk job edits and reindexing are answered without changing any job",
  metadata: "categories, mappings, bulk writes and reindexing are plain records; bulk writes change no values",
  ml: "face recognition and persons are plain records: nothing is recognised",
  notifications: "webhooks are stored, never delivered",
  search: "saved searches, history, discovery and views are plain records; saved searches do not run",
  settings: "settings are stored and read back; they change no behaviour",
  stats: "statistics and billing answer stored or minimal values, nothing is counted",
  transcode: "transcode and analysis requests are stored; no job runs (the files service's triggers do run jobs)",
  users: "users, groups and teams are plain records: not the emulator's users, so they cannot log in or hold roles",
  "users-notifications": "notifications and subscriptions are plain records: nothing is ever notified"
}

export interface FidelityRow {
  readonly service: string
  readonly specific: ReadonlyArray<Definition>
  readonly generic: ReadonlyArray<Definition>
}

/** Per service: the operations a specific route serves and those left to the generic store. */
export const fidelityRows = (definitions: ReadonlyArray<Definition>, specific: ReadonlyArray<Route>): Array<FidelityRow> => {
  const served = new Set(specific.map((route) => `${route.method} ${route.path}`))
  const services = [...new Set(definitions.map((d) => d.service))].sort()
  return services.map((service) => {
    const own = definitions.filter((d) => d.service === service)
    return {
      service,
      specific: own.filter((d) => served.has(`${d.method} ${d.path}`)),
      generic: own.filter((d) => !served.has(`${d.method} ${d.path}`))
    }
  })
}

const byPath = (a: Definition, b: Definition) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.method < b.method ? -1 : 1)

/** The markdown: a summary table, then per service the list of generic operations. */
export const fidelityMarkdown = (definitions: ReadonlyArray<Definition>, specific: ReadonlyArray<Route>): string => {
  const rows = fidelityRows(definitions, specific)
  const total = (pick: (row: FidelityRow) => number) => rows.reduce((sum, row) => sum + pick(row), 0)
  const lines = [
    "| Service | Operations | Specific | Generic | What a generic answer does not do |",
    "|---|---|---|---|---|",
    ...rows.map((row) =>
      `| ${row.service} | ${row.specific.length + row.generic.length} | ${row.specific.length} | ${row.generic.length} | ${
        row.generic.length === 0 ? "" : differences[row.service] ?? ""
      } |`
    ),
    `| **total** | **${total((r) => r.specific.length + r.generic.length)}** | **${total((r) => r.specific.length)}** | **${
      total((r) => r.generic.length)
    }** | |`,
    ""
  ]
  for (const row of rows) {
    if (row.generic.length === 0) continue
    lines.push(
      `<details><summary>${row.service}: ${row.generic.length} generic operations</summary>`,
      "",
      ...[...row.generic].sort(byPath).map((d) => `- \`${d.method} ${d.path}\``),
      "",
      "</details>",
      ""
    )
  }
  return lines.join("\n")
}
