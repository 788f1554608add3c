/**
 * Iconik's documented upload flows in raw HTTP (`fetch` only, no SDK code) against the emulator over a socket: the
 * proxy upload to S3 (multipart) and the original-file upload (asset → format → file set → file → upload → CLOSED) on
 * each storage method, each step as ICONIK-NOTES §8 gives it. Every flow runs twice: with the upload fields of the
 * create answer, and with the ones read back from a GET of the record.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { IconikEmulator } from "../../src/testing/index.ts"

type Json = Record<string, any>

interface Api {
  readonly call: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Json }>
}

const apiOf = (baseUrl: string, appId: string, token: string): Api => ({
  call: async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { "App-ID": appId, "Auth-Token": token, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await response.text()
    return { status: response.status, json: text === "" ? {} : JSON.parse(text) }
  }
})

const expectStatus = async (api: Api, method: string, path: string, status: number, body?: unknown) => {
  const answer = await api.call(method, path, body)
  assert.strictEqual(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.json)}`)
  return answer.json
}

const content = (size: number, seed: number): Uint8Array<ArrayBuffer> =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251)

/** S3 multipart on a record's fields: POST multipart_upload_url → UploadId; part URLs; PUT parts; complete. */
const s3Multipart = async (api: Api, record: string, fields: Json, bytes: Uint8Array<ArrayBuffer>) => {
  const start = await fetch(fields.multipart_upload_url, { method: "POST" })
  assert.strictEqual(start.status, 200)
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await start.text())![1]!
  const parts = [bytes.slice(0, 20), bytes.slice(20)]
  const urls = await expectStatus(api, "GET", `${record}multipart_url/part/?upload_id=${encodeURIComponent(uploadId)}&parts_num=${parts.length}&per_page=100&page=1`, 200)
  const etags: Array<string> = []
  for (const [index, part] of parts.entries()) {
    const url = urls.objects.find((o: Json) => o.number === index + 1).url
    // fetch sends the exact Content-Length of a byte body (never chunked), as S3 needs.
    const put = await fetch(url, { method: "PUT", body: part })
    assert.strictEqual(put.status, 200)
    etags.push(put.headers.get("etag")!)
  }
  const done = await expectStatus(api, "GET", `${record}multipart_url/?upload_id=${encodeURIComponent(uploadId)}&type=complete_url`, 200)
  const xml = `<CompleteMultipartUpload>${
    etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`
  const complete = await fetch(done.complete_url, { method: "POST", body: xml, headers: { "Content-Type": "application/xml" } })
  assert.strictEqual(complete.status, 200)
  assert.notInclude(await complete.text(), "<Error>")
}

/** The upload §8.4 gives for the storage method, on a record's fields. */
const upload = async (api: Api, record: string, fields: Json, bytes: Uint8Array<ArrayBuffer>, single: boolean) => {
  switch (fields.storage_method) {
    case "S3": {
      if (!single) return s3Multipart(api, record, fields, bytes)
      // §8.2: one PUT of the whole body, exact Content-Length.
      const put = await fetch(fields.upload_url, { method: "PUT", body: bytes, headers: { "Content-Type": "application/octet-stream" } })
      assert.strictEqual(put.status, 200)
      return
    }
    case "GCS": {
      const start = await fetch(fields.upload_url, { method: "POST", body: "", headers: { "x-goog-resumable": "start" } })
      assert.strictEqual(start.status, 201)
      assert.isString(start.headers.get("x-guploader-uploadid"))
      const put = await fetch(start.headers.get("location")!, { method: "PUT", body: bytes })
      assert.strictEqual(put.status, 200)
      return
    }
    case "AZURE": {
      const put = await fetch(fields.upload_url, {
        method: "PUT",
        body: bytes,
        headers: { "x-ms-blob-type": "BlockBlob" }
      })
      assert.strictEqual(put.status, 201)
      return
    }
    case "B2": {
      const post = await fetch(fields.upload_url, {
        method: "POST",
        body: bytes,
        headers: {
          Authorization: fields.upload_credentials.authorizationToken,
          "X-Bz-File-Name": encodeURIComponent(fields.upload_filename),
          "X-Bz-Content-Sha1": createHash("sha1").update(bytes).digest("hex"),
          "Content-Type": "b2/x-auto"
        }
      })
      assert.strictEqual(post.status, 200)
      return
    }
    default:
      assert.fail(`no upload flow for ${fields.storage_method}`)
  }
}

type Source = "create answer" | "GET of the record"

const server = IconikEmulator.layerServer({ rateLimit: false, objectStore: { minPartSize: 16 } })

const withApi = <A>(body: (api: Api, emulator: IconikEmulator["Service"]) => Promise<A>) =>
  Effect.gen(function*() {
    const emulator = yield* IconikEmulator
    const api = apiOf(emulator.baseUrl, emulator.credentials.appId, emulator.credentials.authToken)
    yield* Effect.promise(() => body(api, emulator))
    assert.deepStrictEqual(yield* emulator.verifyClosedUploads, [])
    assert.deepStrictEqual(yield* emulator.openRecords, [])
  }).pipe(Effect.provide(server))

describe("Iconik's documented upload flows in raw HTTP, over a socket", () => {
  for (const source of ["create answer", "GET of the record"] as const satisfies ReadonlyArray<Source>) {
    it.effect(`proxy to S3, multipart (§8.1), upload fields from the ${source}`, () =>
      withApi(async (api) => {
        const bytes = content(45, 1)
        const storage = await expectStatus(api, "GET", "/API/files/v1/storages/matching/PROXIES/", 200)
        const asset = await expectStatus(api, "POST", "/API/assets/v1/assets/", 201, { title: "Proxy flow", type: "ASSET" })
        const created = await expectStatus(api, "POST", `/API/files/v1/assets/${asset.id}/proxies/`, 201, {
          name: "proxy.mp4",
          filename: "proxy.mp4",
          format: "MPEG-4",
          codec: "h264",
          frame_rate: "25",
          resolution: { width: 1280, height: 720 },
          bit_rate: 2_000_000,
          audio_bitrate: 128_000,
          size: bytes.length,
          storage_id: storage.id,
          status: "OPEN"
        })
        assert.strictEqual(created.storage_method, "S3")
        const record = `/API/files/v1/assets/${asset.id}/proxies/${created.id}/`
        const fields = source === "create answer" ? created : await expectStatus(api, "GET", record, 200)
        await upload(api, record, fields, bytes, false)
        const closed = await expectStatus(api, "PATCH", record, 200, { status: "CLOSED" })
        assert.strictEqual(closed.status, "CLOSED")
        assert.isUndefined(closed.multipart_upload_url)
      }))

    for (const flow of ["S3", "S3 single PUT", "GCS", "AZURE", "B2"]) {
      const method = flow.split(" ")[0]!
      it.effect(`original file on ${flow} (§8.3, §8.4), upload fields from the ${source}`, () =>
        withApi(async (api, emulator) => {
          const bytes = content(50, flow.length)
          const asset = await expectStatus(api, "POST", "/API/assets/v1/assets/?apply_default_acls=true", 201, {
            title: `Original on ${method}`,
            type: "ASSET"
          })
          const storageId = emulator.storage("FILES", method)!.id
          const format = await expectStatus(api, "POST", `/API/files/v1/assets/${asset.id}/formats/`, 201, {
            name: "ORIGINAL",
            metadata: [{ internet_media_type: "video/quicktime" }],
            storage_methods: [method]
          })
          const fileSet = await expectStatus(api, "POST", `/API/files/v1/assets/${asset.id}/file_sets/`, 201, {
            format_id: format.id,
            storage_id: storageId,
            base_dir: `ingest/${asset.id}`,
            name: "clip.mov",
            component_ids: []
          })
          const created = await expectStatus(api, "POST", `/API/files/v1/assets/${asset.id}/files/`, 201, {
            original_name: "clip.mov",
            directory_path: "day1",
            size: bytes.length,
            type: "FILE",
            storage_id: storageId,
            file_set_id: fileSet.id,
            format_id: format.id
          })
          assert.strictEqual(created.storage_method, method)
          const record = `/API/files/v1/assets/${asset.id}/files/${created.id}/`
          const fields = source === "create answer" ? created : await expectStatus(api, "GET", record, 200)
          await upload(api, record, fields, bytes, flow !== method)
          const closed = await expectStatus(api, "PATCH", record, 200, { status: "CLOSED", progress_processed: 100 })
          assert.strictEqual(closed.status, "CLOSED")
          assert.isUndefined(closed.upload_url)
        }))
    }
  }
})
