/**
 * Search wildcards are matched in linear time: a query with many `*` on a long title answers at once (it used to
 * become a backtracking RegExp that held the server for minutes).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { search } from "../../src/generated/index.ts"
import { IconikEmulator } from "../../src/testing/index.ts"
import { indexOfLinear, markOccurrences, wildcardMatches } from "../../src/testing/emulator/Wildcard.ts"
import { raw } from "./support.ts"

const titlesOf = (query: string) =>
  Effect.map(search.search({ body: { query, doc_types: ["assets"], sort: [{ name: "title", order: "asc" }] } }), (page) =>
    (page.objects ?? []).map((hit) => String(hit.title).slice(0, 12)))

describe("search wildcards", () => {
  it.effect("many `*` over a 100 000-character title: answered, with the right hits", () =>
    Effect.gen(function*() {
      const long = "a".repeat(100_000)
      for (const title of [long, `${long}b`, "abc clip"]) {
        assert.strictEqual((yield* raw("POST", "/API/assets/v1/assets/", { body: { title } })).status, 201)
      }
      // 40 stars: as a RegExp, `.*a.*a…b` tries every split of the a's before failing on the title without a `b`.
      const stars = `${"*a".repeat(40)}*b`
      assert.deepStrictEqual(yield* titlesOf(stars), ["aaaaaaaaaaaa"])
      assert.deepStrictEqual(yield* titlesOf(`*${"a*".repeat(40)}`), ["aaaaaaaaaaaa", "aaaaaaaaaaaa"])
      assert.deepStrictEqual(yield* titlesOf("a*c*p"), ["abc clip"])
      assert.deepStrictEqual(yield* titlesOf("*b*a*"), [])
    }).pipe(Effect.provide(IconikEmulator.layerClient({ rateLimit: false }, { rateLimit: false, retry: false }))))

  it("the matcher: pieces in order, unanchored, case-insensitive", () => {
    assert.isTrue(wildcardMatches("in*view", "An INTERVIEW take"))
    assert.isTrue(wildcardMatches("*", ""))
    assert.isTrue(wildcardMatches("a*a", "aa"))
    assert.isFalse(wildcardMatches("a*a", "a"))
    assert.isFalse(wildcardMatches("b*a", "ab"))
    // Regex metacharacters are plain text.
    assert.isTrue(wildcardMatches("(x+)*[y]", "((x+)) and [y]"))
    assert.isFalse(wildcardMatches("x.y", "xzy"))
    assert.strictEqual(indexOfLinear("aaaaaaaab", "aaab"), 5)
    assert.strictEqual(indexOfLinear("abababx", "ababx", 1), 2)
    assert.strictEqual(indexOfLinear("abc", "d"), -1)
    assert.strictEqual(markOccurrences("Take (1) and take (2)", "take ("), "<em>Take (</em>1) and <em>take (</em>2)")
  })
})
