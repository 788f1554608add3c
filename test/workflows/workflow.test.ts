import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schema, Stream } from "effect"
import * as Progress from "../../workflows/Progress.ts"
import * as Workflow from "../../workflows/Workflow.ts"

class Flaky extends Schema.TaggedError<Flaky>()("Flaky", { transient: Schema.Boolean }) {}

const collect = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const events: Array<Progress.ProgressEvent> = []
    const exit = yield* Effect.exit(Progress.tap(effect, (e) => events.push(e)))
    return { exit, events }
  })

describe("Workflow steps", () => {
  it.live("a step retries as declared, reporting each retry, then completes", () =>
    Effect.gen(function*() {
      let attempts = 0
      const flaky = Effect.suspend(() => (++attempts < 3 ? Effect.fail(new Flaky({ transient: true })) : Effect.succeed(attempts)))
      const pipeline = Workflow.make("demo", () => Workflow.step("flaky call", flaky, { retry: { times: 5, delay: 1 } }))
      const { events, exit } = yield* collect(pipeline())
      assert.deepStrictEqual(exit, Exit.succeed(3))
      assert.deepStrictEqual(events.map((e) => e._tag), ["StepStarted", "StepRetrying", "StepRetrying", "StepCompleted"])
      assert.strictEqual((events[1] as Progress.StepRetrying).workflow, "demo")
      assert.strictEqual((events[2] as Progress.StepRetrying).attempt, 2)
    }))

  it.effect("`while` stops retrying on failures that are not worth it; the failure is reported with its tag", () =>
    Effect.gen(function*() {
      let attempts = 0
      const step = Workflow.step("strict", Effect.suspend(() => {
        attempts++
        return Effect.fail(new Flaky({ transient: false }))
      }), { retry: { times: 5, delay: 1, while: (e) => e.transient } })
      const { events, exit } = yield* collect(Workflow.forItem("clip.mov", step))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(attempts, 1)
      const failed = events.at(-1) as Progress.StepFailed
      assert.strictEqual(failed._tag, "StepFailed")
      assert.strictEqual(failed.reason, "Flaky")
      assert.strictEqual(failed.item, "clip.mov")
    }))

  it.effect("interruption is reported as a failed step with reason Interrupted", () =>
    Effect.gen(function*() {
      const events: Array<Progress.ProgressEvent> = []
      const fiber = yield* Effect.forkChild(Progress.tap(Workflow.step("forever", Effect.never), (e) => events.push(e)))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(events.map((e) => e._tag), ["StepStarted", "StepFailed"])
      assert.strictEqual((events[1] as Progress.StepFailed).reason, "Interrupted")
    }))

  it.effect("Progress.events turns a workflow's progress into a Stream that ends with it", () =>
    Effect.gen(function*() {
      const work = Workflow.make("two steps", () =>
        Effect.andThen(Workflow.step("one", Effect.void), Workflow.step("two", Progress.emit({ _tag: "BytesTransferred", item: "x", transferred: 5, total: 10 }))))
      const events = yield* Stream.runCollect(Progress.events(work()))
      assert.deepStrictEqual(events.map((e) => e._tag), [
        "StepStarted",
        "StepCompleted",
        "StepStarted",
        "BytesTransferred",
        "StepCompleted"
      ])
      const snapshot = events.reduce(Progress.reduce, Progress.emptySnapshot)
      assert.strictEqual(snapshot.bytesTransferred, 5)
      assert.strictEqual(snapshot.bytesPlanned, 10)
      assert.strictEqual(snapshot.stepsCompleted, 2)
    }))
})
