/** Shared bench fixtures: a search hit as Iconik answers it (naive dates, denormalised files and proxies, sort key). */
export const hit = (i: number) => ({
  id: `2c5bfe1a-f149-11eb-a843-${String(i).padStart(12, "0")}`,
  object_type: "assets",
  title: `Clip ${i}`,
  status: "ACTIVE",
  media_type: "video",
  type: "ASSET",
  date_created: "2021-07-30T15:16:54.406403",
  date_modified: "2021-07-30T15:16:54.406403",
  duration_milliseconds: 123_456,
  metadata: { Description: ["An interview"], Tags: ["a", "b"], Rating: [4] },
  files: [{ id: "f1", name: "clip.mov", size: 123_456_789, status: "CLOSED", storage_id: "s1" }],
  proxies: [{ id: "p1", name: "proxy.mp4", size: 12_345_678, status: "CLOSED", url: "https://example.test/p1" }],
  keyframes: [{ id: "k1", type: "POSTER", url: "https://example.test/k1" }],
  in_collections: ["c1"],
  ancestor_collections: ["c0", "c1"],
  _sort: [1627658214406, `id-${i}`],
  _highlight: null
})
