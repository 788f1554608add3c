/**
 * The engines the durable suites run the same workflows on: Effect's memory engine, and the cluster engine with one
 * runner over a fresh PostgreSQL database (skipped without `DATABASE_URL`).
 */
import { Layer, Redacted } from "effect"
import { afterAll } from "vitest"
import * as Engine from "../../durable/Engine.ts"
import { dropFreshDatabase, freshDatabase, pgSkipReason } from "../support/postgres.ts"

export interface EngineCase {
  readonly name: string
  readonly skip: string | undefined
  readonly layer: () => Promise<ReturnType<typeof Engine.layerPostgres> | typeof Engine.layerMemory>
}

const databases: Array<string> = []
afterAll(async () => {
  for (const url of databases) await dropFreshDatabase(url)
})

export const engines: ReadonlyArray<EngineCase> = [
  { name: "memory", skip: undefined, layer: async () => Engine.layerMemory },
  {
    name: "postgres",
    skip: pgSkipReason,
    layer: async () => {
      const url = await freshDatabase("durable_engines")
      databases.push(url)
      return Engine.layerPostgres({ url: Redacted.make(url) })
    }
  }
]

export { Layer }
