"""Benchmark the lowest k+1 GOE eigenvalues: Dumitriu–Edelman tridiagonal model + Sturm bisection
(rmtland.sampling.goe_tridiagonal) against a dense GOE + eigvalsh, and against the tridiagonal
model + scipy.linalg.eigh_tridiagonal(select="i") one matrix at a time.

Seconds per sample (matrix), sampling included, best of ``--repeats`` runs in one process on one
machine; every method's lowest eigenvalues are checked to agree in law (mean of lambda_0 within
a few standard errors).  Writes JSON next to the printed table.

    python benchmarks/bench_goe_tridiagonal.py --out goe_tridiagonal_bench.json
"""
import argparse
import platform

import numpy as np

import rmtland
from rmtland._backend import get_xp, to_numpy
from rmtland._io import write_json
from rmtland.bench import time_call
from rmtland.linalg import lowest_eigenvalues
from rmtland.sampling import sample_goe, sample_goe_tridiagonal


def _best(f, repeats):
    out = []
    best = time_call(lambda: out.append(f()), repeats=repeats, warmup=lambda: None)
    return best, out[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 800])
    parser.add_argument("--k", type=int, default=0, help="index: the lowest k+1 eigenvalues")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    m = args.k + 1
    xp = get_xp(args.device)
    from scipy.linalg import eigh_tridiagonal

    rows = []
    for N in args.sizes:
        batch_tri = max(20, min(2000, 200_000 // N))
        batch_dense = max(4, min(1000, 20_000_000 // N ** 2))
        batch_scipy = max(20, min(500, 50_000 // N))

        def tri():
            d, e = sample_goe_tridiagonal(N, batch=batch_tri, rng=1, device=args.device)
            return to_numpy(lowest_eigenvalues(d, e, m))

        def dense():
            H = sample_goe(N, batch=batch_dense, var=0.5, rng=2, device=args.device)
            return to_numpy(xp.linalg.eigvalsh(H)[:, :m])

        def scipy_tri():
            d, e = sample_goe_tridiagonal(N, batch=batch_scipy, rng=3)
            return np.array([eigh_tridiagonal(d[i], e[i], eigvals_only=True, select="i",
                                              select_range=(0, m - 1)) for i in range(len(d))])

        for method, f, b in (("tridiagonal + Sturm bisection", tri, batch_tri),
                             ("tridiagonal + scipy eigh_tridiagonal", scipy_tri, batch_scipy),
                             ("dense GOE + eigvalsh", dense, batch_dense)):
            sec, lam = _best(f, args.repeats)
            lam0 = lam[:, 0]
            rows.append({"N": N, "k": args.k, "method": method, "batch": b,
                         "seconds_per_sample": sec / b,
                         "mean_lambda0": float(lam0.mean()),
                         "se_lambda0": float(lam0.std(ddof=1) / np.sqrt(lam0.size))})
        ref = rows[-1]["seconds_per_sample"]
        for r in rows[-3:]:
            r["speedup_vs_dense"] = ref / r["seconds_per_sample"]

    print(f"rmtland {rmtland.__version__}, {platform.processor() or platform.machine()}, "
          f"device={args.device}, lowest {m} eigenvalue(s)")
    print(f"{'N':>5s} {'method':38s} {'batch':>6s} {'ms/sample':>10s} {'x dense':>8s} "
          f"{'E lambda0 (se)':>20s}")
    for r in rows:
        print(f"{r['N']:5d} {r['method']:38s} {r['batch']:6d} "
              f"{1e3 * r['seconds_per_sample']:10.4f} {r['speedup_vs_dense']:8.1f} "
              f"{r['mean_lambda0']:10.4f} ({r['se_lambda0']:.4f})")
    if args.out:
        write_json(args.out, {"benchmark": "goe_tridiagonal", "device": args.device,
                              "machine": platform.machine(), "version": rmtland.__version__,
                              "rows": rows})
        print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
