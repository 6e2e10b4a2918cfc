"""Finite means finite (issue 18): the finder's rule (c) on synthetic points with a known answer.

A tanh student [3, 4, 2] on targets made by a network of its own shape, so the teacher's
parameters are an exact zero-loss minimum:

* small teacher weights: a finite, non-degenerate minimum (H = H0 = J^T J / (km) has full rank
  with km = 80 > n = 20), which must stay "critical";
* one unit's incoming weights scaled up so that its largest pre-activation is far beyond 15:
  tanh'(z) < 4e-13 there, the unit is flat to rounding on those samples -- "at_infinity",
  though the old rule (a unit saturated on *every* sample) let it pass;
* a fourth unit with zero incoming and outgoing weights: d_in + k = 5 exact zero modes, and the
  loss is exactly flat along its incoming weights (the output weight is 0), out to infinity --
  "at_infinity" by the zero-mode half, although every pre-activation is small.
"""
import numpy as np
import pytest

from rmtland.networks import MLP
from rmtland.networks.critical import (FINITE_Z, STATUSES, Z_FINITE, allowed_zero_modes,
                                       classify_points,
                                       find_network_critical_points, symmetry_zero_modes)

D, H, K, M = 3, 4, 2, 40


def _teacher(W1, W2, rng=0):
    model = MLP([D, H, K], "tanh")
    X = np.random.default_rng(rng).standard_normal((M, D))
    theta = model.flatten([(W1[None], None), (W2[None], None)])
    Y = model.forward(theta, X)[0]
    return model, X, Y, theta


def _near(theta, size=1e-6, rng=2):
    """A start next to ``theta`` (an exact critical point makes the finder's first step 0/0:
    reported; a start 1e-6 away converges back)."""
    return theta + size * np.random.default_rng(rng).standard_normal(theta.shape)


def _small_weights(rng=1):
    g = np.random.default_rng(rng)
    return g.standard_normal((H, D)) / np.sqrt(D), g.standard_normal((K, H)) / np.sqrt(H)


def test_tanh_bound_is_where_the_unit_is_flat():
    """Z_FINITE = 15: 1 - tanh^2(15) = 4 e^{-30} (1 + O(e^{-30})) = 3.7e-13 < 4e-13, and
    at 14 the derivative is still 2.8e-12 (the bound is the first integer past 4e-13)."""
    assert FINITE_Z["tanh"] == Z_FINITE == 15.0
    assert 1 - np.tanh(15.0) ** 2 == pytest.approx(4 * np.exp(-30.0), rel=1e-6)
    assert 1 - np.tanh(15.0) ** 2 < 4e-13 < 1 - np.tanh(14.0) ** 2
    assert symmetry_zero_modes(MLP([3, 4, 2], "tanh")) == 0
    assert symmetry_zero_modes(MLP([3, 4, 2], "softplus")) == 0
    assert symmetry_zero_modes(MLP([3, 4, 2], "linear")) is None


def test_classify_rule_c_on_numbers():
    """Converged points: critical iff zmax <= z_finite and zero modes <= the symmetries';
    each half off when its bound is None; never applied to unconverged points."""
    one = np.ones(6)
    conv = np.full(6, 1e-12)
    zmax = np.array([14.9, 15.1, 3.0, 3.0, 3.0, 15.1])
    zero = np.array([0, 0, 1, 0, 2, 0])
    codes = classify_points(conv, one, one, zmax, one, one, zero_modes=zero, symmetry_modes=0,
                            z_finite=15.0, norm_growth=1e9, z_inf=1e9)
    assert [STATUSES[c] for c in codes] == ["critical", "at_infinity", "at_infinity",
                                            "critical", "at_infinity", "at_infinity"]
    codes = classify_points(conv, one, one, zmax, one, one, zero_modes=zero,
                            symmetry_modes=None, z_finite=None, norm_growth=1e9, z_inf=1e9)
    assert all(STATUSES[c] == "critical" for c in codes)
    codes = classify_points(one, one, one, 0 * zmax, one, one, zero_modes=zero,
                            symmetry_modes=0, z_finite=15.0, norm_growth=1e9, z_inf=1e9)
    assert all(STATUSES[c] == "not_converged" for c in codes)


def test_small_teacher_minimum_is_finite():
    """The finder started near the small-weight teacher converges to it (loss 0 to rounding)
    and calls it a finite minimum: zmax < 15, no zero mode, status critical."""
    model, X, Y, theta = _teacher(*_small_weights())
    start = theta + 1e-3 * np.random.default_rng(2).standard_normal(theta.shape)
    out = find_network_critical_points(model, X, Y, theta0=np.repeat(start, 2, axis=0),
                                       kind="minima")
    assert out["status"]["critical"] == 2 and out["status"]["at_infinity"] == 0
    assert out["loss"][0] < 1e-20 and out["zmax"][0] < 3.0
    assert out["zero_modes"][0] == 0 and out["index_count"][0] == 0


def test_saturated_minimum_is_at_infinity():
    """One unit with incoming weights x 200: max |z| far beyond 15 while some samples keep it
    unsaturated (so the old every-sample rule passes it). Exact minimum (loss 0, gradient 0),
    called at_infinity by rule (c); the old rule, classify_points without the new bounds,
    calls the same numbers critical."""
    W1, W2 = _small_weights()
    W1[0] *= 200.0
    model, X, Y, theta = _teacher(W1, W2)
    z = X @ W1.T
    assert np.abs(z[:, 0]).max() > 100 and np.abs(z[:, 0]).min() < Z_FINITE
    out = find_network_critical_points(model, X, Y, theta0=_near(theta), kind="minima")
    assert out["status"] == {"critical": 0, "at_infinity": 1, "gradient_flat": 0,
                             "not_converged": 0, "not_minimum": 0}
    inf = out["at_infinity"]
    assert inf["converged"][0] and inf["saturated_units"][0] == 0 and inf["zmax"][0] > 100
    assert inf["loss"][0] < 1e-20
    codes = classify_points(inf["grad_norm"], out["start_scale"], np.ones(1), inf["zmax"],
                            inf["norm"], inf["norm0"], inf["saturated_units"])
    assert STATUSES[codes[0]] == "critical"
    # the premise: on the saturated samples the unit is flat to rounding -- growing its
    # incoming weights 10x changes the loss only through the unsaturated samples
    sat = np.abs(z[:, 0]) > Z_FINITE
    assert np.max(1 - np.tanh(z[sat, 0]) ** 2) < 4e-13


def test_flat_direction_minimum_is_at_infinity():
    """A fourth unit with zero incoming and outgoing weights: exact minimum (loss 0) with
    d_in + k = 5 exact zero modes (its outgoing weights see tanh(0) = 0, its incoming ones a
    zero outgoing weight), max |z| small -- at_infinity by the zero-mode half. The premise:
    moving 10 along its incoming weights leaves the loss exactly 0."""
    W1, W2 = _small_weights()
    W1[3] = 0.0
    W2[:, 3] = 0.0
    model, X, Y, theta = _teacher(W1, W2)
    out = find_network_critical_points(model, X, Y, theta0=_near(theta), kind="minima")
    inf = out["at_infinity"]
    assert out["status"]["at_infinity"] == 1 and out["status"]["critical"] == 0
    assert inf["zero_modes"][0] == D + K and inf["index_count"][0] == 0
    assert inf["zmax"][0] < Z_FINITE and inf["converged"][0]
    W1m = W1.copy()
    W1m[3] = 10.0 * np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])
    moved = model.flatten([(W1m[None], None), (W2[None], None)])
    assert model.loss(moved, X, Y)[0] == 0.0


def test_interpolating_minimum_of_an_overparametrised_network_is_finite():
    """m = 6 samples, n = 20 > km = 12 (phi = 5/3): the small teacher is an exact fit on a
    manifold of exact fits, H = H0 of rank <= km, so n - km = 8 zero modes at a finite point:
    allowed (allowed_zero_modes = 0 + 8), status critical; the same point with the zero-mode
    allowance of the symmetries alone would be called at infinity."""
    W1, W2 = _small_weights()
    model = MLP([D, H, K], "tanh")
    X = np.random.default_rng(5).standard_normal((6, D))
    theta = model.flatten([(W1[None], None), (W2[None], None)])
    Y = model.forward(theta, X)[0]
    assert allowed_zero_modes(model, 6) == 8 and allowed_zero_modes(model, 40) == 0
    assert allowed_zero_modes(MLP([D, H, K], "linear"), 6) is None
    out = find_network_critical_points(model, X, Y, theta0=_near(theta), kind="minima")
    assert out["status"]["critical"] == 1 and out["zero_modes"][0] == 8
    assert out["zmax"][0] < 3.0 and out["loss"][0] < 1e-20
    one = np.ones(1)
    codes = classify_points(out["grad_norm"], out["scale"], one, out["zmax"], one, one,
                            zero_modes=out["zero_modes"], symmetry_modes=0, z_finite=15.0)
    assert STATUSES[codes[0]] == "at_infinity"
