#!/usr/bin/env python3
"""Test oracle: POT's log-domain Sinkhorn on cost matrices from a JSON file.
Input: {"eps": float, "max_iter": int, "tol": float, "pairs": [{"C": [[...]], "a": [...], "b": [...]}]}
Output (stdout JSON): [{"plan": [[...]], "niter": int, "plan_sinkhorn": [[...]] or null}]"""
import json
import sys

import numpy as np
import ot

spec = json.load(open(sys.argv[1]))
out = []
for p in spec["pairs"]:
    C, a, b = np.array(p["C"], dtype=np.float64), np.array(p["a"]), np.array(p["b"])
    plan, log = ot.bregman.sinkhorn_log(a, b, C, spec["eps"], numItermax=spec["max_iter"],
                                        stopThr=spec["tol"], log=True, warn=False)
    classic = None
    if spec["eps"] >= 0.05:  # the classic (non-log) algorithm underflows for small eps
        classic = ot.sinkhorn(a, b, C, spec["eps"], numItermax=spec["max_iter"],
                              stopThr=spec["tol"], warn=False).tolist()
    out.append({"plan": plan.tolist(), "niter": int(log["niter"]), "plan_sinkhorn": classic})
json.dump(out, sys.stdout)
