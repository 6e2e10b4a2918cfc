r"""Studies of real networks against the theory: critical points of every index of small
networks, their index against their loss, the freeness test of :math:`H = H_0 + H_1`, PB's
memorisation observation, and the exact landscape of linear networks; the ``simulate network``
command and the network figures of ``reproduce``.

References
----------
J. Pennington, Y. Bahri, "Geometry of Neural Network Loss Surfaces via Random Matrix
Theory", ICML 2017, PMLR 70:2798–2806 (PB17), Sec. 5.
P. Baldi, K. Hornik, Neural Networks 2, 53 (1989), doi:10.1016/0893-6080(89)90014-2.
"""
import time

import numpy as np

from .. import _seeds, _validate
from .._backend import device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from .._validate import InputError
from ..analytic import PenningtonBahri
from ..analytic import linear as lin
from ..compare import networks as cmp
from ..networks import MLP
from ..networks import data as datasets
from ..networks.critical import find_network_critical_points
from . import _run

__all__ = ["ACTIVATIONS", "DATA", "NET_SIZES", "make_task", "analyse_points",
           "simulate_network", "network_study", "linear_landscape", "figure_network_index",
           "figure_network_linear"]

ACTIVATIONS = ("linear", "tanh", "softplus")
DATA = ("gaussian", "teacher", "digits")
#: critical points per run whose Hessians get the freeness test (each costs a subordination
#: and `cmp.ROTATIONS` eigendecompositions of an n x n matrix)
MAX_FREENESS = 8
#: distinct (loss, index) points with a positive index needed for the 3/2-law fit
FIT_MIN_POINTS = 5
#: a fit is drawn only when its exponent's standard error is below this fraction of it
FIT_DRAW_RELATIVE_SE = 0.25
#: sizes per level of the figures: the memorisation task at several samples m (so several phi),
#: and the linear-network landscape
NET_SIZES = {
    "smoke": {"widths": (3, 4, 2), "ms": (6, 12), "starts": 6, "maxiter": 60,
              "linear": {"d": 3, "p": 2, "k": 3, "m": 20, "starts": 12}},
    "quick": {"widths": (4, 6, 2), "ms": (12, 24, 48), "starts": 24, "maxiter": 200,
              "linear": {"d": 4, "p": 2, "k": 4, "m": 40, "starts": 48}},
    "full": {"widths": (8, 16, 4), "ms": (20, 40, 80, 160), "starts": 200, "maxiter": 400,
             "linear": {"d": 6, "p": 3, "k": 5, "m": 200, "starts": 400}},
}


def make_task(data, m, d_in, k, *, hidden=None, rng=None, device="cpu"):
    """The data set of a run: ``"gaussian"`` (PB's memorisation task), ``"teacher"`` (a
    random tanh teacher with ``hidden`` units and noise 0.1) or ``"digits"`` (scikit-learn's
    bundled digits, k classes, m samples; needs the ``data`` extra)."""
    if data not in DATA:
        raise InputError(f"data must be one of {DATA}, got {data!r}")
    if data == "gaussian":
        return datasets.gaussian_task(m, d_in, k, rng=rng, device=device)
    if data == "teacher":
        return datasets.teacher_task(m, d_in, k, hidden=hidden or d_in, rng=rng, device=device)
    return datasets.digits(classes=list(range(k)), m=m, downsample=2 if d_in <= 16 else None,
                           standardize=True, rng=rng, device=device)


def analyse_points(model, X, Y, found, *, max_freeness=MAX_FREENESS, rng=None):
    """Per distinct critical point of ``found`` (the finder's dict): loss, index, zero modes,
    the PB17 index at the point's matched :math:`(\\varphi, \\varepsilon)` and, for the first
    ``max_freeness`` points, the three freeness KS distances
    (:func:`rmtland.compare.networks.freeness_test`).  Returns a list of JSON-safe rows."""
    rows = []
    gens = _seeds.children(rng, max(len(found["loss"]), 1))
    phi = model.phi(X.shape[0])
    Xh, Yh = to_numpy(X), to_numpy(Y)          # the Hessians are formed once each, on the host
    for i in range(len(found["loss"])):
        row = {"loss": float(found["loss"][i]), "index": int(found["index"][i]),
               "index_fraction": float(found["index_fraction"][i]),
               "grad_norm": float(found["grad_norm"][i]),
               "zero_modes": int(found["zero_modes"][i]),
               "multiplicity": int(found["multiplicity"][i])}
        if i < max_freeness:
            theta = found["theta"][i][None]        # the finder returns host arrays
            H0 = model.hessian(theta, Xh, Yh, part="H0")[0]
            H1 = model.hessian(theta, Xh, Yh, part="H1")[0]
            try:
                f = cmp.freeness_test(H0, H1, rng=gens[i], phi=min(phi, 1e20))
                row["freeness"] = {k: float(f[k]) for k in ("ks_free_convolution",
                                                            "ks_rotated",
                                                            "ks_pennington_bahri")}
                row["matched"] = {"phi": float(f["phi"]), "eps": float(f["eps"]),
                                  "c": float(f["c"])}
                row["theory_index"] = float(PenningtonBahri(f["phi"], f["eps"]).index())
            except (InputError, ValueError, np.linalg.LinAlgError) as exc:
                row["freeness_error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def _fit(points):
    """The 3/2-law fit over points with a positive index, or the reason there is none."""
    pairs = sorted({(round(p["loss"], 12), p["index_fraction"]) for p in points
                    if p["index"] > 0})
    eps = np.array([e for e, _ in pairs])
    alpha = np.array([a for _, a in pairs])
    if eps.size < FIT_MIN_POINTS:
        return {"eps_c": None, "exponent": None, "alpha0": None,
                "note": f"{eps.size} distinct critical points with a positive index: too few "
                        f"to fit eps_c, the exponent and alpha0 with an error (need "
                        f"{FIT_MIN_POINTS}: three parameters and two degrees of freedom)"}
    try:
        f = cmp.fit_three_halves(eps, alpha)
    except (InputError, ValueError, RuntimeError) as exc:
        return {"eps_c": None, "exponent": None, "alpha0": None,
                "note": f"fit failed: {type(exc).__name__}: {exc}"}
    return {"eps_c": f["eps_c"], "eps_c_stderr": f["eps_c_stderr"],
            "exponent": f["gamma"], "exponent_stderr": f["gamma_stderr"],
            "alpha0": f["alpha0"], "alpha0_stderr": f["alpha0_stderr"], "points": int(eps.size)}


def simulate_network(hidden, inputs, outputs, samples, *, depth=1, activation="tanh",
                     data="gaussian", starts=16, seed=0, device="cpu", bias=False,
                     maxiter=200, max_freeness=MAX_FREENESS, out=None, pdf=False,
                     progress=True):
    r"""Critical points of every index of one network on one data set, held against the
    theory: ``result.json`` (parameters, :math:`\varphi = n/(km)`, every distinct critical
    point with its loss, index, gradient norm and zero modes, the starts rejected as
    gradient-flat or run off to infinity, the 3/2-law fit, the freeness KS distances and the
    memorisation deviation), ``points.npz`` (every point's parameters, so anyone can recheck
    it) and ``network.png`` in ``out``.

    The network is :class:`rmtland.networks.MLP` with widths ``[inputs] + [hidden] * depth +
    [outputs]`` (for ``data="digits"`` the inputs are the 16 downsampled pixels), squared
    loss normalised as PB17 (:math:`L = \frac{1}{2km}\sum_i\lVert f(x_i) - y_i\rVert^2`).
    """
    hidden = _validate.integer("hidden", hidden, 1)
    inputs = _validate.integer("inputs", inputs, 1)
    outputs = _validate.integer("outputs", outputs, 1)
    samples = _validate.integer("samples", samples, 1)
    depth = _validate.integer("depth", depth, 1)
    starts = _validate.integer("starts", starts, 1)
    if activation not in ACTIVATIONS:
        raise InputError(f"activation must be one of {ACTIVATIONS} (relu has no second "
                         f"derivative: H1 is not defined), got {activation!r}")
    if data not in DATA:
        raise InputError(f"data must be one of {DATA}, got {data!r}")
    if out is not None:
        check_output_dir(out)
    xp = get_xp(device)
    t0 = time.perf_counter()
    s_data, s_find, s_free = _seeds.children(seed, 3)
    task = make_task(data, samples, inputs, outputs, hidden=hidden, rng=s_data, device=device)
    d_in = task.X.shape[1]
    model = MLP([d_in] + [hidden] * depth + [outputs], activation=activation, bias=bias)
    bar = Progress(1, f"critical points n={model.n_params}, {starts} starts") if progress \
        else None
    found = find_network_critical_points(model, task.X, task.Y, starts=starts, rng=s_find,
                                         kind="any", maxiter=maxiter)
    if bar:
        bar(1)
        bar.close()
    points = analyse_points(model, task.X, task.Y, found, max_freeness=max_freeness,
                            rng=s_free)
    phi = model.phi(samples)
    minima = [p["loss"] for p in points if p["index"] == 0]
    result = {"hidden": hidden, "depth": depth, "inputs": d_in, "outputs": outputs,
              "samples": samples, "activation": activation, "data": data, "bias": bias,
              "starts": starts, "seed": seed, "device": device_name(xp),
              "parameters": model.n_params, "phi": phi,
              "critical_points": points,
              "status": {k: int(v) for k, v in found["status"].items()},
              "rejected_gradient_flat": int(found["status"].get("gradient_flat", 0)),
              "at_infinity": int(found["status"].get("at_infinity", 0)),
              "fit": _fit(points),
              "memorisation": ({"prediction": cmp.memorisation_loss(phi),
                                "minima_mean_loss": float(np.mean(minima)),
                                "minima": len(minima)}
                               if data == "gaussian" and minima else None),
              "seconds": time.perf_counter() - t0, "versions": _run.versions()}
    if out is not None:
        from ..plotting.networks import plot_network_study
        study = {"groups": [_group(phi, points)], "ks_reference": None,
                 "title": (f"{activation} network {model.widths}, {data} data, m = {samples}:"
                           f" {len(points)} critical points from {starts} starts")}
        result["files"] = _run.figure_names("network", pdf) + ["result.json", "points.npz"]
        npz = {"theta": found["theta"], "loss": found["loss"], "index": found["index"],
               "grad_norm": found["grad_norm"], "X": to_numpy(task.X), "Y": to_numpy(task.Y)}
        _run.write_run(out, {"result.json": result},
                       [("network", lambda: plot_network_study(study)[0])], pdf,
                       owned=_run.figure_names("network", True) + ["points.npz"],
                       extra=[("points.npz", lambda fh: np.savez(fh, **npz))])
    return result


def _group(phi, points):
    ks = {k: [p["freeness"][k] for p in points if "freeness" in p]
          for k in ("ks_free_convolution", "ks_rotated", "ks_pennington_bahri")}
    return {"phi": phi, "loss": [p["loss"] for p in points],
            "index_fraction": [p["index_fraction"] for p in points],
            "theory_index": [p.get("theory_index", np.nan) for p in points],
            "ks": ks, "ks_loss": [p["loss"] for p in points if "freeness" in p],
            "fit_line": None}


def network_study(widths, ms, starts, *, activation="tanh", maxiter=200, seed=0,
                  device="cpu", max_freeness=MAX_FREENESS):
    r"""The memorisation task (PB17 Sec. 5) at several sample sizes ``ms`` (so several
    :math:`\varphi = n/(km)`): critical points of every index from ``starts`` random starts
    per size, each with its loss, index and freeness distances, and the 3/2-law fit per
    :math:`\varphi` where there are enough points."""
    d_in, k = widths[0], widths[-1]
    model = MLP(list(widths), activation=activation)
    groups, runs = [], []
    bar = Progress(len(ms), "network critical points")
    for j, (m, child) in enumerate(zip(ms, _seeds.children(seed, len(ms)))):
        s_data, s_find, s_free = _seeds.children(child, 3)
        task = datasets.gaussian_task(m, d_in, k, rng=s_data, device=device)
        found = find_network_critical_points(model, task.X, task.Y, starts=starts,
                                             rng=s_find, kind="any", maxiter=maxiter)
        points = analyse_points(model, task.X, task.Y, found, max_freeness=max_freeness,
                                rng=s_free)
        phi = model.phi(m)
        g = _group(phi, points)
        fit = _fit(points)      # in the JSON; drawn only when it resolves the exponent
        if fit["eps_c"] is not None and fit["exponent_stderr"] is not None and \
                fit["exponent_stderr"] < FIT_DRAW_RELATIVE_SE * abs(fit["exponent"]):
            e = np.linspace(fit["eps_c"], max(g["loss"]), 100)
            g["fit_line"] = (e, cmp.three_halves_model(e, fit["eps_c"], fit["exponent"],
                                                       fit["alpha0"]))
        groups.append(g)
        # PB's memorisation observation: the loss of minimisers against (1 - phi)^2 / 2
        mins = find_network_critical_points(model, task.X, task.Y, starts=starts,
                                            rng=_seeds.children(s_find, 1)[0], kind="minima",
                                            maxiter=maxiter)
        memo = (cmp.memorisation_deviation(phi, np.asarray(mins["loss"]))
                if len(mins["loss"]) >= 2 else None)
        runs.append({"m": m, "phi": phi, "critical_points": len(points),
                     "status": {kk: int(v) for kk, v in found["status"].items()},
                     "fit": fit, "points": points,
                     "minima": {"finite": int(len(mins["loss"])),
                                "status": {kk: int(v) for kk, v in mins["status"].items()},
                                "loss": np.asarray(mins["loss"]).tolist(),
                                "memorisation": None if memo is None else
                                {k: memo[k] for k in ("mean", "stderr", "prediction",
                                                      "deviation", "z")}},
                     "memorisation_prediction": cmp.memorisation_loss(phi)})
        bar(j + 1)
    bar.close()
    return {"widths": list(widths), "parameters": model.n_params, "activation": activation,
            "starts": starts, "runs": runs, "groups": groups, "ks_reference": None,
            "title": (f"{activation} network {list(widths)} ({model.n_params} parameters) on "
                      "the memorisation task: critical points against PB17")}


@_run.register("network_index", kind="simulation", claim=(
    "Critical points of every index of a small tanh network on PB's memorisation task "
    "(Gaussian inputs, random targets), found by minimising |grad L|^2: their index against "
    "their loss beside the Pennington-Bahri law at each point's matched (phi, eps), and "
    "three freeness tests of H = H0 + H1 (Pennington & Bahri 2017, Sec. 5)."))
def figure_network_index(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "network_index": :func:`network_study` at the :data:`NET_SIZES` of the level."""
    from ..plotting.networks import plot_network_study
    lvl = _run.level(quick, smoke)
    cfg = NET_SIZES[lvl]
    study = network_study(cfg["widths"], cfg["ms"], cfg["starts"], maxiter=cfg["maxiter"],
                          seed=seed, device=device)

    def draw():
        return plot_network_study(study)[0]
    summary = {"runs": study["runs"], "parameters": study["parameters"]}
    return {"name": "network_index", "claim": _run.FIGURES["network_index"].claim,
            "draw": draw, "parameters": {"level": lvl, **{k: list(v) if isinstance(v, tuple)
                                                          else v for k, v in cfg.items()
                                                          if k != "linear"},
                                         "seed": seed, "device": device},
            "summary": summary, "curves": {"study": study}}


def linear_landscape(d, p, k, m, starts, *, seed=0, device="cpu", maxiter=200):
    r"""A one-hidden-layer linear network ``d → p → k`` on Gaussian data: every critical point
    from the Baldi–Hornik enumeration (:func:`rmtland.analytic.linear.
    baldi_hornik_critical_points`, loss and exact Hessian index) against the points the
    numerical finder recovers from ``starts`` random starts; recall = exact loss levels found
    / all, spurious = found points matching no exact loss (relative 1e-6)."""
    s_data, s_find = _seeds.children(seed, 2)
    task = datasets.gaussian_task(m, d, k, rng=s_data, device="cpu")
    X, Y = to_numpy(task.X), to_numpy(task.Y)
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    exact = lin.baldi_hornik_critical_points(Sxx, Sxy, Syy, p)
    exact_loss = np.array([e["loss"] for e in exact])
    exact_index = np.array([lin.index_with_zero_modes(
        lin.linear_network_hessian(e["W1"], e["W2"], Sxx, Sxy, Syy)).negative for e in exact])
    model = MLP([d, p, k], activation="linear")
    xp = get_xp(device)
    found = find_network_critical_points(model, xp.asarray(X), xp.asarray(Y), starts=starts,
                                         rng=s_find, kind="any", maxiter=maxiter)
    fl, fi = np.asarray(found["loss"]), np.asarray(found["index"])
    rel = np.abs(fl[:, None] - exact_loss[None, :]) / np.maximum(np.abs(exact_loss), 1e-300)
    match = rel <= 1e-6
    levels = np.unique(np.round(exact_loss, 12))
    found_levels = {float(np.round(exact_loss[j], 12)) for j in np.nonzero(match.any(0))[0]}
    index_ok = [bool(any(fi[i] == exact_index[j] for j in np.nonzero(match[i])[0]))
                for i in range(fl.size) if match[i].any()]
    return {"d": d, "p": p, "k": k, "m": m, "starts": starts,
            "exact_loss": exact_loss.tolist(), "exact_index": exact_index.tolist(),
            "exact_global_minima": int(sum(e["global_minimum"] for e in exact)),
            "found_loss": fl.tolist(), "found_index": fi.tolist(),
            "recall": len(found_levels) / len(levels),
            "spurious": int((~match.any(1)).sum()),
            "index_agrees": bool(all(index_ok)),
            "status": {kk: int(v) for kk, v in found["status"].items()},
            "title": (f"Linear network {d} → {p} → {k}, m = {m}: critical points, exact and "
                      f"found from {starts} starts")}


@_run.register("network_linear", kind="simulation", claim=(
    "Every critical point of a one-hidden-layer linear network is known exactly (Baldi & "
    "Hornik 1989): the only local minima are global and the rest are strict saddles; the "
    "numerical critical-point finder is held against that list (recall by loss level, "
    "spurious points, index agreement)."))
def figure_network_linear(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "network_linear": :func:`linear_landscape` at the :data:`NET_SIZES` of the
    level."""
    from ..plotting.networks import plot_linear_landscape
    lvl = _run.level(quick, smoke)
    cfg = NET_SIZES[lvl]["linear"]
    land = linear_landscape(cfg["d"], cfg["p"], cfg["k"], cfg["m"], cfg["starts"], seed=seed,
                            device=device)

    def draw():
        return plot_linear_landscape(land)[0]
    summary = {k: v for k, v in land.items() if k != "title"}
    return {"name": "network_linear", "claim": _run.FIGURES["network_linear"].claim,
            "draw": draw, "parameters": {"level": lvl, **cfg, "seed": seed, "device": device},
            "summary": summary, "curves": {"landscape": land}}
