"""Benchmark the analytic layer on the CPU: the Pennington–Bahri density on 10^4 points and
the index alpha(eps, phi) at one point (goals: under 10 ms and 1 ms).

Each timing is the median of repeated calls in one run on one machine, including the
construction of the law (support edges by root finding).  The algebraic FreeSum route (sympy
polynomial, generic roots) is timed beside it for comparison.  Writes JSON next to the table.

    python benchmarks/bench_theory.py --out theory_bench.json
"""
import argparse
import platform
import statistics

import numpy as np

import rmtland
from rmtland._io import write_json
from rmtland.bench import time_call
from rmtland.analytic import FreeSum, MarchenkoPastur, PenningtonBahri, Semicircle, index


def _median_seconds(f, repeats):
    return time_call(f, repeats=repeats, stat=statistics.median)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phi", type=float, default=0.5)
    parser.add_argument("--eps", type=float, default=0.1)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)

    phi, eps = args.phi, args.eps
    law = PenningtonBahri(phi, eps)
    a, b = law.support()[0][0], law.support()[-1][1]
    x = np.linspace(a - 0.1 * (b - a), b + 0.1 * (b - a), args.points)
    fs = FreeSum(MarchenkoPastur(phi), Semicircle(2 * eps))
    rows = [
        {"task": f"density on {args.points} points (law built once)", "method": "PenningtonBahri",
         "seconds": _median_seconds(lambda: law.density(x), args.repeats), "goal_seconds": 0.01},
        {"task": f"density on {args.points} points (law built once)", "method": "FreeSum (sympy)",
         "seconds": _median_seconds(lambda: fs.density(x), args.repeats), "goal_seconds": None},
        {"task": "index at one (phi, eps), law built each call", "method": "index(eps, phi)",
         "seconds": _median_seconds(lambda: index(eps, phi), args.repeats), "goal_seconds": 0.001},
        {"task": "index at one (phi, eps), law built once", "method": "FreeSum quadrature",
         "seconds": _median_seconds(lambda: fs.integrate(np.ones_like, upper=0.0), args.repeats),
         "goal_seconds": None},
    ]
    print(f"rmtland {rmtland.__version__}, {platform.processor() or platform.machine()}, "
          f"phi={phi}, eps={eps}")
    print(f"{'task':48s} {'method':18s} {'ms':>9s} {'goal ms':>8s}")
    for r in rows:
        goal = "" if r["goal_seconds"] is None else f"{1e3 * r['goal_seconds']:.0f}"
        print(f"{r['task']:48s} {r['method']:18s} {1e3 * r['seconds']:9.3f} {goal:>8s}")
    if args.out:
        write_json(args.out, {"phi": phi, "eps": eps, "machine": platform.platform(),
                              "version": rmtland.__version__, "rows": rows})


if __name__ == "__main__":
    main()
