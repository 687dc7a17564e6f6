#!/usr/bin/env python3
"""Bench-only reference for bench_train_step: one OPTICAL step on the static lexical encoder in
Python PyTorch (Debian's python3-torch), on the same batches and vocabulary.

The model: piece embeddings + the mean of the word's hashed character 3-5-grams (FNV-1a 64 over
UTF-8, "<word>" over code points; a word is a piece starting with U+2581 and the pieces that
continue it), dropout, a 128-d ColBERT head, unit vectors. The step: the frozen teacher encodes
English, the student X and English; C = 1 - cos; a masked log-domain Sinkhorn (eps, up to ITERS
iterations, convergence checked every 10) gives the plan, detached; loss = mean <P, C> + the
English anchor (1 - cos to the teacher per content token); clipping to norm 1; SparseAdam on the
two tables (lr 0.02, the rows touched). The character n-gram bags of each batch are built
before the timed steps (a data loader's work), which favours this side.
Usage: train_step_reference.py PIECES BATCHES DIM BUCKETS PAIRS WARMUP STEPS THREADS
Prints "pairs seconds last-loss"."""
import sys
import time

import torch
import torch.nn.functional as F

pieces_path, batches_path = sys.argv[1], sys.argv[2]
D, BUCKETS, PAIRS, WARMUP, STEPS, THREADS = map(int, sys.argv[3:9])
EPS, ITERS, TOL = 0.05, 100, 1e-9
BOS, PAD, EOS = 0, 1, 2
torch.set_num_threads(THREADS)
torch.manual_seed(0)

pieces = open(pieces_path, encoding="utf-8").read().split("\n")[:-1]
SPECIAL = {"<s>", "</s>", "<pad>", "<unk>", "<mask>"}
MARK = "\u2581"
kind = ["s" if p in SPECIAL else ("w" if p.startswith(MARK) else "c") for p in pieces]
text = ["" if k == "s" else (p[1:] if k == "w" else p).lower() for p, k in zip(pieces, kind)]


def fnv(data):
    h = 1469598103934665603
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


bucket_cache = {}


def word_buckets(word):
    if word not in bucket_cache:
        marked = "<" + word + ">"
        bucket_cache[word] = [fnv(marked[s:s + n].encode()) % BUCKETS
                              for s in range(len(marked)) for n in range(3, 6)
                              if s + n <= len(marked)]
    return bucket_cache[word]


def words(ids):
    out, start, open_ = [""] * len(ids), 0, False
    for k, i in enumerate(ids + [BOS]):
        if kind[i] == "c" and open_:
            continue
        if open_:
            w = "".join(text[j] for j in ids[start:k])
            out[start:k] = [w] * (k - start)
        open_, start = kind[i] != "s", k
    return out


def batch(seqs):
    """ids, mask [B, T]; EmbeddingBag inputs over the batch's distinct words."""
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), PAD, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.long)
    bag_of, indices, offsets, token_bag = {"": 0}, [], [0], []
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
        for w in words(s + [PAD] * (T - len(s))):
            if w not in bag_of:
                bag_of[w] = len(offsets)
                offsets.append(len(indices))
                indices.extend(word_buckets(w))
            token_bag.append(bag_of[w])
    content = mask * ids.ne(BOS) * ids.ne(EOS)
    return ids, mask, content, (torch.tensor(indices), torch.tensor(offsets),
                                torch.tensor(token_bag))


class Static(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.word = torch.nn.Embedding(len(pieces), D, padding_idx=PAD, sparse=True)
        self.ngrams = torch.nn.EmbeddingBag(BUCKETS, D, mode="mean", sparse=True)
        self.head = torch.nn.Linear(D, D)
        for t in (self.word.weight, self.ngrams.weight, self.head.weight):
            torch.nn.init.normal_(t, 0.0, 0.02)
        torch.nn.init.zeros_(self.head.bias)
        with torch.no_grad():
            self.word.weight[PAD].zero_()

    def forward(self, ids, mask, bags):
        indices, offsets, token_bag = bags
        x = self.word(ids) + self.ngrams(indices, offsets)[token_bag].view(*ids.shape, D)
        x = F.dropout(x, 0.1, self.training)
        return F.normalize(self.head(x), dim=-1) * mask[..., None]


def sinkhorn_plan(C, rows, cols):
    K = (-C / EPS).masked_fill(~(rows[:, :, None] & cols[:, None, :]), float("-inf"))
    loga = torch.where(rows, -rows.sum(1, keepdim=True).log(), torch.tensor(float("-inf")))
    logb = torch.where(cols, -cols.sum(1, keepdim=True).log(), torch.tensor(float("-inf")))
    u, v = torch.zeros_like(loga), torch.zeros_like(logb)
    for it in range(ITERS):
        v = torch.where(cols, logb - torch.logsumexp(K + u[:, :, None], 1), logb)
        u = torch.where(rows, loga - torch.logsumexp(K + v[:, None, :], 2), loga)
        if (it + 1) % 10 == 0:
            err = (torch.exp(K + u[:, :, None] + v[:, None, :]).sum(1) - logb.exp()).norm(dim=1)
            if bool((err < TOL).all()):
                break
    return torch.exp(K + u[:, :, None] + v[:, None, :])


teacher, student = Static(), Static()
student.load_state_dict(teacher.state_dict())
teacher.eval()
for p in teacher.parameters():
    p.requires_grad_(False)
student.head.requires_grad_(False)
trained = [student.word.weight, student.ngrams.weight]
opt = torch.optim.SparseAdam(trained, lr=0.02, betas=(0.9, 0.999), eps=1e-8)

lines = open(batches_path, encoding="utf-8").read().split("\n")[:-1]
steps = []
for s in range(WARMUP + STEPS):
    part = [l.split("\t") for l in lines[s * PAIRS:(s + 1) * PAIRS]]
    steps.append((batch([list(map(int, e.split())) for e, _ in part]),
                  batch([list(map(int, x.split())) for _, x in part])))


def step(english, other):
    e_ids, e_mask, e_content, e_bags = english
    x_ids, x_mask, x_content, x_bags = other
    with torch.no_grad():
        ht = teacher(e_ids, e_mask, e_bags)
    hs = student(x_ids, x_mask, x_bags)
    C = 1.0 - ht @ hs.transpose(1, 2)
    with torch.no_grad():
        P = sinkhorn_plan(C, e_content.bool(), x_content.bool())
    loss = (P * C).sum((1, 2)).mean()
    own = student(e_ids, e_mask, e_bags)
    w = e_content.float()
    loss = loss + ((1.0 - (own * ht).sum(-1)) * w).sum() / w.sum().clamp_min(1.0)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trained, 1.0)
    opt.step()
    return loss.item()


for s in range(WARMUP):
    step(*steps[s])
start = time.perf_counter()
for s in range(WARMUP, WARMUP + STEPS):
    last = step(*steps[s])
print(PAIRS * STEPS, time.perf_counter() - start, last)
