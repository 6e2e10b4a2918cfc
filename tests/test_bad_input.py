"""Bad input is refused with a message naming the parameter, before any computing; no NaN, no
silent 0 and no empty result leaves the package (DESIGN.md, "Bad input")."""
import numpy as np
import pytest

from rmtland._validate import InputError
from rmtland.analytic import PenningtonBahri, Semicircle, free_convolve
from rmtland.analytic import spinglass as sg
from rmtland.linalg import count_negative, eigvalsh_batched, inertia
from rmtland.sampling import sample_goe
from rmtland.sampling import spinglass as ps


def _with(value):
    H = np.eye(4)[None].copy()
    H[0, 1, 2] = H[0, 2, 1] = value
    return H


@pytest.mark.parametrize("func", [count_negative, eigvalsh_batched, inertia])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_matrices_are_refused(func, bad):
    with pytest.raises(InputError, match="H must contain only finite"):
        func(_with(bad))


def test_array_required():
    with pytest.raises(InputError, match="array required"):
        count_negative([[[1.0]]])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_couplings_are_refused(bad):
    J = ps.sample_couplings(6, 3, rng=0)
    J[1, 2, 3] = bad
    with pytest.raises(InputError, match="J must contain only finite"):
        ps.find_critical_points(J, starts=2, rng=1)


@pytest.mark.parametrize("other", [3.0, "semicircle", None, np.ones(3)])
def test_free_convolve_names_the_argument(other):
    with pytest.raises(TypeError, match="nu must be a spectral law"):
        free_convolve(Semicircle(1.0), other)
    with pytest.raises(TypeError, match="mu must be a spectral law"):
        free_convolve(other, Semicircle(1.0))


@pytest.mark.parametrize("rng", [-1, -(2 ** 70)])
def test_negative_seed_names_rng(rng):
    with pytest.raises(ValueError, match="rng"):
        sample_goe(3, rng=rng)


def test_nested_lists_are_accepted_as_arrays():
    assert sg.index_fraction([[-2.0, 0.0]], 3).tolist() == [[0.0, 0.5]]


@pytest.mark.parametrize("phi, eps, name", [(1e21, 0.1, "phi"), (0.5, 1e151, "eps"),
                                            (0.0, 0.1, "phi"), (0.5, -1e-300, "eps")])
def test_model_domain(phi, eps, name):
    """Beyond PHI_MAX / EPS_MAX the float64 numerics cannot resolve the law (edges coincide,
    the fourth moment overflows): refused with the range instead of a root-finder message."""
    with pytest.raises(InputError, match=f"{name} must"):
        PenningtonBahri(phi, eps)


def test_u_domain():
    with pytest.raises(InputError, match=r"u must lie in \[-1e\+150, 1e\+150\]"):
        sg.complexity_index([-1e200], 3, 0)
