"""Sampling studies of the Pennington-Bahri Hessian (rmtland.experiments.hessian):
hessian_spectra, hessian_index_sample and finite_size_study, on NumPy, on the CuPy double and
on a GPU where there is one; their seeds.

Index bound: the mean index of S matrices of size n has sampling error measured by its own
standard error (4 of them: a false alarm has probability 6e-5 for a normal mean) and a
finite-size bias: the expected spectral distribution differs from its limit by O(1/n) (bulk
corrections, and the edge window of width n^{-2/3} holds O(1/n) of the mass), i.e. a bounded
number of eigenvalues per matrix; the bound allows one eigenvalue per matrix (1/n).
"""
import math

import numpy as np
import pytest

from _rng_checks import check_rng_forms, same
from rmtland._seeds import child
from rmtland.analytic import PenningtonBahri
from rmtland.compare import index_estimate
from rmtland.experiments.hessian import (finite_size_study, hessian_index_sample,
                                         hessian_spectra)


@pytest.mark.parametrize("phi, eps", [(0.5, 0.1), (0.25, 0.5), (2.0, 0.05), (0.5, 0.005)])
def test_simulated_index_matches_theory(phi, eps):
    n, samples = 200, 60
    mean, se, theory = hessian_index_sample(n, phi, eps, samples, rng=7)
    assert theory == PenningtonBahri(phi, eps).index()
    assert abs(mean - theory) <= 4 * se + 1 / n


@pytest.mark.parametrize("eps", [0.1, 0.0])
def test_index_on_the_device(device, eps):
    """The device route (eigenvalue counts on the GPU; at eps = 0 snapped eigenvalues on the
    host) against the theory with the bound of the module notes; phi = 2 has the atom of
    H_0 at 0, which must not count as negative at eps = 0."""
    n, samples, phi = 80, 20, 2.0
    mean, se, theory = hessian_index_sample(n, phi, eps, samples, rng=8, device=device)
    if eps == 0:
        assert mean == 0.0 and se == 0.0 and theory == 0.0
    else:
        assert abs(mean - theory) <= 4 * se + 1 / n


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_spectra_and_inertia_routes_give_the_same_index(device, dtype):
    """hessian_spectra then eigenvalue counting, and hessian_index_sample (inertia: LDL^T on
    the CPU, eigenvalue counts on a GPU), see the same matrices for the same seed; the counts
    agree except for an eigenvalue within rounding of 0, which these seeds do not have."""
    eigs, seconds = hessian_spectra(120, 0.5, 0.1, 8, rng=3, device=device, dtype=dtype,
                                    chunk=3)
    assert type(eigs) is np.ndarray and eigs.dtype == np.dtype(dtype) and eigs.shape == (8, 120)
    assert seconds >= 0 and np.all(np.diff(eigs, axis=1) >= 0)
    mean_eig = index_estimate(eigs)[0]
    mean_ldl = hessian_index_sample(120, 0.5, 0.1, 8, rng=3, device=device, dtype=dtype)[0]
    assert mean_eig == mean_ldl


def test_spectra_progress_and_chunks(device):
    calls = []
    eigs, _ = hessian_spectra(30, 0.5, 0.1, 7, rng=1, device=device, chunk=3,
                              progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 7), (6, 7), (7, 7)]
    np.testing.assert_array_equal(eigs, hessian_spectra(30, 0.5, 0.1, 7, rng=1,
                                                        device=device)[0])


def test_finite_size_distances_shrink():
    """Same pooled number of eigenvalues at every n: the KS distance falls with n. Theory: an
    O(1/n) bias of the expected spectral distribution plus fluctuations of the pooled CDF of
    order sqrt(log n)/n per matrix (eigenvalue rigidity) averaged over eigenvalues/n matrices,
    i.e. ~ sqrt(log n / (n * eigenvalues)): a power between about -1 and -1/2. Asserted: the
    fitted exponent is negative by 3 of its own standard errors, and not steeper than -1 by
    more than that."""
    study = finite_size_study(0.5, 0.1, ns=(50, 100, 200, 400), eigenvalues=8000, rng=5)
    fit = study["fits"]["ks_distance"]
    assert fit["exponent"] + 3 * fit["exponent_stderr"] < 0
    assert fit["exponent"] - 3 * fit["exponent_stderr"] > -1
    assert [r["samples"] for r in study["rows"]] == [160, 80, 40, 20]
    line_n, line_d = fit["line"]
    assert line_n[0] == 50 and line_n[-1] == pytest.approx(400)
    np.testing.assert_allclose(line_d, fit["prefactor"] * np.asarray(line_n) ** fit["exponent"],
                               rtol=1e-12)


def test_finite_size_study_on_the_device(device):
    study = finite_size_study(0.5, 0.1, ns=(20, 40), eigenvalues=160, rng=2, device=device,
                              dtype="float32")
    assert [r["samples"] for r in study["rows"]] == [8, 4]
    assert all(0 < r["ks_distance"] < 1 for r in study["rows"])
    assert set(study["fits"]) == {"ks_distance", "l1_distance"}


def test_finite_size_study_seeds(device):
    """The old bug: finite_size_study dropped the spawn key of a SeedSequence (two children of
    one sequence gave the same study) and refused a NumPy Generator (TypeError). Now every
    rng form works, different children give different studies, and the same child the same."""
    def study(rng):
        return finite_size_study(0.5, 0.1, ns=(10, 20), eigenvalues=40, rng=rng,
                                 device=device)["rows"]
    ss = np.random.SeedSequence(2024)
    a, b = study(child(ss, 0)), study(child(ss, 1))
    assert not same(a, b)
    assert same(a, study(child(ss, 0)))
    assert math.isfinite(study(np.random.default_rng(0))[0]["ks_distance"])
    check_rng_forms(study)


def test_spectra_rng_forms(device):
    check_rng_forms(lambda rng: hessian_spectra(10, 0.5, 0.1, 3, rng=rng, device=device)[0])


def test_bad_input():
    with pytest.raises(ValueError, match="samples"):
        hessian_index_sample(10, 0.5, 0.1, 1)
    with pytest.raises(ValueError, match="samples"):
        hessian_spectra(10, 0.5, 0.1, 0)
    with pytest.raises(ValueError, match="ns"):
        finite_size_study(0.5, 0.1, ns=(100,))
    with pytest.raises(ValueError, match="n must"):
        finite_size_study(0.5, 0.1, ns=(1, 10))
    with pytest.raises(ValueError, match="eigenvalues"):
        finite_size_study(0.5, 0.1, ns=(10, 20), eigenvalues=0)
