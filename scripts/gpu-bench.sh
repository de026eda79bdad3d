#!/usr/bin/env bash
# Runs on the GPU machine from the repo root, with the kit of scripts/gpu-kit.sh in .gpu/: rebuilds DJL's JNI
# against the local torch, then the Java benchmarks and the PyTorch eager baseline on the same card, one after
# the other. Results go to stdout and, where $OUT is set, to $OUT/*.jsonl.
set -uo pipefail
kit=${KIT:-.gpu}
out=${OUT:-/tmp/latentwatch-gpu}; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
date -u +%FT%TZ
bash "$kit/djljni/build.sh" >"$out/djljni.log" 2>&1 || { tail -40 "$out/djljni.log"; exit 1; }
tar xJf "$kit/jre17.tar.xz" -C /tmp
export PYTORCH_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
export PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128 DJL_OFFLINE=true
# JOPTS: extra JVM options for one call
lw() { /tmp/jre17/bin/java -Xmx16g ${JOPTS:-} -cp "$kit/classes:$kit/jars/*" io.latentwatch.cli.LatentwatchCommand "$@"; }
m=/tmp/rgb64; f="$kit/fixtures/rgb64-default"
lw import-pytorch --weights "$f/weights.safetensors" --config "$f/config.json" --out $m
echo "== accuracy"
for layout in nhwc nchw; do
  lw benchmark precision --model $m --frames "$f/frames.safetensors" --expected "$f/expected.safetensors" --device gpu \
     --precisions fp32,fp16 --layout $layout | tee -a "$out/accuracy.txt"
done
[[ "${ONLY:-}" == accuracy ]] && exit 0
echo "== java scoring and training, no cuDNN autotuning (PyTorch eager's default)"
JOPTS=-Dlatentwatch.cudnn-benchmark=false lw benchmark model --device gpu --batch-sizes ${BATCHES:-1,16,64,256,1024,4096} --precisions fp32,fp16 --layouts nhwc,nchw \
   --seconds ${SECONDS_PER_POINT:-1} --train-batch-sizes 64,256,1024 --alongside-fine-tune-batch 32 --alongside-scoring-batch 256 \
   --json "$out/java.jsonl"
echo "== java, cuDNN autotuning (what BatchScorer turns on for GPUs)"
lw benchmark model --device gpu --batch-sizes 1024,4096 --precisions fp32,fp16 --layouts nhwc,nchw \
   --seconds ${SECONDS_PER_POINT:-1} --train-batch-sizes 256,1024 --soak-batches ${SOAK:-10000} --soak-batch-size 64 \
   --json "$out/java-cudnn.jsonl"
echo "== pytorch eager"
PYTHONUNBUFFERED=1 python3 "$kit/ref_dipvae.py" 1,16,64,256,1024,4096 | tee "$out/pytorch.jsonl"
PYTHONUNBUFFERED=1 python3 "$kit/ref_fp16.py" "$kit" 256,1024,4096 | tee -a "$out/pytorch.jsonl"
