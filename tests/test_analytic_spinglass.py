"""Spherical p-spin complexity (rmtland.analytic.spinglass) against ABC13 (Auffinger, Ben Arous
& Cerny, CPAM 2013) and an independent mpmath computation."""
import json
import math

import mpmath as mp
import numpy as np
import pytest

from rmtland.analytic import spinglass as sg
from rmtland.cli import main


def mp_threshold(k, p):
    """E_k by mpmath: findroot of Theta_{k,p}(-E) = 0 written from ABC13 Eqs. (2.12)-(2.14)
    at 40 digits, started between E_inf and 2 E_inf (independent of the library)."""
    mp.mp.dps = 40
    Einf = 2 * mp.sqrt(mp.mpf(p - 1) / p)

    def theta(E):
        u = -E
        r = mp.sqrt(u * u - Einf ** 2)
        I1 = -u / Einf ** 2 * r - mp.log(-u + r) + mp.log(Einf)
        return mp.log(p - 1) / 2 - mp.mpf(p - 2) / (4 * (p - 1)) * u ** 2 - (k + 1) * I1

    return mp.findroot(theta, (Einf * (1 + mp.mpf(10) ** -30), 2 * Einf), solver="anderson")


@pytest.mark.parametrize("p", [3, 4, 5, 10])
@pytest.mark.parametrize("k", [0, 1, 2, 5, 50])
def test_thresholds_against_mpmath(p, k):
    assert sg.threshold(k, p) == pytest.approx(float(mp_threshold(k, p)), abs=1e-12)


def test_known_value_p3():
    # ABC13 / Crisanti-Sommers: ground-state energy of the 3-spin model -E_0 = -1.657
    assert sg.threshold(0, 3) == pytest.approx(1.657, abs=5e-4)
    assert sg.E_inf(3) == pytest.approx(2 * math.sqrt(2 / 3), rel=1e-15)


@pytest.mark.parametrize("p", [3, 4, 6])
def test_thresholds_ordered(p):
    E = [sg.threshold(k, p) for k in range(8)]
    assert all(a > b for a, b in zip(E, E[1:])) and E[-1] > sg.E_inf(p)


@pytest.mark.parametrize("p", [3, 4])
def test_complexities_continuous_and_monotone(p):
    # slopes, from dI1/du = -2 sqrt(u^2 - E^2)/E^2 (differentiating ABC13 Eq. (2.14)):
    # below -E_inf  dTheta_k/du = -(p-2)u/(2(p-1)) + 2(k+1) sqrt(u^2-E^2)/E^2, decreasing in u;
    # so on a grid step the increment is at most h times the slope at the step's left end --
    # a jump (discontinuity) anywhere would exceed it
    E = sg.E_inf(p)
    u = np.linspace(-2.5, 1.0, 20001)
    h = u[1] - u[0]
    r = np.sqrt(np.maximum(u * u - E * E, 0))
    quad_slope = np.maximum(-(p - 2) * u / (2 * (p - 1)), 0)
    tot = sg.complexity_total(u, p)
    for k in range(4):
        th = sg.complexity_index(u, p, k)
        slope = np.where(u < -E, quad_slope + 2 * (k + 1) * r / E ** 2, 0.0)
        assert np.all(np.diff(th) >= -1e-15)              # non-decreasing in u
        assert np.all(np.diff(th) <= h * slope[:-1] * (1 + 1e-9) + 1e-15)
        assert np.all(th <= tot + 1e-15)                  # index k is part of all points
    slope = np.where(u < -E, quad_slope + 2 * r / E ** 2, quad_slope)
    assert np.all(np.diff(tot) >= -1e-15)
    assert np.all(np.diff(tot) <= h * slope[:-1] * (1 + 1e-9) + 1e-15)
    # for u < -E_inf only minima count: Theta_p = Theta_0,p (ABC13 Thm. 2.8)
    below = u < -E
    np.testing.assert_array_equal(tot[below], sg.complexity_index(u, p, 0)[below])
    assert sg.complexity_total([1.0], p)[0] == pytest.approx(0.5 * math.log(p - 1), rel=1e-15)


def test_index_fraction_semicircle():
    p = 3
    E = sg.E_inf(p)
    np.testing.assert_allclose(sg.index_fraction([-2 * E, -E, 0.0, E, 2 * E], p),
                               [0, 0, 0.5, 1, 1], atol=1e-15)


def test_bad_input():
    with pytest.raises(ValueError, match="p"):
        sg.E_inf(1)
    with pytest.raises(ValueError, match="p"):
        sg.threshold(0, 2.5)
    with pytest.raises(ValueError, match="k"):
        sg.threshold(-1, 3)
    with pytest.raises(ValueError, match="u"):
        sg.complexity_total([float("nan")], 3)


def test_cli_spinglass_json(capsys):
    assert main(["theory", "spinglass", "--p", "3", "--k", "0", "2", "--u", "-1.65",
                 "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["p"] == 3 and obj["E_inf"] == sg.E_inf(3)
    assert set(obj["E_k"]) == {"0", "2"} and obj["E_k"]["0"] == sg.threshold(0, 3)
    assert obj["complexity_by_index"]["2"] == sg.complexity_index([-1.65], 3, 2)[0]
    assert obj["complexity_total"] == sg.complexity_total([-1.65], 3)[0]
    with pytest.raises(SystemExit) as exc:
        main(["theory", "spinglass", "--p", "1"])
    assert exc.value.code == 2 and "p must be an integer >= 2" in capsys.readouterr().err
