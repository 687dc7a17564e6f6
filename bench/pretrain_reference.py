#!/usr/bin/env python3
"""Bench-only reference: the same XLM-R encoder and MLM step as clirlab's LibTorch code, in
Python PyTorch (Debian's python3-torch), on the same synthetic batches.
Usage: pretrain_reference.py VOCAB HIDDEN LAYERS HEADS FFN BATCH LENGTH STEPS THREADS
Prints "tokens seconds"."""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V, H, L, A, FF, B, T, STEPS, THREADS = map(int, sys.argv[1:10])
torch.set_num_threads(THREADS)
torch.manual_seed(0)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-5), nn.LayerNorm(H, eps=1e-5)
        self.up, self.down = nn.Linear(H, FF), nn.Linear(FF, H)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias):
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, A, H // A).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(H // A) + bias, -1))
        a = self.ln1(self.drop(self.o((p @ v).transpose(1, 2).reshape(b, t, H))) + x)
        return self.ln2(self.drop(self.down(F.gelu(self.up(a)))) + a)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(V, H, padding_idx=1), nn.Embedding(514, H, padding_idx=1), nn.Embedding(1, H)
        self.ln, self.drop = nn.LayerNorm(H, eps=1e-5), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.head, self.head_ln, self.bias = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-5), nn.Parameter(torch.zeros(V))

    def forward(self, ids, mask, labels):
        pos = mask.cumsum(1) * mask + 1
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids))))
        bias = ((1.0 - mask.float()) * -1e9)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        picked = labels.ne(-100)
        h = self.head_ln(F.gelu(self.head(x[picked])))
        return F.cross_entropy(h @ self.word.weight.t() + self.bias, labels[picked])


model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
g = torch.Generator().manual_seed(1)
ids = torch.randint(4, V, (B, T), generator=g)
mask = torch.ones(B, T, dtype=torch.long)
labels = torch.where(torch.rand(B, T, generator=g) < 0.15, ids, torch.full_like(ids, -100))
for warm in range(2):  # untimed warm-up
    loss = model(ids, mask, labels); opt.zero_grad(); loss.backward(); opt.step()
start = time.perf_counter()
for _ in range(STEPS):
    loss = model(ids, mask, labels)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
print(B * T * STEPS, time.perf_counter() - start)
