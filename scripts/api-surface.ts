/**
 * The public API surface: every name each entry point of package.json `exports` makes importable, with its type
 * signature, read with the TypeScript compiler API from the sources the declarations are compiled from.
 *
 *   node scripts/api-surface.ts          write api/effect-iconik.api.md
 *   node scripts/api-surface.ts --check  exit 1 with the names added, removed, changed or deprecated since the
 *                                        committed report (removed and changed ones break users: docs/compatibility.md)
 *
 * One line per name, sorted, so a change to the surface is a readable line diff in review:
 *
 *   <name> <kind>[ @deprecated][: <signature>]
 *
 * Names are dotted through namespaces (`assets.getAsset`); `#` separates a type's members (`assets.Asset#id`).
 * Union members are sorted, so the text depends on the declarations only, not on the order the checker met types.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

export type Kind =
  | "namespace"
  | "const"
  | "let"
  | "function"
  | "class"
  | "enum"
  | "interface"
  | "type"
  | "property"
  | "method"
  | "call"
  | "new"
  | "index"
  | "static"

export interface Entry {
  /** `assets.getAsset`, `IconikNotFound#status`. */
  readonly name: string
  readonly kind: Kind
  readonly deprecated: boolean
  /** Absent for namespaces and for types whose members are listed after them. */
  readonly signature?: string | undefined
}

export interface Section {
  /** `effect-iconik`, `effect-iconik/generated`, ... */
  readonly entryPoint: string
  readonly entries: ReadonlyArray<Entry>
}

/** A module of `effect` or `@effect/platform-node` that the shipped code imports, with the stability it declares. */
export interface EffectModule {
  readonly specifier: string
  readonly stability: string
}

export interface Surface {
  readonly sections: ReadonlyArray<Section>
  readonly effectModules: ReadonlyArray<EffectModule>
}

export const reportPath = (repoRoot: string) => path.join(repoRoot, "api", "effect-iconik.api.md")

/** Entry points of package.json `exports` and the source each one's declarations are compiled from. */
export const entryPoints = (repoRoot: string): ReadonlyArray<{ readonly entryPoint: string; readonly file: string }> => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    readonly name: string
    readonly exports: Readonly<Record<string, string | { readonly types?: string }>>
  }
  return Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === "object" && target.types !== undefined)
    .map(([key, target]) => {
      const types = (target as { readonly types: string }).types
      const match = /^\.\/dist\/(.+)\.d\.ts$/.exec(types)
      if (match === null) throw new Error(`package.json exports["${key}"].types: expected ./dist/<path>.d.ts, got ${types}`)
      const file = path.join(repoRoot, `${match[1]}.ts`)
      if (!fs.existsSync(file)) throw new Error(`package.json exports["${key}"]: no source ${match[1]}.ts for ${types}`)
      return { entryPoint: pkg.name + key.slice(1), file }
    })
    .sort((a, b) => compareText(a.entryPoint, b.entryPoint))
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const nodeBuilderFlags = ts.NodeBuilderFlags.NoTruncation |
  ts.NodeBuilderFlags.IgnoreErrors |
  ts.NodeBuilderFlags.UseAliasDefinedOutsideCurrentScope

const printer = ts.createPrinter({ removeComments: true, omitTrailingSemicolon: true })

/** Sorts the members of every union in a type node by their text: the checker's order follows type creation. */
const sortUnions = (node: ts.Node, file: ts.SourceFile): ts.Node => {
  const visit = (child: ts.Node): ts.Node => {
    const visited = ts.visitEachChild(child, visit, undefined)
    if (!ts.isUnionTypeNode(visited)) return visited
    const members = [...visited.types]
      .map((type) => ({ type, text: printer.printNode(ts.EmitHint.Unspecified, type, file) }))
      .sort((a, b) => compareText(a.text, b.text))
      .map(({ type }) => type)
    return ts.factory.updateUnionTypeNode(visited, ts.factory.createNodeArray(members))
  }
  return visit(node)
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ")

const memberName = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name).replace(/ /g, "\\u0020"))

const isDeprecated = (symbol: ts.Symbol): boolean =>
  (symbol.declarations ?? []).some((declaration) =>
    ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === "deprecated")
  )

/** Reads the surface of every entry point. */
export const readSurface = (
  entries: ReadonlyArray<{ readonly entryPoint: string; readonly file: string }>,
  config: BuildConfig
): Surface => {
  const { options } = config
  const rootNames = [...new Set([...entries.map((entry) => entry.file), ...config.fileNames])]
  const program = ts.createProgram({ rootNames, options })
  const checker = program.getTypeChecker()

  const typeText = (type: ts.Type, where: ts.Node, extra = ts.NodeBuilderFlags.None): string => {
    const node = checker.typeToTypeNode(type, where, nodeBuilderFlags | extra)
    if (node === undefined) return checker.typeToString(type, where, ts.TypeFormatFlags.NoTruncation)
    return oneLine(printer.printNode(ts.EmitHint.Unspecified, sortUnions(node, where.getSourceFile()), where.getSourceFile()))
  }
  const signatureText = (signature: ts.Signature, where: ts.Node, kind: ts.SignatureKind): string => {
    const node = checker.signatureToSignatureDeclaration(
      signature,
      kind === ts.SignatureKind.Call ? ts.SyntaxKind.FunctionType : ts.SyntaxKind.ConstructorType,
      where,
      nodeBuilderFlags
    )
    if (node === undefined) return checker.signatureToString(signature, where)
    return oneLine(printer.printNode(ts.EmitHint.Unspecified, sortUnions(node, where.getSourceFile()), where.getSourceFile()))
  }
  const typeParameters = (declaration: ts.Declaration): string => {
    const parameters = ts.getEffectiveTypeParameterDeclarations(declaration as ts.DeclarationWithTypeParameters)
    if (parameters.length === 0) return ""
    return `<${parameters.map((parameter) => oneLine(printer.printNode(ts.EmitHint.Unspecified, parameter, parameter.getSourceFile()))).join(", ")}>`
  }

  /** A member's name as written: `[Symbol.iterator]` for a symbol-keyed one (the checker's own name carries an id). */
  const propertyName = (property: ts.Symbol): string => {
    const declared = property.declarations?.[0]
    const name = declared === undefined ? undefined : ts.getNameOfDeclaration(declared)
    if (name !== undefined && ts.isComputedPropertyName(name)) return `[${oneLine(name.expression.getText())}]`
    return memberName(property.getName().replace(/^__@(.*)@\d+$/, "[$1]"))
  }

  /** Declared by a dependency (Effect's Error and Pipeable plumbing): described by the `extends` line instead. */
  const isExternal = (symbol: ts.Symbol) =>
    (symbol.declarations ?? []).every((declaration) => {
      const file = declaration.getSourceFile()
      return program.isSourceFileFromExternalLibrary(file) || program.isSourceFileDefaultLibrary(file)
    })

  /** The members of an object type (interface, class instance), inherited ones included, but not a dependency's. */
  const members = (
    out: Array<Entry>,
    prefix: string,
    type: ts.Type,
    where: ts.Node,
    separator: "#" | "." = "#",
    skip: (property: ts.Symbol) => boolean = () => false
  ) => {
    const properties = checker
      .getPropertiesOfType(type)
      .filter((property) => !skip(property) && !isExternal(property))
      .map((property) => ({ property, name: propertyName(property) }))
      .sort((a, b) => compareText(a.name, b.name))
    for (const { property, name } of properties) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0]
      const modifiers = declaration === undefined ? 0 : ts.getCombinedModifierFlags(declaration)
      const getterOnly = (property.flags & ts.SymbolFlags.GetAccessor) !== 0 &&
        (property.flags & ts.SymbolFlags.SetAccessor) === 0
      const readonly = (modifiers & ts.ModifierFlags.Readonly) !== 0 || getterOnly
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0
      const isMethod = (property.flags & ts.SymbolFlags.Method) !== 0
      out.push({
        name: `${prefix}${separator}${name}`,
        kind: separator === "." ? "static" : isMethod ? "method" : "property",
        deprecated: isDeprecated(property),
        signature: `${readonly ? "readonly " : ""}${optional ? "optional " : ""}` +
          typeText(checker.getTypeOfSymbolAtLocation(property, where), where)
      })
    }
    type.getCallSignatures().forEach((signature, i) =>
      out.push({
        name: `${prefix}#(call${i === 0 ? "" : i + 1})`,
        kind: "call",
        deprecated: false,
        signature: signatureText(signature, where, ts.SignatureKind.Call)
      })
    )
    for (const info of checker.getIndexInfosOfType(type)) {
      out.push({
        name: `${prefix}#[${typeText(info.keyType, where)}]`,
        kind: "index",
        deprecated: false,
        signature: `${info.isReadonly ? "readonly " : ""}${typeText(info.type, where)}`
      })
    }
  }

  const heritage = (type: ts.Type, where: ts.Node): string | undefined => {
    const bases = type.isClassOrInterface() ? checker.getBaseTypes(type) : []
    return bases.length === 0 ? undefined : `extends ${bases.map((base) => typeText(base, where)).join(", ")}`
  }

  const describe = (out: Array<Entry>, name: string, exported: ts.Symbol, where: ts.Node, seen: Set<ts.Symbol>) => {
    const symbol = (exported.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(exported) : exported
    const deprecated = isDeprecated(exported) || isDeprecated(symbol)
    const flags = symbol.flags
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
    if (declaration === undefined) throw new Error(`${name}: no declaration`)

    if ((flags & ts.SymbolFlags.Module) !== 0 && (flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Function | ts.SymbolFlags.Class)) === 0) {
      out.push({ name, kind: "namespace", deprecated })
      // A namespace re-exported twice is listed where it is first met (depth-first, sorted).
      if (seen.has(symbol)) return
      seen.add(symbol)
      for (const child of sortedExports(symbol)) describe(out, `${name}.${child.getName()}`, child, where, seen)
      return
    }
    if ((flags & ts.SymbolFlags.Class) !== 0) {
      const instance = checker.getDeclaredTypeOfSymbol(symbol)
      const staticType = checker.getTypeOfSymbolAtLocation(symbol, where)
      out.push({ name, kind: "class", deprecated, signature: heritage(instance, where) })
      staticType.getConstructSignatures().forEach((signature, i) =>
        out.push({
          name: `${name}.(new${i === 0 ? "" : i + 1})`,
          kind: "new",
          deprecated: false,
          signature: signatureText(signature, where, ts.SignatureKind.Construct)
        })
      )
      // Static members declared here (not `prototype`, not the base class's constructor side).
      members(out, name, staticType, where, ".", (property) =>
        property.getName() === "prototype" ||
        !(property.declarations ?? []).some((d) => d.parent !== undefined && symbol.declarations?.includes(d.parent as ts.Declaration)))
      members(out, name, instance, where)
      return
    }
    if ((flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum)) !== 0) {
      const typeDeclaration = symbol.declarations!.find((d) =>
        ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isEnumDeclaration(d)
      )!
      if (ts.isInterfaceDeclaration(typeDeclaration)) {
        const declared = checker.getDeclaredTypeOfSymbol(symbol)
        const signature = [typeParameters(typeDeclaration), heritage(declared, where)].filter((part) => part).join(" ")
        out.push({ name, kind: "interface", deprecated, signature: signature === "" ? undefined : signature })
        members(out, name, declared, where)
      } else if (ts.isTypeAliasDeclaration(typeDeclaration)) {
        const aliased = checker.getTypeFromTypeNode(typeDeclaration.type)
        out.push({
          name,
          kind: "type",
          deprecated,
          signature: `${typeParameters(typeDeclaration)}= ${typeText(aliased, where, ts.NodeBuilderFlags.InTypeAlias)}`
        })
        // Another name for one of the package's interfaces (a re-export, a renamed operation's types): its members too.
        const target = aliased.getSymbol()
        if (
          target !== undefined && (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) !== 0 &&
          !isExternal(target)
        ) {
          members(out, name, aliased, where)
        }
      } else {
        out.push({ name, kind: "enum", deprecated, signature: typeText(checker.getDeclaredTypeOfSymbol(symbol), where, ts.NodeBuilderFlags.InTypeAlias) })
      }
    }
    if ((flags & (ts.SymbolFlags.Variable | ts.SymbolFlags.Function)) !== 0) {
      const kind: Kind = (flags & ts.SymbolFlags.Function) !== 0
        ? "function"
        : ts.isVariableDeclaration(declaration) && (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0
          ? "const"
          : "let"
      out.push({ name, kind, deprecated, signature: typeText(checker.getTypeOfSymbolAtLocation(symbol, where), where) })
    }
  }

  const sortedExports = (moduleSymbol: ts.Symbol) =>
    checker
      .getExportsOfModule(moduleSymbol)
      .sort((a, b) => compareText(a.getName(), b.getName()))

  // An entry point that is a namespace of another (`effect-iconik/generated/assets` is `assets` of the barrel) is
  // listed once, where the namespace is: its section says which one it is, so removing it still shows.
  const namespaceOf = (file: string): string | undefined => {
    for (const other of entries) {
      if (other.file === file) continue
      const text = program.getSourceFile(other.file)?.text ?? ""
      for (const [, name, specifier] of text.matchAll(/export \* as (\w+) from "(\.[^"]+)"/g)) {
        if (path.resolve(path.dirname(other.file), specifier!) === file) return `${name} of ${other.entryPoint}`
      }
    }
    return undefined
  }

  const sections = entries.map(({ entryPoint, file }) => {
    const alias = namespaceOf(file)
    if (alias !== undefined) return { entryPoint, entries: [{ name: "*", kind: "namespace" as Kind, deprecated: false, signature: alias }] }
    const source = program.getSourceFile(file)
    if (source === undefined) throw new Error(`${file}: not in the program`)
    const moduleSymbol = checker.getSymbolAtLocation(source)
    if (moduleSymbol === undefined) throw new Error(`${file}: not a module`)
    const out: Array<Entry> = []
    const seen = new Set<ts.Symbol>()
    for (const exported of sortedExports(moduleSymbol)) describe(out, exported.getName(), exported, source, seen)
    return { entryPoint, entries: out }
  })

  // Every effect / @effect/platform-node module the compiled package imports, with the stability its header declares.
  const specifiers = new Map<string, string>()
  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || source.fileName.includes("/node_modules/")) continue
    for (const statement of source.statements) {
      if (
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier) &&
        /^(effect|@effect\/[^/]+)(\/|$)/.test(statement.moduleSpecifier.text)
      ) {
        if (!specifiers.has(statement.moduleSpecifier.text)) specifiers.set(statement.moduleSpecifier.text, source.fileName)
      }
    }
  }
  const effectModules = [...specifiers.keys()].sort(compareText).map((specifier) => {
    const resolved = ts.resolveModuleName(specifier, specifiers.get(specifier)!, options, ts.sys).resolvedModule
    if (resolved === undefined) throw new Error(`cannot resolve ${specifier}`)
    // The module's own doc comment comes first; a module without one (NodeFileSystem) tags its exports instead.
    const stability = /@stability\s+(\w+)/.exec(fs.readFileSync(resolved.resolvedFileName, "utf8"))?.[1]
    return { specifier, stability: stability ?? "unmarked" }
  })

  return { sections, effectModules }
}

const header = [
  "# effect-iconik public API",
  "",
  "Every name each entry point of `package.json` `exports` makes importable, with its type signature. Written by",
  "`npm run api:report`, compared by `npm run api:check` (CI): a change here is a change users see, and",
  "docs/compatibility.md says which changes need which version. One line per name:",
  "`<name> <kind>[ @deprecated][: <signature>]`; `#` separates a type's members. An entry point that is a namespace",
  "of another one is a single line, `* namespace: <namespace> of <entry point>`, and is listed there.",
  ""
]

const renderEntry = (entry: Entry) =>
  `${entry.name} ${entry.kind}${entry.deprecated ? " @deprecated" : ""}${entry.signature === undefined ? "" : `: ${entry.signature}`}`

export const render = (surface: Surface): string =>
  [
    ...header,
    ...surface.sections.flatMap((section) => [
      `## ${section.entryPoint}`,
      "",
      "```",
      ...section.entries.map(renderEntry),
      "```",
      ""
    ]),
    "## Effect modules the package is built on",
    "",
    "Their stability as each module declares it (`@stability`); see docs/compatibility.md for what that means here.",
    "",
    "```",
    ...surface.effectModules.map((module) => `${module.specifier} ${module.stability}`),
    "```",
    ""
  ].join("\n")

const entryLine = /^(\S+) ([a-z]+)( @deprecated)?(?:: (.*))?$/

/** Reads a rendered report back: `<entry point>\t<name>` → entry; the Effect modules under `modules\t<specifier>`. */
export const parse = (text: string): ReadonlyMap<string, Entry> => {
  const entries = new Map<string, Entry>()
  let section: string | undefined
  let inBlock = false
  for (const line of text.split("\n")) {
    if (line.startsWith("## ")) {
      section = line.startsWith("## Effect modules") ? "modules" : line.slice(3).trim()
      continue
    }
    if (line === "```") {
      inBlock = !inBlock
      continue
    }
    if (!inBlock || section === undefined) continue
    if (section === "modules") {
      const [specifier, stability] = line.split(" ")
      entries.set(`modules\t${specifier}`, { name: specifier!, kind: "namespace", deprecated: false, signature: stability })
      continue
    }
    const match = entryLine.exec(line)
    if (match === null) throw new Error(`unreadable report line: ${line}`)
    const entry: Entry = { name: match[1]!, kind: match[2] as Kind, deprecated: match[3] !== undefined, signature: match[4] }
    entries.set(`${section}\t${entry.name} ${typeSpace(entry.kind)}`, entry)
  }
  return entries
}

/** A name can be a type and a value at once (`Asset`: interface and Schema const): each is its own line. */
const typeSpace = (kind: Kind) => (kind === "interface" || kind === "type" ? "type" : "value")

export interface Difference {
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  readonly deprecated: ReadonlyArray<string>
  readonly changed: ReadonlyArray<{ readonly key: string; readonly before: string; readonly after: string }>
}

/**
 * What changed from one report to the next. A name that stays but gains `@deprecated` (a renamed operation's alias)
 * is deprecated, not removed; a member that goes with its deprecated parent's new shape counts with the parent.
 */
export const compare = (before: ReadonlyMap<string, Entry>, after: ReadonlyMap<string, Entry>): Difference => {
  // An Effect module's line is its specifier and stability, as in the report.
  const line = (key: string, entry: Entry) =>
    key.startsWith("modules\t") ? `${entry.name} ${entry.signature}` : renderEntry(entry)
  const show = (key: string, entry: Entry) => `${key.split("\t")[0]}  ${line(key, entry)}`
  const added: Array<string> = []
  const removed: Array<string> = []
  const deprecated: Array<string> = []
  const changed: Array<{ key: string; before: string; after: string }> = []
  for (const [key, entry] of after) {
    const old = before.get(key)
    if (old === undefined) added.push(show(key, entry))
    else if (entry.deprecated && !old.deprecated) deprecated.push(show(key, entry))
    else if (old.kind !== entry.kind || old.signature !== entry.signature || old.deprecated !== entry.deprecated) {
      changed.push({ key: key.replace("\t", "  "), before: line(key, old), after: line(key, entry) })
    }
  }
  for (const [key, entry] of before) if (!after.has(key)) removed.push(show(key, entry))
  return { added, removed, deprecated, changed }
}

export const formatDifference = (difference: Difference): string => {
  const lines: Array<string> = []
  const list = (title: string, items: ReadonlyArray<string>) => {
    if (items.length === 0) return
    lines.push(`${title} (${items.length}):`, ...items.map((item) => `  ${item}`))
  }
  list("removed (breaking)", difference.removed)
  if (difference.changed.length > 0) {
    lines.push(`changed (breaking unless only widened) (${difference.changed.length}):`)
    for (const change of difference.changed) lines.push(`  ${change.key}`, `    was: ${change.before}`, `    now: ${change.after}`)
  }
  list("deprecated", difference.deprecated)
  list("added", difference.added)
  return lines.join("\n")
}

export const isEmpty = (difference: Difference) =>
  difference.added.length + difference.removed.length + difference.deprecated.length + difference.changed.length === 0

export interface BuildConfig {
  readonly options: ts.CompilerOptions
  /** Every file the build compiles (the CLI's too: its imports count among the Effect modules the package uses). */
  readonly fileNames: ReadonlyArray<string>
}

/** The build's compiler options and files (tsconfig.build.json), without emitting. */
export const buildConfig = (repoRoot: string): BuildConfig => {
  const configPath = path.join(repoRoot, "tsconfig.build.json")
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file))
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot, undefined, configPath)
  return { options: { ...parsed.options, noEmit: true }, fileNames: parsed.fileNames }
}

const main = () => {
  const repoRoot = path.resolve(import.meta.dirname, "..")
  const text = render(readSurface(entryPoints(repoRoot), buildConfig(repoRoot)))
  const target = reportPath(repoRoot)
  const relative = path.relative(repoRoot, target)
  if (!process.argv.includes("--check")) {
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, text)
    console.log(`${relative}: ${text.split("\n").length} lines`)
    return
  }
  const committed = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : ""
  if (committed === text) {
    console.log(`${relative} matches the public API.`)
    return
  }
  const difference = compare(parse(committed), parse(text))
  console.error(
    `The public API differs from ${relative}; if that is intended, run \`npm run api:report\`, commit the report ` +
      "and pick the version docs/compatibility.md asks for.\n" +
      (isEmpty(difference) ? "(only the layout of the report differs)" : formatDifference(difference))
  )
  process.exit(1)
}

// Run only as a script, not when a test imports it.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) main()
