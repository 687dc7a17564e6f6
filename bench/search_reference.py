#!/usr/bin/env python3
"""Bench-only reference for bench_search: MaxSim by brute force in Python PyTorch on the same
index and queries. Every page token's vector is looked up and scored against every query token
(no deduplication), each page's maximum taken by scatter_reduce(amax), the weighted sum over
query tokens, then top k. Prints the seconds (scores + top k) and the largest difference from
the C++ scores in ours.f32.
Usage: search_reference.py DIR PAGES DISTINCT DIM QUERIES MAXTOKENS DEPTH THREADS"""
import sys
import time

import numpy as np
import torch

work = sys.argv[1]
pages, distinct, dim, queries, max_tokens, depth, threads = map(int, sys.argv[2:9])
torch.set_num_threads(threads)
vectors = torch.from_numpy(np.fromfile(f"{work}/vectors.f16", dtype=np.float16).reshape(distinct, dim)).float()
ids = torch.from_numpy(np.fromfile(f"{work}/ids.i32", dtype=np.int32).astype(np.int64))
offsets = torch.from_numpy(np.fromfile(f"{work}/offsets.i64", dtype=np.int64))
tokens = torch.from_numpy(np.fromfile(f"{work}/tokens.f32", dtype=np.float32).reshape(queries, max_tokens, dim))
weights = torch.from_numpy(np.fromfile(f"{work}/weights.f32", dtype=np.float32).reshape(queries, max_tokens))
mask = torch.from_numpy(np.fromfile(f"{work}/mask.u8", dtype=np.uint8).reshape(queries, max_tokens).astype(bool))
page_of = torch.repeat_interleave(torch.arange(pages), offsets[1:] - offsets[:-1])
chunk_tokens = 1 << 18


def scores_of(q):
    """[R, D] query tokens -> [R, pages] best page-token similarity."""
    best = torch.full((q.shape[0], pages), float("-inf"))
    for start in range(0, ids.numel(), chunk_tokens):
        end = min(ids.numel(), start + chunk_tokens)
        sim = q @ vectors[ids[start:end]].T  # every page token, no deduplication
        best.scatter_reduce_(1, page_of[start:end].expand(q.shape[0], -1), sim, reduce="amax")
    return best


def rank():
    rows = tokens[mask]  # content tokens of every query
    owner = mask.nonzero()[:, 0]
    w = torch.zeros(queries, rows.shape[0])
    w[owner, torch.arange(rows.shape[0])] = weights[mask]
    s = w @ scores_of(rows)
    return s, torch.topk(s, min(depth, pages), dim=1)


rank()  # warm-up
start = time.perf_counter()
s, _ = rank()
seconds = time.perf_counter() - start
ours = torch.from_numpy(np.fromfile(f"{work}/ours.f32", dtype=np.float32).reshape(queries, pages))
print(seconds, float((s - ours).abs().max()))
