#!/usr/bin/python3
"""The PyTorch side of bench/core_bench.cpp (issue #2): the same workloads,
the same names and units, one line each: `name threads=N value unit`.

Run with Debian's python3 (python3-torch, numpy). Usage:
  /usr/bin/python3 bench/torch_core.py [workload-prefix ...]   (matmul conv elementwise mlp)

As in core_bench, workloads compared with each other are timed interleaved
(rep by rep) and every figure is a median after a warm-up. The `_vs_copy`
fractions are against PyTorch's own copy (Tensor.copy_ into a preallocated
tensor), and `_vs_gemms` against torch.mm into preallocated outputs.
"""
import sys
import time

import torch
import torch.nn.functional as F

THREADS = 1


def report(name, value, unit):
    print(f'{name} threads={THREADS} {value:.4g} {unit}', flush=True)


def interleaved(fs, warm, reps):
    for _ in range(warm):
        for f in fs:
            f()
    ts = [[] for _ in fs]
    for _ in range(reps):
        for i, f in enumerate(fs):
            t = time.perf_counter()
            f()
            ts[i].append(time.perf_counter() - t)
    out = []
    for v in ts:
        v.sort()
        n = len(v)
        out.append(v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2]))
    return out


def bench_matmul(n=1024):
    a = torch.rand(n, n) * 2 - 1
    b = torch.rand(n, n) * 2 - 1
    c = torch.zeros(n, n)
    t = interleaved([lambda: torch.mm(a, b), lambda: torch.mm(a, b, out=c)], 3, 21)
    flop = 2.0 * n ** 3
    report('matmul_1024', flop / t[0] * 1e-9, 'GFLOP/s')
    report('matmul_1024_cblas', flop / t[1] * 1e-9, 'GFLOP/s')  # torch.mm into a preallocated out
    report('matmul_1024_vs_cblas', t[1] / t[0], 'fraction')


def bench_conv(n=64, c=64, hw=14, k=3):
    # torch_ref.py's conv3x3_64c_14px_b64
    conv = torch.nn.Conv2d(c, c, k, padding=1)
    x = torch.rand(n, c, hw, hw, requires_grad=True)

    def step():
        conv.zero_grad()
        x.grad = None
        conv(x).sum().backward()
    t = interleaved([step], 3, 21)
    report('conv3x3_64c_14px_b64', t[0] * 1e3, 'ms/step')


def bench_elementwise(n, tag):
    cols = 1000
    rows = n // cols
    a = torch.rand(n) * 2 - 1
    b = torch.rand(n) * 2 - 1
    m = a.view(rows, cols)
    dst = torch.zeros(n)
    f = 4.0
    ws = [
        ('copy', 2 * f * n, lambda: dst.copy_(a)),
        ('add', 3 * f * n, lambda: a + b),
        ('mul_scalar', 2 * f * n, lambda: a * 2.0),
        ('exp', 2 * f * n, lambda: torch.exp(a)),
        ('relu', 2 * f * n, lambda: torch.relu(a)),
        ('sigmoid', 2 * f * n, lambda: torch.sigmoid(a)),
        ('sum', f * n, lambda: a.sum()),
        ('max', f * n, lambda: a.max()),
        ('sum_axis0', f * (n + cols), lambda: m.sum(0)),
        ('sum_axis1', f * (n + rows), lambda: m.sum(1)),
    ]
    reps = 21 if n >= 10_000_000 else 51
    t = interleaved([w[2] for w in ws], 3, reps)
    copy_gbs = ws[0][1] / t[0] * 1e-9
    report(f'copy_{tag}', copy_gbs, 'GB/s')
    for (name, nbytes, _), ti in zip(ws[1:], t[1:]):
        gbs = nbytes / ti * 1e-9
        report(f'{name}_{tag}', gbs, 'GB/s')
        report(f'{name}_{tag}_vs_copy', gbs / copy_gbs, 'fraction')


def bench_mlp(B=128, D=784, H=400, O=20):
    x = torch.rand(B, D)
    l1 = torch.nn.Linear(D, H)
    l2 = torch.nn.Linear(H, O)
    params = list(l1.parameters()) + list(l2.parameters())

    def step():
        for p in params:
            p.grad = None
        y = l2(F.relu(l1(x)))
        (y * y).mean().backward()
    # The same five GEMMs into preallocated outputs.
    W1, W2 = l1.weight.detach(), l2.weight.detach()
    y1, y2, g2 = torch.zeros(B, H), torch.zeros(B, O), torch.rand(B, O)
    dw2, dh, dw1 = torch.zeros(O, H), torch.zeros(B, H), torch.zeros(H, D)

    def gemms():
        torch.mm(x, W1.t(), out=y1)
        torch.mm(y1, W2.t(), out=y2)
        torch.mm(g2.t(), y1, out=dw2)
        torch.mm(g2, W2, out=dh)
        torch.mm(dh.t(), x, out=dw1)
    t = interleaved([step, gemms], 5, 51)
    report('mlp_784_400_20_b128', t[0] * 1e3, 'ms/step')
    report('mlp_784_400_20_b128_gemms', t[1] * 1e3, 'ms/step')
    report('mlp_784_400_20_b128_vs_gemms', t[0] / t[1], 'ratio')


def main():
    global THREADS
    only = sys.argv[1:]

    def want(name):
        return not only or any(name.startswith(o) for o in only)
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        THREADS = threads
        if want('matmul'):
            with torch.no_grad():
                bench_matmul()
        if want('conv'):
            bench_conv()
        if want('elementwise'):
            with torch.no_grad():
                bench_elementwise(1_000_000, '1M')
                bench_elementwise(10_000_000, '10M')
        if want('mlp'):
            bench_mlp()


if __name__ == '__main__':
    main()
