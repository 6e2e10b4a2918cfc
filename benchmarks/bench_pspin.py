"""Benchmark batched p-spin gradient evaluations (p = 3) against the arithmetic ceiling of the
matrix product they are made of.

For symmetrised couplings J^s (N, N, N) and B points sigma (B, N), the gradient is
p N^{-(p-1)/2} J^s[sigma, sigma]: one GEMM (N^2, N) @ (N, B) (2 N^3 B flops) and a batched
matrix-vector product (2 N^2 B flops).  The ceiling is a plain GEMM of the same shape timed in
the same run on the same device; the table gives gradient evaluations per second, achieved
GFLOP/s and the fraction of the GEMM ceiling.  Writes JSON next to the table.

    python benchmarks/bench_pspin.py --device cpu --sizes 100 300 --batch 256 --out pspin.json
"""
import argparse
import platform

import rmtland
from rmtland._backend import device_name, get_xp
from rmtland._io import write_json
from rmtland.bench import time_call
from rmtland.sampling.spinglass import (gradient, random_sphere_points, sample_couplings,
                                    symmetrize_couplings)


def _best(fn, sync, repeats):
    return time_call(fn, repeats=repeats, sync=sync)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    xp = get_xp(args.device)
    sync = (lambda: xp.cuda.Stream.null.synchronize()) if xp.__name__ == "cupy" else (lambda: None)
    rows = []
    for N in args.sizes:
        Js = symmetrize_couplings(sample_couplings(N, 3, rng=0, device=args.device))
        sigma = random_sphere_points(N, args.batch, rng=1, device=args.device)
        t_grad = _best(lambda: gradient(Js, sigma, symmetric=True), sync, args.repeats)
        A, Bm = Js.reshape(N * N, N), sigma.T.copy()
        t_gemm = _best(lambda: A @ Bm, sync, args.repeats)
        flops = 2 * N ** 3 * args.batch + 2 * N ** 2 * args.batch
        rows.append({"N": N, "p": 3, "batch": args.batch, "device": device_name(xp),
                     "seconds": t_grad, "gradients_per_second": args.batch / t_grad,
                     "gflops": flops / t_grad / 1e9,
                     "gemm_ceiling_gflops": 2 * N ** 3 * args.batch / t_gemm / 1e9,
                     "fraction_of_ceiling": (flops / t_grad) / (2 * N ** 3 * args.batch / t_gemm)})
    print(f"rmtland {rmtland.__version__}, {platform.machine()}, device {device_name(xp)}")
    print(f"{'N':>5} {'batch':>6} {'grad/s':>10} {'GFLOP/s':>9} {'GEMM GFLOP/s':>13} {'of ceiling':>10}")
    for r in rows:
        print(f"{r['N']:5d} {r['batch']:6d} {r['gradients_per_second']:10.0f} {r['gflops']:9.1f} "
              f"{r['gemm_ceiling_gflops']:13.1f} {r['fraction_of_ceiling']:10.2f}")
    if args.out:
        write_json(args.out, {"machine": platform.platform(), "rows": rows})


if __name__ == "__main__":
    main()
