#!/usr/bin/env python3
"""A plain Python evaluator with trec_eval 10.0's measure definitions: the speed reference of
bench_retrieval's evaluation figure (when no trec_eval binary is given in CLIRLAB_TREC_EVAL). It is
not a correctness oracle: tests/eval/test_measures.cpp checks core/eval against golden values
derived from trec_eval's source and against trec_eval itself. Usage: reference_evaluator.py [-c]
QRELS RUN. Prints "measure<TAB>qid<TAB>value" for every query and "all", with %.10f values."""
import math
import sys
from functools import cmp_to_key


def read(path, ncols):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if parts:
                assert len(parts) == ncols, line
                rows.append(parts)
    return rows


def main():
    args = sys.argv[1:]
    complete = "-c" in args
    args = [a for a in args if a != "-c"]
    qrels = {}
    for qid, _, doc, rel in read(args[0], 4):
        qrels.setdefault(qid, {})[doc] = int(rel)
    run = {}
    for qid, _, doc, _, score, _ in read(args[1], 6):
        run.setdefault(qid, []).append((doc, float(score)))

    def order(x, y):  # score descending, then docid descending byte-wise
        if x[1] != y[1]:
            return -1 if x[1] > y[1] else 1
        xb, yb = x[0].encode(), y[0].encode()
        return -1 if xb > yb else (1 if xb < yb else 0)

    names = ["num_ret", "num_rel", "num_rel_ret", "map", "recip_rank", "P_10",
             "recall_100", "recall_1000", "ndcg_cut_10"]
    per = {}
    for qid in sorted(set(run) | (set(qrels) if complete else set())):
        if qid not in qrels:
            continue
        judged = qrels[qid]
        ranked = sorted(run.get(qid, []), key=cmp_to_key(order))
        rel = [judged.get(d, -1) for d, _ in ranked]
        R = sum(1 for v in judged.values() if v >= 1)
        hits = [i + 1 for i, v in enumerate(rel) if v >= 1]
        ap = sum((k + 1) / r for k, r in enumerate(hits)) / R if R else 0.0
        disc = lambda r: math.log2(r + 1)
        dcg = sum(v / disc(i + 1) for i, v in enumerate(rel[:10]) if v > 0)
        ideal = sorted((v for v in judged.values() if v >= 1), reverse=True)[:10]
        idcg = sum(v / disc(i + 1) for i, v in enumerate(ideal))
        per[qid] = {
            "num_ret": len(ranked), "num_rel": R, "num_rel_ret": len(hits), "map": ap,
            "recip_rank": 1.0 / hits[0] if hits else 0.0,
            "P_10": sum(1 for r in hits if r <= 10) / 10.0,
            "recall_100": sum(1 for r in hits if r <= 100) / R if R else 0.0,
            "recall_1000": sum(1 for r in hits if r <= 1000) / R if R else 0.0,
            "ndcg_cut_10": dcg / idcg if idcg > 0 else 0.0,
        }
    n = len(per)
    for qid, vals in per.items():
        for m in names:
            print(f"{m}\t{qid}\t{vals[m]:.10f}")
    for m in names:
        total = sum(v[m] for v in per.values())
        print(f"{m}\tall\t{(total if m.startswith('num_') else total / n):.10f}")


main()
