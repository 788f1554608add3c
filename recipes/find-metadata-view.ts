/**
 * Recipe: find a metadata view's id from its name (what Iconik's UI shows), and the fields it holds.
 *
 *   ICONIK_APP_ID=… ICONIK_AUTH_TOKEN=… VIEW_NAME="Production" node find-metadata-view.ts
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Schema } from "effect"
import { Iconik, Metadata } from "../src/index.ts"

export class ViewNotFound extends Schema.TaggedError<ViewNotFound>()("ViewNotFound", {
  viewName: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `No metadata view is named "${this.viewName}" (views: ${this.known.join(", ") || "none"})`
  }
}

export const findView = Effect.fn("findView")(function*(name: string) {
  const views = (yield* Metadata.listViews()).objects ?? [] // one answer: Iconik does not page views
  const view = views.find((v) => v.name === name) ?? views.find((v) => v.name.toLowerCase() === name.toLowerCase())
  if (view === undefined) return yield* new ViewNotFound({ viewName: name, known: views.map((v) => v.name) })
  const fields = (view.view_fields ?? []).map((field) => field.name).filter((field) => field !== "__separator__")
  yield* Effect.log(`${view.name}: ${view.id} (${fields.join(", ")})`)
  return { id: view.id, name: view.name, fields }
})

export const layer = Iconik.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))

export const main = Effect.gen(function*() {
  const name = yield* Config.String("VIEW_NAME")
  return yield* findView(name)
}).pipe(Effect.provide(layer))

if (import.meta.main) NodeRuntime.runMain(main)
