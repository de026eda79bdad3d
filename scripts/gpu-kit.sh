#!/usr/bin/env bash
# Gathers what a CUDA machine with Python's PyTorch but no Java needs to run the latentwatch benchmarks
# (see ../shared/gpu/README.md) into one git-ignored folder, by default .gpu/ of the repo:
#   classes/       the project's compiled classes
#   jars/          the runtime jars named in scripts/gpu-kit.jars: no CPU native library, no Flink or Kafka
#   djljni/        DJL 0.36's JNI sources, rebuilt there against the local torch
#   jre17.tar.xz   a small Java 17 runtime
#   ref_dipvae.py  the PyTorch eager baseline (ref_fp16.py: its fp16 and batch-1024 training rows)
#   fixtures/      the rgb64-default PyTorch fixture, for the accuracy check
#   gpu-bench.sh   the script to run there
# Usage: scripts/gpu-kit.sh [OUT_DIR]     then run OUT_DIR/gpu-bench.sh on the GPU machine from the repo root.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$here/.gpu}
shared=${LATENTWATCH_SHARED:-$here/../shared}
cd "$here"
mvn -q -B -Dstyle.color=never -DskipTests compile
rm -rf "$out" && mkdir -p "$out/jars" "$out/fixtures"
cp -r target/classes "$out/classes"
tmp=$(mktemp -d)
mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp"
mapfile -t patterns < <(grep -v -e '^#' -e '^[[:space:]]*$' scripts/gpu-kit.jars)
for j in "$tmp"/*.jar; do
  for p in "${patterns[@]}"; do
    # shellcheck disable=SC2053 # a pattern, matched on purpose
    if [[ $(basename "$j") == $p ]]; then cp "$j" "$out/jars/"; break; fi
  done
done
rm -rf "$tmp"
cp -r "$shared/gpu/djljni" "$out/djljni" && chmod -R u+w "$out/djljni" && rm -rf "$out/djljni/build"
cp "$shared/gpu/ref_dipvae.py" "$out/"
bash "$shared/gpu/make-jre.sh" "$out" >/dev/null
cp -r "$shared/fixtures/pytorch/rgb64-default" "$out/fixtures/"
cp scripts/gpu-bench.sh scripts/ref_fp16.py "$out/"
du -sh "$out"
