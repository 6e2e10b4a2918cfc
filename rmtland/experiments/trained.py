r"""Trained networks on real data (the offline 8×8 digits): the final losses of many
independently initialised networks against their width (Choromanska et al. 2015, beside the
spin-glass minima of the same study), and the bulk and outliers of the Hessian at the end of
training against the number of classes (Sagun et al. 2017; Papyan 2019); the ``simulate
trained`` command, its sweep kind ``"trained"`` and the figures "trained_losses" and
"trained_hessian" of ``reproduce``.

One configuration, :class:`TrainedConfig`, holds every setting and its default; the API
(:func:`simulate_trained`), the CLI (``rmtland simulate trained``) and the sweep kind build
one and nothing else.  The defaults follow the papers' kind of recipe: scikit-learn's digits
at full resolution (64 pixels) scaled to [0, 1] (pixels/16, not standardised), one hidden
layer with biases, He initialisation, plain SGD (no momentum) with a constant step for a fixed
number of epochs, softmax cross-entropy over the K classes; the set split in half into a
training and a test set by the seed.  The recipe this study used before (momentum 0.9, a
decaying step, a stop on < 1% improvement over 5 epochs, inputs pooled to 4×4 and standardised
per pixel, no biases, LeCun initialisation) is :data:`OLD_RECIPE`: it stops wide networks at
their own noise floor.  For every width the study reports whether the networks reached a
minimum (:func:`rmtland.networks.train.converged`: final full-batch gradient norm at most
``grad_tol`` of the initial one).  Part 1 trains in float32 (the losses are reported to 1e-4
at most), part 2 in float64 (Hessians).

References
----------
A. Choromanska, M. Henaff, M. Mathieu, G. Ben Arous, Y. LeCun, "The Loss Surfaces of
Multilayer Networks", AISTATS 2015, PMLR 38:192–204, arXiv:1412.0233 (CHO15), Sec. 6.
L. Sagun, U. Evci, V. U. Güney, Y. Dauphin, L. Bottou, arXiv:1706.04454 (2017).
V. Papyan, ICML 2019, PMLR 97:5012–5021, arXiv:1901.08244.
K. He, X. Zhang, S. Ren, J. Sun, ICCV 2015, arXiv:1502.01852 (the initialisation).
J. Pennington, Y. Bahri, ICML 2017, PMLR 70:2798–2806 (PB17).
R. A. Fisher, Metron 1, 3–32 (1921) (the z-interval of the correlation).
"""
import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from .. import _seeds, _validate
from .._backend import array_namespace, device_name, get_xp, to_numpy
from .._io import check_output_dir
from .._progress import Progress
from .._validate import InputError
from ..compare import trained as cmp
from ..compare.metrics import fit_power_law, mean_and_stderr
from ..linalg.dense import eigh_batched, eigvalsh_batched
from ..networks import MLP
from ..networks import data as datasets
from ..networks.train import (GRAD_TOL, INITS, LOSS_CHUNK, STOP_RULES, init_networks,
                              one_hot, train_sgd)
from . import _run
from .spinglass import threshold_study

__all__ = ["TrainedConfig", "OLD_RECIPE", "TRAINED_SIZES", "ACTIVATIONS", "INPUTS_MODES",
           "OPTIMIZERS", "digits_task", "loss_study", "hessian_study", "spin_side",
           "simulate_trained", "check_trained", "result_rows", "SWEEP_FIELDS",
           "figure_trained_losses", "figure_trained_hessian"]

ACTIVATIONS = ("relu", "tanh")
#: input preprocessings: pixels/16 in [0, 1]; standardised per pixel (constant pixels
#: dropped); PCA-whitened after standardising (:func:`rmtland.networks.data.digits`)
INPUTS_MODES = ("unit", "standardise", "whiten")
OPTIMIZERS = ("sgd", "momentum")
#: the pooling factors allowed (8x8 pooled to 8x8, 4x4, 2x2)
DOWNSAMPLES = (1, 2, 4)
#: fraction of the digits held out for the test loss
TEST_FRACTION = 0.5
#: training samples of the digits split (all ten classes): the images less the test half
TRAIN_SAMPLES = datasets.DIGITS_IMAGES - int(round(TEST_FRACTION * datasets.DIGITS_IMAGES))


@dataclass(frozen=True)
class TrainedConfig:
    r"""Every setting of the trained-network study, with its default (the papers' kind of
    recipe; module notes).  Build with keywords, check with :meth:`validate` (which returns
    the normalised copy); ``dataclasses.replace`` changes fields.

    Part 1 (CHO15): ``networks`` networks per hidden width of ``widths`` and per activation
    of ``activations``, on the ten digit classes.  Part 2 (Sagun, Papyan): for each K of
    ``classes`` (empty: no part 2), ``hessian_networks`` networks of hidden width
    ``hessian_width`` and activation ``hessian_activation`` on the first K classes, and their
    dense Hessians.  Both parts share the data and the training recipe:

    - ``inputs``: ``"unit"`` (pixels/16 in [0, 1]), ``"standardise"`` (per pixel, constant
      pixels dropped) or ``"whiten"`` (standardised, then PCA-whitened); ``downsample`` 1, 2
      or 4 (average pooling of the 8×8 images to 64, 16 or 4 pixels);
      ``train_size`` (None: all of the training half; else that many of its images, drawn by
      the seed, at most all of them for the K classes of part 2);
    - ``bias`` (biases in both layers), ``init`` (``"he"`` or ``"lecun"``,
      :func:`rmtland.networks.train.init_networks`);
    - ``optimizer`` (``"sgd"``: plain; ``"momentum"``: heavy ball with ``momentum``),
      ``lr``, ``lr_decay`` (:math:`\tau` of the step :math:`\eta/(1+(e-1)/\tau)`, in epochs;
      0: constant step), ``batch_size``;
    - ``epochs``: the number of epochs (``stop="none"``), or their cap under ``stop``
      ``"plateau"`` (``patience``, ``tol``) or ``"gradient"`` (``grad_tol``);
      ``grad_tol`` is also the threshold of "converged" (:mod:`rmtland.networks.train`).
    """
    widths: tuple = (10, 20, 40, 80, 160)
    networks: int = 50
    activations: tuple = ACTIVATIONS
    classes: tuple = (2, 4, 6, 8, 10)
    hessian_width: int = 25
    hessian_networks: int = 3
    hessian_activation: str = "relu"
    inputs: str = "unit"
    downsample: int = 1
    train_size: object = None
    bias: bool = True
    init: str = "he"
    optimizer: str = "sgd"
    momentum: float = 0.9
    lr: float = 0.1
    lr_decay: float = 0.0
    batch_size: int = 32
    epochs: int = 60
    stop: str = "none"
    patience: int = 5
    tol: float = 0.01
    grad_tol: float = GRAD_TOL
    seed: int = 0
    device: str = "cpu"

    def validate(self):
        """Every field's range (:class:`InputError` naming it), before anything is loaded;
        returns the normalised copy (tuples, ints, floats)."""
        acts = [self.activations] if isinstance(self.activations, str) else self.activations
        try:
            acts = tuple(acts)
        except TypeError:
            acts = None
        if not acts or any(a not in ACTIVATIONS for a in acts) or len(set(acts)) != len(acts):
            raise InputError(f"activations must be a non-empty list of distinct names from "
                             f"{ACTIVATIONS}, got {self.activations!r}")
        classes = tuple(_check_widths("classes", self.classes)) if self.classes else ()
        if classes and (min(classes) < 2 or max(classes) > 10):
            raise InputError(f"classes must be integers in 2..10 (the first K digit classes),"
                             f" got {self.classes!r}")
        for name, options in (("hessian_activation", ACTIVATIONS), ("inputs", INPUTS_MODES),
                              ("init", tuple(INITS)), ("optimizer", OPTIMIZERS),
                              ("stop", STOP_RULES), ("device", ("cpu", "gpu", "auto"))):
            if getattr(self, name) not in options:
                raise InputError(f"{name} must be one of {options}, got "
                                 f"{getattr(self, name)!r}")
        if self.downsample not in DOWNSAMPLES or isinstance(self.downsample, bool):
            raise InputError(f"downsample must be one of {DOWNSAMPLES}, got "
                             f"{self.downsample!r}")
        if not isinstance(self.bias, (bool, np.bool_)):
            raise InputError(f"bias must be True or False, got {self.bias!r}")
        momentum = _validate.nonnegative("momentum", self.momentum)
        if momentum >= 1:
            raise InputError(f"momentum must be in [0, 1), got {self.momentum!r}")
        grad_tol = _validate.positive("grad_tol", self.grad_tol)
        if grad_tol >= 1:
            raise InputError(f"grad_tol must be in (0, 1), got {self.grad_tol!r}")
        train_size = self.train_size
        if train_size is not None:
            train_size = _validate.integer("train_size", train_size, 10)
            if train_size > TRAIN_SAMPLES:
                raise InputError(f"train_size must be an integer in [10, {TRAIN_SAMPLES}] "
                                 f"(the training half of the digits), got {train_size}")
        return dataclasses.replace(
            self, widths=tuple(_check_widths("widths", self.widths)),
            networks=_validate.integer("networks", self.networks, 2), activations=acts,
            classes=classes,
            hessian_width=_validate.integer("hessian_width", self.hessian_width, 1),
            hessian_networks=_validate.integer("hessian_networks", self.hessian_networks, 1),
            downsample=int(self.downsample), train_size=train_size, bias=bool(self.bias),
            momentum=momentum, lr=_validate.positive("lr", self.lr),
            lr_decay=_validate.nonnegative("lr_decay", self.lr_decay),
            batch_size=_validate.integer("batch_size", self.batch_size, 1),
            epochs=_validate.integer("epochs", self.epochs, 1),
            patience=_validate.integer("patience", self.patience, 1),
            tol=_validate.nonnegative("tol", self.tol), grad_tol=grad_tol,
            seed=_validate.integer("seed", self.seed, 0))

    def training(self):
        """The keyword arguments of :func:`rmtland.networks.train.train_sgd`."""
        return {"lr": self.lr, "momentum": self.momentum if self.optimizer == "momentum"
                else 0.0, "batch_size": self.batch_size, "max_epochs": self.epochs,
                "stop": self.stop, "patience": self.patience, "tol": self.tol,
                "grad_tol": self.grad_tol, "decay_epochs": self.lr_decay or None}

    def to_json(self):
        """The fields as a JSON-safe dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    @property
    def pixels(self):
        """Inputs per image before constant pixels are dropped: ``(8/downsample)^2``."""
        return datasets.digits_pixels(self.downsample)


#: the recipe of this study before issue 18 (and its CLI flags: --recipe old, or --optimizer
#: momentum --lr-decay 10 --stop plateau --inputs standardise --downsample 2 --no-bias
#: --init lecun --batch-size 64): heavy-ball momentum 0.9, step 0.1/(1 + (e-1)/10), stop when
#: the training loss improved by < 1% over 5 epochs (epochs: the cap), 4x4 standardised
#: inputs, no biases, LeCun initialisation
OLD_RECIPE = {"optimizer": "momentum", "momentum": 0.9, "lr": 0.1, "lr_decay": 10.0,
              "batch_size": 64, "stop": "plateau", "patience": 5, "tol": 0.01,
              "inputs": "standardise", "downsample": 2, "bias": False, "init": "lecun",
              "hessian_activation": "tanh"}

#: sizes per level.  "widths"/"networks"/"epochs": part 1 (per activation); "spin": the
#: spin-glass side (threshold_study: p = 3, sizes N, Hamiltonians, starts); "hessian": part 2
#: (the class sweep at "width", and the width sweep at K = max(classes)).  The recipe is
#: TrainedConfig's default.
TRAINED_SIZES = {
    "smoke": {"widths": (6, 12), "networks": 8, "epochs": 4,
              "spin": {"Ns": (8, 12, 16), "hamiltonians": 4, "starts": 8},
              "hessian": {"classes": (2, 4), "width": 6, "widths": (4,), "networks": 2,
                          "epochs": 4}},
    "quick": {"widths": (10, 20, 40, 80, 160), "networks": 50, "epochs": 60,
              "spin": {"Ns": (10, 20, 40), "hamiltonians": 8, "starts": 16},
              "hessian": {"classes": (2, 4, 6, 8, 10), "width": 16, "widths": (8, 25),
                          "networks": 3, "epochs": 60}},
    "full": {"widths": (10, 25, 50, 100, 200, 400), "networks": 1000, "epochs": 200,
             "spin": {"Ns": (10, 20, 40, 80, 160), "hamiltonians": 40, "starts": 32},
             "hessian": {"classes": (2, 4, 6, 8, 10), "width": 25, "widths": (8, 16, 50),
                         "networks": 10, "epochs": 200}},
}


def _config(config, fields, what="config"):
    """A :class:`TrainedConfig` from ``config`` (or the defaults) with ``fields`` replaced,
    validated.  Unknown fields are refused naming them."""
    if config is None:
        config = TrainedConfig()
    elif not isinstance(config, TrainedConfig):
        raise InputError(f"{what} must be a TrainedConfig, got {type(config).__name__}")
    names = {f.name for f in dataclasses.fields(TrainedConfig)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise InputError(f"{unknown[0]} is not a setting of the trained study (TrainedConfig "
                         f"fields: {', '.join(sorted(names))})")
    return dataclasses.replace(config, **fields).validate()


def digits_task(config, classes, *, rng=0, dtype="float64"):
    """The digits of ``classes`` preprocessed as ``config`` says, split in half by ``rng``
    (and the training half cut to ``config.train_size`` images by it):
    ``(X_train, Y_train, X_test, Y_test)`` on ``config.device``, with one-hot probability rows
    (softmax targets)."""
    s_split, s_sub = _seeds.children(rng, 2)
    ds = datasets.digits(classes=list(classes), downsample=config.downsample,
                         unit=config.inputs == "unit",
                         standardize=config.inputs == "standardise",
                         whiten="pca" if config.inputs == "whiten" else False,
                         one_hot=False, device=config.device, dtype=dtype)
    tr, te = datasets.train_test_split(ds, TEST_FRACTION, rng=s_split)
    X, Y = tr.X, tr.Y
    if config.train_size is not None and config.train_size < tr.m:
        pick = np.sort(np.random.default_rng(s_sub).choice(tr.m, config.train_size,
                                                           replace=False))
        pick = get_xp(config.device).asarray(pick)
        X, Y = X[pick], Y[pick]
    K = len(classes)
    return (X, one_hot(Y, K, dtype), te.X, one_hot(te.Y, K, dtype))


def _check_widths(name, widths):
    try:
        widths = [_validate.integer(name, w, 1) for w in widths]
    except TypeError:
        raise InputError(f"{name} must be a sequence of integers >= 1, got {widths!r}") \
            from None
    if not widths or len(set(widths)) != len(widths):
        raise InputError(f"{name} must hold distinct integers >= 1, got {widths!r}")
    return widths


def _train(config, data, width, activation, networks, seed):
    """Train ``networks`` networks ``[inputs, width, K]`` as ``config`` says on ``data``
    (:func:`digits_task`'s four arrays; K and the dtype from them): ``(model, train_sgd's
    result)``."""
    Xtr, Ytr, Xte, Yte = data
    s_init, s_sgd = _seeds.children(seed, 2)
    model = MLP([Xtr.shape[1], width, Ytr.shape[1]], activation=activation,
                bias=config.bias, loss="softmax", dtype=Xtr.dtype.name)
    theta = init_networks(model, networks, config.init, rng=s_init, device=config.device)
    res = train_sgd(model, theta, Xtr, Ytr, X_test=Xte, Y_test=Yte, rng=s_sgd,
                    **config.training())
    return model, res


def _width_row(activation, width, model, res, seconds):
    """One width's row: loss statistics over the networks that did not diverge
    (:func:`rmtland.compare.trained.loss_statistics`), the train–test correlation with its
    Fisher-z 95% interval, and the convergence of all of them."""
    ok = ~res["diverged"]
    stats = cmp.loss_statistics(res["train_loss"][ok], res["test_loss"][ok])
    ci = stats["train_test_corr_ci95"] or [None, None]
    ratio = res["grad_ratio"][ok]
    return {"activation": activation, "width": width, "parameters": model.n_params, **stats,
            "correlation": stats["train_test_corr"],
            "correlation_stderr": stats["train_test_corr_stderr"],
            "correlation_lo": ci[0], "correlation_hi": ci[1],
            "converged_fraction": float(res["converged"].mean()),
            "grad_ratio_median": float(np.median(ratio)) if ratio.size else None,
            "grad_ratio_quantiles": (np.quantile(ratio, [0.05, 0.5, 0.95]).tolist()
                                     if ratio.size else None),
            "stopped_fraction": float(res["stopped"].mean()),
            "diverged": int(res["diverged"].sum()),
            "epochs_mean": float(res["epochs"].mean()),
            "epochs_max": int(res["epochs"].max()), "seconds": seconds}


def loss_study(config, *, progress=True):
    r"""Part 1 (CHO15 Sec. 6): ``config.networks`` networks per width and activation trained
    on the ten digit classes; per width the train/test loss statistics and the convergence
    (:func:`_width_row`), and per activation the power-law fit of the spread against the
    width (:func:`rmtland.compare.trained.spread_fit`).

    Returns ``{"rows": [...], "fits": [...], "losses": {(activation, width): (train, test)},
    "schedule": ...}``."""
    config = _config(config, {})
    s_split, s_nets = _seeds.children(_seeds.children(config.seed, 2)[0], 2)
    data = digits_task(config, range(10), rng=s_split, dtype="float32")
    seeds = _seeds.children(s_nets, len(config.activations) * len(config.widths))
    rows, losses, schedule = [], {}, None
    grid = [(a, w) for a in config.activations for w in config.widths]
    bar = Progress(len(grid), "trained networks (widths)") if progress else None
    for i, (a, w) in enumerate(grid):
        t0 = time.perf_counter()
        model, res = _train(config, data, w, a, config.networks, seeds[i])
        rows.append(_width_row(a, w, model, res, time.perf_counter() - t0))
        ok = ~res["diverged"]
        losses[(a, w)] = (res["train_loss"][ok], res["test_loss"][ok])
        schedule = res["schedule"]
        if bar:
            bar(i + 1)
    if bar:
        bar.close()
    fits = []
    for a in config.activations:
        rs = [r for r in rows if r["activation"] == a]
        if len(rs) < 2:
            continue
        w = [r["width"] for r in rs]
        corr = [r["correlation"] for r in rs]
        corr_fit = (cmp.linear_fit(np.log(w), corr) if None not in corr else None)
        for which in ("test", "train"):
            fits.append({"activation": a, "loss": which,
                         **cmp.spread_fit(w, [r[f"{which}_std"] for r in rs]),
                         "corr_vs_log_width": corr_fit})
    return {"rows": rows, "fits": fits, "losses": losses, "schedule": schedule,
            "networks": config.networks, "widths": list(config.widths),
            "activations": list(config.activations)}


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


def _hessian_row(config, K, width, seed):
    """Train ``config.hessian_networks`` networks of ``config.hessian_activation`` on K
    classes (float64, the recipe of ``config``); dense H0, H1, H; the bulk per network."""
    s_split, s_nets = _seeds.children(seed, 2)
    data = digits_task(config, range(K), rng=s_split)
    model, res = _train(config, data, width, config.hessian_activation,
                        config.hessian_networks, s_nets)
    Xtr, Ytr = data[:2]
    ok = np.flatnonzero(~res["diverged"])
    theta = res["theta"][get_xp(config.device).asarray(ok)]
    H0 = model.gauss_newton(theta, Xtr, Ytr)          # from the Jacobian
    H = model.hessian(theta, Xtr, Ytr)                # one R-operator pass per column block
    e0, e1 = (to_numpy(eigvalsh_batched(M)) for M in (H0, H - H0))
    eH, vH = (to_numpy(a) for a in eigh_batched(H))
    per = [cmp.hessian_bulk(eH[i], e0[i], e1[i]) for i in range(len(ok))]
    angles = _class_mean_angles(model, theta, Xtr, Ytr, vH, K)
    row = {"classes": K, "width": width, "activation": config.hessian_activation,
           "parameters": model.n_params, "samples": int(Xtr.shape[0]), "networks": len(ok),
           "phi_nominal": model.n_params / (K * int(Xtr.shape[0]))}
    for key in ("outliers", "outliers_h0", "outliers_gap", "bulk_edge", "ks_bulk",
                "ks_bulk_h0", "phi", "eps", "c", "negative_fraction", "top"):
        vals = [p[key] for p in per if p[key] is not None]
        mean, se = mean_and_stderr(vals) if vals else (None, None)
        row[key], row[key + "_stderr"] = mean, se
    # "outliers": the count of each network (the contract); "outliers_mean" ± "outliers_stderr"
    row["outliers_mean"], row["outliers"] = row["outliers"], [p["outliers"] for p in per]
    row["outliers_h0_each"] = [p["outliers_h0"] for p in per]
    row["outliers_gap_each"] = [p["outliers_gap"] for p in per]
    row["rule"], row["rule_valid"] = per[0]["rule"], all(p["rule_valid"] for p in per)
    row["angles"] = [np.degrees(a).tolist() for a in angles]
    row["angle_max"], row["angle_max_stderr"] = mean_and_stderr(
        [float(np.degrees(a.max())) for a in angles])
    row["bulk_converged"] = all(p["converged"] for p in per)
    row["train_loss"] = float(np.mean(res["train_loss"][ok]))
    row["test_loss"] = float(np.mean(res["test_loss"][ok]))
    row["converged_fraction"] = float(res["converged"].mean())
    row["grad_ratio_median"] = float(np.median(res["grad_ratio"][ok])) if ok.size else None
    return row, {"H": eH[0], "H0": e0[0], "H1": e1[0], "edge": per[0]["bulk_edge"]}


def _class_mean_angles(model, theta, X, Y, V, K):
    r"""Per network, the principal angles (radians, ascending) between the top-(K−1)
    eigenspace of :math:`H` (eigenvectors ``V``, ascending eigenvalues) and the span of the K
    class-mean gradients :math:`\bar g_c = \nabla_\theta L_c`, the loss over the samples of
    class c: the subspace Papyan attributes the outliers to (arXiv:1901.08244 Sec. 4;
    arXiv:2008.11865 Sec. 5).  The K means sum to the full gradient, about 0 at the end of
    training, so they span about K − 1 directions: K − 1 angles, all small when the outliers
    are the class means' directions, near 90° when unrelated."""
    xp = array_namespace(theta)
    labels = xp.argmax(Y, axis=1)
    G = xp.stack([model.gradient(theta, X[labels == c], Y[labels == c]) for c in range(K)],
                 axis=2)                                  # (B, n, K)
    G = to_numpy(G)
    return [cmp.principal_angles(V[i][:, -(K - 1):], G[i]) for i in range(V.shape[0])]


def hessian_study(config, *, widths=(), progress=True):
    r"""Part 2 (Sagun et al. 2017; Papyan 2019): ``config.hessian_networks`` networks of
    hidden width ``config.hessian_width`` trained on the first K digit classes for every K of
    ``config.classes``, and at K = max(classes) also at the hidden ``widths``; per (K, width)
    the dense :math:`H_0`, :math:`H_1`, :math:`H` of each network, its outliers and bulk
    (:func:`rmtland.compare.trained.hessian_bulk`).  Summary fits: the outliers against K (OLS
    slope ± s.e. over the networks), the bulk edge against K at fixed width, and the bulk
    edge against the number of parameters at fixed K."""
    config = _config(config, {})
    classes, width = list(config.classes), config.hessian_width
    if not classes:
        raise InputError("classes must hold at least one K in 2..10 for the Hessian part")
    widths = [w for w in _check_widths("widths", widths) if w != width] if widths else []
    grid = [(K, width) for K in classes] + [(max(classes), w) for w in widths]
    seeds = _seeds.children(_seeds.children(config.seed, 2)[1], len(grid))
    bar = Progress(len(grid), "Hessians of trained networks") if progress else None
    rows, spectra = [], {}
    for i, ((K, w), s) in enumerate(zip(grid, seeds)):
        row, spec = _hessian_row(config, K, w, s)
        rows.append(row)
        spectra[(K, w)] = spec
        if bar:
            bar(i + 1)
    if bar:
        bar.close()
    at_w = [r for r in rows if r["width"] == width]
    ks_ = [r["classes"] for r in at_w for _ in r["outliers"]]
    fits = {}
    if len(set(ks_)) >= 2:
        fits["outliers_vs_classes"] = cmp.linear_fit(ks_, [o for r in at_w
                                                           for o in r["outliers"]])
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
            "classes": classes, "widths": widths, "networks": config.hessian_networks}


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


def result_rows(losses):
    """``result.json``'s ``widths`` entries: the JSON contract's keys first (``width``,
    ``train_mean``, ``train_std``, ``test_mean``, ``test_std``, ``correlation``,
    ``correlation_lo``, ``correlation_hi``, ``converged_fraction``), then the rest."""
    keep = ("activation", "width", "train_mean", "train_std", "test_mean", "test_std",
            "correlation", "correlation_lo", "correlation_hi", "converged_fraction",
            "grad_ratio_median", "grad_ratio_quantiles", "stopped_fraction", "parameters",
            "correlation_stderr", "train_mean_stderr", "train_std_stderr",
            "test_mean_stderr", "test_std_stderr", "train_max", "test_max", "networks",
            "diverged", "epochs_mean", "epochs_max", "seconds")
    return [{k: r[k] for k in keep} for r in losses["rows"]]


def _fit_json(f):
    """A spread fit for ``result.json``: ``slope`` (of log std against log width; negative:
    the losses concentrate), its OLS ``stderr``, ``prefactor``, ``z`` = slope/stderr."""
    return {"slope": f["exponent"], "stderr": f["stderr"], "prefactor": f["prefactor"],
            "z": f["z"], "points": f["points"], "activation": f["activation"],
            "loss": f["loss"]}


def _headline_fit(losses):
    """The test-loss spread fit of the first activation."""
    return _fit_json(losses["fits"][0]) if losses["fits"] else None


def _hessian_rows(hess):
    keep = ("classes", "width", "activation", "parameters", "samples", "networks",
            "outliers", "outliers_mean", "outliers_stderr", "outliers_h0",
            "outliers_h0_each", "outliers_gap", "outliers_gap_stderr", "outliers_gap_each",
            "rule", "rule_valid", "angles", "angle_max", "angle_max_stderr",
            "bulk_edge", "bulk_edge_stderr", "ks_bulk", "ks_bulk_stderr", "ks_bulk_h0",
            "phi", "phi_nominal", "eps", "negative_fraction", "top", "bulk_converged",
            "train_loss", "test_loss", "converged_fraction", "grad_ratio_median")
    return [{k: r[k] for k in keep} for r in hess["rows"]]


#: the converged rule, as result.json states it
CONVERGED_RULE = ("a network reached a minimum when its final full-batch gradient norm is at "
                  "most grad_tol times its initial one (rmtland.networks.train.converged)")


# -- sizes -----------------------------------------------------------------------------------
def _n_params(inputs, width, K, bias):
    """Parameters of ``[inputs, width, K]`` (with biases when ``bias``)."""
    return (inputs + bias) * width + (width + bias) * K


def _samples(config, K):
    """Training samples of the K-class task (an upper bound: the split is by image)."""
    m = TRAIN_SAMPLES * K // 10 + 1
    return m if config.train_size is None else min(m, config.train_size)


def _training_bytes(config, width, networks, epochs, K, itemsize):
    """Peak memory of one :func:`rmtland.networks.train.train_sgd` call (bytes): the
    parameters, velocities and gradients (``6 B n``), every network's sample order
    (``2 B m``, float64 and int64), the forward and backward passes of a mini-batch and of a
    loss chunk, and the loss history (``(epochs + 1) B``, float64)."""
    d = config.pixels
    n = _n_params(d, width, K, config.bias)
    m = _samples(config, K)
    rows = min(config.batch_size, m) + LOSS_CHUNK
    return (itemsize * networks * (6 * n + 6 * rows * (width + K + d))
            + 16 * networks * m + 8 * (epochs + 1) * networks)


def _training_operations(config, width, networks, epochs, K):
    """Work of one :func:`rmtland.networks.train.train_sgd` call that runs all ``epochs``
    (a stopping rule can only shorten it): per epoch every mini-batch's gradient (``6 B n``
    per sample), the full-data loss (``2 B n`` per sample, by chunks) and under
    ``stop="gradient"`` the full-data gradient (``6 B n``); the gradients at the start and
    the end; each mini-batch and chunk a Python-level step."""
    n = _n_params(config.pixels, width, K, config.bias)
    m = _samples(config, K)
    grad = config.stop == "gradient"
    chunks = -(-m // LOSS_CHUNK)
    steps = -(-m // min(config.batch_size, m)) + chunks * (2 if grad else 1)
    per_epoch = (networks * m * ((14 if grad else 8) * n + 20)
                 + steps * _validate.LOOP_OPERATIONS)
    return epochs * per_epoch + networks * m * 12 * n


def _hessian_part(config, hessian_width, hessian_networks, K):
    """``(bytes, operations)`` of one Hessian row of :func:`hessian_study` (float64) beyond
    its training: the Jacobian and ``H0`` (``2 B m K n`` and ``2 B n^2`` numbers), the dense
    ``H`` and the eigenvalues of ``H0``, ``H1``, ``H`` (``6 B n^2``)."""
    m = _samples(config, K)
    n = _n_params(config.pixels, hessian_width, K, config.bias)
    B = hessian_networks
    nbytes = 8 * B * (2 * m * K * n + 8 * n * n)
    ops = B * (m * K * n * n + 6 * m * n * n + 30 * n ** 3)
    return nbytes, ops


def check_trained(config=None, *, max_bytes=None, **fields):
    r"""The up-front check of :func:`simulate_trained` (also of ``rmtland simulate trained``
    and of the sweep kind ``"trained"``, whose points have no Hessian part: ``classes=()``):
    every setting's range (:meth:`TrainedConfig.validate`), then the memory and the work of
    the run from the sizes alone (pure arithmetic, nothing allocated or trained).

    Part 1 trains ``networks`` float32 networks ``[pixels, width, 10]`` per width and
    activation (:func:`_training_bytes`, :func:`_training_operations`: every epoch up to
    ``epochs`` counted, with the recipe's batch size, stopping rule and training set); part 2,
    per K of ``classes``, ``hessian_networks`` float64 networks ``[pixels, hessian_width, K]``
    and their dense Hessians (:func:`_hessian_part`).  The largest memory of one step must fit
    :func:`rmtland.linalg.dense.memory_budget` on ``device`` (or ``max_bytes``), the total
    work :data:`rmtland._validate.WORK_MAX`; a refusal names the size to reduce (``widths``,
    ``networks``, ``epochs``, ``hessian_width`` or ``hessian_networks``) and its largest value
    given the others (:func:`rmtland._validate.within_budget`).
    Returns ``{"bytes", "operations"}``.  Raises :class:`InputError`.
    """
    from ..linalg.dense import memory_budget
    config = _config(config, fields)
    xp = get_xp(config.device)
    rest = sorted(config.widths)[:-1]             # the widths below the largest, fixed
    runs = len(config.activations)
    Ks = config.classes

    def memory(widths, networks, epochs, hessian_width, hessian_networks):
        part1 = _training_bytes(config, widths, networks, epochs, 10, 4)
        part2 = [max(_training_bytes(config, hessian_width, hessian_networks, epochs, K, 8),
                     _hessian_part(config, hessian_width, hessian_networks, K)[0])
                 for K in Ks]
        return max([part1] + part2)

    def work(widths, networks, epochs, hessian_width, hessian_networks):
        part1 = runs * sum(_training_operations(config, w, networks, epochs, 10)
                           for w in rest + [widths])
        part2 = sum(_training_operations(config, hessian_width, hessian_networks, epochs, K)
                    + _hessian_part(config, hessian_width, hessian_networks, K)[1]
                    for K in Ks)
        return part1 + part2
    sizes = {"widths": max(config.widths), "networks": config.networks,
             "epochs": config.epochs, "hessian_width": config.hessian_width,
             "hessian_networks": config.hessian_networks}
    minimum = {"widths": 1, "networks": 2, "epochs": 1}
    if Ks:
        minimum.update(hessian_width=1, hessian_networks=1)
    what = "the trained networks" + (" and their Hessians" if Ks else "")
    nbytes, ops = _validate.within_budget(
        sizes, _validate.Budget(memory, memory_budget(xp, max_bytes)[1], what=what,
                                where="the GPU" if xp is not np else "the host"),
        _validate.Budget(work, _validate.WORK_MAX, what=what, unit="operations"),
        minimum=minimum)
    return {"bytes": nbytes, "operations": ops}


def simulate_trained(config=None, *, out=None, pdf=False, progress=True, **fields):
    r"""Both parts as ``config`` (a :class:`TrainedConfig`; default: its defaults) with
    ``fields`` replaced says: ``result.json`` with ``config`` (every setting), ``widths`` (one
    object per activation and width: ``width``, ``train_mean``, ``train_std``,
    ``test_mean``, ``test_std``, ``correlation`` with its Fisher-z 95% interval
    ``correlation_lo``/``correlation_hi``, ``converged_fraction``, ``grad_ratio_median``,
    ...), ``spread_fit`` (``slope``, ``stderr`` of log std(test loss) against log width, the
    first activation; ``spread_fits`` has all), ``hessian`` (one object per K: ``classes``,
    ``outliers``, ``bulk_edge``, ``ks_bulk``, ...; empty without ``classes``),
    ``hessian_fits``, ``converged_rule`` and ``seconds``; with ``out`` also
    ``trained_losses.png`` (and ``trained_hessian.png`` with a Hessian part).

    Its first step is :func:`check_trained`: bad settings, and sizes whose memory or work
    would not fit, are refused (:class:`rmtland._validate.InputError`) before anything is
    loaded, allocated or trained."""
    config = _config(config, fields)
    check_trained(config)
    if out is not None:
        check_output_dir(out)
    xp = get_xp(config.device)
    _require_digits()                                        # the data extra, before work
    t0 = time.perf_counter()
    losses = loss_study(config, progress=progress)
    hess = hessian_study(config, progress=progress) if config.classes else None
    result = {"config": config.to_json(), "widths": result_rows(losses),
              "spread_fit": _headline_fit(losses),
              "spread_fits": [_fit_json(f) for f in losses["fits"]],
              "hessian": _hessian_rows(hess) if hess else [],
              "hessian_fits": hess["fits"] if hess else {},
              "converged_rule": CONVERGED_RULE, "grad_tol": config.grad_tol,
              "networks": config.networks, "activations": list(config.activations),
              "schedule": losses["schedule"], "test_fraction": TEST_FRACTION,
              "seed": config.seed, "device": device_name(xp), "seconds": None,
              "versions": _run.versions()}
    result["seconds"] = time.perf_counter() - t0
    if out is not None:
        from ..plotting.trained import plot_trained_hessian, plot_trained_losses
        curves = _curves(losses, None)
        figs = [("trained_losses", lambda: plot_trained_losses(curves)[0])]
        if hess:
            hcurves = _hessian_curves(hess)
            figs.append(("trained_hessian", lambda: plot_trained_hessian(hcurves)[0]))
        result["files"] = [n for stem, _ in figs for n in _run.figure_names(stem, pdf)] + \
            ["result.json"]
        _run.write_run(out, {"result.json": result}, figs, pdf,
                       owned=[n for stem in ("trained_losses", "trained_hessian")
                              for n in _run.figure_names(stem, True)])
    return result


def _require_digits():
    """Raise :class:`InputError` naming the ``data`` extra when scikit-learn (the digits) is
    missing: :func:`rmtland.networks.data.digits` on two samples."""
    datasets.digits(classes=[0, 1], m=2, one_hot=False)


@_run.register("trained_losses", kind="simulation", requires=_require_digits, claim=(
    "Choromanska et al. (2015) claim that the losses of the minima SGD finds concentrate as "
    "networks grow and that train and test losses decorrelate; checked on 50 independently "
    "initialised one-hidden-layer networks per width (ReLU and tanh, widths 10-160, biases, "
    "He initialisation) trained by plain SGD with a constant step for a fixed number of "
    "epochs on the digits scaled to [0, 1]: per width the test-loss histograms with the "
    "fraction of networks that reached a minimum, the power-law fit of the spread against "
    "the width and the train-test correlation, beside the spin-glass side (minima of the "
    "spherical 3-spin glass found by descent, whose spread falls with N)."))
def figure_trained_losses(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "trained_losses": :func:`loss_study` (the :class:`TrainedConfig` recipe) and
    :func:`spin_side` at the :data:`TRAINED_SIZES` of the level."""
    from ..plotting.trained import plot_trained_losses
    lvl = _run.level(quick, smoke)
    cfg = TRAINED_SIZES[lvl]
    s_spin = _seeds.children(seed, 2)[1]          # loss_study draws from child 0
    config = TrainedConfig(widths=cfg["widths"], networks=cfg["networks"],
                           epochs=cfg["epochs"], classes=(), seed=seed, device=device)
    losses = loss_study(config)
    spin = spin_side(**cfg["spin"], seed=s_spin, device=device)
    curves = _curves(losses, spin)

    def draw():
        return plot_trained_losses(curves)[0]
    summary = {"widths": result_rows(losses), "spread_fit": _headline_fit(losses),
               "spread_fits": [_fit_json(f) for f in losses["fits"]], "spin_glass": spin,
               "converged_rule": CONVERGED_RULE, "schedule": losses["schedule"]}
    return {"name": "trained_losses", "claim": _run.FIGURES["trained_losses"].claim,
            "draw": draw, "parameters": {"level": lvl, **_config(config, {}).to_json(),
                                         "spin": {k: list(v) if isinstance(v, tuple) else v
                                                  for k, v in cfg["spin"].items()},
                                         "test_fraction": TEST_FRACTION, "seed": seed},
            "summary": summary, "curves": curves}


@_run.register("trained_hessian", kind="simulation", requires=_require_digits, claim=(
    "Sagun et al. (2017) and Papyan (2019) claim that at the end of training the Hessian is a "
    "bulk near zero set by the parameters plus about K outliers set by the K classes; checked "
    "on ReLU networks (biases, He initialisation, plain SGD, inputs scaled to [0, 1]) trained "
    "with cross-entropy on the first K digit classes (K = 2..10): outliers above the "
    "moment-matched Marchenko-Pastur edge of H0's bulk (and by the widest gap) against K, the "
    "bulk edge against K and the parameters, and the bulk against the Pennington-Bahri law "
    "at matched moments (KS distance)."))
def figure_trained_hessian(quick=True, *, smoke=False, device="cpu", seed=0):
    r"""Figure "trained_hessian": :func:`hessian_study` (the :class:`TrainedConfig` recipe)
    at the :data:`TRAINED_SIZES` of the level."""
    from ..plotting.trained import plot_trained_hessian
    lvl = _run.level(quick, smoke)
    cfg = TRAINED_SIZES[lvl]["hessian"]
    config = TrainedConfig(classes=cfg["classes"], hessian_width=cfg["width"],
                           hessian_networks=cfg["networks"], epochs=cfg["epochs"],
                           seed=seed, device=device)
    hess = hessian_study(config, widths=cfg["widths"])
    curves = _hessian_curves(hess)

    def draw():
        return plot_trained_hessian(curves)[0]
    summary = {"hessian": _hessian_rows(hess), "hessian_fits": hess["fits"],
               "config": _config(config, {}).to_json()}
    return {"name": "trained_hessian", "claim": _run.FIGURES["trained_hessian"].claim,
            "draw": draw, "parameters": {"level": lvl, **{k: list(v) if isinstance(v, tuple)
                                                          else v for k, v in cfg.items()},
                                         "test_fraction": TEST_FRACTION, "seed": seed,
                                         "device": device},
            "summary": summary, "curves": curves}


# -- for the sweep kind "trained" (registered in rmtland.experiments.sweep.kinds) ---------------
#: the settings a sweep point of kind "trained" takes (one width and one activation per
#: point, no Hessian part), each validated by TrainedConfig itself
SWEEP_FIELDS = ("networks", "inputs", "downsample", "train_size", "bias", "init",
                "optimizer", "momentum", "lr", "lr_decay", "batch_size", "epochs", "stop",
                "patience", "tol", "grad_tol")
