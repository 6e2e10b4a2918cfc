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
import functools
import time
from collections import Counter

import numpy as np

from .. import _seeds, _validate
from .._backend import device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from .._validate import InputError
from ..analytic import PenningtonBahri
from ..analytic import linear as lin
from ..compare import networks as cmp
from ..linalg.dense import memory_budget
from ..networks import MLP
from ..networks import data as datasets
from ..networks.critical import descent_starts, find_network_critical_points
from . import _run

__all__ = ["ACTIVATIONS", "DATA", "NET_SIZES", "make_task", "analyse_points",
           "memorisation_summary", "MEMO_STATISTICS",
           "simulate_network", "check_network", "network_study", "linear_landscape", "figure_network_index",
           "figure_network_freeness", "figure_network_linear"]

ACTIVATIONS = ("linear", "tanh", "softplus", "relu", "leaky_relu")
DATA = ("gaussian", "teacher", "digits")
#: critical points per run whose Hessians get the freeness test (each costs a subordination
#: and `cmp.ROTATIONS` eigendecompositions of an n x n matrix)
MAX_FREENESS = 8
#: distinct (loss, index) points with a positive index needed for the 3/2-law fit
FIT_MIN_POINTS = 5
#: a fit is drawn only when no parameter sits on a bound of the fit (there its errors are not
#: defined) and its exponent's standard error is below this fraction of it
FIT_DRAW_RELATIVE_SE = 0.25
#: gradient-descent steps after which the starting snapshots are taken (descent_starts)
DESCENT_STEPS = (0, 5, 20, 80, 300)
#: sizes per level of the figures: the memorisation task at several samples m (so several phi),
#: and the linear-network landscape
NET_SIZES = {
    "smoke": {"widths": (3, 4, 2), "ms": (6, 12), "teacher_m": 12, "seeds": 1, "inits": 3,
              "memo_seeds": 2, "null_draws": cmp.NULL_DRAWS,
              "steps": (0, 20), "maxiter": 60, "max_freeness": 1, "reference_samples": 1,
              "linear": {"d": 3, "p": 2, "k": 3, "m": 20, "starts": 12}},
    "quick": {"widths": (4, 6, 2), "ms": (12, 24, 48), "teacher_m": 24, "seeds": 3,
              "inits": 8, "memo_seeds": 8, "null_draws": cmp.NULL_DRAWS,
              "steps": DESCENT_STEPS, "maxiter": 200, "max_freeness": 3,
              "reference_samples": cmp.REFERENCE_SAMPLES,
              "linear": {"d": 4, "p": 2, "k": 4, "m": 40, "starts": 48}},
    "full": {"widths": (8, 16, 4), "ms": (20, 40, 80, 160), "teacher_m": 80, "seeds": 10,
             "inits": 20, "memo_seeds": 16, "null_draws": cmp.NULL_DRAWS, "steps": (0, 5, 20, 80, 300, 1000), "maxiter": 400,
             "max_freeness": 8, "reference_samples": cmp.REFERENCE_SAMPLES,
             "linear": {"d": 6, "p": 3, "k": 5, "m": 200, "starts": 400}},
}
#: loss bins of the freeness table (PB's eps: a zero network on unit-variance targets has 1/2)
FREENESS_EPS_EDGES = (0.0, 0.05, 0.2, 0.35, 0.5, 1.0)


def make_task(data, m, d_in, k, *, hidden=None, rng=None, device="cpu", downsample=None,
              whiten=False):
    """The data set of a run: ``"gaussian"`` (PB's memorisation task), ``"teacher"`` (a
    random tanh teacher with ``hidden`` units and noise 0.1) or ``"digits"`` (scikit-learn's
    bundled digits, k classes, m samples, standardised; needs the ``data`` extra), with PB's
    preprocessing options ``downsample`` (1, 2, 4 or 8) and ``whiten`` (False, "zca" or "pca";
    :func:`rmtland.networks.data.digits`).  For the digits ``d_in`` is the pooled image size,
    64, 16, 4 or 1, and sets ``downsample`` (8, 4, 2, 1 pixels a side); an explicit
    ``downsample`` must agree with it (:func:`rmtland.networks.data.digits_downsample`).  The
    network's inputs are the pixels left after the standardisation drops those constant over
    the samples (and, with ``whiten="pca"``, the principal components kept): ``X.shape[1]``,
    at most ``d_in``."""
    if data not in DATA:
        raise InputError(f"data must be one of {DATA}, got {data!r}")
    if data != "digits" and (downsample is not None or whiten):
        raise InputError(f"downsample and whiten apply to data='digits' only, got data="
                         f"{data!r}")
    if data == "gaussian":
        return datasets.gaussian_task(m, d_in, k, rng=rng, device=device)
    if data == "teacher":
        return datasets.teacher_task(m, d_in, k, hidden=hidden or d_in, rng=rng, device=device)
    downsample = datasets.digits_downsample(d_in, downsample)
    return datasets.digits(classes=list(range(k)), m=m, downsample=downsample,
                           standardize=True, whiten=whiten, rng=rng, device=device)


def _network_bytes(hidden, inputs, outputs, samples, depth, starts, snapshots, bias,
                   itemsize=8):
    """Peak working memory of :func:`simulate_network` (bytes), from the sizes alone."""
    widths = [inputs] + [hidden] * depth + [outputs]
    n = sum(a * b for a, b in zip(widths, widths[1:])) + (sum(widths[1:]) if bias else 0)
    units = sum(widths[1:])
    B = starts * snapshots
    return itemsize * (
        3 * samples * (inputs + outputs + hidden)   # the data (and a teacher's hidden layer)
        + 5 * B * n * n                             # dense H, its symmetrisation, eigenvectors
        + B * (6 * samples * units + 4 * n)         # one column block of MLP.hessian
        + 4 * B * samples * units)                  # the forward pass kept for the R-passes


def _network_operations(hidden, inputs, outputs, samples, depth, starts, snapshots, steps,
                        maxiter, freeness, null_tests=0, null_draws=0):
    """Work of :func:`simulate_network` (multiply-adds, plus
    :data:`rmtland._validate.LOOP_OPERATIONS` per Python-level iteration), from the sizes:
    the gradient-descent snapshots (``steps`` full-batch steps of ``starts`` networks), then
    ``maxiter`` + polish iterations of the ``B`` searches (a dense Hessian by R-passes, about
    6 m n^2, and an eigendecomposition, about 10 n^3, each), then the freeness tests, each
    with ``null_draws`` Haar rotations (a product and an eigendecomposition, about 12 n^3, and
    three distances, Python-level calls, each)."""
    widths = [inputs] + [hidden] * depth + [outputs]
    n = sum(a * b for a, b in zip(widths, widths[1:]))
    B = starts * snapshots
    loop = _validate.LOOP_OPERATIONS
    search = B * (6 * samples * n * n + 10 * n ** 3) + loop
    return (steps * (starts * 6 * samples * n + loop)
            + (maxiter + POLISH_ITER + 1) * search
            + freeness * (cmp.ROTATIONS + 2) * 10 * n ** 3
            + null_tests * null_draws * (12 * n ** 3 + 3 * loop))


#: Newton polish iterations of the finder (its default ``polish_iter``)
POLISH_ITER = 30


def check_network(hidden, inputs, outputs, samples, *, depth=1, activation="tanh", starts=16,
                  steps=DESCENT_STEPS, maxiter=200, max_freeness=MAX_FREENESS,
                  reference_samples=cmp.REFERENCE_SAMPLES, bias=False, data="gaussian",
                  downsample=None, whiten=False, device="cpu", max_bytes=None,
                  null_draws=cmp.NULL_DRAWS):
    r"""The up-front check of :func:`simulate_network` (also of ``rmtland simulate network``
    and of the sweep kind ``"network"``): every parameter's range, the digits' ``inputs``
    against ``downsample``, and the memory and the work the run needs, from the sizes alone
    (pure arithmetic, nothing allocated).

    Memory (:func:`_network_bytes`: the ``B = starts * len(steps)`` dense Hessians and their
    eigenvectors, ``5 B n^2`` numbers, plus the data and one R-pass block) must fit the
    budget of :func:`rmtland.linalg.dense.memory_budget` on ``device`` (or ``max_bytes``); the work
    (:func:`_network_operations`, the ``null_draws`` Haar rotations of every freeness test
    included; ``max_freeness=None``, every point tested, counts one test per search) must stay
    within :data:`rmtland._validate.WORK_MAX`.  A
    refusal names the size to reduce and its largest value given the others
    (:func:`rmtland._validate.within_budget`).  Returns ``{"bytes", "operations",
    "parameters", "downsample"}``.  Raises :class:`InputError`.
    """
    hidden = _validate.integer("hidden", hidden, 1)
    inputs = _validate.integer("inputs", inputs, 1)
    outputs = _validate.integer("outputs", outputs, 1)
    samples = _validate.integer("samples", samples, 1)
    depth = _validate.integer("depth", depth, 1)
    starts = _validate.integer("starts", starts, 1)
    maxiter = _validate.integer("maxiter", maxiter, 1)
    reference_samples = _validate.integer("reference_samples", reference_samples, 0)
    if max_freeness is not None:
        max_freeness = _validate.integer("max_freeness", max_freeness, 0)
    null_draws = _validate.integer("null_draws", null_draws, 1)
    if not isinstance(bias, (bool, np.bool_)):
        raise InputError(f"bias must be True or False, got {bias!r}")
    if downsample is not None and (downsample not in (1, 2, 4, 8)
                                   or isinstance(downsample, bool)):
        raise InputError(f"downsample must be one of 1, 2, 4, 8, got {downsample!r}")
    if whiten not in (False, "zca", "pca"):
        raise InputError(f"whiten must be False, 'zca' or 'pca', got {whiten!r}")
    if activation not in ACTIVATIONS:
        raise InputError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if data not in DATA:
        raise InputError(f"data must be one of {DATA}, got {data!r}")
    if data != "digits" and (downsample is not None or whiten):
        raise InputError(f"downsample and whiten apply to data='digits' only, got data="
                         f"{data!r}")
    if isinstance(steps, (str, bytes)):
        raise InputError(f"steps must be a sequence of integers >= 0, got {steps!r}")
    try:
        steps = tuple(sorted({_validate.integer("steps", t, 0) for t in steps}))
    except TypeError:
        raise InputError(f"steps must be a sequence of integers >= 0, got {steps!r}") from None
    if not steps:
        raise InputError("steps must hold at least one step count (integers >= 0)")
    if data == "digits":
        downsample = datasets.digits_downsample(inputs, downsample)
        if not 2 <= outputs <= 10:
            raise InputError(f"outputs must be an integer in [2, 10] for the digits (one "
                             f"output per class, the first K of the ten), got {outputs}")
        if samples > datasets.DIGITS_IMAGES:
            raise InputError(f"samples must be an integer in [{outputs}, "
                             f"{datasets.DIGITS_IMAGES}] for the digits (the images of the "
                             f"first {outputs} classes), got {samples}")
    xp = get_xp(device)
    sizes = {"inputs": inputs, "hidden": hidden, "outputs": outputs, "samples": samples,
             "depth": depth, "starts": starts}
    snapshots = len(steps)

    def tests(starts):          # points tested: at most one per search when all are
        return starts * snapshots if max_freeness is None else max_freeness
    nbytes, ops = _validate.within_budget(
        dict(sizes, steps=steps[-1], maxiter=maxiter, null_draws=null_draws),
        _validate.Budget(lambda steps, maxiter, null_draws, **s: _network_bytes(
            **s, snapshots=snapshots, bias=bias),
                         memory_budget(xp, max_bytes)[1],
                         what=f"the dense Hessians of {starts * len(steps)} searches and the "
                              "data", where="the GPU" if xp is not np else "the host"),
        _validate.Budget(lambda **s: _network_operations(
            **s, snapshots=snapshots, freeness=tests(s["starts"]) * (1 + reference_samples),
            null_tests=tests(s["starts"])),
            _validate.WORK_MAX, what="the descent, the searches and the freeness tests with "
                                     "their null draws", unit="operations"),
        minimum={"steps": 0, "maxiter": 1, "starts": 1, "samples": 1, "hidden": 1,
                 "inputs": 1, "outputs": 1, "depth": 1, "null_draws": 1})
    widths = [inputs] + [hidden] * depth + [outputs]
    return {"bytes": nbytes, "operations": ops, "downsample": downsample,
            "parameters": sum(a * b for a, b in zip(widths, widths[1:]))}


def _spread(count, k):
    """``k`` indices spread evenly over ``range(count)`` (all when ``k >= count``)."""
    if k >= count:
        return list(range(count))
    return sorted({int(round(x)) for x in np.linspace(0, count - 1, k)})


def analyse_points(model, X, Y, found, *, max_freeness=MAX_FREENESS, rng=None,
                   reference_samples=0, null_draws=cmp.NULL_DRAWS, reference_points=None):
    """Per distinct critical point of ``found`` (the finder's dict, ordered by loss): loss,
    ``index`` (fraction) and ``index_count``, ``zero_modes``, ``max_preactivation`` (the
    largest :math:`|z|` over hidden units and samples) and ``norm_growth`` (parameter norm over
    its start's), and for ``max_freeness`` points spread evenly over the loss range (every
    point when ``None``) ``freeness``: the three KS distances of
    :func:`rmtland.compare.networks.freeness_test`, with ``p_value`` per distance against
    ``null_draws`` Haar rotations of the point's own :math:`H_1` (``null_draws``), and with
    ``reference_samples > 0`` ``p_value_pb_model`` (against the PB-model draws, the second
    reference); beside it the PB17 index at the point's matched :math:`(\\varphi,
    \\varepsilon)` and the PB-model distances (``reference``).  A point not tested has
    ``freeness = {"tested": False, "p_value": None, "null_draws": 0}``.  The PB-model
    reference runs on ``reference_points`` of the tested points spread over the loss range
    (all when ``None``).  Returns JSON-safe rows."""
    rows = []
    n_pts = len(found["loss"])
    gens = _seeds.children(rng, max(n_pts, 1))
    phi = model.phi(X.shape[0])
    Xh, Yh = to_numpy(X), to_numpy(Y)          # the Hessians are formed once each, on the host
    tested = sorted(range(n_pts) if max_freeness is None else _spread(n_pts, max_freeness))
    with_ref = {tested[j] for j in (range(len(tested)) if reference_points is None
                                    else _spread(len(tested), reference_points))}
    tested = set(tested)
    for i in range(n_pts):
        row = {"loss": float(found["loss"][i]), "index": float(found["index"][i]),
               "index_count": int(found["index_count"][i]),
               "grad_norm": float(found["grad_norm"][i]),
               "zero_modes": int(found["zero_modes"][i]),
               "max_preactivation": float(found["zmax"][i]),
               "norm_growth": float(found["norm"][i] / found["norm0"][i]),
               "multiplicity": int(found["multiplicity"][i]),
               "freeness": {"tested": False, "p_value": None, "null_draws": 0}}
        if i in tested:
            theta = found["theta"][i][None]        # the finder returns host arrays
            H0 = model.hessian(theta, Xh, Yh, part="H0")[0]
            H1 = model.hessian(theta, Xh, Yh, part="H1")[0]
            try:
                f = cmp.freeness_test(H0, H1, rng=gens[i], phi=min(phi, 1e20),
                                      reference=reference_samples > 0 and i in with_ref,
                                      reference_samples=max(reference_samples, 1),
                                      null_draws=null_draws)
                row["freeness"] = {k: None if f[k] is None else float(f[k])
                                   for k in cmp.FREENESS_KEYS}
                row["freeness"].update(tested=True, p_value=f["p_value"],
                                       null_draws=f["null_draws"], null=f["null"],
                                       null_model=f["null_model"],
                                       p_value_pb_model=f["p_value_pb_model"],
                                       pb_model_draws=(reference_samples
                                                       if f["reference"] is not None else 0))
                row["matched"] = {"phi": float(f["phi"]), "eps": float(f["eps"]),
                                  "c": float(f["c"])}
                row["theory_index"] = float(PenningtonBahri(f["phi"], f["eps"]).index())
                if f["reference"] is not None:
                    row["reference"] = {k: {"mean": f["reference"][k]["mean"],
                                            "max": f["reference"][k]["max"],
                                            "values": [None if v is None else float(v)
                                                       for v in f["reference"][k]["values"]]}
                                        for k in cmp.FREENESS_KEYS}
            except (InputError, ValueError, np.linalg.LinAlgError) as exc:
                row["freeness_error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def _fit(points):
    """The 3/2-law fit over points with a positive index, or the reason there is none."""
    pairs = sorted({(round(p["loss"], 12), p["index"]) for p in points
                    if p["index_count"] > 0})
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
            "alpha0": f["alpha0"], "alpha0_stderr": f["alpha0_stderr"], "points": int(eps.size),
            "at_bound": f["at_bound"], "chi2": f["chi2"], "dof": f["dof"]}


def simulate_network(hidden, inputs, outputs, samples, *, depth=1, activation="tanh",
                     data="gaussian", starts=16, steps=DESCENT_STEPS, seed=0, device="cpu",
                     bias=False, maxiter=200, max_freeness=None,
                     reference_samples=cmp.REFERENCE_SAMPLES, downsample=None, whiten=False,
                     out=None, pdf=False, progress=True, null_draws=cmp.NULL_DRAWS):
    r"""Critical points of every index of one network on one data set, held against the
    theory: ``result.json`` (parameters, :math:`\varphi = n/(km)`, every distinct critical
    point with its loss, index, gradient norm and zero modes, the starts rejected as
    gradient-flat or run off to infinity (each of the latter with its largest pre-activation
    ``zmax``, saturated (sample, unit) pairs, units saturated on every sample and parameter-norm
    growth), the 3/2-law fit, the freeness KS distances with their noise references and the
    table by loss bin, and the memorisation loss), ``points.npz`` (every point's parameters and
    the spectra of H, H0, H1 there, with the data, so anyone can recheck it) and
    ``network.png`` in ``out``.

    The network is :class:`rmtland.networks.MLP` with widths ``[inputs] + [hidden] * depth +
    [outputs]`` (for ``data="digits"`` ``inputs`` is the pooled image size, 64, 16, 4 or 1,
    which sets ``downsample``; the network gets the pixels left after the standardisation,
    reported as ``inputs`` beside ``pixels`` and ``inputs_note``; :func:`make_task`), squared loss
    normalised as PB17 (:math:`L = \frac{1}{2km}\sum_i\lVert f(x_i) - y_i\rVert^2`). The
    searches start from snapshots of gradient descent: ``starts`` random networks after each
    number of ``steps`` (:func:`rmtland.networks.descent_starts`; ``steps=(0,)`` gives plain
    random starts), so ``starts * len(steps)`` searches run.

    Every distinct critical point (``max_freeness=None``; else that many, spread over the
    loss range) gets the freeness test with a p-value per distance against ``null_draws``
    Haar rotations of its own :math:`H_1` (:func:`rmtland.compare.networks.freeness_test`);
    the PB-model reference (``reference_samples`` draws) runs on :data:`MAX_FREENESS` of them,
    spread over the loss range.  Finite means finite: the finder calls a converged point at
    infinity when its largest pre-activation exceeds the activation's bound or, at a minimum,
    when it has zero modes beyond the exact symmetries (:mod:`rmtland.networks.critical`,
    rule (c)); ``finiteness`` counts both kinds, and ``at_infinity_starts`` lists each such
    start with its statistics.

    Its first step is :func:`check_network`: bad parameters, and sizes whose memory or work
    (the null draws included) would not fit, are refused
    (:class:`rmtland._validate.InputError`) before anything is allocated.
    """
    plan = check_network(hidden, inputs, outputs, samples, depth=depth,
                         activation=activation, starts=starts,
                         steps=steps, maxiter=maxiter, max_freeness=max_freeness,
                         reference_samples=reference_samples, bias=bias, data=data,
                         downsample=downsample, whiten=whiten, device=device,
                         null_draws=null_draws)
    hidden, inputs, outputs, samples, depth, starts = (
        int(v) for v in (hidden, inputs, outputs, samples, depth, starts))
    steps = tuple(sorted({int(t) for t in steps}))
    if out is not None:
        check_output_dir(out)
    xp = get_xp(device)
    t0 = time.perf_counter()
    s_data, s_find, s_free, s_start = _seeds.children(seed, 4)
    task = make_task(data, samples, inputs, outputs, hidden=hidden, rng=s_data, device=device,
                     downsample=downsample, whiten=whiten)
    d_in = task.X.shape[1]
    model = MLP([d_in] + [hidden] * depth + [outputs], activation=activation, bias=bias)
    bar = Progress(1, f"critical points n={model.n_params}, {starts * len(steps)} searches") \
        if progress else None
    theta0 = descent_starts(model, task.X, task.Y, starts, steps, rng=s_start)
    found = find_network_critical_points(model, task.X, task.Y, theta0=theta0, rng=s_find,
                                         kind="any", maxiter=maxiter)
    if bar:
        bar(1)
        bar.close()
    points = analyse_points(model, task.X, task.Y, found, max_freeness=max_freeness,
                            rng=s_free, reference_samples=reference_samples,
                            null_draws=null_draws, reference_points=MAX_FREENESS)
    phi = model.phi(samples)
    for p in points:
        p["phi"] = phi
    minima = [p["loss"] for p in points if p["index_count"] == 0]
    result = {"hidden": hidden, "depth": depth, "inputs": d_in, **_digits_inputs(task, inputs),
              "outputs": outputs,
              "samples": samples, "activation": activation, "data": data, "bias": bias,
              "starts": starts, "steps": list(steps), "searches": starts * len(steps),
              "downsample": plan["downsample"], "whiten": whiten, "seed": seed,
              "device": device_name(xp),
              "parameters": model.n_params, "phi": phi,
              "critical_points": points,
              "status": {k: int(v) for k, v in found["status"].items()},
              "rejected_gradient_flat": int(found["status"].get("gradient_flat", 0)),
              "at_infinity": int(found["status"].get("at_infinity", 0)),
              "at_infinity_starts": _at_infinity_rows(found),
              "finiteness": _finiteness(found),
              "fit": _fit(points),
              "freeness_table": cmp.freeness_table(points, FREENESS_EPS_EDGES),
              "memorisation": ({"prediction": cmp.memorisation_loss(phi),
                                "minima_mean_loss": float(np.mean(minima)),
                                "minima": len(minima),
                                "statistic": "mean loss over the distinct finite minima "
                                             "(index 0) of the one data set",
                                "note": "mean over the distinct minima of one data set, not "
                                        "over independent data sets (the network_index "
                                        "figure averages over data sets)"}
                               if data == "gaussian" and minima else None),
              "seconds": time.perf_counter() - t0, "versions": _run.versions()}
    if out is not None:
        from ..plotting.networks import plot_network_run
        study = {"groups": [_group(phi, points)],
                 "title": (f"{activation} network {model.widths}, {data} data, m = {samples}:"
                           f" {len(points)} critical points from {starts * len(steps)} "
                           f"searches")}
        result["files"] = _run.figure_names("network", pdf) + ["result.json", "points.npz"]
        npz = {"theta": found["theta"], "loss": found["loss"], "index_count": found["index_count"],
               "grad_norm": found["grad_norm"], "zero_modes": found["zero_modes"],
               "eig_H": found["eig_H"], "eig_H0": found["eig_H0"], "eig_H1": found["eig_H1"],
               "X": to_numpy(task.X), "Y": to_numpy(task.Y)}
        _run.write_run(out, {"result.json": result},
                       [("network", lambda: plot_network_run(study)[0])], pdf,
                       owned=_run.figure_names("network", True) + ["points.npz"],
                       extra=[("points.npz", lambda fh: np.savez(fh, **npz))])
    return result


def _at_infinity_rows(found):
    """One JSON row per start the finder put at infinity, with its statistics."""
    inf = found["at_infinity"]
    return [{"zmax": float(z), "max_preactivation": float(z), "saturated": int(c),
             "saturated_units": int(u), "norm_growth": float(nm / n0), "loss": float(ls),
             "zero_modes": int(zm), "index_count": int(ic), "converged": bool(cv)}
            for z, c, u, nm, n0, ls, zm, ic, cv in zip(*(inf[k] for k in (
                "zmax", "saturated", "saturated_units", "norm", "norm0", "loss", "zero_modes",
                "index_count", "converged")))]


def _finiteness(found):
    """The finder's finite / at-infinity counts over the starts, with the rule and the
    at-infinity statistics (max pre-activation, norm growth, zero modes: median and range)."""
    inf = found["at_infinity"]
    st = found["settings"]
    conv = np.asarray(inf["converged"], dtype=bool)

    def spread(v):
        v = np.asarray(v, dtype=float)
        return None if v.size == 0 else {"median": float(np.median(v)),
                                         "min": float(v.min()), "max": float(v.max())}
    return {"rule": (f"finite iff converged, max |pre-activation| <= {st['z_finite']} "
                     f"(None: no bound for this activation) and, at a minimum, zero modes <= "
                     f"{st['allowed_zero_modes']} (the exact symmetries' "
                     f"{st['symmetry_zero_modes']} plus max(0, n - km) of an exact-fit "
                     "manifold; None: not applied)"),
            "z_finite": st["z_finite"], "symmetry_zero_modes": st["symmetry_zero_modes"],
            "allowed_zero_modes": st["allowed_zero_modes"],
            "finite_starts": int(found["status"].get("critical", 0)),
            "at_infinity_starts": int(found["status"].get("at_infinity", 0)),
            "at_infinity_converged": int(conv.sum()),
            "at_infinity_converged_by_zmax": int((conv & (
                np.asarray(inf["zmax"]) > (st["z_finite"] or np.inf))).sum()),
            "max_preactivation": spread(inf["zmax"]),
            "norm_growth": spread(np.asarray(inf["norm"]) / np.asarray(inf["norm0"])),
            "zero_modes": spread(inf["zero_modes"])}


def _digits_inputs(task, pixels):
    """For the digits: the pooled image size asked for and what became of it (the
    standardisation drops pixels constant over the samples; PCA whitening keeps the
    components above its floor), so ``inputs`` below ``pixels`` is never silent."""
    if task.name != "digits":
        return {}
    d_in = int(task.X.shape[1])
    note = (f"inputs = {pixels} is the pooled image size (downsample "
            f"{task.info['downsample']}); the network has {d_in} inputs: ")
    dropped = pixels - len(task.info["kept_pixels"])
    parts = []
    if dropped:
        parts.append(f"{dropped} pixels constant over the {task.X.shape[0]} samples were "
                     "dropped by the standardisation")
    if task.info.get("whiten") == "pca" and d_in < len(task.info["kept_pixels"]):
        parts.append(f"PCA whitening kept {d_in} of {len(task.info['kept_pixels'])} "
                     "components")
    return {"pixels": int(pixels),
            "inputs_note": note + ("; ".join(parts) if parts else "every pixel kept")}


def _nan(v):
    return np.nan if v is None else v


def _group(phi, points, label=None):
    fp = [p for p in points if p.get("freeness", {}).get("p_value")]
    return {"phi": phi, "label": label, "loss": [p["loss"] for p in points],
            "index": [p["index"] for p in points],
            "theory_index": [p.get("theory_index", np.nan) for p in points],
            "ks": {k: [_nan(p["freeness"][k]) for p in fp] for k in cmp.FREENESS_KEYS},
            "ks_reference": {k: [_nan(p["reference"][k]["max"]) if "reference" in p else np.nan
                                 for p in fp] for k in cmp.FREENESS_KEYS},
            "ks_loss": [p["loss"] for p in fp], "fit_line": None}


def _search(model, task, child, inits, steps, maxiter, max_freeness, reference_samples,
            null_draws):
    """One data set: critical points of every index from descent snapshots."""
    s_start, s_find, s_free, _ = _seeds.children(child, 4)
    theta0 = descent_starts(model, task.X, task.Y, inits, steps, rng=s_start)
    found = find_network_critical_points(model, task.X, task.Y, theta0=theta0, rng=s_find,
                                         kind="any", maxiter=maxiter)
    points = analyse_points(model, task.X, task.Y, found, max_freeness=max_freeness,
                            rng=s_free, reference_samples=reference_samples,
                            null_draws=null_draws)
    return found, points


def _minimise(model, task, child, inits, maxiter):
    """One data set: ``inits`` minimisations (``kind="minima"``) from random starts."""
    s_min = _seeds.children(child, 4)[3]
    return find_network_critical_points(model, task.X, task.Y, starts=inits, rng=s_min,
                                        kind="minima", maxiter=maxiter)


#: the per-data-set statistics of the memorisation loss (over its minimisation end points)
MEMO_STATISTICS = {"lowest": "the lowest loss over the data set's minimisation end points",
                   "mean": "the mean loss over the data set's minimisation end points"}


def memorisation_summary(phi, end_losses, finite_losses):
    r"""PB's memorisation statement at one :math:`\varphi` over independent data sets.

    ``end_losses[j]``: the final loss of **every** minimisation of data set ``j`` (finite
    minima, minima at infinity, stalled starts alike: no filter), ``finite_losses[j]``: the
    losses of its distinct finite minima.  Per data set two statistics
    (:data:`MEMO_STATISTICS`): the lowest and the mean end-point loss; each is then averaged
    over the data sets, the independent units, with its standard error over them, against
    :math:`\tfrac12(1-\varphi)^2` (:func:`rmtland.compare.networks.memorisation_deviation`).
    The finite minima's lowest loss is reported beside, over the data sets that have one.
    """
    keys = ("mean", "stderr", "prediction", "deviation", "z", "seeds")
    out = {"prediction": cmp.memorisation_loss(phi), "data_sets": len(end_losses),
           "end_points_per_data_set": [len(v) for v in end_losses],
           "statistics": {}, "per_data_set": {}}
    for name, what in MEMO_STATISTICS.items():
        per = [float(np.min(v) if name == "lowest" else np.mean(v)) for v in end_losses]
        dev = cmp.memorisation_deviation(phi, per)
        out["statistics"][name] = {"statistic": what + "; mean +- s.e. over data sets",
                                   **{k: dev[k] for k in keys}}
        out["per_data_set"][name] = per
    fin = [float(np.min(v)) for v in finite_losses if len(v)]
    out["per_data_set"]["finite_lowest"] = [float(np.min(v)) if len(v) else None
                                            for v in finite_losses]
    if fin:
        dev = cmp.memorisation_deviation(phi, fin)
        out["statistics"]["finite_lowest"] = {
            "statistic": "the lowest loss over the data set's finite minima, over the data "
                         "sets with one; mean +- s.e. over them", **{k: dev[k] for k in keys}}
    else:
        out["statistics"]["finite_lowest"] = None
    return out


def _at_infinity_summary(status, at_infinity):
    """Finite and at-infinity starts over data sets (``status``: a Counter of the finder's
    statuses; ``at_infinity``: its ``at_infinity`` dicts), with the at-infinity statistics:
    how many had converged (rule (c) of :mod:`rmtland.networks.critical`), and the median and
    range of their max pre-activation, norm growth and zero modes."""
    cat = {key: np.concatenate([np.asarray(st[key], dtype=float) for st in at_infinity]
                               + [np.zeros(0)])
           for key in ("zmax", "norm", "norm0", "zero_modes", "converged")}

    def spread(v):
        return None if v.size == 0 else {"median": float(np.median(v)),
                                         "min": float(v.min()), "max": float(v.max())}
    return {"finite_starts": int(status.get("critical", 0)),
            "at_infinity_starts": int(status.get("at_infinity", 0)),
            "at_infinity_converged": int(cat["converged"].sum()),
            "at_infinity_max_preactivation": spread(cat["zmax"]),
            "at_infinity_norm_growth": spread(cat["norm"] / cat["norm0"]),
            "at_infinity_zero_modes": spread(cat["zero_modes"])}


def network_study(widths, ms, *, seeds=3, inits=8, steps=DESCENT_STEPS,
                  teacher_m=None, activation="tanh", maxiter=200, seed=0, device="cpu",
                  max_freeness=MAX_FREENESS, reference_samples=cmp.REFERENCE_SAMPLES,
                  eps_edges=FREENESS_EPS_EDGES, memo_seeds=None, null_draws=cmp.NULL_DRAWS):
    r"""Critical points of every index of one network shape at several
    :math:`\varphi = n/(km)` (samples ``ms``), ``seeds`` independent data sets each, on PB's
    memorisation task (Gaussian inputs, random targets; PB17 Sec. 5) and, at ``teacher_m``
    samples, on a teacher's targets with noise 0.1 (whose critical points reach small losses).

    Per data set the searches (:func:`rmtland.networks.find_network_critical_points`,
    ``kind="any"``) start from snapshots of gradient descent (:func:`rmtland.networks.
    descent_starts`: ``inits`` networks after each number of ``steps``), so the points cover
    a range of losses; each gets its index and loss, and ``max_freeness`` of them (spread over
    the loss range) the freeness test with ``null_draws`` Haar rotations behind its p-values
    and its PB-model reference.  Per :math:`\varphi`: the 3/2-law fit over the pooled points,
    and PB's memorisation statement (:func:`memorisation_summary`) from ``inits``
    minimisations (``kind="minima"``) on each of ``memo_seeds`` data sets (default
    ``seeds``; the first ``seeds`` are those of the searches), with the finiteness counts of
    their end points (``minima``: finite, at infinity with their statistics; ``finiteness``:
    the same for the searches of every index).
    ``freeness_table`` groups the freeness tests by :math:`\varphi` and loss bin, with the
    fraction of points rejecting freeness at 5% ± its binomial s.e.
    (:func:`rmtland.compare.networks.freeness_table`).
    """
    d_in, k = widths[0], widths[-1]
    memo_seeds = seeds if memo_seeds is None else memo_seeds
    model = MLP(list(widths), activation=activation)
    tasks = [("gaussian", m) for m in ms] + ([("teacher", teacher_m)] if teacher_m else [])
    groups, runs, all_points = [], [], []
    per_task = {data: max(seeds, memo_seeds) if data == "gaussian" else seeds
                for data, _ in tasks}
    bar = Progress(sum(per_task[d] for d, _ in tasks), "network critical points")
    done = 0
    for (data, m), child in zip(tasks, _seeds.children(seed, len(tasks))):
        phi = model.phi(m)
        points, status, minima_status = [], Counter(), Counter()
        end_losses, finite_losses, inf_stats, search_inf = [], [], [], []
        for j, sub in enumerate(_seeds.children(child, per_task[data])):
            s_data, s_run = _seeds.children(sub, 2)
            task = make_task(data, m, d_in, k, hidden=widths[1], rng=s_data, device=device)
            if j < seeds:
                found, pts = _search(model, task, s_run, inits, steps, maxiter,
                                     max_freeness, reference_samples, null_draws)
                for p in pts:
                    p.update(data_seed=j, phi=phi, data=data)
                points += pts
                status.update(found["status"])
                search_inf.append(found["at_infinity"])
            if data == "gaussian" and j < memo_seeds:
                mins = _minimise(model, task, s_run, inits, maxiter)
                minima_status.update(mins["status"])
                end_losses.append(np.asarray(mins["start_loss"], dtype=float).tolist())
                finite_losses.append(np.asarray(mins["loss"], dtype=float).tolist())
                inf_stats.append(mins["at_infinity"])
            done += 1
            bar(done)
        label = (rf"$\varphi = {phi:.3g}$" + ("" if data == "gaussian" else ", teacher"))
        g = _group(phi, points, label)
        fit = _fit(points)      # in the JSON; drawn only when it resolves the exponent
        if fit["eps_c"] is not None and not fit["at_bound"] and \
                fit["exponent_stderr"] is not None and \
                fit["exponent_stderr"] < FIT_DRAW_RELATIVE_SE * abs(fit["exponent"]):
            e = np.linspace(fit["eps_c"], max(g["loss"]), 100)
            g["fit_line"] = (e, cmp.three_halves_model(e, fit["eps_c"], fit["exponent"],
                                                       fit["alpha0"]))
        groups.append(g)
        run = {"data": data, "m": m, "phi": phi, "seeds": seeds,
               "critical_points": len(points),
               "status": {kk: int(v) for kk, v in status.items()}, "fit": fit,
               "points": points, "minima": None, "memorisation": None,
               "memorisation_prediction": cmp.memorisation_loss(phi)}
        run["finiteness"] = _at_infinity_summary(status, search_inf)
        if end_losses:
            run["minima"] = {
                "data_sets": len(end_losses), "starts_per_data_set": inits,
                "status": {kk: int(v) for kk, v in minima_status.items()},
                "distinct_finite": int(sum(len(v) for v in finite_losses)),
                **_at_infinity_summary(minima_status, inf_stats)}
            run["memorisation"] = memorisation_summary(phi, end_losses, finite_losses)
        runs.append(run)
        all_points += points
    bar.close()
    return {"widths": list(widths), "parameters": model.n_params, "activation": activation,
            "inits": inits, "steps": list(steps), "seeds": seeds, "memo_seeds": memo_seeds,
            "null_draws": null_draws, "runs": runs, "groups": groups,
            "freeness_table": cmp.freeness_table(all_points, eps_edges),
            "freeness_rejection": {k: cmp.rejection_rate(
                [(p.get("freeness", {}).get("p_value") or {}).get(k) for p in all_points])
                for k in cmp.FREENESS_KEYS},
            "title": (f"{activation} network {list(widths)} ({model.n_params} parameters), "
                      f"{seeds} data sets per $\\varphi$ ({memo_seeds} for the minima): "
                      "critical points against PB17")}


@functools.lru_cache(maxsize=2)
def _study(lvl, seed, device):
    """The study behind both network figures, computed once per process and level (the
    figures report its own wall time as ``study_seconds``)."""
    cfg = NET_SIZES[lvl]
    t0 = time.perf_counter()
    study = network_study(cfg["widths"], cfg["ms"], seeds=cfg["seeds"], inits=cfg["inits"],
                          steps=cfg["steps"], teacher_m=cfg["teacher_m"],
                          maxiter=cfg["maxiter"], max_freeness=cfg["max_freeness"],
                          reference_samples=cfg["reference_samples"], seed=seed, device=device,
                          memo_seeds=cfg["memo_seeds"], null_draws=cfg["null_draws"])
    study["seconds"] = time.perf_counter() - t0
    return study


def _study_parameters(lvl, seed, device):
    cfg = NET_SIZES[lvl]
    return {"level": lvl, **{k: list(v) if isinstance(v, tuple) else v
                             for k, v in cfg.items() if k != "linear"},
            "seed": seed, "device": device}


@_run.register("network_index", kind="simulation", claim=(
    "Critical points of every index of a small tanh network on PB's memorisation task "
    "(Gaussian inputs, random targets) and on a teacher's targets, found by minimising "
    "|grad L|^2 from snapshots of gradient descent: their index against their loss beside the "
    "Pennington-Bahri law at each point's matched (phi, eps); and the loss of minimisers "
    "against PB's (1 - phi)^2 / 2 over independent data sets (Pennington & Bahri 2017, "
    "Sec. 5)."))
def figure_network_index(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "network_index": :func:`network_study` at the :data:`NET_SIZES` of the level:
    (a) index against loss, (b) the memorisation loss against :math:`\varphi`."""
    from ..plotting.networks import plot_network_study
    lvl = _run.level(quick, smoke)
    study = _study(lvl, seed, device)
    phis = np.geomspace(0.2, 2.0, 200)
    memo_curve = (phis, np.array([cmp.memorisation_loss(p) for p in phis]))

    def draw():
        return plot_network_study(study, memo_curve)[0]
    summary = {"runs": study["runs"], "parameters": study["parameters"],
               "study_seconds": study["seconds"]}
    return {"name": "network_index", "claim": _run.FIGURES["network_index"].claim,
            "draw": draw, "parameters": _study_parameters(lvl, seed, device),
            "summary": summary, "curves": {"memorisation": memo_curve}}


@_run.register("network_freeness", kind="simulation", claim=(
    "Is the residual part H1 of a real network's Hessian free from its Gauss-Newton part H0, "
    "as the Pennington-Bahri theory assumes? At each critical point of the network_index "
    "study, three KS distances of spec(H) (to the free convolution of the empirical spectra, "
    "to H0 + Q H1 Q^T with Haar Q, to the PB law with matched moments), each against the same "
    "distances on PB-model draws of the same size; the fraction of points above every draw is "
    "1/(R+1) under freeness."))
def figure_network_freeness(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "network_freeness": the freeness tests of :func:`network_study`'s points with
    their noise references, and the table of
    :func:`rmtland.compare.networks.freeness_table`."""
    from ..plotting.networks import plot_freeness
    lvl = _run.level(quick, smoke)
    study = _study(lvl, seed, device)

    def draw():
        return plot_freeness(study)[0]
    return {"name": "network_freeness", "claim": _run.FIGURES["network_freeness"].claim,
            "draw": draw, "parameters": _study_parameters(lvl, seed, device),
            "summary": {"table": study["freeness_table"],
                        "rejection": study["freeness_rejection"],
                        "eps_edges": list(FREENESS_EPS_EDGES),
                        "parameters": study["parameters"], "study_seconds": study["seconds"]},
            "curves": {}}


#: data of the linear-network study: PB's memorisation task (targets independent of the inputs:
#: the eigenvalues of Sigma are all small) and a linear teacher (spread eigenvalues)
LINEAR_DATA = ("gaussian", "teacher")
#: start designs of the linear-network study: the finder's random (LeCun) starts; snapshots of
#: gradient descent (:func:`descent_starts`, start i after DESCENT_STEPS[i % 5] steps); random
#: starts at the init scales LINEAR_SCALES (start i at LINEAR_SCALES[i % 5])
LINEAR_DESIGNS = ("random", "descent", "scales")
#: init scales of the "scales" design: 0.1 reaches the origin (W = 0), 2 and 4 the global
#: minimum more often than 1 (measured: tests/test_linear_recall.py, linear_landscape notes)
LINEAR_SCALES = (0.1, 0.5, 1.0, 2.0, 4.0)
#: a found point is on a Baldi-Hornik class when its product W2 W1 is within this relative
#: distance (of the largest exact product) of the class's product
CLASS_RTOL = 1e-6


def _linear_task(data, m, d, k, rng):
    """The data of the linear study: ``"gaussian"`` (:func:`~rmtland.networks.data.gaussian_task`)
    or ``"teacher"`` (a linear teacher of width ``k`` plus noise 0.1, standardised:
    :func:`~rmtland.networks.data.teacher_task`)."""
    if data == "gaussian":
        return datasets.gaussian_task(m, d, k, rng=rng, device="cpu")
    return datasets.teacher_task(m, d, k, hidden=k, activation="linear", rng=rng, device="cpu")


def _exact_classes(X, Y, p):
    r"""The Baldi–Hornik classes of ``d → p → k`` on ``(X, Y)``: per subset I of Σ's
    eigenvectors (|I| ≤ p) its product ``W`` (k × d, row-major, the linear
    :func:`~rmtland.networks.critical.canonical_form`), loss, exact index count (negative
    eigenvalues of the exact Hessian of its representative: constant on the class, Sylvester)
    and whether it is the global minimum; ``lambda``: Σ's eigenvalues, decreasing."""
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    exact = lin.baldi_hornik_critical_points(Sxx, Sxy, Syy, p)
    return {"subset": [list(e["subset"]) for e in exact],
            "W": np.array([e["W"].reshape(-1) for e in exact]),
            "loss": np.array([e["loss"] for e in exact]),
            "index_count": np.array([lin.index_with_zero_modes(lin.linear_network_hessian(
                e["W1"], e["W2"], Sxx, Sxy, Syy)).negative for e in exact]),
            "global_minimum": int(next(j for j, e in enumerate(exact) if e["global_minimum"])),
            "global_minima": int(sum(e["global_minimum"] for e in exact)),
            "lambda": lin.baldi_hornik_sigma(Sxx, Sxy)[0].tolist()}


def _point_classes(model, found, exact):
    """Class (index into ``exact``) of each distinct point of ``found``, -1 when its product
    W2 W1 is on no class (relative :data:`CLASS_RTOL`)."""
    from ..networks.critical import canonical_form
    c = canonical_form(model, found["theta"])
    if not c.shape[0]:
        return np.zeros(0, dtype=np.int64)
    dist = np.linalg.norm(c[:, None, :] - exact["W"][None], axis=2)
    tol = CLASS_RTOL * max(np.linalg.norm(exact["W"], axis=1).max(), np.finfo(float).tiny)
    return np.where(dist.min(axis=1) <= tol, dist.argmin(axis=1), -1).astype(np.int64)


def _recall(found, exact, point_class, starts=None):
    r"""The first ``starts`` starts of one finder run (default: all) against the exact
    Baldi–Hornik list ``exact`` (:func:`_exact_classes`; ``point_class`` from
    :func:`_point_classes`).

    - by **class** (subset I: the product W2 W1 = U_I U_Iᵀ Σ_yx Σ_xx⁻¹ matched to relative
      :data:`CLASS_RTOL`): ``classes``, ``classes_found``, ``class_recall``,
      ``found_classes`` (the subsets), ``global_minimum_found``;
    - by **loss level** (distinct exact losses, relative 1e-6; two classes share a level only
      when two sums of eigenvalues coincide): ``levels``, ``levels_found``, ``recall``;
    - ``spurious``: distinct points on no exact loss level; ``off_class``: on no class;
      ``index_agrees``: every point on a class has the class's exact index count (when
      ``exact["index_count"]`` is not None);
    - ``basin_starts``: per class, the starts that converged to it; they sum to
      ``converged_on_class`` (= the starts with status "critical" less those on no class);
      ``status``: the starts' statuses.
    """
    from ..networks.critical import STATUSES
    n = found["start_point"].size if starts is None else starts
    sp = found["start_point"][:n]
    pts = np.unique(sp[sp >= 0])
    fl, fi = np.asarray(found["loss"])[pts], np.asarray(found["index_count"])[pts]
    el = exact["loss"]
    rel = np.abs(fl[:, None] - el[None, :]) / np.maximum(np.abs(el), 1e-300)
    match = rel <= 1e-6
    levels = np.unique(np.round(el, 12))
    found_levels = {float(np.round(el[j], 12)) for j in np.nonzero(match.any(0))[0]}
    pc = point_class[pts] if pts.size else np.zeros(0, dtype=np.int64)
    start_class = np.where(sp >= 0, point_class[np.maximum(sp, 0)] if point_class.size
                           else -1, -1)
    basin = np.bincount(start_class[start_class >= 0], minlength=el.size)
    cls = sorted({int(c) for c in pc if c >= 0})
    C = el.size
    out = {"starts": int(n), "found_loss": fl.tolist(), "found_index_count": fi.tolist(),
           "recall": len(found_levels) / len(levels), "levels": int(levels.size),
           "levels_found": len(found_levels), "classes": int(C), "classes_found": len(cls),
           "class_recall": len(cls) / C, "found_classes": [exact["subset"][c] for c in cls],
           "global_minimum_found": exact["global_minimum"] in cls,
           "spurious": int((~match.any(1)).sum()), "off_class": int((pc < 0).sum()),
           "basin_starts": basin.tolist(), "converged_on_class": int(basin.sum()),
           "status": {s: int((found["start_status"][:n] == s).sum()) for s in STATUSES}}
    if exact["index_count"] is not None:
        out["index_agrees"] = bool(all(fi[i] == exact["index_count"][pc[i]]
                                       for i in range(pts.size) if pc[i] >= 0))
    return out


def _starts_ladder(found, exact, point_class, ladder):
    r"""Recall against the number of starts: the first ``n`` starts of one run for each ``n``
    of ``ladder`` (nested: the smaller runs are prefixes of the larger, one rng stream), the
    smallest count that finds every class / the global minimum (``first_start`` per class:
    the 1-based number of the first start that converged to it, so ``starts_needed_*`` is the
    exact count, not only a rung of the ladder; None: not within ``starts_run``), and the
    basin frequency of every class, the fraction of all starts that converged to it (they sum
    to ``converged_fraction``): a class of frequency f needs about 1/f starts on average
    (``expected_starts_global_minimum``; the number of starts to the first hit is geometric)."""
    rows = [_recall(found, exact, point_class, n) for n in ladder]
    B = found["start_point"].size
    sp = found["start_point"]
    start_class = np.where(sp >= 0, point_class[np.maximum(sp, 0)] if point_class.size
                           else -1, -1)
    first = [int(np.argmax(start_class == c)) + 1 if (start_class == c).any() else None
             for c in range(exact["loss"].size)]
    gm = exact["global_minimum"]
    freq = np.asarray(rows[-1]["basin_starts"]) / B
    return {"starts": list(ladder), "starts_run": int(B),
            **{key: [r[key] for r in rows] for key in (
                "classes_found", "class_recall", "levels_found", "recall",
                "global_minimum_found", "spurious", "off_class")},
            "classes": rows[-1]["classes"], "levels": rows[-1]["levels"],
            "first_start": first,
            "starts_needed_all_classes": None if None in first else max(first),
            "starts_needed_global_minimum": first[gm],
            "missed_classes": [exact["subset"][c] for c, f in enumerate(first) if f is None],
            "basin_starts": rows[-1]["basin_starts"], "basin_frequency": freq.tolist(),
            "converged_fraction": float(rows[-1]["status"]["critical"] / B),
            "converged_on_class_fraction": rows[-1]["converged_on_class"] / B,
            "global_minimum_frequency": float(freq[gm]),
            "expected_starts_global_minimum": (float(1.0 / freq[gm]) if freq[gm] > 0
                                               else None),
            "status": rows[-1]["status"]}


def _design_starts(model, X, Y, design, starts, rng):
    """Starting points of one design (:data:`LINEAR_DESIGNS`), ``(starts, n)``: ``"random"``,
    the finder's own draw (``model.init``); ``"descent"``, start i is network i of
    :func:`descent_starts` after ``DESCENT_STEPS[i % 5]`` gradient-descent steps; ``"scales"``,
    start i is drawn by ``model.init`` at scale ``LINEAR_SCALES[i % 5]`` (one stream per
    scale). Every prefix of the starts mixes every depth or scale."""
    if design == "random":
        return model.init(starts, rng=rng, device="cpu")
    if design == "scales":
        S = len(LINEAR_SCALES)
        th = np.stack([model.init(starts, rng=r, device="cpu", scale=sc)
                       for r, sc in zip(_seeds.children(rng, S), LINEAR_SCALES)])
        return th[np.arange(starts) % S, np.arange(starts)]
    S = len(DESCENT_STEPS)
    th = descent_starts(model, X, Y, starts, DESCENT_STEPS, rng=rng).reshape(S, starts, -1)
    return th[np.arange(starts) % S, np.arange(starts)]


def linear_landscape(d, p, k, m, starts, *, seed=0, device="cpu", maxiter=200, ladder=None,
                     data=LINEAR_DATA, designs=LINEAR_DESIGNS):
    r"""Linear networks on Gaussian inputs, exactly and numerically.

    1. One hidden layer, ``d → p → k``: every critical point from the Baldi–Hornik
       enumeration (:func:`rmtland.analytic.linear.baldi_hornik_critical_points`: one class
       per subset I of the eigenvectors of :math:`\Sigma = \Sigma_{yx}\Sigma_{xx}^{-1}
       \Sigma_{xy}`, :math:`|I| \le p`, with its loss and exact Hessian index) against the
       points the
       numerical finder recovers (``kind="any"``). A found point is put on a class by its
       product :math:`W_2W_1` (the class's :math:`U_IU_I^\top\Sigma_{yx}\Sigma_{xx}^{-1}`),
       and on a loss level by its loss (:func:`_recall`). For each task in ``data``
       (:data:`LINEAR_DATA`) and start design in ``designs`` (:data:`LINEAR_DESIGNS`), one run
       of ``max(ladder)`` starts gives the recall at every count of ``ladder`` (nested
       prefixes), the starts needed for every class and for the global minimum, and each
       class's basin frequency (:func:`_starts_ladder`), under ``tasks[data]["designs"]
       [design]``. The top-level keys (``recall``, ``levels``, ``classes``,
       ``global_minimum_found``, ...) are the first task and design at ``starts`` starts.
    2. Depth 3, ``d → p → p → k``, on the first task: the finder's points (``starts``
       random starts) against the same classes and loss levels (the critical values of a
       deep linear network are the Baldi–Hornik values of the subsets of at most ``p``
       eigenvectors: Achour, Malgouyres & Gerchinovitz 2021, arXiv:2107.13289); indices are
       not compared (deep linear critical points are degenerate).
    3. Kawaguchi's saddle at depth 3 (:func:`rmtland.analytic.linear.
       deep_linear_degenerate_saddle`): the origin, whose Hessian (from the network engine,
       :meth:`rmtland.networks.MLP.hessian`) has no negative eigenvalue, while the loss along
       the escape direction ``v`` falls as :math:`L(tv) - L(0) = -a t^3 + b t^6` — the drop
       measured by the engine beside the closed form.

    Why random starts miss the global minimum (measured, issue 18): not the finder's rules —
    started 1% from the exact minimum in random GL(p) gauges every start converges back, is
    kept as ``"critical"`` with index 0 and exactly :math:`p^2` zero modes, and merges into one
    class (``tests/test_linear_recall.py``); about 99% of random starts converge, none is
    called gradient-flat or at infinity. It is the basin: ``kind="any"`` runs
    Levenberg–Marquardt on :math:`\tfrac12\lVert\nabla L\rVert^2` and converges to whichever
    critical class the start's basin of that objective holds, and LeCun starts fall in the
    global minimum's basin 25% of the time on the Gaussian task but 3–4% on the linear teacher
    (Σ's eigenvalues spread: 4 → 2 → 4 and 5 → 2 → 5, m = 40, 768 starts); the fraction rises
    with the start scale (5 → 2 → 5 teacher: 0.000, 0.031, 0.26, 0.51 at ``init_scale`` 0.5,
    1, 2, 4, while larger scales lose the rank-deficient classes: 9, 15, 12, 9 of 16 found) and
    is about 0.5 from gradient-descent snapshots (``"descent"``, as PB17 and
    :func:`network_study`). The number of starts to the first hit is geometric, of mean
    1/frequency (``expected_starts_global_minimum``). The origin (the empty subset, W1 = W2 = 0,
    where H has only the cross-layer block, so its eigenvalues come in ± pairs) is reached
    from almost no start (frequency ≤ 0.3%); starts near it (``init_scale`` 0.1) find it.
    Cycling the start scale over :data:`LINEAR_SCALES` (``"scales"``) found every class in all
    8 cases tried (4 → 2 → 4 and 5 → 2 → 5, both tasks, 2 seeds, 768 starts) after 38–392
    starts, with global-minimum frequencies 0.14–0.29. Not supported: that flat critical
    points (small Hessian eigenvalues, small :math:`\lVert\nabla L\rVert^2` nearby) have the
    wide basins — the rank correlation of a class's frequency with its softest non-zero
    curvature is +0.2 to +0.6 in those cases, not negative.
    """
    _validate.integer("starts", starts, 1)
    ladder = sorted({_validate.integer("ladder", n, 1) for n in (ladder or ())} | {starts})
    for name, val, allowed in (("data", data, LINEAR_DATA), ("designs", designs, LINEAR_DESIGNS)):
        if isinstance(val, str) or not val or any(v not in allowed for v in val):
            raise InputError(f"{name} must be a non-empty sequence of {allowed}, got {val!r}")
    s_data, s_find, s_deep, s_teacher, s_design = _seeds.children(seed, 5)
    model = MLP([d, p, k], activation="linear")
    xp = get_xp(device)
    tasks = {}
    for di, name in enumerate(data):
        task = _linear_task(name, m, d, k, s_data if name == "gaussian" else s_teacher)
        X, Y = to_numpy(task.X), to_numpy(task.Y)
        exact = _exact_classes(X, Y, p)
        Xd, Yd = xp.asarray(X), xp.asarray(Y)
        runs = {}
        for design in designs:
            rng = (s_find if design == "random"
                   else _seeds.child(_seeds.child(s_design, di), LINEAR_DESIGNS.index(design)))
            theta0 = xp.asarray(_design_starts(model, X, Y, design, ladder[-1], rng))
            found = find_network_critical_points(model, Xd, Yd, theta0=theta0, kind="any",
                                                 maxiter=maxiter)
            pc = _point_classes(model, found, exact)
            runs[design] = {"ladder": _starts_ladder(found, exact, pc, ladder),
                            "base": _recall(found, exact, pc, starts)}
        tasks[name] = {"X": X, "Y": Y, "exact": exact, "runs": runs}
    first = tasks[data[0]]
    exact, X, Y = first["exact"], first["X"], first["Y"]
    shallow = first["runs"][designs[0]]["base"]
    Sxx, Sxy, Syy = lin.covariances(X, Y)
    deep_model = MLP([d, p, p, k], activation="linear")
    deep_found = find_network_critical_points(deep_model, xp.asarray(X), xp.asarray(Y),
                                              starts=starts, rng=s_deep, kind="any",
                                              maxiter=maxiter)
    deep = _recall(deep_found, {**exact, "index_count": None},
                   _point_classes(deep_model, deep_found, exact))
    deep["zero_modes"] = np.asarray(deep_found["zero_modes"]).tolist()
    # Kawaguchi: the origin of d -> p -> p -> k, through the network engine
    sad = lin.deep_linear_degenerate_saddle(Sxx, Sxy, Syy, (p, p))
    v = deep_model.flatten([(V[None], None) for V in sad["direction"]])[0]
    ts = np.geomspace(1e-3, 1e-1, 13)
    theta = ts[:, None] * v[None, :]
    drop = sad["loss"] - deep_model.loss(theta, X, Y)
    lam0 = np.linalg.eigvalsh(deep_model.hessian(np.zeros((1, deep_model.n_params)), X, Y)[0])
    kawaguchi = {"t": ts.tolist(), "drop": drop.tolist(),
                 "drop_theory": (sad["a"] * ts ** 3 - sad["b"] * ts ** 6).tolist(),
                 "a": sad["a"], "b": sad["b"], "loss_origin": sad["loss"],
                 "hessian_max_abs_eigenvalue": float(np.max(np.abs(lam0))),
                 "hessian_min_eigenvalue": float(lam0[0]),
                 "gradient_norm": float(np.linalg.norm(
                     deep_model.gradient(np.zeros((1, deep_model.n_params)), X, Y)))}

    def exact_json(e):
        return {"exact_loss": e["loss"].tolist(), "exact_index_count": e["index_count"].tolist(),
                "exact_classes": e["subset"], "exact_global_minima": e["global_minima"],
                "global_minimum_class": e["subset"][e["global_minimum"]],
                "sigma_eigenvalues": e["lambda"]}
    return {"d": d, "p": p, "k": k, "m": m, "starts": starts, "ladder": ladder,
            "data": list(data), "designs": list(designs), **exact_json(exact), **shallow,
            "tasks": {name: {**exact_json(t["exact"]),
                             "designs": {de: r["ladder"] for de, r in t["runs"].items()}}
                      for name, t in tasks.items()},
            "deep": deep, "kawaguchi": kawaguchi,
            "title": (f"Linear networks, m = {m} samples ({', '.join(data)}), "
                      f"{ladder[-1]} starts per design")}


@_run.register("network_linear", kind="simulation", claim=(
    "Every critical point of a one-hidden-layer linear network is known exactly (Baldi & "
    "Hornik 1989): the only local minima are global and the rest are strict saddles; the "
    "numerical critical-point finder is held against that list (recall by class and by loss "
    "level, spurious points, index agreement, the starts needed to find every class and the "
    "global minimum, each class's basin frequency) at depth 2 and against the same classes "
    "at depth 3, where the origin is a saddle without negative curvature (Kawaguchi 2016): "
    "the loss falls as -a t^3 along its escape direction."))
def figure_network_linear(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "network_linear": :func:`linear_landscape` at the :data:`NET_SIZES` of the
    level, with a ladder of starts doubling from the level's ``starts`` (smoke: 3 rungs,
    quick: 5, full: 4)."""
    from ..plotting.networks import plot_linear_landscape
    lvl = _run.level(quick, smoke)
    cfg = NET_SIZES[lvl]["linear"]
    ladder = [cfg["starts"] * 2 ** i for i in range({"smoke": 3, "quick": 5, "full": 4}[lvl])]
    land = linear_landscape(cfg["d"], cfg["p"], cfg["k"], cfg["m"], cfg["starts"], seed=seed,
                            device=device, ladder=ladder)

    def draw():
        return plot_linear_landscape(land)[0]
    summary = {k: v for k, v in land.items() if k != "title"}
    return {"name": "network_linear", "claim": _run.FIGURES["network_linear"].claim,
            "draw": draw, "parameters": {"level": lvl, **cfg, "ladder": ladder, "seed": seed,
                                         "device": device},
            "summary": summary, "curves": {"landscape": land}}
