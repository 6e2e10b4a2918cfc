r"""The runner shared by every study: the figure registry, output files, ``run_figure`` (one
figure plus ``result.json``), ``figure_main`` (the ``simulations/fig_*.py`` command line) and
``reproduce`` (every figure and the data files of every domain).

A domain module (:mod:`~rmtland.experiments.hessian`, :mod:`~rmtland.experiments.spinglass`)
registers its figures with :func:`register` and its data files with :func:`register_data`;
nothing here knows a domain.  Each figure function has the signature
``figure_<name>(quick=True, *, smoke=False, ...)`` and returns::

    {"name": ..., "claim": ..., "parameters": {...}, "summary": {... JSON-safe numbers ...},
     "curves": {... arrays drawn ...}, "draw": callable returning the Figure}

Every number in ``summary`` is computed (by :mod:`rmtland.compare` or the study) and saved
before any figure is drawn; the figure gets the same arrays and none is read back from it.
A run's files land in the output directory as a unit (:func:`write_run`).

Levels: ``"smoke"`` (tests, seconds), ``"quick"`` (the CPU default, minutes) and ``"full"``
(sized for a GPU).
"""
import json
import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from .._validate import InputError
from .._version import __version__
from .._backend import describe_blas, device_name, get_xp, host_blas
from .._io import RunDirectory, check_output_dir, save_figure, write_binary, write_json

__all__ = ["FIGURES", "DATA", "FigureError", "register", "register_data", "level", "versions",
           "save", "write_run", "run_figure", "figure_main", "reproduce", "record"]

#: what a figure needs: "theory" (no device, no seed), "simulation" (always simulates) or
#: "both" (theory with the simulation drawn over it unless ``simulate=False``)
KINDS = ("theory", "simulation", "both")


@dataclass(frozen=True)
class Figure:
    """A registered figure: its function, the claim it shows, its kind (:data:`KINDS`) and
    ``requires``: a callable that raises :class:`InputError` when something the figure needs
    (an optional extra) is missing, or ``None``."""
    func: object
    claim: str
    kind: str
    requires: object = None


#: figure name -> :class:`Figure`, in registration order (the order of ``reproduce``)
FIGURES = {}
#: data writers: ``(f, names)`` with ``f(records, level, simulate, device, seed) -> (files,
#: summary)``, ``files`` a mapping file name -> JSON object, ``summary`` entries for
#: reproduce's return, and ``names`` every file name the writer may produce
DATA = []


def register(name, claim, kind, requires=None):
    """Decorator: add a figure function to :data:`FIGURES` (``requires``: see
    :class:`Figure`)."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")

    def deco(func):
        FIGURES[name] = Figure(func, " ".join(claim.split()), kind, requires)
        return func
    return deco


def register_data(*names):
    """Decorator: add a data writer producing (some of) the files ``names`` to :data:`DATA`
    (called by :func:`reproduce`)."""
    def deco(func):
        DATA.append((func, names))
        return func
    return deco


def level(quick, smoke):
    """``"smoke"``, ``"quick"`` or ``"full"``."""
    return "smoke" if smoke else ("quick" if quick else "full")


def versions():
    """Versions of rmtland, its dependencies and Python, for every result file, and the BLAS
    with its kernels (:func:`rmtland._backend.host_blas`) when threadpoolctl can tell."""
    import matplotlib
    import scipy
    v = {"rmtland": __version__, "numpy": np.__version__, "scipy": scipy.__version__,
         "matplotlib": matplotlib.__version__, "python": platform.python_version()}
    blas = host_blas()
    if blas:
        v["blas"] = describe_blas(blas)
    return v


class FigureError(RuntimeError):
    """A figure could not be drawn or saved; the numbers were saved before it was tried."""


def figure_names(stem, pdf):
    """File names of one figure: ``stem.png`` (and ``stem.pdf``)."""
    return [stem + ".png"] + ([stem + ".pdf"] if pdf else [])


def save(fig, out, stem, pdf):
    """``out/stem.png`` (and ``.pdf``), atomically; returns the paths written."""
    from ..plotting import SAVE_KWARGS
    paths = [os.path.join(out, name) for name in figure_names(stem, pdf)]
    for path in paths:
        save_figure(fig, path, **SAVE_KWARGS)
    return paths


def draw_figures(directory, figures, pdf):
    """Draw and save each ``(stem, draw)`` of ``figures`` into ``directory``, after the numbers
    are saved: a figure that fails is reported, never lets the others or the numbers go.
    Returns ``(paths written, {stem: error})``."""
    paths, errors = [], {}
    for stem, draw in figures:
        try:
            paths += save(draw(), directory, stem, pdf)
        except Exception as exc:          # noqa: BLE001 -- reported, with the numbers kept
            errors[stem] = f"{type(exc).__name__}: {exc}"
    return paths, errors


def write_run(out, data, figures, pdf, owned, extra=()):
    """Write one run into ``out`` as a unit (:class:`rmtland._io.RunDirectory`): first the JSON
    files of ``data`` (name -> object), then the figures (``(stem, draw)`` pairs).  A figure
    that fails is named in the JSON files' ``"figure_errors"`` and raises :class:`FigureError`
    after the rest is in place.  ``extra``: ``(name, write)`` pairs of other files (e.g. a
    ``.npz``), each written with ``write(fh)`` beside the JSON.  Returns the final paths."""
    names = [n for stem, _ in figures for n in figure_names(stem, pdf)]
    with RunDirectory(out, owned=set(owned) | set(names) | set(data)) as run:
        for name, obj in data.items():
            write_json(os.path.join(run.path, name), obj)
        for name, write in extra:
            write_binary(os.path.join(run.path, name), write)
        paths, errors = draw_figures(run.path, figures, pdf)
        if errors:
            for name, obj in data.items():
                obj = dict(obj, figure_errors=errors)
                if isinstance(obj.get("files"), list):
                    obj["files"] = [f for f in obj["files"]
                                    if os.path.splitext(f)[0] not in errors]
                write_json(os.path.join(run.path, name), obj)
        run.commit()
        final = [run.final(p) for p in paths] + [os.path.join(run.out, n) for n in data] + \
            [os.path.join(run.out, n) for n, _ in extra]
    if errors:
        failed = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise FigureError(f"{len(errors)} figure(s) failed ({failed}); the numbers are saved "
                          f"in {', '.join(data)} in {run.out}")
    return final


def record(result, seconds, pdf=False):
    """JSON-safe part of a figure result (the arrays in ``curves`` stay out)."""
    return {"figure": result["name"], "claim": " ".join(result["claim"].split()),
            "files": figure_names(result["name"], pdf),
            "parameters": result["parameters"], "seconds": round(seconds, 3),
            "summary": result["summary"]}


def _kwargs(kind, simulate, device, seed):
    if kind == "theory":
        return {}
    if kind == "simulation":
        return {"device": device, "seed": seed}
    return {"simulate": simulate, "device": device, "seed": seed}


def run_figure(name, out, *, quick=True, smoke=False, pdf=False, **kwargs):
    """Make one figure of :data:`FIGURES` and write ``out/result.json`` (its parameters,
    versions, timing and the numbers behind it) and then the figure, as one unit
    (:func:`write_run`).  Returns the figure's dict with ``"files"`` (the paths written) and
    ``"result_json"``."""
    if name not in FIGURES:
        raise InputError(f"name must be one of {sorted(FIGURES)}, got {name!r}")
    check_output_dir(out)                       # before any computing
    t0 = time.perf_counter()
    result = FIGURES[name].func(quick, smoke=smoke, **kwargs)
    seconds = time.perf_counter() - t0
    data = {"result.json": {"rmtland_version": __version__, "versions": versions(),
                            **record(result, seconds, pdf)}}
    files = write_run(out, data, [(name, result["draw"])], pdf,
                      owned=figure_names(name, True))
    result["files"] = files
    result["result_json"] = files[-1]
    return result


def figure_point(*, name, level, simulate, figure_seed, pdf, seed, device, out):
    """One figure as a point of a sweep of kind ``"figure"`` (:mod:`rmtland.experiments.sweep`,
    used by ``reproduce`` at the full level): :func:`run_figure` into ``out`` (the point's own
    directory), seeded by ``figure_seed`` (the reproduce seed, so the numbers are those of a
    run without the sweep; the point's ``seed`` is not used).  Returns the point's fields."""
    del seed                                    # the figure's own seed is figure_seed
    fig = FIGURES[name]
    result = run_figure(name, out, quick=level != "full", smoke=level == "smoke", pdf=pdf,
                        **_kwargs(fig.kind, simulate, device, figure_seed))
    return {"device": device if fig.kind != "theory" else "cpu", "figure_kind": fig.kind,
            "files": len(result["files"])}


def _copy(src, fh):
    with open(src, "rb") as f:
        fh.write(f.read())


def _write_reproduction(out, records, lvl, simulate, device, seed, figures, pdf, extra=()):
    """Every domain's data files (from the figures' ``records``) and the figures into ``out``
    as one unit (:func:`write_run`); ``extra``: further ``(name, writer)`` files. Returns
    ``(files, summary)``, ``summary`` the data writers' entries for ``reproduce``."""
    data, summary = {}, {}
    for writer, _ in DATA:
        data_files, more = writer(records, lvl, simulate, device, seed)
        data.update(data_files)
        summary.update(more)
    owned = [n for name in FIGURES for n in figure_names(name, True)]
    owned += [n for _, names in DATA for n in names]
    return write_run(out, data, figures, pdf, owned=owned, extra=list(extra)), summary


def _reproduce_sweep(out, lvl, pdf, simulate, device, seed, workers, scheduler, progress,
                     client=None):
    """``reproduce`` through the sweep engine: each figure one point of a sweep of kind
    ``"figure"`` in ``out/sweep`` (resumable, distributable; a cluster needs ``out`` on a file
    system its workers share), then the data files and the figures moved into ``out`` as one
    unit (:func:`write_run`)."""
    from .sweep import run_sweep
    names = [n for n, f in FIGURES.items() if simulate or f.kind != "simulation"]
    spec = {"kind": "figure", "seed": seed,
            "grid": {"name": names, "level": lvl, "simulate": bool(simulate),
                     "figure_seed": seed, "pdf": bool(pdf)}}
    t_start = time.perf_counter()
    summary = run_sweep(spec, os.path.join(out, "sweep"), workers=workers, scheduler=scheduler,
                        device=device, progress=progress, client=client)
    failed = [r for r in summary["rows"] if r["status"] != "done"]
    if failed:
        raise FigureError("; ".join(f"{r['name']}: {r['error']}" for r in failed)
                          + f" (the other figures are kept in {out}/sweep; rerun to retry)")
    records, seconds, copies = {}, {}, []
    for r in summary["rows"]:
        point = os.path.join(out, "sweep", "points", r["point"])
        with open(os.path.join(point, "result.json")) as fh:
            rec = json.load(fh)
        records[r["name"]] = {k: v for k, v in rec.items()
                              if k not in ("rmtland_version", "versions")}
        seconds[r["name"]] = rec["seconds"]
        for fname in rec["files"]:
            copies.append((fname, lambda fh, src=os.path.join(point, fname):
                           _copy(src, fh)))
    files, extra = _write_reproduction(out, records, lvl, simulate, device, seed, [], pdf,
                                       copies)
    seconds["total"] = round(time.perf_counter() - t_start, 3)
    return {"out": out, "files": files, "rmtland_version": __version__, "level": lvl,
            "seconds": seconds, "sweep": {k: summary[k] for k in
                                          ("total", "done", "failed", "skipped", "table",
                                           "runner")}, **extra}


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


def reproduce(out, quick=True, *, pdf=False, smoke=False, simulate=True, device="cpu", seed=0,
              workers=None, scheduler=None, progress=True, client=None):
    r"""Write every figure of :data:`FIGURES` and every domain's data files into ``out``; with
    ``simulate`` (default) the figures carry the simulation over the theory.

    Every number is computed first; then the data files are written, then the figures are
    drawn, all into a temporary directory moved into ``out`` as a unit
    (:func:`write_run`): an interrupted run leaves ``out`` as it was, and a figure that fails
    leaves the numbers saved (:class:`FigureError`).

    Parameters
    ----------
    out : str or path
        Output directory (created; checked before any computing).
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
    workers, scheduler, progress, client
        With ``quick=False`` only (``client``: a ``distributed.Client`` to submit to instead): every figure is one point of a sweep of kind ``"figure"``
        in ``out/sweep`` (:mod:`rmtland.experiments.sweep`: resumable, on a local Dask
        cluster of ``workers`` processes (0: this process) or the scheduler at ``scheduler``),
        the data files and figures then moved into ``out`` as one unit.

    Returns
    -------
    dict
        JSON-safe summary: ``out``, ``files`` (every path written), ``rmtland_version``,
        ``level``, ``seconds`` (per figure and total), plus what the data writers add
        (``table`` for the Hessian).
    """
    out = check_output_dir(out)
    lvl = level(quick, smoke)
    t_start = time.perf_counter()
    if simulate:
        device = device_name(get_xp(device))    # a missing GPU fails before any work
    for fig in FIGURES.values():                # so does a missing optional extra
        if fig.requires is not None and (simulate or fig.kind != "simulation"):
            fig.requires()
    if not quick:
        return _reproduce_sweep(out, lvl, pdf, simulate, device, seed, workers, scheduler,
                                progress, client)
    records, seconds, figures = {}, {}, []
    for name, fig in FIGURES.items():
        if fig.kind == "simulation" and not simulate:
            continue
        t0 = time.perf_counter()
        result = fig.func(quick, smoke=smoke, **_kwargs(fig.kind, simulate, device, seed))
        seconds[name] = round(time.perf_counter() - t0, 3)
        records[name] = record(result, seconds[name], pdf)
        figures.append((name, result["draw"]))
    files, summary = _write_reproduction(out, records, lvl, simulate, device, seed, figures,
                                         pdf)
    seconds["total"] = round(time.perf_counter() - t_start, 3)
    return {"out": out, "files": files, "rmtland_version": __version__, "level": lvl,
            "seconds": seconds, **summary}
