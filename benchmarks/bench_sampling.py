"""Benchmark rmtland's batched sampler (default chunking) against the plain NumPy loop.

Prints seconds per Pennington–Bahri matrix H0 + H1 for ``rmtland.sampling.sample_hessian`` and
for the obvious loop over matrices, with the ratio, measured in one run on one machine, and
writes the rows to a JSON file (atomically).  The default CPU chunk is meant to keep the
ratio at or above 1.0x at every size.

    python benchmarks/bench_sampling.py --sizes 64 128 256 512 1024 --out sampling.json
"""
import argparse
import sys


from rmtland.bench import write_rows, bench_sampling, format_table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    rows = bench_sampling(args.device, args.sizes, repeats=args.repeats)
    print(format_table(rows, baselines=("plain-numpy-loop",)))
    if args.out:
        write_rows(args.out, "sampling", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
