"""Benchmark the network engine (issue 20): batched Hessian-vector products and dense Hessian
assembly against the device's GEMM ceiling (one square matmul, measured in the same run), the
batched calls against rmtland's own loop over single networks (loss, gradient, H·v, blocks of
H·v, dense H and H0, one SGD epoch; B = 8 and 100 networks, widths 10 ... 400), and a
``torch.func`` H·v (vmap(jvp(grad))) on the CPU when torch is installed.

Prints the table of rmtland.bench.format_network_table and writes the rows to a JSON file
(atomically). Timings of one thread are what the issue's ratios mean:

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_network.py --out network.json
"""
import argparse
import sys

from rmtland.bench import LOOP_OPS, bench_network, format_network_table, write_rows


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
    parser.add_argument("--loop-batches", type=int, nargs="*", default=[8, 100],
                        help="B of the batched-vs-loop rows (none: skip them)")
    parser.add_argument("--loop-hidden", type=int, nargs="+", default=[10, 40, 160, 400])
    parser.add_argument("--loop-ops", nargs="+", default=list(LOOP_OPS), choices=LOOP_OPS)
    parser.add_argument("--no-torch", action="store_true", help="skip the torch.func rows")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads before timing (default: torch's own)")
    parser.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                        help="cpu: process CPU time (a shared host; with one BLAS thread)")
    parser.add_argument("--block", type=float, default=0.05,
                        help="seconds of back-to-back calls per row and round (0: one call "
                        "per round, cold caches)")
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    if args.torch_threads and not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.torch_threads)
        except ImportError:
            pass
    rows = bench_network(args.device, args.hidden, batch=args.batch, samples=args.samples,
                         directions=args.directions, repeats=args.repeats, dtype=args.dtype,
                         loop_batches=args.loop_batches, loop_hidden=args.loop_hidden,
                         loop_ops=args.loop_ops, torch=not args.no_torch, clock=args.clock,
                         block=args.block)
    print(format_network_table(rows), flush=True)
    if args.out:
        write_rows(args.out, "network", vars(args), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
