/**
 * The core flows the contract drives, as Iconik's documentation and tutorials describe them, in raw HTTP. Each step
 * names its request (a path template filled from earlier answers) and what it keeps of the answer for later steps.
 * The same steps run against real Iconik (recording) and against the emulator (replay).
 */

export type Vars = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export interface IconikStep {
  readonly kind: "iconik"
  readonly name: string
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  /** A path template: `{name}` is filled from the variables bound so far. */
  readonly path: string
  readonly body?: (vars: Vars) => unknown
  /** Values to keep from a 2xx answer's JSON. */
  readonly bind?: (json: any) => Vars
  /** Runs even after an earlier step failed (deletes what the flow created). */
  readonly cleanup?: boolean
}

/** An upload of the flow's bytes to the storage URL an earlier answer gave, the way its storage method wants it. */
export interface StorageStep {
  readonly kind: "storage"
  readonly name: string
}

export type Step = IconikStep | StorageStep

export interface Flow {
  readonly name: string
  readonly description: string
  readonly steps: ReadonlyArray<Step>
  /** Paths whose keys are data rather than schema (metadata maps): compared by kind, not by key. */
  readonly openMaps?: ReadonlyArray<RegExp>
}

const iconik = (name: string, method: IconikStep["method"], path: string, rest: Partial<IconikStep> = {}): IconikStep => ({
  kind: "iconik",
  name,
  method,
  path,
  ...rest
})

/** The bytes uploaded as a proxy: small, so a live run costs nothing. */
export const proxyBytes = new TextEncoder().encode("effect-iconik contract proxy\n".repeat(64))

const createAsset = (title: string) =>
  iconik("create-asset", "POST", "/API/assets/v1/assets/", {
    body: () => ({ title, type: "ASSET", status: "ACTIVE", is_online: true }),
    bind: (json) => ({ asset_id: json.id, version_id: json.versions?.[0]?.id })
  })

const deleteAsset = iconik("delete-asset", "DELETE", "/API/assets/v1/assets/{asset_id}/", { cleanup: true })

const metadataMaps = [/\.metadata$/, /\.metadata\[\]$/]

/**
 * Iconik's "Manual Asset Generation" tutorial: an asset, its ORIGINAL format with components, a file set and a file
 * registered as CLOSED with its own dates (the tutorial sends `size` as a numeric string), then the reads a client
 * makes afterwards.
 */
export const originalFile: Flow = {
  name: "original-file",
  description: "Register an original file by hand: asset, format, file set, file (Iconik's Manual Asset Generation tutorial)",
  openMaps: metadataMaps,
  steps: [
    iconik("default-files-storage", "GET", "/API/files/v1/storages/FILES/default/", {
      bind: (json) => ({ storage_id: json.id })
    }),
    createAsset("effect-iconik contract: original file"),
    iconik("create-format", "POST", "/API/files/v1/assets/{asset_id}/formats/", {
      body: () => ({
        name: "ORIGINAL",
        status: "ACTIVE",
        storage_methods: ["FILE"],
        metadata: [{ codec: "DVCPro HD", frame_count: "1100", internet_media_type: "video/quicktime" }],
        components: [
          { name: "VIDEO", type: "VIDEO", metadata: { format: "DV", width: "960", height: "720" } },
          { name: "AUDIO", type: "AUDIO", metadata: { format: "PCM", channels: "1" } }
        ]
      }),
      bind: (json) => ({ format_id: json.id, component_ids: (json.components ?? []).map((c: { id: string }) => c.id) })
    }),
    iconik("create-file-set", "POST", "/API/files/v1/assets/{asset_id}/file_sets/", {
      body: (vars) => ({
        format_id: vars.format_id,
        storage_id: vars.storage_id,
        name: "contract.mxf",
        base_dir: "contract",
        component_ids: vars.component_ids,
        version_id: vars.version_id,
        status: "ACTIVE"
      }),
      bind: (json) => ({ file_set_id: json.id })
    }),
    iconik("create-file", "POST", "/API/files/v1/assets/{asset_id}/files/", {
      body: (vars) => ({
        file_set_id: vars.file_set_id,
        format_id: vars.format_id,
        storage_id: vars.storage_id,
        version_id: vars.version_id,
        name: "contract.mxf",
        original_name: "contract.mxf",
        directory_path: "contract/",
        size: "1048576",
        checksum: "0123456789abcdef0123456789abcdef",
        date_created: "2007-05-16T19:21:20.000000+00:00",
        date_modified: "2007-05-16T19:21:20.000000+00:00",
        status: "CLOSED",
        type: "FILE"
      }),
      bind: (json) => ({ file_id: json.id })
    }),
    iconik("get-file", "GET", "/API/files/v1/assets/{asset_id}/files/{file_id}/"),
    iconik("list-formats", "GET", "/API/files/v1/assets/{asset_id}/formats/"),
    iconik("list-file-sets", "GET", "/API/files/v1/assets/{asset_id}/file_sets/"),
    iconik("get-asset", "GET", "/API/assets/v1/assets/{asset_id}/"),
    deleteAsset
  ]
}

/**
 * A proxy upload as Iconik documents it: create the proxy, read the upload fields back from a GET of the record,
 * upload to the storage URL, close the proxy.
 */
export const proxyUpload: Flow = {
  name: "proxy-upload",
  description: "Upload a proxy: create it, GET it for its upload fields, upload, PATCH it CLOSED",
  openMaps: metadataMaps,
  steps: [
    createAsset("effect-iconik contract: proxy"),
    iconik("create-proxy", "POST", "/API/files/v1/assets/{asset_id}/proxies/", {
      body: () => ({
        name: "contract-proxy.mp4",
        filename: "contract-proxy.mp4",
        size: proxyBytes.length,
        resolution: { width: 640, height: 360 },
        codec: "h264",
        status: "OPEN"
      }),
      bind: (json) => ({ proxy_id: json.id, storage_method: json.storage_method, upload_url: json.upload_url })
    }),
    iconik("get-open-proxy", "GET", "/API/files/v1/assets/{asset_id}/proxies/{proxy_id}/", {
      // The documented flow may read the upload fields from the record instead of the create answer.
      bind: (json) => ({
        storage_method: json.storage_method,
        ...(typeof json.upload_url === "string" ? { upload_url: json.upload_url } : {})
      })
    }),
    { kind: "storage", name: "upload-proxy-bytes" },
    iconik("close-proxy", "PATCH", "/API/files/v1/assets/{asset_id}/proxies/{proxy_id}/", {
      body: () => ({ status: "CLOSED" })
    }),
    iconik("get-closed-proxy", "GET", "/API/files/v1/assets/{asset_id}/proxies/{proxy_id}/"),
    iconik("list-proxies", "GET", "/API/files/v1/assets/{asset_id}/proxies/"),
    deleteAsset
  ]
}

/** The envelopes and error bodies every client meets: a page of assets, a page of search hits, a 404, a 400. */
export const envelopes: Flow = {
  name: "envelopes",
  description: "Paging envelopes and error bodies: list assets, search, a missing asset, an invalid create",
  steps: [
    iconik("list-assets", "GET", "/API/assets/v1/assets/?per_page=1"),
    iconik("search-assets", "POST", "/API/search/v1/search/?per_page=1", {
      body: () => ({ doc_types: ["assets"], query: "*" })
    }),
    iconik("get-missing-asset", "GET", "/API/assets/v1/assets/00000000-0000-4000-8000-000000000000/"),
    iconik("create-invalid-asset", "POST", "/API/assets/v1/assets/", {
      body: () => ({ title: "effect-iconik contract: invalid", type: "NOT_A_TYPE" })
    })
  ]
}

export const flows: ReadonlyArray<Flow> = [originalFile, proxyUpload, envelopes]

export const flowNamed = (name: string): Flow | undefined => flows.find((flow) => flow.name === name)
