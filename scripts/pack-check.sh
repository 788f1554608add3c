#!/usr/bin/env bash
# Checks the package as users get it: packs it, installs the tarball into a fresh app next to effect and
# @effect/platform-node, and there
#   (a) type-checks a consumer of every entry point with the app's own tsconfig (nodenext, then bundler resolution),
#       every `effect-iconik/generated/<service>` entry included,
#   (b) runs it on Node >= 22 against the in-process emulator (a typed 404, one proxy upload), and checks that each
#       service's entry and `effect-iconik/client` are the very modules the barrel and the main entry re-export,
#   (c) runs the installed `iconik --version` and `iconik demo` through npx,
#   (d) on an older Node (the machine's own, found on PATH outside any node_modules/.bin), checks that the installed
#       `iconik` prints which Node it needs and exits 2, without a stack trace.
# Offline-friendly: everything it installs is already in the npm cache after `npm ci` (--prefer-offline).
#
#   npm run pack:check        (Node 22 first on PATH, as in every npm script)
#
# The temporary folder (tarball, app) is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

fail() {
  echo "pack-check: $*" >&2
  exit 1
}

version_of() { # the version package-lock.json installs of a package
  node -p "require('./package-lock.json').packages['node_modules/$1'].version"
}

node_major_minor() { "$1" -p 'process.versions.node.split(".").slice(0, 2).join(".")'; }

supported() { # whether the Node version "major.minor" is at least engines.node's 22.19
  local major=${1%%.*} minor=${1#*.}
  [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 19 ]; }
}

node22=$(command -v node) || fail "no node on PATH"
supported "$(node_major_minor "$node22")" ||
  fail "$node22 is Node $(node_major_minor "$node22"); run this as \`npm run pack:check\` (Node 22 from devDependencies)"

work=$(mktemp -d "${TMPDIR:-/tmp}/effect-iconik-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== npm pack"
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
[ -f "$work/$tarball" ] || fail "npm pack wrote no tarball"
tar -tzf "$work/$tarball" | sed 's|^package/||' > "$work/files.txt"
echo "$tarball: $(wc -l < "$work/files.txt") files, $(du -k "$work/$tarball" | cut -f1) kB"
if grep -E '\.map$|^src/.*\.ts$|^workflows/' "$work/files.txt"; then fail "the tarball ships sources or maps (above)"; fi

app="$work/app"
mkdir -p "$app"
cd "$app"
cat > package.json <<'EOF'
{ "name": "pack-check-app", "private": true, "type": "module" }
EOF
echo "== npm install (from the cache)"
npm install --prefer-offline --no-audit --no-fund --silent \
  "$work/$tarball" \
  "effect@$(cd "$repo" && version_of effect)" \
  "@effect/platform-node@$(cd "$repo" && version_of @effect/platform-node)" \
  "@types/node@$(cd "$repo" && version_of @types/node)" \
  "typescript@$(cd "$repo" && version_of typescript)"

# A consumer of every entry point. Run as TypeScript by Node's type stripping, so it is erasable syntax only.
cat > consumer.ts <<'EOF'
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import { Assets, Iconik, type IconikNotFound } from "effect-iconik"
import * as IconikClient from "effect-iconik/client"
import { assets } from "effect-iconik/generated"
import * as assetsEntry from "effect-iconik/generated/assets"
import { entriesMatchBarrel } from "./entries.ts"
import { StorageClient } from "effect-iconik/storage"
import { IconikEmulator } from "effect-iconik/testing"
import { uploadProxy, type UploadProxyResult } from "effect-iconik/workflows"

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`consumer: ${what}`)
  console.log(`ok ${what}`)
}

const program = Effect.gen(function*() {
  // The small-program form: the client's and the service's own entries, one module each with the wider ones.
  check(IconikClient.layer === Iconik.layer, "effect-iconik/client is the main entry's Iconik")
  const mismatched = entriesMatchBarrel()
  const entries = "effect-iconik/generated/<service> entries"
  check(mismatched.length === 0, `${entries} are the barrel's namespaces${mismatched.length ? `, not ${mismatched}` : ""}`)
  const viaEntry = yield* assetsEntry.getAsset({ asset_id: "00000000-0000-0000-0000-000000000000" }).pipe(
    Effect.flatMap(() => Effect.succeed(0)),
    Effect.catchTag("IconikNotFound", (error: IconikNotFound) => Effect.succeed(error.status))
  )
  check(viaEntry === 404, "typed IconikNotFound through effect-iconik/generated/assets")

  // A typed 404: the generated operation declares it, so catchTag accepts the tag.
  const missing = yield* assets.getAsset({ asset_id: "00000000-0000-0000-0000-000000000000" }).pipe(
    Effect.flatMap(() => Effect.succeed(undefined)),
    Effect.catchTag("IconikNotFound", (error: IconikNotFound) => Effect.succeed(error.status))
  )
  check(missing === 404, "typed IconikNotFound for a missing asset")

  // One upload: a proxy for a new asset, through the workflow and the storage client, into the object store.
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "pack-check-" })
  const file = `${dir}/proxy.mp4`
  yield* fs.writeFile(file, new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff))
  const asset = yield* Assets.create({ title: "pack-check" })
  const result: UploadProxyResult = yield* uploadProxy({ assetId: asset.id, file, wait: false })
  const emulator = yield* IconikEmulator
  const mismatches = yield* emulator.verifyClosedUploads
  check(result.proxyId.length > 0 && mismatches.length === 0, `proxy ${result.proxyId} uploaded and CLOSED`)
})

const layer = Layer.effect(StorageClient, StorageClient.make()).pipe(
  Layer.provideMerge(IconikEmulator.layerClient({ seed: "pack-check" })),
  Layer.provideMerge(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer))
)

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(layer)))
EOF

# Every per-service entry the installed package declares, imported by its subpath: each must type-check under both
# resolutions and be the same module as the barrel's namespace of that service.
node --input-type=module > entries.ts <<'EOF'
import * as fs from "node:fs"
const { exports } = JSON.parse(fs.readFileSync("node_modules/effect-iconik/package.json", "utf8"))
const services = Object.keys(exports).filter((key) => key.startsWith("./generated/")).map((key) => key.slice(12))
if (services.length === 0) throw new Error("no effect-iconik/generated/<service> entry in the package")
const id = (service) => service.replace(/-(.)/g, (_, c) => c.toUpperCase())
console.log('import * as barrel from "effect-iconik/generated"')
for (const service of services) console.log(`import * as entry_${id(service)} from "effect-iconik/generated/${service}"`)
console.log("\n/** Services whose entry is not the barrel's namespace (none when all is well). */")
console.log("export const entriesMatchBarrel = (): Array<string> => [")
for (const service of services) {
  const same = `entry_${id(service)}.definitions === barrel.${id(service)}.definitions`
  console.log(`  ...(${same} ? [] : [${JSON.stringify(service)}]),`)
}
console.log("]")
EOF
echo "entries.ts: $(grep -c '^import \* as entry_' entries.ts) per-service entries"

for resolution in nodenext bundler; do
  echo "== tsc (moduleResolution $resolution)"
  if [ "$resolution" = nodenext ]; then module=nodenext; else module=preserve; fi
  cat > "tsconfig.$resolution.json" <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "$module",
    "moduleResolution": "$resolution",
    "types": ["node"],
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "verbatimModuleSyntax": true,
    "erasableSyntaxOnly": true,
    "allowImportingTsExtensions": true
  },
  "files": ["consumer.ts", "entries.ts"]
}
EOF
  ./node_modules/.bin/tsc -p "tsconfig.$resolution.json" || fail "the consumer does not type-check with moduleResolution $resolution"
done

echo "== node consumer.ts (Node $(node_major_minor "$node22"))"
"$node22" consumer.ts || fail "the consumer failed on Node $(node_major_minor "$node22")"

echo "== npx iconik --version"
expected=$(cd "$repo" && node -p "require('./package.json').version")
got=$(npx --no-install iconik --version)
echo "$got"
case "$got" in *"$expected"*) ;; *) fail "iconik --version printed \"$got\", expected $expected" ;; esac

echo "== npx iconik demo --quiet --size 6"
npx --no-install iconik demo --quiet --size 6 || fail "iconik demo failed"

echo "== iconik on an older Node"
# The machine's own Node: the first `node` on PATH outside any node_modules/.bin (npm scripts put Node 22 there).
old=""
IFS=: read -r -a dirs <<< "$PATH"
for dir in "${dirs[@]}" /usr/local/bin /usr/bin; do
  case "$dir" in *node_modules/.bin*|"") continue ;; esac
  [ -x "$dir/node" ] || continue
  if ! supported "$(node_major_minor "$dir/node")"; then old="$dir/node"; break; fi
done
if [ -z "$old" ]; then
  echo "no Node older than 22.19 on this machine: skipped"
else
  set +e
  PATH="$(dirname "$old"):/usr/bin:/bin" ./node_modules/.bin/iconik --version > "$work/old.out" 2> "$work/old.err"
  status=$?
  set -e
  cat "$work/old.err"
  [ "$status" -eq 2 ] || fail "iconik on $old (Node $(node_major_minor "$old")) exited $status, expected 2"
  grep -q "iconik needs Node.js >= 22.19" "$work/old.err" || fail "iconik on $old did not say which Node it needs"
  if grep -qE '^\s+at ' "$work/old.err"; then fail "iconik on $old printed a stack trace"; fi
  echo "ok: Node $(node_major_minor "$old") ($old) gets the message and exit status 2"
fi

echo "pack-check: ok"
