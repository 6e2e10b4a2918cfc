"""Freeness with a p-value (issue 18): the Haar null of freeness_test is calibrated on truly free
pairs and has power on a non-free one; the Monte Carlo p-value formula by hand."""
import numpy as np
import pytest

from rmtland.compare import networks as cn
from rmtland.sampling.ensembles import haar_orthogonal, sample_wishart

from _calibration import assert_uniform

KEYS = cn.FREENESS_KEYS


def test_monte_carlo_p_value_by_hand():
    """(1 + #{null >= observed}) / (1 + R): ties count against the observation, unresolved
    draws (None) leave R, and an unresolved observation has no p-value."""
    assert cn.monte_carlo_p_value(0.3, [0.1, 0.3, 0.5, 0.2]) == 3 / 5
    assert cn.monte_carlo_p_value(0.9, [0.1, 0.3, None]) == 1 / 3
    assert cn.monte_carlo_p_value(None, [0.1]) is None
    assert cn.monte_carlo_p_value(0.1, [None, None]) is None


def _free_pair(n, seed):
    """H0 Wishart (phi = 1/2); H1 = Q D Q^T, D fixed (uniform on [-0.5, 0.5]), Q Haar drawn
    independently: a pair free at every n in the sense the null tests."""
    g = np.random.default_rng(seed)
    H0 = sample_wishart(n, 2 * n, rng=g)[0]
    Q = haar_orthogonal(n, batch=1, rng=g)[0]
    D = np.linspace(-0.5, 0.5, n)
    return H0, (Q * D) @ Q.T


def test_p_values_uniform_on_free_pairs():
    """50 free pairs (n = 20, 100 null draws each): the p-values of all three distances are
    uniform (KS against U(0, 1) at level 0.001, tests/_calibration.py). Exact, not
    asymptotic: under the hypothesis H = H0 + Q H1 Q^T the observed distance and the null
    distances are exchangeable (freeness_test notes)."""
    p = {k: [] for k in KEYS}
    for seed in range(50):
        out = cn.freeness_test(*_free_pair(20, seed), rng=1000 + seed, grid=257, rotations=4)
        assert out["null_draws"] == cn.NULL_DRAWS == 100
        for k in KEYS:
            p[k].append(out["p_value"][k])
    for k in KEYS:
        assert None not in p[k], k
        assert_uniform(p[k], what=k)


def test_p_values_reject_a_commuting_pair():
    """H1 = 0.3 (H0 - mean): commuting, the opposite of free. Distances (a) and (b) exceed
    every one of the 100 null draws (p = 1/101) at n = 60; (c) compares with the matched PB law
    and is not asked to reject."""
    g = np.random.default_rng(3)
    H0 = sample_wishart(60, 120, rng=g)[0]
    H1 = 0.3 * (H0 - np.trace(H0) / 60 * np.eye(60))
    out = cn.freeness_test(H0, H1, rng=4)
    assert out["p_value"]["ks_free_convolution"] == out["p_value"]["ks_rotated"] == 1 / 101
    assert out["null"]["ks_rotated"]["q95"] < out["ks_rotated"]


def test_pb_model_p_value_and_bad_draws():
    """With the PB-model reference, p_value_pb_model is the same formula against its draws;
    null_draws must be an integer >= 1."""
    H0, H1 = _free_pair(16, 0)
    out = cn.freeness_test(H0, H1, rng=0, reference=True, reference_samples=2, grid=257)
    for k in KEYS:
        vals = out["reference"][k]["values"]
        assert out["p_value_pb_model"][k] == cn.monte_carlo_p_value(out[k], vals)
    with pytest.raises(cn.InputError, match="null_draws"):
        cn.freeness_test(H0, H1, null_draws=0)
