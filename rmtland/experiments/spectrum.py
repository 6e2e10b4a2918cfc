r"""The study behind ``rmtland spectrum --torch MODULE:FUNCTION``: a PyTorch model's loss Hessian
:math:`H`, its Gauss–Newton part :math:`H_0` and :math:`H_1 = H - H_0` (PB17's normalisation,
:mod:`rmtland.networks.torch`), for the selected parameters and each layer's diagonal block,
with error bars, top eigenpairs, eigenvalue counts around 0, and optionally a law fitted to the
spectrum (:func:`rmtland.compare.fit.fit_law`).

The target
----------
``config.target`` is ``"MODULE:FUNCTION"`` (an importable module) or
``"path/to/file.py:FUNCTION"``; ``FUNCTION()`` takes no argument and returns
``(model, loss_fn, data)`` as :class:`rmtland.networks.torch.TorchHessian` takes them
(``simulations/torch_models.py`` is a complete example).

Methods
-------
``"dense"``: the matrix of each part by products with the identity
(:meth:`~rmtland.networks.torch.TorchHessian.dense`), up to :data:`DENSE_MAX` parameters; a
layer's spectrum is that of the diagonal block of the same matrix, and when both :math:`H` and
:math:`H_0` are asked :math:`H_1` is their difference (the adapter's :math:`H_1` product is the
same operator, equal to rounding: ``tests/test_networks_torch.py``).  Numbers are exact to
rounding (``stderr`` 0); eigenvalues within :math:`n u \max|\lambda|` of 0 count as 0
(:func:`rmtland.compare.metrics.snap_zeros`).  ``"slq"`` / ``"kpm"``:
:func:`rmtland.linalg.spectral.spectrum` on the operators (standard errors over probes, bias
bounds), top eigenpairs by :func:`rmtland.linalg.eigen.eigenpairs` (thick-restart Lanczos,
computed residuals).  ``"auto"`` (default): dense up to :data:`AUTO_DENSE` parameters, SLQ
above.  The SLQ quadrature (nodes and weights per probe) that ``spectrum.npz`` holds is that
of the same run (:func:`~rmtland.linalg.spectral.spectrum`'s ``per_probe``), so the file and
``result.json`` describe one estimate.

Counts around 0: below :math:`-\tau`, in :math:`[-\tau, \tau)` and at or above :math:`\tau`;
``tau`` defaults to :data:`TAU_REL` times the largest :math:`|\lambda|` of the first part
(dense: its eigenvalues; SLQ/KPM: 40 Lanczos steps, :func:`~rmtland.linalg.spectral.
spectral_bounds`).

Files (``out``, written as one unit, :func:`rmtland.experiments._run.write_run`):
``result.json``, ``spectrum.npz`` (the first part's spectrum of the whole selection as
``eigenvalues`` (dense) or ``nodes`` and ``weights`` (SLQ, ``(probes, steps)``): the format
``rmtland fit`` reads (:func:`rmtland.experiments.fit.read_spectrum`); every other block under
``"<part>/<block>/eigenvalues"`` etc., ``<block>`` = ``all`` or the layer's name; KPM: ``x``
and ``density``, not fittable) and ``spectrum.png`` (:func:`rmtland.plotting.spectrum.
plot_spectrum`).

References
----------
J. Pennington, Y. Bahri, ICML 2017, PMLR 70:2798–2806 (PB17).
V. Papyan, "Measurements of three-level hierarchical structure in the outliers in the spectrum
of deepnet Hessians", ICML 2019, arXiv:1901.08244; "Traces of class/cross-class structure
pervade deep learning spectra", JMLR 21 (2020), arXiv:2008.11865 (:func:`class_mean_spikes`).
F. Benaych-Georges, R. R. Nadakuditi, Adv. Math. 227(1), 494–521 (2011),
doi:10.1016/j.aim.2011.02.007.
"""
import importlib
import importlib.util
import math
import os
import time
from dataclasses import asdict, dataclass

import numpy as np

from .._validate import InputError
from .. import _validate
from .._backend import to_numpy
from .._io import check_output_dir
from . import _run

__all__ = ["SpectrumConfig", "spectrum_torch", "load_target", "class_mean_spikes",
           "class_mean_study", "METHODS",
           "DENSE_MAX", "AUTO_DENSE", "TAU_REL", "FIT_PHI"]

#: ``method`` values: ``"auto"`` is dense up to :data:`AUTO_DENSE` parameters, else SLQ
METHODS = ("auto", "dense", "slq", "kpm")
#: the largest block ``method="dense"`` accepts (an n x n float64 matrix and ``eigh``:
#: ~0.2 GB and seconds at 4000)
DENSE_MAX = 4000
#: the largest block ``method="auto"`` computes densely
AUTO_DENSE = 2000
#: default ``tau``: this fraction of the largest |eigenvalue| of the first part
TAU_REL = 1e-3
#: where a fitted law's phi comes from: n/(km) of the block, or fitted
FIT_PHI = ("architecture", "free")
PARTS = ("H", "H0", "H1")


@dataclass(frozen=True)
class SpectrumConfig:
    """Every default of :func:`spectrum_torch` (``dataclasses.replace`` changes fields).

    ``target`` "MODULE:FUNCTION" or "file.py:FUNCTION"; ``parts`` a tuple of "H", "H0",
    "H1"; ``layers`` None (every parameter) or a tuple of layer / parameter names (the
    diagonal block of their union); ``each_layer``: also every layer of the selection on its
    own; ``method`` (:data:`METHODS`); ``probes``, ``steps``, ``degree`` of SLQ/KPM; ``top``
    eigenpairs per block (0: none); ``tau`` (None: :data:`TAU_REL` rule); ``seed``; ``fit``
    None or a law of :data:`rmtland.compare.fit.LAWS`, fitted to each part's spectrum of the
    whole selection with ``fit_phi`` (:data:`FIT_PHI`), ``outliers`` rule and ``bootstrap``
    replicates."""
    target: str = None
    parts: tuple = ("H",)
    layers: tuple = None
    each_layer: bool = False
    method: str = "auto"
    probes: int = 20
    steps: int = 100
    degree: int = 400
    top: int = 5
    tau: float = None
    seed: int = 0
    fit: str = None
    fit_phi: str = "architecture"
    outliers: str = "edge"
    bootstrap: int = 40


# --------------------------------------------------------------------------- validation

def _check_config(c):
    from ..compare import fit as cfit
    from ..linalg.spectral import check_options
    if not isinstance(c, SpectrumConfig):
        raise InputError(f"config must be a SpectrumConfig, got {type(c).__name__}")
    if not isinstance(c.target, str) or ":" not in c.target or \
            not all(c.target.rsplit(":", 1)):
        raise InputError(f"target (--torch) must be MODULE:FUNCTION or path/to/file.py:FUNCTION, "
                         f"got {c.target!r}")
    parts = (c.parts,) if isinstance(c.parts, str) else tuple(c.parts)
    if not parts or any(p not in PARTS for p in parts) or len(set(parts)) != len(parts):
        raise InputError(f"parts (--part) must be distinct values of {PARTS}, got {c.parts!r}")
    if c.layers is not None:
        layers = (c.layers,) if isinstance(c.layers, str) else tuple(c.layers)
        if not layers or not all(isinstance(x, str) and x for x in layers):
            raise InputError(f"layers (--layer) must be one or more layer or parameter names, "
                             f"got {c.layers!r}")
    if c.method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, got {c.method!r}")
    check_options(probes=c.probes, steps=c.steps, degree=c.degree)
    _validate.integer("top", c.top, 0)
    _validate.integer("seed", c.seed, 0)
    if c.tau is not None:
        _validate.nonnegative("tau", c.tau)
    if c.fit is not None:
        if c.fit not in cfit.LAWS:
            raise InputError(f"fit must be one of {cfit.LAWS} or None, got {c.fit!r}")
        if c.method == "kpm":
            raise InputError("fit needs eigenvalues or SLQ nodes: method must be dense, slq or "
                             "auto with fit, got kpm")
        if c.fit_phi not in FIT_PHI:
            raise InputError(f"fit_phi must be one of {FIT_PHI}, got {c.fit_phi!r}")
        if c.outliers not in cfit.OUTLIER_RULES:
            raise InputError(f"outliers must be one of {cfit.OUTLIER_RULES}, got "
                             f"{c.outliers!r}")
        _validate.integer("bootstrap", c.bootstrap, 1)
    return parts


def load_target(target):
    """``FUNCTION`` of ``"MODULE:FUNCTION"`` or ``"path/to/file.py:FUNCTION"``: the module is
    imported (a file path is loaded as a module of its own), and a missing module, file or
    attribute, an import that fails or a non-callable is refused (:class:`InputError` naming
    ``target (--torch)``).  torch is required first (:class:`~rmtland.networks.torch.
    TorchMissing` names the extra)."""
    _import_torch()
    if not isinstance(target, str) or ":" not in target:
        raise InputError(f"target (--torch) must be MODULE:FUNCTION or path/to/file.py:FUNCTION, "
                         f"got {target!r}")
    where, name = target.rsplit(":", 1)
    is_file = where.endswith(".py") or os.sep in where or "/" in where
    try:
        if is_file:
            if not os.path.isfile(where):
                raise InputError(f"target (--torch): no such file {where!r}")
            stem = os.path.splitext(os.path.basename(where))[0]
            spec = importlib.util.spec_from_file_location(f"_rmtland_target_{stem}", where)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except InputError:
        raise
    except Exception as exc:             # noqa: BLE001 -- the user's module: refused, one line
        raise InputError(f"target (--torch): cannot import {where!r} "
                         f"({type(exc).__name__}: {exc})") from None
    func = getattr(module, name, None)
    if func is None or not callable(func):
        raise InputError(f"target (--torch): {where!r} has no function {name!r}")
    return func


def _import_torch():
    """The ``torch`` module, or :class:`~rmtland.networks.torch.TorchMissing` naming the
    extra."""
    from ..networks.torch import TORCH_EXTRA_MESSAGE, TorchMissing
    try:
        import torch
    except ImportError as exc:
        raise TorchMissing(TORCH_EXTRA_MESSAGE) from exc
    return torch


def _check_memory(n, dtype, device, method, c):
    """:func:`~rmtland.linalg.spectral.spectrum`'s own checks and memory plan for ``probes``,
    ``steps`` and ``degree`` at size ``n`` (:func:`~rmtland.linalg.spectral.check_spectrum`),
    before any Hessian product."""
    from ..linalg.operators import as_operator
    from ..linalg.spectral import check_spectrum

    def never(V):                        # check_spectrum makes no product
        raise AssertionError("check_spectrum made a product")
    check_spectrum(as_operator(never, n=n, dtype=dtype, device=device), method=method,
                   probes=c.probes, steps=c.steps, degree=c.degree)


def _call_target(target):
    """``(model, loss_fn, data)`` from the target's ``FUNCTION()``, checked for shape."""
    func = load_target(target)
    try:
        got = func()
    except Exception as exc:             # noqa: BLE001 -- the user's function: refused, one line
        raise InputError(f"target (--torch): {target}() raised {type(exc).__name__}: "
                         f"{exc}") from None
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        what = f"a {type(got).__name__}" + (f" of length {len(got)}"
                                            if isinstance(got, (tuple, list)) else "")
        raise InputError(f"target (--torch): {target}() must return (model, loss_fn, data), "
                         f"got {what}")
    return tuple(got)


def _check_sizes(h, blocks, c, method_of):
    """Dense sizes, SLQ/KPM memory, ``top`` and the fits, before any Hessian product."""
    from ..compare.fit import check_fit
    method = method_of(h.n)                      # every block uses the whole selection's
    for name, sub in blocks.items():
        if method == "dense" and sub.n > DENSE_MAX and name == "all":
            raise InputError(f"method='dense' takes at most {DENSE_MAX} parameters, the "
                             f"selection has n = {sub.n}: use method slq or kpm, or select "
                             f"fewer parameters with layers (--layer)")
        if method != "dense" and name == "all":      # the largest block
            _check_memory(sub.n, sub.dtype, "cpu" if sub.xp is np else "gpu", method, c)
        if c.top > sub.n and name == "all":
            raise InputError(f"top must be in [0, {sub.n}] (the parameters of block {name!r}), "
                             f"got {c.top}")
    if c.fit is not None:
        n = blocks["all"].n
        phi = blocks["all"].phi if c.fit_phi == "architecture" else None
        check_fit(c.fit, n if method == "dense" else None, c.bootstrap, phi=phi,
                  rule=c.outliers if method == "dense" else "none")


# --------------------------------------------------------------------------- the spectra

def _dense_block(A, idx, top, tau):
    """Numbers of the symmetric matrix ``A[idx][:, idx]`` (host)."""
    from ..compare.metrics import snap_zeros
    B = A if idx is None else A[np.ix_(idx, idx)]
    B = 0.5 * (B + B.T)
    w, V = np.linalg.eigh(B)
    w0 = snap_zeros(w)
    n = w.size
    out = {"n": int(n), "method": "dense", "index": float(np.mean(w0 < 0)),
           "index_stderr": 0.0, "index_bias_bound": 0.0, "trace": float(np.trace(B)),
           "trace_stderr": 0.0}
    R = B @ V[:, [0, -1]] - V[:, [0, -1]] * w[[0, -1]]
    r = np.linalg.norm(R, axis=0)
    out.update(lambda_min=float(w[0]), lambda_min_residual=float(r[0]),
               lambda_max=float(w[-1]), lambda_max_residual=float(r[1]))
    if tau is not None:
        parts = {"below": np.mean(w0 < -tau), "near_zero": np.mean((w0 >= -tau) & (w0 < tau)),
                 "above": np.mean(w0 >= tau)}
        out["counts"] = {"tau": tau, **{k: {"fraction": float(f), "stderr": 0.0,
                                            "bias_bound": 0.0, "count": float(f * n),
                                            "count_stderr": 0.0, "count_bias_bound": 0.0}
                                        for k, f in parts.items()}}
    if top:
        Vt = V[:, -top:]
        res = np.linalg.norm(B @ Vt - Vt * w[-top:], axis=0)
        out["top"] = {"eigenvalues": w[-top:][::-1].tolist(), "residuals": res[::-1].tolist(),
                      "converged": [True] * top}
    return out, {"eigenvalues": w}


_SPECTRUM_KEYS = ("method", "probes", "steps", "degree", "matvecs", "index", "index_stderr",
                  "index_bias_bound", "trace", "trace_stderr", "lambda_min",
                  "lambda_min_residual", "lambda_max", "lambda_max_residual", "counts")


def _matfree_block(op, method, c, tau, want_nodes):
    """Numbers of one operator by :func:`~rmtland.linalg.spectral.spectrum` and
    :func:`~rmtland.linalg.eigen.eigenpairs` (``top`` clipped to the block's size)."""
    from ..linalg.eigen import eigenpairs
    from ..linalg.spectral import spectrum
    res = spectrum(op, method=method, probes=c.probes, steps=c.steps, degree=c.degree,
                   tau=tau, rng=c.seed)
    out = {k: res[k] for k in _SPECTRUM_KEYS if k in res}
    out["n"] = int(op.n)
    arrays = {"x": np.asarray(res["x"]), "density": np.asarray(res["density"]),
              "density_stderr": None if res["density_stderr"] is None
              else np.asarray(res["density_stderr"])}
    if c.top:
        ep = eigenpairs(op, min(c.top, op.n), which="LA", rng=c.seed)
        out["top"] = {"eigenvalues": np.asarray(ep["eigenvalues"])[::-1].tolist(),
                      "residuals": np.asarray(ep["residuals"])[::-1].tolist(),
                      "converged": np.asarray(ep["converged"])[::-1].tolist()}
        out["matvecs"] = int(out["matvecs"]) + int(ep["matvecs"])
    if want_nodes and method == "slq":
        nodes, weights = res["per_probe"]["nodes"], res["per_probe"]["weights"]
        # a probe that ended early has +inf nodes of weight 0: put them on a finite node
        fin = np.isfinite(nodes)
        top_node = np.max(np.where(fin, nodes, -np.inf), axis=1, keepdims=True)
        arrays["nodes"], arrays["weights"] = np.where(fin, nodes, top_node), weights
    return out, arrays


def _layer_indices(h):
    """Layer name -> indices of its parameters in the flat vector of ``h``."""
    offs, idx = 0, {}
    for nm in h.names:
        size = int(np.prod(h.shapes[nm], dtype=np.int64))
        layer = nm.rsplit(".", 1)[0] if "." in nm else nm
        idx.setdefault(layer, []).extend(range(offs, offs + size))
        offs += size
    return {k: np.asarray(v) for k, v in idx.items()}


def _fit(c, arrays, phi):
    """``c.fit`` fitted to one block's eigenvalues or SLQ quadrature (``arrays``); adds the
    fitted density's curve to ``arrays``."""
    from ..compare.fit import fit_curves, fit_law
    phi = phi if c.fit_phi == "architecture" else None
    if "eigenvalues" in arrays:
        res = fit_law(arrays["eigenvalues"], law=c.fit, phi=phi, rule=c.outliers,
                      bootstrap=c.bootstrap, rng=c.seed)
        curves = fit_curves(res, arrays["eigenvalues"])
    else:
        res = fit_law(nodes=arrays["nodes"], weights=arrays["weights"], law=c.fit, phi=phi,
                      bootstrap=c.bootstrap, rng=c.seed)
        curves = fit_curves(res, nodes=arrays["nodes"], weights=arrays["weights"])
    res = dict(res, bootstrap={k: v for k, v in res["bootstrap"].items() if k != "ks"})
    arrays["fit_x"], arrays["fit_density"] = curves["x"], curves["density"]
    return res


def spectrum_torch(config, out=None, *, pdf=False, arrays=False):
    r"""Spectra of a PyTorch model's Hessian parts (module notes) and, with ``out``, the files
    ``result.json``, ``spectrum.npz`` and ``spectrum.png`` (``.pdf`` with ``pdf``).

    Every option, the output directory, the target (import, call, return value), the model,
    loss and data (:class:`~rmtland.networks.torch.TorchHessian`), the sizes (dense up to
    :data:`DENSE_MAX`, the probes' memory, ``top``) and the fit are checked before any Hessian
    product (:class:`InputError`, naming the parameter).  ``FUNCTION()`` itself runs before
    the size checks: the sizes are those of the model it returns.

    Returns
    -------
    dict
        JSON-safe: ``target``, ``config``, ``model`` (:meth:`TorchHessian.summary`: ``n``,
        ``k``, ``m``, ``phi``, ``loss`` in PB17's normalisation, ``loss_kind``, ``scale``,
        ``grad_norm``, ``layers``...), ``eps`` (the loss for the squared loss, else None),
        ``tau``, ``parts`` ``{part: {"all": block, "layers": {name: block}}}``, each block with
        ``n``, ``phi``, ``method``, ``index`` (``index_stderr``, ``index_bias_bound``),
        ``counts`` (below ``-tau``, near 0, above ``tau``: fraction, stderr, bias bound and
        the counts), ``trace`` (``trace_stderr``), ``lambda_min``/``lambda_max`` with
        residuals, ``top`` (``eigenvalues`` largest first, ``residuals``, ``converged``),
        ``fit`` (:func:`~rmtland.compare.fit.fit_law`, the whole selection, when asked),
        ``seconds``; ``seconds``, ``versions``, ``files``.  With ``arrays``, ``(result,
        arrays)``: ``arrays[part][block]`` holds ``eigenvalues`` (dense) or ``x``,
        ``density`` (and SLQ ``nodes``, ``weights``), and ``fit_x``, ``fit_density``.
    """
    c = config
    parts = _check_config(c)
    if out is not None:
        check_output_dir(out)
    from ..networks.torch import TorchHessian
    model, loss_fn, data = _call_target(c.target)
    try:
        h = TorchHessian(model, loss_fn, data, params=c.layers)
    except InputError as exc:
        text = str(exc)
        if text.startswith("params"):
            raise InputError(f"layers (--layer){text[len('params'):]}") from None
        raise InputError(f"target (--torch) {c.target}: {text}") from None
    if c.method == "auto":
        def method_of(n):
            return "dense" if n <= AUTO_DENSE else "slq"
    else:
        def method_of(n):
            return c.method
    blocks = {"all": h}
    if c.each_layer:
        blocks.update({name: h.block(name) for name in h.layers})
    _check_sizes(h, blocks, c, method_of)
    t0 = time.perf_counter()
    method = method_of(h.n)
    idx = _layer_indices(h)
    tau = c.tau
    if tau is None and method != "dense":
        from ..linalg.spectral import spectral_bounds
        (lo, hi), _ = spectral_bounds(h.operator(parts[0]), rng=c.seed)
        tau = TAU_REL * max(abs(lo), abs(hi))
    results, arr = {}, {}
    dense = {}
    for part in parts:
        t1 = time.perf_counter()
        if method == "dense":
            if part == "H1" and "H" in dense and "H0" in dense:
                dense[part] = dense["H"] - dense["H0"]
            else:
                dense[part] = to_numpy(h.dense(part))
            if tau is None:
                w = np.linalg.eigvalsh(0.5 * (dense[part] + dense[part].T))
                tau = TAU_REL * float(np.max(np.abs(w)))
        entries, part_arrays = {}, {}
        for name, sub in blocks.items():
            if method == "dense":
                sel = None if name == "all" else idx[name]
                entry, a = _dense_block(dense[part], sel, min(c.top, sub.n), tau)
            else:
                entry, a = _matfree_block(sub.operator(part), method, c, tau,
                                          want_nodes=name == "all")
            entry["phi"] = sub.n / (h.k * h.m)
            if c.fit is not None and name == "all":
                entry["fit"] = _fit(c, a, entry["phi"])
            entries[name], part_arrays[name] = entry, a
        entries["all"]["seconds"] = time.perf_counter() - t1
        results[part] = {"all": entries.pop("all"), "layers": entries}
        arr[part] = part_arrays
    summary = h.summary()
    result = {"target": c.target, "config": _config_json(c), "model": summary,
              "eps": summary["loss"] if h.loss_kind == "squared" else None,
              "tau": tau, "method": method, "parts": results,
              "seconds": time.perf_counter() - t0, "versions": _run.versions()}
    if out is not None:
        result["files"] = _run.figure_names("spectrum", pdf) + ["result.json", "spectrum.npz"]
        npz = _npz(arr, parts)

        def draw():
            from ..plotting.spectrum import plot_spectrum
            return plot_spectrum(_curves(result, arr), title=_title(result))[0]
        _run.write_run(out, {"result.json": result}, [("spectrum", draw)], pdf,
                       owned=_run.figure_names("spectrum", True) + ["spectrum.npz"],
                       extra=[("spectrum.npz", lambda fh: np.savez(fh, **npz))])
    return (result, arr) if arrays else result


def _config_json(c):
    d = asdict(c)
    d["parts"] = list((c.parts,) if isinstance(c.parts, str) else c.parts)
    d["layers"] = None if c.layers is None else list(
        (c.layers,) if isinstance(c.layers, str) else c.layers)
    return d


def _npz(arr, parts):
    """``spectrum.npz``'s arrays (module notes): the first part's whole-selection spectrum
    under the keys ``rmtland fit`` reads, every block under ``part/block/key``."""
    out = {}
    for part in parts:
        for block, a in arr[part].items():
            for key in ("eigenvalues", "nodes", "weights", "x", "density"):
                if a.get(key) is not None:
                    out[f"{part}/{block}/{key}"] = np.asarray(a[key])
    first = arr[parts[0]]["all"]
    for key in ("eigenvalues", "nodes", "weights", "x", "density"):
        if first.get(key) is not None and (key in ("eigenvalues", "nodes", "weights")
                                           or "nodes" not in first):
            out[key] = np.asarray(first[key])
    if "eigenvalues" in out or "nodes" in out:
        out.pop("x", None)
        out.pop("density", None)
    return out


def _curves(result, arr):
    """What :func:`~rmtland.plotting.spectrum.plot_spectrum` draws, per part."""
    panels = []
    for part, entry in result["parts"].items():
        a = arr[part]["all"]
        panels.append({
            "part": part, "method": entry["all"]["method"],
            "eigenvalues": a.get("eigenvalues"), "x": a.get("x"),
            "density": a.get("density"), "density_stderr": a.get("density_stderr"),
            "layers": {name: arr[part][name].get("eigenvalues",
                                                  arr[part][name].get("density"))
                       for name in entry["layers"]},
            "layers_x": {name: arr[part][name].get("x") for name in entry["layers"]},
            "top": entry["all"].get("top", {}).get("eigenvalues", []),
            "fit_x": a.get("fit_x"), "fit_density": a.get("fit_density"),
            "fit_label": None if "fit" not in entry["all"] else _fit_label(entry["all"]["fit"]),
            "index": entry["all"]["index"], "index_stderr": entry["all"]["index_stderr"]})
    return panels


def _fit_label(f):
    p = ", ".join(f"{k} {v['value']:.3g}" for k, v in f["params"].items())
    pv = "" if f["p_value"] is None else f", p = {f['p_value']:.2g}"
    return f"fitted {f['law']} ({p}{pv})"


def _title(r):
    m = r["model"]
    return (f"{r['target']}: n = {m['n']}, k = {m['k']}, m = {m['m']}, phi = {m['phi']:.3g}, "
            f"loss = {m['loss']:.3g} ({m['loss_kind']}, PB normalisation)")


# --------------------------------------------------------------------------- class means

def class_mean_spikes(model, loss_fn, data, labels=None, params=None):
    r"""The class-mean part :math:`B` of the Gauss–Newton matrix :math:`H_0` and its nonzero
    eigenvalues, largest first: the spike strengths of Papyan's class-mean mechanism.

    With :math:`\Lambda_i = \sum_j s_{ij} v_{ij} v_{ij}^\top` (squared loss: :math:`v_{ij} =
    e_j`, :math:`s_{ij} = 1`; cross-entropy: :math:`v_{ij} = e_j - p_i`, :math:`s_{ij} =
    p_{ij}`, since :math:`\sum_j p_j (e_j - p)(e_j - p)^\top = \mathrm{diag}(p) - pp^\top`)
    and :math:`a_{ij} = J_i^\top v_{ij}`, :math:`H_0 = c\sum_i\sum_j s_{ij} a_{ij} a_{ij}^\top`
    (:mod:`rmtland.networks.torch`).  Grouping the terms by the class :math:`y_i` of the sample
    and the output :math:`j` (Papyan 2019, arXiv:1901.08244, Sec. 2; 2020, arXiv:2008.11865),
    with :math:`S_{yj} = \sum_{i: y_i = y} s_{ij}` and the means :math:`\delta_{yj} =
    S_{yj}^{-1}\sum_{i:y_i=y} s_{ij}a_{ij}`,

    .. math:: H_0 = B + W, \qquad B = c\sum_{y,j} S_{yj}\,\delta_{yj}\delta_{yj}^\top, \qquad
       W = c\sum_{y,j}\sum_{i: y_i = y} s_{ij}(a_{ij} - \delta_{yj})(a_{ij} -
       \delta_{yj})^\top \succeq 0,

    so :math:`0 \preceq B \preceq H_0`, of rank at most :math:`K k` (``K`` classes).
    :math:`B = DD^\top` with the columns :math:`\sqrt{c/S_{yj}}\sum_{i:y_i=y} s_{ij}a_{ij}`,
    each one vector-Jacobian product of the outputs over the data; its eigenvalues are those
    of the small :math:`D^\top D`.

    Parameters
    ----------
    model, loss_fn, data, params
        As :class:`~rmtland.networks.torch.TorchHessian`.
    labels : None or integer tensor / array ``(m,)``
        The class of each sample in the order the data are iterated (default: the targets for
        class-index cross-entropy, the argmax of the targets otherwise).  ``data`` must
        iterate in the same order every time (no shuffling) when labels are given.

    Returns
    -------
    dict
        ``eigenvalues`` (host, descending, the nonzero ones: above :math:`Kk\,u\,\|B\|`),
        ``D`` (host ``(n, K k)``), ``classes`` (K), ``outputs`` (k), ``n``.
    """
    from ..networks.torch import TorchHessian
    torch = _import_torch()
    h = TorchHessian(model, loss_fn, data, params=params)
    single = isinstance(data, (tuple, list)) and len(data) == 2 and all(
        isinstance(t, torch.Tensor) for t in data)
    batches = [data] if single else list(data)
    device, dtype = h.device, h.torch_dtype
    lab = None if labels is None else torch.as_tensor(np.asarray(to_numpy(labels))).long()
    if lab is not None and lab.numel() != h.m:
        raise InputError(f"labels must hold one class per sample ({h.m}), got {lab.numel()}")
    named = {nm: p for nm, p in model.named_parameters()}
    params0 = {nm: named[nm].detach() for nm in h.names}
    c = 1.0 / (h.k * h.m) if h.loss_kind == "squared" else 1.0 / h.m
    ys, sums, S, start = [], {}, {}, 0
    for x, y in batches:
        x = x.to(device, dtype)
        y = y.to(device, dtype if y.is_floating_point() else None)
        mb = x.shape[0]
        yl = lab[start:start + mb].to(device) if lab is not None else (
            y if not y.is_floating_point() else y.reshape(mb, -1).argmax(1))
        start += mb
        ys.append(yl)

        def fwd(p, x=x):
            return torch.func.functional_call(model, p, (x,))
        f, pullback = torch.func.vjp(fwd, params0)
        f2 = f.detach().reshape(mb, -1)
        k = f2.shape[1]
        eye = torch.eye(k, dtype=dtype, device=device)
        if h.loss_kind == "squared":
            s = torch.ones(mb, k, dtype=dtype, device=device)
            V = eye.expand(mb, k, k)                       # V[i, j] = v_ij
        else:
            p = f2.softmax(1)
            s = p
            V = eye[None] - p[:, None, :]
        for cls in torch.unique(yl).tolist():
            mask = (yl == cls).to(dtype)
            for j in range(k):
                U = (mask * s[:, j])[:, None] * V[:, j, :]
                g = pullback(U.reshape(f.shape))[0]
                flat = torch.cat([g[nm].reshape(-1) for nm in h.names])
                key = (cls, j)
                sums[key] = flat if key not in sums else sums[key] + flat
                S[key] = S.get(key, 0.0) + float((mask * s[:, j]).sum())
    cols = [sums[key] * math.sqrt(c / S[key]) for key in sorted(sums) if S[key] > 0]
    D = to_numpy(torch.stack(cols, 1).detach().cpu()) if cols else np.zeros((h.n, 0))
    w = np.linalg.eigvalsh(D.T @ D)[::-1] if D.shape[1] else np.zeros(0)
    tol = max(D.shape[1], 1) * np.finfo(float).eps * (w[0] if w.size else 0.0)
    classes = int(torch.unique(torch.cat(ys)).numel())
    return {"eigenvalues": w[w > tol].copy(), "D": D, "classes": classes, "outputs": h.k,
            "n": h.n}


# --------------------------------------------------------------------------- the worked example

def class_mean_study(target, *, top=12, laws=("pb", "mp+semicircle"), bootstrap=19, seed=0,
                     outliers="edge"):
    r"""A PyTorch model's Hessian against the theory, the study of ``simulations/
    torch_digits.py``: dense spectra of :math:`H`, :math:`H_0`, :math:`H_1` per layer
    (:func:`spectrum_torch`), each law of ``laws`` fitted to the bulk of :math:`H` (outliers by
    the ``outliers`` rule removed) with :math:`\varphi` fixed to :math:`n/(km)` and free, and
    the top outliers of :math:`H` against three predictions from the class-mean part
    :math:`B` of :math:`H_0` (:func:`class_mean_spikes`, strengths :math:`\theta_c` its
    eigenvalues):

    * ``theta``: :math:`\theta_c` itself (no interaction with the bulk);
    * ``predicted`` (per fit): :math:`\lambda(\theta_c)`, the outlier of a spike of strength
      :math:`\theta_c` added to the fitted bulk in a direction free from it
      (Benaych-Georges & Nadakuditi 2011, :func:`rmtland.analytic.spiked.additive_location`
      through :func:`~rmtland.compare.fit.fit_law`'s ``spikes``); ``None`` below the BBP
      threshold;
    * ``first_order``: :math:`\theta_c + u_c^\top(H - B)u_c`, :math:`u_c` the eigenvector of
      :math:`B` (first-order perturbation), with ``seen`` :math:`= u_c^\top(H - B)u_c`
      against ``bulk_mean`` :math:`= \mathrm{tr}(H - B)/n`, which is what a direction free
      from :math:`H - B` (Haar-distributed) would see on average: ``seen`` much larger than
      ``bulk_mean`` measures how far the freeness assumption fails.

    Returns ``(summary, curves)``: ``summary`` JSON-safe, ``curves`` the arrays the figure
    draws (:func:`rmtland.plotting.spectrum.plot_class_mean_study`)."""
    from ..compare.fit import fit_curves, fit_law
    from ..networks.torch import TorchHessian
    cfg = SpectrumConfig(target=target, parts=("H", "H0", "H1"), each_layer=True,
                         method="dense", top=top, seed=seed)
    result, arr = spectrum_torch(cfg, arrays=True)
    model, loss_fn, data = _call_target(target)
    cm = class_mean_spikes(model, loss_fn, data)
    r = min(top, cm["eigenvalues"].size)
    theta = cm["eigenvalues"][:r]
    w, V = np.linalg.eigh(cm["D"].T @ cm["D"])
    U = cm["D"] @ V[:, ::-1][:, :r] / np.sqrt(theta)            # eigenvectors of B = D D^T
    h = TorchHessian(model, loss_fn, data)
    HU = to_numpy(h.operator("H").matvec(h.xp.asarray(U)))
    seen = np.einsum("ij,ij->j", U, HU) - theta                  # u^T (H - B) u
    eigs = arr["H"]["all"]["eigenvalues"]
    bulk_mean = (float(np.sum(eigs)) - float(np.sum(cm["eigenvalues"]))) / eigs.size
    observed = np.sort(eigs)[::-1][:r]
    phi = result["parts"]["H"]["all"]["phi"]
    fits, fit_arrays = {}, {}
    for law in laws:
        for mode in FIT_PHI:
            f = fit_law(eigs, law=law, phi=phi if mode == "architecture" else None,
                        rule=outliers, bootstrap=bootstrap, spikes=theta, rng=seed)
            curves = fit_curves(f, eigs)
            key = f"{law}, phi {'fixed' if mode == 'architecture' else 'free'}"
            fits[key] = dict(f, bootstrap={k: v for k, v in f["bootstrap"].items()
                                           if k != "ks"},
                             p_value_resolution=1.0 / (bootstrap + 1))
            fit_arrays[key] = {"x": curves["x"], "density": curves["density"],
                               "predicted": [p["location"] for p in f["predictions"]]}
    rows = [{"rank": i + 1, "observed": float(observed[i]), "theta": float(theta[i]),
             "first_order": float(theta[i] + seen[i]), "seen": float(seen[i]),
             "predicted": {k: fit_arrays[k]["predicted"][i] for k in fits}}
            for i in range(r)]
    summary = {"target": target, "model": result["model"], "tau": result["tau"],
               "spectra": result["parts"], "fits": fits,
               "class_means": {"classes": cm["classes"], "outputs": cm["outputs"],
                               "rank": int(cm["eigenvalues"].size),
                               "theta": cm["eigenvalues"].tolist(),
                               "trace_B_over_trace_H0": float(
                                   np.sum(cm["eigenvalues"])
                                   / result["parts"]["H0"]["all"]["trace"])},
               "bulk_mean": bulk_mean, "outliers": rows, "seconds": result["seconds"]}
    curves = {"title": _title(result), "eigenvalues": {p: arr[p]["all"]["eigenvalues"]
                                                       for p in arr},
              "layers": {name: arr["H"][name]["eigenvalues"] for name in arr["H"]
                         if name != "all"},
              "fits": fit_arrays, "observed": observed, "theta": theta,
              "first_order": theta + seen, "bulk_mean": bulk_mean,
              "bulk_hi": float(np.sort(eigs)[max(f["bulk_n"] for f in fits.values()) - 1]),
              "p_values": {k: f["p_value"] for k, f in fits.items()},
              "ks": {k: f["ks"] for k, f in fits.items()}}
    return summary, curves
