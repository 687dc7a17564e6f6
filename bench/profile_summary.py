#!/usr/bin/env python3
"""Time per operator in a Chrome trace written by LibTorch's profiler (bench_pretrain with
CLIRLAB_PROFILE=FILE): total and self-exclusive milliseconds are not separated; nested
operators are counted in their parents too, so read the top-level ones (aten::linear and its
backward, softmax, ...) against the wall time printed last.
Usage: profile_summary.py TRACE [TOP]"""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))
if isinstance(events, dict):
    events = events.get("traceEvents", [])
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
total = collections.Counter()
calls = collections.Counter()
start, end = float("inf"), 0.0
for e in events:
    if e.get("ph") != "X":
        continue
    total[e["name"]] += e["dur"]
    calls[e["name"]] += 1
    start = min(start, e["ts"])
    end = max(end, e["ts"] + e["dur"])
print(f"{'operator':<45} {'calls':>7} {'ms':>10}")
for name, us in total.most_common(top):
    print(f"{name[:45]:<45} {calls[name]:>7} {us / 1000:>10.1f}")
print(f"wall time of the traced steps: {(end - start) / 1000:.1f} ms")
