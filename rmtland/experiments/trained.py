r"""Trained networks on real data (the offline 8×8 digits): the final losses of many
independently initialised networks against their width (Choromanska et al. 2015, beside the
spin-glass minima of the same study), and the bulk and outliers of the Hessian at the end of
training against the number of classes (Sagun et al. 2017; Papyan 2019); the ``simulate
trained`` command and the figures "trained_losses" and "trained_hessian" of ``reproduce``.

Setting (one for both parts): scikit-learn's digits average-pooled to 4×4 (16 inputs),
standardised per pixel, split in half into a training and a test set by the seed
(:func:`rmtland.networks.data.train_test_split`); one hidden layer without biases (PB17's
setting), softmax cross-entropy over the K classes; every width's ``B`` networks trained as
one batch by :func:`rmtland.networks.train.train_sgd` (its module notes state the schedule and
the stopping rule).  Part 1 trains in float32 (the losses are reported to 1e-4 at most),
part 2 in float64 (Hessians).

References
----------
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233 (CHO15), Sec. 6.
L. Sagun, U. Evci, V. U. Güney, Y. Dauphin, L. Bottou, arXiv:1706.04454 (2017).
V. Papyan, ICML 2019, PMLR 97:5012–5021, arXiv:1901.08244.
J. Pennington, Y. Bahri, ICML 2017, PMLR 70:2798–2806 (PB17).
"""
import time

import numpy as np

from .. import _seeds, _validate
from .._backend import device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from .._validate import InputError
from ..compare import trained as cmp
from ..compare.metrics import fit_power_law, mean_and_stderr
from ..linalg.dense import eigvalsh_batched
from ..networks import MLP
from ..networks import data as datasets
from ..networks.train import one_hot, train_sgd
from . import _run
from .spinglass import threshold_study

__all__ = ["TRAINED_SIZES", "SCHEDULE", "ACTIVATIONS", "digits_task", "loss_study",
           "hessian_study", "spin_side", "simulate_trained", "check_trained",
           "figure_trained_losses",
           "figure_trained_hessian"]

ACTIVATIONS = ("relu", "tanh")
#: the training schedule of both parts (train_sgd's arguments).  Measured at quick sizes
#: (widths 10-400, 100 networks, seed 0): 75-99% of the networks meet the plateau rule
#: within 60 epochs; lr 0.05 with a faster decay (tau = 5) met it in only 1-45% at widths
#: 10-80 (the step shrinks before the loss settles).  One step for every width: the widest
#: networks stop at SGD's noise floor, which rises with the width (tanh 400: train 0.11).
SCHEDULE = {"lr": 0.1, "momentum": 0.9, "batch_size": 64, "decay_epochs": 10.0,
            "patience": 5, "tol": 0.01}
#: fraction of the digits held out for the test loss
TEST_FRACTION = 0.5
#: sizes per level.  "widths"/"networks"/"max_epochs": part 1 (per activation); "spin": the
#: spin-glass side (threshold_study: p = 3, sizes N, Hamiltonians, starts); "hessian": part 2
#: (tanh; the class sweep at "width", and the width sweep at K = max(classes)).
TRAINED_SIZES = {
    "smoke": {"widths": (6, 12), "networks": 8, "max_epochs": 4,
              "spin": {"Ns": (8, 12, 16), "hamiltonians": 4, "starts": 8},
              "hessian": {"classes": (2, 4), "width": 6, "widths": (4,), "networks": 2,
                          "max_epochs": 4}},
    "quick": {"widths": (10, 20, 40, 80, 160, 400), "networks": 100, "max_epochs": 60,
              "spin": {"Ns": (10, 20, 40), "hamiltonians": 8, "starts": 16},
              "hessian": {"classes": (2, 4, 6, 8, 10), "width": 16, "widths": (8, 24),
                          "networks": 4, "max_epochs": 60}},
    "full": {"widths": (10, 25, 50, 100, 200, 400), "networks": 1000, "max_epochs": 200,
             "spin": {"Ns": (10, 20, 40, 80, 160), "hamiltonians": 40, "starts": 32},
             "hessian": {"classes": (2, 4, 6, 8, 10), "width": 32, "widths": (8, 16, 64),
                         "networks": 10, "max_epochs": 200}},
}


def digits_task(classes, *, rng=0, device="cpu", dtype="float64"):
    """The digits of ``classes`` (pooled to 4×4, standardised), split in half by ``rng``:
    ``(X_train, Y_train, X_test, Y_test)`` with one-hot probability rows (softmax targets)."""
    ds = datasets.digits(classes=list(classes), downsample=2, standardize=True,
                         one_hot=False, device=device, dtype=dtype)
    tr, te = datasets.train_test_split(ds, TEST_FRACTION, rng=rng)
    K = len(classes)
    return (tr.X, one_hot(tr.Y, K, dtype), te.X, one_hot(te.Y, K, dtype))


def _check_widths(name, widths):
    try:
        widths = [_validate.integer(name, w, 1) for w in widths]
    except TypeError:
        raise InputError(f"{name} must be a sequence of integers >= 1, got {widths!r}") \
            from None
    if not widths or len(set(widths)) != len(widths):
        raise InputError(f"{name} must hold distinct integers >= 1, got {widths!r}")
    return widths


def loss_study(widths, networks, activations=ACTIVATIONS, *, max_epochs=60, seed=0,
               device="cpu", progress=True):
    r"""Part 1 (CHO15 Sec. 6): ``networks`` networks per width and activation trained on the
    ten digit classes; per width the train/test loss statistics
    (:func:`rmtland.compare.trained.loss_statistics`), and per activation the power-law fit of
    the spread against the width (:func:`rmtland.compare.trained.spread_fit`).

    Returns ``{"rows": [...], "fits": [...], "losses": {(activation, width): (train, test)},
    "schedule": ...}``."""
    widths = _check_widths("widths", widths)
    networks = _validate.integer("networks", networks, 2)
    for a in activations:
        if a not in ACTIVATIONS:
            raise InputError(f"activation must be one of {ACTIVATIONS}, got {a!r}")
    s_split, s_nets = _seeds.children(seed, 2)
    Xtr, Ytr, Xte, Yte = digits_task(range(10), rng=s_split, device=device, dtype="float32")
    seeds = _seeds.children(s_nets, len(activations) * len(widths))
    rows, losses, schedule = [], {}, None
    bar = Progress(len(seeds), "trained networks (widths)") if progress else None
    for i, (a, w) in enumerate((a, w) for a in activations for w in widths):
        s_init, s_sgd = _seeds.children(seeds[i], 2)
        model = MLP([Xtr.shape[1], w, 10], activation=a, loss="softmax", dtype="float32")
        t0 = time.perf_counter()
        res = train_sgd(model, model.init(networks, rng=s_init, device=device), Xtr, Ytr,
                        X_test=Xte, Y_test=Yte, max_epochs=max_epochs, rng=s_sgd, **SCHEDULE)
        ok = ~res["diverged"]
        stats = cmp.loss_statistics(res["train_loss"][ok], res["test_loss"][ok])
        rows.append({"activation": a, "width": w, "parameters": model.n_params, **stats,
                     "converged_fraction": float(res["converged"].mean()),
                     "diverged": int(res["diverged"].sum()),
                     "epochs_mean": float(res["epochs"].mean()),
                     "epochs_max": int(res["epochs"].max()),
                     "grad_norm_median": float(np.median(res["grad_norm"])),
                     "seconds": time.perf_counter() - t0})
        losses[(a, w)] = (res["train_loss"][ok], res["test_loss"][ok])
        schedule = res["schedule"]
        if bar:
            bar(i + 1)
    if bar:
        bar.close()
    fits = []
    for a in activations:
        rs = [r for r in rows if r["activation"] == a]
        if len(rs) < 2:
            continue
        w = [r["width"] for r in rs]
        corr = [r["train_test_corr"] for r in rs]
        corr_fit = (cmp.linear_fit(np.log(w), corr) if None not in corr else None)
        for which in ("test", "train"):
            fits.append({"activation": a, "loss": which,
                         **cmp.spread_fit(w, [r[f"{which}_std"] for r in rs]),
                         "corr_vs_log_width": corr_fit})
    return {"rows": rows, "fits": fits, "losses": losses, "schedule": schedule,
            "networks": networks, "widths": widths, "activations": list(activations)}


def spin_side(Ns, hamiltonians, starts, *, seed=0, device="cpu"):
    r"""The spin-glass side of CHO15: minima of the spherical 3-spin glass found by descent
    at sizes ``Ns`` (:func:`rmtland.experiments.spinglass.threshold_study`), with the
    power law of their spread against :math:`N` (pooled standard deviation of the minima
    energies per site)."""
    study = threshold_study(3, Ns, hamiltonians, starts, seed=seed, device=device)
    rows = [{k: r[k] for k in ("N", "mean", "stderr", "std", "fraction_above",
                               "fraction_in_band", "fraction_below", "minima")}
            for r in study["rows"]]
    ok = [r for r in rows if r["std"] and r["std"] > 0]
    fit = cmp.spread_fit([r["N"] for r in ok], [r["std"] for r in ok]) if len(ok) >= 2 \
        else None
    return {"p": 3, "E_0": study["E_0"], "E_inf": study["E_inf"], "rows": rows,
            "spread_fit": fit, "hamiltonians": hamiltonians, "starts": starts}


def _hessian_row(K, width, networks, max_epochs, seed, device):
    """Train ``networks`` tanh networks on K classes; dense H0, H1, H; the bulk per network."""
    s_split, s_init, s_sgd = _seeds.children(seed, 3)
    Xtr, Ytr, Xte, Yte = digits_task(range(K), rng=s_split, device=device)
    model = MLP([Xtr.shape[1], width, K], activation="tanh", loss="softmax")
    res = train_sgd(model, model.init(networks, rng=s_init, device=device), Xtr, Ytr,
                    X_test=Xte, Y_test=Yte, max_epochs=max_epochs, rng=s_sgd, **SCHEDULE)
    ok = np.flatnonzero(~res["diverged"])
    theta = res["theta"][get_xp(device).asarray(ok)]
    H0 = model.gauss_newton(theta, Xtr, Ytr)          # from the Jacobian
    H = model.hessian(theta, Xtr, Ytr)                # one R-operator pass per column block
    e0, e1, eH = (to_numpy(eigvalsh_batched(M)) for M in (H0, H - H0, H))
    per = [cmp.hessian_bulk(eH[i], e0[i], e1[i]) for i in range(len(ok))]
    row = {"classes": K, "width": width, "parameters": model.n_params,
           "samples": int(Xtr.shape[0]), "networks": len(ok),
           "phi_nominal": model.n_params / (K * int(Xtr.shape[0]))}
    for key in ("outliers", "outliers_h0", "outliers_gap", "bulk_edge", "ks_bulk", "ks_bulk_h0", "phi", "eps",
                "c", "negative_fraction", "top"):
        vals = [p[key] for p in per if p[key] is not None]
        mean, se = mean_and_stderr(vals) if vals else (None, None)
        row[key], row[key + "_stderr"] = mean, se
    row["outliers_each"] = [p["outliers"] for p in per]
    row["outliers_h0_each"] = [p["outliers_h0"] for p in per]
    row["outliers_gap_each"] = [p["outliers_gap"] for p in per]
    row["bulk_converged"] = all(p["converged"] for p in per)
    row["train_loss"] = float(np.mean(res["train_loss"][ok]))
    row["test_loss"] = float(np.mean(res["test_loss"][ok]))
    row["converged_fraction"] = float(res["converged"].mean())
    return row, {"H": eH[0], "H0": e0[0], "H1": e1[0], "edge": per[0]["bulk_edge"]}


def hessian_study(classes, width, networks, *, widths=(), max_epochs=60, seed=0,
                  device="cpu", progress=True):
    r"""Part 2 (Sagun et al. 2017; Papyan 2019): tanh networks of hidden ``width`` trained on
    the first K digit classes for every K of ``classes``, and at K = max(classes) also at the
    hidden ``widths``; per (K, width) the dense :math:`H_0`, :math:`H_1`, :math:`H` of each
    network, its outliers and bulk (:func:`rmtland.compare.trained.hessian_bulk`).  Summary
    fits: the outliers against K (OLS slope ± s.e. over the networks), the bulk edge against
    K at fixed width, and the bulk edge against the number of parameters at fixed K."""
    classes = _check_widths("classes", classes)
    if min(classes) < 2 or max(classes) > 10:
        raise InputError(f"classes must be integers in 2..10 (the first K digit classes), "
                         f"got {classes!r}")
    width = _validate.integer("width", width, 1)
    widths = [w for w in _check_widths("widths", widths) if w != width] if widths else []
    networks = _validate.integer("networks", networks, 1)
    grid = [(K, width) for K in classes] + [(max(classes), w) for w in widths]
    seeds = _seeds.children(seed, len(grid))
    bar = Progress(len(grid), "Hessians of trained networks") if progress else None
    rows, spectra = [], {}
    for i, ((K, w), s) in enumerate(zip(grid, seeds)):
        row, spec = _hessian_row(K, w, networks, max_epochs, s, device)
        rows.append(row)
        spectra[(K, w)] = spec
        if bar:
            bar(i + 1)
    if bar:
        bar.close()
    at_w = [r for r in rows if r["width"] == width]
    ks_ = [r["classes"] for r in at_w for _ in r["outliers_each"]]
    fits = {}
    if len(set(ks_)) >= 2:
        fits["outliers_vs_classes"] = cmp.linear_fit(ks_, [o for r in at_w
                                                           for o in r["outliers_each"]])
        fits["outliers_h0_vs_classes"] = cmp.linear_fit(
            ks_, [o for r in at_w for o in r["outliers_h0_each"]])
        fits["outliers_gap_vs_classes"] = cmp.linear_fit(
            ks_, [o for r in at_w for o in r["outliers_gap_each"]])
        b, se, a = fit_power_law([r["classes"] for r in at_w], [r["bulk_edge"] for r in at_w])
        fits["bulk_edge_vs_classes"] = {"exponent": b, "stderr": se, "prefactor": a}
    at_k = [r for r in rows if r["classes"] == max(classes)]
    if len(at_k) >= 2:
        b, se, a = fit_power_law([r["parameters"] for r in at_k],
                                 [r["bulk_edge"] for r in at_k])
        fits["bulk_edge_vs_parameters"] = {"exponent": b, "stderr": se, "prefactor": a}
    return {"rows": rows, "fits": fits, "spectra": spectra, "width": width,
            "classes": classes, "widths": widths, "networks": networks}


def _power_line(x, fit):
    """The fitted power law ``prefactor * x^exponent`` on a grid over ``x``."""
    if fit is None:
        return None
    g = np.geomspace(0.9 * min(x), 1.1 * max(x), 50)
    return g, fit["prefactor"] * g ** fit["exponent"]


def _hessian_curves(hess):
    """What :func:`rmtland.plotting.trained.plot_trained_hessian` draws."""
    K = np.array(sorted({r["classes"] for r in hess["rows"]}), float)
    f = hess["fits"].get("outliers_vs_classes")
    return {"rows": hess["rows"], "fits": hess["fits"], "width": hess["width"],
            "spectra": {f"K={K_}, h={w}": s for (K_, w), s in hess["spectra"].items()},
            "lines": {"K": K, "fit": None if f is None else f["intercept"] + f["slope"] * K}}


def _curves(losses, spin):
    """What :func:`rmtland.plotting.trained.plot_trained_losses` draws (host arrays; the
    fitted lines evaluated here, not in plotting)."""
    widths = losses["widths"]
    blocks = {}
    for a in losses["activations"]:
        fits = [dict(f, line=_power_line(widths, f)) for f in losses["fits"]
                if f["activation"] == a]
        blocks[a] = {"widths": widths,
                     "train": [losses["losses"][(a, w)][0] for w in widths],
                     "test": [losses["losses"][(a, w)][1] for w in widths],
                     "rows": [r for r in losses["rows"] if r["activation"] == a],
                     "fits": fits}
    if spin is not None:
        spin = dict(spin, spread_fit=None if spin["spread_fit"] is None else dict(
            spin["spread_fit"], line=_power_line([r["N"] for r in spin["rows"]],
                                                 spin["spread_fit"])))
    return {"losses": blocks, "spin": spin, "networks": losses["networks"]}


def _result_rows(losses):
    keep = ("activation", "width", "parameters", "train_mean", "train_std", "test_mean",
            "test_std", "train_test_corr", "train_test_corr_ci95", "train_mean_stderr",
            "train_std_stderr", "test_mean_stderr", "test_std_stderr", "train_max",
            "test_max", "networks", "converged_fraction", "diverged", "epochs_mean",
            "epochs_max", "grad_norm_median", "seconds")
    return [{k: r[k] for k in keep} for r in losses["rows"]]


def _headline_fit(losses):
    f = losses["fits"][0] if losses["fits"] else None
    return None if f is None else {"exponent": f["exponent"], "stderr": f["stderr"],
                                   "activation": f["activation"], "loss": f["loss"],
                                   "z": f["z"]}


def _hessian_rows(hess):
    keep = ("classes", "width", "parameters", "samples", "networks", "outliers",
            "outliers_stderr", "outliers_each", "outliers_h0", "outliers_h0_each",
            "outliers_gap", "outliers_gap_stderr", "outliers_gap_each",
            "bulk_edge", "bulk_edge_stderr", "ks_bulk", "ks_bulk_stderr", "ks_bulk_h0",
            "phi", "phi_nominal", "eps", "negative_fraction", "top", "bulk_converged",
            "train_loss", "test_loss", "converged_fraction")
    return [{k: r[k] for k in keep} for r in hess["rows"]]


#: training samples of the digits split (all ten classes): the images less the test half
TRAIN_SAMPLES = datasets.DIGITS_IMAGES - int(round(TEST_FRACTION * datasets.DIGITS_IMAGES))
#: pixels per image after the pooling of :func:`digits_task` (4 x 4)
INPUTS = datasets.digits_pixels(2)


def _training_bytes(width, networks, max_epochs, classes, itemsize, samples):
    """Peak memory of one :func:`rmtland.networks.train.train_sgd` call (bytes): the
    parameters, velocities and gradients (``6 B n``), every network's sample order
    (``2 B m``, float64 and int64), the forward and backward passes of a mini-batch and of a
    loss chunk, and the loss history (``(max_epochs + 1) B``, float64)."""
    from ..networks.train import LOSS_CHUNK
    n = (INPUTS + classes) * width
    rows = SCHEDULE["batch_size"] + LOSS_CHUNK
    return (itemsize * networks * (6 * n + 6 * rows * (width + classes + INPUTS))
            + 16 * networks * samples + 8 * (max_epochs + 1) * networks)


def _training_operations(width, networks, max_epochs, classes, samples):
    """Work of one :func:`rmtland.networks.train.train_sgd` call that runs all
    ``max_epochs`` (the stopping rule can only shorten it): per epoch every mini-batch's
    gradient (``6 B n`` per sample) and the full-data loss (``2 B n`` per sample, by chunks),
    each mini-batch and chunk a Python-level step."""
    from ..networks.train import LOSS_CHUNK
    n = (INPUTS + classes) * width
    steps = -(-samples // SCHEDULE["batch_size"]) + -(-samples // LOSS_CHUNK)
    per_epoch = networks * samples * (8 * n + 20) + steps * _validate.LOOP_OPERATIONS
    return max_epochs * per_epoch


def _hessian_part(hessian_width, hessian_networks, K):
    """``(bytes, operations)`` of one Hessian row of :func:`hessian_study` (float64) beyond
    its training: the Jacobian and ``H0`` (``2 B m K n`` and ``2 B n^2`` numbers), the dense
    ``H`` and the eigenvalues of ``H0``, ``H1``, ``H`` (``6 B n^2``)."""
    samples = TRAIN_SAMPLES * K // 10 + 1
    n = (INPUTS + K) * hessian_width
    B = hessian_networks
    nbytes = 8 * B * (2 * samples * K * n + 8 * n * n)
    ops = B * (samples * K * n * n + 6 * samples * n * n + 30 * n ** 3)
    return nbytes, ops


def check_trained(widths, networks, *, activations=ACTIVATIONS, classes=(2, 4, 6, 8, 10),
                  hessian_width=16, hessian_networks=3, max_epochs=60, device="cpu",
                  max_bytes=None):
    r"""The up-front check of :func:`simulate_trained` (also of ``rmtland simulate trained``
    and, with ``classes=None`` (no Hessian part), of the sweep kind ``"trained"``): every
    parameter's range, then the memory and the work of the run from the sizes alone (pure
    arithmetic, nothing allocated or trained).

    Part 1 trains ``networks`` float32 networks ``[16, width, 10]`` per width and activation
    (:func:`_training_bytes`, :func:`_training_operations`: every epoch up to ``max_epochs``
    counted); part 2, per K of ``classes``, ``hessian_networks`` float64 networks
    ``[16, hessian_width, K]`` and their dense Hessians (:func:`_hessian_part`).  The largest
    memory of one step must fit :func:`rmtland.linalg.dense.memory_budget` on ``device`` (or
    ``max_bytes``), the
    total work :data:`rmtland._validate.WORK_MAX`; a refusal names the size to reduce
    (``widths``, ``networks``, ``max_epochs``, ``hessian_width`` or ``hessian_networks``) and
    its largest value given the others (:func:`rmtland._validate.within_budget`).
    Returns ``{"bytes", "operations"}``.  Raises :class:`InputError`.
    """
    from ..linalg.dense import memory_budget
    widths = _check_widths("widths", widths)
    networks = _validate.integer("networks", networks, 2)
    if isinstance(activations, str):
        activations = [activations]
    activations = list(activations)
    if not activations or any(a not in ACTIVATIONS for a in activations):
        raise InputError(f"activations must be a non-empty list from {ACTIVATIONS}, got "
                         f"{activations!r}")
    if classes is not None:
        classes = _check_widths("classes", classes)
        if min(classes) < 2 or max(classes) > 10:
            raise InputError(f"classes must be integers in 2..10, got {classes!r}")
    hessian_width = _validate.integer("hessian_width", hessian_width, 1)
    hessian_networks = _validate.integer("hessian_networks", hessian_networks, 1)
    max_epochs = _validate.integer("max_epochs", max_epochs, 1)
    xp = get_xp(device)
    rest = sorted(widths)[:-1]                   # the widths below the largest, fixed
    runs = len(activations)
    Ks = classes or []

    def memory(widths, networks, max_epochs, hessian_width, hessian_networks):
        part1 = _training_bytes(widths, networks, max_epochs, 10, 4, TRAIN_SAMPLES)
        part2 = [max(_training_bytes(hessian_width, hessian_networks, max_epochs, K, 8,
                                     TRAIN_SAMPLES * K // 10 + 1),
                     _hessian_part(hessian_width, hessian_networks, K)[0]) for K in Ks]
        return max([part1] + part2)

    def work(widths, networks, max_epochs, hessian_width, hessian_networks):
        part1 = runs * sum(_training_operations(w, networks, max_epochs, 10, TRAIN_SAMPLES)
                           for w in rest + [widths])
        part2 = sum(_training_operations(hessian_width, hessian_networks, max_epochs, K,
                                         TRAIN_SAMPLES * K // 10 + 1)
                    + _hessian_part(hessian_width, hessian_networks, K)[1] for K in Ks)
        return part1 + part2
    sizes = {"widths": max(widths), "networks": networks, "max_epochs": max_epochs,
             "hessian_width": hessian_width, "hessian_networks": hessian_networks}
    minimum = {"widths": 1, "networks": 2, "max_epochs": 1}
    if Ks:
        minimum.update(hessian_width=1, hessian_networks=1)
    what = "the trained networks" + (" and their Hessians" if Ks else "")
    nbytes, ops = _validate.within_budget(
        sizes, _validate.Budget(memory, memory_budget(xp, max_bytes)[1], what=what,
                                where="the GPU" if xp is not np else "the host"),
        _validate.Budget(work, _validate.WORK_MAX, what=what, unit="operations"),
        minimum=minimum)
    return {"bytes": nbytes, "operations": ops}


def simulate_trained(widths, networks, *, activations=ACTIVATIONS, classes=(2, 4, 6, 8, 10),
                     hessian_width=16, hessian_networks=3, max_epochs=60, seed=0,
                     device="cpu", out=None, pdf=False, progress=True):
    r"""Both parts at the given sizes: ``result.json`` with ``widths`` (one object per
    activation and width: ``width``, ``train_mean``, ``train_std``, ``test_mean``,
    ``test_std``, ``train_test_corr``, ...), ``spread_fit`` (``exponent``, ``stderr`` of the
    test-loss spread of the first activation; ``spread_fits`` has all), ``hessian`` (one
    object per K: ``classes``, ``outliers``, ``bulk_edge``, ``ks_bulk``, ...),
    ``hessian_fits``, ``spin_glass`` and ``seconds``; with ``out`` also
    ``trained_losses.png`` and ``trained_hessian.png``.

    Its first step is :func:`check_trained`: bad parameters, and sizes whose memory or work
    would not fit, are refused (:class:`rmtland._validate.InputError`) before anything is
    loaded, allocated or trained."""
    check_trained(widths, networks, activations=activations, classes=classes,
                  hessian_width=hessian_width, hessian_networks=hessian_networks,
                  max_epochs=max_epochs, device=device)
    widths = _check_widths("widths", widths)
    networks, hessian_width, hessian_networks, max_epochs = (
        int(v) for v in (networks, hessian_width, hessian_networks, max_epochs))
    activations = [activations] if isinstance(activations, str) else list(activations)
    classes = _check_widths("classes", classes)
    if out is not None:
        check_output_dir(out)
    xp = get_xp(device)
    _require_digits()                                        # the data extra, before work
    t0 = time.perf_counter()
    s_loss, s_hess = _seeds.children(seed, 2)
    losses = loss_study(widths, networks, activations, max_epochs=max_epochs, seed=s_loss,
                        device=device, progress=progress)
    hess = hessian_study(classes, hessian_width, hessian_networks, max_epochs=max_epochs,
                         seed=s_hess, device=device, progress=progress)
    result = {"widths": _result_rows(losses), "spread_fit": _headline_fit(losses),
              "spread_fits": losses["fits"], "hessian": _hessian_rows(hess),
              "hessian_fits": hess["fits"], "networks": networks,
              "activations": activations, "schedule": losses["schedule"],
              "test_fraction": TEST_FRACTION, "seed": seed, "device": device_name(xp),
              "seconds": None, "versions": _run.versions()}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        from ..plotting.trained import plot_trained_hessian, plot_trained_losses
        curves = _curves(losses, None)
        hcurves = _hessian_curves(hess)
        figs = [("trained_losses", lambda: plot_trained_losses(curves)[0]),
                ("trained_hessian", lambda: plot_trained_hessian(hcurves)[0])]
        result["files"] = [n for stem, _ in figs for n in _run.figure_names(stem, pdf)] + \
            ["result.json"]
        _run.write_run(out, {"result.json": result}, figs, pdf,
                       owned=[n for stem, _ in figs for n in _run.figure_names(stem, True)])
    return result


def _require_digits():
    """Raise :class:`InputError` naming the ``data`` extra when scikit-learn (the digits) is
    missing: :func:`rmtland.networks.data.digits` on two samples."""
    datasets.digits(classes=[0, 1], m=2, one_hot=False)


@_run.register("trained_losses", kind="simulation", requires=_require_digits, claim=(
    "Choromanska et al. (2015) claim that the losses of the minima SGD finds concentrate as "
    "networks grow and that train and test losses decorrelate; checked on 100 independently "
    "initialised one-hidden-layer networks per width (ReLU and tanh, widths 10-400) trained by "
    "SGD on the digits: per width the test-loss histograms, the power-law fit of the spread "
    "against the width and the train-test correlation, beside the spin-glass side (minima of "
    "the spherical 3-spin glass found by descent, whose spread falls with N)."))
def figure_trained_losses(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "trained_losses": :func:`loss_study` and :func:`spin_side` at the
    :data:`TRAINED_SIZES` of the level."""
    from ..plotting.trained import plot_trained_losses
    lvl = _run.level(quick, smoke)
    cfg = TRAINED_SIZES[lvl]
    s_loss, s_spin = _seeds.children(seed, 2)
    losses = loss_study(cfg["widths"], cfg["networks"], max_epochs=cfg["max_epochs"],
                        seed=s_loss, device=device)
    spin = spin_side(**cfg["spin"], seed=s_spin, device=device)
    curves = _curves(losses, spin)

    def draw():
        return plot_trained_losses(curves)[0]
    summary = {"widths": _result_rows(losses), "spread_fit": _headline_fit(losses),
               "spread_fits": losses["fits"], "spin_glass": spin,
               "schedule": losses["schedule"]}
    return {"name": "trained_losses", "claim": _run.FIGURES["trained_losses"].claim,
            "draw": draw, "parameters": {"level": lvl, "widths": list(cfg["widths"]),
                                         "networks": cfg["networks"],
                                         "max_epochs": cfg["max_epochs"],
                                         "activations": list(ACTIVATIONS),
                                         "spin": {k: list(v) if isinstance(v, tuple) else v
                                                  for k, v in cfg["spin"].items()},
                                         "test_fraction": TEST_FRACTION, "seed": seed,
                                         "device": device},
            "summary": summary, "curves": curves}


@_run.register("trained_hessian", kind="simulation", requires=_require_digits, claim=(
    "Sagun et al. (2017) and Papyan (2019) claim that at the end of training the Hessian is a "
    "bulk near zero set by the parameters plus about K outliers set by the K classes; checked "
    "on tanh networks trained with cross-entropy on the first K digit classes (K = 2..10): "
    "outliers above the moment-matched Marchenko-Pastur edge of H0's bulk (and by the widest "
    "gap) against K, the bulk edge against K and the parameters, and the bulk against the "
    "Pennington-Bahri law at matched moments (KS distance)."))
def figure_trained_hessian(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "trained_hessian": :func:`hessian_study` at the :data:`TRAINED_SIZES` of the
    level."""
    from ..plotting.trained import plot_trained_hessian
    lvl = _run.level(quick, smoke)
    cfg = TRAINED_SIZES[lvl]["hessian"]
    hess = hessian_study(cfg["classes"], cfg["width"], cfg["networks"], widths=cfg["widths"],
                         max_epochs=cfg["max_epochs"], seed=seed, device=device)
    curves = _hessian_curves(hess)

    def draw():
        return plot_trained_hessian(curves)[0]
    summary = {"hessian": _hessian_rows(hess), "hessian_fits": hess["fits"],
               "schedule": SCHEDULE}
    return {"name": "trained_hessian", "claim": _run.FIGURES["trained_hessian"].claim,
            "draw": draw, "parameters": {"level": lvl, **{k: list(v) if isinstance(v, tuple)
                                                          else v for k, v in cfg.items()},
                                         "test_fraction": TEST_FRACTION, "seed": seed,
                                         "device": device},
            "summary": summary, "curves": curves}


# -- the sweep kind ---------------------------------------------------------------------------
def _trained_point(*, seed, device, width, networks, activation, max_epochs):
    """One width of :func:`loss_study` as a point of ``rmtland sweep`` (kind ``"trained"``):
    the row's loss statistics (the scalar fields of ``result.json``'s ``widths`` entry)."""
    study = loss_study([width], networks, [activation], max_epochs=max_epochs, seed=seed,
                       device=device, progress=False)
    return {k: v for k, v in _result_rows(study)[0].items()
            if not isinstance(v, (list, tuple, dict)) and k not in ("activation", "width")}


def _trained_check(*, width, networks, activation, max_epochs):
    """The sweep kind's check: :func:`check_trained` of one width, no Hessian part, against
    the host budget (:func:`rmtland.experiments.sweep.host_budget`)."""
    from .sweep import host_budget
    check_trained([width], networks, activations=[activation], classes=None,
                  max_epochs=max_epochs, max_bytes=host_budget())


def _register_sweep_kind():
    from . import sweep
    sweep.register_kind("trained", _trained_point, {
        "width": sweep.integer("width", 1), "networks": sweep.integer("networks", 2),
        "activation": sweep.choice("activation", ACTIVATIONS),
        "max_epochs": sweep.integer("max_epochs", 1)},
        {"activation": "relu", "max_epochs": 60}, check=_trained_check)


_register_sweep_kind()
