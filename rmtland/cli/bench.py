"""``rmtland bench spectra|sampling``: the performance tables of :mod:`rmtland.bench`."""
import json

from ._args import DEVICES, Parser, integer


def add_parser(subparsers):
    bench = subparsers.add_parser("bench", help="performance tables")
    bsub = bench.add_subparsers(dest="what", required=True, parser_class=Parser)
    bs = bsub.add_parser("spectra", help="eigenvalues and inertia, seconds per matrix")
    bs.add_argument("--device", default="cpu", choices=DEVICES)
    bs.add_argument("--sizes", type=integer("size", 1), nargs="+", default=[64, 256, 1024])
    bs.add_argument("--repeats", type=integer("repeats", 1), default=3)
    bs.add_argument("--json", action="store_true")
    bs.set_defaults(func=run)
    bm = bsub.add_parser("sampling", help="sample_hessian against the plain NumPy loop, "
                         "seconds per matrix")
    bm.add_argument("--device", default="cpu", choices=DEVICES)
    bm.add_argument("--sizes", type=integer("size", 1), nargs="+",
                    default=[64, 128, 256, 512, 1024])
    bm.add_argument("--repeats", type=integer("repeats", 1), default=3)
    bm.add_argument("--json", action="store_true")
    bm.set_defaults(func=run)
    # ``bench network`` (rmtland.bench.bench_network) goes here: its parser
    # (bsub.add_parser("network", ...), options as bench_network takes them, set_defaults with
    # its own handler) and a help file tests/data/cli_help/rmtland_bench_network.txt
    # (python tests/test_cli_split.py; rmtland_bench.txt changes too)


def run(args):
    """``bench spectra`` and ``bench sampling``: the rows, as JSON or as a table."""
    from .. import bench
    table = {"spectra": bench.bench_spectra, "sampling": bench.bench_sampling}[args.what]
    rows = table(args.device, args.sizes, repeats=args.repeats)
    if args.json:
        print(json.dumps({"rows": rows}, allow_nan=False))
    else:
        print(bench.format_table(rows))
    return 0
