#!/usr/bin/env python3
# The real-GPU check's PyTorch side: the same CondConv shapes as the condgrad check (the four H200 table rows, K = 8), plain conv and
# fused CondConv the way timm does it (one [B,K] x [K,|W|] matmul mixes the per-sample kernels, then one F.conv2d with groups = B*g),
# forward and forward+backward, timed with CUDA events (median of interleaved reps). Writes JSON with the card, driver, versions and commit.
# Run (on the GPU machine, from the repo root): python3 bench/gpu_check/torch_condconv.py [--out torch-condconv.json] [--manifest M] [--reps 20]
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

# (name, B, C, H, O, k, groups): the rows of the condgrad check's speed phase (bench/gpu_check/speed.ts).
SHAPES = [
    ('conv3x3 C64 32x32 O64', 8, 64, 32, 64, 3, 1),
    ('dw3x3 C128 32x32', 8, 128, 32, 128, 3, 128),
    ('conv1x1 C128 16x16 O128', 32, 128, 16, 128, 1, 1),
    ('dw3x3 C128 32x32', 32, 128, 32, 128, 3, 128),
    ('conv3x3 C64 32x32 O64', 32, 64, 32, 64, 3, 1),
]


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e:  # noqa: BLE001 - the record says why
        return f'unavailable: {e}'


def commit(manifest):
    if manifest and os.path.exists(manifest):
        try:
            with open(manifest) as f:
                return json.load(f).get('commit')
        except Exception:  # noqa: BLE001
            pass
    out = sh(['git', 'rev-parse', 'HEAD'])
    return out or None


def fused(x, experts, routing, bias, groups, pad):
    """timm's CondConv2d: mix every sample's kernel with one matmul, then one grouped conv over the batch folded into channels."""
    B, C, H, W = x.shape
    K, O = experts.shape[0], experts.shape[1]
    w = (routing @ experts.view(K, -1)).view(B * O, C // groups, *experts.shape[-2:])
    b = (routing @ bias).view(B * O)
    y = F.conv2d(x.reshape(1, B * C, H, W), w, b, padding=pad, groups=B * groups)
    return y.view(B, O, y.shape[-2], y.shape[-1])


def plain(x, weight, bias, groups, pad):
    return F.conv2d(x, weight, bias, padding=pad, groups=groups)


def time_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        out.append(a.elapsed_time(b))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='torch-condconv.json')
    ap.add_argument('--manifest')
    ap.add_argument('--reps', type=int, default=20)
    ap.add_argument('--K', type=int, default=8)
    args = ap.parse_args()
    started = time.time()
    rec = {
        'version': 1, 'startedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'commit': commit(args.manifest),
        'torch': torch.__version__, 'cuda': torch.version.cuda, 'cudnn': torch.backends.cudnn.version(),
        'card': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        'driver': sh(['nvidia-smi', '--query-gpu=driver_version', '--format=csv,noheader']),
        'python': sys.version.split()[0], 'K': args.K, 'dtype': 'float32', 'tf32': False, 'rows': [], 'errors': [],
    }
    if not torch.cuda.is_available():
        rec['errors'].append('no CUDA device')
    else:
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
        dev = torch.device('cuda')
        g = torch.Generator(device=dev).manual_seed(20261127)
        for name, B, C, H, O, k, groups in SHAPES:
            pad = k // 2
            try:
                x = torch.randn(B, C, H, H, device=dev, generator=g, requires_grad=True)
                experts = torch.randn(args.K, O, C // groups, k, k, device=dev, generator=g, requires_grad=True)
                bias_k = torch.randn(args.K, O, device=dev, generator=g, requires_grad=True)
                routing = torch.rand(B, args.K, device=dev, generator=g, requires_grad=True)
                weight = torch.randn(O, C // groups, k, k, device=dev, generator=g, requires_grad=True)
                bias = torch.randn(O, device=dev, generator=g, requires_grad=True)
                runs = {
                    ('plain', 'forward'): lambda: plain(x, weight, bias, groups, pad),
                    ('fused', 'forward'): lambda: fused(x, experts, routing, bias_k, groups, pad),
                    ('plain', 'forward+backward'): lambda: plain(x, weight, bias, groups, pad).sum().backward(),
                    ('fused', 'forward+backward'): lambda: fused(x, experts, routing, bias_k, groups, pad).sum().backward(),
                }
                with torch.no_grad():
                    ref = torch.stack([F.conv2d(x[b:b + 1], (routing[b] @ experts.view(args.K, -1)).view(O, C // groups, k, k),
                                                routing[b] @ bias_k, padding=pad, groups=groups)[0] for b in range(B)])
                    err = (fused(x, experts, routing, bias_k, groups, pad) - ref).abs().max().item()
                times = {key: [] for key in runs}
                for key, fn in runs.items():
                    time_ms(fn, 0, 3)
                for _ in range(args.reps):  # interleaved: one rep of each per round
                    for key, fn in runs.items():
                        times[key].extend(time_ms(fn, 1, 0))
                macs = B * O * (C // groups) * k * k * H * H
                for (path, mode), ts in times.items():
                    ms = statistics.median(ts)
                    flops = 2 * macs * (3 if mode == 'forward+backward' else 1)
                    rec['rows'].append({'shape': name, 'batch': B, 'K': args.K if path == 'fused' else None, 'path': path, 'mode': mode,
                                        'ms': ms, 'gflops': flops / ms / 1e6, 'reps': len(ts), 'fusedMaxAbsErr': err})
                print(f'{name} B={B}: ' + ', '.join(f'{p} {m} {statistics.median(t):.3f} ms' for (p, m), t in times.items()), flush=True)
            except Exception as e:  # noqa: BLE001 - one shape failing must not lose the others
                rec['errors'].append(f'{name} B={B}: {e}')
    rec['wallSeconds'] = time.time() - started
    with open(args.out, 'w') as f:
        json.dump(rec, f, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
