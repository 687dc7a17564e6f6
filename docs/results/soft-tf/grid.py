#!/usr/bin/python3
"""How retrieval.tf_weight / tf_threshold / tf_length_norm were chosen: MAP of a static model's
MaxSim with soft term frequency over a grid, on dev entry queries against all English pages.

The static encoder is restated here from its checkpoint (model.pt read with torch.jit.load): a
token's vector is normalize(head.linear(piece embedding + mean of its word's hashed character
3-5-gram rows)), query-term weights softplus(term_weights), normalised per query. Score of page p
for query q:  sum_i w_i * (max_j cos(q_i, p_j) + beta * log(1 + tf_i(p) / (len(p)/avglen)^b)),
tf_i(p) the page tokens with cos >= theta (with repeats). Ties are broken by page order, not by
trec_eval's rule, so MAP differs from a run's in the third decimal.

usage: docs/results/soft-tf/grid.py RUN_DIR TOKENIZER LANGUAGE [SPLIT]
  e.g. grid.py ~/.local/share/clirlab/clirlab.db.runs/3 ~/.local/share/clirlab/clirlab.db.runs/1/tokenizer.model en-US dev
Needs Debian's python3-torch, python3-scipy and python3-sentencepiece (research only).
"""
import collections
import json
import os
import sys

import numpy as np
import scipy.sparse
import sentencepiece
import torch

CORPUS = os.path.expanduser("~/.cache/clirlab/corpora/libreoffice-help-7.4")
SPECIAL = {"<s>", "</s>", "<pad>", "<unk>", "<mask>"}
THETAS, BETAS, NORMS = [0.8, 0.85, 0.9, 0.95], [0.0, 0.2, 0.4, 0.8], [0.5, 0.75, 1.0]


def fnv1a(data):
    h = 1469598103934665603
    for c in data:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


class StaticModel:
    def __init__(self, checkpoint, tokenizer):
        p = dict(torch.jit.load(checkpoint).named_parameters())
        self.word = p["encoder.embeddings.word_embeddings.weight"].detach().numpy()
        self.ngrams = p["encoder.embeddings.char_ngrams.weight"].detach().numpy()
        self.head = p["head.linear.weight"].detach().numpy()
        self.weight = torch.nn.functional.softplus(p["term_weights"].detach()).numpy()
        self.sp = sentencepiece.SentencePieceProcessor(model_file=tokenizer)
        n = self.sp.get_piece_size()
        self.pieces = [self.sp.id_to_piece(i) if i < n else "<mask>" for i in range(len(self.word))]
        self.vectors = {}

    def tokens(self, text, limit=None):
        """(piece id, lower-cased word) of each content token, as CharNgrams reads words."""
        ids = self.sp.encode(text)[:limit]
        out, word = [], []

        def close():
            w = "".join(self.pieces[i].replace("\u2581", "") for i in word)
            w = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in w)
            out.extend((i, w) for i in word)

        for i in ids:
            piece = self.pieces[i]
            if piece in SPECIAL:
                close()
                word = []
            elif piece.startswith("\u2581") or not word:
                close()
                word = [i]
            else:
                word.append(i)
        close()
        return out

    def vector(self, token):
        if token not in self.vectors:
            piece, word = token
            marked = list("<" + word + ">")
            rows = [fnv1a("".join(marked[s:s + n]).encode()) % len(self.ngrams)
                    for s in range(len(marked)) for n in (3, 4, 5) if s + n <= len(marked)]
            x = self.word[piece] + (self.ngrams[rows].mean(0) if rows else 0)
            x = self.head @ x
            self.vectors[token] = x / max(np.linalg.norm(x), 1e-12)
        return self.vectors[token]


def average_precision(ranked, relevant):
    hits, total = 0, 0.0
    for k, d in enumerate(ranked, 1):
        if d in relevant:
            hits += 1
            total += hits / k
    return total / len(relevant)


def main():
    run, tokenizer, language = sys.argv[1:4]
    split = sys.argv[4] if len(sys.argv) > 4 else "dev"
    model = StaticModel(os.path.join(run, "checkpoints/best/model.pt"), tokenizer)
    docs = [json.loads(line) for line in open(os.path.join(CORPUS, "docs/en-US.jsonl"))]
    keys, index, rows, columns, occurrences, pages = [], {}, [], [], [], []
    for p, d in enumerate(docs):
        page = collections.Counter(model.tokens(d["title"] + "\n" + d["text"]))
        for token, c in page.items():
            if token not in index:
                index[token] = len(keys)
                keys.append(token)
            rows.append(p)
            columns.append(index[token])
            occurrences.append(c)
        pages.append(np.array(sorted(index[t] for t in page), dtype=np.int64))
    counts = scipy.sparse.csr_matrix((occurrences, (rows, columns)),
                                     shape=(len(docs), len(keys)), dtype=np.float32)
    length = np.asarray(counts.sum(1)).ravel()
    vectors = np.stack([model.vector(k) for k in keys]).astype(np.float32)
    queries = {}
    for line in open(os.path.join(CORPUS, f"queries/{language}.entries.{split}.tsv"), encoding="utf-8"):
        qid, text = line.rstrip("\n").split("\t", 1)
        queries[qid] = text
    relevant = collections.defaultdict(set)
    for line in open(os.path.join(CORPUS, f"qrels/{language}.en-US.entries.{split}.qrels")):
        qid, _, docid, rel = line.split()
        if int(rel) > 0:
            relevant[qid].add(docid)
    grid = [(t, beta, b) for t in THETAS for beta in BETAS for b in NORMS]
    ap = collections.defaultdict(list)
    for qid, text in queries.items():
        if qid not in relevant:
            continue
        q = model.tokens(text, 30)  # query_max_length 32 with <s> and </s>
        if not q:
            for g in grid:
                ap[g].append(0.0)
            continue
        w = np.array([model.weight[i] for i, _ in q])
        w /= w.sum()
        sim = np.stack([model.vector(k) for k in q]) @ vectors.T
        best = np.stack([sim[:, pg].max(1) if len(pg) else np.zeros(len(q)) for pg in pages], 1)
        for t in THETAS:
            tf = (counts @ (sim >= t).T.astype(np.float32)).T
            for b in NORMS:
                soft = w @ np.log1p(tf / (length / length.mean()) ** b)
                for beta in BETAS:
                    order = np.argsort(-(w @ best + beta * soft), kind="stable")[:1000]
                    ap[(t, beta, b)].append(
                        average_precision([docs[i]["id"] for i in order], relevant[qid]))
    print(f"{language} {split}: {len(ap[grid[0]])} queries; MAP by tf_threshold, tf_weight, "
          "tf_length_norm")
    print("| tf_threshold | tf_weight | " + " | ".join(f"b {b}" for b in NORMS) + " |")
    print("|---:|---:|" + "---:|" * len(NORMS))
    for t in THETAS:
        for beta in BETAS:
            print(f"| {t} | {beta} | " +
                  " | ".join(f"{np.mean(ap[(t, beta, b)]):.4f}" for b in NORMS) + " |")


if __name__ == "__main__":
    main()
