/**
 * Decoding cost of the preserving codecs (docs/decisions/0015-preserving-codecs.md): a 100-hit search page and a
 * 100-asset list page, JSON.parse + decode, with today's generated schemas (every struct keeps its undeclared keys)
 * and with the codec they replaced (closed structs, `optional(NullOr(…))` fields), rebuilt from the same schemas so
 * both run in one process on the same documents. Rounds alternate so JIT warm-up, GC and machine noise fall on both.
 */
import { Schema, SchemaAST } from "effect"
import { performance } from "node:perf_hooks"
import { assets, search } from "../src/generated/index.ts"
import { hit } from "./core-fixtures.ts"
import { envInt, fmt, type Row, writeResult } from "./harness.ts"

const ROUNDS = envInt("BENCH_DECODE_ROUNDS", 20)
const RUNS = envInt("BENCH_DECODE_RUNS", 50)

/**
 * The codec as it was before undeclared keys were kept: closed structs (but for the search hit, open before too) and
 * optional fields as `optional(NullOr(x))`. Built by walking today's schema, so it checks exactly the same fields.
 */
const legacyCodec = (schema: Schema.Top): Schema.Top => {
  const memo = new Map<SchemaAST.AST, Schema.Top>()
  const wasOpen = new Set<SchemaAST.AST>([search.SearchDocument.ast])
  const isNullOrUndefined = (ast: SchemaAST.AST) => ast._tag === "Null" || ast._tag === "Undefined"
  const rebuild = (ast: SchemaAST.AST): Schema.Top => {
    const known = memo.get(ast)
    if (known !== undefined) return known
    let out: Schema.Top
    switch (ast._tag) {
      case "Objects": {
        if (ast.propertySignatures.length === 0) {
          const index = ast.indexSignatures[0]!
          out = Schema.Record(Schema.String, rebuild(index.type) as Schema.Codec<unknown>)
          break
        }
        const fields = Object.fromEntries(ast.propertySignatures.map((p) => {
          const type = p.type
          if (SchemaAST.isOptional(type) && type._tag === "Union") {
            const [value] = type.types.filter((member) => !isNullOrUndefined(member))
            return [p.name, Schema.optional(Schema.NullOr(rebuild(value!) as Schema.Codec<unknown>))]
          }
          return [p.name, rebuild(type)]
        }))
        const struct = Schema.Struct(fields as Schema.Struct.Fields)
        out = wasOpen.has(ast) ? Schema.StructWithRest(struct, [Schema.Record(Schema.String, Schema.Unknown)]) : struct
        break
      }
      case "Arrays":
        out = Schema.Array(rebuild(ast.rest[0]!) as Schema.Codec<unknown>)
        break
      case "Union":
        out = Schema.Union(ast.types.map((member) => rebuild(member) as Schema.Codec<unknown>))
        break
      case "Suspend": {
        const thunk = ast.thunk
        out = Schema.suspend((): Schema.Codec<unknown> => rebuild(thunk()) as Schema.Codec<unknown>)
        break
      }
      default:
        out = Schema.make(ast)
    }
    memo.set(ast, out)
    return out
  }
  return rebuild(schema.ast)
}

const user = {
  id: "d1a3e0a6-f149-11eb-a843-0a580a3db916",
  email: "editor@example.test",
  first_name: "Ana",
  last_name: "Editor",
  status: "ACTIVE",
  groups: ["5a1ea3b2-f149-11eb-a843-0a580a3db916"],
  photo: null,
  date_created: "2021-07-30T15:16:54.406403+00:00"
}

/** A list document (`AssetElasticSchema`) as Iconik sends it: many nulls, nested versions and user, two new keys. */
const listed = (i: number) => ({
  id: `2c5bfe1a-f149-11eb-a843-${String(i).padStart(12, "0")}`,
  title: `Interview ${i}`,
  type: "ASSET",
  status: "ACTIVE",
  archive_status: "NOT_ARCHIVED",
  analyze_status: "N/A",
  face_recognition_status: "N/A",
  is_online: true,
  is_blocked: false,
  category: null,
  created_by_user: user.id,
  created_by_user_info: user,
  custom_keyframe: null,
  custom_poster: null,
  date_created: "2021-07-30T15:16:54.406403+00:00",
  date_modified: "2021-07-30T15:16:54.406403+00:00",
  date_imported: "2021-07-30T15:16:54.406403+00:00",
  external_id: null,
  external_link: null,
  in_collections: ["5a1ea3b2-f149-11eb-a843-0a580a3db916"],
  ancestor_collections: ["5a1ea3b2-f149-11eb-a843-0a580a3db916"],
  media_type: "video",
  object_type: "assets",
  duration_milliseconds: 123_456,
  versions_number: 1,
  versions: [{
    id: "2c5c0a72-f149-11eb-a843-0a580a3db916",
    version_number: 1,
    status: "ACTIVE",
    date_created: "2021-07-30T15:16:54.406403+00:00",
    created_by_user: user.id,
    analyze_status: "N/A",
    transcribe_status: "N/A",
    face_recognition_status: "N/A",
    is_online: true
  }],
  files: [{ id: "f1", name: "take.mov", size: 123_456_789, status: "CLOSED", storage_id: "s1" }],
  proxies: [{ id: "p1", name: "proxy.mp4", size: 12_345_678, status: "CLOSED" }],
  keyframes: [{ id: "k1", type: "POSTER" }],
  metadata: { Description: ["An interview"] },
  warning: null,
  default_version_id: "2c5c0a72-f149-11eb-a843-0a580a3db916",
  a_field_iconik_added_later: { nested: true }
})

const page = (objects: ReadonlyArray<unknown>) =>
  JSON.stringify({ objects, page: 1, pages: 120, per_page: 100, total: 12_000, facets: {}, next_url: "/next" })

const timed = (f: () => unknown, runs: number) => {
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) f()
  return performance.now() - t0
}

/** JSON with sorted keys: equal for equal documents whatever order decoding put the keys in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner)

/** Times both codecs on one page; `droppedBefore`: whether the old codec lost some of the page's keys. */
const compare = (text: string, schema: Schema.Top, droppedBefore: boolean) => {
  const after = Schema.decodeUnknownSync(schema as Schema.Codec<unknown>)
  const before = Schema.decodeUnknownSync(legacyCodec(schema) as Schema.Codec<unknown>)
  // The codecs compared are the ones meant: today's gives the whole page back, the old one lost the list's new keys.
  const whole = canonical(JSON.parse(text))
  if (canonical(after(JSON.parse(text))) !== whole) throw new Error("the preserving codec lost part of the page")
  if ((canonical(before(JSON.parse(text))) !== whole) !== droppedBefore) throw new Error("the old codec is not the old one")
  const parse = () => JSON.parse(text)
  const decodeAfter = () => after(JSON.parse(text))
  const decodeBefore = () => before(JSON.parse(text))
  for (const f of [parse, decodeBefore, decodeAfter]) timed(f, RUNS * 2)
  let parseMillis = 0
  let beforeMillis = 0
  let afterMillis = 0
  for (let round = 0; round < ROUNDS; round++) {
    // The order changes every round, so neither side always runs right after the other.
    if (round % 2 === 0) {
      beforeMillis += timed(decodeBefore, RUNS)
      afterMillis += timed(decodeAfter, RUNS)
    } else {
      afterMillis += timed(decodeAfter, RUNS)
      beforeMillis += timed(decodeBefore, RUNS)
    }
    parseMillis += timed(parse, RUNS)
  }
  const pages = ROUNDS * RUNS
  return {
    parseMs: parseMillis / pages,
    beforeMs: beforeMillis / pages,
    afterMs: afterMillis / pages,
    ratio: afterMillis / beforeMillis
  }
}

const main = () => {
  const started = new Date()
  // Search hits kept their undeclared keys before too (overlay); list documents did not.
  const searchPage = compare(page(Array.from({ length: 100 }, (_, i) => hit(i))), search.SearchDocuments, false)
  const listPage = compare(page(Array.from({ length: 100 }, (_, i) => listed(i))), assets.Assets, true)
  const rows: Array<Row> = []
  for (const [name, r] of [["100-hit search page", searchPage], ["100-asset list page", listPage]] as const) {
    rows.push(
      { metric: `${name}: JSON.parse + decode, before (closed structs)`, value: `${fmt(r.beforeMs, 3)} ms` },
      { metric: `${name}: JSON.parse + decode, preserving`, value: `${fmt(r.afterMs, 3)} ms` },
      { metric: `${name}: JSON.parse alone`, value: `${fmt(r.parseMs, 3)} ms` },
      { metric: `${name}: preserving ÷ before`, value: `${fmt(r.ratio)}×`, target: "≤ 1.15×", met: r.ratio <= 1.15 }
    )
  }
  writeResult({
    section: "decode",
    title: "Decoding with preserving codecs",
    rows,
    raw: { rounds: ROUNDS, runs: RUNS, searchPage, listPage }
  }, started)
  for (const row of rows) console.log(`${row.metric}: ${row.value}`)
}

main()
