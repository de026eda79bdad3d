"""PyTorch eager at the precisions ref_dipvae.py leaves out: fp16 autocast (with and without channels_last) for
inference, and fp32 training at batch 1024, so Java and PyTorch are compared at equal batch and precision; and the
time of a training step of a tiny model of the same depth (2 channels a layer, latent 2, batch 2), the cost of
issuing a step, as `latentwatch benchmark model --train-batch-sizes` measures it.
Usage: python3 ref_fp16.py DIR_WITH_ref_dipvae.py [batch sizes]"""
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from ref_dipvae import DIPVAE, bench_infer, bench_train

dev = torch.device('cuda')
sizes = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else '256,1024,4096').split(',')]
torch.manual_seed(0)
m = DIPVAE().to(dev).eval()
for B in sizes:
    print(json.dumps(dict(kind='infer_fp16', B=B, fps=round(bench_infer(m, dev, B, torch.float16, False), 1))), flush=True)
mcl = m.to(memory_format=torch.channels_last)
for B in sizes:
    print(json.dumps(dict(kind='infer_fp16_cl', B=B, fps=round(bench_infer(mcl, dev, B, torch.float16, True), 1))), flush=True)
m = m.to(memory_format=torch.contiguous_format).train()
print(json.dumps(dict(kind='train_fp32', B=1024, fps=round(bench_train(m, dev, 1024), 1))), flush=True)
tiny = DIPVAE(latent=2, hidden=(2, 2, 2, 2, 2)).to(dev).train()
print(json.dumps(dict(kind='train_step_ms_tiny', B=2, ms=round(2 / bench_train(tiny, dev, 2) * 1000, 3))), flush=True)
