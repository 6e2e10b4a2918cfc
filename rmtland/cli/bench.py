"""``rmtland bench spectra|sampling|network``: the performance tables of :mod:`rmtland.bench`."""
import json

from .. import _validate
from .._backend import describe_blas, host_blas
from ._args import DEVICES, Parser, checked, integer


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
    from ..bench import LOOP_OPS      # light: numpy and the linalg layer
    bn = bsub.add_parser("network", help="network engine: H.v, blocks, dense Hessians against "
                         "the GEMM ceiling; batched against the loop over single networks; "
                         "torch.func")
    bn.add_argument("--device", default="cpu", choices=DEVICES)
    bn.add_argument("--hidden", type=integer("hidden", 1), nargs="+", default=[16, 64, 256])
    bn.add_argument("--batch", type=integer("batch", 1), default=8)
    bn.add_argument("--samples", type=integer("samples", 1), default=256)
    bn.add_argument("--directions", type=integer("directions", 1), default=32)
    bn.add_argument("--repeats", type=integer("repeats", 1), default=3)
    bn.add_argument("--loop-batches", type=integer("loop-batches", 1), nargs="*",
                    default=[8, 100], help="B of the batched-vs-loop rows (none: no such rows)")
    bn.add_argument("--loop-hidden", type=integer("loop-hidden", 1), nargs="+",
                    default=[10, 40, 160, 400])
    bn.add_argument("--loop-ops", nargs="+", default=list(LOOP_OPS), choices=LOOP_OPS)
    bn.add_argument("--no-torch", action="store_true", help="leave out the torch.func row")
    bn.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                    help="wall time, or process CPU time (for an oversubscribed host)")
    bn.add_argument("--block", type=checked(float, lambda v: _validate.nonnegative(
                        "block", v, 10.0)), default=0.05,
                    help="seconds of back-to-back calls per row and round (0: one call per "
                    "round, cold caches)")
    bn.add_argument("--json", action="store_true")
    bn.set_defaults(func=run_network)

def run(args):
    """``bench spectra`` and ``bench sampling``: the rows, as JSON or as a table."""
    from .. import bench
    table = {"spectra": bench.bench_spectra, "sampling": bench.bench_sampling}[args.what]
    rows = table(args.device, args.sizes, repeats=args.repeats)
    _print(bench, rows, args.json)
    return 0


def run_network(args):
    """``bench network``: :func:`rmtland.bench.bench_network`, as JSON or as a table."""
    from .. import bench
    rows = bench.bench_network(args.device, args.hidden, batch=args.batch, samples=args.samples,
                               directions=args.directions, repeats=args.repeats,
                               loop_batches=args.loop_batches, loop_hidden=args.loop_hidden,
                               loop_ops=args.loop_ops, torch=not args.no_torch,
                               clock=args.clock, block=args.block)
    _print(bench, rows, args.json)
    return 0


def _print(bench, rows, as_json):
    """The rows as JSON (with the host's BLAS, :func:`rmtland._backend.host_blas`) or as a
    table with the BLAS below (its kernels set the GEMM rates on the CPU)."""
    blas = host_blas()
    if as_json:
        print(json.dumps({"rows": rows, "blas": blas}, allow_nan=False))
        return
    print(bench.format_table(rows))
    if blas:
        print(f"\nBLAS: {describe_blas(blas)}")
