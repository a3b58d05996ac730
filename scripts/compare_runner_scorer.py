#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare `weir test` with the conformance scorer (score.py), case by case.

usage: scripts/compare_runner_scorer.py [debug|release] [--suricata-version V] [--out DIR]

Runs, on the public conformance folders (<repo>/../shared/conformance/suricata-verify, or $WEIR_SHARED):
  1. score.py with weir-case (alert counts only: expect / expect_min / alert_total from expected.json), and
     score.py --strict (also the upstream filter/stats checks kept in expected.json's "extra");
  2. weir test with expected.json as the case file (the same checks as score.py: must agree on every case);
  3. weir test --upstream (upstream-test.yaml as the case file: every filter/stats check upstream has), answered as
     Suricata V (default 9.0.0, the version expected.json was derived for), and once more as Weir's default 8.0.0
     for the summary.
Prints both summaries, then every case where (3) and (1) differ, grouped by the reason, and writes
<out>/compare.json. Exit status 1 when (2) disagrees with score.py on any case, or when a case whose upstream
checks are alert counts only gets a different verdict; 0 otherwise.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml  # PyYAML, only to classify upstream checks; optional
except ImportError:  # pragma: no cover
    yaml = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("WEIR_SHARED") or os.path.join(ROOT, "..", "shared")
CORPUS = os.path.join(SHARED, "conformance", "suricata-verify")


def run_scorer(weir, out, strict=False):
    path = os.path.join(out, "scorer-strict.json" if strict else "scorer.json")
    env = dict(os.environ, WEIR=weir)
    subprocess.run(
        [sys.executable, os.path.join(SHARED, "conformance", "score.py"), CORPUS,
         "--cmd", os.path.abspath(os.path.join(SHARED, "conformance", "weir-case")) + " {casedir} {outdir}",
         "-j", str(os.cpu_count() or 1), "--json-out", path, "-q"] + (["--strict"] if strict else []),
        env=env, check=True, stdout=subprocess.DEVNULL)
    with open(path) as fh:
        data = json.load(fh)
    return {c["name"].replace("/", "__"): c for c in data["cases"]}, data


def run_runner(weir, out, label, extra):
    path = os.path.join(out, "runner-%s.json" % label)
    proc = subprocess.run([weir, "test", CORPUS, "-q", "--json", path] + extra,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit("weir test failed (%d): %s" % (proc.returncode, proc.stderr))
    with open(path) as fh:
        data = json.load(fh)
    return {c["name"]: c for c in data["cases"]}, data, proc.stdout.strip().splitlines()[-1]


def upstream_checks(case_dir):
    if yaml is None:
        return None
    try:
        with open(os.path.join(CORPUS, case_dir, "upstream-test.yaml")) as fh:
            return (yaml.safe_load(fh) or {}).get("checks") or []
    except OSError:
        return None


COUNT_KEYS = {"event_type", "alert.signature_id"}


def counts_only(checks):
    """True when every upstream check is a filter on alert records by sid (or all alerts) with a count."""
    if checks is None:
        return False
    for check in checks:
        f = check.get("filter")
        if not f or f.get("filename") or f.get("requires") or f.get("min-version") or f.get("lt-version"):
            return False
        match = f.get("match") or {}
        if match.get("event_type") != "alert" or not set(match) <= COUNT_KEYS:
            return False
    return True


def reason(runner_case, scorer_case, checks):
    """A category and a one-line explanation for a differing verdict."""
    r, s = runner_case["status"], scorer_case["status"]
    if r == "SKIP":
        return "runner skipped: " + re.sub(r"\d+(\.\d+)*", "N", runner_case.get("reason") or "?"), runner_case.get("reason")
    if r == "FAIL" and s == "PASS":
        if runner_case.get("reason"):
            return "runner failed before the checks", runner_case["reason"]
        first = runner_case["failures"][0]["check"]
        m = re.search(r'event_type: "([^"]+)"', first)
        if " (stats " in first:
            return "upstream stats check (score.py ignores stats)", first
        if m and m.group(1) != "alert":
            return "upstream filter on %s records (score.py counts alerts only)" % m.group(1), first
        if m:
            return "upstream alert filter pins more than the sid (score.py: count per sid only)", first
        return "upstream filter without event_type (score.py: alert counts only)", first
    if r == "PASS" and s != "PASS":
        skipped = runner_case.get("skipped_checks") or []
        if skipped:
            return "runner skipped the failing upstream check (version or unsupported type)", skipped[0]
        return "expected.json is stricter than upstream (derived sid count or total)", "; ".join(scorer_case.get("details") or [])
    return "other", "%s vs %s" % (r, s)


def summary_line(cases):
    c = collections.Counter(x["status"] for x in cases.values())
    return ", ".join("%d %s" % (c[k], k) for k in sorted(c))


def main():
    args = sys.argv[1:]
    config = "debug"
    version = "9.0.0"
    out = os.path.join(ROOT, "out")
    while args:
        a = args.pop(0)
        if a in ("debug", "release"):
            config = a
        elif a == "--suricata-version":
            version = args.pop(0)
        elif a == "--out":
            out = args.pop(0)
        else:
            sys.exit(__doc__)
    weir = os.path.join(ROOT, ".build", config, "weir")
    if not os.access(weir, os.X_OK):
        sys.exit("compare_runner_scorer: build first (%s missing)" % weir)
    os.makedirs(out, exist_ok=True)

    scorer, scorer_data = run_scorer(weir, out)
    strict, strict_data = run_scorer(weir, out, strict=True)
    same, _, same_line = run_runner(weir, out, "expected", [])
    upstream, _, up_line = run_runner(weir, out, "upstream", ["--upstream", "--suricata-version", version])
    upstream8, _, up8_line = run_runner(weir, out, "upstream-8", ["--upstream"])

    print("score.py (alert counts from expected.json): %d passed, %d failed" % (scorer_data["passed"], scorer_data["failed"]))
    print("score.py --strict (+ upstream filter/stats extras): %d passed, %d failed"
          % (strict_data["passed"], strict_data["failed"]))
    print("weir test, expected.json checks:            " + same_line)
    print("weir test --upstream --suricata-version %s: %s" % (version, up_line))
    print("weir test --upstream (as 8.0.0):             " + up8_line)

    problems = 0
    mismatch_same = [n for n in scorer if (scorer[n]["status"] == "PASS") != (same.get(n, {}).get("status") == "PASS")]
    print("\nexpected.json mode vs score.py: %d of %d cases differ" % (len(mismatch_same), len(scorer)))
    for n in mismatch_same:
        problems += 1
        print("  %s: scorer %s, runner %s" % (n, scorer[n]["status"], same.get(n, {}).get("status")))

    # score.py --strict evaluates the upstream filter and stats checks too (from expected.json's "extra", with
    # version-specific checks resolved for 9.0.0-dev): the same checks weir test --upstream runs at that version.
    mismatch_strict = [n for n in strict if (strict[n]["status"] == "PASS") != (upstream.get(n, {}).get("status") == "PASS")]
    print("--upstream (as %s) vs score.py --strict: %d of %d cases differ" % (version, len(mismatch_strict), len(strict)))
    for n in mismatch_strict:
        print("  %s: score.py --strict %s, weir test --upstream %s" % (n, strict[n]["status"], upstream[n]["status"]))

    groups = collections.defaultdict(list)
    comparable = agree_comparable = 0
    rows = []
    for name in sorted(scorer):
        s = scorer[name]
        r = upstream.get(name)
        if r is None:
            continue
        checks = upstream_checks(name)
        only_counts = counts_only(checks)
        s_pass = s["status"] == "PASS"
        r_verdict = r["status"]
        differs = (r_verdict == "PASS") != s_pass or r_verdict == "SKIP"
        if only_counts and r_verdict != "SKIP":
            comparable += 1
            if not differs:
                agree_comparable += 1
        row = {"case": name, "scorer": s["status"], "runner": r_verdict, "counts_only": only_counts}
        if differs:
            category, detail = reason(r, s, checks)
            row.update(category=category, detail=detail)
            groups[category].append((name, s["status"], r_verdict, detail))
            if only_counts and r_verdict != "SKIP":
                problems += 1
        rows.append(row)

    agree = sum(1 for x in rows if "category" not in x)
    print("\n--upstream vs score.py: %d of %d cases agree; %d differ" % (agree, len(rows), len(rows) - agree))
    print("cases whose upstream checks are alert counts only (the runner supports all of them): %d, same verdict: %d"
          % (comparable, agree_comparable))
    for category in sorted(groups, key=lambda c: -len(groups[c])):
        items = groups[category]
        print("\n[%d] %s" % (len(items), category))
        for name, s, r, detail in items:
            print("  %-55s scorer %-5s runner %-4s %s" % (name, s, r, (detail or "")[:150]))

    changed = [n for n in sorted(upstream) if upstream8.get(n, {}).get("status") != upstream[n]["status"]]
    print("\ncases whose --upstream verdict changes between Suricata %s and Weir's default 8.0.0: %d"
          % (version, len(changed)))
    for n in changed:
        r8 = upstream8[n]
        why = r8.get("reason") or "; ".join(r8.get("skipped_checks") or []) or ""
        print("  %-55s %s: %-4s 8.0.0: %-4s %s" % (n, version, upstream[n]["status"], r8["status"], why[:110]))

    with open(os.path.join(out, "compare.json"), "w") as fh:
        json.dump({"scorer": {"passed": scorer_data["passed"], "failed": scorer_data["failed"]},
               "scorer_strict": {"passed": strict_data["passed"], "failed": strict_data["failed"]},
               "upstream_vs_strict_differ": mismatch_strict,
                   "runner_expected": same_line, "runner_upstream": up_line, "runner_upstream_8": up8_line,
                   "suricata_version": version, "comparable": comparable, "comparable_agree": agree_comparable,
                   "cases": rows}, fh, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
