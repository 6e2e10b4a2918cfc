r"""The runner shared by every study: the figure registry, output files, ``run_figure`` (one
figure plus ``result.json``), ``figure_main`` (the ``simulations/fig_*.py`` command line) and
``reproduce`` (every figure and the data files of every domain).

A domain module (:mod:`~rmtland.experiments.hessian`, :mod:`~rmtland.experiments.spinglass`)
registers its figures with :func:`register` and its data files with :func:`register_data`;
nothing here knows a domain.  Each figure function has the signature
``figure_<name>(out, quick=True, *, smoke=False, pdf=False, ...)`` and returns::

    {"name": ..., "claim": ..., "files": [paths], "parameters": {...},
     "summary": {... JSON-safe numbers ...}, "curves": {... arrays drawn ...}}

Every number in ``summary`` is computed (by :mod:`rmtland.compare` or the study), then handed
to :mod:`rmtland.plotting`; none is read back from a figure.

Levels: ``"smoke"`` (tests, seconds), ``"quick"`` (the CPU default, minutes) and ``"full"``
(sized for a GPU).
"""
import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from .._validate import InputError
from .._version import __version__
from .._backend import device_name, get_xp
from .._io import save_figure, write_json

__all__ = ["FIGURES", "DATA", "register", "register_data", "level", "versions", "save",
           "run_figure", "figure_main", "reproduce", "record"]

#: what a figure needs: "theory" (no device, no seed), "simulation" (always simulates) or
#: "both" (theory with the simulation drawn over it unless ``simulate=False``)
KINDS = ("theory", "simulation", "both")


@dataclass(frozen=True)
class Figure:
    """A registered figure: its function, the claim it shows, and its kind (:data:`KINDS`)."""
    func: object
    claim: str
    kind: str


#: figure name -> :class:`Figure`, in registration order (the order of ``reproduce``)
FIGURES = {}
#: data writers: ``f(records, level, simulate, device, seed) -> (files, summary)`` with
#: ``files`` a mapping file name -> JSON object and ``summary`` entries for reproduce's return
DATA = []


def register(name, claim, kind):
    """Decorator: add a figure function to :data:`FIGURES`."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")

    def deco(func):
        FIGURES[name] = Figure(func, " ".join(claim.split()), kind)
        return func
    return deco


def register_data(func):
    """Decorator: add a data writer to :data:`DATA` (called by :func:`reproduce`)."""
    DATA.append(func)
    return func


def level(quick, smoke):
    """``"smoke"``, ``"quick"`` or ``"full"``."""
    return "smoke" if smoke else ("quick" if quick else "full")


def versions():
    """Versions of rmtland, its dependencies and Python, for every result file."""
    import matplotlib
    import scipy
    return {"rmtland": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "matplotlib": matplotlib.__version__, "python": platform.python_version()}


def save(fig, out, stem, pdf):
    """``out/stem.png`` (and ``.pdf``), atomically; returns the paths written."""
    from ..plotting import SAVE_KWARGS
    paths = [os.path.join(out, stem + ".png")]
    if pdf:
        paths.append(os.path.join(out, stem + ".pdf"))
    for path in paths:
        save_figure(fig, path, **SAVE_KWARGS)
    return paths


def record(result, seconds):
    """JSON-safe part of a figure result (the arrays in ``curves`` stay out)."""
    return {"figure": result["name"], "claim": " ".join(result["claim"].split()),
            "files": [os.path.basename(f) for f in result["files"]],
            "parameters": result["parameters"], "seconds": round(seconds, 3),
            "summary": result["summary"]}


def _kwargs(kind, simulate, device, seed):
    if kind == "theory":
        return {}
    if kind == "simulation":
        return {"device": device, "seed": seed}
    return {"simulate": simulate, "device": device, "seed": seed}


def run_figure(name, out, *, quick=True, smoke=False, pdf=False, **kwargs):
    """Make one figure of :data:`FIGURES` in ``out`` and write ``out/result.json`` (its
    parameters, versions, timing and the numbers behind it).  Returns the figure's dict with
    ``"result_json"`` added."""
    if name not in FIGURES:
        raise InputError(f"name must be one of {sorted(FIGURES)}, got {name!r}")
    t0 = time.perf_counter()
    result = FIGURES[name].func(out, quick, smoke=smoke, pdf=pdf, **kwargs)
    seconds = time.perf_counter() - t0
    path = os.path.join(out, "result.json")
    write_json(path, {"rmtland_version": __version__, "versions": versions(),
                      **record(result, seconds)})
    result["result_json"] = path
    result["files"] = result["files"] + [path]
    return result


def figure_main(name, doc, argv=None):
    """The command line shared by the ``simulations/fig_*.py`` scripts: parse ``argv``, make
    figure ``name`` with :func:`run_figure` (simulation drawn over the theory unless
    ``--theory-only``), print the paths written; returns the exit code."""
    import argparse
    kind = FIGURES[name].kind
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=f"results/{name}",
                        help=f"output directory (default: results/{name})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds; for tests)")
    parser.add_argument("--full", action="store_true", help="full sizes (meant for a GPU)")
    parser.add_argument("--pdf", action="store_true", help="also write a PDF of the figure")
    if kind != "theory":
        parser.add_argument("--device", default="cpu", choices=["cpu", "gpu", "auto"])
        parser.add_argument("--seed", type=int, default=0)
    if kind == "both":
        parser.add_argument("--theory-only", action="store_true", help="no simulation")
    args = parser.parse_args(argv)
    kwargs = _kwargs(kind, not getattr(args, "theory_only", False),
                     getattr(args, "device", "cpu"), getattr(args, "seed", 0))
    result = run_figure(name, args.out, quick=not args.full, smoke=args.smoke, pdf=args.pdf,
                        **kwargs)
    for path in result["files"]:
        print(path)
    return 0


def reproduce(out, quick=True, *, pdf=False, smoke=False, simulate=True, device="cpu", seed=0):
    r"""Write every figure of :data:`FIGURES` and every domain's data files into ``out``; with
    ``simulate`` (default) the figures carry the simulation over the theory.

    Parameters
    ----------
    out : str or path
        Output directory (created).
    quick : bool
        ``True`` (default): the "quick" sizes (minutes on a CPU); ``False``: "full".
    pdf : bool
        Also write a PDF of every figure.
    smoke : bool
        Tiny sizes (tests).
    simulate : bool
        Run the simulations (figures of kind "simulation" are skipped without it).
    device : {"cpu", "gpu", "auto"}
        Where the simulations run.
    seed : int
        Root of every figure's ``SeedSequence``.

    Returns
    -------
    dict
        JSON-safe summary: ``out``, ``files`` (every path written), ``rmtland_version``,
        ``level``, ``seconds`` (per figure and total), plus what the data writers add
        (``table`` for the Hessian).
    """
    out = os.fspath(out)
    lvl = level(quick, smoke)
    t_start = time.perf_counter()
    if simulate:
        device = device_name(get_xp(device))    # a missing GPU fails before any work
    files, records, seconds = [], {}, {}
    for name, fig in FIGURES.items():
        if fig.kind == "simulation" and not simulate:
            continue
        t0 = time.perf_counter()
        result = fig.func(out, quick, smoke=smoke, pdf=pdf,
                          **_kwargs(fig.kind, simulate, device, seed))
        seconds[name] = round(time.perf_counter() - t0, 3)
        files += result["files"]
        records[name] = record(result, seconds[name])
    summary = {}
    for writer in DATA:
        data_files, extra = writer(records, lvl, simulate, device, seed)
        for filename, obj in data_files.items():
            path = os.path.join(out, filename)
            write_json(path, obj)
            files.append(path)
        summary.update(extra)
    seconds["total"] = round(time.perf_counter() - t_start, 3)
    return {"out": out, "files": files, "rmtland_version": __version__, "level": lvl,
            "seconds": seconds, **summary}
