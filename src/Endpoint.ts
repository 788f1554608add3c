/**
 * One definition per Iconik operation. The generator emits a {@link Definition} for each (method, path, parameters,
 * body, success and error statuses, summary, roles, paging family); the client executes it and the emulator serves
 * it. {@link make} turns a definition into the typed function users call.
 *
 * The definition types live in `Definition.ts`, which imports nothing from the SDK: the client needs them and this
 * module needs the client, so they are kept apart to leave no cycle. They are re-exported here, where generated code
 * and users have always found them.
 */
import type * as Effect from "effect/Effect"
import type { CallOptions, DeclarableStatus, Definition } from "./Definition.ts"
import { IconikClient } from "./IconikClient.ts"
import type { IconikErrorFor } from "./IconikError.ts"

export type {
  CallOptions,
  Definition,
  InputShape,
  Method,
  PagingFamily,
  SuccessResponse
} from "./Definition.ts"

/** A generated operation: call it with its input; its `definition` drives the client, pagination and the emulator. */
export interface Operation<I, A, S extends DeclarableStatus> {
  (...args: [I] extends [void] ? [input?: I, options?: CallOptions] : [input: I, options?: CallOptions]): Effect.Effect<
    A,
    IconikErrorFor<S>,
    IconikClient
  >
  readonly definition: Definition
}

export const make = <I, A, S extends DeclarableStatus = never>(definition: Definition): Operation<I, A, S> => {
  const operation = (input?: I, options?: CallOptions) =>
    IconikClient.use((client) => client.execute(definition, input, options)) as Effect.Effect<
      A,
      IconikErrorFor<S>,
      IconikClient
    >
  return Object.assign(operation, { definition }) as unknown as Operation<I, A, S>
}

/** The input type of an operation. */
export type Input<O> = O extends Operation<infer I, any, any> ? I : never
/** The success type of an operation. */
export type Success<O> = O extends Operation<any, infer A, any> ? A : never
