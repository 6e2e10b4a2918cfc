"""Benchmark the network engine: batched Hessian-vector products and dense Hessian assembly
against the device's GEMM ceiling (one square matmul, measured in the same run).

Prints, per hidden width, seconds per network and the achieved GFLOP/s of the GEMMs each call
performs (counted from the code: rmtland.bench._hvp_multiply_adds) as a fraction of the
ceiling, and writes the rows to a JSON file (atomically).

    python benchmarks/bench_network.py --hidden 16 64 256 --out network.json
"""
import argparse
import sys

from rmtland.bench import bench_network, write_rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--hidden", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--directions", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    rows = bench_network(args.device, args.hidden, batch=args.batch, samples=args.samples,
                         directions=args.directions, repeats=args.repeats, dtype=args.dtype)
    print(f"{'method':<14} {'hidden':>6} {'n':>6} {'ms/network':>11} {'GFLOP/s':>9} "
          f"{'of GEMM':>8}")
    for r in rows:
        print(f"{r['method']:<14} {r.get('hidden', '-'):>6} {r['n']:>6} "
              f"{r['seconds_per_matrix'] * 1e3:>11.4g} {r['gflops']:>9.3g} "
              f"{r['fraction_of_gemm']:>8.1%}")
    if args.out:
        write_rows(args.out, "network", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
