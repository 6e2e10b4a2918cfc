"""Validate the outlier rules of rmtland.compare.trained on synthetic spiked matrices with a
planted number of outliers (issue 18): for each rule, bulk, spike kind, rank r and strength
(a multiple of the BBP threshold; below 1 no outlier separates) the fraction of draws in which
the rule counts exactly the planted number.  A rule is valid where it recovers it in >= 95%
of the draws above the threshold.  The table generator is
:func:`rmtland.compare.trained.outlier_rule_recovery` (shared with tests/test_outlier_rules.py).

    python benchmarks/validate_outlier_rules.py --n 300 1000 --draws 40 --out rules.json

Prints one Markdown table per n (recovery fraction, and the mean count in brackets), the
pass/fail summary and a compact table (lowest recovery over r); writes the rows as JSON with
--out.  ``--from-json FILE`` reprints the tables of a saved run.
"""
import argparse
import json
import os
import time

import rmtland
from rmtland._io import write_json
from rmtland.compare import trained as cmp


def _table(res):
    rules = list(res["passes"])
    lines = [f"n = {res['n']}, {res['draws']} draws per row, seed {res['seed']}", "",
             "| bulk | spike | r | strength | expected | " + " | ".join(rules) + " |",
             "|---|---|---|---|---|" + "---|" * len(rules)]
    for row in res["rows"]:
        cells = []
        for k in rules:
            m = row["mean_count"][k]
            cells.append(f"{row['recovery'][k]:.2f} ({'refused' if m is None else f'{m:.1f}'})")
        lines.append(f"| {row['bulk']} | {row['spike']} | {row['r']} | {row['strength']:g}x "
                     f"| {row['expected']} | " + " | ".join(cells) + " |")
    lines += ["", "pass (recovery >= 0.95 in every row above the threshold, per bulk/spike and "
              "strength):", ""]
    tags = list(next(iter(res["passes"].values())))
    lines.append("| rule | " + " | ".join(tags) + " |")
    lines.append("|---|" + "---|" * len(tags))
    for k, ok in res["passes"].items():
        lines.append(f"| {k} | " + " | ".join("pass" if ok[t] else "FAIL" for t in tags) + " |")
    lines += ["", "compact: the lowest recovery over r, per bulk/spike (rows) and rule x "
              "strength:", ""]
    strengths = sorted({r["strength"] for r in res["rows"]})
    lines.append("| bulk/spike | " + " | ".join(f"{k} {x:g}x" for k in rules for x in strengths)
                 + " |")
    lines.append("|---|" + "---|" * (len(rules) * len(strengths)))
    for tag in dict.fromkeys((r["bulk"], r["spike"]) for r in res["rows"]):
        cells = [min(r["recovery"][k] for r in res["rows"]
                     if (r["bulk"], r["spike"], r["strength"]) == (*tag, x))
                 for k in rules for x in strengths]
        lines.append(f"| {tag[0]}/{tag[1]} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 3, 9])
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.8, 1.5, 3.0])
    parser.add_argument("--bulks", nargs="+", default=list(cmp.RECOVERY_BULKS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    parser.add_argument("--from-json", default=None, help="reprint the tables of a saved run")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            for res in json.load(f)["results"]:
                print(_table(res), "\n")
        return 0
    results = []
    for n in args.n:
        t0 = time.perf_counter()
        res = cmp.outlier_rule_recovery(n=n, draws=args.draws, ranks=args.ranks,
                                        strengths=args.strengths, bulks=args.bulks,
                                        seed=args.seed)
        res["seconds"] = time.perf_counter() - t0
        results.append(res)
        print(_table(res), f"\n({res['seconds']:.0f} s)\n", flush=True)
    if args.out:
        write_json(args.out, {"rmtland_version": rmtland.__version__,
                              "default_rule": cmp.DEFAULT_RULE,
                              "rules": {k: {"valid": v, "reason": r}
                                        for k, (v, r) in cmp.RULES.items()},
                              "edge_window": cmp.EDGE_WINDOW, "edge_margin": cmp.EDGE_MARGIN,
                              "kmax": cmp.KMAX, "results": results,
                              "threads": os.environ.get("OPENBLAS_NUM_THREADS")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
