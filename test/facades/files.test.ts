import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Files from "../../src/Files.ts"
import { type Route, scripted, type Sent } from "./support.ts"

const fileSet = { id: "fs1", name: "ORIGINAL", format_id: "f1", base_dir: "", component_ids: [] }
const keyframe = { id: "k1", type: "KEYFRAME" }

/** A part-URL list that pages like Iconik: `per_page` capped at `maxPerPage`, numbers 1..parts_num. */
const partUrls = (maxPerPage: number): Route => (s: Sent) => {
  const count = Number(s.query.parts_num)
  const perPage = Math.min(Number(s.query.per_page ?? 10), maxPerPage)
  const page = Number(s.query.page ?? 1)
  const numbers = Array.from({ length: count }, (_, i) => i + 1).slice((page - 1) * perPage, page * perPage)
  return {
    status: 200,
    body: { objects: numbers.map((n) => ({ number: n, url: `https://s3.test/part-${n}?sig=x`, key: "k" })) }
  }
}

describe("Files", () => {
  describe("file sets", () => {
    it.live("update and patch go to the file set's own path (Pythonik dropped the id)", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 200, body: fileSet }))
        const body = { format_id: "f1", name: "ORIGINAL", base_dir: "", component_ids: [] }
        const updated = yield* Files.updateFileSet("a1", "fs1", body).pipe(Effect.provide(layer))
        assert.strictEqual(updated.id, "fs1")
        yield* Files.patchFileSet("a1", "fs1", body).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.body]), [
          // The empty base_dir and component_ids Iconik requires go out as given.
          ["PUT", "/API/files/v1/assets/a1/file_sets/fs1/", body],
          ["PATCH", "/API/files/v1/assets/a1/file_sets/fs1/", body]
        ])
      }))

    it.live("delete returns the file set on 200, nothing on 204, and sends keep_source only when asked", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) =>
          s.query.immediately === "true" ? { status: 204 } : { status: 200, body: { ...fileSet, status: "DELETED" } }
        )
        const marked = yield* Files.deleteFileSet("a1", "fs1", { keepSource: true }).pipe(Effect.provide(layer))
        assert.strictEqual(marked?.status, "DELETED")
        const gone = yield* Files.deleteFileSet("a1", "fs1", { immediately: true }).pipe(Effect.provide(layer))
        assert.strictEqual(gone, undefined)
        assert.strictEqual(sent().length, 2)
        assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.query]), [
          ["DELETE", "/API/files/v1/assets/a1/file_sets/fs1/", { keep_source: "true" }],
          ["DELETE", "/API/files/v1/assets/a1/file_sets/fs1/", { immediately: "true" }]
        ])
      }))

    it.live("a 200 without a body is accepted as nothing; a body that is not a file set is a decode error", () =>
      Effect.gen(function*() {
        let reply: { status: number; body?: unknown } = { status: 200 }
        const { layer, sent } = yield* scripted(() => reply)
        const empty = yield* Files.deleteFileSet("a1", "fs1").pipe(Effect.provide(layer))
        assert.strictEqual(empty, undefined)
        assert.deepStrictEqual(sent()[0]!.query, {})
        reply = { status: 200, body: { id: 42 } }
        const error = yield* Files.deleteFormat("a1", "f1").pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(error._tag, "IconikDecodeError")
      }))

    it.live("stream follows the last_id cursor", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) => {
          const next = s.query.last_id === undefined ? "fs1" : s.query.last_id === "fs1" ? "fs2" : undefined
          return next === undefined
            ? { status: 200, body: { objects: [] } }
            : { status: 200, body: { objects: [{ ...fileSet, id: next }], next_url: "/next" } }
        })
        const ids = yield* Files.streamFileSets("a1", undefined, { perPage: 1 }).pipe(
          Stream.map((f) => f.id),
          Stream.runCollect,
          Effect.provide(layer)
        )
        assert.deepStrictEqual(Array.from(ids), ["fs1", "fs2"])
        assert.deepStrictEqual(sent().map((s) => s.query.last_id ?? "-"), ["-", "fs1", "fs2"])
      }))
  })

  describe("keyframes", () => {
    it.live("update is PUT (Pythonik sent POST), patch is PATCH", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(() => ({ status: 200, body: keyframe }))
        yield* Files.updateKeyframe("a1", "k1", { type: "KEYFRAME", status: "CLOSED" }).pipe(Effect.provide(layer))
        yield* Files.patchKeyframe("a1", "k1", { type: "KEYFRAME", status: "CLOSED" }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => `${s.method} ${s.path}`), [
          "PUT /API/files/v1/assets/a1/keyframes/k1/",
          "PATCH /API/files/v1/assets/a1/keyframes/k1/"
        ])
      }))
  })

  describe("S3 multipart URLs", () => {
    it.live("getS3PartUrl picks the URL whose number is the part asked for, on the page that holds it", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(partUrls(100))
        const part = yield* Files.getS3PartUrl("a1", "p1", "up-1", 250).pipe(Effect.provide(layer))
        assert.strictEqual(part.number, 250)
        assert.strictEqual(part.url, "https://s3.test/part-250?sig=x")
        assert.deepStrictEqual(sent(), [{
          method: "GET",
          path: "/API/files/v1/assets/a1/proxies/p1/multipart_url/part/",
          query: { upload_id: "up-1", parts_num: "250", per_page: "100", page: "3" },
          body: undefined
        }])
      }))

    it.live("getS3PartUrl re-aims when Iconik pages smaller than asked", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(partUrls(3))
        const part = yield* Files.getS3PartUrl("a1", "p1", "up-1", 7).pipe(Effect.provide(layer))
        assert.strictEqual(part.number, 7)
        // Page 1 shows a page size of 3, so part 7 is on page 3.
        assert.deepStrictEqual(sent().map((s) => s.query.page), ["1", "3"])
      }))

    it.live("getS3PartUrls walks every page and returns the parts in order", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted(partUrls(3))
        const parts = yield* Files.getS3PartUrls("a1", "p1", "up-1", 7).pipe(Effect.provide(layer))
        assert.deepStrictEqual(parts.map((p) => p.number), [1, 2, 3, 4, 5, 6, 7])
        assert.deepStrictEqual(sent().map((s) => [s.query.page, s.query.parts_num]), [["1", "7"], ["2", "7"], ["3", "7"]])
      }))

    it.live("a part Iconik does not list is a typed IconikPartUrlMissing, not a wrong URL", () =>
      Effect.gen(function*() {
        const { layer } = yield* scripted((s) => ({
          status: 200,
          body: { objects: s.query.page === "1" ? [{ number: 1, url: "u1" }, { number: 3, url: "u3" }] : [] }
        }))
        const single = yield* Files.getS3PartUrl("a1", "p1", "up-1", 2).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(single._tag, "IconikPartUrlMissing")
        const all = yield* Files.getS3PartUrls("a1", "p1", "up-1", 3).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(all._tag, "IconikPartUrlMissing")
        if (all._tag === "IconikPartUrlMissing") assert.strictEqual(all.partNumber, 2)
        const invalid = yield* Files.getS3PartUrl("a1", "p1", "up-1", 0).pipe(Effect.flip, Effect.provide(layer))
        assert.strictEqual(invalid._tag, "IconikInvalidRequest")
      }))

    it.live("complete URLs, cleanup and the file variants send the documented queries and bodies", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) =>
          s.path.endsWith("/cleanup/")
            ? { status: 200 }
            : { status: 200, body: { complete_url: "https://s3.test/complete", abort_url: "https://s3.test/abort" } }
        )
        const urls = yield* Files.getS3CompleteUrls("a1", "p1", "up-1").pipe(Effect.provide(layer))
        assert.strictEqual(urls.complete_url, "https://s3.test/complete")
        assert.strictEqual(urls.abort_url, "https://s3.test/abort")
        yield* Files.getFileS3CompleteUrls("a1", "f1", "up-2", { maxPartNumber: 4 }).pipe(Effect.provide(layer))
        yield* Files.cleanupMultipart("a1", "p1", "up-1", { abortUpload: true }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent(), [
          {
            method: "GET",
            path: "/API/files/v1/assets/a1/proxies/p1/multipart_url/",
            query: { upload_id: "up-1", type: "complete_url" },
            body: undefined
          },
          {
            method: "GET",
            path: "/API/files/v1/assets/a1/files/f1/multipart_url/",
            query: { upload_id: "up-2", type: "complete_url", max_part_number: "4" },
            body: undefined
          },
          {
            method: "POST",
            path: "/API/files/v1/assets/a1/proxies/p1/multipart/cleanup/",
            query: {},
            body: { upload_id: "up-1", abort_upload: true }
          }
        ])
      }))
  })

  describe("jobs on files", () => {
    it.live("mediainfo and keyframe jobs send the body as given and read {job_id} or a skipped 204", () =>
      Effect.gen(function*() {
        const { layer, sent } = yield* scripted((s) =>
          s.path.endsWith("/keyframes/") ? { status: 204 } : { status: 200, body: { job_id: "j1" } }
        )
        const mediainfo = yield* Files.createMediainfoJob("a1", "f1").pipe(Effect.provide(layer))
        assert.strictEqual(mediainfo.job_id, "j1")
        const keyframes = yield* Files.createKeyframesJob("a1", "f1", { priority: 7 }).pipe(Effect.provide(layer))
        assert.strictEqual(keyframes, undefined)
        assert.deepStrictEqual(sent().map((s) => [s.method, s.path, s.body]), [
          ["POST", "/API/files/v1/assets/a1/files/f1/mediainfo/", {}],
          ["POST", "/API/files/v1/assets/a1/files/f1/keyframes/", { priority: 7 }]
        ])
      }))
  })

  describe("storages", () => {
    it.live("matching and default storage by purpose, storage files", () =>
      Effect.gen(function*() {
        const storage = { id: "st1", name: "proxies", method: "S3", purpose: "PROXIES", settings: {} }
        const { layer, sent } = yield* scripted((s) =>
          s.path.endsWith("/files/")
            ? { status: 200, body: { objects: [], page: 1, pages: 1 } }
            : { status: 200, body: storage }
        )
        const matching = yield* Files.matchingStorage("PROXIES").pipe(Effect.provide(layer))
        assert.strictEqual(matching.id, "st1")
        yield* Files.defaultStorage("FILES").pipe(Effect.provide(layer))
        yield* Files.listStorageFiles("st1", { path: "a/b" }).pipe(Effect.provide(layer))
        assert.deepStrictEqual(sent().map((s) => `${s.method} ${s.path} ${JSON.stringify(s.query)}`), [
          "GET /API/files/v1/storages/matching/PROXIES/ {}",
          "GET /API/files/v1/storages/FILES/default/ {}",
          "GET /API/files/v1/storages/st1/files/ {\"path\":\"a/b\"}"
        ])
      }))
  })
})
