#!/usr/bin/env python3
"""Bench-only references on the same cost matrices as bench_sinkhorn: POT's ot.sinkhorn per
pair (NumPy), and the same batched log-domain algorithm in Python PyTorch.
Usage: sinkhorn_reference.py pot|torch B N EPS ITERS THREADS -> prints seconds"""
import sys
import time

import numpy as np

which, B, N, eps, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = np.random.default_rng(0)
x = rng.standard_normal((B, N, 64)); y = rng.standard_normal((B, N, 64))
x /= np.linalg.norm(x, axis=2, keepdims=True); y /= np.linalg.norm(y, axis=2, keepdims=True)
C = 1.0 - np.einsum("bid,bjd->bij", x, y)
a = np.full(N, 1.0 / N)

def best_of_15(run):
    """Steady state, as the C++ side: the fastest of 15 calls after 2 warm-up calls."""
    run()
    run()
    times = []
    for _ in range(15):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


if which == "pot":
    import ot

    def run():
        for i in range(B):  # tolerance 0: exactly `iters` iterations, like the C++ side
            ot.sinkhorn(a, a, C[i], eps, numItermax=iters, stopThr=0.0, warn=False)
    print(best_of_15(run))
else:
    import torch
    torch.set_num_threads(threads)
    Ct = torch.tensor(C, dtype=torch.float32)
    K = -Ct / eps
    loga = torch.full((B, N), float(np.log(1.0 / N)))

    def run():
        u = torch.zeros(B, N); v = torch.zeros(B, N)
        for it in range(iters):
            v = loga - torch.logsumexp(K + u[:, :, None], 1)
            u = loga - torch.logsumexp(K + v[:, None, :], 2)
            if it % 10 == 0:
                err = (torch.exp(K + u[:, :, None] + v[:, None, :]).sum(1) - 1.0 / N).norm(dim=1)
        return torch.exp(K + u[:, :, None] + v[:, None, :])
    print(best_of_15(run))
