#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pass rates of a score.py --json-out file on the subsets the issues name.

usage: conformance_subsets.py out/conformance.json
  packet-level: cases whose categories include none of stream, http, dns, tls, ssh, http-evader
  non-app-layer: cases whose categories include none of http, dns, tls, ssh, http-evader
"""
import json
import sys

APP = {"http", "dns", "tls", "ssh", "http-evader"}
data = json.load(open(sys.argv[1]))
subsets = {
    "packet-level (no stream/app-layer)": lambda c: not (set(c) & (APP | {"stream"})),
    "non-app-layer (no http/dns/tls/ssh/evader)": lambda c: not (set(c) & APP),
    "all": lambda c: True,
}
for name, keep in subsets.items():
    cases = [c for c in data["cases"] if keep(c["categories"])]
    passed = sum(1 for c in cases if c["status"] == "PASS")
    print(f"{name}: {passed}/{len(cases)} = {100.0 * passed / max(len(cases), 1):.1f}%")
    if "--fails" in sys.argv and name != "all":
        for c in cases:
            if c["status"] != "PASS":
                print("   ", c["status"], c["name"], "; ".join(c["details"])[:200])
