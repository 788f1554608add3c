/**
 * A small pretty printer, so generated code is formatted the same way every time without an external formatter:
 * a group prints on one line when it fits in {@link lineWidth}, otherwise one item per line, indented by two spaces.
 */

export const lineWidth = 120

export interface Item {
  /** TSDoc text printed above the item; an item with a doc forces its group onto several lines. */
  readonly doc?: string | undefined
  /** Printed before the value, e.g. `readonly title: ` or `title: `. */
  readonly prefix?: string | undefined
  readonly value: Doc
}

export interface Group {
  readonly kind: "group"
  readonly open: string
  readonly close: string
  readonly items: ReadonlyArray<Item>
  /** Between items on one line, e.g. `", "`. */
  readonly separator: string
  /** After each item but the last when broken, e.g. `","`. */
  readonly lineEnd: string
  /** Before each item when broken, e.g. `"| "` for union members. */
  readonly linePrefix: string
  /** Spaces inside the brackets on one line: `{ a: 1 }`. */
  readonly padded: boolean
  readonly forceBreak: boolean
}

export type Doc = string | Group

const group = (open: string, close: string, items: ReadonlyArray<Item>, options: Partial<Group> = {}): Group => ({
  kind: "group",
  open,
  close,
  items,
  separator: ", ",
  lineEnd: ",",
  linePrefix: "",
  padded: false,
  forceBreak: false,
  ...options
})

/** `callee(a, b)` */
export const call = (callee: string, args: ReadonlyArray<Doc>): Doc =>
  group(`${callee}(`, ")", args.map((value) => ({ value })))

/**
 * `/*#__PURE__*\/ callee(a, b)`: a construction bundlers may drop when nothing uses its result. Every call in a
 * generated schema carries it, nested ones too: a bundler keeps an unmarked argument call even when it drops the call
 * around it.
 */
export const pureCall = (callee: string, args: ReadonlyArray<Doc>): Doc => call(`${pure}${callee}`, args)

/** The annotation {@link pureCall} prints. */
export const pure = "/*#__PURE__*/ "

/** `[a, b]` */
export const arrayLiteral = (items: ReadonlyArray<Doc>): Doc => group("[", "]", items.map((value) => ({ value })))

/** `{ key: value, … }`, always one entry per line when `forceBreak`. */
export const objectLiteral = (
  entries: ReadonlyArray<{ readonly key: string; readonly value: Doc; readonly doc?: string | undefined }>,
  forceBreak = false
): Doc =>
  group(
    "{",
    "}",
    entries.map(({ key, value, doc }) => ({ prefix: `${key}: `, value, doc })),
    { padded: true, forceBreak }
  )

/** `{ readonly a: A; readonly b?: B }` as a type literal or interface body. */
export const typeLiteral = (
  members: ReadonlyArray<{ readonly key: string; readonly value: Doc; readonly doc?: string | undefined }>,
  forceBreak = false
): Doc =>
  group(
    "{",
    "}",
    members.map(({ key, value, doc }) => ({ prefix: `${key}: `, value, doc })),
    { separator: "; ", lineEnd: "", padded: true, forceBreak }
  )

/** `A | B`, broken as one `| member` per line. */
export const union = (members: ReadonlyArray<Doc>): Doc =>
  members.length === 1
    ? members[0]!
    : group("", "", members.map((value) => ({ value })), { separator: " | ", lineEnd: "", linePrefix: "| " })

/** `Name<A, B>` */
export const typeApplication = (name: string, args: ReadonlyArray<Doc>): Doc =>
  group(`${name}<`, ">", args.map((value) => ({ value })))

const flat = (doc: Doc): string | undefined => {
  if (typeof doc === "string") return doc
  if (doc.forceBreak || doc.items.some((item) => item.doc !== undefined)) return undefined
  const parts: Array<string> = []
  for (const item of doc.items) {
    const value = flat(item.value)
    if (value === undefined) return undefined
    parts.push((item.prefix ?? "") + value)
  }
  if (parts.length === 0) return doc.open + doc.close
  const pad = doc.padded ? " " : ""
  return doc.open + pad + parts.join(doc.separator) + pad + doc.close
}

const spaces = (indent: number): string => "  ".repeat(indent)

const isUnion = (doc: Doc): doc is Group => typeof doc !== "string" && doc.open === "" && doc.linePrefix === "| "

/** Splits a line at spaces so that each piece fits `width` (a single longer word stays whole). */
const wrap = (line: string, width: number): Array<string> => {
  if (line.length <= width) return [line]
  const pieces: Array<string> = []
  let current = ""
  for (const word of line.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      pieces.push(current)
      current = word
    } else {
      current = current === "" ? word : `${current} ${word}`
    }
  }
  pieces.push(current)
  return pieces
}

/** Renders a TSDoc comment at the indentation, or nothing. */
export const tsdoc = (text: string | undefined, indent: number): string => {
  if (text === undefined || text.trim() === "") return ""
  const width = lineWidth - indent * 2 - 3
  const lines = text.split("\n").flatMap((line) => wrap(line, width))
  if (lines.length === 1) return `${spaces(indent)}/** ${lines[0]} */\n`
  const body = lines.map((line) => `${spaces(indent)} *${line === "" ? "" : ` ${line}`}`).join("\n")
  return `${spaces(indent)}/**\n${body}\n${spaces(indent)} */\n`
}

/**
 * Prints a doc that starts at `column` on a line indented by `indent` levels, and whose text is followed by
 * `trailing` characters on its last line.
 */
export const render = (doc: Doc, indent: number, column: number, trailing = 0): string => {
  const oneLine = flat(doc)
  if (oneLine !== undefined && column + oneLine.length + trailing <= lineWidth) return oneLine
  if (typeof doc === "string") return doc
  if (doc.items.length === 0) return doc.open + doc.close
  const only = doc.items[0]!
  const hugs = doc.items.length === 1 && !doc.padded && doc.open !== "" && only.doc === undefined
  if (hugs && typeof only.value !== "string" && only.value.open !== "") {
    // Hug a single bracketed argument: `Schema.Struct({` … `})` rather than a line of its own.
    const opening = doc.open + (only.prefix ?? "")
    return opening + render(only.value, indent, column + opening.length, trailing + doc.close.length) + doc.close
  }
  const inner = indent + 1
  const lines = doc.items.map((item, index) => {
    const isLast = index === doc.items.length - 1
    const end = isLast ? "" : doc.lineEnd
    const lead = spaces(inner) + doc.linePrefix + (item.prefix ?? "")
    const value = item.value
    const oneLine = flat(value)
    const fits = oneLine !== undefined && lead.length + oneLine.length + end.length <= lineWidth
    if (isUnion(value) && item.prefix === undefined && !fits) {
      // A union that starts its own line lists its members there: `| A` / `| B`, not an empty line first.
      const members = value.items.map((member) => `${lead}| ${render(member.value, inner, lead.length + 2)}`)
      return tsdoc(item.doc, inner) + members.join("\n") + end
    }
    return tsdoc(item.doc, inner) + lead + render(value, inner, lead.length, end.length) + end
  })
  const closing = doc.close === "" ? "" : `\n${spaces(indent)}${doc.close}`
  return `${doc.open}\n${lines.join("\n")}${closing}`
}
