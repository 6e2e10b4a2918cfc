"""Command line: ``rmtland`` (also ``python -m rmtland``).

Every computing command takes ``--json`` and then prints exactly one JSON object on stdout.
Exit codes (DESIGN.md, Contracts):

- 0: done;
- 1: an internal failure (one line on stderr; the traceback too with ``--debug``);
- 2: bad input (one line naming the parameter and its range), checked before any computing,
  the output directory included;
- 3: the requested device is unavailable (``--device gpu`` without a usable GPU);
- 130: interrupted (Ctrl-C): one line saying what was interrupted and what was kept;
- 141: stdout closed early (a broken pipe, e.g. piped into ``head``).

Each command group is one module, with its ``add_parser(subparsers)`` and its handler(s):
:mod:`~rmtland.cli.theory`, :mod:`~rmtland.cli.verify`, :mod:`~rmtland.cli.reproduce`,
:mod:`~rmtland.cli.fit`, :mod:`~rmtland.cli.spectrum`, :mod:`~rmtland.cli.simulate`,
:mod:`~rmtland.cli.sweep`, :mod:`~rmtland.cli.bench`; the shared option types are in
``rmtland/cli/_args.py``.  This module composes them (:func:`build_parser`) and maps the
outcome to the exit code (:func:`main`).
"""
import sys

from .. import _validate
from .._backend import DeviceUnavailable
from .._version import __version__
from . import bench, fit, reproduce, simulate, spectrum, sweep, theory, verify
from ._args import Parser

#: the command groups, in the order of ``rmtland --help``
GROUPS = (theory, verify, reproduce, fit, spectrum, simulate, sweep, bench)


def build_parser():
    """The ``rmtland`` parser: every group's commands; each sets ``func``, its handler."""
    p = Parser(prog="rmtland", description="Random-matrix theory of loss landscapes: "
               "analytic predictions and simulations side by side.",
               epilog="exit codes: 0 done, 1 internal failure, 2 bad input, 3 device "
                      "unavailable, 130 interrupted")
    p.add_argument("--version", action="version", version=f"rmtland {__version__}")
    p.add_argument("--debug", action="store_true",
                   help="print the traceback of an internal failure")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.add_parser(sub)
    return p


def _what(args):
    return " ".join(str(v) for v in (args.command, getattr(args, "model", None),
                                     getattr(args, "what", None)) if v)


def main(argv=None):
    """Run ``rmtland`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "out", None) is not None:
            from .._io import check_output_dir
            check_output_dir(args.out, "--out")     # before any computing
        return args.func(args)
    except _validate.InputError as exc:       # bad input, checked by the library
        print(f"rmtland: error: {exc}", file=sys.stderr)
        return 2
    except DeviceUnavailable as exc:          # --device gpu without a usable GPU
        print(f"rmtland: error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:                   # stdout closed early (e.g. piped into head)
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        kept = (f"; {args.out} holds the previous run's files, unchanged (a run's files are "
                "moved in only when complete)" if getattr(args, "out", None) else "")
        print(f"rmtland: interrupted: {_what(args)} stopped{kept}", file=sys.stderr)
        return 130
    except Exception as exc:                  # an internal failure: one line, or --debug
        if args.debug:
            import traceback
            traceback.print_exc()
        print(f"rmtland: internal error in {_what(args)}: {type(exc).__name__}: {exc}"
              + ("" if args.debug else " (rerun with --debug for the traceback)"),
              file=sys.stderr)
        return 1
