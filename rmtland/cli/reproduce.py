"""``rmtland reproduce``: every study's figures and data (:func:`rmtland.experiments.reproduce`)."""
import json

from .. import _validate
from ._args import DEVICES, integer


def add_parser(subparsers):
    rep = subparsers.add_parser("reproduce", help="write every study's figures and data")
    rep.add_argument("--out", required=True, help="output directory")
    size = rep.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="the quick sizes (the default, as in rmtland.experiments.reproduce: "
                           "minutes on a CPU)")
    size.add_argument("--full", action="store_true", help="the full sizes (meant for a GPU)")
    rep.add_argument("--pdf", action="store_true", help="also write PDF figures")
    rep.add_argument("--theory-only", action="store_true", help="no simulation (seconds)")
    rep.add_argument("--device", default="cpu", choices=DEVICES)
    rep.add_argument("--seed", type=integer("seed", 0), default=0)
    rep.add_argument("--workers", type=integer("workers", 0), default=None,
                     help="with --full: local Dask workers (default one per CPU; 0: this "
                          "process); each figure is one point of a resumable sweep in OUT/sweep")
    rep.add_argument("--scheduler", default=None,
                     help="with --full: address of a running Dask scheduler (tcp://host:8786)")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=run)


def run(args):
    """``--workers`` and ``--scheduler`` (``--full`` only) are checked as ``rmtland sweep``
    checks them, naming the option, before any figure computes."""
    import contextlib
    from ..experiments import reproduce, sweep
    distributed = [f for f, v in (("--workers", args.workers), ("--scheduler", args.scheduler))
                   if v is not None]
    if distributed and not args.full:
        raise _validate.InputError(f"{distributed[0]} applies to --full only (the quick sizes "
                                   "run in this process)")
    if args.workers is not None and args.scheduler is None:
        sweep.check_workers(args.workers, args.device, "--workers")
    with contextlib.ExitStack() as stack:
        client = None
        if args.scheduler is not None:
            client = sweep.connect(args.scheduler, name="--scheduler")
            stack.enter_context(sweep.closing_quietly(client))
        summary = reproduce(args.out, quick=not args.full, pdf=args.pdf,
                            simulate=not args.theory_only, device=args.device, seed=args.seed,
                            workers=args.workers, client=client)
    if args.json:
        print(json.dumps(summary, allow_nan=False, default=str))
    else:
        for path in summary.get("files", []):
            print(path)
    return 0
