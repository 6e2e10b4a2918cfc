"""Matrix-free spectra of Pennington-Bahri Hessians against the theory and against dense
eigvalsh: seconds against n, index error and KS distance with their error bars, and the
achieved bandwidth of the block product.

For each n: the operator is the exact distributional shortcut (Laguerre tridiagonal + GOE in
stored upper tiles, ``rmtland.sampling.hessian.hessian_operator``); SLQ (and KPM up to
``--kpm-max``) estimate density, CDF and index (``rmtland.linalg.spectral.spectrum``), compared
with the free-probability law at the realised ratio (``compare_hessian_estimate``).  Dense rows
time ``numpy.linalg.eigvalsh`` of the same matrix (materialised, float64) up to
``--dense-max``; beyond that the dense time is extrapolated as c n^3 from the largest measured
size (said so in the row).  Bandwidth: bytes of the stored tiles read per block product over
its time, beside the host copy ceiling (``numpy.copyto`` of 1 GiB: read + write) measured in
the same run.

    python benchmarks/bench_matfree.py --sizes 1000 2000 5000 10000 20000 --out matfree.json

Extreme eigenpairs (``--eigen-n N``, 0 to skip; ``--eigen-only`` skips the rows above): on a
float64 PB operator of size N, ``rmtland.linalg.eigen.eigenpairs`` against
``scipy.sparse.linalg.eigsh`` (the same operator as a ``LinearOperator``, its products
counted; the same tolerance and a seeded start) for k = 1, 5, 10 at each end and at both
(BE from k = 2: ARPACK refuses k = 1), interleaved, ``--eigen-repeats`` seeds each: the
largest error against dense ``eigvalsh`` of the materialised matrix, products (ours include
the final residual product of the k vectors), seconds; and ``lanczos_extremes`` (40 steps,
one probe) for reference.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_matfree.py --eigen-only --eigen-n 2000
"""
import argparse
import time

import numpy as np

from rmtland.bench import write_rows
from rmtland.compare.hessian import compare_hessian_estimate
from rmtland.analytic.hessian import PenningtonBahri
from rmtland.linalg.eigen import eigenpairs
from rmtland.linalg.spectral import lanczos_extremes, spectrum
from rmtland.sampling.hessian import hessian_m, hessian_operator


def copy_ceiling(nbytes=2 ** 30):
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    np.copyto(b, a)
    t0 = time.perf_counter()
    for _ in range(3):
        np.copyto(b, a)
    return 3 * 2 * a.nbytes / (time.perf_counter() - t0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000, 20000])
    p.add_argument("--phi", type=float, default=0.5)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--probes", type=int, default=16)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--degree", type=int, default=120)
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--dense-max", type=int, default=4000)
    p.add_argument("--kpm-max", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eigen-n", type=int, default=2000)
    p.add_argument("--eigen-tol", type=float, default=1e-10)
    p.add_argument("--eigen-repeats", type=int, default=3)
    p.add_argument("--eigen-only", action="store_true")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    rows = eigen_rows(a) if a.eigen_n else []
    if a.eigen_only:
        if a.out:
            write_rows(a.out, "matfree", argv, rows)
        return
    ceiling = copy_ceiling()
    print(f"host copy ceiling {ceiling / 1e9:.2f} GB/s")
    dense_ref = None
    for n in a.sizes:
        t0 = time.perf_counter()
        op = hessian_operator(n, a.phi, a.eps, rng=a.seed, dtype=a.dtype)
        build = time.perf_counter() - t0
        law = PenningtonBahri(n / hessian_m(n, a.phi), a.eps)
        lo, hi = law.support()[0][0], law.support()[-1][1]
        x = np.linspace(lo - 0.3, hi + 0.3, 600)
        V = np.ones((n, a.probes), dtype=a.dtype)
        op.matvec(V)
        t0 = time.perf_counter()
        for _ in range(3):
            op.matvec(V)
        t_mv = (time.perf_counter() - t0) / 3
        T = -(-n // 2048)
        tile_bytes = sum(min(2048, n - I * 2048) * min(2048, n - J * 2048)
                         for I in range(T) for J in range(I, T)) * np.dtype(a.dtype).itemsize
        for method in ("slq", "kpm"):
            if method == "kpm" and n > a.kpm_max:
                continue
            r = spectrum(op, method=method, probes=a.probes, steps=a.steps, degree=a.degree,
                         x=x, rng=a.seed + 1)
            c = compare_hessian_estimate(x, r["per_probe"]["cdf"], r["per_probe"]["index"],
                                         a.phi, a.eps, n, index_bias_bound=r["index_bias_bound"])
            row = {"n": n, "method": method, "dtype": a.dtype, "probes": a.probes,
                   ("steps" if method == "slq" else "degree"):
                       a.steps if method == "slq" else a.degree,
                   "matvecs": r["matvecs"], "seconds_build": build,
                   "seconds_estimate": r["seconds"], "seconds": build + r["seconds"],
                   "index": c["empirical_index"], "index_stderr": c["index_stderr"],
                   "theory_index": c["theory_index"],
                   "index_error": c["empirical_index"] - c["theory_index"],
                   "index_bias_bound": c["index_bias_bound"], "ks": c["ks_distance"],
                   "ks_stderr": c["ks_stderr"], "block_matvec_seconds": t_mv,
                   "bandwidth_GBs": tile_bytes / t_mv / 1e9, "copy_ceiling_GBs": ceiling / 1e9}
            rows.append(row)
            print({k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()},
                  flush=True)
        if n <= a.dense_max:
            H = op.matvec(np.eye(n, dtype=a.dtype)).astype(np.float64)
            t0 = time.perf_counter()
            ev = np.linalg.eigvalsh(H)
            dense_ref = (n, time.perf_counter() - t0)
            del H
            rows.append({"n": n, "method": "dense-eigvalsh", "dtype": "float64",
                         "seconds": dense_ref[1], "measured": True,
                         "index": float(np.mean(ev < 0)),
                         "theory_index": law.index()})
        elif dense_ref is not None:
            rows.append({"n": n, "method": "dense-eigvalsh", "dtype": "float64",
                         "seconds": dense_ref[1] * (n / dense_ref[0]) ** 3, "measured": False,
                         "note": f"extrapolated as n^3 from n = {dense_ref[0]}"})
        print(rows[-1], flush=True)
        del op
    dense = {r["n"]: r["seconds"] for r in rows if r["method"] == "dense-eigvalsh"}
    print(f"\n{'n':>7} {'method':6} {'s':>8} {'x dense':>8} {'matvecs':>8} {'index err':>10} "
          f"{'s.e.':>8} {'bound':>8} {'KS':>8} {'KS s.e.':>8} {'GB/s':>6}")
    for r in rows:
        if r["method"] in ("dense-eigvalsh", "eigenpairs", "eigsh", "lanczos_extremes"):
            continue
        sp = dense.get(r["n"])
        print(f"{r['n']:7d} {r['method']:6} {r['seconds']:8.2f} "
              f"{(sp / r['seconds'] if sp else float('nan')):8.1f} {r['matvecs']:8d} "
              f"{r['index_error']:10.2e} {r['index_stderr']:8.1e} {r['index_bias_bound']:8.1e} "
              f"{r['ks']:8.1e} {r['ks_stderr']:8.1e} {r['bandwidth_GBs']:6.2f}")
    if a.out:
        write_rows(a.out, "matfree", argv, rows)


def eigen_rows(a):
    """eigenpairs against eigsh and lanczos_extremes (module notes); prints a table."""
    from scipy.sparse.linalg import LinearOperator, eigsh
    n = a.eigen_n
    op = hessian_operator(n, a.phi, a.eps, rng=a.seed, dtype="float64")
    ev = np.linalg.eigvalsh(op.matvec(np.eye(n)))
    count = [0]

    def mv(x):
        count[0] += 1 if x.ndim == 1 else x.shape[1]
        return op.matvec(x)
    L = LinearOperator((n, n), matvec=mv, matmat=mv, dtype=np.float64)
    rows = []
    for k in (1, 5, 10):
        for which in ("LA", "SA", "BE"):
            if which == "BE" and k == 1:
                continue
            lo = {"LA": 0, "SA": k, "BE": k // 2}[which]
            exact = np.concatenate([ev[:lo], ev[n - (k - lo):]])
            for rep in range(a.eigen_repeats):
                seed = a.seed + 100 + rep
                t0 = time.perf_counter()
                r = eigenpairs(op, k, which=which, tol=a.eigen_tol, rng=seed)
                t_ours = time.perf_counter() - t0
                count[0] = 0
                t0 = time.perf_counter()
                w = eigsh(L, k=k, which=which, tol=a.eigen_tol, return_eigenvectors=False,
                          v0=np.random.default_rng(seed).standard_normal(n))
                t_eigsh = time.perf_counter() - t0
                common = {"n": n, "k": k, "which": which, "tol": a.eigen_tol, "seed": seed}
                rows.append({**common, "method": "eigenpairs", "matvecs": r["matvecs"],
                             "error": float(np.max(np.abs(r["eigenvalues"] - exact))),
                             "max_residual": float(np.max(r["residuals"])),
                             "converged": bool(r["converged"].all()), "seconds": t_ours})
                rows.append({**common, "method": "eigsh", "matvecs": count[0],
                             "error": float(np.max(np.abs(np.sort(w) - exact))),
                             "seconds": t_eigsh})
    for rep in range(a.eigen_repeats):
        ext = lanczos_extremes(op, rng=a.seed + 100 + rep)
        rows.append({"n": n, "method": "lanczos_extremes", "k": 1, "which": "BE", "seed": rep,
                     "matvecs": ext["matvecs"], "seconds": None,
                     "error": max(abs(ext["lambda_min"] - ev[0]), abs(ext["lambda_max"] - ev[-1])),
                     "error_min": abs(ext["lambda_min"] - ev[0]),
                     "error_max": abs(ext["lambda_max"] - ev[-1])})
    print(f"\n{'k':>3} {'which':5} {'ours err':>9} {'eigsh err':>9} {'ours mv':>8} "
          f"{'eigsh mv':>8} {'mv ratio':>8} {'time ratio':>10}")
    for k in (1, 5, 10):
        for which in ("LA", "SA", "BE"):
            o, e = ([r for r in rows if r["method"] == meth and (r["k"], r["which"]) == (k, which)]
                    for meth in ("eigenpairs", "eigsh"))
            if not o:
                continue
            mo, me = np.mean([r["matvecs"] for r in o]), np.mean([r["matvecs"] for r in e])
            print(f"{k:3d} {which:5} {max(r['error'] for r in o):9.1e} "
                  f"{max(r['error'] for r in e):9.1e} {mo:8.0f} {me:8.0f} {mo / me:8.2f} "
                  f"{sum(r['seconds'] for r in o) / sum(r['seconds'] for r in e):10.2f}")
    x = [r for r in rows if r["method"] == "lanczos_extremes"]
    print(f"lanczos_extremes: {x[0]['matvecs']} products, lambda_min error "
          f"{max(r['error_min'] for r in x):.1e}, lambda_max error "
          f"{max(r['error_max'] for r in x):.1e}")
    return rows


if __name__ == "__main__":
    main()
