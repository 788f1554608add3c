import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, FileSystem, Layer, Path } from "effect"
import * as LocalFile from "../../workflows/LocalFile.ts"
import { failureOf, mediaFolder } from "./support.ts"

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

/** A folder with real files, and beside it another folder the links may point into. */
const withLinks = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = yield* mediaFolder({ "in.mov": 10, "sub/deep.mov": 20, ".hidden/x.mov": 5 })
  const outside = yield* mediaFolder({ "secret.mov": 30 })
  const link = (target: string, at: string) => fs.symlink(target, path.join(dir, at))
  yield* link(path.join(outside, "secret.mov"), "outside.mov")
  yield* link(outside, "outside-dir")
  yield* link(".", "self")
  yield* link("..", "sub/up")
  yield* link("in.mov", "alias.mov")
  yield* link("sub", "linked-sub")
  yield* link("nowhere.mov", "broken.mov")
  // A relative link that climbs out of the folder and back in is still inside.
  yield* link(`../../${path.basename(dir)}/in.mov`, "sub/round-trip.mov")
  return dir
})

const reasons = (listing: LocalFile.FolderListing) => listing.skipped.map((entry) => [entry.path, entry.reason])

describe("LocalFile.listFolder", () => {
  it.effect("does not follow symbolic links by default, and names each one it leaves out", () =>
    Effect.gen(function*() {
      const dir = yield* withLinks
      const listing = yield* LocalFile.listFolder(dir)
      assert.deepStrictEqual(listing.files, ["in.mov", "sub/deep.mov"])
      assert.deepStrictEqual(reasons(listing), [
        ["alias.mov", "Symlink"],
        ["broken.mov", "Symlink"],
        ["linked-sub", "Symlink"],
        ["outside-dir", "Symlink"],
        ["outside.mov", "Symlink"],
        ["self", "Symlink"],
        ["sub/round-trip.mov", "Symlink"],
        ["sub/up", "Symlink"]
      ])
      assert.strictEqual(listing.skipped.find((entry) => entry.path === "self")?.detail, ".")
    }).pipe(Effect.scoped, Effect.provide(platform)))

  it.effect("followSymlinks: follows links inside the folder, never outside it, and stops at loops", () =>
    Effect.gen(function*() {
      const dir = yield* withLinks
      const listing = yield* LocalFile.listFolder(dir, { followSymlinks: true })
      assert.deepStrictEqual(listing.files, [
        "alias.mov",
        "in.mov",
        "linked-sub/deep.mov",
        "linked-sub/round-trip.mov",
        "sub/deep.mov",
        "sub/round-trip.mov"
      ])
      assert.deepStrictEqual(reasons(listing), [
        ["broken.mov", "BrokenSymlink"],
        ["linked-sub/up", "SymlinkLoop"],
        ["outside-dir", "SymlinkOutsideFolder"],
        ["outside.mov", "SymlinkOutsideFolder"],
        ["self", "SymlinkLoop"],
        ["sub/up", "SymlinkLoop"]
      ])
    }).pipe(Effect.scoped, Effect.provide(platform)))

  it.effect("not recursive: the top level only, links still reported", () =>
    Effect.gen(function*() {
      const dir = yield* withLinks
      const listing = yield* LocalFile.listFolder(dir, { recursive: false, followSymlinks: true })
      assert.deepStrictEqual(listing.files, ["alias.mov", "in.mov"])
      assert.deepStrictEqual(reasons(listing), [
        ["broken.mov", "BrokenSymlink"],
        ["outside-dir", "SymlinkOutsideFolder"],
        ["outside.mov", "SymlinkOutsideFolder"],
        ["self", "SymlinkLoop"]
      ])
    }).pipe(Effect.scoped, Effect.provide(platform)))

  it.effect("the folder itself may be a link: it is what the caller named", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "a.mov": 1, "b/c.mov": 2 })
      const holder = yield* fs.makeTempDirectoryScoped()
      yield* fs.symlink(dir, path.join(holder, "rushes"))
      const listing = yield* LocalFile.listFolder(path.join(holder, "rushes"))
      assert.deepStrictEqual(listing.files, ["a.mov", "b/c.mov"])
      assert.deepStrictEqual(listing.skipped, [])
    }).pipe(Effect.scoped, Effect.provide(platform)))

  it.effect("a file is not a folder", () =>
    Effect.gen(function*() {
      const path = yield* Path.Path
      const dir = yield* mediaFolder({ "a.mov": 1 })
      const failure = failureOf(yield* Effect.exit(LocalFile.listFolder(path.join(dir, "a.mov"))))
      assert.strictEqual(failure?._tag, "LocalFileError")
      assert.strictEqual(failure?.reason, "NotADirectory")
    }).pipe(Effect.scoped, Effect.provide(platform)))
})
