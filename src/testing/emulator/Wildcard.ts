/**
 * Text matching for search queries without RegExps built from request input: a pattern with `*` wildcards turned
 * into a RegExp (`.*a.*a.*b`) backtracks polynomially in the text's length per `*`, so one query could hold the whole
 * server. These run in time linear in the text plus the pattern, whatever the pattern.
 */

/** Knuth–Morris–Pratt failure table: for each prefix of `needle`, the length of its longest proper border. */
const borders = (needle: string): Int32Array => {
  const table = new Int32Array(needle.length)
  let k = 0
  for (let i = 1; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = table[k - 1]!
    if (needle[i] === needle[k]) k++
    table[i] = k
  }
  return table
}

/** The first index ≥ `from` where `needle` occurs in `haystack`, or -1: KMP, linear in what it scans. */
export const indexOfLinear = (haystack: string, needle: string, from = 0): number => {
  if (needle.length === 0) return from <= haystack.length ? from : -1
  const table = borders(needle)
  let k = 0
  for (let i = from; i < haystack.length; i++) {
    while (k > 0 && haystack[i] !== needle[k]) k = table[k - 1]!
    if (haystack[i] === needle[k]) k++
    if (k === needle.length) return i - needle.length + 1
  }
  return -1
}

/**
 * Whether `text` contains a match of `pattern`, where `*` stands for any run of characters (the pattern is not
 * anchored, as the search's substring terms are not). Case-insensitive. The literal pieces between stars must occur
 * in order without overlapping; taking each at its earliest place leaves the most room for the rest, so one
 * left-to-right pass decides, and each piece's search resumes where the previous one ended.
 */
export const wildcardMatches = (pattern: string, text: string): boolean => {
  const haystack = text.toLowerCase()
  let from = 0
  for (const piece of pattern.toLowerCase().split("*")) {
    if (piece === "") continue
    const at = indexOfLinear(haystack, piece, from)
    if (at < 0) return false
    from = at + piece.length
  }
  return true
}

/**
 * `text` with every case-insensitive occurrence of `word` wrapped in `<em>` (search highlights), found without a
 * RegExp. Text whose lower-case form changes length (a few Unicode letters) is left unmarked rather than mis-cut.
 */
export const markOccurrences = (text: string, word: string): string => {
  const lower = text.toLowerCase()
  const needle = word.toLowerCase()
  if (needle === "" || lower.length !== text.length) return text
  let out = ""
  let from = 0
  for (let at = indexOfLinear(lower, needle, 0); at >= 0; at = indexOfLinear(lower, needle, from)) {
    out += `${text.slice(from, at)}<em>${text.slice(at, at + needle.length)}</em>`
    from = at + needle.length
  }
  return out + text.slice(from)
}
