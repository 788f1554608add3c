/**
 * RFC 4180 CSV, as spreadsheets write it: comma separated, fields quoted when they hold a comma, quote, CR or LF,
 * quotes doubled inside quotes, CRLF line ends (LF accepted on reading), an optional UTF-8 BOM.
 */
import * as Schema from "effect/Schema"

export class CsvParseError extends Schema.TaggedError<CsvParseError>()("CsvParseError", {
  line: Schema.Number,
  detail: Schema.String
}) {
  override get message() {
    return `CSV line ${this.line}: ${this.detail}`
  }
}

const needsQuotes = /[",\r\n]|^\s|\s$/

export const formatField = (value: string): string =>
  needsQuotes.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value

export const formatRow = (fields: ReadonlyArray<string>): string => `${fields.map(formatField).join(",")}\r\n`

export const format = (rows: ReadonlyArray<ReadonlyArray<string>>): string => rows.map(formatRow).join("")

/** Parses a whole document into rows of fields. Blank lines are skipped. */
export const parse = (text: string): ReadonlyArray<ReadonlyArray<string>> | CsvParseError => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  let line = 1
  let fieldStarted = false
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const endRow = () => {
    if (fieldStarted || row.length > 0) {
      row.push(field)
      rows.push(row)
    }
    row = []
    field = ""
    fieldStarted = false
  }
  for (; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === "\"") {
        if (text[i + 1] === "\"") {
          field += "\""
          i++
        } else {
          quoted = false
          const next = text[i + 1]
          if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
            return new CsvParseError({ line, detail: `unexpected ${JSON.stringify(next)} after a closing quote` })
          }
        }
      } else {
        if (c === "\n") line++
        field += c
      }
      continue
    }
    switch (c) {
      case "\"":
        if (field !== "") return new CsvParseError({ line, detail: "a quote inside an unquoted field" })
        quoted = true
        fieldStarted = true
        break
      case ",":
        row.push(field)
        field = ""
        fieldStarted = true
        break
      case "\r":
        if (text[i + 1] === "\n") i++
        endRow()
        line++
        break
      case "\n":
        endRow()
        line++
        break
      default:
        field += c
        fieldStarted = true
    }
  }
  if (quoted) return new CsvParseError({ line, detail: "a quoted field is not closed" })
  endRow()
  return rows
}

/** Rows as records keyed by the header row's names. */
export const parseRecords = (
  text: string
): { readonly header: ReadonlyArray<string>; readonly records: ReadonlyArray<Readonly<Record<string, string>>> } | CsvParseError => {
  const rows = parse(text)
  if (rows instanceof CsvParseError) return rows
  const [header, ...body] = rows
  if (header === undefined) return { header: [], records: [] }
  const seen = new Set<string>()
  for (const name of header) {
    if (seen.has(name)) return new CsvParseError({ line: 1, detail: `column ${JSON.stringify(name)} appears twice` })
    seen.add(name)
  }
  const records: Array<Record<string, string>> = []
  for (const [index, row] of body.entries()) {
    if (row.length > header.length) {
      return new CsvParseError({ line: index + 2, detail: `${row.length} fields, the header has ${header.length}` })
    }
    const record: Record<string, string> = {}
    header.forEach((name, column) => (record[name] = row[column] ?? ""))
    records.push(record)
  }
  return { header, records }
}
