/**
 * Just enough XML for storage answers (S3, Azure): flat documents with known element names, no namespaces prefixes,
 * no CDATA. Not a general parser, on purpose: the answers are small and their shape is fixed by the providers.
 */

const elementPattern = (tag: string) => new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, "g")

/** The raw inner XML of every `<tag>` element, in document order (`""` for `<tag/>`). */
export const xmlElements = (xml: string, tag: string): Array<string> =>
  Array.from(xml.matchAll(elementPattern(tag)), (match) => match[1] ?? "")

/** The raw inner XML of the first `<tag>` element. */
export const xmlInner = (xml: string, tag: string): string | undefined => xmlElements(xml, tag)[0]

/** The text of the first `<tag>` element, entities decoded. */
export const xmlText = (xml: string, tag: string): string | undefined => {
  const inner = xmlInner(xml, tag)
  return inner === undefined ? undefined : decodeEntities(inner.trim())
}

const namedEntities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'" }

/** Decodes the five named XML entities and numeric character references. */
export const decodeEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const codePoint = entity[1] === "x" || entity[1] === "X"
        ? Number.parseInt(entity.slice(2), 16)
        : Number.parseInt(entity.slice(1), 10)
      return Number.isFinite(codePoint) ? String.fromCodePoint(codePoint) : whole
    }
    return namedEntities[entity] ?? whole
  })

/** Escapes text for element content. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
