/**
 * `effect-iconik/testing`: a local, stateful Iconik emulator (in-process or on a socket) with its embedded object
 * store, for tests that need no credentials and no network.
 */
export * from "./emulator/index.ts"
export * as ObjectStore from "./objectstore/index.ts"
