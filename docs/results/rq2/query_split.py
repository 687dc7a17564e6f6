#!/usr/bin/python3
"""MAP of the RQ2 runs on two halves of each low-resource language's test entry queries: those
that carry a term in Latin script that English pages share (a function, a product, an acronym)
and the rest. Reads the committed run archives and the corpus's query files only.

usage: docs/results/rq2/query_split.py [CORPUS_DIR]  (default ~/.cache/clirlab/corpora/libreoffice-help-7.4)
"""
import glob
import json
import os
import re
import statistics
import sys

here = os.path.dirname(os.path.abspath(__file__))
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser(
    "~/.cache/clirlab/corpora/libreoffice-help-7.4")

# Latest archive per run name.
runs = {}
for path in glob.glob(os.path.join(here, "runs", "*.json")):
    archive = json.load(open(path, encoding="utf-8"))
    run = archive["run"]
    if run["name"] not in runs or run["finished_at"] > runs[run["name"]]["run"]["finished_at"]:
        runs[run["name"]] = archive


def ap(name, language):
    block = runs[name]["query_results"][language]["entries"]
    return dict(zip(block["qids"], block["measures"]["map"]))


# Scripts other than Latin: any Latin word. Latin-script languages: a code-like word (two
# capitals, or a capital inside a word), which the English page spells the same way.
latin_word = re.compile(r"[A-Za-z]{2,}")
code_word = re.compile(r"\b[A-Z][A-Za-z]*[A-Z]|[a-z][A-Z]")
print("| language | queries with a Latin/code term | others | "
      "BM25 | teacher | fine-tune | OPTICAL |")
print("|---|---:|---:|---:|---:|---:|---:|")
for language in ["om", "km", "dz", "eu"]:
    texts = {}
    with open(os.path.join(corpus, "queries", language + ".entries.test.tsv"), encoding="utf-8") as f:
        for line in f:
            qid, text = line.rstrip("\n").split("\t", 1)
            texts[qid] = text
    pattern = code_word if language in ("om", "eu") else latin_word
    methods = {
        "BM25": ["bm25-untranslated"],
        "teacher": ["teacher-static"],
        "fine-tune": ["fine-tune-static[language=%s,seed=%d]" % (language, s) for s in (13, 14, 15)],
        "OPTICAL": ["optical-static[language=%s,seed=%d]" % (language, s) for s in (13, 14, 15)],
    }
    values = {m: [ap(n, language) for n in names] for m, names in methods.items()}
    qids = sorted(values["BM25"][0])
    term = [q for q in qids if pattern.search(texts.get(q, ""))]
    rest = [q for q in qids if q not in set(term)]

    def mean(method, subset):
        return statistics.mean(statistics.mean(v.get(q, 0.0) for v in values[method])
                               for q in subset)

    cells = " | ".join("%.3f / %.3f" % (mean(m, term), mean(m, rest)) for m in methods)
    print("| %s | %d | %d | %s |" % (language, len(term), len(rest), cells))
