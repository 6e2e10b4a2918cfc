"""Benchmark rmtland's batched eigenvalues and inertia against NumPy (and CuPy/torch on a GPU).

Prints a table of seconds per matrix with speed-ups over numpy.linalg.eigvalsh (and over
torch.linalg.eigvalsh on a GPU), measured in one run on one machine, and writes the rows
to a JSON file (atomically).

    python benchmarks/bench_spectra.py --device cpu --sizes 64 256 1024 --out spectra.json
"""
import argparse
import sys


from rmtland.bench import write_rows, bench_spectra, format_table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    try:
        rows = bench_spectra(args.device, args.sizes, repeats=args.repeats, dtype=args.dtype,
                             methods=args.methods)
    except (ValueError, RuntimeError) as exc:
        print(f"bench_spectra: {exc}", file=sys.stderr)
        return 2
    print(format_table(rows))
    by = {(r["n"], r["method"]): r["seconds_per_matrix"] for r in rows}
    print()
    for n in args.sizes:
        base = by.get((n, "numpy-eigvalsh"))
        for method in ("rmtland-eigvalsh", "rmtland-inertia"):
            if base and (n, method) in by:
                print(f"n={n}: {method} is {base / by[(n, method)]:.2f}x numpy-eigvalsh")
    if args.out:
        write_rows(args.out, "spectra", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
