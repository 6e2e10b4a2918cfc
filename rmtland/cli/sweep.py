"""``rmtland sweep``: a grid of simulations from a TOML spec (:mod:`rmtland.experiments.sweep`)."""
import sys

from ._args import DEVICES, emit, integer


def add_parser(subparsers):
    sw = subparsers.add_parser("sweep", help="a grid of simulations from a TOML spec, in this "
                               "process or on Dask; resumable")
    sw.add_argument("spec", help="the spec (TOML): kind, grid, seeds (see rmtland.experiments."
                    "sweep and simulations/sweep_*.toml)")
    sw.add_argument("--out", required=True, help="output directory (points/, table, result.json)")
    sw.add_argument("--workers", type=integer("workers", 0), default=None,
                    help="local Dask workers (default: one per CPU, one per GPU with dask-cuda);"
                         " 0: one point after another in this process")
    sw.add_argument("--scheduler", default=None,
                    help="address of a running Dask scheduler, e.g. tcp://host:8786")
    sw.add_argument("--device", default=None, choices=DEVICES,
                    help="where the points run (default: the spec's device, else cpu)")
    sw.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    sw.add_argument("--json", action="store_true", help="print one JSON object (the summary)")
    sw.set_defaults(func=run)


def run(args):
    """The spec, ``--workers`` and ``--scheduler`` are checked (exit 2, naming the option)
    before anything starts; Ctrl-C exits 130 with one line, the finished points kept; a table
    writer that fails exits 1 with one line, the other tables and ``result.json`` written."""
    import contextlib
    from ..experiments import sweep
    spec = sweep.parse_spec(sweep.load_spec(args.spec), args.spec)
    device = args.device or spec.device or "cpu"
    if args.workers is not None and args.scheduler is None:
        sweep.check_workers(args.workers, device, "--workers")
    try:
        with contextlib.ExitStack() as stack:
            client = None
            if args.scheduler is not None:
                client = sweep.connect(args.scheduler, name="--scheduler")
                stack.enter_context(sweep.closing_quietly(client))
            summary = sweep.run_sweep(spec, args.out, workers=args.workers, client=client,
                                      device=args.device, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(f"rmtland: interrupted: sweep stopped; the finished points are kept in "
              f"{args.out}/points (rerun the same command to finish)", file=sys.stderr)
        return 130
    summary.pop("rows")

    def human(s):
        return (f"{s['kind']} sweep: {s['done']}/{s['total']} points done ({s['skipped']} "
                f"found done, {s['failed']} failed) in {s['seconds']:.1f} s "
                f"({s['runner']}); table {s['table']}")
    emit(summary, args.json, human)
    if summary["table_errors"]:
        print("rmtland: error: the table could not be written as "
              + "; ".join(f"{fmt} ({err})" for fmt, err in summary["table_errors"].items())
              + f"; the other formats and {args.out}/result.json are written",
              file=sys.stderr)
        return 1
    if summary["failed"]:
        print(f"rmtland: {summary['failed']} of {summary['total']} points failed; their "
              f"errors are in {args.out}/result.json and the table", file=sys.stderr)
        return 1
    return 0
