"""Sweep kinds: the one registry (:data:`KINDS`) of what a sweep can run, filled here and only
here (:func:`_register_builtins`, as this module is imported), whatever the import order.

Each kind is a small adapter from its study to a point function: ``run(seed, device,
**params)`` calls the study (``simulate_hessian``, ``simulate_spinglass``,
``simulate_network``, one figure of ``reproduce``, one width of the trained-network loss
study) and returns the row's scalar fields; ``params`` maps each parameter to the validator
that the study's own checks or configuration object provide; ``check`` is the study's size
and memory check of a whole point at parse time.  A test or a plug-in adds a kind of its own
with :func:`register_kind`.
"""
import numbers
from dataclasses import dataclass, field

import numpy as np

from ... import _validate
from ..._validate import InputError

__all__ = ["Kind", "KINDS", "register_kind", "integer", "choice", "boolean", "real",
           "scalar_fields", "host_budget", "network_point", "trained_point"]


@dataclass(frozen=True)
class Kind:
    """A ``simulate`` kind a sweep can run.

    ``run(seed=int, device=str, **params)`` (and ``out=`` a directory of its own when
    ``files``) computes one point and returns a flat dict of JSON-safe result fields (a
    ``"device"`` field, when present, is the device used).  ``params`` maps each parameter to
    its validator ``check(value) -> value`` (raises :class:`InputError` naming it);
    ``defaults`` holds the optional ones; ``check`` (optional) validates a whole point's
    parameters (e.g. a relation between two), after the per-parameter validators.
    """
    name: str
    run: object
    params: dict
    defaults: dict = field(default_factory=dict)
    check: object = None
    files: bool = False


#: kind name -> :class:`Kind`: the built-in kinds (hessian, spinglass, network, figure,
#: trained) are registered at the end of this module; :func:`register_kind` adds others
KINDS = {}


def register_kind(name, run, params, defaults=None, *, check=None, files=False):
    """Add a kind to :data:`KINDS` (see :class:`Kind`); returns it."""
    defaults = dict(defaults or {})
    unknown = set(defaults) - set(params)
    if unknown:
        raise InputError(f"defaults of kind {name!r} name unknown parameters {sorted(unknown)}")
    KINDS[name] = Kind(name, run, dict(params), defaults, check, files)
    return KINDS[name]


def integer(name, minimum, maximum=None):
    """Validator: an integer ``>= minimum`` (and ``<= maximum``)."""
    def check(value):
        value = _validate.integer(name, value, minimum)
        if maximum is not None and value > maximum:
            raise InputError(f"{name} must be an integer in [{minimum}, {maximum}], "
                             f"got {value!r}")
        return value
    return check


def choice(name, options):
    """Validator: one of ``options``."""
    def check(value):
        if value not in options or isinstance(value, bool) != isinstance(options[0], bool):
            raise InputError(f"{name} must be one of {list(options)}, got {value!r}")
        return value
    return check


def boolean(name):
    """Validator: true or false."""
    def check(value):
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(f"{name} must be true or false, got {value!r}")
        return bool(value)
    return check


def real(check, name, *args):
    """Validator from a :mod:`rmtland._validate` check (positive, nonnegative, finite)."""
    return lambda value: check(name, value, *args)


def scalar_fields(result, exclude=()):
    """The JSON scalars (numbers, strings, booleans, None) of a ``simulate`` result, less
    ``exclude`` and ``seed``/``seconds``/``files`` (the sweep records its own)."""
    drop = set(exclude) | {"seed", "seconds", "files"}
    return {k: v for k, v in result.items() if k not in drop and
            (v is None or isinstance(v, (bool, numbers.Real, str)))}


# -- the built-in kinds ----------------------------------------------------------------------
def host_budget():
    """The host memory budget (:func:`rmtland.linalg.dense.memory_budget` on NumPy) against
    which the kinds' checks judge every point at parse time (its reading of the available
    memory is reused for :data:`rmtland.linalg.dense.HOST_MEMORY_SECONDS`: a grid's points
    are checked one after another)."""
    from ...linalg.dense import memory_budget
    return memory_budget(np)[1]


def _hessian_point(*, phi, eps, n, samples, dtype, seed, device):
    from ..hessian import simulate_hessian
    r = simulate_hessian(phi, eps, n, samples, seed=seed, device=device, dtype=dtype,
                         progress=False)
    return scalar_fields(r, exclude=("phi", "eps", "n", "samples", "dtype"))


def _hessian_check(*, phi, eps, n, samples, dtype):
    """The kind's check: :func:`rmtland.experiments.hessian.check_hessian` (the method
    ``simulate_hessian`` picks, its memory and work on the host), at parse time."""
    from ..hessian import check_hessian
    check_hessian(phi, eps, n, samples, dtype=dtype, max_bytes=host_budget())


def _spinglass_point(*, p, N, starts, seed, device):
    from ..spinglass import simulate_spinglass
    r = simulate_spinglass(p, N, starts, seed=seed, device=device, progress=False)
    return scalar_fields(r, exclude=("p", "N", "starts", "gradient_norm_definition"))


def _spinglass_check(*, p, N, starts):
    """The kind's check: :func:`rmtland.experiments.spinglass.check_spinglass`."""
    from ..spinglass import check_spinglass
    check_spinglass(p, N, starts, max_bytes=host_budget())


def network_point(*, seed, device, **params):
    r"""One :func:`rmtland.experiments.networks.simulate_network` run as a point (kind
    ``"network"``): its scalar fields, plus counts of the critical points and minima, the
    largest index, the fitted :math:`\varepsilon_c` and exponent, and the memorisation
    prediction and mean loss of the minima."""
    from ..networks import simulate_network
    r = simulate_network(**params, seed=seed, device=device, progress=False)
    fit = r["fit"] or {}
    memo = r["memorisation"] or {}
    pts = r["critical_points"]
    return {**scalar_fields(r, exclude=tuple(params)),
            "critical_points": len(pts), "minima": sum(p["index_count"] == 0 for p in pts),
            "max_index_count": max((p["index_count"] for p in pts), default=None),
            "max_index": max((p["index"] for p in pts), default=None),
            "fit_eps_c": fit.get("eps_c"), "fit_exponent": fit.get("exponent"),
            "memorisation_prediction": memo.get("prediction"),
            "minima_mean_loss": memo.get("minima_mean_loss")}


def _network_check(**params):
    """The kind's check: :func:`rmtland.experiments.networks.check_network` (ranges, the
    digits' inputs, memory and work), at parse time."""
    from ..networks import check_network
    check_network(**params, max_bytes=host_budget())


def _trained_config(seed=0, device="cpu", *, width, activation, **fields):
    """The :class:`~rmtland.experiments.trained.TrainedConfig` of one point: one width, one
    activation, no Hessian part (no classes)."""
    from ..trained import TrainedConfig
    return TrainedConfig(widths=(width,), activations=(activation,), classes=(), seed=seed,
                         device=device, **fields)


def trained_point(*, seed, device, width, activation, **fields):
    """One width of :func:`rmtland.experiments.trained.loss_study` as a point (kind
    ``"trained"``): the row's scalar fields (``result.json``'s ``widths`` entry)."""
    from ..trained import loss_study, result_rows
    study = loss_study(_trained_config(seed, device, width=width, activation=activation,
                                       **fields), progress=False)
    return {k: v for k, v in result_rows(study)[0].items()
            if not isinstance(v, (list, tuple, dict)) and k not in ("activation", "width")}


def _trained_check(**params):
    """The kind's check: :func:`rmtland.experiments.trained.check_trained` of the point
    against the host budget."""
    from ..trained import check_trained
    check_trained(_trained_config(**params), max_bytes=host_budget())


def _trained_field(name):
    """A validator: the value of setting ``name`` as
    :meth:`~rmtland.experiments.trained.TrainedConfig.validate` normalises it (or its
    :class:`InputError`)."""
    from ..trained import TrainedConfig

    def check(value):
        if name == "width":
            return TrainedConfig(widths=(value,)).validate().widths[0]
        if name == "activation":
            return TrainedConfig(activations=(value,)).validate().activations[0]
        return getattr(TrainedConfig(**{name: value}).validate(), name)
    return check


def _register_builtins():
    """Register every built-in kind (the one place they are registered)."""
    from ...analytic.hessian import EPS_MAX, PHI_MAX
    from ...compare.networks import NULL_DRAWS, REFERENCE_SAMPLES
    from ...sampling.spinglass import MAX_P
    from .. import _run, trained
    from ..networks import ACTIVATIONS, DATA, MAX_FREENESS
    register_kind("hessian", _hessian_point, {
        "phi": real(_validate.positive, "phi", PHI_MAX),
        "eps": real(_validate.nonnegative, "eps", EPS_MAX),
        "n": integer("n", 1), "samples": integer("samples", 1),
        "dtype": choice("dtype", ("float64", "float32"))},
        {"dtype": "float64"}, check=_hessian_check)
    register_kind("spinglass", _spinglass_point, {
        "p": integer("p", 2, MAX_P), "N": integer("N", 2), "starts": integer("starts", 1)},
        check=_spinglass_check)
    register_kind("network", network_point, {
        "hidden": integer("hidden", 1), "inputs": integer("inputs", 1),
        "outputs": integer("outputs", 1), "samples": integer("samples", 1),
        "depth": integer("depth", 1), "activation": choice("activation", ACTIVATIONS),
        "data": choice("data", DATA), "starts": integer("starts", 1),
        "maxiter": integer("maxiter", 1), "bias": boolean("bias"),
        "max_freeness": integer("max_freeness", 0),
        "reference_samples": integer("reference_samples", 0),
        "null_draws": integer("null_draws", 1)},
        {"depth": 1, "activation": "tanh", "data": "gaussian", "starts": 16, "maxiter": 200,
         "bias": False, "max_freeness": MAX_FREENESS, "reference_samples": REFERENCE_SAMPLES,
         "null_draws": NULL_DRAWS},
        check=_network_check)
    register_kind("figure", _run.figure_point, {
        "name": lambda v: choice("name", tuple(_run.FIGURES))(v),
        "level": choice("level", ("smoke", "quick", "full")),
        "simulate": boolean("simulate"), "figure_seed": integer("figure_seed", 0),
        "pdf": boolean("pdf")},
        {"level": "full", "simulate": True, "figure_seed": 0, "pdf": False}, files=True)
    # one width and one activation of the trained-network loss study a point, every other
    # setting of its TrainedConfig a parameter (validated by TrainedConfig itself)
    names = ("width", "activation") + trained.SWEEP_FIELDS
    register_kind("trained", trained_point,
                  {n: _trained_field(n) for n in names},
                  {"activation": trained.ACTIVATIONS[0],
                   **{n: getattr(trained.TrainedConfig(), n) for n in trained.SWEEP_FIELDS}},
                  check=_trained_check)


_register_builtins()
