/**
 * Decoder fuzzing: every success schema of every generated operation gets answers it does not expect — arbitrary JSON,
 * near misses (wrong types and nulls at the schema's own keys, extra keys, deep nesting), HTML error pages, empty and
 * truncated bodies — through the client's own decode path (a real IconikClient on an HttpClient that answers 200 with
 * the body). Decoding must never throw or die: it succeeds, or fails with a typed IconikDecodeError whose
 * `schemaPath` is a string and whose message, `String(e)` and JSON can be built.
 *
 * Generation is effect's own `effect/Arbitrary`, with a fixed seed (printed, to replay a failure).
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Cause, Effect, Exit, Schema, SchemaAST } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import type { Definition } from "../../src/Endpoint.ts"
import { allDefinitions, assets } from "../../src/generated/index.ts"
import { IconikDecodeError } from "../../src/IconikError.ts"
import * as IconikClient from "../../src/IconikClient.ts"

const seed = 20261205
const runsPerSchema = 10
console.log(`decoder fuzz: seed ${seed}, ${runsPerSchema} runs per schema`)

/** One answer body per execute: the fake transport serves whatever the property put here. */
let nextBody = ""
const transport = HttpClient.make((request) =>
  Effect.sync(() =>
    HttpClientResponse.fromWeb(
      request,
      new Response(nextBody, { status: 200, headers: { "content-type": "application/json" } })
    )
  )
)

const client = Effect.runSync(
  IconikClient.make({
    appId: "fuzz-app",
    authToken: "fuzz-token",
    baseUrl: "http://fuzz.iconik.invalid",
    retry: false,
    rateLimit: false
  }).pipe(Effect.provideService(HttpClient.HttpClient, transport))
)

/** An operation that answers with `schema`: path parameters filled, no query or body to encode. */
const probe = (definition: Definition, status: number): { readonly definition: Definition; readonly input: unknown } => ({
  definition: { ...definition, query: undefined, body: undefined, success: definition.success.filter((s) => s.status === status) },
  input: Object.fromEntries(definition.pathParams.map((name) => [name, "fuzz-id"]))
})

/** The success schemas of all operations, each once, with one operation that answers with it. */
const targets = (() => {
  const seen = new Map<Schema.Top, { readonly name: string; readonly definition: Definition; readonly input: unknown }>()
  for (const definition of allDefinitions) {
    for (const success of definition.success) {
      if (success.schema === undefined || seen.has(success.schema)) continue
      seen.set(success.schema, { name: `${definition.service}.${definition.name} ${success.status}`, ...probe(definition, success.status) })
    }
  }
  return [...seen.entries()].map(([schema, target]) => ({ schema, ...target }))
})()

type Path = ReadonlyArray<string | number>

/** Paths of the keys the schema knows (`objects[0].status`…), a few levels down, for near misses. */
const knownPaths = (ast: SchemaAST.AST, depth = 0, seen = new Set<SchemaAST.AST>()): ReadonlyArray<Path> => {
  if (depth > 3 || seen.has(ast)) return []
  seen.add(ast)
  const below = (child: SchemaAST.AST) => knownPaths(child, depth + 1, seen)
  switch (ast._tag) {
    case "Objects":
      return ast.propertySignatures.flatMap((p) =>
        typeof p.name === "string" ? [[p.name], ...below(p.type).map((rest) => [p.name as string, ...rest])] : []
      )
    case "Arrays":
      return [...ast.elements, ...ast.rest].flatMap((child) => below(child).map((rest) => [0, ...rest]))
    case "Union":
      return ast.types.flatMap((child) => knownPaths(child, depth, seen))
    case "Suspend":
      return knownPaths(ast.thunk(), depth, seen)
    default:
      return []
  }
}

const setAt = (root: unknown, path: Path, value: unknown): unknown => {
  if (path.length === 0) return value
  const [head, ...rest] = path
  if (typeof head === "number") {
    const array = Array.isArray(root) ? [...root] : []
    array[head] = setAt(array[head], rest, value)
    return array
  }
  const object = root !== null && typeof root === "object" && !Array.isArray(root) ? { ...root } : {}
  ;(object as Record<string, unknown>)[head!] = setAt((object as Record<string, unknown>)[head!], rest, value)
  return object
}

const nest = (value: unknown, depth: number): unknown => {
  let out = value
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? [out] : { nested: out }
  return out
}

const htmlPage = (status: number) =>
  `<html>\r\n<head><title>${status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>${status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`

const Between = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** What a case draws; {@link bodyOf} turns it into a body for one schema. */
const caseArbitrary = Arbitrary.all({
  kind: Arbitrary.schema(Schema.Literals(["json", "nearMiss", "nearMiss", "deep", "html", "empty", "truncated"])),
  json: Arbitrary.schema(Schema.Json),
  wrong: Arbitrary.array(Arbitrary.schema(Schema.Json), { maxLength: 6 }),
  picks: Arbitrary.array(Arbitrary.schema(Between(0, 100_000)), { minLength: 1, maxLength: 6 }),
  extra: Arbitrary.schema(Schema.Record(Schema.String, Schema.Json)),
  depth: Arbitrary.schema(Between(1, 2_000)),
  cut: Arbitrary.schema(Between(0, 1_000))
})
type Case = typeof caseArbitrary extends Arbitrary.Arbitrary<infer A> ? A : never

const bodyOf = (paths: ReadonlyArray<Path>, c: Case): string => {
  const nearMiss = () => {
    let body: unknown = { ...c.extra }
    c.picks.forEach((pick, i) => {
      // Every other mutation is a null: Iconik sends null where the spec says nothing about it.
      const value = i % 2 === 1 ? null : c.wrong[i] ?? 12345
      body = paths.length === 0 ? setAt(body, [`k${pick}`], value) : setAt(body, paths[pick % paths.length]!, value)
    })
    return body
  }
  switch (c.kind) {
    case "json":
      return JSON.stringify(c.json)
    case "nearMiss":
      return JSON.stringify(nearMiss())
    case "deep": {
      const key = paths.length === 0 ? ["deep"] : paths[c.picks[0]! % paths.length]!
      return JSON.stringify(setAt({}, key, nest(c.json, c.depth)))
    }
    case "html":
      return htmlPage(502)
    case "empty":
      return ""
    case "truncated": {
      const full = JSON.stringify(nearMiss())
      return full.slice(0, Math.floor((full.length * c.cut) / 1_000))
    }
  }
}

/** Whether one answer decoded, or failed as a well-formed IconikDecodeError (and nothing else). */
const decodesOrFailsTyped = (target: (typeof targets)[number], body: string) =>
  Effect.suspend(() => {
    nextBody = body
    return Effect.exit(client.execute(target.definition, target.input))
  }).pipe(
    Effect.map((exit) => {
      if (Exit.isSuccess(exit)) return true
      if (!exit.cause.reasons.every(Cause.isFailReason)) return false
      const error = exit.cause.reasons[0]?.error
      if (!(error instanceof IconikDecodeError) || typeof error.schemaPath !== "string") return false
      // Building what the error shows must not throw either.
      return [error.message, String(error), JSON.stringify(error)].every((text) => text.length > 0)
    })
  )

/** Runs the fuzz cases for one target; the failure's description, if any. */
const fuzz = (target: (typeof targets)[number]) =>
  Effect.gen(function*() {
    const paths = knownPaths(target.schema.ast)
    const result = yield* Arbitrary.checkEffect(
      caseArbitrary,
      (c) => decodesOrFailsTyped(target, bodyOf(paths, c)),
      { runs: runsPerSchema, seed, size: 20, maxShrinks: 20 }
    )
    return result._tag === "Passed" ? undefined : `${target.name}: ${Arbitrary.formatCheckFailure(result) ?? result._tag}`
  })

describe("decoder fuzzing", () => {
  it.effect(`every generated response schema (${targets.length}) decodes or fails with a typed IconikDecodeError`, () =>
    Effect.gen(function*() {
      assert.isAbove(targets.length, 100)
      const failures: Array<string> = []
      for (const target of targets) {
        const failure = yield* fuzz(target)
        if (failure !== undefined) failures.push(failure)
      }
      assert.deepStrictEqual(failures, [])
    }), { timeout: 120_000 })

  it.effect("the harness notices a decoder that dies", () =>
    Effect.gen(function*() {
      const boom = Schema.Unknown.check(Schema.makeFilter(() => {
        throw new Error("decoder bug")
      }))
      const definition: Definition = {
        ...targets[0]!.definition,
        success: [{ status: 200, schema: boom }]
      }
      const failure = yield* fuzz({ name: "boom", schema: boom, definition, input: targets[0]!.input })
      assert.isDefined(failure)
    }))

  it.effect("every kind of body is drawn, near misses hit the schema's keys, and the error names the path", () =>
    Effect.gen(function*() {
      const samples = yield* Arbitrary.sampleEffect(caseArbitrary, { count: 200, seed, size: 20 })
      assert.includeMembers([...new Set(samples.map((c) => c.kind))], ["json", "nearMiss", "deep", "html", "empty", "truncated"])
      const target = targets.find((t) => t.schema === assets.Assets)!
      assert.deepInclude(knownPaths(target.schema.ast), ["objects", 0, "id"])
      nextBody = JSON.stringify({ objects: [{ id: 7 }] })
      const exit = yield* Effect.exit(client.execute(target.definition, target.input))
      const error = Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isFailReason)?.error : undefined
      assert.instanceOf(error, IconikDecodeError)
      assert.strictEqual((error as IconikDecodeError).schemaPath, "objects[0].id")
    }))
})
