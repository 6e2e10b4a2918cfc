r"""The fit study behind ``rmtland fit``: read a measured spectrum, fit a law
(:func:`rmtland.compare.fit.fit_law`), write ``result.json`` and ``fit.png``.

Input formats (:func:`read_spectrum`):

* ``.npy``: an array of eigenvalues (any shape, flattened);
* ``.csv`` / ``.txt``: eigenvalues as numbers separated by commas, whitespace or new lines
  (one header line of text is skipped);
* ``.npz``: ``eigenvalues`` (or ``eigs``), or ``nodes`` and ``weights`` of shape
  ``(probes, steps)``: stochastic Lanczos quadrature, each probe's Gauss nodes and weights
  (weights summing to 1 per probe), the per-probe quadrature of
  :func:`rmtland.linalg.spectral.spectrum`; this is what ``rmtland spectrum`` (the PyTorch
  adapter) writes;
* ``.json``: an object with ``eigenvalues``, or ``nodes`` and ``weights`` (as the ``.npz``).
"""
import json
import os
import time
from dataclasses import asdict, dataclass

import numpy as np

from .._validate import InputError
from .. import _validate
from .._io import check_output_dir
from .._progress import Progress
from ..compare import fit as cfit
from . import _run

__all__ = ["FitConfig", "read_spectrum", "fit_spectrum", "FORMATS"]

#: file suffixes read by :func:`read_spectrum`
FORMATS = (".npy", ".npz", ".csv", ".txt", ".json")


@dataclass(frozen=True)
class FitConfig:
    """Every default of :func:`fit_spectrum` (``dataclasses.replace`` changes fields):
    the law, fixed ``phi`` (None: fitted), the outlier ``rule``, ``bootstrap`` replicates,
    user ``spikes`` and their ``spike_kind``, the ``seed``."""
    law: str = "pb"
    phi: float = None
    rule: str = cfit.DEFAULT_RULE
    bootstrap: int = cfit.DEFAULT_BOOTSTRAP
    spikes: tuple = None
    spike_kind: str = "additive"
    seed: int = 0


def _parse_text(path):
    with open(path) as fh:
        lines = fh.read().splitlines()
    values = []
    for i, line in enumerate(lines):
        tokens = line.replace(",", " ").replace(";", " ").split()
        try:
            values += [float(t) for t in tokens]
        except ValueError:
            if i == 0 and not values:
                continue                      # a header line
            raise InputError(f"SPECTRUM: line {i + 1} of {path} is not a list of numbers: "
                             f"{line[:60]!r}") from None
    return np.array(values, dtype=float)


def _from_mapping(data, path):
    keys = set(data)
    for name in ("eigenvalues", "eigs"):
        if name in keys:
            return {"eigs": np.asarray(data[name], dtype=float)}
    if {"nodes", "weights"} <= keys:
        return {"nodes": np.asarray(data["nodes"], dtype=float),
                "weights": np.asarray(data["weights"], dtype=float)}
    raise InputError(f"SPECTRUM: {path} must hold 'eigenvalues' (or 'eigs'), or 'nodes' and "
                     f"'weights'; found {sorted(keys)}")


def read_spectrum(path):
    """Read a spectrum file (module docstring: formats) into ``{"eigs": array}`` or
    ``{"nodes": array, "weights": array}``.  A missing file, an unknown suffix, a file that is
    not of its format or that holds NaN/inf is refused (:class:`InputError` naming
    SPECTRUM)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"SPECTRUM: no such file {path!r}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InputError(f"SPECTRUM must be one of {', '.join(FORMATS)}, got {path!r}")
    try:
        if ext == ".npy":
            data = {"eigs": np.load(path, allow_pickle=False)}
        elif ext == ".npz":
            with np.load(path, allow_pickle=False) as z:
                data = _from_mapping({k: z[k] for k in z.files}, path)
        elif ext == ".json":
            with open(path) as fh:
                obj = json.load(fh)
            if not isinstance(obj, dict):
                raise InputError(f"SPECTRUM: {path} must hold a JSON object")
            data = _from_mapping(obj, path)
        else:
            data = {"eigs": _parse_text(path)}
    except InputError:
        raise
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"SPECTRUM: {path} is not a readable {ext} spectrum "
                         f"({type(exc).__name__}: {exc})") from None
    for k, v in data.items():
        try:
            data[k] = _validate.finite_array(k, v)
        except InputError as exc:
            raise InputError(f"SPECTRUM: {exc}") from None
    if "eigs" in data:
        data["eigs"] = data["eigs"].ravel()
    return data


def fit_spectrum(spectrum, config=FitConfig(), *, out=None, pdf=False, progress=False):
    """Fit ``config.law`` to ``spectrum`` (a path, read by :func:`read_spectrum`, or a dict
    ``{"eigs": ...}`` / ``{"nodes": ..., "weights": ...}``) and, with ``out``, write
    ``out/result.json`` (the fit of :func:`rmtland.compare.fit.fit_law`, the configuration,
    the input file, ``seconds``, versions) and ``out/fit.png``.

    Every option and the input are checked before any computing (:class:`InputError`).
    ``progress``: a bar of the bootstrap replicates on stderr
    (:class:`rmtland._progress.Progress`, shown once the fit has run a couple of seconds)."""
    if not isinstance(config, FitConfig):
        raise InputError(f"config must be a FitConfig, got {type(config).__name__}")
    source = None
    if not isinstance(spectrum, dict):
        source = os.fspath(spectrum)
        spectrum = read_spectrum(source)
    if "eigs" in spectrum:
        n = np.asarray(spectrum["eigs"]).size
        cfit.check_fit(config.law, n, config.bootstrap, phi=config.phi, rule=config.rule,
                       spikes=config.spikes, spike_kind=config.spike_kind)
    if out is not None:
        check_output_dir(out)                         # before any computing
    t0 = time.perf_counter()
    bar = Progress(config.bootstrap, "fit bootstrap") if progress else None
    try:
        res = cfit.fit_law(spectrum.get("eigs"), nodes=spectrum.get("nodes"),
                           weights=spectrum.get("weights"), law=config.law, phi=config.phi,
                           rule=config.rule, bootstrap=config.bootstrap, spikes=config.spikes,
                           spike_kind=config.spike_kind, rng=config.seed, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    curves = cfit.fit_curves(res, spectrum.get("eigs"), nodes=spectrum.get("nodes"),
                             weights=spectrum.get("weights"))
    cfg = asdict(config)
    cfg["spikes"] = None if config.spikes is None else [float(s) for s in config.spikes]
    result = dict(res, spectrum=source, config=cfg, seconds=time.perf_counter() - t0,
                  versions=_run.versions())
    if out is not None:
        def draw():
            from ..plotting.fit import plot_fit
            p = ", ".join(f"{k} = {v['value']:.4g}" + (f" ± {v['stderr']:.2g}"
                                                         if v["stderr"] is not None else "")
                          for k, v in res["params"].items())
            pv = "" if res["p_value"] is None else f", p = {res['p_value']:.3g}"
            title = (f"{res['law']} fitted to {res['bulk_n']} of {res['n']} "
                     f"{'eigenvalues' if res['input'] == 'eigenvalues' else 'probes'}\n{p}; "
                     f"KS {res['ks']:.3g}{pv} (B = {res['bootstrap']['replicates']})")
            return plot_fit(curves, title=title)[0]
        result["files"] = _run.figure_names("fit", pdf) + ["result.json"]
        _run.write_run(out, {"result.json": result}, [("fit", draw)], pdf,
                       owned=_run.figure_names("fit", True))
    return result
