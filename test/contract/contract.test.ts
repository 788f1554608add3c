/**
 * The record/replay harness: shapes and their comparison, a recording made against the emulator through the same
 * code path as a live run (scrubbed, and equal to itself on replay), and the replay of every committed recording
 * against the emulator over a socket, whose differences must be exactly the known ones.
 */
import { describe, expect, it } from "vitest"
import { withEmulator } from "../../contract/emulator.ts"
import { flows } from "../../contract/flows.ts"
import { compareExchanges, loadKnownDifferences, loadRecordings, replay } from "../../contract/replay.ts"
import { assertScrubbed, runFlow } from "../../contract/runner.ts"
import { compareShapes, shapeOf } from "../../contract/shape.ts"

describe("shapes", () => {
  it("keep kinds, keys and constants, never values", () => {
    const shape = shapeOf({
      id: "2c5bfe1a-f149-11eb-a843-0a580a3db916",
      title: "Customer's secret title",
      date_created: "2021-07-30T15:16:54.406403+00:00",
      upload_url: "https://bucket.example/x?X-Amz-Signature=abc",
      status: "CLOSED",
      size: 12,
      ratio: 1.5,
      ok: true,
      gone: null,
      versions: [{ id: "2c5bfe1a-f149-11eb-a843-0a580a3db916" }, {}, {}, {}, {}]
    })
    expect(shape).toEqual({
      date_created: "date-time",
      gone: "null",
      id: "uuid",
      ok: "boolean",
      ratio: "number",
      size: "integer",
      status: "enum:CLOSED",
      title: "string",
      upload_url: "url",
      versions: [{ id: "uuid" }, {}, {}]
    })
    expect(JSON.stringify(shape)).not.toContain("secret")
    expect(JSON.stringify(shape)).not.toContain("Signature")
  })

  it("compare by keys and kinds: a missing key, an extra key and a changed kind are each reported", () => {
    const recorded = shapeOf({ id: "2c5bfe1a-f149-11eb-a843-0a580a3db916", size: 1, warning: null, objects: [{ a: 1 }] })
    const actual = shapeOf({ id: "2c5bfe1a-f149-11eb-a843-0a580a3db916", size: "1", extra: true, objects: [{ a: 1, b: 2 }] })
    expect(compareShapes(recorded, actual)).toEqual([
      "body.objects[].b: in the emulator's answer, not recorded",
      "body.size: recorded integer, emulator string",
      "body.warning: recorded, missing in the emulator's answer",
      "body.extra: in the emulator's answer, not recorded"
    ])
  })

  it("a recorded null matches any kind, an integer matches a number, and open maps compare no keys", () => {
    expect(compareShapes(shapeOf({ a: null, n: 1 }), shapeOf({ a: "x", n: 1.5 }))).toEqual([])
    expect(compareShapes(shapeOf({ metadata: { x: "1" } }), shapeOf({ metadata: { y: "2" } }), "body", [/\.metadata$/])).toEqual([])
  })

  it("statuses and bodies of exchanges compare step by step", () => {
    const recorded = [{ step: "s", method: "GET", path: "/p", status: 200, response: shapeOf({ a: 1 }) }]
    expect(compareExchanges(recorded, [{ step: "s", method: "GET", path: "/p", status: 404, response: shapeOf({ a: 1 }) }]))
      .toEqual(["s: status recorded 200, emulator 404"])
    expect(compareExchanges(recorded, [])).toEqual(["s: not run against the emulator (no such step)"])
  })
})

describe("recording (the live code path, against the emulator over a socket)", () => {
  it("every flow runs to its end, the recording carries no secret, and it replays with no difference", async () => {
    await withEmulator(async (target) => {
      for (const flow of flows) {
        const exchanges = await runFlow(flow, target)
        expect(exchanges.filter((e) => e.skipped !== undefined), flow.name).toEqual([])
        const text = JSON.stringify({ flow: flow.name, source: "test", exchanges })
        expect(() => assertScrubbed(text, target)).not.toThrow()
        expect(await replay({ flow: flow.name, source: "test", exchanges }, target)).toEqual([])
      }
      // The guard refuses a recording holding a credential or a signature.
      expect(() => assertScrubbed(`{"x":"${target.authToken}"}`, target)).toThrow(/credential/)
      expect(() => assertScrubbed(`{"x":"https://h/o?X-Amz-Signature=1"}`, target)).toThrow(/signature/)
    })
  })
})

describe("replay of the committed recordings against the emulator", () => {
  const recordings = loadRecordings()
  const known = loadKnownDifferences()

  it("there is at least the tutorial's recording", () => {
    expect(recordings.map((r) => r.file)).toContain("tutorial-manual-asset.json")
  })

  for (const { file, recording } of recordings) {
    it(`${file}: the emulator differs only where known-differences.json says`, async () => {
      const differences = await withEmulator((target) => replay(recording, target))
      // Printed so a CI log shows the list, not only a pass.
      console.log(`${file} (${recording.source}):\n${differences.map((d) => `  ${d}`).join("\n") || "  no difference"}`)
      expect(differences.sort()).toEqual([...(known[file] ?? [])].sort())
    })
  }
})
