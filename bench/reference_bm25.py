#!/usr/bin/env python3
"""Bench-only speed reference: a plain Python inverted-index BM25 (k1=1.2, b=0.75, lower-cased
word tokens, no stemming) over the same documents and queries as clirlab's Xapian BM25.
Usage: reference_bm25.py DOCS.jsonl QUERIES.tsv DEPTH  -> prints "queries seconds" """
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict

TOKEN = re.compile(r"\w+", re.UNICODE)


def main():
    docs_path, queries_path, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
    postings = defaultdict(list)
    lengths = []
    for line in open(docs_path, encoding="utf-8"):
        d = json.loads(line)
        tf = Counter(TOKEN.findall((d["title"] + " " + d["text"]).lower()))
        for term, n in tf.items():
            postings[term].append((len(lengths), n))
        lengths.append(sum(tf.values()))
    N, avg = len(lengths), sum(lengths) / len(lengths)
    queries = [l.rstrip("\n").split("\t", 1)[1] for l in open(queries_path, encoding="utf-8") if "\t" in l]
    start = time.perf_counter()
    for q in queries:
        scores = defaultdict(float)
        for term in TOKEN.findall(q.lower()):
            plist = postings.get(term)
            if not plist:
                continue
            idf = math.log(1 + (N - len(plist) + 0.5) / (len(plist) + 0.5))
            for doc, n in plist:
                scores[doc] += idf * n * 2.2 / (n + 1.2 * (0.25 + 0.75 * lengths[doc] / avg))
        sorted(scores.items(), key=lambda kv: -kv[1])[:depth]
    print(len(queries), time.perf_counter() - start)


main()
